// gradcheck: compares autograd gradients with central finite differences of the op's own GPU forward.
import { Tensor, fromArray } from './tensor.ts';
import { backward, noGrad } from './autograd.ts';
import { mul } from './ops/elementwise.ts';
import { sum } from './ops/reduce.ts';
import type { Device } from './runtime/device.ts';

export interface GradcheckResult { ok: boolean; maxAbsErr: number; maxRelErr: number; worst: string }

/**
 * For loss = Σ f(x)·w (w fixed, pseudo-random), checks dloss/dx_i for up to `samples` elements i of every input
 * against (loss(x + eps e_i) − loss(x − eps e_i)) / 2eps evaluated on the GPU in f32. eps defaults to 1e-2 and
 * the tolerance is loose (f32 forward): this is a smoke test for new composite ops; kernels are checked more
 * tightly against f64 CPU references in the tests.
 */
export async function gradcheck(dev: Device, f: (xs: Tensor[]) => Tensor, inputs: { shape: number[]; data: Float32Array }[],
  o: { eps?: number; atol?: number; rtol?: number; samples?: number } = {}): Promise<GradcheckResult> {
  const eps = o.eps ?? 1e-2, atol = o.atol ?? 1e-2, rtol = o.rtol ?? 2e-2, samples = o.samples ?? 16;
  const xs = inputs.map((h) => { const t = fromArray(dev, h.data, h.shape); t.requiresGrad = true; return t; });
  const y = f(xs);
  const wData = Float32Array.from({ length: y.numel }, (_, i) => Math.sin(1 + i * 0.7));
  const w = fromArray(dev, wData, y.shape);
  const yw = mul(y, w);
  const loss = sum(yw);
  backward(loss);
  const lossAt = async (k: number, i: number, delta: number) => {
    const d = Float32Array.from(inputs[k]!.data); d[i]! += delta;
    const t = fromArray(dev, d, inputs[k]!.shape);
    const l = noGrad(dev, () => { const ys = f(xs.map((x, j) => (j === k ? t : x))); const yw = mul(ys, w); const s = sum(yw); ys.dispose(); yw.dispose(); return s; });
    const v = await l.item();
    t.dispose(); l.dispose();
    return v;
  };
  let maxAbsErr = 0, maxRelErr = 0, worst = '', ok = true;
  for (const [k, x] of xs.entries()) {
    const an = await x.grad!.toArray();
    const n = x.numel;
    const idx = n <= samples ? [...Array(n).keys()] : Array.from({ length: samples }, (_, j) => Math.floor((j + 0.5) * n / samples));
    for (const i of idx) {
      const num = ((await lossAt(k, i, eps)) - (await lossAt(k, i, -eps))) / (2 * eps);
      const err = Math.abs(num - an[i]!), rel = err / Math.max(Math.abs(num), 1e-8);
      if (err > maxAbsErr) { maxAbsErr = err; worst = `input ${k}[${i}]: autograd ${an[i]}, finite differences ${num}`; }
      maxRelErr = Math.max(maxRelErr, rel);
      if (err > atol + rtol * Math.abs(num)) ok = false;
    }
  }
  for (const t of [...xs, y, w, yw, loss]) t.dispose();
  return { ok, maxAbsErr, maxRelErr, worst };
}
