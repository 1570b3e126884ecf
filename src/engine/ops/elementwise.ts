// Elementwise ops (unary, binary with broadcasting, where, clamp), each with its gradient rule beside it.
import { Tensor, empty } from '../tensor.ts';
import { record } from '../autograd.ts';
import { mapN } from './map.ts';
import { sumTo } from './reduce.ts';
import type { DType } from '../dtype.ts';

type T = Tensor;
const f32Only = (op: string, ...xs: T[]) => { for (const x of xs) if (x.dtype !== 'f32') throw new Error(`${op}: expected f32 tensors, got ${x.dtype} for ${x}`); };

/** Reduces a broadcast gradient to `shape`, freeing the unreduced temporary (never g itself). */
function gradTo(t: T, shape: readonly number[], g: T): T {
  const r = sumTo(t, shape);
  if (r !== t && t !== g) t.dispose();
  return r;
}

// ---- binary ------------------------------------------------------------------------------------------------
/** Binary op table: WGSL forward expression and the gradient rule (g = output grad). */
const BINARY = {
  add: { f: 'a + b', ga: (g: T) => g, gb: (g: T) => g },
  sub: { f: 'a - b', ga: (g: T) => g, gb: (g: T) => mapN('sub.grad', [g], '-a') },
  mul: { f: 'a * b', ga: (g: T, a: T, b: T) => mapN('mul.grad', [g, b], 'a * b'), gb: (g: T, a: T) => mapN('mul.grad', [g, a], 'a * b') },
  div: { f: 'a / b', ga: (g: T, a: T, b: T) => mapN('div.grad', [g, b], 'a / b'), gb: (g: T, a: T, b: T) => mapN('div.grad', [g, a, b], '-a * b / (c * c)') },
  pow: { f: 'pow_pt(a, b)', ga: (g: T, a: T, b: T) => mapN('pow.grad', [g, a, b], 'a * c * pow_pt(b, c - 1.0)'),
    gb: (g: T, a: T, b: T) => mapN('pow.grad', [g, a, b], 'select(a * pow_pt(b, c) * log(b), 0.0, b <= 0.0)') },
  // PyTorch: ties split the gradient in half.
  maximum: { f: 'max(a, b)', ga: (g: T, a: T, b: T) => mapN('maximum.grad', [g, a, b], 'select(select(0.0, a, b > c), 0.5 * a, b == c)'),
    gb: (g: T, a: T, b: T) => mapN('maximum.grad', [g, a, b], 'select(select(0.0, a, c > b), 0.5 * a, b == c)') },
  minimum: { f: 'min(a, b)', ga: (g: T, a: T, b: T) => mapN('minimum.grad', [g, a, b], 'select(select(0.0, a, b < c), 0.5 * a, b == c)'),
    gb: (g: T, a: T, b: T) => mapN('minimum.grad', [g, a, b], 'select(select(0.0, a, c < b), 0.5 * a, b == c)') },
} as const;
export type BinaryOp = keyof typeof BINARY;

function binary(op: BinaryOp, a: T, b: T): T {
  const def = BINARY[op];
  if (a.dtype !== b.dtype) throw new Error(`${op}: dtype mismatch ${a} vs ${b}`);
  if (a.dtype !== 'f32' && (op === 'pow' || op === 'maximum' || op === 'minimum')) f32Only(op, a, b);
  const out = mapN(op, [a, b], def.f);
  return record(out, op, [a, b], (g) => [gradTo(def.ga(g, a, b) as T, a.shape, g), gradTo(def.gb(g, a, b) as T, b.shape, g)]);
}
export const add = (a: T, b: T) => binary('add', a, b);
export const sub = (a: T, b: T) => binary('sub', a, b);
export const mul = (a: T, b: T) => binary('mul', a, b);
export const div = (a: T, b: T) => binary('div', a, b);
export const pow = (a: T, b: T) => binary('pow', a, b);
export const maximum = (a: T, b: T) => binary('maximum', a, b);
export const minimum = (a: T, b: T) => binary('minimum', a, b);

// ---- unary -------------------------------------------------------------------------------------------------
/** Unary op table: forward expression over a (and scalars p.s0, p.s1); grad as (g, x, y) -> dx. */
const UNARY: Record<string, { f: string; g: (g: T, x: T, y: T) => T }> = {
  neg: { f: '-a', g: (g) => mapN('neg.grad', [g], '-a') },
  exp: { f: 'exp(a)', g: (g, x, y) => mapN('exp.grad', [g, y], 'a * b') },
  log: { f: 'log(a)', g: (g, x) => mapN('log.grad', [g, x], 'a / b') },
  sqrt: { f: 'sqrt(a)', g: (g, x, y) => mapN('sqrt.grad', [g, y], '0.5 * a / b') },
  rsqrt: { f: 'inverseSqrt(a)', g: (g, x, y) => mapN('rsqrt.grad', [g, y], '-0.5 * a * b * b * b') },
  abs: { f: 'abs(a)', g: (g, x) => mapN('abs.grad', [g, x], 'a * sign(b)') },
  tanh: { f: 'tanh_safe(a)', g: (g, x, y) => mapN('tanh.grad', [g, y], 'a * (1.0 - b * b)') },
  sigmoid: { f: 'sigmoid_safe(a)', g: (g, x, y) => mapN('sigmoid.grad', [g, y], 'a * b * (1.0 - b)') },
  silu: { f: 'silu_safe(a)', g: (g, x) => mapN('silu.grad', [g, x], 'a * (sigmoid_safe(b) * (1.0 + b * (1.0 - sigmoid_safe(b))))') },
  gelu: { f: 'gelu_tanh(a)', g: (g, x) => mapN('gelu.grad', [g, x], 'a * gelu_tanh_grad(b)') },
  relu: { f: 'max(a, 0.0)', g: (g, x) => mapN('relu.grad', [g, x], 'select(0.0, a, b > 0.0)') },
  square: { f: 'a * a', g: (g, x) => mapN('square.grad', [g, x], '2.0 * a * b') },
};
export type UnaryOp = 'neg' | 'exp' | 'log' | 'sqrt' | 'rsqrt' | 'abs' | 'tanh' | 'sigmoid' | 'silu' | 'gelu' | 'relu' | 'square';

export function unary(op: UnaryOp, x: T): T {
  f32Only(op, x);
  const def = UNARY[op]!;
  const y = mapN(op, [x], def.f);
  return record(y, op, [x], (g) => [def.g(g, x, y)]);
}
export const neg = (x: T) => unary('neg', x);
export const exp = (x: T) => unary('exp', x);
export const log = (x: T) => unary('log', x);
export const sqrt = (x: T) => unary('sqrt', x);
export const rsqrt = (x: T) => unary('rsqrt', x);
export const abs = (x: T) => unary('abs', x);
export const tanh = (x: T) => unary('tanh', x);
export const sigmoid = (x: T) => unary('sigmoid', x);
export const silu = (x: T) => unary('silu', x);
export const gelu = (x: T) => unary('gelu', x);
export const relu = (x: T) => unary('relu', x);
export const square = (x: T) => unary('square', x);

// ---- with scalars --------------------------------------------------------------------------------------------
/** x * s + t (scale-and-shift by scalars); grad g * s. */
export function affine(x: T, s: number, t = 0): T {
  f32Only('affine', x);
  const y = mapN('affine', [x], 'a * p.s0 + p.s1', { s0: s, s1: t });
  return record(y, 'affine', [x], (g) => [mapN('affine.grad', [g], 'a * p.s0', { s0: s })]);
}
export const mulScalar = (x: T, s: number) => affine(x, s, 0);
export const addScalar = (x: T, t: number) => affine(x, 1, t);
/** x ** e for a scalar exponent (PyTorch pow(tensor, number)). */
export function powScalar(x: T, e: number): T {
  f32Only('powScalar', x);
  const y = mapN('powScalar', [x], 'pow_pt(a, p.s0)', { s0: e });
  return record(y, 'powScalar', [x], (g) => [mapN('powScalar.grad', [g, x], 'a * p.s1 * pow_pt(b, p.s0)', { s0: e - 1, s1: e })]);
}
/** clamp(x, lo, hi); gradient passes where lo <= x <= hi (PyTorch's mask). */
export function clamp(x: T, lo = -Infinity, hi = Infinity): T {
  f32Only('clamp', x);
  const L = Math.max(lo, -3.4e38), H = Math.min(hi, 3.4e38);
  const y = mapN('clamp', [x], 'clamp(a, p.s0, p.s1)', { s0: L, s1: H });
  return record(y, 'clamp', [x], (g) => [mapN('clamp.grad', [g, x], 'select(0.0, a, b >= p.s0 && b <= p.s1)', { s0: L, s1: H })]);
}

// ---- where / comparisons / casts -----------------------------------------------------------------------------
/** cond ? a : b, cond nonzero = true (f32 mask); gradients flow to a and b only. */
export function where(cond: T, a: T, b: T): T {
  f32Only('where', cond, a, b);
  const y = mapN('where', [cond, a, b], 'select(c, b, a != 0.0)');
  return record(y, 'where', [a, b], (g) => [
    gradTo(mapN('where.grad', [cond, g], 'select(0.0, b, a != 0.0)'), a.shape, g),
    gradTo(mapN('where.grad', [cond, g], 'select(b, 0.0, a != 0.0)'), b.shape, g),
  ]);
}
const CMP = { gt: '>', ge: '>=', lt: '<', le: '<=', eq: '==', ne: '!=' } as const;
/** Comparison as an f32 mask of 0/1 (no gradient). */
export function compare(op: keyof typeof CMP, a: T, b: T): T {
  return mapN(op, [a, b], `select(0.0, 1.0, a ${CMP[op]} b)`, { dtype: 'f32' });
}
export function cast(x: T, dtype: DType): T {
  if (x.dtype === dtype) return mapN('cast', [x], 'a');
  return mapN('cast', [x], `${dtype}(a)`, { dtype });
}
export function fill(dev: T['dev'], shape: readonly number[], value: number, dtype: DType = 'f32'): T {
  const out = empty(dev, shape, dtype, 'fill');
  // A 1-element source broadcast over the output; the value travels as a scalar param.
  const src = empty(dev, [], 'f32', 'fill');
  mapN('fill', [src], `${dtype}(p.s0)`, { dtype, s0: value, shape, out });
  src.dispose();
  return out;
}
