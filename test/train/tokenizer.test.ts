// Tokenizer training, real short runs on the tiny configuration: the loss falls; a run stopped and resumed from its
// checkpoint logs exactly the losses of an uninterrupted run; the CLI refuses bad flags; eval-tokenizer scores prefixes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, mkdirSync, rmSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { writeImageSync, makeImage } from '../../src/io/image.ts';
import { trainTokenizer, quantizerFor, downsampleOf, type TokenizerRunConfig } from '../../src/train/tokenizer.ts';
import { TOKENIZER_PRESETS } from '../../src/train/tokenizer_presets.ts';
import { evalTokenizer, formatTokenizerEval, codeUse } from '../../src/train/eval_tokenizer.ts';
import { hitSegments, varSegments } from '../../src/models/quant/schedule.ts';
import { loadVQVAE } from '../../src/models/vqvae/index.ts';
import { getDevice, closeDevice } from '../helpers/gpu.ts';

const root = mkdtempSync(join(tmpdir(), 'hvar-tok-'));
const data = join(root, 'data');
mkdirSync(data);
// Smooth synthetic photos (gradients and a few blobs): enough structure for a loss to fall within tens of steps.
for (let k = 0; k < 4; k++) {
  const img = makeImage(3, 48, 48);
  for (let c = 0; c < 3; c++) for (let y = 0; y < 48; y++) for (let x = 0; x < 48; x++) {
    const v = 0.5 + 0.3 * Math.sin((x * (k + 1)) / 9 + c) * Math.cos((y * (3 - c + k)) / 11) + 0.15 * Math.exp(-((x - 12 * k) ** 2 + (y - 20) ** 2) / 60);
    img.data[(c * 48 + y) * 48 + x] = Math.min(1, Math.max(0, v));
  }
  writeImageSync(join(data, `p${k}.png`), img);
}

const base = (over: Partial<TokenizerRunConfig> = {}): TokenizerRunConfig => ({
  data: [data], model: TOKENIZER_PRESETS.tiny!, init: null, initKey: null, train: 'all', crop: 32, batch: 2, steps: 6,
  lr: 2e-3, warmup: 2, minLr: 2e-4, weightDecay: 0, clip: 1, beta: 0.25, qdrop: 0.5, lpips: null, lpipsWeight: 5,
  seed: 7, valFraction: 0, every: 3, sampleEvery: 0, restartDead: 0, ...over,
});
const quiet = { log: () => {} };

test('a run stopped at step 3 and resumed logs exactly the losses of an uninterrupted run', async () => {
  const dev = await getDevice();
  const a = await trainTokenizer(dev, join(root, 'a'), base(), { resume: false, ...quiet });
  a.vae.dispose();
  const b1 = await trainTokenizer(dev, join(root, 'b'), base(), { resume: false, stopAfter: 3, ...quiet });
  b1.vae.dispose();
  const b = await trainTokenizer(dev, join(root, 'b'), null, { resume: true, ...quiet });
  b.vae.dispose();
  assert.is(a.rows.length, 6);
  assert.equal(b.rows.map((r) => r.step), [1, 2, 3, 4, 5, 6]);
  for (let i = 0; i < 6; i++) assert.is(b.rows[i]!.loss, a.rows[i]!.loss, `step ${i + 1}`);
  for (const f of ['checkpoint.safetensors', 'vqvae.safetensors', 'log.jsonl', 'loss.png']) assert.ok(existsSync(join(root, 'b', f)), f);
});

test('training from scratch: the loss falls', async () => {
  const dev = await getDevice();
  const r = await trainTokenizer(dev, join(root, 'c'), base({ steps: 40, every: 40, sampleEvery: 40, qdrop: 0 }), { resume: false, ...quiet });
  const mean = (rows: typeof r.rows) => rows.reduce((s, x) => s + x.loss!, 0) / rows.length;
  const first = mean(r.rows.slice(0, 5)), last = mean(r.rows.slice(-5));
  assert.ok(last < 0.6 * first, `loss ${first.toFixed(4)} -> ${last.toFixed(4)}`);
  assert.ok(readdirSync(join(root, 'c', 'samples')).some((f) => f.endsWith('.png')), 'sample sheet written');
  // Evaluation of the trained weights: one row per prefix, sizes ¼, ½, 1 of the crop, finite scores.
  const vae = await loadVQVAE(dev, join(root, 'c', 'vqvae.safetensors'));
  const ev = await evalTokenizer(dev, vae, [join(data, 'p0.png'), join(data, 'p1.png')], { size: 32 });
  assert.equal(ev.mean.map((s) => `${s.method}${s.size}`), ['hit8', 'plain8', 'hit16', 'plain16', 'hit32', 'plain32']);
  assert.ok(ev.mean.every((s) => Number.isFinite(s.psnr) && (s.size < 11 ? Number.isNaN(s.ssim) : s.ssim <= 1)), formatTokenizerEval(ev));
  assert.match(formatTokenizerEval(ev), /\| 3 \| 32 \|/);
  // Codebook use: every token of both images counted once per tokenization, no more codes than tokens or vocabulary.
  const segs = hitSegments(32 / downsampleOf(vae));
  const perImage = { hit: quantizerFor(vae, segs).plan.tokens, plain: quantizerFor(vae, varSegments(segs.flatMap((g) => g.scales))).plan.tokens };
  for (const m of ['hit', 'plain'] as const) {
    const c = ev.codes[m];
    assert.equal([c.vocab, c.tokens], [vae.cfg.vocabSize, 2 * perImage[m]], m);
    assert.ok(c.used >= 1 && c.used <= Math.min(c.vocab, c.tokens) && c.entropy <= Math.log(c.used) + 1e-9, JSON.stringify(c));
  }
  assert.match(formatTokenizerEval(ev), /Codebook use over these images: HIT \d+ of \d+ codes in \d+ tokens, entropy/);
  vae.dispose(); r.vae.dispose();
});

test('codeUse: distinct codes, unigram entropy in nats and perplexity of a count vector', () => {
  const u = codeUse([2, 2, 0, 0]);
  assert.equal([u.tokens, u.used, u.vocab], [4, 2, 4]);
  assert.ok(Math.abs(u.entropy - Math.log(2)) < 1e-12 && Math.abs(u.perplexity - 2) < 1e-9, JSON.stringify(u));
  const c = codeUse([5, 0, 0]);
  assert.equal([c.used, c.entropy, c.perplexity], [1, 0, 1]);
});

test('CLI: bad flags are refused naming the flag; --resume without a checkpoint names the file', () => {
  const repo = process.cwd();
  const build = spawnSync(process.execPath, ['scripts/build.mjs', '--quiet', '--no-types'], { cwd: repo, encoding: 'utf8' });
  assert.is(build.status, 0, build.stderr);
  const hvar = (args: string[]) => spawnSync(process.execPath, [join(repo, 'dist/hvar.mjs'), ...args], { encoding: 'utf8', env: { ...process.env, XDG_RUNTIME_DIR: '/tmp' } });
  let r = hvar(['train', 'tokenizer', '--out', join(root, 'x'), '--qdrop', '2']);
  assert.is(r.status, 2); assert.match(r.stderr, /--qdrop expects a number from 0 to 1, got '2'/);
  r = hvar(['train', 'tokenizer', '--out', join(root, 'x'), '--restart-dead', '1.5']);
  assert.is(r.status, 2); assert.match(r.stderr, /--restart-dead expects a decimal integer from 0 to \d+, got '1.5'/);
  r = hvar(['train', 'tokenizer', '--out', join(root, 'x'), '--config', 'huge']);
  assert.is(r.status, 2); assert.match(r.stderr, /--config: unknown 'huge'/);
  r = hvar(['train', 'tokenizer', '--out', join(root, 'x'), '--resume', '--lr', '1']);
  assert.is(r.status, 2); assert.match(r.stderr, /--resume takes the run's configuration from its checkpoint; drop --lr/);
  r = hvar(['train', 'tokenizer', '--out', join(root, 'none'), '--resume']);
  assert.is(r.status, 1); assert.match(r.stderr, /no checkpoint at .*none\/checkpoint\.safetensors/);
  r = hvar(['eval-tokenizer', '--data', data]);
  assert.is(r.status, 2); assert.match(r.stderr, /--vae FILE is required/);
});

test.after(async () => { rmSync(root, { recursive: true, force: true }); await closeDevice(); });
test.run();
