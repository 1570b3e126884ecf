// The H-VAR upscaler for any runtime: model bundles from bytes, upscale() / upscaleStream() over tiles, the comparison sheet.
// Bundle files (saveBundle, loadBundle, describeBundle) are Node/Deno only: src/upscale/bundle_file.ts, exported by src/node.ts.
export {
  parseBundle, bundleFromHost, bundleMetadata, bundleTensors, checkCard, checkPair,
  BUNDLE_FORMAT, BUNDLE_FORMAT_KEY, BUNDLE_VQVAE_KEY, BUNDLE_HVAR_KEY, BUNDLE_CARD_KEY,
  type HVARBundle, type ModelCard, type CardSampling,
} from './bundle.ts';
export {
  upscale, upscaleStream, tiledStream, tileSeed, sampleSettings, DEFAULT_UPSCALE_MAX_PIXELS, DEFAULT_CACHE_BUDGET, MAX_BATCH,
  type UpscaleOptions, type UpscaleProgress, type UpscaleStage, type UpscaleResult, type TileOptions,
} from './upscale.ts';
export { modelRunner, type TileRunner, type TileGroup, type StepEvent, type SampleSettings } from './session.ts';
export { tileStarts, featherWeights, reflectIndex, tileGrid, cutTile, Canvas3, type TileGrid, type BlendMode } from './tiles.ts';
export { comparisonSheet, sheetLayout, SHEET_MAX_PANEL } from './sheet.ts';
