// Public surface of the Real-ESRGAN degradation: config, kernels, stages, plan sampling/application.
export { realEsrganConfig, type DegradeConfig, type BlurConfig, type StageConfig, type KernelType, type ResizeMode } from './config.ts';
export { sampleBlurKernel, sampleFinalSinc, sincKernel, gaussianFamilyKernel, kernelFromDesc, besselJ1, type BlurKernel, type KernelDesc } from './kernels.ts';
export { filter2d, filterSeparable, usmSharpen, gaussian1d, reflectIndex } from './filter.ts';
export { resize, addGaussianNoise, addPoissonNoise, jpegRoundTrip, quantize8, clamp01 } from './stages.ts';
export { sampleDegradePlan, applyDegradePlan, degradeCpu, cpuDegradeOps, DegradeStageError, type DegradePlan, type DegradeOps, type NoiseStep, type ResizeStep, type StageName } from './pipeline.ts';
