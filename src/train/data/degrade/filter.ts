// 2-D filtering with reflect padding (BasicSR filter2D semantics: correlation, PyTorch 'reflect' pad) and USM sharpening.
import type { ImageCHW } from '../../../io/image.ts';
import type { BlurKernel } from './kernels.ts';

/** PyTorch 'reflect' (edge not repeated) index for any offset, also when the pad exceeds the image. */
export function reflectIndex(i: number, n: number): number {
  if (n === 1) return 0;
  const period = 2 * (n - 1);
  i %= period;
  if (i < 0) i += period;
  return i < n ? i : period - i;
}

function symmetric1d(k: Float32Array): boolean {
  for (let i = 0; i < k.length >> 1; i++) if (k[i] !== k[k.length - 1 - i]) return false;
  return true;
}
function pointSymmetric2d(k: Float32Array): boolean {
  for (let i = 0; i < k.length >> 1; i++) if (k[i] !== k[k.length - 1 - i]) return false;
  return true;
}

/**
 * Separable correlation: horizontal then vertical 1-D taps (odd length), reflect padding. Symmetric taps are
 * folded (each weight multiplies the sum of its mirrored pair), which halves the multiplies.
 */
export function filterSeparable(img: ImageCHW, kx: Float32Array, ky: Float32Array = kx): ImageCHW {
  const { c, h, w, data } = img, rx = (kx.length - 1) >> 1, ry = (ky.length - 1) >> 1;
  const symX = symmetric1d(kx), symY = symmetric1d(ky);
  const out = new Float32Array(data.length), row = new Float32Array(w + 2 * rx), tmp = new Float32Array(h * w);
  const acc = new Float64Array(w), colIdx = new Int32Array(h + 2 * ry);
  for (let i = 0; i < colIdx.length; i++) colIdx[i] = reflectIndex(i - ry, h);
  for (let ch = 0; ch < c; ch++) {
    const base = ch * h * w;
    for (let y = 0; y < h; y++) {
      const src = base + y * w;
      for (let i = 0; i < row.length; i++) row[i] = data[src + reflectIndex(i - rx, w)];
      const t0 = y * w;
      if (symX) {
        const wc = kx[rx];
        for (let x = 0; x < w; x++) acc[x] = wc * row[x + rx];
        for (let k = 0; k < rx; k++) {
          const wk = kx[k], o2 = 2 * rx - k;
          for (let x = 0; x < w; x++) acc[x] += wk * (row[x + k] + row[x + o2]);
        }
      } else {
        acc.fill(0);
        for (let k = 0; k < kx.length; k++) { const wk = kx[k]; for (let x = 0; x < w; x++) acc[x] += wk * row[x + k]; }
      }
      for (let x = 0; x < w; x++) tmp[t0 + x] = acc[x];
    }
    for (let y = 0; y < h; y++) {
      const o = base + y * w;
      if (symY) {
        const wc = ky[ry], rc = colIdx[y + ry] * w;
        for (let x = 0; x < w; x++) acc[x] = wc * tmp[rc + x];
        for (let k = 0; k < ry; k++) {
          const wk = ky[k], r1 = colIdx[y + k] * w, r2 = colIdx[y + 2 * ry - k] * w;
          for (let x = 0; x < w; x++) acc[x] += wk * (tmp[r1 + x] + tmp[r2 + x]);
        }
      } else {
        acc.fill(0);
        for (let k = 0; k < ky.length; k++) { const wk = ky[k], r = colIdx[y + k] * w; for (let x = 0; x < w; x++) acc[x] += wk * tmp[r + x]; }
      }
      for (let x = 0; x < w; x++) out[o + x] = acc[x];
    }
  }
  return { data: out, c, h, w };
}

/**
 * Correlate every channel with a square kernel (reflect padding, output same size). Uses `sep` when present;
 * point-symmetric kernels (all Real-ESRGAN kernels) are folded to halve the multiplies.
 */
export function filter2d(img: ImageCHW, k: BlurKernel): ImageCHW {
  if (k.size === 1) {
    const out = new Float32Array(img.data.length), s = k.data[0];
    for (let i = 0; i < out.length; i++) out[i] = img.data[i] * s;
    return { ...img, data: out };
  }
  if (k.sep) return filterSeparable(img, k.sep);
  const { c, h, w, data } = img, K = k.size, r = (K - 1) >> 1, pw = w + 2 * r, ph = h + 2 * r;
  const pad = new Float32Array(ph * pw), out = new Float32Array(data.length), kd = k.data, acc = new Float64Array(w);
  const sym = pointSymmetric2d(kd), half = sym ? (K * K) >> 1 : K * K;
  // Non-zero taps (the first `half` in row-major order when folded): weight, row, column.
  const taps: [number, number, number][] = [];
  for (let t = 0; t < half; t++) if (kd[t] !== 0) taps.push([kd[t], Math.floor(t / K), t % K]);
  const wc = sym ? kd[half] : 0;
  const colIdx = new Int32Array(pw);
  for (let i = 0; i < pw; i++) colIdx[i] = reflectIndex(i - r, w);
  for (let ch = 0; ch < c; ch++) {
    const base = ch * h * w;
    for (let py = 0; py < ph; py++) {
      const src = base + reflectIndex(py - r, h) * w, dst = py * pw;
      for (let px = 0; px < pw; px++) pad[dst + px] = data[src + colIdx[px]];
    }
    for (let y = 0; y < h; y++) {
      if (sym) { const pc = (y + r) * pw + r; for (let x = 0; x < w; x++) acc[x] = wc * pad[pc + x]; } else acc.fill(0);
      for (const [wk, ky, kx] of taps) {
        const p0 = (y + ky) * pw + kx;
        if (sym) {
          const p1 = (y + K - 1 - ky) * pw + (K - 1 - kx);
          for (let x = 0; x < w; x++) acc[x] += wk * (pad[p0 + x] + pad[p1 + x]);
        } else for (let x = 0; x < w; x++) acc[x] += wk * pad[p0 + x];
      }
      const o = base + y * w;
      for (let x = 0; x < w; x++) out[o + x] = acc[x];
    }
  }
  return { data: out, c, h, w };
}

/** 1-D Gaussian taps as OpenCV getGaussianKernel(size, sigma): sigma <= 0 means 0.3*((size-1)/2 - 1) + 0.8. */
export function gaussian1d(size: number, sigma: number): Float32Array {
  const s = sigma > 0 ? sigma : 0.3 * ((size - 1) * 0.5 - 1) + 0.8, r = (size - 1) / 2;
  const g = new Float64Array(size);
  let sum = 0;
  for (let i = 0; i < size; i++) { g[i] = Math.exp(-((i - r) ** 2) / (2 * s * s)); sum += g[i]; }
  return Float32Array.from(g, (v) => v / sum);
}

/**
 * Unsharp masking as Real-ESRGAN's USMSharp (radius 51, sigma from size, weight 0.5, threshold 10/255):
 * K = clip(I + w (I - B), 0, 1); mask = |I - B| > t; M = blur(mask); out = M K + (1 - M) I.
 */
export function usmSharpen(img: ImageCHW, weight = 0.5, radius = 50, threshold = 10): ImageCHW {
  const size = radius % 2 === 0 ? radius + 1 : radius;
  const g = gaussian1d(size, 0);
  const blur = filterSeparable(img, g).data, d = img.data;
  const mask = new Float32Array(d.length);
  for (let i = 0; i < d.length; i++) mask[i] = Math.abs(d[i] - blur[i]) * 255 > threshold ? 1 : 0;
  const soft = filterSeparable({ ...img, data: mask }, g).data;
  const out = new Float32Array(d.length);
  for (let i = 0; i < d.length; i++) {
    const k = Math.min(1, Math.max(0, d[i] + weight * (d[i] - blur[i])));
    out[i] = soft[i] * k + (1 - soft[i]) * d[i];
  }
  return { ...img, data: out };
}
