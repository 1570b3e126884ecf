// Data types: element sizes, WGSL names and TypedArray constructors.
import { f16BitsToF32 } from './half.ts';
export type DType = 'f32' | 'i32' | 'u32' | 'f16';
export type TypedArrayOf<D extends DType> = D extends 'i32' ? Int32Array : D extends 'u32' ? Uint32Array : Float32Array;
export const BYTES: Record<DType, number> = { f32: 4, i32: 4, u32: 4, f16: 2 };
export const WGSL_TYPE: Record<DType, string> = { f32: 'f32', i32: 'i32', u32: 'u32', f16: 'f16' };
export function arrayFor(dtype: DType, buf: ArrayBuffer, n: number): Float32Array | Int32Array | Uint32Array {
  switch (dtype) {
    case 'f32': return new Float32Array(buf, 0, n);
    case 'i32': return new Int32Array(buf, 0, n);
    case 'u32': return new Uint32Array(buf, 0, n);
    case 'f16': return f16BitsToF32(new Uint16Array(buf, 0, n));
  }
}
