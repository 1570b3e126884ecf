// StreamRng: the data pipeline's host-side random streams (crops, degradations), splittable per sample, built on the
// engine's Philox-4x32-10 block (engine/rng.ts, whose Rng draws tensors on the GPU): uniform/normal/int/poisson.

import { philoxBlock } from '../../engine/index.ts';

const TWO_M32 = 2 ** -32, TWO_M53 = 2 ** -53;

/** One Philox4x32-10 block (the engine's CPU mirror of kernels/rng/philox.wgsl): 4 counter words, 2 key words -> `out`. */
export const philox4x32 = philoxBlock;

/** FNV-1a over UTF-16 code units, then a murmur3 finaliser: a stable 32-bit hash of a string label. */
export function hashString32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  h ^= h >>> 16; h = Math.imul(h, 0x85ebca6b); h ^= h >>> 13; h = Math.imul(h, 0xc2b2ae35); h ^= h >>> 16;
  return h >>> 0;
}

function labelWords(label: number | string): [number, number] {
  if (typeof label === 'string') return [hashString32(label), hashString32('\u0001' + label)];
  if (!Number.isFinite(label) || Math.floor(label) !== label) return labelWords(String(label));
  const lo = label >>> 0, hi = Math.floor(label / 4294967296) >>> 0;
  return [lo, hi];
}

// log(k!) for small k, computed once (pure data, not RNG state).
const LOG_FACT: Float64Array = (() => {
  const t = new Float64Array(1024);
  for (let k = 2; k < t.length; k++) t[k] = t[k - 1] + Math.log(k);
  return t;
})();
function logFactorial(k: number): number {
  if (k < LOG_FACT.length) return LOG_FACT[k];
  const x = k + 1; // Stirling series for lgamma(x)
  return (x - 0.5) * Math.log(x) - x + 0.5 * Math.log(2 * Math.PI) + 1 / (12 * x) - 1 / (360 * x ** 3) + 1 / (1260 * x ** 5);
}

/**
 * Deterministic random stream on the host (the engine's `Rng` draws GPU tensors). State = (key, 64-bit block counter). `split(label)` derives an independent
 * child stream from the key and a label WITHOUT advancing the parent, so per-sample streams do not depend on
 * the order in which samples are produced (prefetch-safe).
 */
export class StreamRng {
  private k0: number; private k1: number;
  private ctrLo = 0; private ctrHi = 0;
  private readonly buf = new Uint32Array(4);
  private bufPos = 4;
  private spareNormal: number | null = null;

  constructor(k0: number, k1: number) { this.k0 = k0 >>> 0; this.k1 = k1 >>> 0; }

  /** A stream from a user seed (integer up to 2^53, or any string). */
  static fromSeed(seed: number | string): StreamRng {
    const [a, b] = labelWords(seed);
    const out = new Uint32Array(4);
    philox4x32(a, b, 0x5eed, 0, 0x243f6a88, 0x85a308d3, out);
    return new StreamRng(out[0], out[1]);
  }

  /** Independent child stream keyed by `label`; the parent is not advanced. */
  split(label: number | string): StreamRng {
    const [a, b] = labelWords(label);
    const out = new Uint32Array(4);
    philox4x32(a, b, 0xc0ffee, 0x5b117, this.k0, this.k1, out);
    return new StreamRng(out[0] ^ out[2], out[1] ^ out[3]);
  }

  /** The key words (for logging / handing a stream to another implementation, e.g. a GPU noise kernel). */
  get key(): [number, number] { return [this.k0, this.k1]; }

  nextU32(): number {
    if (this.bufPos === 4) {
      philox4x32(this.ctrLo, this.ctrHi, 0, 0, this.k0, this.k1, this.buf);
      this.ctrLo = (this.ctrLo + 1) >>> 0;
      if (this.ctrLo === 0) this.ctrHi = (this.ctrHi + 1) >>> 0;
      this.bufPos = 0;
    }
    return this.buf[this.bufPos++];
  }

  /** Uniform double in [0, 1) with 53 random bits, or in [lo, hi) when bounds are given. */
  uniform(lo = 0, hi = 1): number {
    const a = this.nextU32() >>> 5, b = this.nextU32() >>> 6;
    const u = (a * 67108864 + b) * TWO_M53;
    return lo + (hi - lo) * u;
  }

  /** Uniform in [0,1) with 32 random bits (cheaper; for bulk noise). */
  uniform32(): number { return this.nextU32() * TWO_M32; }

  /** Integer uniform in [0, n) (unbiased, rejection sampling). */
  int(n: number): number {
    if (!(n >= 1) || n > 4294967296 || Math.floor(n) !== n) throw new Error(`StreamRng.int: bad n ${n}`);
    if (n === 1) return 0;
    const limit = 4294967296 - (4294967296 % n);
    for (;;) { const x = this.nextU32(); if (x < limit) return x % n; }
  }

  /** Integer uniform in [lo, hi] inclusive. */
  intRange(lo: number, hi: number): number { return lo + this.int(hi - lo + 1); }

  bernoulli(p: number): boolean { return this.uniform() < p; }

  /** Index drawn with probability proportional to `weights`. */
  choice(weights: readonly number[]): number {
    let total = 0;
    for (const w of weights) total += w;
    let u = this.uniform() * total;
    for (let i = 0; i < weights.length; i++) { u -= weights[i]; if (u < 0) return i; }
    return weights.length - 1;
  }

  /** Standard normal (Box-Muller, second value cached) times std plus mean. */
  normal(mean = 0, std = 1): number {
    if (this.spareNormal !== null) { const z = this.spareNormal; this.spareNormal = null; return mean + std * z; }
    let u = 0;
    do u = this.uniform(); while (u === 0);
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u)), th = 2 * Math.PI * v;
    this.spareNormal = r * Math.sin(th);
    return mean + std * r * Math.cos(th);
  }

  /** Fill `out` with N(0, std^2) samples (32-bit uniforms; faster than repeated normal()). */
  fillNormal(out: Float32Array, std = 1): Float32Array {
    const n = out.length;
    for (let i = 0; i < n; i += 2) {
      const u = (this.nextU32() + 1) * TWO_M32 * (1 - 1e-12), v = this.nextU32() * TWO_M32;
      const r = std * Math.sqrt(-2 * Math.log(u)), th = 2 * Math.PI * v;
      out[i] = r * Math.cos(th);
      if (i + 1 < n) out[i + 1] = r * Math.sin(th);
    }
    return out;
  }

  /** Poisson(lambda): Knuth's product method below 10, Hörmann's PTRS transformed rejection above. */
  poisson(lambda: number): number {
    if (!(lambda > 0)) return 0;
    if (lambda < 10) {
      const L = Math.exp(-lambda);
      let k = 0, p = this.uniform32();
      while (p > L) { k++; p *= this.uniform32(); }
      return k;
    }
    const slam = Math.sqrt(lambda), loglam = Math.log(lambda);
    const b = 0.931 + 2.53 * slam, a = -0.059 + 0.02483 * b;
    const invalpha = 1.1239 + 1.1328 / (b - 3.4), vr = 0.9277 - 3.6224 / (b - 2);
    for (;;) {
      const U = this.uniform() - 0.5, V = this.uniform();
      const us = 0.5 - Math.abs(U);
      const k = Math.floor((2 * a / us + b) * U + lambda + 0.43);
      if (us >= 0.07 && V <= vr) return k;
      if (k < 0 || (us < 0.013 && V > us)) continue;
      if (Math.log(V) + Math.log(invalpha) - Math.log(a / (us * us) + b) <= -lambda + k * loglam - logFactorial(k)) return k;
    }
  }

  /** In-place Fisher-Yates shuffle; returns the array. */
  shuffle<T>(arr: T[]): T[] {
    for (let i = arr.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = arr[i]; arr[i] = arr[j]; arr[j] = t;
    }
    return arr;
  }
}
