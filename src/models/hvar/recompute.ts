// H-VAR sampling steps without a KV cache: step si runs the blocks over the whole sequence up to and including scale si under
// the block-causal mask and takes the logits of scale si (what each step costs when nothing is cached; the benchmark's baseline).
import { noGrad, scope, ops, type Tensor } from '../../engine/index.ts';
import type { HVAR } from './hvar.ts';

/** End (exclusive) of step si's tokens in the sequence: the prefix and the first scale for step 0, then scale by scale. */
export function stepEnd(model: HVAR, si: number): number {
  const { prefix, scales, K } = { ...model.sizes, scales: model.scales };
  if (!Number.isInteger(si) || si < 0 || si >= K) throw new RangeError(`stepEnd: step ${si} is not one of 0..${K - 1}`);
  return prefix + scales.slice(0, si + 1).reduce((a, p) => a + p * p, 0);
}

/**
 * Logits [B, pn², V] of scale si from a full forward of tokens [0, stepEnd(si)) of x_BSC (the blocks' input sequence
 * [B, ≥ stepEnd(si), C], e.g. HVAR.inputTokens) under the block-causal level mask, without a cache; cond_BD [B, D] are the
 * condition rows. No gradient. Equal to the cached step's logits (the mask hides later scales either way).
 */
export function recomputeStep(model: HVAR, x_BSC: Tensor, cond_BD: Tensor, si: number): Tensor {
  const end = stepEnd(model, si), start = si === 0 ? model.sizes.prefix : stepEnd(model, si - 1);
  const [B, S, C] = x_BSC.shape as [number, number, number];
  if (x_BSC.ndim !== 3 || S < end || C !== model.sizes.C || cond_BD.shape[0] !== B)
    throw new Error(`recomputeStep: x must be [B, >= ${end}, ${model.sizes.C}] with B condition rows for step ${si}, got x ${x_BSC}, cond ${cond_BD}`);
  const dev = x_BSC.dev;
  return noGrad(dev, () => scope(dev, () => {
    let h = ops.contiguous(ops.slice(x_BSC, 1, 0, end));
    const levels = ops.slice(model.levels, 0, 0, end);
    const bc = model.blockCondition(cond_BD);
    for (const b of model.blocks) h = b.forward(h, bc, { levels });
    return model.logits(ops.slice(h, 1, start, end), cond_BD);
  }));
}
