// Global gradient-norm clipping on the GPU (torch.nn.utils.clip_grad_norm_): no readback; returns the norm tensor.
import { noGrad, ops, scope, type Tensor } from '../../engine/index.ts';

/** Scales every gradient by min(1, maxNorm / (‖g‖ + 1e-6)) (a new gradient tensor each); returns ‖g‖ (a 1-element tensor). */
export function clipGradNorm(params: Tensor[], maxNorm: number): Tensor | null {
  const ps = params.filter((p) => p.grad);
  if (!ps.length) return null;
  const dev = ps[0]!.dev;
  return noGrad(dev, () => scope(dev, () => {
    let total: Tensor | null = null;
    for (const p of ps) {
      const s = ops.sum(ops.square(p.grad!));
      total = total ? ops.add(total, s) : s;
    }
    const norm = ops.sqrt(total!);
    const coef = ops.clamp(ops.div(ops.fill(dev, [1], maxNorm), ops.addScalar(norm, 1e-6)), 0, 1);
    for (const p of ps) {
      const scaled = ops.mul(p.grad!, coef).keep();
      p.grad!.dispose();
      p.grad = scaled;
    }
    return norm;
  }));
}
