// H-VAR transformer configuration (MODEL_SPEC §4): VAR's block arguments plus the HIT schedule and the LR prefix side; sizes and
// the parameter count computed from a configuration alone.
import { HIT_512, planOf, type Segment } from '../quant/schedule.ts';

/**
 * VAR's block arguments (depth, embed_dim, num_heads, mlp_ratio, norm_eps, attn_l2_norm, shared_aln, drop_path_rate,
 * cond_drop_rate), the VQVAE's vocab (V) and code width (Cvae), the HIT schedule and the latent side of the LR condition.
 */
export interface HVARConfig {
  depth: number;
  embedDim: number;
  numHeads: number;
  /** FFN hidden width = round(embedDim · mlpRatio). */
  mlpRatio: number;
  normEps: number;
  /** L2-normalised q and k with a learned per-head temperature (VAR's attn_l2_norm). */
  attnL2Norm: boolean;
  /** One global AdaLN projection (`shared_ada_lin`) plus per-block `ada_gss`; false for VAR-d16 and H-VAR. */
  sharedAln: boolean;
  /** Drop-path grows linearly over the blocks from 0 to this (training only, with an Rng). */
  dropPathRate: number;
  /** Probability of replacing the condition row 0 (super-resolve) by row 1 (null) in training (with an Rng). */
  condDropRate: number;
  /** Codebook size V (head outputs) and code width Cvae (word_embed and cond_proj inputs). */
  vocab: number;
  cvae: number;
  /** The HIT schedule (segments of scales, MODEL_SPEC §1). */
  segments: Segment[];
  /** Latent side S of the LR condition: S·S prefix tokens and the S×S master position table (default: the last segment's side). */
  prefixSide: number;
}

export type HVARConfigInput = Partial<Omit<HVARConfig, 'segments'>> & { segments?: readonly Segment[] };

/**
 * The configuration with defaults: VAR's size rule for `depth` (d heads of 64, width 64·d, drop-path 0.1·d/24, L2-normalised
 * attention, condition dropout 0.1), V 4096, Cvae 32, HIT_512 and a prefix side equal to the last segment's side (32 → 1,024
 * prefix tokens). Call as hvarConfig(16), hvarConfig(16, { ... }) or hvarConfig({ depth: 2, embedDim: 64, ... }).
 */
export function hvarConfig(depth: number | HVARConfigInput = 16, o: HVARConfigInput = {}): HVARConfig {
  const raw: HVARConfigInput = typeof depth === 'number' ? { ...o, depth } : { ...depth, ...o };
  const given = Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined)) as HVARConfigInput;
  const d = given.depth ?? 16;
  if (!Number.isInteger(d) || d < 1) throw new Error(`hvarConfig: depth must be a positive integer, got ${d}`);
  const segments = (given.segments ?? HIT_512).map((s) => ({ side: s.side, scales: [...s.scales] }));
  const cfg: HVARConfig = {
    depth: d, embedDim: 64 * d, numHeads: d, mlpRatio: 4, normEps: 1e-6, attnL2Norm: true, sharedAln: false,
    dropPathRate: (0.1 * d) / 24, condDropRate: 0.1, vocab: 4096, cvae: 32,
    prefixSide: segments[segments.length - 1]?.side ?? 0,
    ...given, segments,
  };
  checkHVARConfig(cfg);
  return cfg;
}

/** Throws naming the field when a configuration cannot be built. */
export function checkHVARConfig(c: HVARConfig): void {
  const pos = (k: keyof HVARConfig) => { const v = c[k] as number; if (!Number.isInteger(v) || v < 1) throw new Error(`H-VAR config: ${k} must be a positive integer, got ${v}`); };
  (['depth', 'embedDim', 'numHeads', 'vocab', 'cvae', 'prefixSide'] as const).forEach(pos);
  if (c.embedDim % c.numHeads) throw new Error(`H-VAR config: embedDim ${c.embedDim} is not a multiple of numHeads ${c.numHeads}`);
  const hd = c.embedDim / c.numHeads;
  if (hd % 4 || hd > 128) throw new Error(`H-VAR config: head dim ${hd} (embedDim / numHeads) must be a multiple of 4 and at most 128 (the attention kernels' range)`);
  if (!(c.mlpRatio > 0) || Math.round(c.embedDim * c.mlpRatio) < 1) throw new Error(`H-VAR config: mlpRatio must be positive, got ${c.mlpRatio}`);
  if (!(c.normEps > 0)) throw new Error(`H-VAR config: normEps must be positive, got ${c.normEps}`);
  for (const k of ['condDropRate', 'dropPathRate'] as const) if (!(c[k] >= 0 && c[k] < 1)) throw new Error(`H-VAR config: ${k} must lie in [0, 1), got ${c[k]}`);
  if (!Array.isArray(c.segments) || !c.segments.length) throw new Error('H-VAR config: segments must hold at least one segment');
  planOf(c.segments); // checks sides and scales
  const maxPn = Math.max(...c.segments.flatMap((s) => s.scales));
  if (maxPn > c.prefixSide)
    throw new Error(`H-VAR config: prefixSide ${c.prefixSide} is below the largest scale ${maxPn}; each scale's positions are down(master, pn) of the S×S master table`);
}

/** Derived sizes: width C (= condition width D), heads, head dim, FFN hidden, scales K, scale tokens L, prefix P, sequence P + L. */
export function hvarSizes(c: HVARConfig) {
  const scales = c.segments.flatMap((s) => [...s.scales]);
  const L = scales.reduce((a, p) => a + p * p, 0), P = c.prefixSide * c.prefixSide;
  return { C: c.embedDim, D: c.embedDim, H: c.numHeads, headDim: c.embedDim / c.numHeads, hidden: Math.round(c.embedDim * c.mlpRatio),
    scales, K: scales.length, L, firstL: scales[0]! ** 2, prefix: P, sequence: P + L };
}

/**
 * Trainable parameters by part, counted from the configuration (VAR_FACTS §3.9 with MODEL_SPEC §4's changes: a 2-row condition
 * embedding, an S×S master position table instead of pos_1LC, and cond_proj Cvae → C); buffers (zero_k_bias) excluded.
 * hvarConfig(16): 309,646,592.
 */
export function hvarParamCount(c: HVARConfig): { total: number; parts: Record<string, number> } {
  const { C, D, H, hidden, K, firstL, prefix } = hvarSizes(c);
  const perBlock = 3 * C * C + 2 * C + (c.attnL2Norm ? H : 0) // mat_qkv, q_bias + v_bias, scale_mul_1H11
    + C * C + C                                               // proj
    + hidden * C + hidden + C * hidden + C                    // fc1, fc2
    + (c.sharedAln ? 6 * C : 6 * C * D + 6 * C);              // ada_gss or ada_lin.1
  const parts: Record<string, number> = {
    word_embed: c.cvae * C + C,
    cond_proj: c.cvae * C + C,
    class_emb: 2 * C,
    pos_start: firstL * C,
    pos_master: prefix * C,
    lvl_embed: K * C,
    shared_ada_lin: c.sharedAln ? 6 * C * D + 6 * C : 0,
    blocks: c.depth * perBlock,
    head_nm: 2 * C * D + 2 * C,
    head: c.vocab * C + c.vocab,
  };
  return { total: Object.values(parts).reduce((a, b) => a + b, 0), parts };
}
