// Tests for the data CLIs: `hvar degrade`, `hvar upscale --bicubic`, `hvar eval` (exit codes, outputs, determinism).
import { PHOTOS } from '../helpers/paths.ts';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeImage, encodePng, readImage, type ImageCHW } from '../../src/io/image.ts';
import { cropFlip } from '../../src/train/data/dataset.ts';
import { main as degradeMain } from '../../src/cli/degrade.ts';
import { main as upscaleMain } from '../../src/cli/upscale_bicubic.ts';
import { main as evalMain } from '../../src/cli/eval.ts';
import { psnr } from '../../src/metrics/psnr.ts';

const dir = mkdtempSync(join(tmpdir(), 'hvar-cli-'));
const photo = await readImage(PHOTOS + '/skimage_chelsea.jpg');
const hr = cropFlip(photo, 50, 100, 96, false, false);
const hrPath = join(dir, 'hr.png');
writeFileSync(hrPath, encodePng(hr));

async function run(fn: (a: string[]) => Promise<number>, argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const log = console.log, error = console.error;
  let out = '', err = '';
  console.log = (...a: unknown[]) => { out += a.join(' ') + '\n'; };
  console.error = (...a: unknown[]) => { err += a.join(' ') + '\n'; };
  try { return { code: await fn(argv), out, err }; } finally { console.log = log; console.error = error; }
}

test('hvar degrade: 4x smaller, deterministic per seed', async () => {
  const o1 = join(dir, 'lr1.png'), o2 = join(dir, 'lr2.png'), o3 = join(dir, 'lr3.png'), plan = join(dir, 'plan.json');
  assert.is((await run(degradeMain, [hrPath, o1, '--scale', '4', '--seed', '17', '--plan', plan])).code, 0);
  assert.is((await run(degradeMain, [hrPath, o2, '--seed', '17'])).code, 0);
  assert.is((await run(degradeMain, [hrPath, o3, '--seed', '18'])).code, 0);
  const a = readFileSync(o1), b = readFileSync(o2), c = readFileSync(o3);
  const lr = decodeImage(a, o1);
  assert.equal([lr.w, lr.h], [24, 24]);
  assert.ok(a.equals(b), 'same seed -> same file');
  assert.not.ok(a.equals(c), 'different seed -> different file');
  assert.is(JSON.parse(readFileSync(plan, 'utf8')).lrH, 24);
  const bad = await run(degradeMain, [join(dir, 'nope.png'), o1]);
  assert.is(bad.code, 1);
  assert.match(bad.err, /cannot read image '.*nope\.png': no such file/);
  assert.is((await run(degradeMain, [hrPath])).code, 2);
});

test('hvar upscale --bicubic: scale x4', async () => {
  const lrPath = join(dir, 'small.png'), out = join(dir, 'up.png');
  writeFileSync(lrPath, encodePng(cropFlip(photo, 0, 0, 20, false, false)));
  const r = await run(upscaleMain, ['--bicubic', lrPath, out, '--scale', '4']);
  assert.is(r.code, 0, r.err);
  const up = await readImage(out);
  assert.equal([up.w, up.h], [80, 80]);
});

test('hvar eval: matches stems, prints table / JSON, reports unmatched', async () => {
  const pd = join(dir, 'pred'), gd = join(dir, 'gt');
  mkdirSync(pd); mkdirSync(gd);
  const noisy = (img: ImageCHW, d: number): ImageCHW => ({ ...img, data: img.data.map((v, i) => Math.min(1, Math.max(0, v + (i % 2 ? d : -d)))) });
  const g1 = cropFlip(photo, 0, 0, 48, false, false), g2 = cropFlip(photo, 100, 200, 48, false, false);
  writeFileSync(join(gd, 'one.png'), encodePng(g1)); writeFileSync(join(gd, 'two.png'), encodePng(g2)); writeFileSync(join(gd, 'three.png'), encodePng(g2));
  writeFileSync(join(pd, 'one.png'), encodePng(g1)); writeFileSync(join(pd, 'two.png'), encodePng(noisy(g2, 4 / 255)));
  const t = await run(evalMain, ['--pred', pd, '--gt', gd]);
  assert.is(t.code, 0, t.err);
  assert.match(t.out, /\| one \| inf \| 1\.0000 \|/);
  assert.match(t.out, /unmatched: 0 prediction\(s\) \[\], 1 ground truth\(s\) \[three\]/);
  const j = await run(evalMain, ['--pred', pd, '--gt', gd, '--json', '--crop', '4', '--y']);
  assert.is(j.code, 0);
  const rep = JSON.parse(j.out);
  assert.equal(rep.options, { crop: 4, y: true });
  assert.is(rep.rows.length, 2);
  assert.is(rep.rows[0].psnr, 'Infinity');
  const two = rep.rows.find((r: { name: string }) => r.name === 'two');
  const want = psnr(await readImage(join(pd, 'two.png')), g2, { crop: 4, y: true });
  assert.ok(Math.abs(two.psnr - want) < 1e-9);
  assert.is((await run(evalMain, ['--pred', pd])).code, 2);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
