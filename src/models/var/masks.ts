// Level ids of VAR-style token sequences (prefix tokens, then one level per scale) and the block-causal rule on them.
import { fromArray, type Tensor, type Device } from '../../engine/index.ts';

/**
 * Level id of every token: `prefix` tokens (e.g. 1,024 LR-condition tokens) at level 0, then the pn² tokens of scale si at
 * level si. The first scale's single token is VAR's start token, so the prefix and the start token share level 0.
 * With the rule "query i sees key j iff level(j) <= level(i)" prefix tokens see each other and the start token, and every
 * scale sees all earlier levels plus itself (VAR's attn_bias_for_masking).
 */
export function levelIds(scales: readonly number[], prefix = 0): Int32Array {
  if (!Number.isInteger(prefix) || prefix < 0) throw new Error(`levelIds: prefix must be a non-negative integer, got ${prefix}`);
  for (const pn of scales) if (!Number.isInteger(pn) || pn < 1) throw new Error(`levelIds: scale sides must be positive integers, got [${scales}]`);
  const out = new Int32Array(prefix + scales.reduce((a, pn) => a + pn * pn, 0));
  let at = prefix;
  scales.forEach((pn, si) => { out.fill(si, at, at + pn * pn); at += pn * pn; });
  return out;
}

/**
 * Token ranges [start, end) of the steps of cached (scale-by-scale) sampling: step 0 is the prefix plus the first scale,
 * step si > 0 the pn² tokens of scale si. Concatenated they cover levelIds(scales, prefix).
 */
export function scaleSpans(scales: readonly number[], prefix = 0): { start: number; end: number }[] {
  const spans: { start: number; end: number }[] = [];
  let at = 0;
  scales.forEach((pn, si) => { const end = at + pn * pn + (si === 0 ? prefix : 0); spans.push({ start: at, end }); at = end; });
  return spans;
}

/** Level ids as the i32 [L] tensor the attention op takes. */
export function levelTensor(dev: Device, ids: Int32Array): Tensor { return fromArray(dev, ids, [ids.length], 'i32'); }

/** Number of (query, key) pairs the block-causal rule lets through: attention costs 4·D·pairs FLOPs per head. */
export function visiblePairs(idsQ: Int32Array, idsK: Int32Array = idsQ): number {
  const sorted = Int32Array.from(idsK).sort();
  let pairs = 0;
  for (const lq of idsQ) { // keys with level <= lq: upper bound by binary search
    let lo = 0, hi = sorted.length;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (sorted[mid]! <= lq) lo = mid + 1; else hi = mid; }
    pairs += lo;
  }
  return pairs;
}
