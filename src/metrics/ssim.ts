// SSIM as BasicSR calculate_ssim / skimage (gaussian_weights, sigma 1.5, 11x11, population covariance): valid-region mean, channel mean.
import type { ImageCHW } from '../io/image.ts';
import { assertSameShape, metricPlanes, type MetricOptions } from './common.ts';

const WIN = 11, SIGMA = 1.5, R = 5;
const C1 = (0.01 * 255) ** 2, C2 = (0.03 * 255) ** 2;

function gaussWindow(): Float64Array {
  const g = new Float64Array(WIN);
  let s = 0;
  for (let i = 0; i < WIN; i++) { g[i] = Math.exp(-((i - R) ** 2) / (2 * SIGMA * SIGMA)); s += g[i]; }
  for (let i = 0; i < WIN; i++) g[i] /= s;
  return g;
}

/** 'valid' separable filtering: (h-10) x (w-10) output. */
function filterValid(p: Float64Array, h: number, w: number, g: Float64Array): Float64Array {
  const oh = h - 2 * R, ow = w - 2 * R;
  const tmp = new Float64Array(h * ow), out = new Float64Array(oh * ow);
  for (let y = 0; y < h; y++) for (let x = 0; x < ow; x++) {
    let s = 0;
    for (let k = 0; k < WIN; k++) s += g[k] * p[y * w + x + k];
    tmp[y * ow + x] = s;
  }
  for (let y = 0; y < oh; y++) for (let x = 0; x < ow; x++) {
    let s = 0;
    for (let k = 0; k < WIN; k++) s += g[k] * tmp[(y + k) * ow + x];
    out[y * ow + x] = s;
  }
  return out;
}

/** Mean SSIM of one 0..255 plane pair. */
export function ssimPlane(a: Float64Array, b: Float64Array, h: number, w: number): number {
  if (h < WIN || w < WIN) throw new Error(`ssim: image ${w}x${h} is smaller than the 11x11 window`);
  const g = gaussWindow(), n = h * w;
  const aa = new Float64Array(n), bb = new Float64Array(n), ab = new Float64Array(n);
  for (let i = 0; i < n; i++) { aa[i] = a[i] * a[i]; bb[i] = b[i] * b[i]; ab[i] = a[i] * b[i]; }
  const mu1 = filterValid(a, h, w, g), mu2 = filterValid(b, h, w, g);
  const s11 = filterValid(aa, h, w, g), s22 = filterValid(bb, h, w, g), s12 = filterValid(ab, h, w, g);
  let sum = 0;
  for (let i = 0; i < mu1.length; i++) {
    const m1 = mu1[i], m2 = mu2[i];
    const v1 = s11[i] - m1 * m1, v2 = s22[i] - m2 * m2, cv = s12[i] - m1 * m2;
    sum += ((2 * m1 * m2 + C1) * (2 * cv + C2)) / ((m1 * m1 + m2 * m2 + C1) * (v1 + v2 + C2));
  }
  return sum / mu1.length;
}

/** SSIM in [-1, 1] (1 when identical), averaged over channels (or on Y with opts.y). */
export function ssim(a: ImageCHW, b: ImageCHW, opts: MetricOptions = {}): number {
  assertSameShape(a, b);
  const A = metricPlanes(a, opts), B = metricPlanes(b, opts);
  let s = 0;
  for (let c = 0; c < A.planes.length; c++) s += ssimPlane(A.planes[c], B.planes[c], A.h, A.w);
  return s / A.planes.length;
}
