// IEEE half (f16) and bfloat16 conversions, the engine's one implementation: bits <-> f32, round to nearest even.

let f16Table: Float32Array | undefined; // decode table, built on first use (a pure function of the bit pattern)
function table(): Float32Array {
  if (f16Table) return f16Table;
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const s = h & 0x8000 ? -1 : 1, e = (h >>> 10) & 0x1f, m = h & 0x3ff;
    t[h] = e === 0 ? s * m * 2 ** -24 : e === 31 ? (m ? NaN : s * Infinity) : s * (1 + m / 1024) * 2 ** (e - 15);
  }
  return (f16Table = t);
}

/** IEEE half bits -> the number they encode (exact). */
export function f16ToF32(h: number): number { return table()[h & 0xffff]!; }

/** Half bits -> Float32Array, element by element. */
export function f16BitsToF32(h: Uint16Array): Float32Array {
  const t = table(), out = new Float32Array(h.length);
  for (let i = 0; i < h.length; i++) out[i] = t[h[i]!]!;
  return out;
}

const scratchF = new Float32Array(1), scratchU = new Uint32Array(scratchF.buffer);

/** float32 -> IEEE half bits, round to nearest even (subnormals, overflow to inf, NaN kept quiet). */
export function f32ToF16Bits(v: number): number {
  scratchF[0] = v;
  const u = scratchU[0]!;
  const sign = (u >>> 16) & 0x8000, exp = (u >>> 23) & 0xff;
  let mant = u & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 | (mant >>> 13) : 0);
  const e = exp - 112; // rebias 127 -> 15
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e, mid = 1 << (shift - 1), rem = mant & ((1 << shift) - 1);
    let h = mant >>> shift;
    if (rem > mid || (rem === mid && h & 1)) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && h & 1)) h++; // a carry into the exponent is the correct rounding
  return sign | h;
}

/** float32 -> bfloat16 bits, round to nearest even (NaN kept quiet). */
export function f32ToBf16Bits(v: number): number {
  scratchF[0] = v;
  const u = scratchU[0]!;
  if ((u & 0x7f800000) === 0x7f800000 && u & 0x7fffff) return ((u >>> 16) & 0x8000) | 0x7fc0;
  return ((u + 0x7fff + ((u >>> 16) & 1)) >>> 16) & 0xffff;
}
