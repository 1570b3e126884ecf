// hvar engine public surface: Device, Tensor, the op registry, autograd and memory scopes.
export { Device } from './runtime/device.ts';
export { NoAdapterError, NO_ADAPTER_HELP } from './runtime/env.ts';
export { Tensor, empty, fromArray, scope, scopeAsync } from './tensor.ts';
export { backward, noGrad } from './autograd.ts';
export { Rng } from './rng.ts';
export { gradcheck } from './gradcheck.ts';
export { Module, parameter } from './nn/module.ts';
export { ops } from './ops/registry.ts';
export * from './ops/registry.ts';
export type { DType } from './dtype.ts';
