// Analytic parameter and FLOP counts of VAR, VARSR and H-VAR from a configuration alone (docs/VAR_FACTS.md §3.9, §4).
import { HIT_512, VAR_SCHEDULES, type Segment } from './quant/schedule.ts';
import type { HVARConfig } from './hvar/config.ts';
import { phiLayout, type VQVAEConfig } from './vqvae/config.ts';

/** VQVAE `vae_ch160v4096z32` architecture (VAR_FACTS §1.1). */
export interface VqvaeConfig {
  ch: number;
  mult: readonly number[];
  encBlocks: number;
  decBlocks: number;
  cvae: number;
  vocab: number;
  phiConvs: number;
}

export const VQVAE_CH160: VqvaeConfig = { ch: 160, mult: [1, 1, 2, 2, 4], encBlocks: 2, decBlocks: 3, cvae: 32, vocab: 4096, phiConvs: 4 };

/** Everything the counter needs about one model; no tensors. */
export interface ModelConfig {
  name: string;
  /** var: class-conditional VAR; hvar: MODEL_SPEC §4; varsr: VAR_FACTS §5. */
  family: 'var' | 'hvar' | 'varsr';
  depth: number;
  /** Width C (= condition width D). */
  width: number;
  heads: number;
  mlpRatio: number;
  cvae: number;
  vocab: number;
  /** Rows of the class / condition embedding (VAR 1001, H-VAR 2, VARSR 2). */
  condRows: number;
  /** Rows of pos_start (VAR / H-VAR 1, VARSR 1,025: it covers the whole prefix). */
  posStartRows: number;
  /** Rows of the position table: pos_1LC (VAR: L), H-VAR's 32×32 master table (1,024), none for VARSR (0). */
  posTableRows: number;
  posTableName: string;
  /** Rows of lvl_embed (one per level). */
  levels: number;
  segments: readonly Segment[];
  /** LR prefix tokens in front of the scale tokens (H-VAR and VARSR 1,024; the start token is not one of them). */
  prefix: number;
  /** H-VAR's cond_proj, Linear Cvae → C, on the LR latent. */
  condProj: boolean;
  /** VARSR's con_embedding conv stem, [out, in] of its 3×3 convs after conv_in (VAR_FACTS §5). */
  lrStem: boolean;
  /** VARSR's diffusion refiner (width, blocks, sampling steps) and decoder_norm. */
  refiner?: { width: number; blocks: number; steps: number; outputs: number; timeFreq: number };
  /** Classifier-free guidance doubles the batch when on. */
  cfg: boolean;
  /**
   * The blocks' AdaLN projections run once per generation (the condition is the same at every step: this engine's sampler)
   * rather than once per step (VAR's official sampler). Default false.
   */
  blockAdaLNOnce?: boolean;
  /** Image side in pixels (the VQVAE latent side × 16). */
  imageSide: number;
  /** Latent sides decoded to images per generation (H-VAR: 8, 16, 32 for its three outputs). */
  decodeSides: readonly number[];
  /** Latent side at which the LR image is encoded by the VQVAE (H-VAR), 0 when not. */
  lrEncodeSide: number;
  vqvae: VqvaeConfig;
  /** Tokens of the paper's accounting (VAR_FACTS §4.3): VAR's 512 schedule, 2,240. */
  paperTokens: number;
}

const flatScales = (segs: readonly Segment[]) => segs.flatMap((s) => [...s.scales]);
const tokensOf = (scales: readonly number[]) => scales.reduce((a, p) => a + p * p, 0);
const varSeg = (scales: readonly number[]): Segment[] => [{ side: scales[scales.length - 1]!, scales: [...scales] }];
const PAPER_TOKENS = tokensOf(VAR_SCHEDULES[512]);

function varConfig(name: string, depth: number, px: 256 | 512): ModelConfig {
  const scales = VAR_SCHEDULES[px];
  return {
    name, family: 'var', depth, width: 64 * depth, heads: depth, mlpRatio: 4, cvae: 32, vocab: 4096, condRows: 1001,
    posStartRows: 1, posTableRows: tokensOf(scales), posTableName: 'pos_1LC', levels: scales.length, segments: varSeg(scales),
    prefix: 0, condProj: false, lrStem: false, cfg: true, imageSide: px, decodeSides: [px / 16], lrEncodeSide: 0,
    vqvae: VQVAE_CH160, paperTokens: PAPER_TOKENS,
  };
}

function hvarConfig(name: string, depth: number, width: number, heads: number): ModelConfig {
  return {
    name, family: 'hvar', depth, width, heads, mlpRatio: 4, cvae: 32, vocab: 4096, condRows: 2, posStartRows: 1,
    posTableRows: 32 * 32, posTableName: 'pos_master', levels: flatScales(HIT_512).length, segments: HIT_512, prefix: 1024,
    condProj: true, lrStem: false, cfg: true, imageSide: 512, decodeSides: HIT_512.map((s) => s.side), lrEncodeSide: 32,
    vqvae: VQVAE_CH160, paperTokens: PAPER_TOKENS,
  };
}

/** Named configurations (the CLI's --model). */
export const MODEL_CONFIGS: Record<string, ModelConfig> = {
  // H-VAR as the paper reports it: VAR-d16 with the HIT schedule, LR prefix and 2-row condition (MODEL_SPEC §4).
  d16: hvarConfig('d16', 16, 1024, 16),
  // A small H-VAR that runs on this machine.
  small: hvarConfig('small', 4, 256, 4),
  'var-d16': varConfig('var-d16', 16, 256),
  'var-d16-512': varConfig('var-d16-512', 16, 512),
  'var-d24': varConfig('var-d24', 24, 256),
  'var-d24-512': varConfig('var-d24-512', 24, 512),
  'varsr-d24': {
    ...varConfig('varsr-d24', 24, 512), family: 'varsr', condRows: 2, posStartRows: 1025, posTableRows: 0, posTableName: 'pos_1LC',
    prefix: 1024, lrStem: true, refiner: { width: 1024, blocks: 6, steps: 10, outputs: 64, timeFreq: 256 },
  },
};
export const MODEL_NAMES = Object.keys(MODEL_CONFIGS);

/**
 * The counter's configuration of an H-VAR built by this engine (src/models/hvar) with its VQVAE (src/models/vqvae): sizes,
 * schedule, prefix and VQVAE from the two configurations, the blocks' AdaLN once per generation (as sampleHVAR computes it),
 * CFG as given. Shared AdaLN is not modelled (H-VAR does not use it).
 */
export function hvarModelConfig(name: string, h: HVARConfig, v: VQVAEConfig, o: { cfg: boolean }): ModelConfig {
  if (h.sharedAln) throw new Error(`hvarModelConfig ${name}: shared AdaLN is not modelled by the FLOP counter (H-VAR uses per-block AdaLN)`);
  const scales = flatScales(h.segments), down = 2 ** (v.chMult.length - 1);
  return {
    name, family: 'hvar', depth: h.depth, width: h.embedDim, heads: h.numHeads, mlpRatio: h.mlpRatio, cvae: h.cvae, vocab: h.vocab,
    condRows: 2, posStartRows: scales[0]! ** 2, posTableRows: h.prefixSide ** 2, posTableName: 'pos_master', levels: scales.length,
    segments: h.segments, prefix: h.prefixSide ** 2, condProj: true, lrStem: false, cfg: o.cfg, blockAdaLNOnce: true,
    imageSide: h.prefixSide * down, decodeSides: h.segments.map((s) => s.side), lrEncodeSide: h.prefixSide,
    vqvae: { ch: v.ch, mult: [...v.chMult], encBlocks: v.numResBlocks, decBlocks: v.numResBlocks + 1, cvae: v.zChannels, vocab: v.vocabSize, phiConvs: phiLayout(v).count },
    paperTokens: PAPER_TOKENS,
  };
}

/** One row of the report: a part of the model with its parameters and its FLOPs under both accountings. */
export interface Part {
  name: string;
  /** transformer: the network the paper's parameter figure counts; condition: LR stem; refiner; vqvae; cfg. */
  group: 'transformer' | 'condition' | 'refiner' | 'vqvae' | 'cfg';
  params: number;
  /** FLOPs under the paper's accounting (VAR_FACTS §4.3). */
  paperFlops: number;
  /** FLOPs one generation really computes (one image; the CFG half is its own row). */
  fullFlops: number;
  note?: string;
}

export interface AttentionCounts {
  /** Visible query-key pairs summed over steps, per block and image. */
  pairsKvCache: number;
  pairsRecompute: number;
  pairsKvCacheNoPrefix: number;
  pairsRecomputeNoPrefix: number;
  /** FLOPs of QKᵀ and AV over all blocks, one image: 2 · 2 · pairs · C · depth. */
  kvCache: number;
  recompute: number;
  kvCacheNoPrefix: number;
  recomputeNoPrefix: number;
}

export interface Count {
  config: ModelConfig;
  parts: Part[];
  /** Scale tokens L, sequence length (prefix + L), sampling steps. */
  tokens: number;
  sequence: number;
  steps: number;
  attention: AttentionCounts;
  totals: {
    params: number;
    /** Parameters of the groups the paper counts (transformer only). */
    paramsTransformer: number;
    /** Everything but the VQVAE (VARSR's published count includes its conv stem and refiner). */
    paramsNoVqvae: number;
    paperFlops: number;
    fullFlops: number;
    /** The transformer's FLOPs of one image (no CFG half), the part CFG doubles. */
    transformerFlops: number;
    /** A reading of the paper's rule over the model's own scale tokens (and with the prefix), for comparison. */
    paperRuleOwnTokens: number;
    paperRuleOwnTokensWithPrefix: number;
  };
}

// ---------------------------------------------------------------- attention pairs

/**
 * Visible query-key pairs of the block-causal mask, summed over sampling steps. Step 0 holds the prefix and the first
 * scale (bidirectional among themselves); step k's n_k queries see S_k = prefix + n_1 + … + n_k keys. With the KV cache
 * each step runs only its own queries; recomputing runs every earlier step's queries again (masked pairs skipped).
 */
export function attentionPairs(scales: readonly number[], prefix: number): { kvCache: number; recompute: number } {
  let seen = prefix, kv = 0, re = 0;
  scales.forEach((pn, k) => {
    const n = pn * pn + (k === 0 ? prefix : 0);
    seen += pn * pn;
    kv += n * seen;
    re += kv;
  });
  return { kvCache: kv, recompute: re };
}

// ---------------------------------------------------------------- VQVAE

const conv = (cin: number, cout: number, k: number) => cout * cin * k * k + cout;
const gn = (c: number) => 2 * c;
const rbParams = (i: number, o: number) => gn(i) + conv(i, o, 3) + gn(o) + conv(o, o, 3) + (i !== o ? conv(i, o, 1) : 0);
const abParams = (c: number) => gn(c) + conv(c, 3 * c, 1) + conv(c, c, 1);
/** FLOPs (2 per multiply-add) of a k×k conv producing hw output pixels; biases, norms and activations left out. */
const convF = (cin: number, cout: number, k: number, hw: number) => 2 * cout * cin * k * k * hw;
const rbFlops = (i: number, o: number, hw: number) => convF(i, o, 3, hw) + convF(o, o, 3, hw) + (i !== o ? convF(i, o, 1, hw) : 0);
/** qkv and proj_out (1×1 convs) plus QKᵀ and AV over hw positions. */
const abFlops = (c: number, hw: number) => convF(c, 3 * c, 1, hw) + convF(c, c, 1, hw) + 2 * 2 * hw * hw * c;

/** Walks the encoder (VAR_FACTS §1.3) at a latent side; returns its parameters and FLOPs. */
export function vqvaeEncoder(v: VqvaeConfig, latentSide: number): { params: number; flops: number } {
  const chs = v.mult.map((m) => v.ch * m), top = chs[chs.length - 1]!;
  let side = latentSide * 2 ** (chs.length - 1), cin = v.ch;
  let params = conv(3, v.ch, 3), flops = convF(3, v.ch, 3, side * side);
  chs.forEach((c, l) => {
    const last = l === chs.length - 1;
    for (let b = 0; b < v.encBlocks; b++) {
      params += rbParams(cin, c); flops += rbFlops(cin, c, side * side); cin = c;
      if (last) { params += abParams(c); flops += abFlops(c, side * side); }
    }
    if (!last) { side /= 2; params += conv(c, c, 3); flops += convF(c, c, 3, side * side); }
  });
  params += 2 * rbParams(top, top) + abParams(top) + gn(top) + conv(top, v.cvae, 3);
  flops += 2 * rbFlops(top, top, side * side) + abFlops(top, side * side) + convF(top, v.cvae, 3, side * side);
  return { params, flops };
}

/** Walks the decoder (VAR_FACTS §1.4) at a latent side. */
export function vqvaeDecoder(v: VqvaeConfig, latentSide: number): { params: number; flops: number } {
  const chs = v.mult.map((m) => v.ch * m), top = chs[chs.length - 1]!;
  let side = latentSide, cin = top;
  let params = conv(v.cvae, top, 3) + 2 * rbParams(top, top) + abParams(top);
  let flops = convF(v.cvae, top, 3, side * side) + 2 * rbFlops(top, top, side * side) + abFlops(top, side * side);
  for (let l = chs.length - 1; l >= 0; l--) {
    const c = chs[l]!;
    for (let b = 0; b < v.decBlocks; b++) {
      params += rbParams(cin, c); flops += rbFlops(cin, c, side * side); cin = c;
      if (l === chs.length - 1) { params += abParams(c); flops += abFlops(c, side * side); }
    }
    if (l > 0) { side *= 2; params += conv(c, c, 3); flops += convF(c, c, 3, side * side); }
  }
  params += gn(v.ch) + conv(v.ch, 3, 3);
  flops += convF(v.ch, 3, 3, side * side);
  return { params, flops };
}

/** Codebook, shared φ convs, quant_conv and post_quant_conv. */
export function vqvaeOther(v: VqvaeConfig): { codebook: number; phi: number; quantConvs: number } {
  return { codebook: v.vocab * v.cvae, phi: v.phiConvs * conv(v.cvae, v.cvae, 3), quantConvs: 2 * conv(v.cvae, v.cvae, 3) };
}

// ---------------------------------------------------------------- VARSR additions

/** con_embedding (VAR_FACTS §5): conv_in 3→32, four [3×3 c→c, 3×3 stride-2 c→c'] stages, conv_out; at imageSide px. */
export function varsrStem(C: number, imageSide: number): { params: number; flops: number } {
  const chans = [32, 128, 256, 512, C];
  let side = imageSide, params = conv(3, 32, 3), flops = convF(3, 32, 3, side * side);
  for (let s = 0; s < 4; s++) {
    const c = chans[s]!, n = chans[s + 1]!;
    params += conv(c, c, 3) + conv(c, n, 3);
    flops += convF(c, c, 3, side * side);
    side /= 2;
    flops += convF(c, n, 3, side * side);
  }
  params += conv(C, C, 3);
  flops += convF(C, C, 3, side * side);
  return { params, flops };
}

/** MAR-style SimpleMLPAdaLN (VARSR's DiffLoss): parameters and multiply-adds per token and step. */
export function refinerSize(r: NonNullable<ModelConfig['refiner']>, C: number, cvae: number): { params: number; macsPerTokenStep: number } {
  const w = r.width, lin = (i: number, o: number) => i * o + o;
  const block = 2 * w + lin(w, w) * 2 + lin(w, 3 * w);
  const params = lin(r.timeFreq, w) + lin(w, w) + lin(C, w) + lin(cvae, w) + r.blocks * block + lin(w, r.outputs) + lin(w, 2 * w);
  const macs = r.timeFreq * w + w * w + C * w + cvae * w + r.blocks * 5 * w * w + w * r.outputs + 2 * w * w;
  return { params, macsPerTokenStep: macs };
}

// ---------------------------------------------------------------- the counter

/** Counts parameters per state-dict group and the FLOPs of one generation of one image. */
export function countModel(cfg: ModelConfig): Count {
  const { depth: d, width: C, heads: H, cvae, vocab: V } = cfg;
  const hid = cfg.mlpRatio * C;
  const scales = flatScales(cfg.segments);
  const L = tokensOf(scales), K = scales.length, P = cfg.prefix;
  const seqTokens = L + P;
  const parts: Part[] = [];
  const add = (p: Part) => parts.push(p);
  const T = 'transformer' as const;

  // Embeddings: word_embed runs on the L − 1 next-scale inputs (the first scale's position holds the start token).
  add({ name: 'word_embed', group: T, params: cvae * C + C, paperFlops: 0, fullFlops: 2 * cvae * C * (L - 1) });
  add({ name: cfg.family === 'var' ? 'class_emb' : 'class_emb (condition, 2 rows)', group: T, params: cfg.condRows * C, paperFlops: 0, fullFlops: 0 });
  add({ name: 'pos_start', group: T, params: cfg.posStartRows * C, paperFlops: 0, fullFlops: 0 });
  if (cfg.posTableRows) add({ name: cfg.posTableName, group: T, params: cfg.posTableRows * C, paperFlops: 0, fullFlops: 0 });
  add({ name: 'lvl_embed', group: T, params: cfg.levels * C, paperFlops: 0, fullFlops: 0 });
  if (cfg.condProj) add({ name: 'cond_proj (Cvae→C)', group: T, params: cvae * C + C, paperFlops: 0, fullFlops: 2 * cvae * C * P });

  // Blocks: linears over the L scale tokens (paper: paperTokens); the prefix tokens are their own row.
  const per = (w: number) => ({ paper: 2 * w * cfg.paperTokens * d, full: 2 * w * L * d });
  const qkv = per(3 * C * C), proj = per(C * C), fc1 = per(C * hid), fc2 = per(hid * C);
  add({ name: 'blocks.ada_lin', group: T, params: d * (6 * C * C + 6 * C), paperFlops: 0, fullFlops: 2 * 6 * C * C * d * (cfg.blockAdaLNOnce ? 1 : K),
    note: cfg.blockAdaLNOnce ? 'once per generation' : 'once per step' });
  add({ name: 'blocks.attn.qkv (+q/v bias, scale_mul)', group: T, params: d * (3 * C * C + 2 * C + H), paperFlops: qkv.paper, fullFlops: qkv.full });
  add({ name: 'blocks.attn.proj', group: T, params: d * (C * C + C), paperFlops: proj.paper, fullFlops: proj.full });
  add({ name: 'blocks.ffn.fc1', group: T, params: d * (C * hid + hid), paperFlops: fc1.paper, fullFlops: fc1.full });
  add({ name: 'blocks.ffn.fc2', group: T, params: d * (hid * C + C), paperFlops: fc2.paper, fullFlops: fc2.full });

  const withP = attentionPairs(scales, P), noP = attentionPairs(scales, 0);
  const attF = (pairs: number) => 2 * 2 * pairs * C * d;
  const attention: AttentionCounts = {
    pairsKvCache: withP.kvCache, pairsRecompute: withP.recompute, pairsKvCacheNoPrefix: noP.kvCache, pairsRecomputeNoPrefix: noP.recompute,
    kvCache: attF(withP.kvCache), recompute: attF(withP.recompute), kvCacheNoPrefix: attF(noP.kvCache), recomputeNoPrefix: attF(noP.recompute),
  };
  add({ name: 'blocks.attn scores + values (KV cache)', group: T, params: 0, paperFlops: 0, fullFlops: attention.kvCache });
  if (P) add({ name: `blocks: ${P} LR prefix tokens (linears)`, group: T, params: 0, paperFlops: 0, fullFlops: 2 * (4 * C * C + 2 * C * hid) * P * d });

  add({ name: 'head_nm.ada_lin', group: T, params: 2 * C * C + 2 * C, paperFlops: 0, fullFlops: 2 * 2 * C * C * K, note: 'once per step' });
  add({ name: 'head', group: T, params: V * C + V, paperFlops: 2 * V * C * cfg.paperTokens, fullFlops: 2 * V * C * L,
    note: P ? 'scale tokens only' : undefined });

  // VARSR's extras: LR conv stem, refiner and its norm.
  if (cfg.lrStem) {
    const s = varsrStem(C, cfg.imageSide);
    add({ name: 'con_embedding (LR conv stem)', group: 'condition', params: s.params, paperFlops: 0, fullFlops: s.flops });
  }
  let refinerFlops = 0;
  if (cfg.refiner) {
    const r = refinerSize(cfg.refiner, C, cvae);
    const last = scales[K - 1]! ** 2;
    refinerFlops = 2 * r.macsPerTokenStep * cfg.refiner.steps * last;
    add({ name: 'diffloss (refiner)', group: 'refiner', params: r.params, paperFlops: 0, fullFlops: refinerFlops, note: `${cfg.refiner.steps} steps × ${last} tokens` });
    add({ name: 'decoder_norm', group: 'refiner', params: 2 * C, paperFlops: 0, fullFlops: 0 });
  }

  // VQVAE: LR encoding (H-VAR), token → f_hat (φ convs at each step's latent side), decoding.
  const v = cfg.vqvae, o = vqvaeOther(v);
  const enc = vqvaeEncoder(v, cfg.lrEncodeSide || 32);
  add({ name: 'vqvae.encoder', group: 'vqvae', params: enc.params, paperFlops: 0,
    fullFlops: cfg.lrEncodeSide ? enc.flops + convF(cvae, cvae, 3, cfg.lrEncodeSide ** 2) : 0, note: cfg.lrEncodeSide ? 'LR image + quant_conv' : 'unused' });
  const phiFlops = cfg.segments.reduce((a, s) => a + s.scales.length * convF(cvae, cvae, 3, s.side * s.side), 0);
  add({ name: 'vqvae.quantize (codebook, φ convs)', group: 'vqvae', params: o.codebook + o.phi, paperFlops: 0, fullFlops: phiFlops, note: 'φ once per step' });
  const decF = cfg.decodeSides.reduce((a, s) => a + vqvaeDecoder(v, s).flops + convF(cvae, cvae, 3, s * s), 0);
  add({ name: 'vqvae.decoder (+ post_quant_conv)', group: 'vqvae', params: vqvaeDecoder(v, 32).params, paperFlops: 0, fullFlops: decF,
    note: `decodes at latent ${cfg.decodeSides.join(', ')}` });
  add({ name: 'vqvae.quant_conv, post_quant_conv', group: 'vqvae', params: o.quantConvs, paperFlops: 0, fullFlops: 0, note: 'FLOPs in the rows above' });

  // CFG: the unconditional half repeats the transformer (and the refiner, run on the CFG pair).
  const transformerFlops = parts.filter((p) => p.group === T).reduce((a, p) => a + p.fullFlops, 0) - (cfg.condProj ? 2 * cvae * C * P : 0);
  add({ name: 'cfg: unconditional half', group: 'cfg', params: 0, paperFlops: 0, fullFlops: cfg.cfg ? transformerFlops + refinerFlops : 0,
    note: cfg.cfg ? 'batch 2' : 'off' });

  const sum = (f: (p: Part) => number, g?: (p: Part) => boolean) => parts.filter(g ?? (() => true)).reduce((a, p) => a + f(p), 0);
  const perToken = (4 * C * C + 2 * C * hid) * d + V * C;
  return {
    config: cfg, parts, tokens: L, sequence: seqTokens, steps: K, attention,
    totals: {
      params: sum((p) => p.params),
      paramsTransformer: sum((p) => p.params, (p) => p.group === T),
      paramsNoVqvae: sum((p) => p.params, (p) => p.group !== 'vqvae'),
      paperFlops: sum((p) => p.paperFlops),
      fullFlops: sum((p) => p.fullFlops),
      transformerFlops,
      paperRuleOwnTokens: 2 * perToken * L,
      paperRuleOwnTokensWithPrefix: 2 * perToken * L + 2 * (4 * C * C + 2 * C * hid) * d * P,
    },
  };
}

/** The report as text: one row per part with parameters, paper-accounting GFLOPs and full GFLOPs. */
export function formatCount(c: Count): string {
  const g = (f: number) => (f ? (f / 1e9).toFixed(2) : '-');
  const n = (x: number) => (x ? x.toLocaleString('en-US') : '-');
  const rows = c.parts.map((p) => [p.name, n(p.params), g(p.paperFlops), g(p.fullFlops), p.note ?? '']);
  const t = c.totals, a = c.attention;
  rows.push(['**total**', n(t.params), g(t.paperFlops), g(t.fullFlops), '']);
  const head = ['part', 'parameters', 'GFLOPs (paper)', 'GFLOPs (full)', 'note'];
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => '| ' + r.map((x, i) => (i === 0 || i === 4 ? x.padEnd(w[i]!) : x.padStart(w[i]!))).join(' | ') + ' |';
  const cfg = c.config;
  return [
    `${cfg.name}: ${cfg.family}, depth ${cfg.depth}, C ${cfg.width}, ${cfg.heads} heads, ${c.steps} scales, ${c.tokens} scale tokens` +
      (cfg.prefix ? ` + ${cfg.prefix} prefix = ${c.sequence}` : '') + `, CFG ${cfg.cfg ? 'on' : 'off'}`,
    '',
    line(head),
    '|' + w.map((x, i) => (i === 0 || i === 4 ? '-'.repeat(x + 2) : '-'.repeat(x + 1) + ':')).join('|') + '|',
    ...rows.map(line),
    '',
    `parameters: ${n(t.params)} in all, transformer ${n(t.paramsTransformer)} (${(t.paramsTransformer / 1e6).toFixed(2)} M)` +
      (t.paramsNoVqvae !== t.paramsTransformer ? `, without the VQVAE ${n(t.paramsNoVqvae)}` : ''),
    `paper accounting: 2 × (block linears + head) × ${cfg.paperTokens} tokens = ${(t.paperFlops / 1e12).toFixed(4)} TFLOPs`,
    `full count: ${(t.fullFlops / 1e12).toFixed(4)} TFLOPs (transformer ${(t.transformerFlops / 1e12).toFixed(4)} T per half)`,
    `same rule over the model's own ${c.tokens} tokens: ${(t.paperRuleOwnTokens / 1e12).toFixed(4)} T` +
      (cfg.prefix ? `, with the ${cfg.prefix} prefix tokens: ${(t.paperRuleOwnTokensWithPrefix / 1e12).toFixed(4)} T` : ''),
    `attention (all blocks, one image): KV cache ${g(a.kvCache)} G, recompute ${g(a.recompute)} G` +
      (cfg.prefix ? `; without the prefix: ${g(a.kvCacheNoPrefix)} G / ${g(a.recomputeNoPrefix)} G` : ''),
  ].join('\n');
}
