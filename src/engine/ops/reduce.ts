// Reductions along axes (sum, mean, max, min, argmax, variance) and sumTo, the broadcast-gradient reducer.
import { Tensor, empty } from '../tensor.ts';
import { record } from '../autograd.ts';
import { normAxis, numel, fmt, sameShape } from '../shape.ts';
import { reshape } from './movement.ts';
import { mapN } from './map.ts';

type Axes = number | readonly number[] | undefined;
const MODES = { sum: 0, max: 1, min: 2, argmax: 3 } as const;

function axesOf(op: string, x: Tensor, axes: Axes): number[] {
  if (axes === undefined) return x.shape.map((_, i) => i);
  const list = typeof axes === 'number' ? [axes] : [...axes];
  const out = [...new Set(list.map((a) => normAxis(op, a, x.ndim)))].sort((a, b) => a - b);
  return out;
}
function outShape(x: Tensor, axes: number[], keepdim: boolean) {
  return keepdim ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !axes.includes(i));
}

/** Raw reduction kernel launch (no autograd), counted under `op` (e.g. linear's bias gradient, a column sum). */
export function reduceRaw(op: string, mode: keyof typeof MODES, x: Tensor, axes: number[], keepdim: boolean): Tensor {
  x.assertLive(op);
  if (x.dtype !== 'f32') throw new Error(`${op}: expected an f32 tensor, got ${x}`);
  const kept = x.shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const shape = outShape(x, axes, keepdim);
  const out = empty(x.dev, shape, mode === 'argmax' ? 'i32' : 'f32', op);
  const nOut = numel(kept.map((i) => x.shape[i]!)), rLen = numel(axes.map((i) => x.shape[i]!));
  if (nOut === 0) return out;
  if (rLen === 0) throw new Error(`${op}: cannot reduce over an empty dimension of ${x}`);
  if (kept.length > 8 || axes.length > 8) throw new Error(`${op}: rank above 8 is not supported`);
  x.dev.counter?.op(op, 'elementwise', 0, 4 * (nOut * rLen + nOut), { n: nOut, r: rLen });
  if (mode === 'sum' && x.isContiguous) {
    // Kept dims consecutive (or none): x is [outer, nOut, inner], summed by reduce/reduce_blocks.
    const k0 = kept[0] ?? x.ndim, k1 = kept.length ? kept[kept.length - 1]! + 1 : x.ndim;
    if (k1 - k0 === kept.length) {
      const outer = numel(x.shape.slice(0, k0)), inner = numel(x.shape.slice(k1));
      sumBlocks(op, x, 1, outer, nOut, inner, out);
      return out;
    }
    // Kept leading dims, reduced dims, kept dims, reduced dims (e.g. [B, L, C] over L): [batch, outer, nOut, inner].
    const runs = [0];
    for (let d = 1; d < x.ndim; d++) if (kept.includes(d) !== kept.includes(d - 1)) runs.push(d);
    if (kept.includes(0) && runs.length <= 4) {
      const [, r1 = x.ndim, r2 = x.ndim, r3 = x.ndim] = runs, size = (a: number, b: number) => numel(x.shape.slice(a, b));
      sumBlocks(op, x, size(0, r1), size(r1, r2), size(r2, r3), size(r3, x.ndim), out);
      return out;
    }
  }
  const pad8 = (v: number[]) => [...v, ...new Array(8 - v.length).fill(0)];
  const xs = x.window(op, x.offset, x.offset + 1 + x.shape.reduce((e, d, i) => e + (d - 1) * x.strides[i]!, 0));
  const os = out.binding(op);
  const p = { n_out: nOut, r_len: rLen, k_rank: kept.length, r_rank: axes.length, x_base: xs.base, out_base: 0, pad0: 0, pad1: 0,
    kshape: pad8(kept.map((i) => x.shape[i]!)), kstride: pad8(kept.map((i) => x.strides[i]!)),
    rshape: pad8(axes.map((i) => x.shape[i]!)), rstride: pad8(axes.map((i) => x.strides[i]!)) };
  x.dev.run({ kernel: 'reduce/reduce', defines: { MODE: MODES[mode], TO: mode === 'argmax' ? 'i32' : 'f32' }, bindings: [xs.binding, os], params: p, workgroups: x.dev.grid(nOut, 1) });
  return out;
}

/** Fewest positions per partial sum; and the invocations a pass aims for (both CPU threads of lavapipe busy). */
const BLOCK_MIN_CHUNK = 512, BLOCK_TARGET = 512;

/**
 * out[z, j] = Σ x[z, a, j, b] for a contiguous x viewed as [batch, outer, nOut, inner] (reduce/reduce_blocks): a long
 * reduction is split into partial sums, summed by another pass (batch 1, outer 1, inner = partials per output) until
 * one is left.
 */
function sumBlocks(op: string, x: Tensor, batch: number, outer: number, nOut: number, inner: number, out: Tensor) {
  const r = outer * inner, outs = batch * nOut;
  let nChunks = outs >= BLOCK_TARGET ? 1 : Math.max(1, Math.min(Math.ceil(BLOCK_TARGET / outs), Math.ceil(r / BLOCK_MIN_CHUNK)));
  const chunk = Math.ceil(r / nChunks);
  nChunks = Math.ceil(r / chunk);
  const dst = nChunks === 1 ? out : empty(x.dev, [outs * nChunks], 'f32', op);
  const xs = x.window(op, x.offset, x.offset + x.numel), os = dst.binding(op);
  x.dev.run({ kernel: 'reduce/reduce_blocks', bindings: [xs.binding, os],
    params: { n_out: nOut, outer, inner, chunk, n_chunks: nChunks, x_base: xs.base, batch, pad1: 0 },
    workgroups: x.dev.grid(outs * nChunks, 64) });
  if (dst === out) return;
  sumBlocks(op, dst, 1, 1, outs, nChunks, out);
  dst.dispose();
}

export function sum(x: Tensor, axes?: Axes, keepdim = false): Tensor {
  const ax = axesOf('sum', x, axes);
  const y = reduceRaw('sum', 'sum', x, ax, keepdim);
  return record(y, 'sum', [x], (g) => {
    const gk = reshape(g, outShape(x, ax, true));
    const r = mapN('sum.grad', [gk], 'a', { shape: x.shape });
    if (gk !== g) gk.dispose();
    return [r];
  });
}
export function mean(x: Tensor, axes?: Axes, keepdim = false): Tensor {
  const ax = axesOf('mean', x, axes);
  const n = numel(ax.map((i) => x.shape[i]!));
  const s = reduceRaw('mean', 'sum', x, ax, keepdim);
  const y = mapN('mean', [s], 'a * p.s0', { s0: 1 / n });
  s.dispose();
  return record(y, 'mean', [x], (g) => {
    const gk = reshape(g, outShape(x, ax, true));
    const r = mapN('mean.grad', [gk], 'a * p.s0', { s0: 1 / n, shape: x.shape });
    if (gk !== g) gk.dispose();
    return [r];
  });
}
/** max over axes (amax semantics: ties share the gradient equally, as torch.amax). */
export function max(x: Tensor, axes?: Axes, keepdim = false): Tensor { return extremum('max', x, axes, keepdim); }
export function min(x: Tensor, axes?: Axes, keepdim = false): Tensor { return extremum('min', x, axes, keepdim); }
function extremum(mode: 'max' | 'min', x: Tensor, axes: Axes, keepdim: boolean): Tensor {
  const ax = axesOf(mode, x, axes);
  const y = reduceRaw(mode, mode, x, ax, keepdim);
  return record(y, mode, [x], (g) => {
    const yk = reshape(y, outShape(x, ax, true)), gk = reshape(g, outShape(x, ax, true));
    const mask = mapN(`${mode}.grad`, [x, yk], 'select(0.0, 1.0, a == b)');
    const cnt = reduceRaw(`${mode}.grad`, 'sum', mask, ax, true);
    const r = mapN(`${mode}.grad`, [mask, gk, cnt], 'a * b / c');
    for (const t of [mask, cnt]) t.dispose();
    if (yk !== y) yk.dispose();
    if (gk !== g) gk.dispose();
    return [r];
  });
}
/** Index of the first maximum along one axis (i32, no gradient). */
export function argmax(x: Tensor, axis: number, keepdim = false): Tensor {
  return reduceRaw('argmax', 'argmax', x, [normAxis('argmax', axis, x.ndim)], keepdim);
}
/** Variance with Bessel's correction by default (torch.var(correction=1)). */
export function variance(x: Tensor, axes?: Axes, keepdim = false, correction = 1): Tensor {
  const ax = axesOf('variance', x, axes);
  const n = numel(ax.map((i) => x.shape[i]!));
  const m = mean(x, ax, true);
  const d = mapN('variance', [x, m], '(a - b) * (a - b)');
  const s = reduceRaw('variance', 'sum', d, ax, keepdim);
  const y = mapN('variance', [s], 'a * p.s0', { s0: 1 / Math.max(n - correction, 0) });
  for (const t of [d, s]) t.dispose();
  return record(y, 'variance', [x], (g) => {
    const gk = reshape(g, outShape(x, ax, true));
    const r = mapN('variance.grad', [gk, x, m], '2.0 * p.s0 * a * (b - c)', { s0: 1 / Math.max(n - correction, 0) });
    if (gk !== g) gk.dispose();
    return [r];
  });
}

/** Sums x down to `shape` (the reverse of broadcasting). Returns x itself when the shapes already match. */
export function sumTo(x: Tensor, shape: readonly number[]): Tensor {
  if (sameShape(x.shape, shape)) return x;
  const off = x.ndim - shape.length;
  if (off < 0) throw new Error(`sumTo: cannot reduce ${x} to ${fmt(shape)}`);
  const axes = x.shape.map((d, i) => i).filter((i) => i < off || (shape[i - off] === 1 && x.shape[i] !== 1));
  const s = sum(x, axes, true);
  const r = reshape(s, shape);
  if (r !== s) s.dispose();
  return r;
}
