// VAR transformer configuration (the official VAR constructor's arguments), the depth-d size rule and the parameter count.
import { VAR_SCHEDULES } from '../quant/schedule.ts';

/**
 * The official `VAR(...)` arguments, camel-cased: depth, embed_dim, num_heads, mlp_ratio, norm_eps, shared_aln, attn_l2_norm,
 * cond_drop_rate, drop_path_rate, num_classes, patch_nums, plus the VQVAE's vocab_size (V) and Cvae. Dropout and attention
 * dropout are 0 in every released model and are not offered.
 */
export interface VARConfig {
  depth: number;
  embedDim: number;
  numHeads: number;
  /** FFN hidden width = round(embedDim · mlpRatio). */
  mlpRatio: number;
  normEps: number;
  /** One global AdaLN projection (`shared_ada_lin`) plus a per-block `ada_gss` (VAR-d36) instead of a per-block `ada_lin`. */
  sharedAln: boolean;
  /** L2-normalised q and k with a learned per-head temperature (every released model); else softmax scale 0.25/√head_dim. */
  attnL2Norm: boolean;
  /** Probability of replacing the label by the null class in training (forwardTrain applies it only when given an Rng). */
  condDropRate: number;
  /** Drop-path grows linearly over the blocks from 0 to this (training only, with an Rng). */
  dropPathRate: number;
  /** Classes; the null class (classifier-free guidance) is `numClasses`, so class_emb has numClasses + 1 rows. */
  numClasses: number;
  /** Token-map sides per scale (v_patch_nums). */
  patchNums: readonly number[];
  /** Codebook size V (head outputs) and code width Cvae (word_embed inputs). */
  vocab: number;
  cvae: number;
}

/**
 * The official size rule (models/__init__.py build_vae_var): depth d → d heads of 64, width 64·d, drop-path 0.1·d/24,
 * L2-normalised attention, condition dropout 0.1, 1,000 classes, the 256-px schedule, V 4096, Cvae 32. `o` overrides any field.
 */
export function varConfig(depth: number, o: Partial<VARConfig> = {}): VARConfig {
  if (!Number.isInteger(depth) || depth < 1) throw new Error(`varConfig: depth must be a positive integer, got ${depth}`);
  const cfg: VARConfig = {
    depth, embedDim: 64 * depth, numHeads: depth, mlpRatio: 4, normEps: 1e-6, sharedAln: false, attnL2Norm: true,
    condDropRate: 0.1, dropPathRate: (0.1 * depth) / 24, numClasses: 1000, patchNums: VAR_SCHEDULES[256], vocab: 4096, cvae: 32, ...o,
  };
  checkConfig(cfg);
  return cfg;
}

/** Throws naming the field when a configuration cannot be built. */
export function checkConfig(c: VARConfig): void {
  const pos = (k: keyof VARConfig) => { const v = c[k] as number; if (!Number.isInteger(v) || v < 1) throw new Error(`VAR config: ${k} must be a positive integer, got ${v}`); };
  (['depth', 'embedDim', 'numHeads', 'numClasses', 'vocab', 'cvae'] as const).forEach(pos);
  if (c.embedDim % c.numHeads) throw new Error(`VAR config: embedDim ${c.embedDim} is not a multiple of numHeads ${c.numHeads}`);
  const hd = c.embedDim / c.numHeads;
  if (hd % 4 || hd > 128) throw new Error(`VAR config: head dim ${hd} (embedDim / numHeads) must be a multiple of 4 and at most 128 (the attention kernels' range)`);
  if (!(c.mlpRatio > 0) || Math.round(c.embedDim * c.mlpRatio) < 1) throw new Error(`VAR config: mlpRatio must be positive, got ${c.mlpRatio}`);
  if (!c.patchNums.length || c.patchNums.some((p) => !Number.isInteger(p) || p < 1)) throw new Error(`VAR config: patchNums must be positive integers, got [${c.patchNums}]`);
  if (!(c.normEps > 0)) throw new Error(`VAR config: normEps must be positive, got ${c.normEps}`);
  for (const k of ['condDropRate', 'dropPathRate'] as const) if (!(c[k] >= 0 && c[k] < 1)) throw new Error(`VAR config: ${k} must lie in [0, 1), got ${c[k]}`);
}

/** Derived sizes: head dim, FFN hidden, tokens L, scales K, first_l (tokens of the first scale). */
export function varSizes(c: VARConfig) {
  const L = c.patchNums.reduce((a, p) => a + p * p, 0);
  return { C: c.embedDim, D: c.embedDim, H: c.numHeads, headDim: c.embedDim / c.numHeads, hidden: Math.round(c.embedDim * c.mlpRatio),
    L, K: c.patchNums.length, firstL: c.patchNums[0]! ** 2 };
}

/**
 * Trainable parameters by part, counted from the configuration (VAR_FACTS §3.9), buffers (lvl_1L, the mask, zero_k_bias)
 * excluded. d16 with the 256-px schedule: 310,283,520.
 */
export function varParamCount(c: VARConfig): { total: number; parts: Record<string, number> } {
  const { C, D, H, hidden, L, K, firstL } = varSizes(c);
  const perBlock = 3 * C * C + 2 * C + (c.attnL2Norm ? H : 0) // mat_qkv, q_bias + v_bias, scale_mul_1H11
    + C * C + C                                               // proj
    + hidden * C + hidden + C * hidden + C                    // fc1, fc2
    + (c.sharedAln ? 6 * C : 6 * C * D + 6 * C);              // ada_gss or ada_lin.1
  const parts: Record<string, number> = {
    blocks: c.depth * perBlock,
    shared_ada_lin: c.sharedAln ? 6 * C * D + 6 * C : 0,
    word_embed: c.cvae * C + C,
    class_emb: (c.numClasses + 1) * C,
    pos_start: firstL * C,
    pos_1LC: L * C,
    lvl_embed: K * C,
    head_nm: 2 * C * D + 2 * C,
    head: c.vocab * C + c.vocab,
  };
  return { total: Object.values(parts).reduce((a, b) => a + b, 0), parts };
}
