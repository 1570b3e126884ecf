// nn: modules with PyTorch-named state dicts, the layers, and seeded initialisers (exported as `nn` by the package).
export { Module, parameter, type StateDict, type HostTensor } from './module.ts';
export { Linear, Conv2d, LayerNorm, GroupNorm, Embedding } from './layers.ts';
export * as init from './init.ts';
