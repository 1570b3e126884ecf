// Tensors above maxStorageBufferBindingSize (128 MiB on lavapipe): conv2d (direct kernels: forward, dx, dw; texture
// path: 3×3 stride 1 and 2, 1×1, prepared weights), groupNorm (forward and backward), nearest ×2 upsampling, add,
// clamp and silu on a [1, 130, 512, 512] f32 activation (136 MB) and a [1, 144, 512, 512] conv output (151 MB),
// checked at sampled positions (incl. both sides of every window boundary) against f64 CPU references.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ops, backward, noGrad, fromArray, type Tensor } from '../../src/engine/index.ts';
import { getDevice, closeDevice, testIf } from '../helpers/gpu.ts';
import { assertClose } from '../helpers/ref.ts';

const B = 1, C = 130, H = 512, W = 512, HW = H * W;

/** Deterministic values in [lo, hi) (an LCG, fast enough for 34 M elements). */
function fill(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; out[i] = lo + (hi - lo) * (s / 4294967296); }
  return out;
}
/** Reads plane (0, c) of a [1, C, H, W] tensor (a contiguous slice, copied straight from storage). */
async function plane(t: Tensor, c: number): Promise<Float32Array> {
  const v = ops.slice(t, 1, c, c + 1);
  const a = await v.toArray() as Float32Array;
  v.dispose();
  return a;
}
/** Sampled pixel indices of a plane: the four corners, the borders' middles, and a spread of interior points. */
const SAMPLES = [0, W - 1, (H - 1) * W, HW - 1, W / 2, (H / 2) * W, (H / 2) * W + W - 1, (H - 1) * W + W / 2,
  ...Array.from({ length: 56 }, (_, k) => (k * 2654435761) % HW)];
/** Channels to check: both sides of every 127-channel chunk boundary, and the last. */
const CHANNELS = [0, 1, 126, 127, 128, 129];

let xHost: Float32Array;
let x: Tensor;
const t0 = Date.now();

test('setup: a [1, 130, 512, 512] f32 tensor is above the binding limit', async () => {
  const dev = await getDevice();
  xHost = fill(B * C * HW, 1);
  x = fromArray(dev, xHost, [B, C, H, W]);
  x.requiresGrad = true;
  assert.ok(xHost.byteLength > dev.maxBinding, `x is ${xHost.byteLength} bytes, the limit is ${dev.maxBinding}`);
});

test('conv2d 3x3 130 -> 4 (input channels chunked), dx (output channels chunked) and dw, db', async () => {
  const dev = await getDevice();
  const O = 4, w = fill(O * C * 9, 2, -0.1, 0.1), b = fill(O, 3), dyH = fill(B * O * HW, 4);
  const wt = fromArray(dev, w, [O, C, 3, 3]), bt = fromArray(dev, b, [O]), dy = fromArray(dev, dyH, [B, O, H, W]);
  wt.requiresGrad = true; bt.requiresGrad = true;
  const y = ops.conv2d(x, wt, bt, { padding: 1 });
  const X = (c: number, iy: number, ix: number) => (iy < 0 || iy >= H || ix < 0 || ix >= W ? 0 : xHost[c * HW + iy * W + ix]!);
  const got: number[] = [], want: number[] = [];
  for (let o = 0; o < O; o++) {
    const yo = await plane(y, o);
    for (const p of SAMPLES) {
      const oy = Math.floor(p / W), ox = p % W;
      let s = b[o]!;
      for (let c = 0; c < C; c++) for (let ky = 0; ky < 3; ky++) for (let kx = 0; kx < 3; kx++) s += X(c, oy + ky - 1, ox + kx - 1) * w[((o * C + c) * 3 + ky) * 3 + kx]!;
      got.push(yo[p]!); want.push(s);
    }
  }
  assertClose(got, want, 'conv2d y', 1e-5, 1e-5);
  backward(y, dy);
  // dx[c, iy, ix] = Σ_{o, ky, kx} dy[o, iy − ky + 1, ix − kx + 1] · w[o, c, ky, kx]
  const DY = (o: number, oy: number, ox: number) => (oy < 0 || oy >= H || ox < 0 || ox >= W ? 0 : dyH[o * HW + oy * W + ox]!);
  got.length = 0; want.length = 0;
  for (const c of CHANNELS) {
    const dxc = await plane(x.grad!, c);
    for (const p of SAMPLES) {
      const iy = Math.floor(p / W), ix = p % W;
      let s = 0;
      for (let o = 0; o < O; o++) for (let ky = 0; ky < 3; ky++) for (let kx = 0; kx < 3; kx++) s += DY(o, iy - ky + 1, ix - kx + 1) * w[((o * C + c) * 3 + ky) * 3 + kx]!;
      got.push(dxc[p]!); want.push(s);
    }
  }
  assertClose(got, want, 'conv2d dx', 1e-5, 1e-4);
  // dw at a few (o, c, ky, kx), incl. the last channel; db.
  const dw = await wt.grad!.toArray(), db = await bt.grad!.toArray();
  got.length = 0; want.length = 0;
  for (const [o, c, ky, kx] of [[0, 0, 0, 0], [1, 64, 1, 1], [2, 127, 2, 0], [3, 129, 2, 2], [3, 126, 0, 2]] as const) {
    let s = 0;
    for (let oy = 0; oy < H; oy++) for (let ox = 0; ox < W; ox++) s += dyH[o * HW + oy * W + ox]! * X(c, oy + ky - 1, ox + kx - 1);
    got.push(dw[((o * C + c) * 3 + ky) * 3 + kx]!); want.push(s);
  }
  for (let o = 0; o < O; o++) { let s = 0; for (let i = 0; i < HW; i++) s += dyH[o * HW + i]!; got.push(db[o]!); want.push(s); }
  assertClose(got, want, 'conv2d dw, db', 2e-3, 1e-4);
  for (const t of [wt, bt, dy, y]) t.dispose();
  x.grad!.dispose(); x.grad = null;
});

test('groupNorm 26 groups forward and backward (plane ranges chunked)', async () => {
  const dev = await getDevice();
  const G = 26, Cg = C / G, N = Cg * HW;
  const w = fill(C, 5, 0.5, 1.5), b = fill(C, 6), dyH = fill(B * C * HW, 7);
  const wt = fromArray(dev, w, [C]), bt = fromArray(dev, b, [C]), dy = fromArray(dev, dyH, [B, C, H, W]);
  wt.requiresGrad = true; bt.requiresGrad = true;
  const y = ops.groupNorm(x, G, wt, bt, 1e-6);
  backward(y, dy);
  // f64 statistics per group, and the backward's per-group sums Σ dy·w and Σ dy·w·x̂, and per-channel dw, db.
  const mean = new Float64Array(G), rstd = new Float64Array(G), sdw = new Float64Array(G), sdwx = new Float64Array(G);
  const dwRef = new Float64Array(C), dbRef = new Float64Array(C);
  for (let g = 0; g < G; g++) {
    const lo = g * N;
    let m = 0; for (let i = 0; i < N; i++) m += xHost[lo + i]!;
    m /= N;
    let v = 0; for (let i = 0; i < N; i++) v += (xHost[lo + i]! - m) ** 2;
    mean[g] = m; rstd[g] = 1 / Math.sqrt(v / N + 1e-6);
    for (let i = 0; i < N; i++) {
      const c = g * Cg + Math.floor(i / HW), xh = (xHost[lo + i]! - m) * rstd[g]!, d = dyH[lo + i]!;
      sdw[g] += d * w[c]!; sdwx[g] += d * w[c]! * xh; dwRef[c] += d * xh; dbRef[c] += d;
    }
  }
  const got: number[] = [], want: number[] = [], gdx: number[] = [], wdx: number[] = [];
  for (const c of CHANNELS) {
    const g = Math.floor(c / Cg), yc = await plane(y, c), dxc = await plane(x.grad!, c);
    for (const p of SAMPLES) {
      const i = c * HW + p, xh = (xHost[i]! - mean[g]!) * rstd[g]!;
      got.push(yc[p]!); want.push(xh * w[c]! + b[c]!);
      gdx.push(dxc[p]!); wdx.push((rstd[g]! / N) * (N * dyH[i]! * w[c]! - sdw[g]! - xh * sdwx[g]!));
    }
  }
  assertClose(got, want, 'groupNorm y', 1e-5, 1e-4);
  assertClose(gdx, wdx, 'groupNorm dx', 1e-5, 1e-4);
  assertClose(await wt.grad!.toArray(), dwRef, 'groupNorm dw', 2e-3, 1e-4);
  assertClose(await bt.grad!.toArray(), dbRef, 'groupNorm db', 2e-3, 1e-4);
  for (const t of [wt, bt, dy, y]) t.dispose();
  x.grad!.dispose(); x.grad = null;
});

test('silu forward and backward, nearest x2 upsampling into a big output', async () => {
  const dev = await getDevice();
  const y = ops.silu(x);
  const sig = (v: number) => 1 / (1 + Math.exp(-v));
  const got: number[] = [], want: number[] = [];
  for (const c of CHANNELS) { const yc = await plane(y, c); for (const p of SAMPLES) { const v = xHost[c * HW + p]!; got.push(yc[p]!); want.push(v * sig(v)); } }
  assertClose(got, want, 'silu y', 1e-6, 1e-5);
  y.dispose();
  // [1, 130, 256, 256] -> [1, 130, 512, 512]; backward from dy = x sums 2x2 blocks.
  // The leaf s = x[:, :, :256, :256] (a strided view, made contiguous by the op for the forward check, then copied).
  const rows = ops.slice(x, 2, 0, 256), small = ops.slice(rows, 3, 0, 256);
  const u = ops.upsampleNearest2x(small);
  got.length = 0; want.length = 0;
  for (const c of CHANNELS) {
    const uc = await plane(u, c);
    for (const p of SAMPLES) { const i = Math.floor(p / W), j = p % W; got.push(uc[p]!); want.push(xHost[c * HW + (i >> 1) * W + (j >> 1)]!); }
  }
  assertClose(got, want, 'upsample y', 0, 0);
  const s = noGrad(dev, () => ops.copy(small));
  s.requiresGrad = true;
  const u2 = ops.upsampleNearest2x(s);
  backward(u2, x);
  got.length = 0; want.length = 0;
  for (const c of CHANNELS) {
    const gc = await plane(s.grad!, c);
    for (const p of SAMPLES.map((q) => q % (256 * 256))) {
      const i = Math.floor(p / 256), j = p % 256, at = (r: number, q: number) => xHost[c * HW + r * W + q]!;
      got.push(gc[p]!); want.push(at(2 * i, 2 * j) + at(2 * i, 2 * j + 1) + at(2 * i + 1, 2 * j) + at(2 * i + 1, 2 * j + 1));
    }
  }
  assertClose(got, want, 'upsample dx', 1e-6, 1e-6);
  for (const t of [rows, small, u, s, u2]) t.dispose();
});

/** conv2d of the host tensor xh ([C, H, W] planes from channel c0) at output channel o, pixel p: the f64 reference. */
function convAt(xh: Float32Array, c0: number, C: number, w: Float32Array, b: Float32Array | null, KH: number, KW: number, S: number, pT: number, pL: number,
  OW: number, o: number, p: number): number {
  const oy = Math.floor(p / OW), ox = p % OW;
  let s = b ? b[o]! : 0;
  for (let c = 0; c < C; c++) for (let ky = 0; ky < KH; ky++) for (let kx = 0; kx < KW; kx++) {
    const iy = oy * S + ky - pT, ix = ox * S + kx - pL;
    if (iy >= 0 && iy < H && ix >= 0 && ix < W) s += xh[(c0 + c) * HW + iy * W + ix]! * w[((o * C + c) * KH + ky) * KW + kx]!;
  }
  return s;
}
/** Checks output channels `chans` of y [1, O, OH, OW] at sampled pixels against convAt. */
async function checkConv(what: string, y: Tensor, c0: number, C: number, w: Float32Array, b: Float32Array | null, KH: number, S: number, pT: number, pL: number, chans: number[]) {
  const [, , OH, OW] = y.shape as number[];
  const px = [0, OW! - 1, (OH! - 1) * OW!, OH! * OW! - 1, ...Array.from({ length: 28 }, (_, k) => (k * 2654435761) % (OH! * OW!))];
  const got: number[] = [], want: number[] = [];
  for (const o of chans) {
    const yo = await plane(y, o);
    for (const p of px) { got.push(yo[p]!); want.push(convAt(xHost, c0, C, w, b, KH, KH, S, pT, pL, OW!, o, p)); }
  }
  assertClose(got, want, what, 1e-4, 1e-4);
}

const TEX = (await getDevice()).profile;
testIf(TEX.textureMatmul, 'no texture matmul on this adapter')('conv2d on the texture path: x above the binding (input-channel windows), y above it (output-channel windows); 3×3 stride 1 and 2, 1×1; prepared weights', async () => {
  const dev = await getDevice();
  // 3×3 stride 1 pad 1, 130 -> 8 with a weight prepared for the texture path: shifted rows in 5 row chunks, x in 2 windows
  {
    const w = fill(8 * C * 9, 20, -0.1, 0.1), b = fill(8, 21), wt = fromArray(dev, w, [8, C, 3, 3]), bt = fromArray(dev, b, [8]);
    const prep = ops.prepareConv(wt, bt, { padding: 1, path: 'texture' });
    const y = noGrad(dev, () => ops.conv2d(x, wt, bt, { padding: 1, prepared: prep }));
    await checkConv('conv2d 3x3 130 -> 8 (texture, prepared)', y, 0, C, w, b, 3, 1, 1, 1, [0, 7]);
    // the downsample: stride 2, pad right/bottom, im2col in 3 pixel chunks
    const prep2 = ops.prepareConv(wt, bt, { stride: 2, padding: [0, 1, 0, 1], path: 'texture' });
    const y2 = noGrad(dev, () => ops.conv2d(x, wt, bt, { stride: 2, padding: [0, 1, 0, 1], prepared: prep2 }));
    assert.equal([...y2.shape], [1, 8, 256, 256]);
    await checkConv('conv2d 3x3 stride 2 130 -> 8 (texture, prepared)', y2, 0, C, w, b, 3, 2, 0, 0, [0, 7]);
    for (const t of [wt, bt, y, y2, prep, prep2]) t.dispose();
  }
  // 3×3 stride 1 pad 1, 8 -> 144 (the default profile's shifted rows): y is 151 MB, in windows of 128 and 16 channels
  {
    const O = 144, w = fill(O * 8 * 9, 22, -0.3, 0.3), b = fill(O, 23), wt = fromArray(dev, w, [O, 8, 3, 3]), bt = fromArray(dev, b, [O]);
    const x8 = ops.slice(x, 1, 0, 8);
    const y = noGrad(dev, () => ops.conv2d(x8, wt, bt, { padding: 1 }));
    assert.ok(y.numel * 4 > dev.maxBinding);
    await checkConv('conv2d 3x3 8 -> 144 (texture)', y, 0, 8, w, b, 3, 1, 1, 1, [0, 95, 96, 127, 128, 143]);
    for (const t of [wt, bt, x8, y]) t.dispose();
  }
  // 1×1, 130 -> 130 (the default profile's im2col): x and y both above the binding
  {
    const w = fill(C * C, 24, -0.2, 0.2), b = fill(C, 25), wt = fromArray(dev, w, [C, C, 1, 1]), bt = fromArray(dev, b, [C]);
    const y = noGrad(dev, () => ops.conv2d(x, wt, bt));
    await checkConv('conv2d 1x1 130 -> 130 (texture)', y, 0, C, w, b, 1, 1, 0, 0, [0, 95, 96, 127, 128, 129]);
    for (const t of [wt, bt, y]) t.dispose();
  }
});

test('add and clamp on tensors above the binding', async () => {
  const dev = await getDevice();
  const u = ops.mulScalar(x, -0.75), a = noGrad(dev, () => ops.add(x, u)), c = ops.clamp(x, -0.5, 0.25);
  const got: number[] = [], want: number[] = [], gc: number[] = [], wc: number[] = [];
  for (const ch of CHANNELS) {
    const ac = await plane(a, ch), cc = await plane(c, ch);
    for (const p of SAMPLES) {
      const v = xHost[ch * HW + p]!;
      got.push(ac[p]!); want.push(v + Math.fround(v * -0.75));
      gc.push(cc[p]!); wc.push(Math.min(0.25, Math.max(-0.5, v)));
    }
  }
  assertClose(got, want, 'add', 1e-7, 1e-6);
  assertClose(gc, wc, 'clamp', 0, 0);
  for (const t of [u, a, c]) t.dispose();
});

test.after(async () => {
  x?.dispose();
  console.log(`big_tensors: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  await closeDevice();
});
test.run();
