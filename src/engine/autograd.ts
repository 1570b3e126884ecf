// Autograd: records ops on a tape (GradNode per output), runs backward in reverse topological order, noGrad scopes.
import type { Device } from './runtime/device.ts';
import { Tensor, type GradNode } from './tensor.ts';

/** True when an op on these inputs must record a node. */
export function needsGrad(...xs: (Tensor | null | undefined)[]): boolean {
  const first = xs.find((x) => x);
  if (!first || !first.dev.ctx.gradEnabled) return false;
  return xs.some((x) => x && (x.requiresGrad || x.node));
}

/** Attaches a backward rule to `out` if any input needs a gradient. Returns `out`. */
export function record(out: Tensor, op: string, inputs: Tensor[], backward: GradNode['backward']): Tensor {
  if (needsGrad(...inputs)) out.node = { op, inputs, backward };
  return out;
}

export function noGrad<T>(dev: Device, fn: () => T): T {
  const prev = dev.ctx.gradEnabled;
  dev.ctx.gradEnabled = false;
  try { return fn(); } finally { dev.ctx.gradEnabled = prev; }
}

/**
 * Backpropagates from `root` (a scalar unless `gradRoot` is given). Leaf tensors with requiresGrad get `.grad`
 * (accumulated across calls, kept out of scopes); intermediate gradients are disposed as soon as they are used.
 */
export function backward(root: Tensor, gradRoot?: Tensor): void {
  const dev = root.dev;
  const { onesLike, add, clone } = opsForBackward!;
  if (!gradRoot && root.numel !== 1) throw new Error(`backward: ${root} is not a scalar; pass the gradient of the output`);
  // Topological order of tensors that carry nodes.
  const order: Tensor[] = [];
  const seen = new Set<number>();
  const visit = (t: Tensor) => {
    if (seen.has(t.id)) return;
    seen.add(t.id);
    if (t.node) for (const x of t.node.inputs) visit(x);
    order.push(t);
  };
  visit(root);
  const prev = dev.ctx.gradEnabled;
  dev.ctx.gradEnabled = false;
  try {
    const grads = new Map<number, Tensor>();
    grads.set(root.id, gradRoot ?? onesLike(root));
    for (let i = order.length - 1; i >= 0; i--) {
      const t = order[i]!;
      const g = grads.get(t.id);
      if (!g) continue;
      grads.delete(t.id);
      if (t.node) {
        const gin = t.node.backward(g);
        // The same tensor handed to several inputs: copy it up front, since accumulating into an earlier input frees it.
        gin.forEach((gi, j) => { const x = t.node!.inputs[j]; if (gi && gin.indexOf(gi) < j && x && (x.requiresGrad || x.node)) gin[j] = clone(gi); });
        const used = new Set<Tensor>();
        t.node.inputs.forEach((x, j) => {
          const gi = gin[j];
          if (!gi) return;
          if (!(x.requiresGrad || x.node)) return;
          if (gi.shape.length !== x.shape.length || gi.shape.some((d, k) => d !== x.shape[k]))
            throw new Error(`backward of ${t.node!.op}: gradient for input ${j} has shape [${gi.shape}], expected [${x.shape}]`);
          used.add(gi);
          const prevG = grads.get(x.id);
          if (prevG) { grads.set(x.id, add(prevG, gi)); prevG.dispose(); gi.dispose(); }
          else grads.set(x.id, gi);
        });
        for (const gi of gin) if (gi && !used.has(gi) && gi !== g) gi.dispose();
        if (!used.has(g) && g !== gradRoot) g.dispose();
      } else if (t.requiresGrad) {
        const gg = g === gradRoot ? clone(g) : g;
        if (t.grad) { const s = add(t.grad, gg); t.grad.dispose(); gg.dispose(); t.grad = s.keep(); }
        else t.grad = gg.keep();
      } else if (g !== gradRoot) g.dispose();
    }
    for (const g of grads.values()) g.dispose();
  } finally { dev.ctx.gradEnabled = prev; }
  // Free the graph: nodes hold references to saved tensors.
  for (const t of order) t.node = null;
}

/** The few ops backward itself needs; set by ops/index.ts to avoid an import cycle. */
let opsForBackward: { onesLike(t: Tensor): Tensor; clone(t: Tensor): Tensor; add(a: Tensor, b: Tensor): Tensor } | null = null;
export function setBackwardOps(o: NonNullable<typeof opsForBackward>) { opsForBackward = o; }
