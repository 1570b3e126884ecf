// The always-available SR baseline: PyTorch-style bicubic (A = -0.75, align_corners=False) upscaling, clamped to [0,1].
import type { ImageCHW } from '../io/image.ts';
import { resampleCpu } from '../engine/cpu/resample.ts';

/** Upscale by an integer or fractional factor: output size floor(side * scale). */
export function bicubicUpscale(img: ImageCHW, scale: number): ImageCHW {
  if (!(scale > 0)) throw new Error(`bicubicUpscale: bad scale ${scale}`);
  const oh = Math.floor(img.h * scale), ow = Math.floor(img.w * scale);
  if (oh < 1 || ow < 1) throw new Error(`bicubicUpscale: ${img.w}x${img.h} x${scale} is empty`);
  const out = resampleCpu(img.data, 1, img.c, img.h, img.w, oh, ow, 'bicubic');
  for (let i = 0; i < out.length; i++) out[i] = out[i] < 0 ? 0 : out[i] > 1 ? 1 : out[i];
  return { data: out, c: img.c, h: oh, w: ow };
}
