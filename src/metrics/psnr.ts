// PSNR as BasicSR calculate_psnr: 0..255 scale, float64 MSE over all (cropped) pixels and channels; Infinity when equal.
import type { ImageCHW } from '../io/image.ts';
import { assertSameShape, metricPlanes, type MetricOptions } from './common.ts';

export function mse255(a: ImageCHW, b: ImageCHW, opts: MetricOptions = {}): number {
  assertSameShape(a, b);
  const pa = metricPlanes(a, opts).planes, pb = metricPlanes(b, opts).planes;
  let s = 0, n = 0;
  for (let c = 0; c < pa.length; c++) {
    const x = pa[c], y = pb[c];
    for (let i = 0; i < x.length; i++) { const d = x[i] - y[i]; s += d * d; }
    n += x.length;
  }
  return s / n;
}

/** 10 log10(255^2 / MSE) in dB. */
export function psnr(a: ImageCHW, b: ImageCHW, opts: MetricOptions = {}): number {
  const m = mse255(a, b, opts);
  return m === 0 ? Infinity : 10 * Math.log10((255 * 255) / m);
}
