// Losses: fused cross-entropy (log-sum-exp, label smoothing, ignore index, PyTorch semantics), mseLoss and l1Loss.
import { Tensor, empty, view } from '../tensor.ts';
import { record, needsGrad } from '../autograd.ts';
import { fmt, numel, sameShape } from '../shape.ts';
import { sub, square, abs } from './elementwise.ts';
import { sum, mean } from './reduce.ts';
import { slabRanges, dense, assertF32 } from './rows.ts';
import { indexTensor, type Indices } from './embedding.ts';

export type Reduction = 'mean' | 'sum' | 'none';
export interface CrossEntropyOpts { labelSmoothing?: number; ignoreIndex?: number; reduction?: Reduction }
const REDUCTIONS: readonly Reduction[] = ['mean', 'sum', 'none'];

/**
 * F.cross_entropy for logits [..., V] (classes last) and i32 targets [...]: loss_r = (1-ε)·(lse_r − x[r, t_r]) +
 * ε·mean_j(lse_r − x[r, j]); rows with target == ignoreIndex count 0 and are left out of the mean (all ignored: NaN,
 * as PyTorch). Host targets (Int32Array / number[] filling [...]) are range-checked with a clear error; a GPU
 * target outside [0, V) gives a NaN loss (so a NaN mean) and NaN gradient rows instead.
 *
 * One kernel pass per row computes the loss and saves only the row's log-sum-exp; the backward recomputes the
 * softmax from it in one pass and applies the upstream grad there, so nothing of size N×V is held between forward
 * and backward (llm.c fuses dlogits into the forward because it may overwrite the logits; an autograd graph may not).
 */
export function crossEntropy(logits: Tensor, target: Indices, opts: CrossEntropyOpts = {}): Tensor {
  const op = 'crossEntropy';
  const { labelSmoothing: eps = 0, ignoreIndex = -100, reduction = 'mean' } = opts;
  logits.assertLive(op);
  assertF32(op, logits);
  if (logits.ndim < 1) throw new Error(`${op}: logits must be [..., V], got ${logits}`);
  if (!REDUCTIONS.includes(reduction)) throw new Error(`${op}: reduction must be 'mean', 'sum' or 'none', got '${reduction}'`);
  if (!(eps >= 0 && eps <= 1)) throw new Error(`${op}: labelSmoothing must be in [0, 1], got ${eps}`);
  if (!Number.isInteger(ignoreIndex)) throw new Error(`${op}: ignoreIndex must be an integer, got ${ignoreIndex}`);
  const dev = logits.dev;
  const V = logits.shape[logits.ndim - 1]!, rowShape = logits.shape.slice(0, -1), N = numel(rowShape);
  if (V === 0) throw new Error(`${op}: logits ${logits} have no classes`);
  const { t: tgt, owned } = indexTensor(op, dev, target, rowShape, V, ignoreIndex);
  if (!sameShape(tgt.shape, rowShape)) throw new Error(`${op}: target ${tgt} must have shape ${fmt(rowShape)} to match logits ${logits}`);
  const xc = dense(op, logits), tc = dense(op, tgt);

  const rowLoss = empty(dev, rowShape, 'f32', op), lse = empty(dev, [N], 'f32', `${op}.lse`);
  dev.counter?.op(op, 'other', 0, 4 * (N * V + 3 * N), { N, V });
  const tw = tc.window(op, tc.offset, tc.offset + N);
  for (const [r0, r1] of slabRanges(op, dev, N, V)) {
    const xw = xc.window(op, xc.offset + r0 * V, xc.offset + r1 * V);
    const p = { rows: r1 - r0, V, ignore_index: ignoreIndex, smoothing: eps, nan: NaN, x_base: xw.base, t_base: tw.base, row0: r0 };
    dev.run({ kernel: 'loss/cross_entropy', bindings: [xw.binding, tw.binding, rowLoss.binding(op), lse.binding(op)], params: p, workgroups: dev.grid(r1 - r0, 1) });
  }

  // 'mean' / 'sum': red = [loss, per-row scale for the backward]; the loss is a [] view of red[0].
  let out = rowLoss, red: Tensor | null = null;
  if (reduction !== 'none') {
    red = empty(dev, [2], 'f32', op);
    dev.run({ kernel: 'loss/cross_entropy_reduce', bindings: [rowLoss.binding(op), tw.binding, red.binding(op)],
      params: { n: N, ignore_index: ignoreIndex, mean: reduction === 'mean' ? 1 : 0, t_base: tw.base }, workgroups: [1] });
    out = view(red, [], [], red.offset);
    rowLoss.dispose();
  }
  const release = () => {
    for (const t of [lse, red]) t?.dispose();
    if (xc !== logits) xc.dispose();
    if (tc !== tgt) tc.dispose();
    if (owned) tgt.dispose();
  };
  const y = record(out, op, [logits], (g) => {
    const gop = `${op}.grad`;
    const gc = dense(gop, g);
    const dx = empty(dev, logits.shape, 'f32', gop);
    dev.counter?.op(gop, 'other', 0, 4 * (2 * N * V + 3 * N), { N, V });
    const gw = gc.window(gop, gc.offset, gc.offset + gc.numel);
    const sw = red ? red.window(gop, red.offset + 1, red.offset + 2) : lse.window(gop, lse.offset, lse.offset + 1);
    for (const [r0, r1] of slabRanges(gop, dev, N, V)) {
      const xw = xc.window(gop, xc.offset + r0 * V, xc.offset + r1 * V), dw = dx.window(gop, r0 * V, r1 * V);
      const p = { rows: r1 - r0, V, ignore_index: ignoreIndex, smoothing: eps, nan: NaN, per_row: red ? 0 : 1, x_base: xw.base, dx_base: dw.base,
        t_base: tw.base, row0: r0, g_base: gw.base, s_base: sw.base };
      dev.run({ kernel: 'loss/cross_entropy_bwd', bindings: [xw.binding, tw.binding, lse.binding(gop), sw.binding, gw.binding, dw.binding], params: p, workgroups: dev.grid(r1 - r0, 1) });
    }
    if (gc !== g) gc.dispose();
    release();
    return [dx];
  });
  if (!y.node) release();
  return y;
}

/** Mean (or sum, or none) of (a − b)²: F.mse_loss, composed from elementwise ops and a reduction (exact grads). */
export function mseLoss(a: Tensor, b: Tensor, reduction: Reduction = 'mean'): Tensor {
  return pointwiseLoss('mseLoss', a, b, reduction, square);
}
/** Mean (or sum, or none) of |a − b|: F.l1_loss; the gradient at a == b is 0 (sign(0), as PyTorch). */
export function l1Loss(a: Tensor, b: Tensor, reduction: Reduction = 'mean'): Tensor {
  return pointwiseLoss('l1Loss', a, b, reduction, abs);
}
function pointwiseLoss(op: string, a: Tensor, b: Tensor, reduction: Reduction, f: (d: Tensor) => Tensor): Tensor {
  if (!REDUCTIONS.includes(reduction)) throw new Error(`${op}: reduction must be 'mean', 'sum' or 'none', got '${reduction}'`);
  if (!sameShape(a.shape, b.shape)) throw new Error(`${op}: input ${a} and target ${b} must have the same shape`);
  const d = sub(a, b), e = f(d);
  const out = reduction === 'none' ? e : reduction === 'mean' ? mean(e) : sum(e);
  if (!needsGrad(a, b)) { d.dispose(); if (e !== out) e.dispose(); } // else the graph holds them until backward
  return out;
}
