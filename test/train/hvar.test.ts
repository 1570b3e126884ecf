// H-VAR training, real short runs on a tiny tokenizer and transformer: tokens are cached once and reused; CE + DPO
// falls; a stopped and resumed run logs exactly the losses of an uninterrupted one; softplus is stable.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, mkdirSync, rmSync, readdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromArray, gradcheck, ops, Rng } from '../../src/engine/index.ts';
import { writeImageSync, makeImage } from '../../src/io/image.ts';
import { VQVAE, saveVQVAE } from '../../src/models/vqvae/index.ts';
import { trainHVAR, softplus, dpoLoss, type HVARRunConfig } from '../../src/train/hvar.ts';
import { HVAR_PRESETS } from '../../src/train/hvar_presets.ts';
import { TOKENIZER_PRESETS } from '../../src/train/tokenizer_presets.ts';
import { getDevice, closeDevice } from '../helpers/gpu.ts';
import type { Tensor } from '../../src/engine/index.ts';

const root = mkdtempSync(join(tmpdir(), 'hvar-hv-'));
const data = join(root, 'data');
mkdirSync(data);
for (let k = 0; k < 3; k++) {
  const img = makeImage(3, 40, 40);
  for (let c = 0; c < 3; c++) for (let y = 0; y < 40; y++) for (let x = 0; x < 40; x++)
    img.data[(c * 40 + y) * 40 + x] = 0.5 + 0.4 * Math.sin((x * (k + 2)) / 7 + c) * Math.cos((y * (4 - c)) / 9 + k);
  writeImageSync(join(data, `q${k}.png`), img);
}
const vaePath = join(root, 'vae.safetensors');
const base = (over: Partial<HVARRunConfig> = {}): HVARRunConfig => ({
  data: [data], vae: vaePath, vaeKey: null, model: HVAR_PRESETS.tiny!, crop: 32, scale: 4, cropsPerImage: 2,
  batch: 2, steps: 4, lr: 2e-3, warmup: 1, minLr: 2e-4, weightDecay: 0, clip: 1, dpo: 1, beta: 0.2, condDrop: 0.25,
  seed: 3, valFraction: 0, every: 2, ...over,
});
const quiet = { log: () => {} };

test('setup: a tiny random tokenizer on disk', async () => {
  const dev = await getDevice();
  const vae = VQVAE.create(dev, TOKENIZER_PRESETS.tiny!, new Rng(5));
  await saveVQVAE(vae, vaePath);
  vae.dispose();
});

test('tokens are cached once; a run stopped at step 2 and resumed logs the losses of an uninterrupted run', async () => {
  const dev = await getDevice();
  const a = await trainHVAR(dev, join(root, 'a'), base(), { resume: false, ...quiet });
  a.model.dispose(); a.vae.dispose();
  const cached = readdirSync(join(root, 'a', 'tokens'));
  assert.is(cached.length, 6, '3 photos × 2 crops');
  const b1 = await trainHVAR(dev, join(root, 'b'), base(), { resume: false, stopAfter: 2, ...quiet });
  b1.model.dispose(); b1.vae.dispose();
  const lines: string[] = [];
  const b = await trainHVAR(dev, join(root, 'b'), null, { resume: true, log: (s) => lines.push(s) });
  b.model.dispose(); b.vae.dispose();
  assert.not.ok(lines.some((l) => l.startsWith('tokens:')), 'the resumed run reuses the cache');
  assert.equal(readdirSync(join(root, 'b', 'tokens')).sort(), cached.sort(), 'same cache names for the same photos, crops, seed and tokenizer');
  assert.equal(b.rows.map((r) => r.step), [1, 2, 3, 4]);
  for (let i = 0; i < 4; i++) {
    assert.is(b.rows[i]!.loss, a.rows[i]!.loss, `loss at step ${i + 1}`);
    assert.ok(Number.isFinite(a.rows[i]!.dpo) && Number.isFinite(a.rows[i]!.margin), 'DPO logged');
  }
  assert.ok(existsSync(join(root, 'b', 'hvar.safetensors')) && existsSync(join(root, 'b', 'loss.png')));
});

test('CE + DPO falls on a handful of cached samples; --dpo 0 drops the term', async () => {
  const dev = await getDevice();
  const r = await trainHVAR(dev, join(root, 'c'), base({ steps: 16, every: 16, lr: 3e-3, warmup: 3 }), { resume: false, ...quiet });
  const mean = (rows: typeof r.rows, f: string) => rows.reduce((s, x) => s + x[f]!, 0) / rows.length;
  const first = mean(r.rows.slice(0, 3), 'ce'), last = mean(r.rows.slice(-3), 'ce');
  assert.ok(last < 0.9 * first, `CE ${first.toFixed(3)} -> ${last.toFixed(3)}`);
  assert.ok(r.rows.every((x) => Number.isFinite(x.acc1) && x.acc1! >= 0 && x.acc1! <= 1), 'per-scale accuracy logged');
  r.model.dispose(); r.vae.dispose();
  const n = await trainHVAR(dev, join(root, 'd'), base({ dpo: 0, steps: 1 }), { resume: false, ...quiet });
  assert.is(n.rows[0]!.dpo, undefined);
  assert.is(n.rows[0]!.loss, n.rows[0]!.ce);
  n.model.dispose(); n.vae.dispose();
});

test('softplus is exact and finite far from 0', async () => {
  const dev = await getDevice();
  const xs = [-200, -30, -1, 0, 0.5, 30, 200];
  const y = (await softplus(fromArray(dev, xs, [xs.length])).toArray()) as Float32Array;
  xs.forEach((x, i) => assert.ok(Math.abs(y[i]! - Math.max(x, 0) - Math.log1p(Math.exp(-Math.abs(x)))) < 1e-5 * Math.max(1, Math.abs(x)), `softplus(${x}) = ${y[i]}`));
});

test('DPO loss: value against an f64 reference, gradient to both logits against finite differences', async () => {
  const dev = await getDevice();
  const [B, L, V] = [2, 5, 7], beta = 0.2;
  const rnd = (seed: number) => Float32Array.from({ length: B * L * V }, (_, i) => 3 * Math.sin(seed + i * 1.7));
  const idsH = Int32Array.from({ length: B * L }, (_, i) => (i * 3) % V), idsL = Int32Array.from({ length: B * L }, (_, i) => (i * 5 + 1) % V);
  const f = (xs: Tensor[]) => dpoLoss(ops.seqLogProb(xs[0]!, idsH).logp_B, ops.seqLogProb(xs[1]!, idsL).logp_B, beta);
  const a = rnd(1), b = rnd(2);
  const lp = (x: Float32Array, ids: Int32Array, bi: number) => {
    let s = 0;
    for (let l = 0; l < L; l++) {
      const row = Array.from({ length: V }, (_, v) => x[(bi * L + l) * V + v]!), m = Math.max(...row);
      s += row[ids[bi * L + l]!]! - m - Math.log(row.reduce((acc, v) => acc + Math.exp(v - m), 0));
    }
    return s;
  };
  let want = 0;
  for (let bi = 0; bi < B; bi++) want += Math.log1p(Math.exp(-beta * (lp(a, idsH, bi) - lp(b, idsL, bi)))) / B;
  const got = await f([fromArray(dev, a, [B, L, V]), fromArray(dev, b, [B, L, V])]).item();
  assert.ok(Math.abs(got - want) < 1e-5 * Math.max(1, want), `DPO ${got} vs f64 ${want}`);
  const g = await gradcheck(dev, f, [{ shape: [B, L, V], data: a }, { shape: [B, L, V], data: b }], { samples: 24, eps: 1e-2 });
  assert.ok(g.ok, g.worst);
});

test('a tiny H-VAR overfits a handful of samples: token accuracy near 100 %', async () => {
  const dev = await getDevice();
  const r = await trainHVAR(dev, join(root, 'o'), base({ cropsPerImage: 1, batch: 3, steps: 50, every: 50, lr: 1e-2, warmup: 2, minLr: 1e-3, dpo: 0, condDrop: 0 }), { resume: false, ...quiet });
  const last = r.rows[r.rows.length - 1]!;
  const K = Object.keys(last).filter((k) => /^acc\d+$/.test(k)).length;
  const accs = Array.from({ length: K }, (_, k) => last[`acc${k + 1}`]!);
  // Token-weighted over the schedule (the first scales hold 1 and 4 tokens per sample, so one miss there is a large share).
  const pn = r.vae.plan.scales.map((s) => s.pn * s.pn), total = pn.reduce((a, b) => a + b, 0);
  const overall = accs.reduce((a, x, k) => a + x * pn[k]!, 0) / total;
  assert.ok(overall > 0.95, `token accuracy after 50 steps ${overall.toFixed(3)}; per scale ${accs.map((x) => x.toFixed(3)).join(', ')}`);
  r.model.dispose(); r.vae.dispose();
});

test.after(async () => { rmSync(root, { recursive: true, force: true }); await closeDevice(); });
test.run();
