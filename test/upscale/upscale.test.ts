// upscale / upscaleStream with a tiny random H-VAR bundle (LR tile 8 px): one tile equals sampleHVAR with the same seed (with and
// without guidance and filters); small inputs are padded and cropped back exactly; large non-square inputs are tiled with exact sizes,
// each region covered by one tile equal to that tile run alone; keeping or replaying groups and the batch size do not change the
// result; ×1 is yielded before any ×2 step runs; seeds; argument errors.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fromArray, noGrad, ops } from '../../src/engine/index.ts';
import { sampleHVAR } from '../../src/models/hvar/index.ts';
import { upscale, upscaleStream, bundleFromHost, modelRunner, tileSeed, reflectIndex, type HVARBundle, type UpscaleOptions } from '../../src/upscale/index.ts';
import { decodeTileBytes } from '../../src/upscale/session.ts';
import type { ImageCHW } from '../../src/io/image.ts';
import { getDevice, closeDevice } from '../helpers/gpu.ts';
import { tinyParts, CARD, LR_SIDE, picture } from './fixture.ts';

const dev = await getDevice();
const parts = tinyParts(dev);
// through the bundle code path (host tensors in, as a file or fetched bytes would give them)
const host = new Map<string, { shape: number[]; data: Float32Array | Int32Array }>();
for (const [p, sd] of [['vqvae.', parts.vae.stateDict()], ['hvar.', parts.model.stateDict()]] as const)
  for (const [k, t] of Object.entries(sd)) host.set(p + k, { shape: [...t.shape], data: (await t.toArray()) as Float32Array | Int32Array });
const bundle: HVARBundle = bundleFromHost(dev, { 'hvar.vqvae.config': JSON.stringify(parts.vae.cfg), 'hvar.hvar.config': JSON.stringify(parts.model.cfg), 'hvar.model.card': JSON.stringify(CARD) }, host, 'tiny');
parts.vae.dispose(); parts.model.dispose();

const T = LR_SIDE;
const crop = (img: ImageCHW, y0: number, x0: number, h: number, w: number): ImageCHW => {
  const data = new Float32Array(3 * h * w);
  for (let c = 0; c < 3; c++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data[(c * h + y) * w + x] = img.data[(c * img.h + y0 + y) * img.w + x0 + x]!;
  return { data, c: 3, h, w };
};
const maxDiff = (a: Float32Array, b: Float32Array) => { assert.is(a.length, b.length); let m = 0; for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!)); return m; };
const sizes = (r: object) => Object.entries(r as Record<string, ImageCHW>).map(([k, v]) => [k, v.h, v.w]);

test('a one-tile input gives sampleHVAR\'s images with the same seed (plain, and with cfg, top-k and top-p)', async () => {
  const img = picture(T, T, 1);
  for (const o of [{ seed: 3 }, { seed: 11, cfg: 1.5, topK: 20, topP: 0.9 }] as UpscaleOptions[]) {
    const order: number[] = [];
    const got: ImageCHW[] = [];
    for await (const s of upscaleStream(dev, bundle, img, o)) { order.push(s.scale); got.push(s.image); }
    assert.equal(order, [1, 2, 4]);
    assert.equal(got.map((g) => [g.c, g.h, g.w]), [[3, 8, 8], [3, 16, 16], [3, 32, 32]]);
    const lr = noGrad(dev, () => ops.affine(fromArray(dev, img.data, [1, 3, T, T]), 2, -1));
    let i = 0;
    for await (const r of sampleHVAR(bundle.model, bundle.vae, lr, { seed: o.seed!, cfg: o.cfg, topK: o.topK, topP: o.topP })) {
      const want = (await noGrad(dev, () => ops.affine(r.image_B3HW, 0.5, 0.5)).toArray()) as Float32Array;
      assert.ok(maxDiff(got[i]!.data, want) < 1e-6, `${JSON.stringify(o)} ×${order[i]}: differs from sampleHVAR by ${maxDiff(got[i]!.data, want)}`);
      r.image_B3HW.dispose(); i++;
    }
    lr.dispose();
    assert.is(i, 3);
  }
});

test('a smaller input (5×3) is reflect-padded to the tile and its outputs cropped back: the padded image\'s outputs, cropped', async () => {
  const [h, w] = [3, 5], img = picture(h, w, 2);
  const r = await upscale(dev, bundle, img, { seed: 4 });
  assert.equal(sizes(r), [['x1', 3, 5], ['x2', 6, 10], ['x4', 12, 20]]);
  const padded: ImageCHW = { data: new Float32Array(3 * T * T), c: 3, h: T, w: T };
  for (let c = 0; c < 3; c++) for (let y = 0; y < T; y++) for (let x = 0; x < T; x++)
    padded.data[(c * T + y) * T + x] = img.data[(c * h + reflectIndex(y, h)) * w + reflectIndex(x, w)]!;
  const p = await upscale(dev, bundle, padded, { seed: 4 });
  for (const [k, f] of [['x1', 1], ['x2', 2], ['x4', 4]] as const)
    assert.ok(maxDiff(r[k].data, crop(p[k], 0, 0, h * f, w * f).data) < 1e-6, `${k}: not the crop of the padded image's output`);
});

test('a larger non-square input (13×21, 8 tiles): exact sizes; regions of one tile equal that tile alone; keep/replay and batch give the same images; ×1 before any ×2 step', async () => {
  const [h, w] = [13, 21], img = picture(h, w, 5), seed = 9;
  const events: string[] = [];
  const r: Record<string, ImageCHW> = {};
  for await (const s of upscaleStream(dev, bundle, img, { seed, onProgress: (p) => events.push(`step ×${p.factor}`) })) { events.push(`yield ×${s.scale}`); r[`x${s.scale}`] = s.image; }
  assert.equal(sizes(r), [['x1', 13, 21], ['x2', 26, 42], ['x4', 52, 84]]);
  const y1 = events.indexOf('yield ×1'), y2 = events.indexOf('yield ×2');
  assert.ok(y1 > 0 && events.slice(0, y1).every((e) => e === 'step ×1') && !events.slice(y1).includes('step ×1'), `×1 steps all before its yield: ${events}`);
  assert.ok(events.slice(y1 + 1, y2).every((e) => e === 'step ×2') && events.slice(y2).every((e) => e !== 'step ×2'), `×2 steps between the yields: ${events}`);
  // Tiles (rows at 0 and 5, columns at 0, 4, 9, 13). Rows 0..4 × columns 0..3 belong to tile 0 alone, rows 8..12 × columns 17..20 to tile 7.
  for (const [k, y0, x0, ry, rx, rh, rw] of [[0, 0, 0, 0, 0, 5, 4], [7, 5, 13, 8, 17, 5, 4]] as const) {
    const alone = await upscale(dev, bundle, crop(img, y0, x0, T, T), { seed: tileSeed(seed, k) });
    for (const [key, f] of [['x1', 1], ['x2', 2], ['x4', 4]] as const) {
      const a = crop(r[key]!, ry * f, rx * f, rh * f, rw * f), b = crop(alone[key], (ry - y0) * f, (rx - x0) * f, rh * f, rw * f);
      assert.ok(maxDiff(a.data, b.data) < 1e-6, `tile ${k} ${key}: its own region differs from the tile run alone by ${maxDiff(a.data, b.data)}`);
    }
  }
  // the other tiles do matter where they overlap (a check that the comparison above is not vacuous)
  const other = await upscale(dev, bundle, crop(img, 0, 0, T, T), { seed: tileSeed(seed, 0) });
  assert.ok(maxDiff(crop(r.x1!, 0, 0, T, T).data, other.x1.data) > 1e-3, 'the overlap with tiles 1 and 4 should blend in other samples');
  // groups released after each segment and replayed, and other batch sizes: the same images
  let replays = 0;
  // a budget for one group of 3 but not for all three groups
  const cacheBudget = 1.5 * modelRunner(bundle, { cfg: 0, topK: 0, topP: 0 }).liveBytes(3);
  const replayed = await upscale(dev, bundle, img, { seed, batch: 3, cacheBudget, onProgress: (p) => { if (p.replay) replays++; } });
  assert.ok(replays > 0, 'groups over the cache budget are replayed');
  const single = await upscale(dev, bundle, img, { seed, batch: 1 });
  // decodes one tile at a time (budget 0), and three tiles at a time for x4 (the last group shorter) while x1 and x2
  // still decode the whole batch at once
  const perTile4 = decodeTileBytes(bundle.vae, bundle.lrSide * 4);
  const oneByOne = await upscale(dev, bundle, img, { seed, decodeBudget: 0 }), threes = await upscale(dev, bundle, img, { seed, decodeBudget: 3 * perTile4 });
  for (const k of ['x1', 'x2', 'x4'] as const) {
    assert.ok(maxDiff(replayed[k].data, r[k]!.data) === 0, `${k}: replayed groups differ by ${maxDiff(replayed[k].data, r[k]!.data)}`);
    assert.ok(maxDiff(single[k].data, r[k]!.data) < 1e-5, `${k}: batch 1 differs from batch 8 by ${maxDiff(single[k].data, r[k]!.data)}`);
    for (const [what, o] of [['one tile per decode', oneByOne], ['three tiles per x4 decode', threes]] as const)
      assert.ok(maxDiff(o[k].data, r[k]!.data) < 1e-5, `${k}: ${what} differs from whole-batch decodes by ${maxDiff(o[k].data, r[k]!.data)}`);
  }
});

test('seeds: the same seed gives the same images, another seed other images; a tile side other than the model\'s is resampled', async () => {
  const img = picture(10, 12, 7);
  const a = await upscale(dev, bundle, img, { seed: 1 }), b = await upscale(dev, bundle, img, { seed: 1 }), c = await upscale(dev, bundle, img, { seed: 2 });
  for (const k of ['x1', 'x2', 'x4'] as const) {
    assert.equal(Array.from(a[k].data), Array.from(b[k].data), k);
    assert.ok(maxDiff(a[k].data, c[k].data) > 1e-3, `${k}: seeds 1 and 2 agree`);
  }
  const t = await upscale(dev, bundle, img, { seed: 1, tile: 16 });
  assert.equal(sizes(t), [['x1', 10, 12], ['x2', 20, 24], ['x4', 40, 48]]);
  assert.ok(maxDiff(t.x4.data, a.x4.data) > 1e-3, 'tile 16 (one tile, resampled to 8) differs from tiles of 8');
});

test('argument errors name the option and the limit', async () => {
  const img = picture(8, 8);
  const rejects = async (o: UpscaleOptions, re: RegExp, im: ImageCHW = img) => {
    try { await upscale(dev, bundle, im, o); } catch (e) { assert.match((e as Error).message, re); return; }
    assert.unreachable(`expected ${re}`);
  };
  await rejects({ maxPixels: 63 }, /the input is 8x8 = 64 pixels, over the limit of 63 \(maxPixels \/ --max-pixels\)/);
  await rejects({ cfg: -1 }, /cfg must be a finite number >= 0/);
  await rejects({ topK: 1.5 }, /topK must be an integer >= 0/);
  await rejects({ topP: 2 }, /topP must lie in \[0, 1\]/);
  await rejects({ tile: 1 }, /tile must be an integer from 2 to 64 LR pixels \(the model's LR side is 8\)/);
  await rejects({ overlap: 5 }, /overlap must be an integer from 0 to 4/);
  await rejects({ seed: -1 }, /seed must be an integer >= 0/);
  await rejects({ decodeBudget: -1 }, /decodeBudget must be a number of bytes >= 0, got -1/);
  await rejects({ decodeBudget: NaN }, /decodeBudget must be a number of bytes >= 0, got NaN/);
  await rejects({ batch: 4, cacheBudget: 1000 }, /a batch of 4 tiles needs 0\.[0-9] MiB of KV cache, over the budget of 0\.0 MiB \(lower batch or raise cacheBudget\)/, picture(20, 20));
  await rejects({}, /expected an RGB image .* got c 1/, { data: new Float32Array(64), c: 1, h: 8, w: 8 });
});

test.after(async () => { bundle.dispose(); await closeDevice(); });
test.run();
