// Row geometry and binding-sized dispatch ranges shared by the row ops (softmax, layer norm, losses, embedding, rng).
import type { Tensor } from '../tensor.ts';
import type { Device } from '../runtime/device.ts';
import { numel } from '../shape.ts';
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
 * Whether a reduction along `rows` rows (layerNorm rows, groupNorm planes, conv2d bias channels) runs one invocation
 * per row (the *_rows / *_per_plane / *_per_channel kernels: no workgroup memory, no barriers) rather than one
 * 64-invocation workgroup per row: the profile's perRowReductionMinRows (0 = never).
 */
export function perRowReduction(dev: Device, rows: number): boolean {
  const min = dev.profile.perRowReductionMinRows;
  return min > 0 && rows >= min;
}
/** Workgroups for n rows: 8 rows per workgroup of the per-row kernels, else one workgroup per row (grid-folded). */
export function rowWorkgroups(dev: Device, perRow: boolean, n: number): [number, number, number] {
  return dev.grid(perRow ? Math.ceil(n / 8) : n, 1);
}
