// Seeded initialisers (PyTorch defaults): uniform fan-in bounds, normal, truncated normal, zeros/ones. RNG is explicit.
import type { Device } from '../runtime/device.ts';
import type { Tensor } from '../tensor.ts';
import { fill } from '../ops/elementwise.ts';
import { mapN } from '../ops/map.ts';
import type { Rng } from '../rng.ts';

export const zeros = (dev: Device, shape: number[]) => fill(dev, shape, 0);
export const ones = (dev: Device, shape: number[]) => fill(dev, shape, 1);
export const uniform = (dev: Device, rng: Rng, shape: number[], lo: number, hi: number) => rng.uniform(dev, shape, lo, hi);
export const normal = (dev: Device, rng: Rng, shape: number[], std: number, mean = 0) => rng.normal(dev, shape, mean, std);

/** nn.Linear / nn.Conv2d default: kaiming_uniform(a=√5) on the weight = U(±1/√fan_in); bias likewise. */
export function fanInUniform(dev: Device, rng: Rng, shape: number[], fanIn: number): Tensor {
  const b = 1 / Math.sqrt(Math.max(fanIn, 1));
  return rng.uniform(dev, shape, -b, b);
}

/** Truncated normal on [mean + a·std, mean + b·std] by inverse-CDF sampling (as torch.nn.init.trunc_normal_). */
export function truncNormal(dev: Device, rng: Rng, shape: number[], std: number, a = -2, b = 2, mean = 0): Tensor {
  const cdf = (x: number) => 0.5 * (1 + erf(x / Math.SQRT2));
  const u = rng.uniform(dev, shape, 2 * cdf(a) - 1, 2 * cdf(b) - 1);
  // u lies in [2Φ(a)−1, 2Φ(b)−1], so √2·erfinv(u) lies in [a, b].
  const t = mapN('truncNormal', [u], 'erfinv_giles(a) * 1.4142135623730951 * p.s0 + p.s1', { s0: std, s1: mean });
  u.dispose();
  return t;
}

function erf(x: number): number {
  // Abramowitz–Stegun 7.1.26 is too coarse for the bounds; use a series/continued-fraction combo.
  const s = Math.sign(x), z = Math.abs(x);
  if (z < 3) { let sum = z, term = z, n = 0; do { n++; term *= -z * z / n; sum += term / (2 * n + 1); } while (Math.abs(term) > 1e-17 * Math.abs(sum) && n < 200); return s * 2 / Math.sqrt(Math.PI) * sum; }
  const t = 1 / (1 + 0.5 * z);
  const r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return s * (1 - r);
}
