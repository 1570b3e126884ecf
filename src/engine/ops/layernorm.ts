// layerNorm over the last dim (F.layer_norm), with or without affine w/b: forward saves mean & rstd; backward for x, w, b.
import { Tensor, empty } from '../tensor.ts';
import { record } from '../autograd.ts';
import { fmt } from '../shape.ts';
import { reshape } from './movement.ts';
import { sum } from './reduce.ts';
import { fill } from './elementwise.ts';
import { slabRanges, dense, assertF32, perRowReduction, rowWorkgroups } from './rows.ts';

/** Rows per chunk of the affine-grad partial sums (dw, db = Σ over chunks of per-chunk column sums). */
const WB_CHUNK = 64;

/**
 * y = (x - mean) / sqrt(var + eps) * w + b over the last dim (biased variance, as PyTorch). `w` and `b` are [C] or
 * null (VAR's `elementwise_affine=False` uses neither, eps 1e-6).
 */
export function layerNorm(x: Tensor, w: Tensor | null = null, b: Tensor | null = null, eps = 1e-5): Tensor {
  const op = 'layerNorm';
  x.assertLive(op);
  if (x.ndim < 1) throw new Error(`${op}: expected at least one dim, got ${x}`);
  const C = x.shape[x.ndim - 1]!, rows = x.numel / Math.max(C, 1);
  for (const [name, t] of [['weight', w], ['bias', b]] as const) {
    if (!t) continue;
    t.assertLive(op);
    if (t.ndim !== 1 || t.shape[0] !== C) throw new Error(`${op}: ${name} ${t} must have shape ${fmt([C])} to match ${x}`);
  }
  assertF32(op, x, ...[w, b].filter((t): t is Tensor => !!t));
  const dev = x.dev;
  const xc = dense(op, x), wc = w && dense(op, w), bc = b && dense(op, b);
  const y = empty(dev, x.shape, 'f32', op);
  const mean = empty(dev, [rows], 'f32', `${op}.mean`), rstd = empty(dev, [rows], 'f32', `${op}.rstd`);
  // Missing w / b: x is bound in their place (the kernel reads them only when has_w / has_b is set).
  const ww = vec(op, wc ?? xc, C), bw = vec(op, bc ?? xc, C);
  dev.counter?.op(op, 'norm', 0, 4 * (2 * x.numel + (w ? C : 0) + (b ? C : 0)), { rows, C });
  const perRow = perRowReduction(dev, rows);
  if (C > 0) for (const [r0, r1] of slabRanges(op, dev, rows, C)) {
    const xw = xc.window(op, xc.offset + r0 * C, xc.offset + r1 * C), yw = y.window(op, r0 * C, r1 * C);
    const p = { rows: r1 - r0, C, eps, has_w: wc ? 1 : 0, has_b: bc ? 1 : 0, x_base: xw.base, y_base: yw.base, w_base: ww.base, b_base: bw.base, row0: r0 };
    dev.run({ kernel: perRow ? 'norm/layernorm_rows' : 'norm/layernorm', bindings: [xw.binding, ww.binding, bw.binding, yw.binding, mean.binding(op), rstd.binding(op)], params: p, workgroups: rowWorkgroups(dev, perRow, r1 - r0) });
  }
  for (const t of [xc, wc, bc]) if (t && t !== x && t !== w && t !== b) t.dispose();
  const inputs = [x, w, b].filter((t): t is Tensor => !!t);
  const out = record(y, op, inputs, (g) => {
    const grads = layerNormBackward(x, w, b, g, mean, rstd);
    mean.dispose(); rstd.dispose();
    return [grads.dx, ...(w ? [grads.dw] : []), ...(b ? [grads.db] : [])];
  });
  if (!out.node) { mean.dispose(); rstd.dispose(); }
  return out;
}

const wants = (t: Tensor | null) => !!t && (t.requiresGrad || !!t.node);
/** Window over the first n elements of a contiguous tensor. */
const vec = (op: string, t: Tensor, n: number) => t.window(op, t.offset, t.offset + n);

function layerNormBackward(x: Tensor, w: Tensor | null, b: Tensor | null, g: Tensor, mean: Tensor, rstd: Tensor) {
  const op = 'layerNorm.grad', dev = x.dev;
  const C = x.shape[x.ndim - 1]!, rows = x.numel / Math.max(C, 1);
  if (x.numel === 0) // nothing to normalise: dw = db = 0
    return { dx: wants(x) ? empty(dev, x.shape, 'f32', op) : null, dw: wants(w) ? fill(dev, [C], 0) : null, db: wants(b) ? fill(dev, [C], 0) : null };
  const xc = dense(op, x), gc = dense(op, g), wc = w && dense(op, w);
  let dx: Tensor | null = null, dw: Tensor | null = null, db: Tensor | null = null;
  if (wants(x)) {
    dx = empty(dev, x.shape, 'f32', op);
    dev.counter?.op(op, 'norm', 0, 4 * 3 * x.numel, { rows, C });
    const perRow = perRowReduction(dev, rows);
    for (const [r0, r1] of slabRanges(op, dev, rows, C)) {
      const xw = xc.window(op, xc.offset + r0 * C, xc.offset + r1 * C), gw = gc.window(op, gc.offset + r0 * C, gc.offset + r1 * C);
      const dxw = dx.window(op, r0 * C, r1 * C), ww = vec(op, wc ?? xc, C);
      const p = { rows: r1 - r0, C, has_w: wc ? 1 : 0, x_base: xw.base, g_base: gw.base, dx_base: dxw.base, w_base: ww.base, row0: r0 };
      dev.run({ kernel: perRow ? 'norm/layernorm_bwd_rows' : 'norm/layernorm_bwd', bindings: [xw.binding, ww.binding, gw.binding, mean.binding(op), rstd.binding(op), dxw.binding], params: p, workgroups: rowWorkgroups(dev, perRow, r1 - r0) });
    }
  }
  if (wants(w) || wants(b)) {
    // Column sums over row chunks of WB_CHUNK rows, then a reduce over the chunks: deterministic, no atomics.
    const K = Math.max(1, Math.ceil(rows / WB_CHUNK));
    const pw = empty(dev, [K, C], 'f32', op), pb = empty(dev, [K, C], 'f32', op);
    dev.counter?.op(`${op}.wb`, 'norm', 0, 4 * (2 * x.numel + 2 * K * C), { rows, C });
    for (const [r0, r1] of slabRanges(op, dev, rows, C, WB_CHUNK)) {
      const xw = xc.window(op, xc.offset + r0 * C, xc.offset + r1 * C), gw = gc.window(op, gc.offset + r0 * C, gc.offset + r1 * C);
      const n = Math.ceil((r1 - r0) / WB_CHUNK) * C;
      const p = { rows: r1 - r0, C, chunk: WB_CHUNK, x_base: xw.base, g_base: gw.base, row0: r0, k0: r0 / WB_CHUNK };
      dev.run({ kernel: 'norm/layernorm_bwd_wb', bindings: [xw.binding, gw.binding, mean.binding(op), rstd.binding(op), pw.binding(op), pb.binding(op)], params: p, workgroups: dev.grid(n, 64) });
    }
    const colSum = (part: Tensor) => {
      const s = K === 1 ? reshape(part, [C]) : sum(part, 0);
      part.dispose(); // a reshape view keeps the storage alive
      return s;
    };
    if (wants(w)) dw = colSum(pw); else pw.dispose();
    if (wants(b)) db = colSum(pb); else pb.dispose();
  }
  for (const t of [xc, gc, wc]) if (t && t !== x && t !== g && t !== w) t.dispose();
  return { dx, dw, db };
}
