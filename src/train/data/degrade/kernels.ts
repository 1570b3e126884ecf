// Blur kernels of the Real-ESRGAN degradation: (an)isotropic / generalized / plateau Gaussians, circular sinc, pulse.
import type { StreamRng } from '../rng.ts';
import type { BlurConfig, KernelType } from './config.ts';

export type KernelDesc =
  | { type: KernelType; size: number; sigmaX: number; sigmaY: number; theta: number; beta: number }
  | { type: 'sinc'; size: number; omega: number }
  | { type: 'pulse'; size: 1 };

/** A normalised odd-sized 2-D kernel (row-major, correlation taps); `sep` is the 1-D factor when separable. */
export interface BlurKernel { size: number; data: Float32Array; sep?: Float32Array; desc: KernelDesc }

/** Bessel function of the first kind, order 1 (rational / asymptotic approximations, |error| < 1e-7). */
export function besselJ1(x: number): number {
  const ax = Math.abs(x);
  if (ax < 8) {
    const y = x * x;
    const a1 = x * (72362614232.0 + y * (-7895059235.0 + y * (242396853.1 + y * (-2972611.439 + y * (15704.48260 + y * -30.16036606)))));
    const a2 = 144725228442.0 + y * (2300535178.0 + y * (18583304.74 + y * (99447.43394 + y * (376.9991397 + y))));
    return a1 / a2;
  }
  const z = 8 / ax, y = z * z, xx = ax - 2.356194491;
  const a1 = 1.0 + y * (0.183105e-2 + y * (-0.3516396496e-4 + y * (0.2457520174e-5 + y * -0.240337019e-6)));
  const a2 = 0.04687499995 + y * (-0.2002690873e-3 + y * (0.8449199096e-5 + y * (-0.88228987e-6 + y * 0.105787412e-6)));
  const r = Math.sqrt(0.636619772 / ax) * (Math.cos(xx) * a1 - z * Math.sin(xx) * a2);
  return x < 0 ? -r : r;
}

function normalise(k: Float64Array): Float32Array {
  let s = 0;
  for (const v of k) s += v;
  const out = new Float32Array(k.length);
  for (let i = 0; i < k.length; i++) out[i] = k[i] / s;
  return out;
}

/**
 * Gaussian-family kernel on the integer grid centred at 0. With the rotated covariance
 * S = R diag(sx^2, sy^2) R^T and q = [x y] S^-1 [x y]^T:
 * iso/aniso: exp(-q/2); generalized: exp(-q^beta / 2); plateau: 1 / (q^beta + 1).
 */
export function gaussianFamilyKernel(desc: Extract<KernelDesc, { sigmaX: number }>): BlurKernel {
  const { size, sigmaX, theta, beta, type } = desc;
  const iso = type.endsWith('iso') && !type.endsWith('aniso');
  const sigmaY = iso ? sigmaX : desc.sigmaY, th = iso ? 0 : theta;
  const c = Math.cos(th), s = Math.sin(th);
  const sxx = c * c * sigmaX * sigmaX + s * s * sigmaY * sigmaY;
  const syy = s * s * sigmaX * sigmaX + c * c * sigmaY * sigmaY;
  const sxy = c * s * (sigmaX * sigmaX - sigmaY * sigmaY);
  const det = sxx * syy - sxy * sxy;
  const ixx = syy / det, iyy = sxx / det, ixy = -sxy / det;
  const r = (size - 1) / 2, k = new Float64Array(size * size);
  for (let i = 0; i < size; i++) {
    const y = i - r;
    for (let j = 0; j < size; j++) {
      const x = j - r;
      const q = ixx * x * x + 2 * ixy * x * y + iyy * y * y;
      k[i * size + j] = type.startsWith('plateau') ? 1 / (q ** beta + 1)
        : type.startsWith('generalized') ? Math.exp(-0.5 * q ** beta) : Math.exp(-0.5 * q);
    }
  }
  const out: BlurKernel = { size, data: normalise(k), desc };
  if (type === 'iso') {
    const g = new Float64Array(size);
    for (let j = 0; j < size; j++) g[j] = Math.exp(-0.5 * ((j - r) / sigmaX) ** 2);
    out.sep = normalise(g);
  }
  return out;
}

/** 2-D circularly symmetric low-pass (jinc) kernel with cutoff omega (radians, pi = Nyquist). */
export function sincKernel(omega: number, size: number): BlurKernel {
  const r0 = (size - 1) / 2, k = new Float64Array(size * size);
  for (let i = 0; i < size; i++) for (let j = 0; j < size; j++) {
    const r = Math.hypot(i - r0, j - r0);
    k[i * size + j] = r === 0 ? (omega * omega) / (4 * Math.PI) : (omega * besselJ1(omega * r)) / (2 * Math.PI * r);
  }
  return { size, data: normalise(k), desc: { type: 'sinc', size, omega } };
}

export function pulseKernel(): BlurKernel {
  return { size: 1, data: new Float32Array([1]), sep: new Float32Array([1]), desc: { type: 'pulse', size: 1 } };
}

export function kernelFromDesc(d: KernelDesc): BlurKernel {
  if (d.type === 'pulse') return pulseKernel();
  if (d.type === 'sinc') return sincKernel(d.omega, d.size);
  return gaussianFamilyKernel(d);
}

/** Shape parameter: half the time U(lo, 1), otherwise U(1, hi) (as in BasicSR). */
function sampleBeta(rng: StreamRng, range: readonly [number, number]): number {
  return rng.uniform() < 0.5 ? rng.uniform(range[0], 1) : rng.uniform(1, range[1]);
}

/** First/second-stage kernel: sinc with cfg.sincProb (cutoff U(pi/3,pi) for size < 13 else U(pi/5,pi)), else a mixed kernel. */
export function sampleBlurKernel(rng: StreamRng, cfg: BlurConfig): BlurKernel {
  const size = cfg.kernelSizes[rng.int(cfg.kernelSizes.length)];
  if (rng.uniform() < cfg.sincProb) {
    const omega = size < 13 ? rng.uniform(Math.PI / 3, Math.PI) : rng.uniform(Math.PI / 5, Math.PI);
    return sincKernel(omega, size);
  }
  const type = cfg.kernelList[rng.choice(cfg.kernelProb)];
  const iso = !type.endsWith('aniso');
  const sigmaX = rng.uniform(cfg.blurSigma[0], cfg.blurSigma[1]);
  const sigmaY = iso ? sigmaX : rng.uniform(cfg.blurSigma[0], cfg.blurSigma[1]);
  const theta = iso ? 0 : rng.uniform(-Math.PI, Math.PI);
  const beta = type.startsWith('generalized') ? sampleBeta(rng, cfg.betagRange) : type.startsWith('plateau') ? sampleBeta(rng, cfg.betapRange) : 1;
  return gaussianFamilyKernel({ type, size, sigmaX, sigmaY, theta, beta });
}

/** Final sinc filter: with probability p a sinc of random size and cutoff U(pi/3, pi), else the identity pulse. */
export function sampleFinalSinc(rng: StreamRng, p: number, sizes: readonly number[]): BlurKernel {
  if (rng.uniform() < p) {
    const size = sizes[rng.int(sizes.length)];
    return sincKernel(rng.uniform(Math.PI / 3, Math.PI), size);
  }
  return pulseKernel();
}
