// VAR's init_weights (VAR_FACTS §3.7) on the GPU with an explicit Rng.
import { Tensor, ops, noGrad, scope, type Rng } from '../../engine/index.ts';
import type { VAR } from './var.ts';

export interface VARInitOpts {
  /** Scale of the non-gamma AdaLN rows and of head_nm's ada_lin (default 0.5). */
  initAdaln?: number;
  /** Scale of the gamma rows (first 2C) of every ada_lin (default 1e-5; VAR's README runs use 1e-3 for d16/d20, 1e-4 for d24). */
  initAdalnGamma?: number;
  /** Head weight multiplier (default 0.02). */
  initHead?: number;
  /** Std of Linear and Embedding weights; negative (default) = √(1 / (3C)). */
  initStd?: number;
}

/**
 * Fills every parameter as VAR's constructor plus init_weights(init_adaln, init_adaln_gamma, init_head, init_std) do:
 * Linear/Embedding weights and the position tables ~ trunc_normal(0, std) with torch's absolute bounds [−2, 2] (drawn as a
 * normal clamped to [−2, 2]: with std = √(1/(3C)) ≤ 0.07 for C ≥ 64 the bounds lie beyond 28 std), biases 0, head × initHead,
 * proj and fc2 ÷ √(2·depth), ada_lin gamma rows × initAdalnGamma and the rest × initAdaln, head_nm's ada_lin × initAdaln,
 * ada_gss ~ N(0, 1/C) scaled the same way, q_bias and v_bias 0, temperatures ln 4. Same seed, same weights.
 */
export function initVAR(v: VAR, rng: Rng, o: VARInitOpts = {}): void {
  const dev = v.dev, C = v.sizes.C, depth = v.cfg.depth;
  const initAdaln = o.initAdaln ?? 0.5, gamma = o.initAdalnGamma ?? 1e-5, initHead = o.initHead ?? 0.02;
  const posStd = Math.sqrt(1 / C / 3);
  const std = (o.initStd ?? -1) < 0 ? posStd : o.initStd!;
  noGrad(dev, () => scope(dev, () => {
    const normal = (t: Tensor, s: number, clamp = true) => { const r = rng.normal(dev, t.shape, 0, s); ops.assign(t, clamp ? ops.clamp(r, -2, 2) : r); };
    const zero = (t: Tensor | null) => { if (t) ops.assign(t, ops.fill(dev, t.shape, 0)); };
    const scaleRows = (t: Tensor, r0: number, r1: number, s: number) => { const w = ops.slice(t, 0, r0, r1); ops.assign(w, ops.mulScalar(w, s)); };
    const linear = (l: { weight: Tensor; bias: Tensor | null }) => { normal(l.weight, std); zero(l.bias); };
    // constructor: position tables; init_weights: every Linear and Embedding
    normal(v.pos_start, posStd); normal(v.pos_1LC, posStd);
    linear(v.word_embed); normal(v.class_emb.weight, std); normal(v.lvl_embed.weight, std);
    if (v.shared_ada_lin) linear(v.shared_ada_lin.lin);
    linear(v.head_nm.ada_lin.lin); linear(v.head);
    scaleRows(v.head.weight, 0, v.cfg.vocab, initHead);
    scaleRows(v.head_nm.ada_lin.lin.weight, 0, 2 * C, initAdaln);
    for (const b of v.blocks) {
      const a = b.attn;
      for (const l of [a.mat_qkv, a.proj, b.ffn.fc1, b.ffn.fc2]) linear(l);
      zero(a.q_bias); zero(a.v_bias);
      if (a.scale_mul_1H11) ops.assign(a.scale_mul_1H11, ops.fill(dev, a.scale_mul_1H11.shape, Math.log(4)));
      scaleRows(a.proj.weight, 0, C, 1 / Math.sqrt(2 * depth));
      scaleRows(b.ffn.fc2.weight, 0, C, 1 / Math.sqrt(2 * depth));
      if (b.ada_lin) {
        linear(b.ada_lin.lin);
        scaleRows(b.ada_lin.lin.weight, 2 * C, 6 * C, initAdaln);
        scaleRows(b.ada_lin.lin.weight, 0, 2 * C, gamma);
      } else {
        const g = b.ada_gss!; // [1, 1, 6, C]: randn / √C, then chunks 2.. × initAdaln and 0..1 × gamma
        normal(g, 1 / Math.sqrt(C), false);
        const chunks = ops.reshape(g, [6, C]);
        scaleRows(chunks, 2, 6, initAdaln);
        scaleRows(chunks, 0, 2, gamma);
      }
    }
  }));
}
