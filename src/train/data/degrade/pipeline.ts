// Real-ESRGAN two-stage degradation: sample a serialisable plan from an StreamRng, then apply it through pluggable stage ops.
import type { ImageCHW } from '../../../io/image.ts';
import { StreamRng } from '../rng.ts';
import type { DegradeConfig, ResizeMode, StageConfig } from './config.ts';
import { kernelFromDesc, sampleBlurKernel, sampleFinalSinc, type BlurKernel, type KernelDesc } from './kernels.ts';
import { filter2d, usmSharpen } from './filter.ts';
import { addGaussianNoise, addPoissonNoise, jpegRoundTrip, quantize8, resize } from './stages.ts';

export interface NoiseStep { kind: 'gaussian' | 'poisson'; /** sigma (0..255 units) or Poisson scale */ amount: number; gray: boolean; key: [number, number] }
export interface ResizeStep { dir: 'up' | 'down' | 'keep'; factor: number; mode: ResizeMode; h: number; w: number }

/** Everything random about one degradation, drawn up front; applying a plan is deterministic given the ops. */
export interface DegradePlan {
  hrH: number; hrW: number; lrH: number; lrW: number;
  usm: boolean;
  blur1: KernelDesc; resize1: ResizeStep; noise1: NoiseStep; jpeg1: number;
  blur2: KernelDesc | null; resize2: ResizeStep; noise2: NoiseStep; jpeg2: number;
  sinc: KernelDesc;
  /** 'resize-first': [resize back + sinc] then JPEG; 'jpeg-first': JPEG then [resize back + sinc]. */
  finalOrder: 'resize-first' | 'jpeg-first';
  finalMode: ResizeMode;
}

/**
 * Stage implementations over an image handle T (ImageCHW on the CPU; a GPU tensor later). Any stage may be
 * async. A GPU backend can override blur/resize/noise and keep `jpeg` on the CPU.
 */
export interface DegradeOps<T> {
  usm(img: T): T | Promise<T>;
  blur(img: T, k: BlurKernel): T | Promise<T>;
  resize(img: T, h: number, w: number, mode: ResizeMode): T | Promise<T>;
  noise(img: T, step: NoiseStep, rng: StreamRng): T | Promise<T>;
  jpeg(img: T, quality: number): T | Promise<T>;
  /** clamp(round(x*255), 0, 255)/255 */
  quantize(img: T): T | Promise<T>;
}

export const cpuDegradeOps: DegradeOps<ImageCHW> = {
  usm: (img) => usmSharpen(img),
  blur: (img, k) => filter2d(img, k),
  resize: (img, h, w, mode) => resize(img, h, w, mode),
  noise: (img, s, rng) => (s.kind === 'gaussian' ? addGaussianNoise(img, s.amount, s.gray, rng) : addPoissonNoise(img, s.amount, s.gray, rng)),
  jpeg: (img, q) => jpegRoundTrip(img, q),
  quantize: (img) => quantize8(img),
};

function sampleResize(rng: StreamRng, st: StageConfig, modes: readonly ResizeMode[], baseH: number, baseW: number, stage: 1 | 2, scale: number): ResizeStep {
  const dir = (['up', 'down', 'keep'] as const)[rng.choice(st.resizeProb)];
  const factor = dir === 'up' ? rng.uniform(1, st.resizeRange[1]) : dir === 'down' ? rng.uniform(st.resizeRange[0], 1) : 1;
  const mode = modes[rng.int(modes.length)];
  // Stage 1: F.interpolate(scale_factor=f) -> floor(side*f). Stage 2: size=(int(H/scale*f), int(W/scale*f)).
  const h = stage === 1 ? Math.floor(baseH * factor) : Math.trunc((baseH / scale) * factor);
  const w = stage === 1 ? Math.floor(baseW * factor) : Math.trunc((baseW / scale) * factor);
  return { dir, factor, mode, h: Math.max(1, h), w: Math.max(1, w) };
}

function sampleNoise(rng: StreamRng, st: StageConfig, label: string): NoiseStep {
  const gaussian = rng.uniform() < st.gaussianNoiseProb;
  const amount = gaussian ? rng.uniform(st.noiseRange[0], st.noiseRange[1]) : rng.uniform(st.poissonScaleRange[0], st.poissonScaleRange[1]);
  const gray = rng.uniform() < st.grayNoiseProb;
  return { kind: gaussian ? 'gaussian' : 'poisson', amount, gray, key: rng.split(label).key };
}

/** Draw a full degradation plan for an HR image of hrH x hrW. */
export function sampleDegradePlan(rng: StreamRng, cfg: DegradeConfig, hrH: number, hrW: number): DegradePlan {
  const lrH = Math.floor(hrH / cfg.scale), lrW = Math.floor(hrW / cfg.scale);
  if (lrH < 1 || lrW < 1) throw new Error(`degrade: HR ${hrH}x${hrW} is smaller than the scale ${cfg.scale}`);
  const blur1 = sampleBlurKernel(rng.split('kernel1'), cfg.blur1).desc;
  const blur2k = sampleBlurKernel(rng.split('kernel2'), cfg.blur2).desc;
  const sinc = sampleFinalSinc(rng.split('sinc'), cfg.finalSincProb, cfg.blur1.kernelSizes).desc;
  const r = rng.split('stages');
  const resize1 = sampleResize(r, cfg.stage1, cfg.resizeModes, hrH, hrW, 1, cfg.scale);
  const noise1 = sampleNoise(r, cfg.stage1, 'noise1');
  const jpeg1 = r.uniform(cfg.stage1.jpegRange[0], cfg.stage1.jpegRange[1]);
  const blur2 = r.uniform() < cfg.secondBlurProb ? blur2k : null;
  const resize2 = sampleResize(r, cfg.stage2, cfg.resizeModes, hrH, hrW, 2, cfg.scale);
  const noise2 = sampleNoise(r, cfg.stage2, 'noise2');
  const finalOrder = r.uniform() < 0.5 ? 'resize-first' : 'jpeg-first';
  const finalMode = cfg.resizeModes[r.int(cfg.resizeModes.length)];
  const jpeg2 = r.uniform(cfg.stage2.jpegRange[0], cfg.stage2.jpegRange[1]);
  return { hrH, hrW, lrH, lrW, usm: cfg.usm, blur1, resize1, noise1, jpeg1, blur2, resize2, noise2, jpeg2, sinc, finalOrder, finalMode };
}

/** Stage names reported to `onStage`, in order of application (blur2 is absent when skipped). */
export type StageName = 'usm' | 'blur1' | 'resize1' | 'noise1' | 'jpeg1' | 'blur2' | 'resize2' | 'noise2' | 'resize3' | 'sinc' | 'jpeg2' | 'quantize';

/** An error thrown by one stage of applyDegradePlan, naming it. */
export class DegradeStageError extends Error {
  constructor(readonly stage: StageName, cause: unknown) {
    super(`stage '${stage}' failed: ${(cause as Error)?.message ?? String(cause)}`, { cause });
    this.name = 'DegradeStageError';
  }
}

/** Apply a plan. `onStage(name, img)` sees each intermediate (for sheets / debugging). Returns the LR image. */
export async function applyDegradePlan<T>(hr: T, plan: DegradePlan, ops: DegradeOps<T>, onStage?: (name: StageName, img: T) => void): Promise<T> {
  // A failing stage is named in the error (the caller adds the file).
  const step = async (name: StageName, run: () => T | Promise<T>): Promise<T> => {
    let v: T;
    try { v = await run(); } catch (e) { throw new DegradeStageError(name, e); }
    onStage?.(name, v);
    return v;
  };
  let x = hr;
  if (plan.usm) x = await step('usm', () => ops.usm(x));
  x = await step('blur1', () => ops.blur(x, kernelFromDesc(plan.blur1)));
  x = await step('resize1', () => ops.resize(x, plan.resize1.h, plan.resize1.w, plan.resize1.mode));
  x = await step('noise1', () => ops.noise(x, plan.noise1, new StreamRng(...plan.noise1.key)));
  x = await step('jpeg1', () => ops.jpeg(x, plan.jpeg1));
  const blur2 = plan.blur2;
  if (blur2) x = await step('blur2', () => ops.blur(x, kernelFromDesc(blur2)));
  x = await step('resize2', () => ops.resize(x, plan.resize2.h, plan.resize2.w, plan.resize2.mode));
  x = await step('noise2', () => ops.noise(x, plan.noise2, new StreamRng(...plan.noise2.key)));
  const sinc = kernelFromDesc(plan.sinc);
  if (plan.finalOrder === 'resize-first') {
    x = await step('resize3', () => ops.resize(x, plan.lrH, plan.lrW, plan.finalMode));
    x = await step('sinc', () => ops.blur(x, sinc));
    x = await step('jpeg2', () => ops.jpeg(x, plan.jpeg2));
  } else {
    x = await step('jpeg2', () => ops.jpeg(x, plan.jpeg2));
    x = await step('resize3', () => ops.resize(x, plan.lrH, plan.lrW, plan.finalMode));
    x = await step('sinc', () => ops.blur(x, sinc));
  }
  return step('quantize', () => ops.quantize(x));
}

/** Convenience: sample + apply on the CPU. The HR itself is returned unchanged (not sharpened). */
export async function degradeCpu(hr: ImageCHW, rng: StreamRng, cfg: DegradeConfig): Promise<{ lr: ImageCHW; plan: DegradePlan }> {
  const plan = sampleDegradePlan(rng, cfg, hr.h, hr.w);
  const lr = await applyDegradePlan(hr, plan, cpuDegradeOps);
  return { lr, plan };
}
