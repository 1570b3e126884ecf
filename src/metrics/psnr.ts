// PSNR as BasicSR calculate_psnr: 0..255 scale, float64 MSE over all (cropped) pixels and channels; Infinity when equal.
import type { ImageCHW } from '../io/image.ts';
import { assertSameShape, metricRows, type MetricOptions } from './common.ts';

/** Mean squared error in 0..255 units; streams row by row (memory O(width)). */
export function mse255(a: ImageCHW, b: ImageCHW, opts: MetricOptions = {}): number {
  assertSameShape(a, b);
  const A = metricRows(a, opts), B = metricRows(b, opts);
  const x = new Float64Array(A.w), y = new Float64Array(A.w);
  let s = 0;
  for (let c = 0; c < A.count; c++) for (let r = 0; r < A.h; r++) {
    A.row(c, r, x); B.row(c, r, y);
    for (let i = 0; i < A.w; i++) { const d = x[i] - y[i]; s += d * d; }
  }
  return s / (A.count * A.h * A.w);
}

/** 10 log10(255^2 / MSE) in dB. */
export function psnr(a: ImageCHW, b: ImageCHW, opts: MetricOptions = {}): number {
  const m = mse255(a, b, opts);
  return m === 0 ? Infinity : 10 * Math.log10((255 * 255) / m);
}
