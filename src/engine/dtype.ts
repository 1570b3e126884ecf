// Data types: element sizes, WGSL names and TypedArray constructors.
export type DType = 'f32' | 'i32' | 'u32' | 'f16';
export type TypedArrayOf<D extends DType> = D extends 'i32' ? Int32Array : D extends 'u32' ? Uint32Array : Float32Array;
export const BYTES: Record<DType, number> = { f32: 4, i32: 4, u32: 4, f16: 2 };
export const WGSL_TYPE: Record<DType, string> = { f32: 'f32', i32: 'i32', u32: 'u32', f16: 'f16' };
export function arrayFor(dtype: DType, buf: ArrayBuffer, n: number): Float32Array | Int32Array | Uint32Array {
  switch (dtype) {
    case 'f32': return new Float32Array(buf, 0, n);
    case 'i32': return new Int32Array(buf, 0, n);
    case 'u32': return new Uint32Array(buf, 0, n);
    case 'f16': { const h = new Uint16Array(buf, 0, n), o = new Float32Array(n); for (let i = 0; i < n; i++) o[i] = f16ToF32(h[i]!); return o; }
  }
}
export function f16ToF32(h: number): number {
  const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 31, m = h & 1023;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}
export function f32ToF16(v: number): number {
  const f = new Float32Array([v]), u = new Uint32Array(f.buffer)[0]!;
  const s = (u >>> 16) & 0x8000; let e = ((u >>> 23) & 255) - 127 + 15; let m = u & 0x7fffff;
  if (((u >>> 23) & 255) === 255) return s | 0x7c00 | (m ? 0x200 : 0);
  if (e >= 31) return s | 0x7c00;
  if (e <= 0) { if (e < -10) return s; m |= 0x800000; const sh = 14 - e; let r = m >> sh; if ((m >> (sh - 1)) & 1 && ((m & ((1 << (sh - 1)) - 1)) || r & 1)) r++; return s | r; }
  let r = (e << 10) | (m >> 13); if ((m >> 12) & 1 && ((m & 0xfff) || r & 1)) r++; return s | r;
}
