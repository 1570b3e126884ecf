// The paper benchmark's models and workloads: H-VAR sizes (d16 as the paper, small, tiny), random weights, and the timed pieces
// of one ×4 generation (whole generation, VQVAE decodes, transformer steps with and without the KV cache, host sampling).
import { Rng, noGrad, ops, scope, type Device, type Tensor } from '../src/engine/index.ts';
import { HIT_512, hitSegments, type Segment } from '../src/models/quant/schedule.ts';
import { VQVAE, vqvaeConfig, type VQVAEConfig } from '../src/models/vqvae/index.ts';
import { HVAR, hvarConfig, initHVAR, recomputeStep, upscaleImages, stepEnd, type HVARConfig } from '../src/models/hvar/index.ts';
import { KVCache, sampleRowsRng } from '../src/models/var/index.ts';

export interface PaperSize { name: string; what: string; hvar: HVARConfig; vqvae: VQVAEConfig }

/**
 * d16: the paper's H-VAR (VAR-d16 with the HIT schedule and the 1,024-token LR prefix, 309.6 M parameters) with the released
 * VQVAE's architecture (ch 160, V 4096, Cvae 32) at 512 px. small: flops.ts's 'small' transformer (depth 4, C 256, 4 heads,
 * same schedule and prefix) with a VQVAE of ch 32 (a few GFLOP per decode), still at 512 px. tiny: a 16 px test size.
 */
export const SIZES: Record<string, () => PaperSize> = {
  d16: () => ({ name: 'd16', what: 'H-VAR d16 (paper), VQVAE ch 160, 512 px', hvar: hvarConfig(16), vqvae: vqvaeConfig({ segments: HIT_512 }) }),
  small: () => ({ name: 'small', what: 'H-VAR depth 4, C 256 (flops.ts small), VQVAE ch 32, 512 px',
    hvar: hvarConfig({ depth: 4, embedDim: 256, numHeads: 4 }), vqvae: vqvaeConfig({ ch: 32, segments: HIT_512 }) }),
  tiny: () => {
    const segs: Segment[] = hitSegments(8);
    return { name: 'tiny', what: 'H-VAR depth 2, C 64, V 256, VQVAE ×2 (test size), 16 px',
      hvar: hvarConfig({ depth: 2, embedDim: 64, numHeads: 2, vocab: 256, cvae: 8, segments: segs }),
      vqvae: vqvaeConfig({ vocabSize: 256, zChannels: 8, ch: 32, chMult: [1, 2], numResBlocks: 1, segments: segs }) };
  },
};
export const SIZE_NAMES = Object.keys(SIZES);

export interface SampleSettings { cfg: number; topK: number; topP: number; seed: number }

/** The model, its VQVAE (random weights, seeded) and a random LR image of a quarter of the output side. */
export interface Built { size: PaperSize; model: HVAR; vae: VQVAE; lr: Tensor; outSide: number; lrSide: number; dispose(): void }
export function buildModels(dev: Device, size: PaperSize, o: { prepare?: boolean } = {}): Built {
  const model = new HVAR(dev, size.hvar, { init: 'none' });
  initHVAR(model, new Rng(0));
  model.eval();
  const vae = VQVAE.create(dev, size.vqvae, new Rng(1));
  // Inference as the upscaler runs it (loadBundle): both models' weights laid out once (prepareForInference).
  if (o.prepare ?? true) { model.prepareForInference(); vae.eval().prepareForInference(); }
  const outSide = model.prefixSide * vae.downsample, lrSide = outSide / 4;
  const lr = new Rng(2).uniform(dev, [1, 3, lrSide, lrSide], -1, 1).keep();
  return { size, model, vae, lr, outSide, lrSide, dispose: () => { model.dispose(); vae.dispose(); lr.dispose(); } };
}

/** One whole generation (LR latent, every KV-cached step with host sampling, three decodes), finished on the GPU. */
export async function generation(b: Built, s: SampleSettings): Promise<void> {
  const r = await upscaleImages(b.model, b.vae, b.lr, s);
  r.forEach((x) => x.image_B3HW.dispose());
  await b.model.dev.sync();
}

/** Random latents at the decode sides of the schedule (8, 16, 32 for HIT_512): what the generation decodes. */
export function decodeLatents(b: Built): Tensor[] {
  return b.size.hvar.segments.map((seg, i) => new Rng(10 + i).normal(b.model.dev, [1, b.size.hvar.cvae, seg.side, seg.side], 0, 1).keep());
}
/** decoder(post_quant_conv(f)) of each latent, finished on the GPU. */
export async function decodes(b: Built, latents: Tensor[]): Promise<void> {
  const dev = b.model.dev;
  for (const f of latents) noGrad(dev, () => scope(dev, () => { b.vae.decodeLatent(f); }));
  await dev.sync();
}

/** The blocks' input sequence [NB, P + L, C] (random teacher inputs) and the condition rows (null rows appended with CFG). */
export interface StepInputs { seq: Tensor; cond: Tensor; mods: Tensor[]; dispose(): void }
export function stepInputs(b: Built, cfg: number): StepInputs {
  const m = b.model, dev = m.dev, z = m.sizes, pair = cfg > 0;
  return noGrad(dev, () => {
    const lat = new Rng(20).normal(dev, [1, b.size.hvar.cvae, m.prefixSide, m.prefixSide], 0, 1);
    const x = new Rng(21).normal(dev, [1, z.L - z.firstL, b.size.hvar.cvae], 0, 1);
    const cond = m.condition(pair ? [0, 1] : [0]).keep();
    const one = scope(dev, () => m.inputTokens(lat, x, ops.slice(cond, 0, 0, 1)));
    const seq = (pair ? ops.concat([one, one], 0) : one).keep();
    if (pair) one.dispose();
    lat.dispose(); x.dispose();
    const bc = m.blockCondition(cond);
    const mods = m.blocks.map((blk) => blk.modulation(bc).keep());
    if (bc !== cond) bc.dispose();
    return { seq, cond, mods, dispose: () => { seq.dispose(); cond.dispose(); mods.forEach((t) => t.dispose()); } };
  });
}

/** Every step's blocks and head with the KV cache, each step's logits read back (as sampling reads them): the cached transformer. */
export async function transformerCached(b: Built, inp: StepInputs): Promise<void> {
  const m = b.model, dev = m.dev, z = m.sizes, NB = inp.seq.shape[0]!;
  const cache = new KVCache(dev, { layers: m.cfg.depth, batch: NB, heads: z.H, maxLen: z.sequence, headDim: z.headDim, l2norm: m.cfg.attnL2Norm });
  try {
    for (let si = 0; si < z.K; si++) {
      const start = si === 0 ? 0 : stepEnd(m, si - 1), end = stepEnd(m, si);
      const lg = noGrad(dev, () => scope(dev, () => {
        let h = ops.contiguous(ops.slice(inp.seq, 1, start, end));
        m.blocks.forEach((blk, i) => { h = blk.forward(h, inp.cond, { cache, layer: i, mod: inp.mods[i] }); });
        if (si === 0) h = ops.slice(h, 1, z.prefix, end);
        return m.logits(h, inp.cond);
      }));
      await lg.toArray();
      lg.dispose();
    }
  } finally { cache.dispose(); }
}

/** Every step as a full forward of the sequence so far (recomputeStep), logits read back: the transformer without a cache. */
export async function transformerRecompute(b: Built, inp: StepInputs): Promise<void> {
  for (let si = 0; si < b.model.sizes.K; si++) {
    const lg = recomputeStep(b.model, inp.seq, inp.cond, si);
    await lg.toArray();
    lg.dispose();
  }
}

/** The host side of sampling: top-k / top-p draws over every step's rows from random logits (no GPU). */
export function hostSamplingWork(b: Built, s: SampleSettings): () => Promise<void> {
  const z = b.model.sizes, V = b.size.hvar.vocab, rng = new Rng(s.seed);
  const logits = z.scales.map((pn, i) => { const a = new Float32Array(pn * pn * V); let x = 12345 + i; for (let j = 0; j < a.length; j++) { x = (Math.imul(x, 1664525) + 1013904223) >>> 0; a[j] = (x / 2 ** 32) * 4; } return a; });
  return async () => { z.scales.forEach((pn, i) => sampleRowsRng(logits[i]!, pn * pn, V, { topK: s.topK, topP: s.topP }, rng)); };
}
