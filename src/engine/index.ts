// The engine's public surface: Device, Tensor, the op registry, kernel launch, autograd and memory scopes, the GPU
// random generator, the work counter (FLOPs, bytes, dispatches and GPU time per op).
export { Device, type DeviceOptions, type Binding, type KernelCall } from './runtime/device.ts';
export type { KernelName, KernelParams } from './runtime/params.ts';
export { launch, type LaunchCall } from './ops/launch.ts';
export { NoAdapterError, NO_ADAPTER_HELP, type AdapterReport } from './runtime/env.ts';
export type { AdapterProfile, AttentionTuning, MatmulVariant, ProfileOverrides } from './runtime/profile.ts';
export type { WaitMode } from './runtime/wait.ts';
export { WorkCounter, countWork, visibleLevelPairs, WORK_FAMILIES, type WorkFamily, type OpWork, type WorkCall, type WorkCounterOpts, type FamilyTotals } from './runtime/counter.ts';
export { Tensor, empty, fromArray, scope, scopeAsync } from './tensor.ts';
export { backward, noGrad, needsGrad } from './autograd.ts';
export { Rng } from './rng.ts';
export { gradcheck } from './gradcheck.ts';
export { Module, parameter } from './nn/module.ts';
export { ops, type OpName } from './ops/registry.ts';
export type { PreparedCodebook, PrepareCodebookOpts } from './ops/vq.ts';
export type { Conv2dOpts, GroupNormArgs, PreparedConv, PrepareConvOpts } from './ops/conv.ts';
export type { LinearOpts, PreparedLinear } from './ops/matmul.ts';
export type { ResampleMode } from './ops/resample.ts';
export { philoxBlock } from './rng.ts';
export { resampleCpu, resampleTaps1d } from './cpu/resample.ts';
export type { DType } from './dtype.ts';
export type { Shape } from './shape.ts';
