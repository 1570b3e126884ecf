// Dispatched FLOPs of a whole H-VAR generation (the work counter over sampleHVAR: LR latent, KV-cached steps, three decodes)
// against the analytic counter (src/models/flops.ts) of the same configuration, part by part; and the steps without a cache.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { countWork, noGrad, Rng, type Device } from '../../src/engine/index.ts';
import { hitSegments } from '../../src/models/quant/schedule.ts';
import { VQVAE, vqvaeConfig } from '../../src/models/vqvae/index.ts';
import { HVAR, hvarConfig, hvarSizes, initHVAR, lrLatent, recomputeStep, sampleHVAR, upscaleImages, stepEnd } from '../../src/models/hvar/index.ts';
import { countModel, hvarModelConfig, attentionPairs } from '../../src/models/flops.ts';
import { getDevice, closeDevice } from '../helpers/gpu.ts';

// ×2 VQVAE over hitSegments(8): latent sides 2, 4, 8; LR 8×8 → 16×16 output; 2 blocks of width 64 (2 heads), V 128.
const SEGS = hitSegments(8);
const HCFG = hvarConfig({ depth: 2, embedDim: 64, numHeads: 2, vocab: 128, cvae: 8, segments: SEGS });
const VCFG = vqvaeConfig({ vocabSize: 128, zChannels: 8, ch: 32, chMult: [1, 2], numResBlocks: 1, segments: SEGS });

function build(dev: Device) {
  const m = new HVAR(dev, HCFG, { init: 'none' });
  initHVAR(m, new Rng(3), { initAdalnGamma: 0.5, initHead: 1 });
  m.eval();
  return { m, vae: VQVAE.create(dev, VCFG, new Rng(1)) };
}
const within = (got: number, want: number, rel: number, what: string) => {
  const msg = `${what}: dispatched ${got} vs analytic ${want} (${((got / want - 1) * 100).toFixed(3)} %)`;
  console.log(`  ${msg}`);
  assert.ok(want > 0 && Math.abs(got / want - 1) <= rel, msg);
};

test('one generation: transformer linears, attention and the VQVAE each within 1 % of countModel (hvarModelConfig)', async () => {
  const dev = await getDevice();
  const { m, vae } = build(dev);
  const lr = new Rng(5).uniform(dev, [1, 3, 8, 8], -1, 1);
  const { counter, result } = await countWork(dev, () => upscaleImages(m, vae, lr, { seed: 7, topK: 10 }));
  assert.equal(result.map((r) => r.side), [4, 8, 16]);
  result.forEach((r) => r.image_B3HW.dispose());

  const c = countModel(hvarModelConfig('tiny', HCFG, VCFG, { cfg: false }));
  const sum = (pick: (name: string, group: string) => boolean) => c.parts.filter((p) => pick(p.name, p.group)).reduce((a, p) => a + p.fullFlops, 0);
  const linears = sum((n, g) => g === 'transformer' && !n.startsWith('blocks.attn scores'));
  within(counter.flopsOf((op) => op === 'linear'), linears, 0.01, 'transformer linears (word_embed, cond_proj, AdaLN, qkv, proj, fc1, fc2, prefix, head)');
  within(counter.flopsOf((op) => op.startsWith('attention')), c.attention.kvCache, 0.01, 'attention with the KV cache');
  const vq = sum((_, g) => g === 'vqvae');
  within(counter.flopsOf((op) => op === 'conv2d' || op === 'phiUpdate' || op === 'matmul'), vq, 0.01, 'VQVAE: LR encode, φ convs, three decodes');
  // The analytic parts that are not split further are still distinct in the dispatch: φ alone.
  within(counter.flopsOf((op) => op === 'phiUpdate'), c.parts.find((p) => p.name.startsWith('vqvae.quantize'))!.fullFlops, 0.01, 'φ convs');
  // Everything with FLOPs is one of the above (the quantizer's lookups, norms and maps report bytes only).
  assert.is(counter.totals().flops, counter.flopsOf((op) => ['linear', 'conv2d', 'phiUpdate', 'matmul'].includes(op) || op.startsWith('attention')));
  assert.not.ok(counter.ops.has('unreported'), `unreported kernels: ${[...counter.kernels.keys()].join(', ')}`);
  m.dispose(); vae.dispose(); lr.dispose();
});

test('with CFG the transformer runs the batch twice (word_embed once: the next-scale inputs are shared)', async () => {
  const dev = await getDevice();
  const { m, vae } = build(dev);
  const lr = new Rng(5).uniform(dev, [1, 3, 8, 8], -1, 1);
  const { counter } = await countWork(dev, async () => { for await (const r of sampleHVAR(m, vae, lr, { seed: 7, cfg: 1.5 })) r.image_B3HW.dispose(); });
  const c = countModel(hvarModelConfig('tiny', HCFG, VCFG, { cfg: true }));
  const part = (p: string) => c.parts.find((x) => x.name.startsWith(p))!.fullFlops;
  const linears = c.parts.filter((p) => p.group === 'transformer' && !p.name.startsWith('blocks.attn scores')).reduce((a, p) => a + p.fullFlops, 0);
  // cond_proj runs on both halves (the LR latent is paired); word_embed runs once per step on the shared inputs.
  within(counter.flopsOf((op) => op === 'linear'), 2 * linears - part('word_embed'), 0.01, 'linears with CFG');
  within(counter.flopsOf((op) => op.startsWith('attention')), 2 * c.attention.kvCache, 0.01, 'attention with CFG');
  m.dispose(); vae.dispose(); lr.dispose();
});

test('steps without a KV cache (recomputeStep): the masked attention counts the recompute pairs; logits equal the cached ones', async () => {
  const dev = await getDevice();
  const { m, vae } = build(dev);
  const z = hvarSizes(HCFG), C = z.C, d = HCFG.depth, hid = z.hidden, V = HCFG.vocab;
  const lr = new Rng(5).uniform(dev, [1, 3, 8, 8], -1, 1);
  const res = await upscaleImages(m, vae, lr, { seed: 3, topK: 10, keepLogits: true });
  const ids = res[2]!.ids, logits = res[2]!.logits!;
  res.forEach((r) => r.image_B3HW.dispose());
  // the teacher sequence of the sampled ids: the same tokens the cached steps saw
  const all = new Int32Array(z.L); let at = 0;
  for (const t of ids) { all.set(t, at); at += t.length; }
  const { fromArray } = await import('../../src/engine/index.ts');
  const idx = fromArray(dev, all, [1, z.L], 'i32'), x = vae.teacherInput(idx), lat = lrLatent(vae, lr);
  const cond = m.condition([0]);
  const seq = noGrad(dev, () => m.inputTokens(lat, x, cond));
  const { counter, result } = await countWork(dev, async () => {
    const out: Float32Array[] = [];
    for (let si = 0; si < z.K; si++) { const lg = recomputeStep(m, seq, cond, si); out.push((await lg.toArray()) as Float32Array); lg.dispose(); }
    return out;
  });
  for (let si = 0; si < z.K; si++) {
    let worst = 0;
    for (let i = 0; i < logits[si]!.length; i++) worst = Math.max(worst, Math.abs(result[si]![i]! - logits[si]![i]!));
    assert.ok(worst < 1e-3, `step ${si}: recomputed logits differ from the cached ones by ${worst}`);
  }
  const pairs = attentionPairs(z.scales, z.prefix).recompute;
  within(counter.flopsOf((op) => op.startsWith('attention')), 4 * pairs * C * d, 0.01, 'attention, recompute pairs');
  // linears: every step runs its whole sequence through the blocks, AdaLN once per step per block, the head on its scale
  const tokens = Array.from({ length: z.K }, (_, si) => stepEnd(m, si)).reduce((a, s) => a + s, 0);
  const want = 2 * tokens * (4 * C * C + 2 * C * hid) * d + z.K * 2 * (6 * C * C * d + 2 * C * C) + 2 * V * C * z.L;
  within(counter.flopsOf((op) => op === 'linear'), want, 0.01, 'linears without the cache');
  for (const t of [idx, x, lat, cond, seq, lr]) t.dispose();
  m.dispose(); vae.dispose();
});

test.after(closeDevice);
test.run();
