// Sequence log-probabilities: log-softmax gathered at given token ids (one fused pass over the logits), summed per
// sequence and per scale, with cross-entropy from the same pass; one fused backward dlogits = g·(onehot − softmax).
import { Tensor, empty, fromArray } from '../tensor.ts';
import { record } from '../autograd.ts';
import { contiguous } from './movement.ts';
import { sum, mean } from './reduce.ts';
import { affine } from './elementwise.ts';
import { checkIds } from './vq.ts';
import type { Device } from '../runtime/device.ts';

const NAN_BITS = 0x7fc00000;
type Ids = Tensor | Int32Array | readonly number[];

/** Strides of logits [B, L, V] as the kernels read them (unit stride along V, rows in increasing address order). */
function logitsView(op: string, x: Tensor): { x: Tensor; sB: number; sL: number } {
  const [B, L, V] = x.shape as [number, number, number];
  const sL = L === 1 ? V : x.strides[1]!, sB = B === 1 ? L * sL : x.strides[0]!;
  if ((V === 1 || x.strides[2] === 1) && sL >= V && sB >= (L - 1) * sL + V) return { x, sB, sL };
  return { x: contiguous(x), sB: L * V, sL: V };
}

/** Splits rows [0, rows) into dispatches whose logits windows (rowAddr(r0) .. rowAddr(r1 − 1) + V) fit one binding. */
function rowChunks(dev: Device, rows: number, V: number, rowAddr: (r: number) => number): [number, number][] {
  const maxElems = Math.floor((dev.maxBinding - 2 * dev.storageAlign) / 4);
  const fits = (r0: number, r1: number) => rowAddr(r1 - 1) + V - rowAddr(r0) <= maxElems;
  if (!fits(0, 1)) throw new RangeError(`seqLogProb: one row of ${V} logits exceeds a storage binding`);
  const out: [number, number][] = [];
  for (let r0 = 0; r0 < rows;) {
    let lo = r0 + 1, hi = rows; // the largest r1 with fits(r0, r1), by bisection (fits(r0, lo) holds throughout)
    while (lo < hi) { const m = Math.ceil((lo + hi) / 2); if (fits(r0, m)) lo = m; else hi = m - 1; }
    out.push([r0, lo]);
    r0 = lo;
  }
  return out;
}

/**
 * lp_BL[b, l] = log softmax(logits[b, l, :])[ids[b, l]] in one pass over the logits (logits may be a row-strided view,
 * e.g. the target positions of a longer sequence). Gradient to the logits: g·(onehot(id) − softmax), fused.
 * Host ids are checked against [0, V) with a clear error; ids on the GPU outside it give NaN.
 */
export function tokenLogProb(logits_BLV: Tensor, ids_BL: Ids): Tensor {
  const op = 'seqLogProb';
  logits_BLV.assertLive(op);
  if (logits_BLV.ndim !== 3 || logits_BLV.dtype !== 'f32') throw new Error(`${op}: logits must be f32 [B, L, V], got ${logits_BLV}`);
  const [B, L, V] = logits_BLV.shape as [number, number, number];
  const dev = logits_BLV.dev;
  let ids: Tensor;
  if (ids_BL instanceof Tensor) {
    ids_BL.assertLive(op);
    if (ids_BL.dtype !== 'i32' || ids_BL.ndim !== 2 || ids_BL.shape[0] !== B || ids_BL.shape[1] !== L)
      throw new Error(`${op}: ids must be i32 [${B}, ${L}] to match logits ${logits_BLV}, got ${ids_BL}`);
    ids = contiguous(ids_BL);
  } else {
    if (ids_BL.length !== B * L) throw new Error(`${op}: ${ids_BL.length} ids do not fill [${B}, ${L}] (logits ${logits_BLV})`);
    checkIds(op, ids_BL, V);
    ids = fromArray(dev, ids_BL as ArrayLike<number>, [B, L], 'i32');
  }
  const { x, sB, sL } = logitsView(op, logits_BLV);
  const lp = empty(dev, [B, L], 'f32', op), lse = empty(dev, [B, L], 'f32', op);
  const rowAddr = (r: number) => x.offset + Math.floor(r / L) * sB + (r % L) * sL;
  const [iw, lw, ew] = [ids, lp, lse].map((t) => t.window(op, t.offset, t.offset + t.numel));
  dev.counter?.op(op, 'other', 0, 4 * (B * L * V + 3 * B * L), { rows: B * L, V });
  for (const [r0, r1] of rowChunks(dev, B * L, V, rowAddr)) {
    const n = r1 - r0;
    const xw = x.window(op, rowAddr(r0), rowAddr(r0 + n - 1) + V);
    const p = { rows: n, r0, V, L, sB, sL, x_base: xw.base, id_base: iw!.base, out_base: lw!.base, nan_bits: NAN_BITS };
    dev.run({ kernel: 'seqlogp/token_logp', bindings: [xw.binding, iw!.binding, lw!.binding, ew!.binding], params: p, workgroups: dev.grid(n, 1) });
  }
  const out = record(lp, op, [logits_BLV], (g) => [tokenLogProbBackward(x, sB, sL, ids, lse, g, [B, L, V])]);
  if (!out.node) { lse.dispose(); if (ids !== ids_BL) ids.dispose(); if (x !== logits_BLV) x.dispose(); }
  return out;
}

function tokenLogProbBackward(x: Tensor, sB: number, sL: number, ids: Tensor, lse: Tensor, g: Tensor, shape: [number, number, number]): Tensor {
  const op = 'seqLogProb.backward';
  const [B, L, V] = shape, dev = x.dev;
  const gc = contiguous(g);
  const dx = empty(dev, shape, 'f32', op);
  const rowAddr = (r: number) => x.offset + Math.floor(r / L) * sB + (r % L) * sL;
  const [iw, lw, gw] = [ids, lse, gc].map((t) => t.window(op, t.offset, t.offset + t.numel));
  dev.counter?.op(op, 'other', 0, 4 * (2 * B * L * V + 3 * B * L), { rows: B * L, V });
  for (const [r0, r1] of rowChunks(dev, B * L, V, rowAddr)) {
    const n = r1 - r0;
    const xw = x.window(op, rowAddr(r0), rowAddr(r0 + n - 1) + V);
    const dw = dx.window(op, r0 * V, (r0 + n) * V);
    const p = { n: n * V, r0, V, L, sB, sL, x_base: xw.base, id_base: iw!.base, lse_base: lw!.base, g_base: gw!.base, dx_base: dw.base };
    dev.run({ kernel: 'seqlogp/token_logp_backward', bindings: [xw.binding, iw!.binding, lw!.binding, gw!.binding, dw.binding], params: p, workgroups: dev.grid(n * V, 64) });
  }
  if (gc !== g) gc.dispose();
  return dx;
}

/** out_BK[b, k] = Σ_{l : levels[l] = k} x_BL[b, l] (K = max level + 1); gradient broadcast back per level. */
export function levelSum(x_BL: Tensor, levels: ArrayLike<number>): Tensor {
  const op = 'levelSum';
  const [B, L] = x_BL.shape as [number, number];
  if (x_BL.ndim !== 2 || levels.length !== L) throw new Error(`${op}: need x [B, L] and ${x_BL.shape[1]} levels, got ${x_BL} and ${levels.length} levels`);
  let K = 0;
  for (let l = 0; l < L; l++) {
    const v = levels[l]!;
    if (!(Number.isInteger(v) && v >= 0)) throw new Error(`${op}: level ${v} at token ${l} is not a non-negative integer`);
    K = Math.max(K, v + 1);
  }
  const lv = fromArray(x_BL.dev, levels, [L], 'i32');
  const y = levelRun(op, contiguous(x_BL), lv, [B, K], B, L, K, false, x_BL);
  const out = record(y, op, [x_BL], (g) => [levelRun(op + '.backward', contiguous(g), lv, [B, L], B, L, K, true, g)]);
  if (!out.node) lv.dispose();
  return out;
}

function levelRun(op: string, src: Tensor, lv: Tensor, shape: number[], B: number, L: number, K: number, backward: boolean, orig: Tensor): Tensor {
  const dst = empty(src.dev, shape, 'f32', op);
  const sw = src.window(op, src.offset, src.offset + src.numel);
  src.dev.counter?.op(op, 'other', 0, 4 * (src.numel + L + dst.numel));
  src.dev.run({ kernel: 'seqlogp/level_sum', defines: { BACKWARD: String(backward) }, bindings: [sw.binding, lv.binding(op), dst.binding(op)],
    params: { B, L, K, s_base: sw.base }, workgroups: src.dev.grid(backward ? B * L : B * K, 64) });
  if (src !== orig) src.dispose();
  return dst;
}

export interface SeqLogProbResult {
  /** Σ_l log p(ids[b, l]) per sequence, [B] (the DPO term). */
  logp_B: Tensor;
  /** Per-scale sums [B, K] when levelsOfL is given. */
  logp_BK: Tensor | null;
  /** Mean token cross-entropy −mean(log p) over all B·L tokens (VAR's CE with weight 1/L, averaged over B), when asked. */
  ce: Tensor | null;
  /** Per-token log-probabilities [B, L] (the shared pass the others are built on). */
  tokens_BL: Tensor;
}

/**
 * Log-probability of token sequences under logits_BLV: one fused log-softmax + gather pass, then per-sequence sums,
 * optional per-scale sums (`levelsOfL`: the scale index of each of the L tokens, VAR's lvl_1L) and optional mean
 * cross-entropy. All outputs share the pass; their gradients merge into one fused dlogits kernel.
 */
export function seqLogProb(logits_BLV: Tensor, ids_BL: Ids, o: { levelsOfL?: ArrayLike<number>; crossEntropy?: boolean } = {}): SeqLogProbResult {
  const tokens_BL = tokenLogProb(logits_BLV, ids_BL);
  return {
    logp_B: sum(tokens_BL, 1),
    logp_BK: o.levelsOfL ? levelSum(tokens_BL, o.levelsOfL) : null,
    ce: o.crossEntropy ? negMean(tokens_BL) : null,
    tokens_BL,
  };
}

function negMean(x: Tensor): Tensor {
  const m = mean(x);
  const y = affine(m, -1);
  if (!y.node) m.dispose();
  return y;
}

/** Reads GPU ids back and throws a clear error if any lies outside [0, V) (async; for checks outside hot loops). */
export async function assertIdsInRange(op: string, ids: Tensor, V: number): Promise<void> {
  checkIds(op, await ids.toArray(), V);
}
