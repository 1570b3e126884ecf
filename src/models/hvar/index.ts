// H-VAR: configuration and parameter count, the transformer with its LR prefix, the LR latent, initialisation (fresh or from VAR),
// safetensors I/O, the streamed ×1/×2/×4 sampler and its steps without a KV cache.
export { hvarConfig, hvarSizes, hvarParamCount, checkHVARConfig, type HVARConfig, type HVARConfigInput } from './config.ts';
export { HVAR, HVAR_NULL_COND, type HVARCond, type HVARForwardOpts } from './hvar.ts';
export { lrLatent, checkLR } from './lr.ts';
export { initHVAR, initHVARFromVAR, type InitFromVARResult, type VARStateDictIn, type HostTensorIn } from './init.ts';
export { saveHVAR, loadHVAR, describeHVAR, HVAR_CONFIG_KEY } from './io.ts';
export { sampleHVAR, upscaleImages, type SampleHVAROpts, type HVARSegmentImage, type HVARPhase } from './sample.ts';
export { recomputeStep, stepEnd } from './recompute.ts';
