// Rng: seeded counter-based random numbers (Philox-4x32-10) generated on the GPU, with a bit-identical CPU mirror.
import { empty, type Tensor } from './tensor.ts';
import type { Device } from './runtime/device.ts';
import { numel, fmt } from './shape.ts';
import { slabRanges } from './ops/rows.ts';

const M0 = 0xd2511f53, M1 = 0xcd9e8d57, W0 = 0x9e3779b9, W1 = 0xbb67ae85;
const U64 = (1n << 64n) - 1n;
const f32 = Math.fround;
const TWO_PI_F32 = f32(2 * Math.PI), PI_F32 = f32(Math.PI), TWO_M24 = 2 ** -24;

/** High 32 bits of the 64-bit product of two u32 (exact in doubles: b split into 16-bit halves). */
function mulhi(a: number, b: number): number {
  const t = a * (b & 0xffff);
  return Math.floor((a * (b >>> 16) + Math.floor(t / 65536)) / 65536) >>> 0;
}

/** One Philox-4x32-10 block for counter (c0, c1, c2, c3) and key (k0, k1), as kernels/rng/philox.wgsl computes it. */
export function philoxBlock(c0: number, c1: number, c2: number, c3: number, k0: number, k1: number, out = new Uint32Array(4)): Uint32Array {
  for (let r = 0; r < 10; r++) {
    const hi0 = mulhi(M0, c0), lo0 = Math.imul(M0, c0) >>> 0;
    const hi1 = mulhi(M1, c2), lo1 = Math.imul(M1, c2) >>> 0;
    [c0, c1, c2, c3] = [(hi1 ^ c1 ^ k0) >>> 0, lo1, (hi0 ^ c3 ^ k1) >>> 0, lo0];
    k0 = (k0 + W0) >>> 0; k1 = (k1 + W1) >>> 0;
  }
  out[0] = c0; out[1] = c1; out[2] = c2; out[3] = c3;
  return out;
}

const MODES = { uniform: 0, normal: 1, randint: 2 } as const;
type Mode = keyof typeof MODES;

/**
 * A seeded stream of random numbers: value j of the stream is lane j % 4 of Philox-4x32-10 at block counter
 * j / 4 under the 64-bit key `seed`. Each draw starts at a fresh block and advances the counter by ceil(n / 4)
 * blocks, so the same seed and the same sequence of draws give the same numbers on every run and every adapter.
 * The GPU methods generate on the device; the `...Host` methods compute the same values on the CPU (uniform and
 * randint bit-identical; normal to f32 rounding of log / cos / sin) and advance the same counter.
 */
export class Rng {
  readonly seed: bigint;
  private k0: number; private k1: number;
  private ctr = 0n;

  constructor(seed: number | bigint) {
    if (typeof seed === 'number' && !Number.isSafeInteger(seed)) throw new Error(`Rng: seed must be an integer, got ${seed}`);
    this.seed = BigInt.asUintN(64, BigInt(seed));
    this.k0 = Number(this.seed & 0xffffffffn); this.k1 = Number(this.seed >> 32n);
  }
  /** Blocks (of 4 values) consumed so far. */
  get counter(): bigint { return this.ctr; }

  /** Uniform f32 in [lo, hi): lo + (hi - lo) * u with u a multiple of 2^-24 in [0, 1). */
  uniform(dev: Device, shape: readonly number[], lo = 0, hi = 1): Tensor { return this.draw(dev, 'uniform', shape, lo, hi); }
  /** Normal f32 (Box-Muller): mean + std * z. */
  normal(dev: Device, shape: readonly number[], mean = 0, std = 1): Tensor { return this.draw(dev, 'normal', shape, mean, std); }
  /** Integers (i32) in [lo, hi): lo + floor(x * (hi - lo) / 2^32) for x a random u32 (bias below (hi - lo) / 2^32). */
  randint(dev: Device, shape: readonly number[], lo: number, hi: number): Tensor { return this.draw(dev, 'randint', shape, lo, hi); }

  uniformHost(n: number, lo = 0, hi = 1): Float32Array {
    const out = new Float32Array(n), a = f32(lo), span = f32(f32(hi) - a);
    this.words(n, (x, i) => { if (i < n) out[i] = f32(a + f32(span * unit(x))); });
    return out;
  }
  normalHost(n: number, mean = 0, std = 1): Float32Array {
    const out = new Float32Array(n), m = f32(mean), s = f32(std);
    let r = 0;
    this.words(n, (x, i) => {
      if (i % 2 === 0) { r = Math.sqrt(-2 * Math.log1p(-(0xffffff - (x >>> 8)) * TWO_M24)); return; }
      const th = f32(f32(TWO_PI_F32 * unit(x)) - PI_F32);
      if (i - 1 < n) out[i - 1] = f32(m + f32(s * f32(r * Math.cos(th))));
      if (i < n) out[i] = f32(m + f32(s * f32(r * Math.sin(th))));
    });
    return out;
  }
  randintHost(n: number, lo: number, hi: number): Int32Array {
    const range = checkRange(lo, hi), out = new Int32Array(n);
    this.words(n, (x, i) => { if (i < n) out[i] = (lo + (range === 0 ? x : mulhi(x, range))) | 0; });
    return out;
  }

  /** Calls f(word, i) for every word i of the ceil(n / 4) blocks a draw of n values consumes, then advances. */
  private words(n: number, f: (x: number, i: number) => void) {
    const blocks = Math.ceil(n / 4), out = new Uint32Array(4);
    for (let b = 0; b < blocks; b++) {
      const c = (this.ctr + BigInt(b)) & U64;
      philoxBlock(Number(c & 0xffffffffn), Number(c >> 32n), 0, 0, this.k0, this.k1, out);
      for (let l = 0; l < 4; l++) f(out[l]!, 4 * b + l);
    }
    this.ctr = (this.ctr + BigInt(blocks)) & U64;
  }

  private draw(dev: Device, mode: Mode, shape: readonly number[], a: number, b: number): Tensor {
    const op = `Rng.${mode}`;
    for (const d of shape) if (!Number.isInteger(d) || d < 0) throw new Error(`${op}: invalid shape ${fmt(shape)}`);
    const range = mode === 'randint' ? checkRange(a, b) : 0;
    const out = empty(dev, shape, mode === 'randint' ? 'i32' : 'f32', op);
    const n = numel(shape), blocks = Math.ceil(n / 4);
    dev.counter?.op(op, 'other', 0, 4 * n);
    // Split large outputs into binding-sized dispatches of whole blocks (4 values each).
    for (const [b0, b1] of slabRanges(op, dev, blocks, 4)) {
      const w = out.window(op, 4 * b0, Math.min(n, 4 * b1));
      const c = (this.ctr + BigInt(b0)) & U64;
      const p = { n: Math.min(n, 4 * b1) - 4 * b0, ctr_lo: Number(c & 0xffffffffn), ctr_hi: Number(c >> 32n), key0: this.k0, key1: this.k1,
        a: mode === 'randint' ? 0 : a, b: mode === 'randint' ? 0 : b, ilo: mode === 'randint' ? a : 0, range, out_base: w.base };
      dev.run({ kernel: 'rng/philox', defines: { MODE: MODES[mode], TO: mode === 'randint' ? 'i32' : 'f32' }, bindings: [w.binding], params: p, workgroups: dev.grid(b1 - b0, 64) });
    }
    this.ctr = (this.ctr + BigInt(blocks)) & U64;
    return out;
  }
}

/** u32 → [0, 1) in steps of 2^-24 (exact in f32). */
function unit(x: number): number { return (x >>> 8) * TWO_M24; }

/** hi - lo as the kernel's u32 range (0 encodes 2^32). */
function checkRange(lo: number, hi: number): number {
  if (!Number.isInteger(lo) || !Number.isInteger(hi) || lo < -(2 ** 31) || hi > 2 ** 31 || hi <= lo)
    throw new Error(`Rng.randint: need integers -2^31 <= lo < hi <= 2^31, got [${lo}, ${hi})`);
  return (hi - lo) >>> 0;
}
