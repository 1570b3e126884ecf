// examples/internals (the pictures of docs/var-internals.md) on a tiny random tokenizer at 16 px: every PNG written and decodable,
// the mask picture against the block-causal rule, token maps against the ids, the KV-cache rows against the schedule, the CLI.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { build } from 'esbuild';
import { fromArray, Rng } from '../../src/engine/index.ts';
import { decodeImage, readImage, type ImageCHW } from '../../src/io/image.ts';
import { hitSegments } from '../../src/models/quant/schedule.ts';
import { VQVAE, saveVQVAE } from '../../src/models/vqvae/index.ts';
import { TOKENIZER_PRESETS } from '../../src/train/tokenizer_presets.ts';
import { renderInternals, idColor, type InternalsResult, type GridBox } from '../../examples/internals/render.ts';
import { getDevice, closeDevice } from '../helpers/gpu.ts';

const root = new URL('../..', import.meta.url).pathname;
const PHOTO = join(root, 'data/train-2k/skimage_chelsea.jpg');
const SIZE = 16; // the tiny tokenizer downsamples ×2: latent side 8, hitSegments(8) = [1, 2] [3, 4] [6, 8], prefix 8×8
const dir = mkdtempSync(join(tmpdir(), 'hvar-internals-'));
const tinyVAE = async (segments = hitSegments(8)) => VQVAE.create(await getDevice(), { ...TOKENIZER_PRESETS.tiny!, segments }, new Rng(3));

let result: InternalsResult | null = null;
async function rendered(): Promise<InternalsResult> {
  if (result) return result;
  const dev = await getDevice(), vae = await tinyVAE();
  try { result = await renderInternals({ dev, vae, weights: 'random tiny (test)', photo: await readImage(PHOTO), size: SIZE, out: dir }); } finally { vae.dispose(); }
  return result;
}
const png = (path: string) => decodeImage(readFileSync(path), path);
/** The 8-bit colour of pixel (x, y). */
const px = (img: ImageCHW, x: number, y: number) => [0, 1, 2].map((k) => Math.round(255 * img.data[k * img.h * img.w + y * img.w + x]!));
const isWhite = (c: number[]) => c.every((v) => v === 255);
/** Level of every token, computed here from the scale sides: `prefix` zeros, then pn² copies of each scale's index. */
const levelsOf = (scales: number[], prefix: number) => [...new Array<number>(prefix).fill(0), ...scales.flatMap((pn, k) => new Array<number>(pn * pn).fill(k))];

test('every picture is written, decodes as an RGB PNG of a plausible size, and stays under 200 KB', async () => {
  const r = await rendered();
  assert.equal(Object.keys(r.files).sort(), ['fhat', 'hitPrefix', 'kvCache', 'mask', 'schedule', 'tokenMaps']);
  for (const [name, f] of Object.entries(r.files)) {
    const img = png(f), bytes = statSync(f).size;
    assert.is(img.c, 3, name);
    assert.ok(img.w >= 300 && img.w <= 3000 && img.h >= 100 && img.h <= 3000, `${name}: ${img.w}x${img.h}`);
    assert.ok(bytes > 1000 && bytes < 200_000, `${name}: ${bytes} bytes`);
    let nonWhite = 0;
    for (let i = 0; i < img.h * img.w; i++) if (img.data[i]! < 1) nonWhite++;
    assert.ok(nonWhite > 0.01 * img.h * img.w, `${name}: almost blank (${nonWhite} non-white pixels)`);
  }
});

test('mask picture: pixel (query i, key j) is masked (white) exactly when level(j) > level(i), levels computed here', async () => {
  const r = await rendered(), img = png(r.files.mask);
  const cases = [
    { box: r.mask.var, levels: levelsOf(r.varSegs[0]!.scales as number[], 0) },
    { box: r.mask.hvar, levels: levelsOf(hitSegments(8).flatMap((s) => s.scales), 64) },
  ];
  assert.equal(r.varSegs[0]!.scales, [1, 2, 3, 4, 5, 6, 8]);
  for (const { box, levels } of cases) {
    assert.equal(Array.from(box.levels), levels, 'the renderer\'s level ids');
    const N = levels.length;
    let bad = 0, allowed = 0;
    for (let i = 0; i < N; i++) for (let j = 0; j < N; j++) {
      const white = isWhite(px(img, box.x + j * box.cell + (box.cell >> 1), box.y + i * box.cell + (box.cell >> 1)));
      const want = levels[j]! <= levels[i]!;
      if (want) allowed++;
      if (white === want) bad++;
    }
    assert.is(bad, 0, `${bad} of ${N * N} mask pixels disagree with the block-causal rule`);
    assert.ok(allowed < N * N && allowed > N, 'the mask is neither empty nor full');
  }
});

test('token maps: the ids are VQVAE.tokenize\'s, each cell has its id\'s colour, and colours are as many as distinct ids', async () => {
  const r = await rendered(), img = png(r.files.tokenMaps), dev = await getDevice();
  // tokenize the same input with a freshly built copy of the same random tokenizer
  const vae = await tinyVAE();
  const x = fromArray(dev, r.input.data.map((v) => 2 * v - 1), [1, 3, SIZE, SIZE]);
  const tok = vae.tokenize(x);
  const ids = (await tok.idx_BL.toArray()) as Int32Array;
  [x, tok.idx_BL, ...tok.perScale, ...tok.fHats].forEach((t) => t.dispose());
  vae.dispose();
  assert.equal(Array.from(r.ids.hit), Array.from(ids));
  const check = (boxes: GridBox[], all: Int32Array) => {
    let col = 0;
    for (const b of boxes) {
      const seen = new Map<string, number>(), distinct = new Set<number>();
      for (let rr = 0; rr < b.pn; rr++) for (let c = 0; c < b.pn; c++) {
        const id = all[col + rr * b.pn + c]!;
        const got = px(img, b.x + c * b.cell + (b.cell >> 1), b.y + rr * b.cell + (b.cell >> 1));
        assert.equal(got, Array.from(idColor(id)), `scale ${b.pn}, cell (${rr}, ${c}), id ${id}`);
        seen.set(got.join(','), id); distinct.add(id);
      }
      assert.is(seen.size, distinct.size, `scale ${b.pn}: colours vs distinct ids`);
      col += b.pn * b.pn;
    }
    assert.is(col, all.length);
  };
  check(r.tokenMaps.hit, r.ids.hit);
  check(r.tokenMaps.var, r.ids.var);
  assert.ok(new Set(Array.from({ length: 64 }, (_, i) => idColor(i).join(','))).size === 64, 'idColor is one-to-one on the vocabulary');
});

test('KV cache: the steps recorded from sampleHVAR are the prefix + start token, then pn² keys per scale; the rows show them', async () => {
  const r = await rendered(), img = png(r.files.kvCache);
  const scales = hitSegments(8).flatMap((s) => s.scales);
  let at = 0;
  const want = scales.map((pn, k) => { const start = at; at += pn * pn + (k === 0 ? 64 : 0); return { step: k, start, end: at }; });
  assert.equal(r.kv.steps, want);
  assert.is(r.kv.maxLen, at);
  for (const s of r.kv.steps) for (let j = 0; j < r.kv.maxLen; j++) {
    const c = px(img, r.kv.x + j * r.kv.cell + (r.kv.cell >> 1), r.kv.y0 + s.step * r.kv.rowH + 4);
    assert.is(isWhite(c), j >= s.end, `step ${s.step}, position ${j}`);
  }
});

test('HIT prefix decodes equal the same segments decoded from all ids (later tokens leave earlier segments alone)', async () => {
  const r = await rendered();
  assert.is(r.prefixVsFull, 0);
  assert.is(r.prefixPsnr.length, 3);
  assert.ok(r.prefixPsnr.every(Number.isFinite));
});

test('the command line: renders with a tokenizer file, refuses a bad --size naming the flag (exit 2) and a size off the latent grid (exit 1)', async () => {
  const out = join(root, '.build/test/internals_cli.mjs');
  await build({ entryPoints: [join(root, 'examples/internals.ts')], bundle: true, platform: 'node', format: 'esm', outfile: out, packages: 'external', logLevel: 'error' });
  const run = (...a: string[]) => spawnSync(process.execPath, [out, ...a], { cwd: root, encoding: 'utf8', timeout: 300_000, env: { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp' } });
  const bad = run('--size', '1x', '--out', dir);
  assert.is(bad.status, 2, bad.stderr);
  assert.match(bad.stderr, /--size expects a positive integer, got '1x'/);
  assert.is(run('--bogus').status, 2);
  const vae = await tinyVAE();
  const file = join(dir, 'tiny.safetensors');
  await saveVQVAE(vae, file);
  vae.dispose();
  const cliOut = join(dir, 'cli');
  const ok = run('--vae', file, '--size', String(SIZE), '--out', cliOut);
  assert.is(ok.status, 0, ok.stdout + ok.stderr);
  assert.match(ok.stdout, /6 pictures in/);
  for (const f of ['schedule', 'token_maps', 'mask', 'fhat', 'hit_prefix', 'kv_cache']) assert.ok(png(join(cliOut, `${f}.png`)).w > 0, f);
  const off = run('--vae', file, '--size', '18', '--out', cliOut);
  assert.is(off.status, 1, off.stdout + off.stderr);
  assert.match(off.stderr, /--size 18 must be a multiple of 4 × the tokenizer's downsampling 2/);
});

test.after(async () => { await closeDevice(); rmSync(dir, { recursive: true, force: true }); });
test.run();
