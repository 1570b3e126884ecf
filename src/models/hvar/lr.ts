// The LR condition of H-VAR (MODEL_SPEC §4): the LR image resized bilinearly to the output size, through the frozen VQVAE encoder
// and quant_conv, giving the [B, Cvae, S, S] latent that cond_proj turns into the S·S prefix tokens.
import { noGrad, scope, ops, type Tensor } from '../../engine/index.ts';
import type { VQVAE } from '../vqvae/index.ts';

/**
 * quant_conv(encoder(bilinear(lr, outSide))) without gradient: lr_B3hw is an f32 [B, 3, h, h] image in [−1, 1] with h at most
 * outSide and dividing it (a whole upscale factor); outSide (default the VQVAE's image side, 16 × its last segment's side) is the
 * output size in pixels. Returns [B, Cvae, outSide / 16, outSide / 16] (the divisor is the VQVAE's downsampling factor).
 */
export function lrLatent(vae: VQVAE, lr_B3hw: Tensor, outSide: number = vae.imageSide): Tensor {
  checkLR(lr_B3hw, outSide, vae.downsample, 'lrLatent');
  const dev = lr_B3hw.dev;
  return noGrad(dev, () => scope(dev, () => {
    const x = lr_B3hw.shape[2] === outSide ? lr_B3hw : ops.resample(lr_B3hw, outSide, outSide, 'bilinear');
    return vae.encode(x);
  }));
}

/** Checks an LR image for an output of outSide pixels; errors name the shape and what was expected. */
export function checkLR(lr: Tensor, outSide: number, downsample: number, what: string): void {
  if (!(Number.isInteger(outSide) && outSide > 0 && outSide % downsample === 0))
    throw new Error(`${what}: the output side must be a positive multiple of the VQVAE's downsampling ${downsample}, got ${outSide}`);
  const [B, ch, h, w] = lr.shape;
  if (lr.dtype !== 'f32' || lr.ndim !== 4 || ch !== 3 || h !== w || !(B! >= 1))
    throw new Error(`${what}: the LR image must be an f32 [B, 3, h, h] tensor in [-1, 1] (square), got ${lr}`);
  if (h! > outSide || outSide % h!)
    throw new Error(`${what}: the LR image ${lr} must be at most the output size ${outSide} and divide it (a whole upscale factor); got side ${h}`);
}
