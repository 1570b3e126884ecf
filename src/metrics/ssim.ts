// SSIM as BasicSR calculate_ssim / skimage (gaussian_weights, sigma 1.5, 11x11, population covariance): valid-region mean, channel mean.
import type { ImageCHW } from '../io/image.ts';
import { assertSameShape, metricRows, type MetricOptions } from './common.ts';

const WIN = 11, SIGMA = 1.5, R = 5;
const C1 = (0.01 * 255) ** 2, C2 = (0.03 * 255) ** 2;

function gaussWindow(): Float64Array {
  const g = new Float64Array(WIN);
  let s = 0;
  for (let i = 0; i < WIN; i++) { g[i] = Math.exp(-((i - R) ** 2) / (2 * SIGMA * SIGMA)); s += g[i]; }
  for (let i = 0; i < WIN; i++) g[i] /= s;
  return g;
}

/**
 * Mean SSIM of one plane pair given row by row (0..255 values): 'valid' separable Gaussian filtering over a ring of
 * 11 horizontally filtered rows, so memory is O(width); the arithmetic and summation order are those of filtering
 * whole planes, so results are identical.
 */
export function ssimRows(rowA: (y: number, out: Float64Array) => void, rowB: (y: number, out: Float64Array) => void, h: number, w: number): number {
  if (h < WIN || w < WIN) throw new Error(`ssim: image ${w}x${h} is smaller than the 11x11 window`);
  const g = gaussWindow(), ow = w - 2 * R, oh = h - 2 * R;
  const a = new Float64Array(w), b = new Float64Array(w), sq = new Float64Array(w);
  // ring[q][slot]: horizontally filtered rows of a, b, a², b², ab.
  const ring = Array.from({ length: 5 }, () => Array.from({ length: WIN }, () => new Float64Array(ow)));
  const hfilter = (src: Float64Array, dst: Float64Array) => {
    for (let x = 0; x < ow; x++) { let s = 0; for (let k = 0; k < WIN; k++) s += g[k] * src[x + k]; dst[x] = s; }
  };
  const vf = (q: Float64Array[], y: number, x: number) => { let s = 0; for (let k = 0; k < WIN; k++) s += g[k] * q[(y + k) % WIN][x]; return s; };
  let sum = 0;
  for (let r = 0; r < h; r++) {
    rowA(r, a); rowB(r, b);
    const slot = r % WIN;
    hfilter(a, ring[0][slot]); hfilter(b, ring[1][slot]);
    for (let i = 0; i < w; i++) sq[i] = a[i] * a[i];
    hfilter(sq, ring[2][slot]);
    for (let i = 0; i < w; i++) sq[i] = b[i] * b[i];
    hfilter(sq, ring[3][slot]);
    for (let i = 0; i < w; i++) sq[i] = a[i] * b[i];
    hfilter(sq, ring[4][slot]);
    if (r < WIN - 1) continue;
    const y = r - (WIN - 1);
    for (let x = 0; x < ow; x++) {
      const m1 = vf(ring[0], y, x), m2 = vf(ring[1], y, x);
      const v1 = vf(ring[2], y, x) - m1 * m1, v2 = vf(ring[3], y, x) - m2 * m2, cv = vf(ring[4], y, x) - m1 * m2;
      sum += ((2 * m1 * m2 + C1) * (2 * cv + C2)) / ((m1 * m1 + m2 * m2 + C1) * (v1 + v2 + C2));
    }
  }
  return sum / (oh * ow);
}

/** Mean SSIM of one 0..255 plane pair. */
export function ssimPlane(a: Float64Array, b: Float64Array, h: number, w: number): number {
  return ssimRows((y, o) => o.set(a.subarray(y * w, (y + 1) * w)), (y, o) => o.set(b.subarray(y * w, (y + 1) * w)), h, w);
}

/** SSIM in [-1, 1] (1 when identical), averaged over channels (or on Y with opts.y); memory O(width). */
export function ssim(a: ImageCHW, b: ImageCHW, opts: MetricOptions = {}): number {
  assertSameShape(a, b);
  const A = metricRows(a, opts), B = metricRows(b, opts);
  let s = 0;
  for (let c = 0; c < A.count; c++) s += ssimRows((y, o) => A.row(c, y, o), (y, o) => B.row(c, y, o), A.h, A.w);
  return s / A.count;
}
