// Tests for the Real-ESRGAN degradation: per-seed determinism, plan statistics, kernels, and each stage's effect.
import { PHOTOS } from '../helpers/paths.ts';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readImage, type ImageCHW } from '../../src/io/image.ts';
import { cropFlip } from '../../src/train/data/dataset.ts';
import { StreamRng } from '../../src/train/data/rng.ts';
import { realEsrganConfig } from '../../src/train/data/degrade/config.ts';
import { besselJ1, gaussianFamilyKernel, sincKernel, sampleBlurKernel } from '../../src/train/data/degrade/kernels.ts';
import { filter2d, reflectIndex, usmSharpen } from '../../src/train/data/degrade/filter.ts';
import { addGaussianNoise, addPoissonNoise, jpegRoundTrip, resize } from '../../src/train/data/degrade/stages.ts';
import { applyDegradePlan, cpuDegradeOps, degradeCpu, sampleDegradePlan, type StageName } from '../../src/train/data/degrade/pipeline.ts';

const photo = await readImage(PHOTOS + '/skimage_coffee.jpg'); // 600x400 (CC0)
const crop128 = cropFlip(photo, 120, 200, 128, false, false);
const cfg = realEsrganConfig(4);

function hfEnergy(img: ImageCHW): number { // mean squared 4-neighbour Laplacian
  const { c, h, w, data } = img;
  let s = 0;
  for (let ch = 0; ch < c; ch++) for (let y = 1; y < h - 1; y++) for (let x = 1; x < w - 1; x++) {
    const i = ch * h * w + y * w + x;
    const l = 4 * data[i] - data[i - 1] - data[i + 1] - data[i - w] - data[i + w];
    s += l * l;
  }
  return s / (c * (h - 2) * (w - 2));
}
/** Mean |horizontal+vertical step| across 8-px block boundaries divided by the mean step inside blocks. */
function blockiness(img: ImageCHW): number {
  const { c, h, w, data } = img;
  let edge = 0, ne = 0, inner = 0, ni = 0;
  for (let ch = 0; ch < c; ch++) for (let y = 0; y < h; y++) for (let x = 0; x < w - 1; x++) {
    const i = ch * h * w + y * w + x, d = Math.abs(data[i + 1] - data[i]) + (y < h - 1 ? Math.abs(data[i + w] - data[i]) : 0);
    const boundary = x % 8 === 7 || y % 8 === 7;
    if (boundary) { edge += d; ne++; } else { inner += d; ni++; }
  }
  return edge / ne / (inner / ni);
}
function variance(a: Float32Array): number {
  let m = 0, s = 0;
  for (const v of a) m += v;
  m /= a.length;
  for (const v of a) s += (v - m) ** 2;
  return s / a.length;
}

test('same seed -> identical LR bytes; different seed -> different LR', async () => {
  const a = await degradeCpu(crop128, StreamRng.fromSeed(123), cfg);
  const b = await degradeCpu(crop128, StreamRng.fromSeed(123), cfg);
  const c = await degradeCpu(crop128, StreamRng.fromSeed(124), cfg);
  assert.equal([a.lr.c, a.lr.h, a.lr.w], [3, 32, 32]);
  assert.ok(Buffer.from(a.lr.data.buffer).equals(Buffer.from(b.lr.data.buffer)), 'same seed must give identical bytes');
  assert.equal(a.plan, b.plan);
  assert.not.ok(Buffer.from(a.lr.data.buffer).equals(Buffer.from(c.lr.data.buffer)), 'different seed must differ');
  for (const v of a.lr.data) assert.ok(v >= 0 && v <= 1 && Math.abs(v * 255 - Math.round(v * 255)) < 1e-4, 'LR is 8-bit quantised');
});

test('plan statistics follow the Real-ESRGAN probabilities and ranges', () => {
  const N = 3000, r = StreamRng.fromSeed(77), cnt: Record<string, number> = {};
  const inc = (k: string) => { cnt[k] = (cnt[k] ?? 0) + 1; };
  for (let i = 0; i < N; i++) {
    const p = sampleDegradePlan(r.split(i), cfg, 512, 512);
    inc(`k1:${p.blur1.type}`); inc(`r1:${p.resize1.dir}`); inc(`r2:${p.resize2.dir}`); inc(`n1:${p.noise1.kind}`);
    if (p.noise1.gray) inc('gray1');
    if (p.blur2) inc('blur2');
    if (p.sinc.type === 'sinc') inc('finalsinc');
    if (p.finalOrder === 'resize-first') inc('resizefirst');
    inc(`mode:${p.resize1.mode}`);
    assert.ok(p.jpeg1 >= 30 && p.jpeg1 <= 95 && p.jpeg2 >= 30 && p.jpeg2 <= 95);
    assert.ok(p.blur1.size >= 7 && p.blur1.size <= 21 && p.blur1.size % 2 === 1);
    if ('sigmaX' in p.blur1) assert.ok(p.blur1.sigmaX >= 0.2 && p.blur1.sigmaX <= 3);
    if (p.blur2 && 'sigmaX' in p.blur2) assert.ok(p.blur2.sigmaX >= 0.2 && p.blur2.sigmaX <= 1.5);
    if (p.noise1.kind === 'gaussian') assert.ok(p.noise1.amount >= 1 && p.noise1.amount <= 30);
    else assert.ok(p.noise1.amount >= 0.05 && p.noise1.amount <= 3);
    const f = p.resize1.factor;
    assert.ok(p.resize1.dir === 'up' ? f >= 1 && f <= 1.5 : p.resize1.dir === 'down' ? f >= 0.15 && f <= 1 : f === 1);
    assert.is(p.resize1.h, Math.floor(512 * f));
    assert.is(p.resize2.h, Math.trunc(128 * p.resize2.factor));
    assert.equal([p.lrH, p.lrW], [128, 128]);
  }
  const near = (k: string, want: number) => assert.ok(Math.abs((cnt[k] ?? 0) / N - want) < 4 * Math.sqrt(want * (1 - want) / N) + 0.003, `${k}: ${(cnt[k] ?? 0) / N} vs ${want}`);
  near('k1:sinc', 0.1); near('k1:iso', 0.9 * 0.45); near('k1:aniso', 0.9 * 0.25); near('k1:plateau_iso', 0.9 * 0.12);
  near('r1:up', 0.2); near('r1:down', 0.7); near('r2:keep', 0.3); near('n1:gaussian', 0.5); near('gray1', 0.4);
  near('blur2', 0.8); near('finalsinc', 0.8); near('resizefirst', 0.5); near('mode:area', 1 / 3);
});

test('kernels: normalised, separable iso, J1 matches scipy, sinc is low-pass', () => {
  // scipy.special.j1 reference values (scipy 1.10.1)
  const ref: [number, number][] = [[0.5, 0.24226845767487387], [1, 0.44005058574493355], [2.5, 0.497094102464274], [7.9, 0.21917939992175126],
    [8.1, 0.24760776698159287], [15, 0.20510403861352278], [30, -0.11875106261662305], [44.4, -0.042102301257572874]];
  for (const [x, y] of ref) assert.ok(Math.abs(besselJ1(x) - y) < 2e-7, `J1(${x}) = ${besselJ1(x)} vs ${y}`);
  const r = StreamRng.fromSeed(5);
  for (let i = 0; i < 200; i++) {
    const k = sampleBlurKernel(r, cfg.blur1);
    const s = k.data.reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(s - 1) < 1e-5, `${k.desc.type} sums to ${s}`);
    const K = k.size;
    for (let y = 0; y < K; y++) for (let x = 0; x < K; x++)
      assert.ok(Math.abs(k.data[y * K + x] - k.data[(K - 1 - y) * K + (K - 1 - x)]) < 1e-6, 'point symmetric');
  }
  const iso = gaussianFamilyKernel({ type: 'iso', size: 9, sigmaX: 1.3, sigmaY: 1.3, theta: 0, beta: 1 });
  assert.ok(iso.sep);
  for (let y = 0; y < 9; y++) for (let x = 0; x < 9; x++) assert.ok(Math.abs(iso.data[y * 9 + x] - iso.sep![y] * iso.sep![x]) < 1e-7);
  // anisotropic with theta=0 and sigmaX > sigmaY is wider along x
  const an = gaussianFamilyKernel({ type: 'aniso', size: 15, sigmaX: 3, sigmaY: 0.7, theta: 0, beta: 1 });
  assert.ok(an.data[7 * 15 + 10] > an.data[10 * 15 + 7] * 10);
  // sinc: DTFT at Nyquist << DC (=1)
  const sk = sincKernel(Math.PI / 3, 21);
  let nyq = 0;
  for (let y = 0; y < 21; y++) for (let x = 0; x < 21; x++) nyq += sk.data[y * 21 + x] * (x % 2 ? -1 : 1);
  assert.ok(Math.abs(nyq) < 0.05, `sinc response at Nyquist ${nyq}`);
});

test('reflect padding matches PyTorch reflect indices', () => {
  assert.equal([-3, -2, -1, 0, 4, 5, 6, 7].map((i) => reflectIndex(i, 5)), [3, 2, 1, 0, 4, 3, 2, 1]);
  assert.is(reflectIndex(-4, 1), 0);
  const flat: ImageCHW = { c: 3, h: 6, w: 6, data: new Float32Array(108).fill(0.4) };
  const out = filter2d(flat, sincKernel(Math.PI / 2, 21)); // pad larger than the image
  for (const v of out.data) assert.ok(Math.abs(v - 0.4) < 1e-5);
});

test('filter2d / filterSeparable equal a naive reflect-padded correlation', () => {
  const r = StreamRng.fromSeed(8), H = 13, W = 17;
  const img: ImageCHW = { c: 2, h: H, w: W, data: Float32Array.from({ length: 2 * H * W }, () => r.uniform()) };
  const naive = (k: Float32Array, K: number) => {
    const out = new Float32Array(img.data.length), R = (K - 1) >> 1;
    for (let c = 0; c < 2; c++) for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
      let s = 0;
      for (let i = 0; i < K; i++) for (let j = 0; j < K; j++) s += k[i * K + j] * img.data[c * H * W + reflectIndex(y + i - R, H) * W + reflectIndex(x + j - R, W)];
      out[c * H * W + y * W + x] = s;
    }
    return out;
  };
  const asym = Float32Array.from({ length: 25 }, () => r.uniform()); // not symmetric: exercises the unfolded path
  const kernels = [gaussianFamilyKernel({ type: 'aniso', size: 9, sigmaX: 2, sigmaY: 0.8, theta: 0.6, beta: 1 }),
    gaussianFamilyKernel({ type: 'plateau_aniso', size: 21, sigmaX: 1.5, sigmaY: 2.5, theta: -1, beta: 1.5 }),
    gaussianFamilyKernel({ type: 'iso', size: 7, sigmaX: 1.1, sigmaY: 1.1, theta: 0, beta: 1 }), sincKernel(1.2, 11),
    { size: 5, data: asym, desc: { type: 'sinc' as const, size: 5, omega: 0 } }];
  for (const k of kernels) {
    const got = filter2d(img, k).data, want = naive(k.data, k.size);
    for (let i = 0; i < got.length; i++) assert.ok(Math.abs(got[i] - want[i]) < 1e-5, `${k.desc.type}/${k.size} at ${i}: ${got[i]} vs ${want[i]}`);
  }
});

test('blur lowers high-frequency energy; USM raises it', () => {
  const e0 = hfEnergy(crop128);
  const blurred = filter2d(crop128, gaussianFamilyKernel({ type: 'iso', size: 21, sigmaX: 2, sigmaY: 2, theta: 0, beta: 1 }));
  const aniso = filter2d(crop128, gaussianFamilyKernel({ type: 'generalized_aniso', size: 13, sigmaX: 2, sigmaY: 1, theta: 0.7, beta: 2 }));
  assert.ok(hfEnergy(blurred) < 0.3 * e0, `iso blur ${hfEnergy(blurred)} vs ${e0}`);
  assert.ok(hfEnergy(aniso) < 0.7 * e0, `aniso blur ${hfEnergy(aniso)} vs ${e0}`);
  assert.ok(hfEnergy(usmSharpen(crop128)) > 1.2 * e0);
});

test('JPEG adds 8x8 block structure', () => {
  const b0 = blockiness(crop128), j = jpegRoundTrip(crop128, 30), b1 = blockiness(j);
  assert.ok(b0 < 1.1, `source blockiness ${b0}`);
  assert.ok(b1 > b0 + 0.15, `jpeg q30 blockiness ${b1} vs ${b0}`);
  assert.ok(blockiness(jpegRoundTrip(crop128, 30)) === b1, 'JPEG round trip is deterministic');
});

test('noise raises variance by the expected amount; gray noise is shared across channels', () => {
  const flat: ImageCHW = { c: 3, h: 64, w: 64, data: new Float32Array(3 * 4096).fill(0.5) };
  const g = addGaussianNoise(flat, 20, false, StreamRng.fromSeed(1));
  assert.ok(Math.abs(variance(g.data) / (20 / 255) ** 2 - 1) < 0.05, `gaussian var ${variance(g.data)}`);
  const gg = addGaussianNoise(flat, 20, true, StreamRng.fromSeed(1));
  assert.equal(Array.from(gg.data.subarray(0, 4096)), Array.from(gg.data.subarray(4096, 8192)));
  // Poisson on a ramp with 256 levels (vals = 256): noise var = x / 256 * scale^2 per pixel
  const ramp: ImageCHW = { c: 3, h: 64, w: 64, data: Float32Array.from({ length: 3 * 4096 }, (_, i) => 0.25 + 0.5 * ((i * 13) % 256) / 255) };
  const rampAll: ImageCHW = { ...ramp, data: ramp.data.slice() };
  for (let i = 0; i < 256; i++) rampAll.data[i] = i / 255; // make all 256 levels present
  const pn = addPoissonNoise(rampAll, 2, false, StreamRng.fromSeed(2));
  let want = 0, got = 0;
  for (let i = 256; i < rampAll.data.length; i++) { want += (Math.round(rampAll.data[i] * 255) / 255 / 256) * 4; got += (pn.data[i] - Math.round(rampAll.data[i] * 255) / 255) ** 2; }
  assert.ok(Math.abs(got / want - 1) < 0.06, `poisson var ratio ${got / want}`);
  const pg = addPoissonNoise(rampAll, 2, true, StreamRng.fromSeed(2));
  let compared = 0;
  for (let i = 256; i < 4096; i++) {
    const r0 = pg.data[i], r1 = pg.data[4096 + i];
    if (r0 <= 0 || r0 >= 1 || r1 <= 0 || r1 >= 1) continue; // clipped
    assert.ok(Math.abs((r0 - rampAll.data[i]) - (r1 - rampAll.data[4096 + i])) < 1e-6, `gray poisson noise differs across channels at ${i}`);
    compared++;
  }
  assert.ok(compared > 1000);
});

test('resize stage sizes and identity', () => {
  const r = resize(crop128, 50, 70, 'area');
  assert.equal([r.h, r.w], [50, 70]);
  const same = resize(crop128, 128, 128, 'bicubic');
  assert.equal(Array.from(same.data), Array.from(crop128.data));
});

test('stages run in Real-ESRGAN order and the hook sees every intermediate', async () => {
  const seen: [StageName, number][] = [];
  for (const seed of [1, 2, 3, 4, 5, 6]) {
    const plan = sampleDegradePlan(StreamRng.fromSeed(seed), cfg, 128, 128);
    seen.length = 0;
    const lr = await applyDegradePlan(crop128, plan, cpuDegradeOps, (n, img) => seen.push([n, img.h]));
    const names = seen.map((s) => s[0]);
    const tail = plan.finalOrder === 'resize-first' ? ['resize3', 'sinc', 'jpeg2', 'quantize'] : ['jpeg2', 'resize3', 'sinc', 'quantize'];
    assert.equal(names, ['usm', 'blur1', 'resize1', 'noise1', 'jpeg1', ...(plan.blur2 ? ['blur2'] : []), 'resize2', 'noise2', ...tail]);
    assert.is(seen.find((s) => s[0] === 'resize1')![1], plan.resize1.h);
    assert.is(seen.find((s) => s[0] === 'resize2')![1], plan.resize2.h);
    assert.equal([lr.h, lr.w], [32, 32]);
  }
});

test('JPEG round trip in block-aligned tiles equals one whole-image round trip (odd sizes, several qualities)', () => {
  const w = 77, h = 45;
  const img = { c: 3, h, w, data: Float32Array.from({ length: 3 * w * h }, (_, i) => ((Math.sin(i * 0.37) * 0.5 + 0.5) * ((i * 7919) % 13)) / 13) };
  for (const q of [10, 60, 95]) {
    const whole = jpegRoundTrip(img, q, 1 << 20);
    for (const tile of [8, 16, 40]) assert.ok(jpegRoundTrip(img, q, tile).data.every((v, i) => v === whole.data[i]), `q ${q} tile ${tile}`);
  }
  assert.throws(() => jpegRoundTrip(img, 50, 12), /tile must be a positive multiple of 8/);
});

test('a failing stage is named in the error', async () => {
  const hr = { c: 3, h: 64, w: 64, data: new Float32Array(3 * 64 * 64).fill(0.5) };
  const plan = sampleDegradePlan(StreamRng.fromSeed(1), realEsrganConfig(4), 64, 64);
  const ops = { ...cpuDegradeOps, jpeg: () => { throw new Error('jpeg-js: out of memory'); } };
  try { await applyDegradePlan(hr, plan, ops); assert.unreachable(); }
  catch (e) { assert.is((e as Error).message, "stage 'jpeg1' failed: jpeg-js: out of memory"); }
});

test.run();
