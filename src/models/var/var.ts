// The VAR transformer (models/var.py) with the official state-dict names: embeddings, blocks, head, teacher-forced forward.
import { Tensor, Module, ops, fromArray, noGrad, scope, type Device, type Rng } from '../../engine/index.ts';
import { levelIds, levelTensor } from './masks.ts';
import { checkConfig, varSizes, type VARConfig } from './config.ts';
import { AdaLNBeforeHead, AdaLNSelfAttn, InferenceLayouts, Lin, SiluLinear, param } from './blocks.ts';

/** torch.nn.Embedding's weight [num, dim] (built empty). */
export class Emb extends Module {
  weight: Tensor;
  constructor(dev: Device, num: number, dim: number, name: string) { super(); this.weight = param(dev, [num, dim], `${name}.weight`); }
  forward(idx: Tensor | readonly number[] | Int32Array): Tensor { return ops.embedding(this.weight, idx); }
}

/** Labels as given (host integers or an i32 tensor [B]). */
export type Labels = Tensor | readonly number[] | Int32Array;

export interface ForwardTrainOpts {
  /** Condition dropout: each label becomes the null class with probability cfg.condDropRate, drawn from this Rng. Off when absent. */
  condDropRng?: Rng;
  /** Drop-path (training mode only): per-sample keep masks drawn from this Rng. Off when absent. */
  dropPathRng?: Rng;
}

/**
 * VAR. Built from its configuration alone with uninitialised parameters (`init: 'zeros'` fills them with 0); load a state
 * dict (loadVAR, loadStateDict) or call initVAR. The state dict holds exactly the official keys except the derived buffers
 * `lvl_1L` and `attn_bias_for_masking` (load with `ignore: VAR_DERIVED_BUFFERS`); `blocks.<i>.attn.zero_k_bias` is a buffer.
 */
export class VAR extends InferenceLayouts {
  readonly cfg: VARConfig;
  readonly sizes: ReturnType<typeof varSizes>;
  word_embed: Lin;
  class_emb: Emb;
  pos_start: Tensor;
  pos_1LC: Tensor;
  lvl_embed: Emb;
  shared_ada_lin: SiluLinear | null;
  blocks: AdaLNSelfAttn[];
  head_nm: AdaLNBeforeHead;
  head: Lin;
  /** Level id per token (VAR's lvl_1L) as i32 [L]: the block-causal layout of teacher forcing. Not part of the state dict. */
  readonly levels: Tensor;
  private readonly levelHost: Int32Array;

  constructor(readonly dev: Device, cfg: VARConfig, o: { init?: 'zeros' | 'none' } = {}) {
    super();
    checkConfig(cfg);
    this.cfg = { ...cfg, patchNums: [...cfg.patchNums] };
    const z = (this.sizes = varSizes(cfg));
    const { C, D, H, hidden, L, K, firstL } = z;
    this.word_embed = new Lin(dev, cfg.cvae, C, true, 'word_embed');
    this.class_emb = new Emb(dev, cfg.numClasses + 1, C, 'class_emb');
    this.pos_start = param(dev, [1, firstL, C], 'pos_start');
    this.pos_1LC = param(dev, [1, L, C], 'pos_1LC');
    this.lvl_embed = new Emb(dev, K, C, 'lvl_embed');
    this.shared_ada_lin = cfg.sharedAln ? new SiluLinear(dev, D, 6 * C, 'shared_ada_lin') : null;
    this.blocks = Array.from({ length: cfg.depth }, (_, i) => new AdaLNSelfAttn(dev, C, H, hidden, {
      l2norm: cfg.attnL2Norm, sharedAln: cfg.sharedAln, eps: cfg.normEps,
      dropPath: cfg.depth > 1 ? (cfg.dropPathRate * i) / (cfg.depth - 1) : 0, // torch.linspace(0, drop_path_rate, depth)
    }));
    this.head_nm = new AdaLNBeforeHead(dev, C, cfg.normEps);
    this.head = new Lin(dev, C, cfg.vocab, true, 'head');
    this.levelHost = levelIds(cfg.patchNums);
    this.levels = levelTensor(dev, this.levelHost).keep();
    if ((o.init ?? 'zeros') === 'zeros') noGrad(dev, () => { for (const p of this.parameters()) { const f = ops.fill(dev, p.shape, 0); ops.assign(p, f); f.dispose(); } });
  }

  /** Class embeddings [B, C] of labels in [0, numClasses] (numClasses = the null class). */
  condition(labels: Labels): Tensor {
    const t = this.labelTensor(labels);
    const c = ops.embedding(this.class_emb.weight, t);
    if (t !== labels && !c.node) t.dispose(); // else the embedding's backward reads the ids
    return c;
  }

  /** The AdaLN input of the blocks: cond_BD itself, or with shared AdaLN the shared projection as [B, 6, C]. */
  blockCondition(cond_BD: Tensor): Tensor {
    if (!this.shared_ada_lin) return cond_BD;
    return ops.reshape(this.shared_ada_lin.forward(cond_BD), [cond_BD.shape[0]!, 6, this.sizes.C]);
  }

  /** lvl_embed(lvl_1L) + pos_1LC: [1, L, C], the rows added to every token by position. */
  levelPositions(): Tensor { return ops.add(ops.reshape(ops.embedding(this.lvl_embed.weight, this.levels), [1, this.sizes.L, this.sizes.C]), this.pos_1LC); }

  /** The start tokens [B, first_l, C]: cond + pos_start + the first scale's level/position rows (lvlPos from levelPositions). */
  startTokens(cond_BD: Tensor, lvlPos: Tensor): Tensor {
    const { C, firstL } = this.sizes;
    const rows = ops.slice(lvlPos, 1, 0, firstL);
    return ops.add(ops.add(ops.reshape(cond_BD, [cond_BD.shape[0]!, 1, C]), this.pos_start), rows);
  }

  /** Tokens of scale si ≥ 1 from its input vectors x_BlCv [B, pn², Cvae]: word_embed(x) + that scale's level/position rows. */
  scaleTokens(si: number, x_BlCv: Tensor, lvlPos: Tensor): Tensor {
    const pn = this.cfg.patchNums[si];
    if (!pn || si < 1) throw new RangeError(`VAR.scaleTokens: scale ${si} is not one of scales 1..${this.sizes.K - 1}`);
    if (x_BlCv.ndim !== 3 || x_BlCv.shape[1] !== pn * pn || x_BlCv.shape[2] !== this.cfg.cvae)
      throw new Error(`VAR.scaleTokens: scale ${si} needs inputs [B, ${pn * pn}, ${this.cfg.cvae}], got ${x_BlCv}`);
    const start = this.cfg.patchNums.slice(0, si).reduce((a, p) => a + p * p, 0);
    return ops.add(this.word_embed.forward(x_BlCv), ops.slice(lvlPos, 1, start, start + pn * pn));
  }

  /** head(head_nm(x, cond)): logits [B, l, V]. */
  logits(x_BLC: Tensor, cond_BD: Tensor): Tensor { return this.head.forward(this.head_nm.forward(x_BLC, cond_BD)); }

  /**
   * VAR.forward: teacher-forced logits [B, L, V] from labels [B] and the teacher input x_BLCv [B, L − first_l, Cvae]
   * (the quantizer's varInput, VAR's idxBl_to_var_input), under the block-causal level mask. Condition dropout and
   * drop-path only with their Rngs (the official forward always applies condition dropout with torch's global RNG).
   * Differentiable; wrap in a scope (the graph's temporaries live until it ends).
   */
  forwardTrain(label_B: Labels, x_BLCv: Tensor, o: ForwardTrainOpts = {}): Tensor {
    const { C, L, firstL } = this.sizes;
    const B = x_BLCv.shape[0]!;
    if (x_BLCv.ndim !== 3 || x_BLCv.shape[1] !== L - firstL || x_BLCv.shape[2] !== this.cfg.cvae)
      throw new Error(`VAR.forwardTrain: teacher input must be [B, ${L - firstL}, ${this.cfg.cvae}] (L ${L} − first_l ${firstL}, Cvae), got ${x_BLCv}`);
    let lab = this.labelTensor(label_B);
    if (lab.shape[0] !== B) throw new Error(`VAR.forwardTrain: ${lab.shape[0]} labels for a batch of ${B}`);
    if (o.condDropRng && this.cfg.condDropRate > 0) {
      const dropped = noGrad(this.dev, () => scope(this.dev, () => {
        const u = o.condDropRng!.uniform(this.dev, [B]);
        const drop = ops.compare('lt', u, ops.fill(this.dev, [1], this.cfg.condDropRate));
        return ops.cast(ops.where(drop, ops.fill(this.dev, [1], this.cfg.numClasses), ops.cast(lab, 'f32')), 'i32');
      }));
      if (lab !== label_B) lab.dispose();
      lab = dropped;
    }
    const cond = ops.embedding(this.class_emb.weight, lab);
    if (lab !== label_B && !cond.node) lab.dispose(); // else the embedding's backward reads the ids
    const lvlPos = this.levelPositions();
    const sos = ops.add(ops.reshape(cond, [B, 1, C]), this.pos_start);
    let x = ops.add(ops.concat([sos, this.word_embed.forward(x_BLCv)], 1), lvlPos);
    const bc = this.blockCondition(cond);
    for (const b of this.blocks) x = b.forward(x, bc, { levels: this.levels, dropPathRng: o.dropPathRng });
    return this.logits(x, cond);
  }

  /** Level id per token (lvl_1L) on the host. */
  levelIdsHost(): Int32Array { return this.levelHost.slice(); }

  override dispose() { this.releaseInference(); super.dispose(); this.levels.dispose(); }

  /** Labels as an i32 [B] tensor (host labels are checked to lie in [0, numClasses]). */
  private labelTensor(labels: Labels): Tensor {
    if (labels instanceof Tensor) {
      if (labels.dtype !== 'i32' || labels.ndim !== 1) throw new Error(`VAR: labels must be an i32 tensor [B], got ${labels}`);
      return labels;
    }
    const n = this.cfg.numClasses;
    Array.from(labels).forEach((v, i) => {
      if (!Number.isInteger(v) || v < 0 || v > n) throw new RangeError(`VAR: label ${v} at position ${i} is outside [0, ${n}] (${n} = the null class)`);
    });
    if (!labels.length) throw new Error('VAR: no labels');
    return fromArray(this.dev, Int32Array.from(labels), [labels.length], 'i32');
  }
}

/** Buffers of official checkpoints that VAR derives from its configuration instead of loading. */
export const VAR_DERIVED_BUFFERS = ['lvl_1L', 'attn_bias_for_masking'];
