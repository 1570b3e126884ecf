// Tests for PSNR / SSIM (RGB, Y, border crop) against closed forms and scikit-image goldens; bicubic baseline.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { psnr, mse255 } from '../../src/metrics/psnr.ts';
import { ssim } from '../../src/metrics/ssim.ts';
import { bicubicUpscale } from '../../src/metrics/bicubic.ts';
import type { ImageCHW } from '../../src/io/image.ts';
import { StreamRng } from '../../src/train/data/rng.ts';

const FIX = new URL('../fixtures/metrics/', `file://${process.cwd()}/test/data/`);
interface Golden { gt: string; pred: string; crop: number; psnr_rgb: number; psnr_y: number; ssim_rgb: number; ssim_y: number }
const gold = JSON.parse(readFileSync(new URL('goldens.json', FIX), 'utf8')) as {
  images: { name: string; offset: number; h: number; w: number }[]; cases: Golden[];
};
const blob = readFileSync(new URL('images.bin', FIX));
function fixture(name: string): ImageCHW {
  const e = gold.images.find((i) => i.name === name);
  if (!e) throw new Error(`no fixture ${name}`);
  const n = e.h * e.w, data = new Float32Array(3 * n);
  for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) data[c * n + i] = blob[e.offset + 3 * i + c] / 255;
  return { data, c: 3, h: e.h, w: e.w };
}
function ramp(h: number, w: number): ImageCHW {
  const data = new Float32Array(3 * h * w);
  for (let c = 0; c < 3; c++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++)
    data[c * h * w + y * w + x] = (0.2 + 0.6 * ((x * 3 + y * 5 + c * 17) % 64) / 64);
  return { data, c: 3, h, w };
}

test('identical images: PSNR inf, SSIM 1', () => {
  const a = ramp(32, 40);
  assert.is(psnr(a, a), Infinity);
  assert.is(psnr(a, a, { y: true, crop: 4 }), Infinity);
  assert.ok(Math.abs(ssim(a, a) - 1) < 1e-12);
  assert.ok(Math.abs(ssim(a, a, { y: true }) - 1) < 1e-12);
});

test('known noise levels: constant offset and Gaussian noise', () => {
  const a = ramp(48, 48), b = { ...a, data: a.data.map((v) => v + 5 / 255) };
  assert.ok(Math.abs(psnr(a, b) - 20 * Math.log10(255 / 5)) < 1e-4, `offset 5: ${psnr(a, b)}`);
  // Y of a uniform +d offset shifts by (65.481+128.553+24.966) d = 219 d.
  assert.ok(Math.abs(psnr(a, b, { y: true }) - 20 * Math.log10(255 / (219 * 5 / 255))) < 1e-4);
  const r = StreamRng.fromSeed(11), n = a.data.map((v) => v + r.normal(0, 10 / 255));
  const p = psnr(a, { ...a, data: n });
  assert.ok(Math.abs(p - 20 * Math.log10(255 / 10)) < 0.15, `sigma 10 -> ${p}`);
  const n3 = a.data.map((v) => v + r.normal(0, 3 / 255));
  const s10 = ssim(a, { ...a, data: n }), s3 = ssim(a, { ...a, data: n3 });
  assert.ok(s10 < s3 && s3 < 0.9999, `ssim must fall with noise: sigma 3 ${s3}, sigma 10 ${s10}`);
});

test('border crop only measures the interior', () => {
  const a = ramp(30, 30), b = { ...a, data: a.data.slice() };
  for (let c = 0; c < 3; c++) for (let x = 0; x < 30; x++) b.data[c * 900 + x] = 0; // corrupt the top row
  assert.ok(psnr(a, b) < 40);
  assert.is(psnr(a, b, { crop: 1 }), Infinity);
  assert.is(mse255(a, b, { crop: 2 }), 0);
  assert.ok(Math.abs(ssim(a, b, { crop: 1 }) - 1) < 1e-12);
  assert.throws(() => psnr(a, b, { crop: 15 }), /crop 15 leaves nothing/);
});

test('matches scikit-image goldens (PSNR / SSIM, RGB / Y, crop 0 / 4)', () => {
  assert.ok(gold.cases.length >= 16);
  for (const g of gold.cases) {
    const gt = fixture(g.gt), pred = fixture(g.pred), o = { crop: g.crop };
    const tag = `${g.pred} crop ${g.crop}`;
    const got = { psnr_rgb: psnr(pred, gt, o), psnr_y: psnr(pred, gt, { ...o, y: true }), ssim_rgb: ssim(pred, gt, o), ssim_y: ssim(pred, gt, { ...o, y: true }) };
    assert.ok(Math.abs(got.psnr_rgb - g.psnr_rgb) < 1e-6, `${tag} psnr_rgb ${got.psnr_rgb} vs ${g.psnr_rgb}`);
    assert.ok(Math.abs(got.psnr_y - g.psnr_y) < 1e-4, `${tag} psnr_y ${got.psnr_y} vs ${g.psnr_y}`);
    assert.ok(Math.abs(got.ssim_rgb - g.ssim_rgb) < 1e-6, `${tag} ssim_rgb ${got.ssim_rgb} vs ${g.ssim_rgb}`);
    assert.ok(Math.abs(got.ssim_y - g.ssim_y) < 1e-5, `${tag} ssim_y ${got.ssim_y} vs ${g.ssim_y}`);
  }
});

test('metrics reject shape mismatch', () => {
  assert.throws(() => psnr(ramp(16, 16), ramp(16, 17)), /differ in shape/);
  assert.throws(() => ssim(ramp(8, 8), ramp(8, 8)), /smaller than the 11x11 window/);
});

test('bicubicUpscale: size, constants preserved, clamped, beats nearest on a smooth image', () => {
  const flat: ImageCHW = { c: 3, h: 5, w: 7, data: new Float32Array(105).fill(0.3) };
  const up = bicubicUpscale(flat, 4);
  assert.equal([up.c, up.h, up.w], [3, 20, 28]);
  for (const v of up.data) assert.ok(Math.abs(v - 0.3) < 1e-6);
  const edge: ImageCHW = { c: 1, h: 1, w: 4, data: Float32Array.from([0, 0, 1, 1]) };
  const e = bicubicUpscale(edge, 4);
  assert.ok(Math.min(...e.data) >= 0 && Math.max(...e.data) <= 1, 'overshoot clamped');
  // smooth target: downsample by 4 (area) then upscale: bicubic should be closer than pixel replication
  const H = 64, hr: ImageCHW = { c: 3, h: H, w: H, data: new Float32Array(3 * H * H) };
  for (let c = 0; c < 3; c++) for (let y = 0; y < H; y++) for (let x = 0; x < H; x++)
    hr.data[c * H * H + y * H + x] = 0.5 + 0.4 * Math.sin(x / 6 + c) * Math.cos(y / 7);
  const lr: ImageCHW = { c: 3, h: 16, w: 16, data: new Float32Array(3 * 256) };
  for (let c = 0; c < 3; c++) for (let y = 0; y < 16; y++) for (let x = 0; x < 16; x++) {
    let s = 0;
    for (let dy = 0; dy < 4; dy++) for (let dx = 0; dx < 4; dx++) s += hr.data[c * H * H + (4 * y + dy) * H + 4 * x + dx];
    lr.data[c * 256 + y * 16 + x] = s / 16;
  }
  const nn: ImageCHW = { ...hr, data: hr.data.map((_, i) => { const c = Math.floor(i / (H * H)), y = Math.floor((i % (H * H)) / H), x = i % H; return lr.data[c * 256 + (y >> 2) * 16 + (x >> 2)]; }) };
  const pb = psnr(bicubicUpscale(lr, 4), hr, { crop: 4 }), pn = psnr(nn, hr, { crop: 4 });
  assert.ok(pb > pn + 3, `bicubic ${pb} vs nearest ${pn}`);
});

test.run();
