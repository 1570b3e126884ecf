// Share of a generation's time per kernel family: GPU timestamps of every dispatch where the adapter has timestamp-query,
// otherwise by isolation (each family's recorded calls run again alone at the same shapes on random data).
import { Rng, countWork, noGrad, ops, WORK_FAMILIES, type Device, type Tensor, type WorkCall, type WorkFamily } from '../src/engine/index.ts';
import { measure } from './harness.ts';

export interface FamilyShare { ms: number; share: number; calls: number; flops: number }
export interface Shares {
  method: 'timestamps' | 'isolation';
  /** What the shares are shares of, in ms: the sum of dispatch times (timestamps) or the generation's median (isolation). */
  totalMs: number;
  byFamily: Partial<Record<WorkFamily | 'rest', FamilyShare>>;
  note: string;
}

/** Runs `work` once under a counter with GPU timestamps: each family's summed dispatch time over the sum of all. */
export async function sharesByTimestamps(dev: Device, work: () => Promise<void>): Promise<Shares & { wallMs: number }> {
  const t0 = performance.now();
  const { counter } = await countWork(dev, work, { timestamps: true });
  const wallMs = performance.now() - t0;
  const t = counter.totals();
  const byFamily: Shares['byFamily'] = {};
  for (const f of WORK_FAMILIES) {
    const x = t.byFamily[f];
    if (x.dispatches) byFamily[f] = { ms: x.gpuMs, share: x.gpuMs / (t.gpuMs || 1), calls: x.calls, flops: x.flops };
  }
  return { method: 'timestamps', totalMs: t.gpuMs, byFamily, wallMs,
    note: `GPU timestamps around every dispatch (each in its own compute pass) in one extra generation: ${t.dispatches} dispatches, ` +
      `${t.gpuMs.toFixed(0)} ms of GPU time in ${wallMs.toFixed(0)} ms wall; the rest of the wall time is host work (sampling, encoding, reads) and gaps` };
}

/** Families replayed by isolation; the others (norms, elementwise, copies, gathers) make up the rest. */
const REPLAYED: WorkFamily[] = ['matmul', 'attention', 'conv'];

/**
 * Replays the recorded calls of each of matmul, attention and conv alone (same op and sizes, random inputs made once per
 * shape), timed as one batch per family (median of `repeats` after one warm-up); the rest = generationMs − their sum.
 */
export async function sharesByIsolation(dev: Device, calls: WorkCall[], generationMs: number, repeats: number): Promise<Shares> {
  const inputs = new Map<string, Tensor>();
  const rand = (shape: number[]) => {
    const key = shape.join('x');
    let t = inputs.get(key);
    if (!t) { t = new Rng(inputs.size + 1).uniform(dev, shape, -1, 1).keep(); inputs.set(key, t); }
    return t;
  };
  const byFamily: Shares['byFamily'] = {};
  let replayed = 0;
  try {
    for (const fam of REPLAYED) {
      const mine = calls.filter((c) => c.family === fam);
      if (!mine.length) continue;
      const runs = mine.map((c) => replay(c, rand));
      const st = await measure([{ name: fam, run: async () => { noGrad(dev, () => runs.forEach((r) => r?.())); await dev.sync(); } }],
        { warmup: 1, repeats, budgetS: 600 });
      const ms = st[fam]!.medianMs;
      replayed += ms;
      byFamily[fam] = { ms, share: ms / generationMs, calls: mine.length, flops: mine.reduce((a, c) => a + c.flops, 0) };
    }
  } finally { inputs.forEach((t) => t.dispose()); }
  const rest = Math.max(0, generationMs - replayed);
  byFamily.rest = { ms: rest, share: rest / generationMs, calls: calls.filter((c) => !REPLAYED.includes(c.family)).length, flops: 0 };
  return { method: 'isolation', totalMs: generationMs, byFamily,
    note: 'each family\'s calls of one generation (recorded by the work counter) run again alone at the same sizes on random data, ' +
      'timed as one batch (median); "rest" = the generation\'s median minus their sum: norms, elementwise ops, copies, gathers, ' +
      'host sampling, encoding and reads. Masked attention is replayed unmasked (a generation with the KV cache has none).' };
}

/** A closure that enqueues the same op at the recorded sizes (outputs freed at once); null for calls it cannot redo. */
function replay(c: WorkCall, rand: (shape: number[]) => Tensor): (() => void) | null {
  const s = c.shape;
  if (c.family === 'matmul') {
    const x = rand([s.batch!, s.M!, s.K!]);
    if (c.op.startsWith('linear')) { const w = rand([s.N!, s.K!]), b = s.bias ? rand([s.N!]) : null; return () => ops.linear(x, w, b).dispose(); }
    const y = rand([s.K!, s.N!]);
    return () => ops.matmul(x, y).dispose();
  }
  if (c.family === 'attention') {
    const q = rand([s.B!, s.H!, s.Lq!, s.D!]);
    if (c.op === 'attention (cached keys)') {
      const kT = rand([s.B!, s.H!, s.D!, Math.ceil(s.Lk! / 4) * 4]), v = rand([s.B!, s.H!, s.Lk!, s.D!]);
      return () => ops.attentionKT(q, kT, v, s.Lk!).dispose();
    }
    const k = rand([s.B!, s.H!, s.Lk!, s.D!]), v = rand([s.B!, s.H!, s.Lk!, s.D!]);
    return () => ops.attention(q, k, v).dispose();
  }
  if (c.family === 'conv') {
    if (c.op === 'phiUpdate') {
      const h = rand([s.B!, s.C!, s.S!, s.S!]), w = rand([s.C!, s.C!, 3, 3]), b = rand([s.C!]);
      return () => { const f = ops.fill(h.dev, h.shape, 0); ops.phiUpdate(h, w, b, f, null, 0.5, 0.5); f.dispose(); };
    }
    if (c.op !== 'conv2d') return null;
    const x = rand([s.B!, s.C!, s.H!, s.W!]), w = rand([s.O!, s.C!, s.KH!, s.KW!]), b = rand([s.O!]);
    return () => ops.conv2d(x, w, b, { stride: s.S!, padding: [s.pT!, s.pB!, s.pL!, s.pR!] }).dispose();
  }
  return null;
}
