// The demo page's upscaler: H-VAR (the library's upscaleStream) when a model bundle was loaded, else the bicubic baseline on the GPU
// (PyTorch-exact F.interpolate); either way ×1, ×2, ×4 stage by stage.
import { Device, fromArray, ops, upscaleStream, type HVARBundle, type UpscaleProgress } from 'hvar';
import type { RgbImage } from './image.ts';

/** One stage of the upscaler's output. */
export interface Stage { scale: 1 | 2 | 4; image: RgbImage }

/**
 * With a bundle: the H-VAR outputs ×1 (the input restored), ×2 and ×4, each as soon as every tile has it. Without: the input as it
 * is (×1), then its bicubic ×2 and ×4 (ops.resample 'bicubic', A = −0.75, half-pixel centres, both from the input).
 */
export async function* upscale(dev: Device, image: RgbImage, model: HVARBundle | null = null, onProgress?: (p: UpscaleProgress) => void): AsyncGenerator<Stage> {
  const { width: w, height: h } = image;
  if (model) {
    for await (const s of upscaleStream(dev, model, { data: image.data, c: 3, h, w }, { onProgress }))
      yield { scale: s.scale, image: { width: s.image.w, height: s.image.h, data: s.image.data } };
    return;
  }
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
