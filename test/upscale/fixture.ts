// A tiny H-VAR bundle for the upscaler tests: a ×4-downsampling VQVAE over hitSegments(8) (latent sides 2, 4, 8: LR tile 8 px,
// outputs 8, 16, 32) and a 2-block transformer with 64 prefix tokens, random weights made to matter (AdaLN gamma 0.5, head × 1).
import { Rng, type Device } from '../../src/engine/index.ts';
import { hitSegments } from '../../src/models/quant/schedule.ts';
import { VQVAE } from '../../src/models/vqvae/index.ts';
import { HVAR, hvarConfig, initHVAR } from '../../src/models/hvar/index.ts';
import type { ModelCard } from '../../src/upscale/index.ts';

export const SEGS = hitSegments(8);
export const LR_SIDE = 8;
export const CARD: ModelCard = { name: 'tiny-random', data: 'none (random weights)', steps: 0, commands: ['test/upscale/fixture.ts'], licence: 'MIT' };

export function tinyParts(dev: Device, seed = 1): { vae: VQVAE; model: HVAR } {
  const vae = VQVAE.create(dev, { vocabSize: 64, zChannels: 8, ch: 32, chMult: [1, 2, 2], numResBlocks: 1, segments: SEGS }, new Rng(seed));
  const model = new HVAR(dev, hvarConfig({ depth: 2, embedDim: 64, numHeads: 2, vocab: 64, cvae: 8, segments: SEGS }), { init: 'none' });
  initHVAR(model, new Rng(seed + 1), { initAdalnGamma: 0.5, initHead: 1 });
  return { vae, model };
}

/** A deterministic test picture: smooth gradients plus a pattern, values in [0, 1]. */
export function picture(h: number, w: number, seed = 0): { data: Float32Array; c: 3; h: number; w: number } {
  const data = new Float32Array(3 * h * w);
  for (let c = 0; c < 3; c++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++)
    data[(c * h + y) * w + x] = 0.5 + 0.3 * Math.sin(0.7 * x + 1.3 * y + c + seed) * Math.cos(0.31 * x * (c + 1) - 0.2 * y + seed);
  return { data, c: 3, h, w };
}
