// The VQVAE (VAR's models/vqvae.py in hvar): config, module, tokenization, file I/O.
export { VQVAE, type VQVAETokens, type HostStateDict, type HostTensorLike } from './vqvae.ts';
export {
  vqvaeConfig, vqvaeStateShapes, vqvaeParamCount, inferVQVAEConfig, phiLayout, scaleCount, downsampleOf, imageSideOf,
  VQVAE_DEFAULTS, GN_GROUPS, GN_EPS, type VQVAEConfig, type VQVAEConfigInput, type StateEntry,
} from './config.ts';
export { loadVQVAE, saveVQVAE, describeVQVAE, VQVAE_CONFIG_KEY, type LoadVQVAEOptions } from './io.ts';
export { Encoder } from './encoder.ts';
export { Decoder } from './decoder.ts';
export { ResnetBlock, AttnBlock, Downsample, Upsample } from './blocks.ts';
