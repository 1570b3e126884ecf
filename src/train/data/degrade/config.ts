// Real-ESRGAN degradation options with the published defaults (options/train_realesrnet_x4plus.yml + RealESRGANDataset).

export type KernelType = 'iso' | 'aniso' | 'generalized_iso' | 'generalized_aniso' | 'plateau_iso' | 'plateau_aniso';
export type ResizeMode = 'area' | 'bilinear' | 'bicubic';
export type Range = readonly [number, number];

/** Blur-kernel options for one degradation stage. */
export interface BlurConfig {
  /** Candidate odd kernel sizes (default 7, 9, ..., 21). */
  kernelSizes: readonly number[];
  kernelList: readonly KernelType[];
  kernelProb: readonly number[];
  /** Probability of a circular-lowpass (sinc) kernel instead of one from kernelList. */
  sincProb: number;
  blurSigma: Range;
  betagRange: Range;
  betapRange: Range;
}

/** Resize + noise + JPEG options for one degradation stage. */
export interface StageConfig {
  /** Probabilities of [up, down, keep]. */
  resizeProb: readonly [number, number, number];
  resizeRange: Range;
  gaussianNoiseProb: number;
  /** Gaussian sigma range, in 0..255 units. */
  noiseRange: Range;
  poissonScaleRange: Range;
  grayNoiseProb: number;
  jpegRange: Range;
}

export interface DegradeConfig {
  /** HR/LR scale factor (LR side = floor(HR side / scale)). */
  scale: number;
  /** USM-sharpen the HR before degrading it (Real-ESRGAN degrades gt_usm). */
  usm: boolean;
  blur1: BlurConfig;
  stage1: StageConfig;
  blur2: BlurConfig;
  secondBlurProb: number;
  stage2: StageConfig;
  finalSincProb: number;
  resizeModes: readonly ResizeMode[];
}

const KERNEL_SIZES = [7, 9, 11, 13, 15, 17, 19, 21] as const;
const KERNEL_LIST: readonly KernelType[] = ['iso', 'aniso', 'generalized_iso', 'generalized_aniso', 'plateau_iso', 'plateau_aniso'];
const KERNEL_PROB = [0.45, 0.25, 0.12, 0.03, 0.12, 0.03] as const;

/** Defaults of Real-ESRGAN x4plus (RealESRNet/RealESRGAN training configs). */
export function realEsrganConfig(scale = 4): DegradeConfig {
  return {
    scale,
    usm: true,
    blur1: { kernelSizes: KERNEL_SIZES, kernelList: KERNEL_LIST, kernelProb: KERNEL_PROB, sincProb: 0.1,
      blurSigma: [0.2, 3], betagRange: [0.5, 4], betapRange: [1, 2] },
    stage1: { resizeProb: [0.2, 0.7, 0.1], resizeRange: [0.15, 1.5], gaussianNoiseProb: 0.5, noiseRange: [1, 30],
      poissonScaleRange: [0.05, 3], grayNoiseProb: 0.4, jpegRange: [30, 95] },
    blur2: { kernelSizes: KERNEL_SIZES, kernelList: KERNEL_LIST, kernelProb: KERNEL_PROB, sincProb: 0.1,
      blurSigma: [0.2, 1.5], betagRange: [0.5, 4], betapRange: [1, 2] },
    secondBlurProb: 0.8,
    stage2: { resizeProb: [0.3, 0.4, 0.3], resizeRange: [0.3, 1.2], gaussianNoiseProb: 0.5, noiseRange: [1, 25],
      poissonScaleRange: [0.05, 2.5], grayNoiseProb: 0.4, jpegRange: [30, 95] },
    finalSincProb: 0.8,
    resizeModes: ['area', 'bilinear', 'bicubic'],
  };
}
