// Global gradient-norm clipping on the GPU (torch.nn.utils.clip_grad_norm_): no readback; returns the norm tensor.
import { Tensor } from '../../engine/tensor.ts';
import { mapN } from '../../engine/ops/map.ts';
import { sum } from '../../engine/ops/reduce.ts';
import { noGrad } from '../../engine/autograd.ts';

/** Scales every gradient by min(1, maxNorm / (‖g‖ + 1e-6)) in place; returns ‖g‖ (a 1-element tensor). */
export function clipGradNorm(params: Tensor[], maxNorm: number): Tensor | null {
  const ps = params.filter((p) => p.grad);
  if (!ps.length) return null;
  const dev = ps[0]!.dev;
  return noGrad(dev, () => {
    let total: Tensor | null = null;
    for (const p of ps) {
      const sq = mapN('clipGradNorm', [p.grad!], 'a * a');
      const s = sum(sq);
      sq.dispose();
      if (total) { const t2 = mapN('clipGradNorm', [total, s], 'a + b'); total.dispose(); s.dispose(); total = t2; } else total = s;
    }
    const norm = mapN('clipGradNorm', [total!], 'sqrt(a)');
    total!.dispose();
    for (const p of ps) {
      const g = p.grad!;
      // In place: out = g (a view of the same storage is not allowed as both read and write binding), so write a new grad.
      const scaled = mapN('clipGradNorm', [g, norm], 'a * min(1.0, p.s0 / (b + 1e-6))', { s0: maxNorm });
      g.dispose();
      p.grad = scaled.keep();
    }
    return norm;
  });
}
