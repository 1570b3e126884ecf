// Deterministic LPIPS weights and inputs, bit-identical to test/fixtures/make_lpips_golden.py (see its header for the
// formula): the golden stores PyTorch's outputs, not the 59 MB of VGG16 weights.
import type { HostTensor } from '../../src/engine/nn/module.ts';

const fmix32 = (h: number) => {
  h ^= h >>> 16; h = Math.imul(h, 0x85ebca6b); h ^= h >>> 13; h = Math.imul(h, 0xc2b2ae35); h ^= h >>> 16;
  return h >>> 0;
};
const fnv1a32 = (s: string) => {
  let h = 0x811c9dc5;
  for (const b of new TextEncoder().encode(s)) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h;
};

/** u(i; key) in [-1, 1), exact in f64 and f32. */
export function uniform(key: string, n: number): Float64Array {
  const seed = fnv1a32(key), out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = (fmix32((Math.imul(i, 0x9e3779b1) + seed) >>> 0) >>> 8) / 2 ** 24 * 2 - 1;
  return out;
}

/** The value of parameter `key` with `shape`: He-uniform conv weights, 0.1-scaled biases, non-negative lin weights. */
export function detValue(key: string, shape: number[]): Float32Array {
  const u = uniform(key, shape.reduce((a, b) => a * b, 1));
  const f = key.startsWith('lin') ? (v: number) => (v + 1) / 2
    : key.endsWith('.bias') ? (v: number) => v * 0.1
    : ((s: number) => (v: number) => v * s)(Math.sqrt(6 / (shape[1]! * shape[2]! * shape[3]!)));
  return Float32Array.from(u, f);
}

/**
 * A full `lpips.LPIPS(net).state_dict()` with deterministic values, from its key list {name: shape}: lins.<k>.* share
 * lin<k>.*'s values (PyTorch names shared parameters after the first module that holds them), scaling_layer.* holds
 * the package's constants.
 */
export function detStateDict(keys: Record<string, number[]>): Record<string, HostTensor> {
  const out: Record<string, HostTensor> = {};
  const consts: Record<string, number[]> = { 'scaling_layer.shift': [-0.03, -0.088, -0.188], 'scaling_layer.scale': [0.458, 0.448, 0.45] };
  for (const [k, shape] of Object.entries(keys)) {
    const data = consts[k] ? Float32Array.from(consts[k]!) : detValue(k.replace(/^lins\.(\d)\./, 'lin$1.'), shape);
    out[k] = { shape, data };
  }
  return out;
}
