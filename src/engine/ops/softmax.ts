// Row ops: softmax and log-softmax along any axis (max-subtracted, one workgroup per row), plus the row geometry and
// binding-sized dispatch ranges shared by the row ops (layernorm.ts, loss.ts, embedding.ts).
import { Tensor, empty } from '../tensor.ts';
import { record } from '../autograd.ts';
import type { Device } from '../runtime/device.ts';
import { normAxis, numel } from '../shape.ts';
import { params } from '../runtime/uniforms.ts';
import { mapN } from './map.ts';

/**
 * A reduction axis seen as rows: `outer` slabs of `len * inner` elements; row r of a slab starts at r % inner and
 * steps by `inner` (inner = 1 for the last axis).
 */
export interface Rows { outer: number; len: number; inner: number }
export function rowsOf(shape: readonly number[], axis: number): Rows {
  return { outer: numel(shape.slice(0, axis)), len: shape[axis] ?? 1, inner: numel(shape.slice(axis + 1)) };
}

/**
 * Consecutive ranges [o0, o1) of `outer` slabs of `slab` 4-byte elements, each range small enough that one
 * window of it fits a storage binding (with room for alignment); range starts are multiples of `unit`.
 * Row ops dispatch once per range, so tensors above maxStorageBufferBindingSize still work.
 */
export function slabRanges(op: string, dev: Device, outer: number, slab: number, unit = 1): [number, number][] {
  const maxElems = Math.floor((dev.maxBinding - 2 * dev.storageAlign) / 4);
  let per = Math.floor(maxElems / Math.max(slab, 1));
  if (per >= outer) return outer > 0 ? [[0, outer]] : [];
  per = Math.floor(per / unit) * unit;
  if (per < 1)
    throw new RangeError(`${op}: one slab of ${slab * unit} elements (${((slab * unit * 4) / 2 ** 20).toFixed(1)} MiB) exceeds this adapter's maxStorageBufferBindingSize (${dev.maxBinding / 2 ** 20} MiB)`);
  const out: [number, number][] = [];
  for (let o = 0; o < outer; o += per) out.push([o, Math.min(outer, o + per)]);
  return out;
}

/** x itself when contiguous, else a plain contiguous copy that records no graph (callers dispose it if !== x). */
export function dense(op: string, x: Tensor): Tensor {
  return x.isContiguous ? x : mapN(op, [x], 'a');
}
export function assertF32(op: string, ...xs: Tensor[]) {
  for (const x of xs) if (x.dtype !== 'f32') throw new Error(`${op}: expected an f32 tensor, got ${x}`);
}

/**
 * Launches a row kernel over contiguous operands of identical layout, one binding-sized range at a time.
 * Params = (rows in this range, len, inner, then each operand's window base).
 */
function launchRows(op: string, kernel: string, defines: Record<string, string | number>, operands: Tensor[], g: Rows) {
  const dev = operands[0]!.dev, slab = g.len * g.inner;
  if (slab === 0) return;
  for (const [o0, o1] of slabRanges(op, dev, g.outer, slab)) {
    const wins = operands.map((t) => t.window(op, t.offset + o0 * slab, t.offset + o1 * slab));
    const rows = (o1 - o0) * g.inner;
    dev.run({ kernel, defines, bindings: wins.map((w) => w.binding), params: params().u32(rows, g.len, g.inner, ...wins.map((w) => w.base)), workgroups: dev.grid(rows, 1) });
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
  launchRows(op, 'softmax/softmax', defines, [xc, y], geo);
  if (xc !== x) xc.dispose();
  return record(y, op, [x], (g) => {
    const gc = dense(`${op}.grad`, g);
    const dx = empty(x.dev, x.shape, 'f32', `${op}.grad`);
    launchRows(`${op}.grad`, 'softmax/softmax_bwd', defines, [y, gc, dx], geo);
    if (gc !== g) gc.dispose();
    return [dx];
  });
}
