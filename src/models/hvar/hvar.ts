// The H-VAR transformer (MODEL_SPEC §4): LR prefix tokens + VAR's scale tokens over the HIT schedule, VAR's blocks and head,
// one master position table downsampled per scale, a 2-row condition embedding; the teacher-forced forward.
import { Tensor, Module, ops, fromArray, noGrad, scope, type Device, type Rng } from '../../engine/index.ts';
import { AdaLNBeforeHead, AdaLNSelfAttn, Emb, Lin, SiluLinear, levelIds, levelTensor } from '../var/index.ts';
import { InferenceLayouts, param } from '../var/blocks.ts';
import { checkHVARConfig, hvarSizes, type HVARConfig } from './config.ts';

/** Condition row per sample: 0 = super-resolve, 1 = null (classifier-free guidance). Host array or an i32 tensor [B]. */
export type HVARCond = Tensor | readonly number[] | Int32Array;

export interface HVARForwardOpts {
  /** Condition row per sample (0 or 1); default all 0. */
  cond?: HVARCond;
  /** Condition dropout: each row becomes 1 (null) with probability cfg.condDropRate, drawn from this Rng. Off when absent. */
  condDropRng?: Rng;
  /** Drop-path (training mode only): per-sample keep masks drawn from this Rng. Off when absent. */
  dropPathRng?: Rng;
}

/** Row of class_emb used as the null (negative) condition for classifier-free guidance. */
export const HVAR_NULL_COND = 1;

/**
 * H-VAR. Built from its configuration alone (parameters zero-filled, or uninitialised with init 'none'); fill it with initHVAR,
 * initHVARFromVAR or loadHVAR. Keys follow VAR's where the piece is VAR's (blocks.*, head_nm.*, head.*, word_embed.*, class_emb.*,
 * lvl_embed.*, pos_start); H-VAR's own are cond_proj.* (the LR latent projection) and pos_master (the S×S master table).
 *
 * Sequence: S·S prefix tokens (cond_proj(LR latent) + master rows + level 0), then the L scale tokens — the start token
 * (condition + pos_start + down(master, pn₀) + level 0) and, for scale si ≥ 1, word_embed(teacher input) + down(master, pn) rows
 * + level si — under the block-causal level mask with the prefix at level 0.
 */
export class HVAR extends InferenceLayouts {
  readonly cfg: HVARConfig;
  readonly sizes: ReturnType<typeof hvarSizes>;
  word_embed: Lin;
  cond_proj: Lin;
  class_emb: Emb;
  pos_start: Tensor;
  pos_master: Tensor;
  lvl_embed: Emb;
  shared_ada_lin: SiluLinear | null;
  blocks: AdaLNSelfAttn[];
  head_nm: AdaLNBeforeHead;
  head: Lin;
  /** Level id of every position (prefix at 0, then scale si at si) as i32 [P + L]. Not part of the state dict. */
  readonly levels: Tensor;
  private readonly levelHost: Int32Array;

  constructor(readonly dev: Device, cfg: HVARConfig, o: { init?: 'zeros' | 'none' } = {}) {
    super();
    checkHVARConfig(cfg);
    this.cfg = { ...cfg, segments: cfg.segments.map((s) => ({ side: s.side, scales: [...s.scales] })) };
    const z = (this.sizes = hvarSizes(this.cfg));
    const { C, D, H, hidden, K, firstL, prefix } = z;
    this.word_embed = new Lin(dev, cfg.cvae, C, true, 'word_embed');
    this.cond_proj = new Lin(dev, cfg.cvae, C, true, 'cond_proj');
    this.class_emb = new Emb(dev, 2, C, 'class_emb');
    this.pos_start = param(dev, [1, firstL, C], 'pos_start');
    this.pos_master = param(dev, [1, prefix, C], 'pos_master');
    this.lvl_embed = new Emb(dev, K, C, 'lvl_embed');
    this.shared_ada_lin = cfg.sharedAln ? new SiluLinear(dev, D, 6 * C, 'shared_ada_lin') : null;
    this.blocks = Array.from({ length: cfg.depth }, (_, i) => new AdaLNSelfAttn(dev, C, H, hidden, {
      l2norm: cfg.attnL2Norm, sharedAln: cfg.sharedAln, eps: cfg.normEps,
      dropPath: cfg.depth > 1 ? (cfg.dropPathRate * i) / (cfg.depth - 1) : 0,
    }));
    this.head_nm = new AdaLNBeforeHead(dev, C, cfg.normEps);
    this.head = new Lin(dev, C, cfg.vocab, true, 'head');
    this.levelHost = levelIds(z.scales, prefix);
    this.levels = levelTensor(dev, this.levelHost).keep();
    if ((o.init ?? 'zeros') === 'zeros') noGrad(dev, () => { for (const p of this.parameters()) { const f = ops.fill(dev, p.shape, 0); ops.assign(p, f); f.dispose(); } });
  }

  /** Scale sides pn in order (the schedule flattened). */
  get scales(): number[] { return this.sizes.scales; }
  /** Latent side S of the LR condition. */
  get prefixSide(): number { return this.cfg.prefixSide; }

  /** Condition embeddings [B, C] (rows of class_emb: 0 super-resolve, 1 null). */
  condition(cond: HVARCond): Tensor {
    const t = this.condTensor(cond);
    const c = ops.embedding(this.class_emb.weight, t);
    if (t !== cond && !c.node) t.dispose(); // else the embedding's backward reads the ids
    return c;
  }

  /** The AdaLN input of the blocks: cond_BD itself, or with shared AdaLN the shared projection as [B, 6, C]. */
  blockCondition(cond_BD: Tensor): Tensor {
    if (!this.shared_ada_lin) return cond_BD;
    return ops.reshape(this.shared_ada_lin.forward(cond_BD), [cond_BD.shape[0]!, 6, this.sizes.C]);
  }

  /** down(master, pn): the master table seen as [1, C, S, S], area-resampled to pn × pn, as rows [1, pn², C]. */
  scalePositions(pn: number): Tensor {
    const S = this.cfg.prefixSide, C = this.sizes.C;
    if (pn === S) return this.pos_master;
    const img = ops.permute(ops.reshape(this.pos_master, [1, S, S, C]), [0, 3, 1, 2]);
    return ops.reshape(ops.permute(ops.resample(img, pn, pn, 'area'), [0, 2, 3, 1]), [1, pn * pn, C]);
  }

  /** Position rows of the whole sequence [1, P + L, C]: the master table for the prefix, then down(master, pn) per scale. */
  positions(): Tensor { return ops.concat([this.pos_master, ...this.scales.map((pn) => this.scalePositions(pn))], 1); }

  /** positions() + lvl_embed(levels): [1, P + L, C], the rows added to every position. */
  levelPositions(): Tensor {
    const { prefix, L, C } = this.sizes;
    return ops.add(ops.reshape(ops.embedding(this.lvl_embed.weight, this.levels), [1, prefix + L, C]), this.positions());
  }

  /** The P prefix tokens [B, P, C]: cond_proj of the LR latent [B, Cvae, S, S] (flattened row-major) + their level/position rows. */
  prefixTokens(lrLatent_BCss: Tensor, lvlPos: Tensor): Tensor {
    this.checkLatent(lrLatent_BCss, 'prefixTokens');
    const { C, prefix } = this.sizes, B = lrLatent_BCss.shape[0]!;
    const rows = ops.reshape(ops.permute(lrLatent_BCss, [0, 2, 3, 1]), [B, prefix, this.cfg.cvae]);
    return ops.add(ops.reshape(this.cond_proj.forward(rows), [B, prefix, C]), ops.slice(lvlPos, 1, 0, prefix));
  }

  /** The start tokens [B, first_l, C]: condition + pos_start + the first scale's level/position rows. */
  startTokens(cond_BD: Tensor, lvlPos: Tensor): Tensor {
    const { C, firstL, prefix } = this.sizes;
    return ops.add(ops.add(ops.reshape(cond_BD, [cond_BD.shape[0]!, 1, C]), this.pos_start), ops.slice(lvlPos, 1, prefix, prefix + firstL));
  }

  /** Tokens of scale si ≥ 1 from its input vectors x_BlCv [B, pn², Cvae]: word_embed(x) + that scale's level/position rows. */
  scaleTokens(si: number, x_BlCv: Tensor, lvlPos: Tensor): Tensor {
    const pn = this.scales[si];
    if (!pn || si < 1) throw new RangeError(`HVAR.scaleTokens: scale ${si} is not one of scales 1..${this.sizes.K - 1}`);
    if (x_BlCv.ndim !== 3 || x_BlCv.shape[1] !== pn * pn || x_BlCv.shape[2] !== this.cfg.cvae)
      throw new Error(`HVAR.scaleTokens: scale ${si} needs inputs [B, ${pn * pn}, ${this.cfg.cvae}], got ${x_BlCv}`);
    const start = this.sizes.prefix + this.scales.slice(0, si).reduce((a, p) => a + p * p, 0);
    return ops.add(this.word_embed.forward(x_BlCv), ops.slice(lvlPos, 1, start, start + pn * pn));
  }

  /** head(head_nm(x, cond)): logits [B, l, V]. */
  logits(x_BLC: Tensor, cond_BD: Tensor): Tensor { return this.head.forward(this.head_nm.forward(x_BLC, cond_BD)); }

  /**
   * The blocks' input of teacher forcing [B, P + L, C]: prefix tokens, start tokens, then word_embed(x_BLCv) plus the level and
   * position rows of scales 1..K−1 (x_BLCv [B, L − first_l, Cvae]).
   */
  inputTokens(lrLatent_BCss: Tensor, x_BLCv: Tensor, cond_BD: Tensor): Tensor {
    const { L, firstL, prefix } = this.sizes;
    const lvlPos = this.levelPositions();
    return ops.concat([this.prefixTokens(lrLatent_BCss, lvlPos), this.startTokens(cond_BD, lvlPos),
      ops.add(this.word_embed.forward(x_BLCv), ops.slice(lvlPos, 1, prefix + firstL, prefix + L))], 1);
  }

  /**
   * Teacher-forced logits [B, L, V] at the L scale positions (the prefix gives none) from the LR latent [B, Cvae, S, S]
   * (lrLatent) and the teacher input x_BLCv [B, L − first_l, Cvae] (the quantizer's varInput, MODEL_SPEC §3), under the
   * block-causal level mask. Differentiable; wrap in a scope (the graph's temporaries live until it ends).
   */
  forwardTrain(lrLatent_BCss: Tensor, x_BLCv: Tensor, o: HVARForwardOpts = {}): Tensor {
    const { L, firstL, prefix } = this.sizes;
    this.checkLatent(lrLatent_BCss, 'forwardTrain');
    const B = lrLatent_BCss.shape[0]!;
    if (x_BLCv.dtype !== 'f32' || x_BLCv.ndim !== 3 || x_BLCv.shape[0] !== B || x_BLCv.shape[1] !== L - firstL || x_BLCv.shape[2] !== this.cfg.cvae)
      throw new Error(`HVAR.forwardTrain: teacher input must be f32 [${B}, ${L - firstL}, ${this.cfg.cvae}] (B of the LR latent, L ${L} − first_l ${firstL}, Cvae), got ${x_BLCv}`);
    let c = this.condTensor(o.cond ?? new Int32Array(B));
    if (c.shape[0] !== B) throw new Error(`HVAR.forwardTrain: ${c.shape[0]} condition rows for a batch of ${B}`);
    if (o.condDropRng && this.cfg.condDropRate > 0) {
      const dropped = noGrad(this.dev, () => scope(this.dev, () => {
        const u = o.condDropRng!.uniform(this.dev, [B]);
        const drop = ops.compare('lt', u, ops.fill(this.dev, [1], this.cfg.condDropRate));
        return ops.cast(ops.where(drop, ops.fill(this.dev, [1], HVAR_NULL_COND), ops.cast(c, 'f32')), 'i32');
      }));
      if (c !== o.cond) c.dispose();
      c = dropped;
    }
    const cond = ops.embedding(this.class_emb.weight, c);
    if (c !== o.cond && !cond.node) c.dispose(); // else the embedding's backward reads the ids
    let x = this.inputTokens(lrLatent_BCss, x_BLCv, cond);
    const bc = this.blockCondition(cond);
    for (const b of this.blocks) x = b.forward(x, bc, { levels: this.levels, dropPathRng: o.dropPathRng });
    return this.logits(ops.slice(x, 1, prefix, prefix + L), cond);
  }

  /** Level id per position on the host. */
  levelIdsHost(): Int32Array { return this.levelHost.slice(); }

  override dispose() { this.releaseInference(); super.dispose(); this.levels.dispose(); }

  /** Checks an LR latent: f32 [B, Cvae, S, S]. */
  checkLatent(t: Tensor, what: string) {
    const S = this.cfg.prefixSide, Cv = this.cfg.cvae;
    if (t.dtype !== 'f32' || t.ndim !== 4 || t.shape[1] !== Cv || t.shape[2] !== S || t.shape[3] !== S || t.shape[0]! < 1)
      throw new Error(`HVAR.${what}: the LR latent must be f32 [B, ${Cv}, ${S}, ${S}] (Cvae ${Cv}, prefix side ${S}), got ${t}`);
  }

  /** Condition rows as an i32 [B] tensor (host rows are checked to be 0 or 1). */
  private condTensor(cond: HVARCond): Tensor {
    if (cond instanceof Tensor) {
      if (cond.dtype !== 'i32' || cond.ndim !== 1) throw new Error(`HVAR: the condition must be an i32 tensor [B] of rows 0/1, got ${cond}`);
      return cond;
    }
    if (!cond.length) throw new Error('HVAR: no condition rows');
    Array.from(cond).forEach((v, i) => {
      if (v !== 0 && v !== 1) throw new RangeError(`HVAR: condition row ${v} at position ${i} is not 0 (super-resolve) or 1 (null)`);
    });
    return fromArray(this.dev, Int32Array.from(cond), [cond.length], 'i32');
  }
}
