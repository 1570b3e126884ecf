// hvar engine public surface: Device, Tensor, the op registry, kernel launch, autograd and memory scopes.
export { Device } from './runtime/device.ts';
export type { Binding, KernelCall } from './runtime/device.ts';
export type { KernelName, KernelParams } from './runtime/params.ts';
export { launch, type LaunchCall } from './ops/launch.ts';
export { NoAdapterError, NO_ADAPTER_HELP } from './runtime/env.ts';
export { Tensor, empty, fromArray, scope, scopeAsync } from './tensor.ts';
export { backward, noGrad } from './autograd.ts';
export { Rng } from './rng.ts';
export { gradcheck } from './gradcheck.ts';
export { Module, parameter } from './nn/module.ts';
export { ops } from './ops/registry.ts';
export * from './ops/registry.ts';
export type { DType } from './dtype.ts';
