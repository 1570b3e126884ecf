// GPU degradation stages on the real adapter: each stage vs the CPU stage, exact 8-bit read-back, per-key noise
// determinism and statistics, the direction each stage moves an image, and the whole pipeline vs the CPU pipeline.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PHOTOS } from '../helpers/paths.ts';
import { getDevice, closeDevice } from '../helpers/gpu.ts';
import { assertClose } from '../helpers/ref.ts';
import { readImage, type ImageCHW } from '../../src/io/image.ts';
import { Tensor } from '../../src/engine/tensor.ts';
import { cropFlip } from '../../src/train/data/dataset.ts';
import { StreamRng } from '../../src/train/data/rng.ts';
import { realEsrganConfig } from '../../src/train/data/degrade/config.ts';
import { gaussianFamilyKernel, sincKernel, type BlurKernel } from '../../src/train/data/degrade/kernels.ts';
import { filter2d, usmSharpen } from '../../src/train/data/degrade/filter.ts';
import { quantize8, resize } from '../../src/train/data/degrade/stages.ts';
import { applyDegradePlan, cpuDegradeOps, sampleDegradePlan, type DegradePlan } from '../../src/train/data/degrade/pipeline.ts';
import { blurGpu, downloadImage8, gaussianNoiseGpu, gpuDegradeOps, poissonNoiseGpu, uploadImage, usmSharpenGpu, type GpuImage } from '../../src/train/data/degrade/gpu.ts';

const dev = await getDevice();
const photo = await readImage(PHOTOS + '/skimage_coffee.jpg'); // 600x400 (CC0)
const crop = (size: number, top = 120, left = 200) => cropFlip(photo, top, left, size, false, false);
const cfg = realEsrganConfig(4);

function randomImage(c: number, h: number, w: number, seed: number): ImageCHW {
  const r = StreamRng.fromSeed(seed);
  return { c, h, w, data: Float32Array.from({ length: c * h * w }, () => r.uniform()) };
}
const read = async (t: Tensor) => { const a = (await t.toArray()) as Float32Array; t.dispose(); return a; };
const sameBytes = (a: Float32Array, b: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
function hfEnergy({ c, h, w, data }: ImageCHW): number { // mean squared 4-neighbour Laplacian
  let s = 0;
  for (let ch = 0; ch < c; ch++) for (let y = 1; y < h - 1; y++) for (let x = 1; x < w - 1; x++) {
    const i = ch * h * w + y * w + x, l = 4 * data[i]! - data[i - 1]! - data[i + 1]! - data[i - w]! - data[i + w]!;
    s += l * l;
  }
  return s / (c * (h - 2) * (w - 2));
}
function meanStd(a: Float32Array): [number, number] {
  let m = 0, s = 0;
  for (const v of a) m += v;
  m /= a.length;
  for (const v of a) s += (v - m) ** 2;
  return [m, Math.sqrt(s / a.length)];
}

test('blur / sinc on the GPU match the CPU filter2d (reflect padding, odd sizes, pad larger than the image)', async () => {
  const asym: BlurKernel = { size: 5, data: randomImage(1, 5, 5, 9).data, desc: { type: 'sinc', size: 5, omega: 0 } }; // not symmetric
  const kernels = [gaussianFamilyKernel({ type: 'aniso', size: 9, sigmaX: 2, sigmaY: 0.8, theta: 0.6, beta: 1 }),
    gaussianFamilyKernel({ type: 'plateau_aniso', size: 21, sigmaX: 1.5, sigmaY: 2.5, theta: -1, beta: 1.5 }),
    gaussianFamilyKernel({ type: 'generalized_iso', size: 13, sigmaX: 2.2, sigmaY: 2.2, theta: 0, beta: 0.7 }),
    gaussianFamilyKernel({ type: 'iso', size: 7, sigmaX: 1.1, sigmaY: 1.1, theta: 0, beta: 1 }), // separable path
    sincKernel(1.2, 11), sincKernel(Math.PI / 4, 21), asym];
  for (const [c, h, w] of [[3, 13, 17], [1, 1, 9], [3, 6, 6], [2, 65, 3], [3, 33, 70]] as const) {
    const img = randomImage(c, h, w, h * 100 + w), x = uploadImage(dev, img);
    for (const k of kernels) assertClose(await read(blurGpu(x, k)), filter2d(img, k).data, `${k.desc.type}/${k.size} on ${c}x${h}x${w}`, 1e-5, 0);
    x.dispose();
  }
});

test('USM sharpening on the GPU matches the CPU usmSharpen', async () => {
  for (const [img, what] of [[crop(48), 'photo 48'], [randomImage(3, 21, 37, 4), 'random 21x37']] as const) {
    const x = uploadImage(dev, img);
    assertClose(await read(usmSharpenGpu(x)), usmSharpen(img).data, `usm ${what}`, 1e-5, 0);
    x.dispose();
  }
});

test('resize through the engine resample equals the CPU stage (area, bilinear, bicubic; up and down)', async () => {
  const img = crop(40), ops = gpuDegradeOps(dev);
  for (const mode of ['area', 'bilinear', 'bicubic'] as const) for (const [h, w] of [[17, 23], [61, 40], [40, 40]] as const) {
    const out = await ops.resize(uploadImage(dev, img), h, w, mode) as Tensor;
    assert.equal(out.shape, [1, 3, h, w]);
    assertClose(await read(out), resize(img, h, w, mode).data, `resize ${mode} 40 -> ${h}x${w}`, 1e-5, 0);
  }
});

test('8-bit read-back equals quantize8 exactly, also at the half-level boundaries and out of range', async () => {
  const vals: number[] = [-1, -1e-9, 0, 1, 1 + 1e-7, 2, 0.5 / 255, 254.5 / 255];
  for (let k = 0; k < 256; k++) for (const d of [-2e-7, -6e-8, 0, 6e-8, 2e-7]) vals.push(Math.fround((k + 0.5) / 255 + d));
  const r = StreamRng.fromSeed(11);
  while (vals.length % 3 || vals.length < 3 * 1001) vals.push(r.uniform(-0.01, 1.01));
  const img: ImageCHW = { c: 3, h: 1, w: vals.length / 3, data: Float32Array.from(vals) };
  const x = uploadImage(dev, img), got = await downloadImage8(x);
  x.dispose();
  assert.equal([got.c, got.h, got.w], [3, 1, img.w]);
  const want = quantize8(img).data; // (CPU gives -0 for tiny negatives: compare values, not bytes)
  const bad = want.findIndex((v, i) => got.data[i] !== v);
  assert.ok(bad < 0, `GPU 8-bit level of ${img.data[bad]} is ${got.data[bad]! * 255}, quantize8 gives ${want[bad]! * 255}`);
});

test('noise: deterministic per key, right variance, gray noise shared by the channels', async () => {
  const flat = uploadImage(dev, { c: 3, h: 64, w: 64, data: new Float32Array(3 * 4096).fill(0.5) });
  const g1 = await read(gaussianNoiseGpu(flat, 20, false, [5, 6]));
  assert.ok(sameBytes(g1, await read(gaussianNoiseGpu(flat, 20, false, [5, 6]))), 'same key must give identical noise');
  assert.not.ok(sameBytes(g1, await read(gaussianNoiseGpu(flat, 20, false, [5, 7]))), 'another key must give other noise');
  assert.ok(Math.abs(meanStd(g1)[1] ** 2 / (20 / 255) ** 2 - 1) < 0.05, `gaussian var ${meanStd(g1)[1] ** 2}`);
  const gg = await read(gaussianNoiseGpu(flat, 20, true, [5, 6]));
  assert.ok(sameBytes(gg.subarray(0, 4096), gg.subarray(4096, 8192)) && sameBytes(gg.subarray(0, 4096), gg.subarray(8192)), 'gray gaussian noise is one plane');
  flat.dispose();
  // Poisson on a ramp holding all 256 levels (vals = 256): noise variance = x8 / 256 * scale^2 per value.
  const ramp = Float32Array.from({ length: 3 * 4096 }, (_, i) => (i < 256 ? i : 64 + ((i * 13) % 128)) / 255);
  const x = uploadImage(dev, { c: 3, h: 64, w: 64, data: ramp });
  const p1 = await read(poissonNoiseGpu(x, 2, false, [1, 2]));
  assert.ok(sameBytes(p1, await read(poissonNoiseGpu(x, 2, false, [1, 2]))), 'same key must give identical Poisson noise');
  assert.not.ok(sameBytes(p1, await read(poissonNoiseGpu(x, 2, false, [2, 2]))), 'another key must give other Poisson noise');
  let want = 0, got = 0;
  for (let i = 256; i < ramp.length; i++) { want += (ramp[i]! / 256) * 4; got += (p1[i]! - ramp[i]!) ** 2; }
  assert.ok(Math.abs(got / want - 1) < 0.06, `poisson var ratio ${got / want}`);
  // Small lambda (Knuth's branch): vals = 2 for a two-level image, lambda = 2 x8 <= 2.
  const two = uploadImage(dev, { c: 1, h: 64, w: 64, data: Float32Array.from({ length: 4096 }, (_, i) => (i % 2 ? 0.4 : 0.8)) });
  const p2 = await read(poissonNoiseGpu(two, 0.05, false, [3, 4]));
  two.dispose();
  let m2 = 0;
  for (let i = 0; i < 4096; i++) { const x8 = Math.round((i % 2 ? 0.4 : 0.8) * 255) / 255; m2 += ((p2[i]! - (i % 2 ? 0.4 : 0.8)) / 0.05) ** 2 / (x8 / 2); }
  assert.ok(Math.abs(m2 / 4096 - 1) < 0.08, `poisson small-lambda var ratio ${m2 / 4096}`);
  const pg = await read(poissonNoiseGpu(x, 2, true, [1, 2]));
  x.dispose();
  let compared = 0;
  for (let i = 256; i < 4096; i++) {
    const a = pg[i]!, b = pg[4096 + i]!;
    if (a <= 0 || a >= 1 || b <= 0 || b >= 1) continue;
    assert.ok(Math.abs((a - ramp[i]!) - (b - ramp[4096 + i]!)) < 1e-6, `gray Poisson noise differs across channels at ${i}`);
    compared++;
  }
  assert.ok(compared > 1000);
});

test('each GPU stage moves the image the expected way', async () => {
  const img = crop(64), x = uploadImage(dev, img), e0 = hfEnergy(img), v0 = meanStd(img.data)[1] ** 2;
  const at = async (t: Tensor) => ({ ...img, data: await read(t) });
  assert.ok(hfEnergy(await at(blurGpu(x, gaussianFamilyKernel({ type: 'aniso', size: 15, sigmaX: 2.5, sigmaY: 1, theta: 0.3, beta: 1 })))) < 0.6 * e0, 'blur lowers HF energy');
  assert.ok(hfEnergy(await at(blurGpu(x, sincKernel(Math.PI / 4, 21)))) < 0.6 * e0, 'sinc lowers HF energy');
  assert.ok(hfEnergy(await at(usmSharpenGpu(x))) > 1.2 * e0, 'USM raises HF energy');
  assert.ok(meanStd(await read(gaussianNoiseGpu(x, 15, false, [1, 1])))[1] ** 2 > v0 + 0.5 * (15 / 255) ** 2, 'gaussian noise raises variance');
  assert.ok(meanStd(await read(poissonNoiseGpu(x, 2, false, [1, 1])))[1] ** 2 > v0 * 1.02, 'poisson noise raises variance');
  x.dispose();
});

const runGpu = async (hr: ImageCHW, plan: DegradePlan) => (await applyDegradePlan<GpuImage>(hr, plan, gpuDegradeOps(dev))) as ImageCHW;

test('whole pipeline: GPU LR has the right size, is deterministic per seed and tracks the CPU pipeline', async () => {
  const hr = crop(96, 100, 150);
  let seenPoolLive = -1;
  for (const seed of [1, 2, 3, 4]) {
    const plan = sampleDegradePlan(StreamRng.fromSeed(seed), cfg, hr.h, hr.w);
    const cpu = await applyDegradePlan(hr, plan, cpuDegradeOps);
    const gpu = await runGpu(hr, plan);
    assert.not.ok(gpu instanceof Tensor);
    assert.equal([gpu.c, gpu.h, gpu.w], [3, 24, 24]);
    for (const v of gpu.data) assert.ok(v >= 0 && v <= 1 && Math.abs(v * 255 - Math.round(v * 255)) < 1e-4, 'LR is 8-bit');
    assert.ok(sameBytes(gpu.data, (await runGpu(hr, plan)).data), `seed ${seed}: GPU pipeline not deterministic`);
    // Same plan draws, different noise values: per-channel means and the overall contrast agree.
    const n = 24 * 24;
    for (let ch = 0; ch < 3; ch++) {
      const [mc] = meanStd(cpu.data.subarray(ch * n, (ch + 1) * n)), [mg] = meanStd(gpu.data.subarray(ch * n, (ch + 1) * n));
      assert.ok(Math.abs(mc - mg) < 0.02, `seed ${seed} channel ${ch}: mean ${mg} vs CPU ${mc}`);
    }
    const [, sc] = meanStd(cpu.data), [, sg] = meanStd(gpu.data);
    assert.ok(Math.abs(sg / sc - 1) < 0.05, `seed ${seed}: std ${sg} vs CPU ${sc}`);
    const live = dev.poolStats().liveBytes;
    if (seenPoolLive >= 0) assert.ok(live <= seenPoolLive, `GPU memory grows across pairs: ${live} > ${seenPoolLive} bytes live`);
    seenPoolLive = live;
  }
});

test('whole pipeline without noise: GPU and CPU LR agree to within JPEG rounding', async () => {
  const hr = crop(96, 60, 300);
  for (const seed of [5, 6, 7]) {
    const p = sampleDegradePlan(StreamRng.fromSeed(seed), cfg, hr.h, hr.w);
    const plan: DegradePlan = { ...p, noise1: { ...p.noise1, amount: 0 }, noise2: { ...p.noise2, amount: 0 } };
    const cpu = await applyDegradePlan(hr, plan, cpuDegradeOps), gpu = await runGpu(hr, plan);
    let sum = 0, max = 0;
    for (let i = 0; i < cpu.data.length; i++) { const d = Math.abs(cpu.data[i]! - gpu.data[i]!) * 255; sum += d; max = Math.max(max, d); }
    assert.ok(sum / cpu.data.length < 0.05 && max <= 2, `seed ${seed}: mean |diff| ${sum / cpu.data.length} levels, max ${max}`);
  }
});

test.after(closeDevice);
test.run();
