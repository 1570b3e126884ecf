// `hvar eval-upscaler` with a tiny random bundle on small pieces of the repository's photos: one row per photo and scale; the
// bicubic and LR baselines and the model's scores recomputed here from the metric functions and upscale(); the degraded LR is
// training's Real-ESRGAN draw from the photo's own stream; report.md / .json / grid.png written and decodable; --split picks
// other photos; bad flags, a bad bundle and an empty split fail naming the flag or the file.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resampleCpu } from '../../src/engine/index.ts';
import { decodeImage, encodePng, readImage, type ImageCHW } from '../../src/io/image.ts';
import { psnr } from '../../src/metrics/psnr.ts';
import { ssim } from '../../src/metrics/ssim.ts';
import { bicubicUpscale } from '../../src/metrics/bicubic.ts';
import { splitOf } from '../../src/train/data/dataset.ts';
import { StreamRng } from '../../src/train/data/rng.ts';
import { realEsrganConfig, sampleDegradePlan, applyDegradePlan } from '../../src/train/data/degrade/index.ts';
import { gpuDegradeOps } from '../../src/train/data/degrade/gpu.ts';
import { evalUpscaler, formatUpscalerEval, gridLayout } from '../../src/train/eval_upscaler.ts';
import { loadBundle, saveBundle } from '../../src/upscale/bundle_file.ts';
import { upscale } from '../../src/upscale/index.ts';
import { getDevice, closeDevice } from '../helpers/gpu.ts';
import { PHOTOS } from '../helpers/paths.ts';
import { tinyParts, CARD } from './fixture.ts';

const SIZE = 32, SEED = 3, VF = 0.5;
const root = process.cwd();
const build = spawnSync(process.execPath, ['scripts/build.mjs', '--quiet', '--no-types'], { cwd: root, encoding: 'utf8' });
if (build.status !== 0) throw new Error(`build failed: ${build.stderr}`);
const dir = mkdtempSync(join(tmpdir(), 'hvar-evalup-'));
const model = join(dir, 'tiny.safetensors');
const dev = await getDevice();
const parts = tinyParts(dev);
await saveBundle(model, parts.vae, parts.model, CARD);

// The data folder: pieces of one repository photo named so that, at --val-fraction 0.5, two fall in val and one in train, plus a
// val piece smaller than the crop (named and skipped).
const data = join(dir, 'data');
mkdirSync(data);
const photo = await readImage(join(PHOTOS, readdirSync(PHOTOS).filter((f) => f.endsWith('.jpg')).sort()[0]!));
const piece = (top: number, left: number, h: number, w: number): ImageCHW => {
  const out = new Float32Array(3 * h * w);
  for (let c = 0; c < 3; c++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[(c * h + y) * w + x] = photo.data[(c * photo.h + top + y) * photo.w + left + x]!;
  return { data: out, c: 3, h, w };
};
const names = Array.from({ length: 40 }, (_, i) => `p${i}.png`);
const val = names.filter((n) => splitOf(n, VF) === 'val'), train = names.filter((n) => splitOf(n, VF) === 'train');
const VAL = val.slice(0, 2), TRAIN = train.slice(0, 1), SMALL = val[2]!;
const shapes: Record<string, [number, number, number, number]> = {
  [VAL[0]!]: [100, 200, 40, 36], [VAL[1]!]: [300, 120, 33, 45], [TRAIN[0]!]: [500, 500, 32, 32], [SMALL]: [50, 50, 31, 64],
};
for (const [n, [t, l, h, w]] of Object.entries(shapes)) writeFileSync(join(data, n), encodePng(piece(t, l, h, w)));

function hvar(args: string[]) {
  const r = spawnSync(process.execPath, [join(root, 'dist/hvar.mjs'), 'eval-upscaler', ...args], { cwd: dir, encoding: 'utf8', timeout: 300_000, env: { ...process.env, XDG_RUNTIME_DIR: '/tmp' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
/** The centre crop, written out here independently of the library. */
function crop(img: ImageCHW, s: number): ImageCHW {
  const top = Math.floor((img.h - s) / 2), left = Math.floor((img.w - s) / 2), out = new Float32Array(3 * s * s);
  for (let c = 0; c < 3; c++) for (let y = 0; y < s; y++) for (let x = 0; x < s; x++) out[(c * s + y) * s + x] = img.data[(c * img.h + top + y) * img.w + left + x]!;
  return { data: out, c: 3, h: s, w: s };
}
const area = (img: ImageCHW, s: number): ImageCHW => (img.h === s ? img : { data: resampleCpu(img.data, 1, 3, img.h, img.w, s, s, 'area'), c: 3, h: s, w: s });
const q8 = (img: ImageCHW): ImageCHW => ({ ...img, data: img.data.map((v) => Math.min(255, Math.max(0, Math.round(v * 255))) / 255) });
const close = (a: number | string, b: number, what: string) => {
  if (Number.isNaN(b)) return assert.ok(a === 'NaN' || Number.isNaN(a as number), `${what}: ${a}, expected NaN`);
  assert.ok(Math.abs((a as number) - b) <= 1e-9 * Math.max(1, Math.abs(b)), `${what}: ${a}, expected ${b}`);
};
/** Scores of one photo recomputed from its LR: the model's through upscale(), the baselines as bicubic (×2, ×4) and the LR (×1). */
async function expected(hr: ImageCHW, lr: ImageCHW, seed: number) {
  const bundle = await loadBundle(dev, model);
  const up = await upscale(dev, bundle, lr, { seed });
  bundle.dispose();
  const sc = (p: ImageCHW, g: ImageCHW) => ({ psnr: psnr(p, g), ssim: g.h >= 11 ? ssim(p, g) : NaN });
  return [1, 2, 4].map((s) => {
    const gt = area(hr, (SIZE / 4) * s);
    return { scale: s, hvar: sc(up[`x${s}` as 'x1'], gt), baseline: sc(s === 1 ? lr : bicubicUpscale(lr, s), gt) };
  });
}

test('CLI, --lr bicubic: a row per val photo and scale, numbers recomputed independently, report.md / .json / grid.png', async () => {
  const out = join(dir, 'out');
  const r = hvar(['--model', model, '--data', data, '--val-fraction', String(VF), '--size', String(SIZE), '--seed', String(SEED), '--lr', 'bicubic', '--out', out]);
  assert.is(r.code, 0, r.err);
  assert.match(r.err, new RegExp(`skipped '.*${SMALL}': smaller than 32px`));
  const progress = r.err.split('\n').filter((l) => /^\[\d\/2\] /.test(l));
  assert.equal(progress.map((l) => l.split(':')[0]), VAL.map((n, i) => `[${i + 1}/2] ${n}`));
  const rep = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
  assert.equal(rep.photos.map((p: { key: string }) => p.key), VAL);
  assert.equal(rep.split, 'val');
  for (const [i, p] of rep.photos.entries()) {
    assert.equal(p.rows.map((x: { scale: number; size: number }) => [x.scale, x.size]), [[1, 8], [2, 16], [4, 32]]);
    const hr = crop(decodeImage(readFileSync(join(data, VAL[i]!)), VAL[i]!), SIZE);
    // The clean LR: the 4×4 box average (area) rounded to 8-bit levels.
    const lr = q8(area(hr, SIZE / 4));
    const want = await expected(hr, lr, SEED);
    for (const [k, w] of want.entries()) {
      const got = p.rows[k];
      close(got.hvar.psnr, w.hvar.psnr, `${p.key} x${w.scale} H-VAR PSNR`); close(got.hvar.ssim, w.hvar.ssim, `${p.key} x${w.scale} H-VAR SSIM`);
      close(got.baseline.psnr, w.baseline.psnr, `${p.key} x${w.scale} baseline PSNR`); close(got.baseline.ssim, w.baseline.ssim, `${p.key} x${w.scale} baseline SSIM`);
      assert.is(got.baselineName, w.scale === 1 ? 'LR' : 'bicubic');
    }
  }
  for (const [k, m] of rep.mean.entries()) close(m.baseline.psnr, (rep.photos[0].rows[k].baseline.psnr + rep.photos[1].rows[k].baseline.psnr) / 2, `mean x${m.scale}`);
  // The printed table: a row per photo and scale, then the means; report.md holds the same table.
  const rows = r.out.split('\n').filter((l) => /^\| (p\d+\.png|\*\*mean\*\*) \| x[124] \|/.test(l));
  assert.equal(rows.map((l) => l.split(' | ').slice(0, 2).join(' ')), [...VAL.flatMap((n) => ['x1', 'x2', 'x4'].map((s) => `| ${n} ${s}`)), '| **mean** x1', '| **mean** x2', '| **mean** x4']);
  const x4 = rep.photos[0].rows[2];
  assert.ok(rows[2]!.includes(`| ${x4.hvar.psnr.toFixed(2)} / ${x4.hvar.ssim.toFixed(4)} | bicubic | ${x4.baseline.psnr.toFixed(2)} / ${x4.baseline.ssim.toFixed(4)} |`), rows[2]);
  assert.match(rows[0]!, /\| x1 \| 8 \| [\d.]+ \/ n\/a \| LR \| [\d.]+ \/ n\/a \|/);
  const md = readFileSync(join(out, 'report.md'), 'utf8');
  assert.ok(md.includes(rows.join('\n')), 'report.md holds the printed table');
  assert.match(md, /`hvar eval-upscaler --model .* --split val --val-fraction 0\.5 --size 32 --seed 3 --lr bicubic`/);
  // The grid: a row per photo; its GT panels are the crops, its LR panels the LR enlarged (nearest).
  const grid = decodeImage(readFileSync(join(out, 'grid.png')), 'grid.png'), L = gridLayout(SIZE, 2);
  assert.equal([grid.w, grid.h], [L.width, L.height]);
  for (const [i, n] of VAL.entries()) {
    const hr = crop(decodeImage(readFileSync(join(data, n)), n), SIZE), lr = q8(area(hr, SIZE / 4));
    let worst = 0;
    for (const [j, img, f] of [[3, hr, 1], [0, lr, 4]] as const) {
      const [y0, x0] = L.at(i, j);
      for (let c = 0; c < 3; c++) for (let y = 0; y < SIZE; y++) for (let x = 0; x < SIZE; x++)
        worst = Math.max(worst, Math.abs(grid.data[(c * grid.h + y0 + y) * grid.w + x0 + x]! - img.data[(c * img.h + Math.floor(y / f)) * img.w + Math.floor(x / f)]!));
    }
    assert.ok(worst <= 0.5 / 255 + 1e-6, `grid row ${i}: GT / LR panels off by ${worst * 255} levels`);
  }
  assert.equal(readdirSync(out).sort(), ['grid.png', 'report.json', 'report.md'], 'no temp files left');
});

test('--split train takes the other photos; without --out nothing is written; --json prints the report', () => {
  const before = readdirSync(dir).sort();
  const r = hvar(['--model', model, '--data', data, '--val-fraction', String(VF), '--size', String(SIZE), '--split', 'train', '--lr', 'bicubic', '--json']);
  assert.is(r.code, 0, r.err);
  const rep = JSON.parse(r.out);
  assert.equal(rep.photos.map((p: { key: string }) => p.key), TRAIN);
  assert.equal(rep.split, 'train');
  assert.not.match(r.err, /skipped/, 'the small photo is in the val split');
  const all = JSON.parse(hvar(['--model', model, '--data', data, '--size', String(SIZE), '--split', 'all', '--lr', 'bicubic', '--json', '--max-images', '2']).out);
  assert.equal(all.photos.map((p: { key: string }) => p.key), [...VAL, ...TRAIN].sort((a, b) => (a < b ? -1 : 1)).slice(0, 2));
  assert.equal(readdirSync(dir).sort(), before);
});

test('--lr degrade: the LR is training Real-ESRGAN draw from the photo\'s stream of the seed; scores match upscale() of it', async () => {
  const bundle = await loadBundle(dev, model);
  const photos = VAL.map((n) => ({ path: join(data, n), key: n }));
  const lrs: ImageCHW[] = [];
  const r = await evalUpscaler(dev, bundle, photos, { size: SIZE, seed: SEED, lr: 'degrade', grid: { n: 8, onPhoto: (row) => lrs.push(row[0]!) } }, readImage);
  bundle.dispose();
  assert.is(r.photos.length, 2);
  for (const [i, n] of VAL.entries()) {
    const hr = crop(await readImage(join(data, n)), SIZE);
    const plan = sampleDegradePlan(StreamRng.fromSeed(SEED).split('eval-upscaler').split(n), realEsrganConfig(4), SIZE, SIZE);
    const lr = (await applyDegradePlan(hr, plan, gpuDegradeOps(dev))) as ImageCHW;
    assert.equal([lr.h, lr.w], [8, 8]);
    assert.equal(Array.from(lrs[i]!.data), Array.from(lr.data), `${n}: the LR`);
    const want = await expected(hr, lr, SEED);
    for (const [k, w] of want.entries()) {
      close(r.photos[i]!.rows[k]!.hvar.psnr, w.hvar.psnr, `${n} x${w.scale} H-VAR`);
      close(r.photos[i]!.rows[k]!.baseline.psnr, w.baseline.psnr, `${n} x${w.scale} baseline`);
    }
  }
  // Another seed draws other degradations; the clean LR is not a degraded one.
  const b2 = await loadBundle(dev, model);
  const other = await evalUpscaler(dev, b2, photos.slice(0, 1), { size: SIZE, seed: SEED + 1, lr: 'degrade' }, readImage);
  const clean = await evalUpscaler(dev, b2, photos.slice(0, 1), { size: SIZE, seed: SEED, lr: 'bicubic' }, readImage);
  b2.dispose();
  assert.is.not(other.photos[0]!.rows[2]!.baseline.psnr, r.photos[0]!.rows[2]!.baseline.psnr);
  assert.is.not(clean.photos[0]!.rows[2]!.baseline.psnr, r.photos[0]!.rows[2]!.baseline.psnr);
  assert.match(formatUpscalerEval(r), /LR ×4 smaller by Real-ESRGAN degradation \(seed 3\)/);
});

test('errors: bad flags exit 2 naming the flag; a missing, foreign or truncated bundle and an empty split exit non-zero naming it', () => {
  const base = ['--data', data, '--size', String(SIZE)];
  const cases: [string[], number, RegExp][] = [
    [base, 2, /^hvar eval-upscaler: --model FILE is required/],
    [['--model', model, ...base, '--split', 'test'], 2, /^hvar eval-upscaler: --split expects val, train or all, got 'test'/],
    [['--model', model, '--data', data, '--size', '40'], 2, /^hvar eval-upscaler: --size expects a multiple of 16/],
    [['--model', model, ...base, '--lr', 'nearest'], 2, /^hvar eval-upscaler: --lr expects degrade or bicubic, got 'nearest'/],
    [['--model', model, ...base, '--val-fraction', '2'], 2, /^hvar eval-upscaler: --val-fraction expects a number from 0 to 0\.9, got '2'/],
    [['--model', model, ...base, '--seed', '-1'], 2, /^hvar eval-upscaler: --seed/],
    [['--model', model, ...base, '--bogus'], 2, /^hvar eval-upscaler: unknown option '--bogus'/],
    [['--model', model, '--data', join(dir, 'nodata'), '--size', '32'], 2, /^hvar eval-upscaler: --data: '.*nodata': no such directory/],
    [['--model', join(dir, 'none.safetensors'), ...base], 2, /^hvar eval-upscaler: --model: cannot read '.*none\.safetensors': no such file/],
  ];
  for (const [args, code, re] of cases) {
    const r = hvar(args);
    assert.is(r.code, code, `${args.join(' ')}: ${r.err}`);
    assert.match(r.err, re);
  }
  // A safetensors that is not a bundle, and a truncated bundle: loadBundle's errors, one line, naming the file.
  const bytes = readFileSync(model), hdr = Number(Buffer.from(bytes).readBigUInt64LE(0));
  const cut = join(dir, 'cut.safetensors'), plain = join(dir, 'plain.safetensors');
  writeFileSync(cut, bytes.subarray(0, 8 + hdr + 100));
  const meta = JSON.parse(bytes.subarray(8, 8 + hdr).toString('utf8'));
  const first = Object.keys(meta).find((k) => k !== '__metadata__')!;
  const { data_offsets: [s, e], ...info } = meta[first];
  const h2 = Buffer.from(JSON.stringify({ x: { ...info, data_offsets: [0, e - s] } }));
  const len = Buffer.alloc(8); len.writeBigUInt64LE(BigInt(h2.length));
  writeFileSync(plain, Buffer.concat([len, h2, bytes.subarray(8 + hdr + s, 8 + hdr + e)]));
  for (const [f, re] of [[plain, /not an H-VAR model bundle/], [cut, /trunc|short|end of|past/i]] as const) {
    const r = hvar(['--model', f, ...base, '--split', 'all']);
    assert.is(r.code, 1, r.err);
    assert.is(r.err.trim().split('\n').length, 1, `one line: ${r.err}`);
    assert.match(r.err, new RegExp(`^hvar eval-upscaler: --model: .*${f.split('/').pop()!.replace('.', '\\.')}.*`, 'm'));
    assert.match(r.err, re);
  }
  // An empty split: every val photo is below the crop.
  const r = hvar(['--model', model, '--data', data, '--size', '48', '--val-fraction', String(VF)]);
  assert.is(r.code, 1, r.err);
  assert.match(r.err, /hvar eval-upscaler: no held-back photo of at least 48px in .*data \(3 smaller, 0 unreadable, 1 in the other split\)/);
  assert.ok(!existsSync(join(dir, 'out', 'x')));
});

test.after(async () => { parts.vae.dispose(); parts.model.dispose(); await closeDevice(); rmSync(dir, { recursive: true, force: true }); });
test.run();
