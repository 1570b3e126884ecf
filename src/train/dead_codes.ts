// Dead-code restart for VQ codebook training: per-code usage counts over a window of steps, and the restart itself
// (codes with no hits in the window re-initialised from encoder outputs, their AdamW moments zeroed).
import { Tensor, fromArray, noGrad, ops } from '../engine/index.ts';
import type { AdamW } from './optim/adamw.ts';
import type { StreamRng } from './data/rng.ts';

/** Adds the hits of token ids `ids` (any shape, values in [0, counts.length)) to `counts`, in place. */
export function countCodes(counts: Float64Array, ids: Int32Array): void {
  const V = counts.length;
  for (let i = 0; i < ids.length; i++) {
    const k = ids[i]!;
    if (!(k >= 0 && k < V)) throw new RangeError(`countCodes: token id ${k} at ${i} is outside the codebook's ${V} codes`);
    counts[k]!++;
  }
}

/** Number of codes with at least one hit. */
export function codesInUse(counts: ArrayLike<number>): number {
  let n = 0;
  for (let i = 0; i < counts.length; i++) if (counts[i]! > 0) n++;
  return n;
}

export interface RestartResult {
  /** Codes that had no hits and were re-initialised, ascending. */
  dead: number[];
  /** For each dead code, the latent position it was copied from: flat index b·h·w + y·w + x of z_BChw. */
  picks: number[];
}

/**
 * Re-initialises every code with `counts[v] === 0` from the latent `z_BChw` ([B, C, h, w], C = the codebook width): one
 * position per dead code drawn uniformly with replacement from `rng`, its C-vector copied into the codebook row
 * (`codebook` [V, C], written in place). When `opt` has state for the codebook, those rows' moments are zeroed so the
 * new vectors do not inherit the dead codes' update history. Live rows are left bit for bit.
 */
export async function restartDeadCodes(codebook: Tensor, opt: AdamW | null, counts: ArrayLike<number>, z_BChw: Tensor, rng: StreamRng): Promise<RestartResult> {
  const [V, C] = codebook.shape as [number, number];
  if (codebook.ndim !== 2 || codebook.dtype !== 'f32') throw new Error(`restartDeadCodes: codebook must be f32 [V, C], got ${codebook}`);
  if (counts.length !== V) throw new Error(`restartDeadCodes: ${counts.length} counts for a codebook of ${V} codes`);
  if (z_BChw.ndim !== 4 || z_BChw.shape[1] !== C || z_BChw.dtype !== 'f32') throw new Error(`restartDeadCodes: latent must be f32 [B, ${C}, h, w] (the codebook width), got ${z_BChw}`);
  const dead: number[] = [];
  for (let v = 0; v < V; v++) if (counts[v] === 0) dead.push(v);
  if (!dead.length) return { dead, picks: [] };
  const [B, , h, w] = z_BChw.shape as [number, number, number, number];
  const hw = h * w, N = B * hw;
  const picks = dead.map(() => rng.int(N));
  const zc = ops.contiguous(z_BChw);
  const z = (await zc.toArray()) as Float32Array;
  if (zc !== z_BChw) zc.dispose();
  const cb = (await codebook.toArray()) as Float32Array;
  dead.forEach((v, i) => {
    const b = Math.floor(picks[i]! / hw), p = picks[i]! % hw;
    for (let c = 0; c < C; c++) cb[v * C + c] = z[(b * C + c) * hw + p]!;
  });
  noGrad(codebook.dev, () => {
    const t = fromArray(codebook.dev, cb, [V, C]);
    ops.assign(codebook, t);
    t.dispose();
  });
  await opt?.resetRows(codebook, dead);
  return { dead, picks };
}
