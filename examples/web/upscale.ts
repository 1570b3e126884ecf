// The demo page's upscaler: the bicubic baseline on the GPU (PyTorch-exact F.interpolate), stage by stage: ×1, ×2, ×4.
import { Device, fromArray, ops } from 'hvar';
import type { RgbImage } from './image.ts';

/** One stage of the upscaler's output. */
export interface Stage { scale: 1 | 2 | 4; image: RgbImage }

/**
 * Yields the input as it is (×1), then its ×2 and ×4 upscalings, each as soon as it is read back from the GPU. This is
 * the bicubic baseline (ops.resample 'bicubic', A = −0.75, half-pixel centres, both stages from the input); the H-VAR
 * upscaler takes its place with the same signature, yielding its ×1, ×2 and ×4 predictions in turn.
 */
export async function* upscale(dev: Device, image: RgbImage): AsyncGenerator<Stage> {
  const { width: w, height: h } = image;
  yield { scale: 1, image };
  const x_BCHW = fromArray(dev, image.data, [1, 3, h, w]);
  try {
    for (const scale of [2, 4] as const) {
      const y_BCHW = ops.resample(x_BCHW, h * scale, w * scale, 'bicubic');
      const data = (await y_BCHW.toArray()) as Float32Array;
      y_BCHW.dispose();
      yield { scale, image: { width: w * scale, height: h * scale, data } };
    }
  } finally { x_BCHW.dispose(); }
}
