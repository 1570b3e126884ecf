// Tests for dataset scanning/splitting/cropping and the prefetching DataLoader (determinism, shapes, skips, LR pairs).
import { PHOTOS } from '../helpers/paths.ts';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodePng, type ImageCHW } from '../../src/io/image.ts';
import { cropFlip, listImages, randomCrop, scanDataset, splitOf } from '../../src/train/data/dataset.ts';
import { DataLoader, type Batch } from '../../src/train/data/loader.ts';
import { StreamRng } from '../../src/train/data/rng.ts';
import { realEsrganConfig } from '../../src/train/data/degrade/config.ts';
import { degradeCpu } from '../../src/train/data/degrade/pipeline.ts';

const root = mkdtempSync(join(tmpdir(), 'hvar-ds-'));
/** Image whose pixel values encode (file id, x, y) so crops can be checked exactly. */
function tagged(id: number, h: number, w: number): ImageCHW {
  const data = new Float32Array(3 * h * w);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    data[y * w + x] = x / 255; data[h * w + y * w + x] = y / 255; data[2 * h * w + y * w + x] = id / 255;
  }
  return { data, c: 3, h, w };
}
mkdirSync(join(root, 'a/deep'), { recursive: true });
mkdirSync(join(root, 'b'));
let id = 0;
for (const [sub, n, h, w] of [['a', 6, 80, 96], ['a/deep', 5, 72, 100], ['b', 5, 90, 70]] as const)
  for (let i = 0; i < n; i++) writeFileSync(join(root, sub, `img${i}.png`), encodePng(tagged(++id, h, w)));
writeFileSync(join(root, 'a/tiny0.png'), encodePng(tagged(100, 40, 200)));
writeFileSync(join(root, 'b/tiny1.png'), encodePng(tagged(101, 63, 63)));
writeFileSync(join(root, 'b/broken.png'), 'not an image');
writeFileSync(join(root, 'b/readme.txt'), 'ignored');
const photos = join(root, 'photos');
mkdirSync(photos);
for (const f of ['skimage_chelsea.jpg', 'skimage_coffee.jpg', 'skimage_rocket.jpg']) symlinkSync(`${PHOTOS}/${f}`, join(photos, f));

test('listImages is recursive, sorted and filters by extension', async () => {
  const files = await listImages([join(root, 'a'), join(root, 'b')]);
  assert.is(files.length, 6 + 5 + 1 + 5 + 2);
  assert.ok(files.some((f) => f.key === 'deep/img3.png'));
  assert.not.ok(files.some((f) => f.path.endsWith('.txt')));
  assert.equal(files, await listImages([join(root, 'a'), join(root, 'b')]));
});

test('too-small and unreadable files are skipped and counted, not fatal', async () => {
  const s = await scanDataset({ roots: [join(root, 'a'), join(root, 'b')], crop: 64, split: 'all' });
  assert.is(s.entries.length, 16);
  assert.is(s.tooSmall.length, 2);
  assert.ok(s.tooSmall.some((p) => p.endsWith('tiny0.png')) && s.tooSmall.some((p) => p.endsWith('tiny1.png')));
  assert.is(s.unreadable.length, 1);
  assert.match(s.unreadable[0].reason, /broken\.png.*not a PNG or JPEG/);
});

test('train/val split by path hash is deterministic, disjoint and complete', async () => {
  const roots = [root];
  const tr = await scanDataset({ roots, crop: 64, split: 'train', valFraction: 0.3 });
  const va = await scanDataset({ roots, crop: 64, split: 'val', valFraction: 0.3 });
  const all = await scanDataset({ roots, crop: 64, split: 'all' });
  const tk = new Set(tr.entries.map((e) => e.key)), vk = new Set(va.entries.map((e) => e.key));
  assert.ok(tk.size > 0 && vk.size > 0, `train ${tk.size} val ${vk.size}`);
  for (const k of vk) assert.not.ok(tk.has(k), `${k} in both splits`);
  assert.is(tk.size + vk.size, all.entries.length);
  assert.is(splitOf('x/y.png', 0.3), splitOf('x/y.png', 0.3));
  let val = 0;
  for (let i = 0; i < 4000; i++) if (splitOf(`dir/${i}.png`, 0.1) === 'val') val++;
  assert.ok(Math.abs(val / 4000 - 0.1) < 0.02, `val fraction ${val / 4000}`);
});

test('cropFlip / randomCrop take the right pixels', () => {
  const img = tagged(7, 20, 30);
  const c = cropFlip(img, 3, 5, 8, false, false);
  assert.is(Math.round(c.data[2 * 8 + 4] * 255), 9); // R = x = 5 + 4
  assert.is(Math.round(c.data[64 + 2 * 8 + 4] * 255), 5); // G = y = 3 + 2
  const h = cropFlip(img, 3, 5, 8, true, false);
  assert.is(Math.round(h.data[0] * 255), 12); // x mirrored: 5 + 7
  const v = cropFlip(img, 3, 5, 8, false, true);
  assert.is(Math.round(v.data[64] * 255), 10); // y mirrored: 3 + 7
  const t = cropFlip(img, 3, 5, 8, false, false, true);
  assert.is(Math.round(t.data[1] * 255), 5); // transposed: (x=1,y=0) reads source (x=0,y=1) -> R = 5
  assert.is(Math.round(t.data[64 + 1] * 255), 4);
  const r1 = randomCrop(img, 8, StreamRng.fromSeed(3), { hflip: true, vflip: true }), r2 = randomCrop(img, 8, StreamRng.fromSeed(3), { hflip: true, vflip: true });
  assert.equal(Array.from(r1.data), Array.from(r2.data));
  let flips = 0;
  for (let s = 0; s < 200; s++) {
    const r = randomCrop(img, 8, StreamRng.fromSeed(s));
    const x0 = Math.round(r.data[0] * 255), x1 = Math.round(r.data[1] * 255);
    if (x1 < x0) flips++;
    assert.ok(x0 >= 0 && x0 <= 29);
  }
  assert.ok(flips > 70 && flips < 130, `hflip count ${flips}/200`);
});

async function collect(l: DataLoader, e: number, slowMs = 0): Promise<Batch[]> {
  const out: Batch[] = [];
  for await (const b of l.epoch(e)) { out.push(b); if (slowMs) await new Promise((r) => setTimeout(r, slowMs)); }
  return out;
}

test('loader: NCHW shapes, seeded shuffle, determinism independent of prefetch depth', async () => {
  const s = await scanDataset({ roots: [root], crop: 64, split: 'all' });
  const mk = (seed: number, prefetch: number) => new DataLoader({ entries: s.entries, crop: 64, batchSize: 4, rng: StreamRng.fromSeed(seed), prefetch });
  const a = await collect(mk(1, 1), 0), b = await collect(mk(1, 4), 0, 5), c = await collect(mk(2, 2), 0);
  assert.is(a.length, 4); // 16 images / 4, drop last
  assert.equal([a[0].n, a[0].c, a[0].h, a[0].w, a[0].hr.length], [4, 3, 64, 64, 4 * 3 * 64 * 64]);
  for (let i = 0; i < a.length; i++) {
    assert.equal(a[i].paths, b[i].paths);
    assert.ok(Buffer.from(a[i].hr.buffer).equals(Buffer.from(b[i].hr.buffer)), 'same seed, different prefetch -> same bytes');
  }
  assert.not.equal(a.map((x) => x.paths).flat(), c.map((x) => x.paths).flat(), 'different seed -> different order');
  const e1 = await collect(mk(1, 2), 1);
  assert.not.equal(a.map((x) => x.paths).flat(), e1.map((x) => x.paths).flat(), 'epochs reshuffle');
  // each sample's blue channel carries its file id; check it matches the path
  const ids = new Set(a.flatMap((bt) => Array.from({ length: bt.n }, (_, k) => Math.round(bt.hr[k * 3 * 4096 + 2 * 4096] * 255))));
  assert.is(ids.size, 16);
});

test('loader prefetches ahead of a slow consumer and maps to [-1,1]', async () => {
  const s = await scanDataset({ roots: [root], crop: 64, split: 'all' });
  const l = new DataLoader({ entries: s.entries, crop: 64, batchSize: 2, rng: StreamRng.fromSeed(4), prefetch: 3, range: '-11' });
  const it = l.epoch(0);
  const first = (await it.next()).value as Batch;
  await new Promise((r) => setTimeout(r, 300)); // consumer busy: producer should fill the queue meanwhile
  assert.ok(l.stats.batches >= 3, `produced ${l.stats.batches} batches while the consumer was busy`);
  assert.ok(l.stats.batches <= 1 + 3 + 1, 'bounded by prefetch depth');
  let mn = 1, mx = -1;
  for (const v of first.hr) { mn = Math.min(mn, v); mx = Math.max(mx, v); }
  assert.ok(mn >= -1 && mx <= 1 && mn < -0.5, `range ${mn}..${mx}`);
  await it.return(undefined);
});

test('loader + Real-ESRGAN degradation on real photos gives HR/LR pairs', async () => {
  const s = await scanDataset({ roots: [photos], crop: 128, split: 'all' });
  assert.is(s.entries.length, 3);
  const cfg = realEsrganConfig(4);
  const l = new DataLoader({ entries: s.entries, crop: 128, batchSize: 3, rng: StreamRng.fromSeed(9), cropsPerImage: 1,
    makeLr: async (hr, rng) => (await degradeCpu(hr, rng, cfg)).lr });
  const [b] = await collect(l, 0);
  assert.equal([b.n, b.h, b.lrH, b.lrW, b.lr!.length], [3, 128, 32, 32, 3 * 3 * 32 * 32]);
  const [b2] = await collect(new DataLoader({ ...l.opts, rng: StreamRng.fromSeed(9) }), 0);
  assert.ok(Buffer.from(b.lr!.buffer).equals(Buffer.from(b2.lr!.buffer)), 'degraded batch is reproducible');
});

test('loader rejects an empty dataset with a clear error', () => {
  assert.throws(() => new DataLoader({ entries: [], crop: 64, batchSize: 2, rng: StreamRng.fromSeed(0) }), /no usable images/);
});

test.after(() => rmSync(root, { recursive: true, force: true }));
test.run();
