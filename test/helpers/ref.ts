// Plain CPU references in f64 for op tests: host arrays, broadcasting, seeded inputs, closeness checks, gradients.
import * as assert from 'uvu/assert';
import { Tensor, fromArray, backward, ops, type Device } from '../../src/engine/index.ts';

export interface Host { shape: number[]; data: Float64Array }
export const numel = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
export function host(shape: number[], data: ArrayLike<number>): Host { return { shape, data: Float64Array.from(data) }; }

/** Deterministic pseudo-random values in [lo, hi) (mulberry32). */
export function rand(shape: number[], seed: number, lo = -1, hi = 1): Host {
  let a = seed >>> 0;
  const next = () => { a = (a + 0x6d2b79f5) >>> 0; let t = a; t = Math.imul(t ^ (t >>> 15), t | 1); t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
  const d = new Float64Array(numel(shape));
  for (let i = 0; i < d.length; i++) d[i] = lo + (hi - lo) * next();
  return { shape, data: d };
}
export const toGpu = (dev: Device, h: Host) => fromArray(dev, Float32Array.from(h.data), h.shape);
/** [C, B, H, W] → [B, C, H, W] on the host (the reference for ops.permute(x, [1, 0, 2, 3]) feeding an NCHW op). */
export function swapCB(h: Host): Host {
  const [C, B, H, W] = h.shape as [number, number, number, number];
  const d = new Float64Array(h.data.length);
  for (let c = 0; c < C; c++) for (let n = 0; n < B; n++) for (let i = 0; i < H * W; i++) d[(n * C + c) * H * W + i] = h.data[(c * B + n) * H * W + i]!;
  return { shape: [B, C, H, W], data: d };
}

/** Broadcast shape of two shapes (numpy rules). */
export function bshape(a: number[], b: number[]): number[] {
  const r = Math.max(a.length, b.length), out: number[] = [];
  for (let i = 0; i < r; i++) { const x = a[a.length - r + i] ?? 1, y = b[b.length - r + i] ?? 1; out.push(x === 1 ? y : x); }
  return out;
}
/** Index into `h` for flat index i of a (broadcast) output shape. */
export function bidx(h: Host, out: number[], i: number): number {
  let o = 0, stride = 1;
  for (let d = out.length - 1; d >= 0; d--) {
    const k = i % out[d]!; i = Math.floor(i / out[d]!);
    const hd = d - (out.length - h.shape.length);
    if (hd >= 0) { if (h.shape[hd] !== 1) o += k * stride; stride *= h.shape[hd]!; }
  }
  return o;
}
/** out[i] = f(a[..], b[..], c[..]) with broadcasting. */
export function refMap(f: (...v: number[]) => number, ...xs: Host[]): Host {
  const shape = xs.map((x) => x.shape).reduce(bshape);
  const d = new Float64Array(numel(shape));
  for (let i = 0; i < d.length; i++) d[i] = f(...xs.map((x) => x.data[bidx(x, shape, i)]!));
  return { shape, data: d };
}

/** llm.c-style check: |a - e| <= atol + rtol |e|; prints the first mismatches. */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, atol = 1e-5, rtol = 1e-4) {
  assert.is(actual.length, expected.length, `${what}: length`);
  let bad = 0; const lines: string[] = [];
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!, e = expected[i]!;
    if (Number.isNaN(e) && Number.isNaN(a)) continue;
    if (e === a) continue;
    if (!(Math.abs(a - e) <= atol + rtol * Math.abs(e))) { if (bad++ < 5) lines.push(`  [${i}] got ${a}, expected ${e}`); }
  }
  if (bad) assert.unreachable(`${what}: ${bad}/${expected.length} values off (atol ${atol}, rtol ${rtol})\n${lines.join('\n')}`);
}

/**
 * Forward against the f64 reference, then backward against central finite differences of the reference:
 * loss = Σ out·w for a fixed random w. Checks every input element when small, else a sample of 24.
 */
export async function checkOp(dev: Device, name: string, inputs: Host[], gpu: (xs: Tensor[]) => Tensor, ref: (xs: Host[]) => Host,
  o: { atol?: number; rtol?: number; gradAtol?: number; gradRtol?: number; grad?: boolean | number[]; eps?: number } = {}) {
  const xs = inputs.map((h) => { const t = toGpu(dev, h); t.requiresGrad = true; return t; });
  const y = gpu(xs);
  const want = ref(inputs);
  assert.equal([...y.shape], want.shape, `${name}: output shape`);
  assertClose(await y.toArray(), want.data, `${name} forward`, o.atol ?? 1e-5, o.rtol ?? 1e-4);
  const gradInputs = o.grad === false ? [] : Array.isArray(o.grad) ? o.grad : inputs.map((_, i) => i);
  if (gradInputs.length) {
    const w = rand(want.shape, 1234);
    const wt = toGpu(dev, w);
    const loss = ops.sum(ops.mul(y, wt));
    backward(loss);
    const eps = o.eps ?? 1e-4;
    const f = (hs: Host[]) => { const r = ref(hs); let s = 0; for (let i = 0; i < r.data.length; i++) s += r.data[i]! * w.data[i]!; return s; };
    for (const k of gradInputs) {
      const g = xs[k]!.grad;
      assert.ok(g, `${name}: input ${k} got no gradient`);
      const got = await g!.toArray();
      const n = inputs[k]!.data.length;
      const idx = n <= 64 ? [...Array(n).keys()] : Array.from({ length: 24 }, (_, j) => Math.floor(((j * 2654435761) % 4294967296) / 4294967296 * n));
      const fd: number[] = [], an: number[] = [];
      for (const i of idx) {
        const hs = inputs.map((h) => ({ shape: h.shape, data: Float64Array.from(h.data) }));
        const x0 = hs[k]!.data[i]!;
        hs[k]!.data[i] = x0 + eps; const fp = f(hs);
        hs[k]!.data[i] = x0 - eps; const fm = f(hs);
        fd.push((fp - fm) / (2 * eps)); an.push(got[i]!);
      }
      assertClose(an, fd, `${name} grad of input ${k} vs finite differences`, o.gradAtol ?? 2e-4, o.gradRtol ?? 2e-3);
    }
    for (const t of [loss, wt]) t.dispose();
  }
  for (const t of [...xs, y]) t.dispose();
}

/**
 * Runs fn (forward, then backward from a fixed random dy) once normally and once with the device's binding limit
 * lowered to `limit` bytes, so that small tensors take the chunked paths (an unsplit binding would throw), and checks
 * that both give the same output and input gradients; the output is also checked against the CPU reference.
 */
export async function chunkedAgrees(dev: Device, name: string, limit: number, inputs: Host[], fn: (xs: Tensor[]) => Tensor, ref: (xs: Host[]) => Host,
  o: { grads?: number[] } = {}) {
  const grads = o.grads ?? inputs.map((_, i) => i);
  const run = async () => {
    const xs = inputs.map((h, i) => { const t = toGpu(dev, h); t.requiresGrad = grads.includes(i); return t; });
    const y = fn(xs);
    const dy = toGpu(dev, rand([...y.shape], 99));
    const out = [await y.toArray()];
    backward(y, dy);
    for (const i of grads) out.push(await xs[i]!.grad!.toArray());
    for (const t of [...xs, y, dy]) t.dispose();
    return out;
  };
  let n0 = dev.stats.dispatches;
  const whole = await run();
  const wholeDispatches = dev.stats.dispatches - n0;
  const d = dev as { maxBinding: number }, saved = d.maxBinding;
  d.maxBinding = limit;
  let split: Float32Array[];
  n0 = dev.stats.dispatches;
  try { split = await run() as Float32Array[]; } finally { d.maxBinding = saved; }
  assert.ok(dev.stats.dispatches - n0 > wholeDispatches, `${name}: the lowered limit did not split anything`);
  assertClose(whole[0]!, ref(inputs).data, `${name} forward`, 2e-5, 1e-4);
  split.forEach((v, i) => assertClose(v, whole[i]!, `${name} ${i ? `grad of input ${grads[i - 1]}` : 'forward'}, chunked vs whole`, 5e-5, 1e-4)); // other summation orders
}
