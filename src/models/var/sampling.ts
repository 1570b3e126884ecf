// Token sampling on the host as VAR's sample_with_top_k_top_p_ does it: top-k, then top-p, softmax, one multinomial draw.
import type { Rng } from '../../engine/index.ts';

export interface TopKTopP {
  /** Keep the logits not below the k-th largest (ties with it stay); 0 = off; k >= V keeps all. */
  topK?: number;
  /** Drop, in ascending order, the logits whose cumulative probability is <= 1 − topP, always keeping the largest; 0 = off. */
  topP?: number;
}

/**
 * Which entries of one row of logits the official filter removes (1 = set to −∞). Top-k first: an entry goes when it is
 * below the k-th largest value counted with multiplicity (torch.topk(k).values.amin()). Then top-p over what is left: the
 * row sorted ascending, softmax, cumulative sum; entries whose sum is <= 1 − top_p (compared in float32, as torch compares
 * a float32 tensor with a Python float) go, except the last of the sorted row. Softmax and sums are float64 here (torch:
 * float32), so only rows within float32 rounding of the cut can differ. Equal logits sort by index (a stable sort): where
 * the cut falls inside a group of equal logits, the lower indices go first; the official code leaves that order to
 * torch's unstable sort, so such rows have no single official answer.
 */
export function topKTopPRemoved(row: ArrayLike<number>, o: TopKTopP): Uint8Array {
  const V = row.length, k = o.topK ?? 0, p = o.topP ?? 0;
  if (!Number.isInteger(k) || k < 0) throw new Error(`top-k must be a non-negative integer, got ${k}`);
  if (!(p >= 0 && p <= 1)) throw new Error(`top-p must lie in [0, 1], got ${p}`);
  const removed = new Uint8Array(V);
  if (k > 0 && k < V) {
    const sorted = Float64Array.from(row).sort((a, b) => b - a);
    const kth = sorted[k - 1]!;
    for (let i = 0; i < V; i++) if (row[i]! < kth) removed[i] = 1;
  }
  if (p > 0) {
    // Entries removed by top-k are −∞: probability 0 at the front of the ascending order, so sorting the kept ones suffices.
    const order: number[] = [];
    for (let i = 0; i < V; i++) if (!removed[i]) order.push(i);
    order.sort((a, b) => row[a]! - row[b]! || a - b);
    const n = order.length, max = row[order[n - 1]!]!;
    let total = 0;
    for (const i of order) total += Math.exp(row[i]! - max);
    const cut = Math.fround(1 - p);
    let cum = 0;
    for (let j = 0; j < n - 1; j++) {
      const i = order[j]!;
      cum += Math.exp(row[i]! - max) / total;
      if (cum <= cut) removed[i] = 1;
    }
  }
  return removed;
}

/**
 * One token per row of logits [rows, V] (row-major): the official filter, softmax over what is left, and an inverse-CDF draw
 * with one uniform number per row from `u` (in [0, 1)). Returns the ids. torch.multinomial draws differently, so seeded
 * samples match the official code in distribution only; with top_k = 1 (and no tied maximum) the result is the argmax.
 */
export function sampleRows(logits: ArrayLike<number>, rows: number, V: number, o: TopKTopP, u: ArrayLike<number>): Int32Array {
  if (logits.length !== rows * V) throw new Error(`sampleRows: ${logits.length} logits are not ${rows} rows of ${V}`);
  if (u.length < rows) throw new Error(`sampleRows: ${u.length} uniform numbers for ${rows} rows`);
  const out = new Int32Array(rows);
  const row = new Float64Array(V);
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < V; i++) row[i] = logits[r * V + i]!;
    const removed = (o.topK ?? 0) > 0 || (o.topP ?? 0) > 0 ? topKTopPRemoved(row, o) : new Uint8Array(V);
    let max = -Infinity;
    for (let i = 0; i < V; i++) if (!removed[i] && row[i]! > max) max = row[i]!;
    if (!Number.isFinite(max)) throw new Error(`sampleRows: row ${r} has no finite logit to sample from`);
    let total = 0;
    for (let i = 0; i < V; i++) if (!removed[i]) total += Math.exp(row[i]! - max);
    const target = u[r]! * total;
    let cum = 0, pick = -1;
    for (let i = 0; i < V; i++) {
      if (removed[i]) continue;
      cum += Math.exp(row[i]! - max);
      pick = i; // the last kept entry also catches a target at the rounding edge
      if (cum > target) break;
    }
    out[r] = pick;
  }
  return out;
}

/** Draws the ids of `rows` rows with uniform numbers from `rng` (its host stream: the same seed gives the same ids). */
export function sampleRowsRng(logits: ArrayLike<number>, rows: number, V: number, o: TopKTopP, rng: Rng): Int32Array {
  return sampleRows(logits, rows, V, o, rng.uniformHost(rows));
}
