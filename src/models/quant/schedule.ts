// Multi-scale token schedules: VAR's scale lists, HIT segments (each with its own latent side), φ index tables, token offsets.

/** Scales sharing one latent side S: the last scale of a segment is usually S itself (tokens at full resolution). */
export interface Segment { side: number; scales: readonly number[] }

/** VAR v_patch_nums (docs/VAR_FACTS.md §2.1). */
export const VAR_SCHEDULES = {
  256: [1, 2, 3, 4, 5, 6, 8, 10, 13, 16],
  512: [1, 2, 3, 4, 6, 9, 13, 18, 24, 32],
  1024: [1, 2, 3, 4, 5, 7, 9, 12, 16, 21, 27, 36, 48, 64],
} as const;

/** H-VAR's default HIT schedule for 512 (docs/MODEL_SPEC.md §1): sides 8 / 16 / 32, 10 scales, 2,155 tokens. */
export const HIT_512: readonly Segment[] = [
  { side: 8, scales: [1, 2, 3, 4, 6, 8] },
  { side: 16, scales: [13, 16] },
  { side: 32, scales: [24, 32] },
];

/** Plain VAR: one segment whose side is the last scale. */
export function varSegments(scales: readonly number[]): Segment[] {
  return [{ side: scales[scales.length - 1]!, scales: [...scales] }];
}

/**
 * φ index per scale for Q = 4 partially shared convs: the nearest of linspace(1/(3Q), 1 − 1/(3Q), Q) to si/(K−1).
 * The tables for 10, 12 and 14 scales are those of docs/VAR_FACTS.md §2.3 (computed in float64 by numpy, where 2/9 and 7/9 tie exactly);
 * other K replay numpy's arithmetic (linspace = start + i·step, last = stop; argmin takes the first minimum).
 */
export function phiIndexTable(K: number, Q = 4): number[] {
  if (Q === 4) {
    const known: Record<number, number[]> = {
      10: [0, 0, 1, 1, 1, 2, 2, 3, 3, 3],
      12: [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3],
      14: [0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3],
    };
    if (known[K]) return [...known[K]!];
  }
  const m = Q === 4 ? 1 / 3 / Q : 1 / 2 / Q;
  const start = m, stop = 1 - m, step = (stop - start) / (Q - 1);
  const ticks = Array.from({ length: Q }, (_, i) => (i === Q - 1 && Q > 1 ? stop : start + i * step));
  return Array.from({ length: K }, (_, si) => {
    const r = K > 1 ? si / (K - 1) : 0;
    let best = 0;
    for (let j = 1; j < Q; j++) if (Math.abs(ticks[j]! - r) < Math.abs(ticks[best]! - r)) best = j;
    return best;
  });
}

/** Flattened view of a segment list: per scale its side pn, segment index, latent side and first token column. */
export interface ScalePlan { pn: number; segment: number; side: number; col: number; phi: number }
export interface Plan { scales: ScalePlan[]; tokens: number; segments: readonly Segment[] }

export function planOf(segments: readonly Segment[], Q = 4): Plan {
  if (!segments.length) throw new Error('quantizer: empty segment list');
  const flat: Omit<ScalePlan, 'phi'>[] = [];
  let col = 0, prevSide = 0;
  segments.forEach((s, n) => {
    if (!(Number.isInteger(s.side) && s.side > 0) || !s.scales.length) throw new Error(`quantizer: segment ${n} needs a positive side and scales, got ${JSON.stringify(s)}`);
    if (s.side < prevSide) throw new Error(`quantizer: segment sides must not shrink (${prevSide} then ${s.side})`);
    for (const pn of s.scales) {
      if (!(Number.isInteger(pn) && pn > 0 && pn <= s.side)) throw new Error(`quantizer: scale ${pn} of segment ${n} must be an integer in [1, ${s.side}]`);
      flat.push({ pn, segment: n, side: s.side, col });
      col += pn * pn;
    }
    prevSide = s.side;
  });
  const phi = phiIndexTable(flat.length, Q);
  return { scales: flat.map((s, i) => ({ ...s, phi: phi[i]! })), tokens: col, segments };
}

/** Level (scale index) of each of the L tokens, VAR's lvl_1L. */
export function levelsOf(plan: Plan): Int32Array {
  const out = new Int32Array(plan.tokens);
  plan.scales.forEach((s, k) => out.fill(k, s.col, s.col + s.pn * s.pn));
  return out;
}

/**
 * HIT segments for a latent side S (divisible by 4): sides S/4, S/2, S, i.e. outputs at ¼, ½ and 1 of the image, as
 * HIT_512 does for S = 32 (which it returns). Other sides (training crops smaller than 512, MODEL_SPEC §1) scale the
 * scale list: the first segment climbs 1, 2, 3, 4, 6, 8 up to S/4; the others hold two scales, ~13/16 and ~3/4 of their side.
 */
export function hitSegments(S: number): Segment[] {
  if (!(Number.isInteger(S) && S >= 4 && S % 4 === 0)) throw new Error(`hitSegments: the latent side must be a multiple of 4, got ${S}`);
  if (S === 32) return HIT_512.map((s) => ({ side: s.side, scales: [...s.scales] }));
  const s1 = S / 4, s2 = S / 2;
  const first = [1, 2, 3, 4, 6, 8, 12, 16, 24, 32].filter((p) => p < s1);
  const two = (side: number, f: number) => { const a = Math.round(side * f); return a > 0 && a < side ? [a, side] : [side]; };
  return [{ side: s1, scales: [...first, s1] }, { side: s2, scales: two(s2, 13 / 16) }, { side: S, scales: two(S, 3 / 4) }];
}
