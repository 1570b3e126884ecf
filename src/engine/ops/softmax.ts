// Row ops: softmax and log-softmax along any axis (max-subtracted, one workgroup per row).
import { Tensor, empty } from '../tensor.ts';
import { record } from '../autograd.ts';
import { normAxis } from '../shape.ts';
import { rowsOf, slabRanges, dense, assertF32, type Rows } from './rows.ts';
import type { KernelParams } from '../runtime/params.ts';

type RowKernel = 'softmax/softmax' | 'softmax/softmax_bwd';

/**
 * Launches a row kernel over contiguous operands of identical layout, one binding-sized range at a time; `params`
 * gets the rows in this range and each operand's window base.
 */
function launchRows<K extends RowKernel>(op: string, kernel: K, defines: Record<string, string | number>, operands: Tensor[], g: Rows,
  params: (rows: number, bases: number[]) => KernelParams[K]) {
  const dev = operands[0]!.dev, slab = g.len * g.inner;
  if (slab === 0) return;
  dev.counter?.op(op, 'norm', 0, 4 * operands.length * g.outer * slab, { rows: g.outer * g.inner, len: g.len });
  for (const [o0, o1] of slabRanges(op, dev, g.outer, slab)) {
    const wins = operands.map((t) => t.window(op, t.offset + o0 * slab, t.offset + o1 * slab));
    const rows = (o1 - o0) * g.inner;
    dev.run({ kernel, defines, bindings: wins.map((w) => w.binding), params: params(rows, wins.map((w) => w.base)), workgroups: dev.grid(rows, 1) });
  }
}

/** softmax(x) along `axis`: exp(x - max) / Σ exp(x - max). Backward: dx = y ⊙ (g − Σ g⊙y). */
export function softmax(x: Tensor, axis = -1): Tensor { return softmaxOp('softmax', x, axis, false); }
/** log-softmax along `axis`: x - max - log Σ exp(x - max). Backward: dx = g − softmax ⊙ Σ g. */
export function logSoftmax(x: Tensor, axis = -1): Tensor { return softmaxOp('logSoftmax', x, axis, true); }

function softmaxOp(op: string, x: Tensor, axis: number, log: boolean): Tensor {
  x.assertLive(op);
  assertF32(op, x);
  const geo = rowsOf(x.shape, x.ndim === 0 ? 0 : normAxis(op, axis, x.ndim));
  const defines = { LOG: String(log) };
  const xc = dense(op, x);
  const y = empty(x.dev, x.shape, 'f32', op);
  launchRows(op, 'softmax/softmax', defines, [xc, y], geo, (rows, [x_base, y_base]) => ({ rows, len: geo.len, inner: geo.inner, x_base: x_base!, y_base: y_base! }));
  if (xc !== x) xc.dispose();
  return record(y, op, [x], (g) => {
    const gc = dense(`${op}.grad`, g);
    const dx = empty(x.dev, x.shape, 'f32', `${op}.grad`);
    launchRows(`${op}.grad`, 'softmax/softmax_bwd', defines, [y, gc, dx], geo,
      (rows, [y_base, g_base, dx_base]) => ({ rows, len: geo.len, inner: geo.inner, y_base: y_base!, g_base: g_base!, dx_base: dx_base! }));
    if (gc !== g) gc.dispose();
    return [dx];
  });
}
