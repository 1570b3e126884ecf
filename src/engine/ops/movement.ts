// Movement ops: reshape, permute, transpose, expand, slice (views, no copy), contiguous, concat, pad (copies).
import { Tensor, view, empty } from '../tensor.ts';
import { record, needsGrad } from '../autograd.ts';
import { normAxis, numel, fmt, sameShape, contiguousStrides } from '../shape.ts';
import { mapN } from './map.ts';
import { BYTES } from '../dtype.ts';
import { sumTo } from './reduce.ts';

/** x itself when already contiguous, else a contiguous copy (callers dispose the result only if it is not x). */
export function contiguous(x: Tensor): Tensor {
  return x.isContiguous ? x : copy(x);
}
/** Always a fresh contiguous copy; gradient passes through. */
export function copy(x: Tensor): Tensor {
  const y = mapN('copy', [x], 'a');
  return record(y, 'copy', [x], (g) => [mapN('copy.grad', [g], 'a')]);
}
export const clone = copy;
/**
 * dst.copy_(src): writes src (broadcast to dst's shape) into dst, which may be any strided view (e.g. rows of a cache
 * buffer from asStrided). In place, so not differentiable. Returns dst.
 */
export function assign(dst: Tensor, src: Tensor): Tensor {
  if (needsGrad(src)) throw new Error(`assign: in-place copy is not differentiable, but ${src} needs a gradient (use it under noGrad)`);
  if (dst.dtype !== src.dtype) throw new Error(`assign: ${src} cannot be written into ${dst} (dtypes differ)`);
  mapN('assign', [src], 'a', { out: dst, shape: dst.shape });
  return dst;
}
/**
 * torch.as_strided: a view of x's storage with the given shape, strides and element offset (no copy, no gradient).
 * Every element it reaches must lie inside x's storage.
 */
export function asStrided(x: Tensor, shape: readonly number[], strides: readonly number[], offset: number): Tensor {
  x.assertLive('asStrided');
  const n = Math.floor(x.storage.used / BYTES[x.dtype]);
  const bad = shape.length !== strides.length || !Number.isInteger(offset) || offset < 0 || strides.some((s) => !Number.isInteger(s) || s < 0);
  const last = offset + shape.reduce((a, d, i) => a + (d - 1) * strides[i]!, 0);
  if (bad || (numel(shape) > 0 && last >= n))
    throw new Error(`asStrided: shape ${fmt(shape)}, strides ${fmt(strides)}, offset ${offset} reach past ${x}'s storage of ${n} elements`);
  return view(x, shape, strides, offset);
}

export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const n = x.numel;
  const neg = shape.indexOf(-1);
  const s = [...shape];
  if (neg >= 0) s[neg] = n / Math.max(1, numel(shape.filter((d, i) => i !== neg)));
  if (numel(s) !== n || !s.every((d) => Number.isInteger(d) && d >= 0)) throw new Error(`reshape: cannot reshape ${x} (${n} elements) to ${fmt(shape)}`);
  if (sameShape(s, x.shape)) return x;
  return record(reshapeView(x, s), 'reshape', [x], (g) => [reshapeView(g, x.shape)]);
}
/** A contiguous-strided view of x with a new shape (copying first if x is strided); no autograd. */
function reshapeView(x: Tensor, shape: readonly number[]): Tensor {
  const src = x.isContiguous ? x : mapN('reshape', [x], 'a');
  const y = view(src, shape, contiguousStrides(shape), src.offset);
  if (src !== x) src.dispose();
  return y;
}

export function permute(x: Tensor, dims: readonly number[]): Tensor {
  if (dims.length !== x.ndim || new Set(dims.map((d) => normAxis('permute', d, x.ndim))).size !== x.ndim)
    throw new Error(`permute: dims [${dims}] are not a permutation of the ${x.ndim} dims of ${x}`);
  const d = dims.map((a) => normAxis('permute', a, x.ndim));
  const y = view(x, d.map((i) => x.shape[i]!), d.map((i) => x.strides[i]!), x.offset);
  const inv = new Array<number>(d.length);
  d.forEach((a, i) => (inv[a] = i));
  // The gradient permuted back: as it is where that is contiguous (e.g. attention's token-major gradients of q, k and v
  // sliced from a projection), else a contiguous copy.
  return record(y, 'permute', [x], (g) => { const p = permute(g, inv); return [p.isContiguous ? p : copyOf(p)]; });
}
export function transpose(x: Tensor, a = -2, b = -1): Tensor {
  const dims = x.shape.map((_, i) => i);
  const i = normAxis('transpose', a, x.ndim), j = normAxis('transpose', b, x.ndim);
  [dims[i], dims[j]] = [dims[j]!, dims[i]!];
  return permute(x, dims);
}

/** Broadcast view (stride 0 on expanded dims); gradient sums back. */
export function expand(x: Tensor, shape: readonly number[]): Tensor {
  const off = shape.length - x.ndim;
  if (off < 0) throw new Error(`expand: cannot expand ${x} to fewer dims ${fmt(shape)}`);
  const strides = shape.map((d, j) => {
    if (j < off) return 0;
    const s = x.shape[j - off]!;
    if (s === d) return x.strides[j - off]!;
    if (s === 1) return 0;
    throw new Error(`expand: ${x} cannot expand to ${fmt(shape)} (dim ${j}: ${s} vs ${d})`);
  });
  const y = view(x, shape, strides, x.offset);
  return record(y, 'expand', [x], (g) => [sumTo(g, x.shape)]);
}

/** x[..., start:end, ...] along one axis (a view). */
export function slice(x: Tensor, axis: number, start: number, end: number): Tensor {
  const a = normAxis('slice', axis, x.ndim), n = x.shape[a]!;
  const s = Math.max(0, start < 0 ? start + n : start), e = Math.min(n, end < 0 ? end + n : end);
  if (e < s) throw new Error(`slice: empty or reversed range ${start}:${end} on dim ${a} of ${x}`);
  const shape = [...x.shape]; shape[a] = e - s;
  const y = view(x, shape, x.strides, x.offset + s * x.strides[a]!);
  return record(y, 'slice', [x], (g) => {
    const pads = x.shape.map(() => [0, 0] as [number, number]);
    pads[a] = [s, n - e];
    return [padRaw(g, pads, 0)];
  });
}

/** Concatenation along an axis; backward slices the gradient. */
export function concat(xs: Tensor[], axis: number): Tensor {
  if (xs.length === 0) throw new Error('concat: no tensors');
  const x0 = xs[0]!, a = normAxis('concat', axis, x0.ndim);
  for (const x of xs) if (x.ndim !== x0.ndim || x.shape.some((d, i) => i !== a && d !== x0.shape[i]) || x.dtype !== x0.dtype)
    throw new Error(`concat: ${x} does not match ${x0} outside axis ${a}`);
  const shape = [...x0.shape]; shape[a] = xs.reduce((s, x) => s + x.shape[a]!, 0);
  const out = empty(x0.dev, shape, x0.dtype, 'concat');
  let at = 0;
  for (const x of xs) {
    const dst = view(out, x.shape, out.strides, out.offset + at * out.strides[a]!);
    if (x.numel) mapN('concat', [x], 'a', { out: dst });
    dst.dispose();
    at += x.shape[a]!;
  }
  return record(out, 'concat', xs, (g) => {
    let o = 0;
    return xs.map((x) => { const v = view(g, x.shape, g.strides, g.offset + o * g.strides[a]!); o += x.shape[a]!; const c = mapN('concat.grad', [v], 'a'); v.dispose(); return c; });
  });
}

/** Constant padding; pads[i] = [before, after] for dim i (PyTorch F.pad lists dims from the last, this does not). */
export function pad(x: Tensor, pads: readonly (readonly [number, number])[], value = 0): Tensor {
  const y = padRaw(x, pads, value);
  return record(y, 'pad', [x], (g) => {
    const v = view(g, x.shape, g.strides, g.offset + pads.reduce((o, [b], i) => o + b * g.strides[i]!, 0));
    const c = mapN('pad.grad', [v], 'a');
    v.dispose();
    return [c];
  });
}
function padRaw(x: Tensor, pads: readonly (readonly [number, number])[], value: number): Tensor {
  if (pads.length !== x.ndim || pads.some(([b, e]) => b < 0 || e < 0)) throw new Error(`pad: need one non-negative [before, after] per dim of ${x}, got ${JSON.stringify(pads)}`);
  const shape = x.shape.map((d, i) => d + pads[i]![0] + pads[i]![1]);
  const out = empty(x.dev, shape, x.dtype, 'pad');
  const z = empty(x.dev, [], x.dtype, 'pad');
  mapN('pad', [z], `${x.dtype}(p.s0)`, { s0: value, shape, out });
  z.dispose();
  const inner = view(out, x.shape, out.strides, pads.reduce((o, [b], i) => o + b * out.strides[i]!, 0));
  if (x.numel) mapN('pad', [x], 'a', { out: inner });
  inner.dispose();
  return out;
}

/** Materialises a view into a fresh tensor and drops the view handle. */
function copyOf(v: Tensor): Tensor { const c = mapN('copy', [v], 'a'); v.dispose(); return c; }
