// The VAR transformer: configuration, blocks, model, init, loading, sampling; with the level masks and the KV cache.
export { varConfig, varSizes, varParamCount, checkConfig, type VARConfig } from './config.ts';
export { Lin, SiluLinear, SelfAttention, FFN, AdaLNSelfAttn, AdaLNBeforeHead, dropPath, type BlockRun } from './blocks.ts';
export { VAR, Emb, VAR_DERIVED_BUFFERS, type Labels, type ForwardTrainOpts } from './var.ts';
export { initVAR, type VARInitOpts } from './init.ts';
export { loadVAR, inferVARConfig, readVARStateDict, type LoadVAROpts, type LoadedVAR } from './load.ts';
export { sampleVAR, type SampleVAROpts, type SampleVARResult } from './sample.ts';
export { topKTopPRemoved, sampleRows, sampleRowsRng, type TopKTopP } from './sampling.ts';
export { KVCache, attendCached, type KVCacheOpts } from './kv_cache.ts';
export { levelIds, scaleSpans, levelTensor, visiblePairs } from './masks.ts';
