// The hvar library for any runtime with WebGPU (Node, Deno, browsers): the engine, nn layers, optimizers, safetensors and .pth reading,
// and the H-VAR upscaler (model bundles from bytes, upscale / upscaleStream).
// Node and Deno also get image file I/O (src/node.ts); model code that fuses its own kernels uses src/internal.ts.
export * from './engine/index.ts';
export * as nn from './engine/nn/index.ts';
export { AdamW, type AdamWOpts, type ParamGroup } from './train/optim/adamw.ts';
export { clipGradNorm } from './train/optim/clip.ts';
export { warmupCosine } from './train/optim/schedule.ts';
export {
  openSafetensors, loadSafetensors, writeSafetensors, parseSafetensors, serializeSafetensors,
  type SafetensorsFile, type StTensor, type StInput, type StDtype, type StData, type StWritable,
} from './engine/io/safetensors.ts';
export {
  openPth, inspectPth, loadPthStateDict, parsePth,
  type PthFile, type PthInfo, type PthTensor, type PthTensorInfo, type PthDtype, type PthData, type PthTree, type PthOptions,
} from './engine/io/pth.ts';
export { StreamRng } from './train/data/rng.ts';
export {
  upscale, upscaleStream, parseBundle, comparisonSheet, tileSeed, DEFAULT_UPSCALE_MAX_PIXELS,
  type HVARBundle, type ModelCard, type UpscaleOptions, type UpscaleProgress, type UpscaleStage, type UpscaleResult,
} from './upscale/index.ts';
