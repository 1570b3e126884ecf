// Tokenizer configurations for training from scratch here: `tiny` for tests, `small` for the embedded model.
import type { VQVAEConfigInput } from '../models/vqvae/index.ts';

/**
 * small: VAR's architecture at ch 32 with one residual block per level (decoder two), z 16, 1,024 codes; ×16 like VAR,
 * so a 512 output has VAR's 32×32 latent and HIT_512. About 1/25 of the released VQVAE's FLOPs per pixel.
 * tiny: two levels (×2), for tests on 16–32 px crops.
 */
export const TOKENIZER_PRESETS: Record<string, VQVAEConfigInput> = {
  small: { vocabSize: 1024, zChannels: 16, ch: 32, chMult: [1, 1, 2, 2, 4], numResBlocks: 1 },
  tiny: { vocabSize: 64, zChannels: 8, ch: 32, chMult: [1, 2], numResBlocks: 1 },
  released: { vocabSize: 4096, zChannels: 32, ch: 160, chMult: [1, 1, 2, 2, 4], numResBlocks: 2 },
};
