// VQVAE: VAR's VQVAE (models/vqvae.py) with VAR's state-dict names — encoder, quant_conv, the multi-scale quantizer
// (plain VAR or HIT segments, MODEL_SPEC §2), post_quant_conv, decoder — plus tokenize / decodeTokens / teacherInput.
import { Tensor, noGrad, needsGrad, scope, Module, ops, type Device, type Rng } from '../../engine/index.ts';
import { MultiScaleQuantizer, type PreparedQuantizer } from '../quant/quantizer.ts';
import type { Plan } from '../quant/schedule.ts';
import { downsampleOf, imageSideOf, phiLayout, scaleCount, vqvaeConfig, type VQVAEConfig, type VQVAEConfigInput } from './config.ts';
import { Encoder } from './encoder.ts';
import { Decoder } from './decoder.ts';
import { Conv, ParamMaker } from './layers.ts';

/** A host tensor as checkpoints give it (pth / safetensors readers, or plain arrays). */
export interface HostTensorLike { shape: readonly number[]; data: ArrayLike<number> }
export type HostStateDict = ReadonlyMap<string, HostTensorLike> | Readonly<Record<string, HostTensorLike>>;

export interface VQVAETokens {
  /** Token ids of every scale, row-major within a scale, scales concatenated: [B, L] i32. */
  idx_BL: Tensor;
  /** One [B, pn, pn] i32 map per scale (views of idx_BL; dispose them like any tensor). */
  perScale: Tensor[];
  /** f_hat at the end of each segment, [B, z, S_n, S_n]. */
  fHats: Tensor[];
  /** Teacher-forcing input [B, L − pn₀², z] (MODEL_SPEC §3) when asked for. */
  varInput: Tensor | null;
  /** Per-scale code usage [K, V] i32 when asked for. */
  usage: Tensor | null;
}

const EMA = 'quantize.ema_vocab_hit_SV';

export class VQVAE extends Module {
  encoder: Encoder;
  decoder: Decoder;
  quantize: MultiScaleQuantizer;
  quant_conv: Conv;
  post_quant_conv: Conv;
  /** Where the weights came from (a file path, 'random init'), for messages. */
  source = '';
  /** How the config was obtained when it was inferred from a checkpoint (what was read, what was defaulted). */
  configNotes: string[] = [];
  /** The quantizer's parameters laid out by prepareForInference(), or null. */
  private preparedQ: PreparedQuantizer | null = null;

  private constructor(readonly dev: Device, readonly cfg: VQVAEConfig, mk: ParamMaker, eini = 0) {
    super();
    const { zChannels: z, vocabSize: V, quantConvKs: ks } = cfg;
    this.encoder = new Encoder(mk, cfg);
    this.decoder = new Decoder(mk, cfg);
    const phi = phiLayout(cfg);
    const phiConvs = Array.from({ length: phi.count }, () => new Conv(mk, z, z, 3, 1, 1));
    const codebook = eini < 0 ? mk.uniform([V, z], -Math.abs(eini) / V, Math.abs(eini) / V, 'embedding.weight') // VAR's eini < 0
      : mk.normal([V, z], 1, 'embedding.weight');
    this.quantize = new MultiScaleQuantizer(
      { vocab: V, width: z, segments: cfg.segments, beta: cfg.beta, quantResi: cfg.quantResi, phiCount: phi.count, phiAtLastScale: cfg.phiAtLastScale },
      { codebook, phiW: phiConvs.map((c) => c.weight), phiB: phiConvs.map((c) => c.bias) });
    this.buffers[EMA] = ops.fill(this.dev, [scaleCount(cfg), V], 0).keep();
    this.quant_conv = new Conv(mk, z, z, ks, 1, ks >> 1);
    this.post_quant_conv = new Conv(mk, z, z, ks, 1, ks >> 1);
  }

  /**
   * A randomly initialised VQVAE (training from scratch): PyTorch's constructor defaults — convs U(±1/√fan_in) for
   * weight and bias, GroupNorm 1 / 0, codebook N(0, 1) — as VAR's class gets them; `eini` < 0 draws the codebook
   * U(±|eini|/V) instead (VAR's VectorQuantizer2.eini).
   */
  static create(dev: Device, cfg: VQVAEConfigInput, rng: Rng, o: { eini?: number } = {}): VQVAE {
    if ((o.eini ?? 0) > 0) throw new Error(`VQVAE.create: eini = ${o.eini} (truncated normal) is not supported; use 0 (N(0, 1)) or a negative value (uniform)`);
    const v = new VQVAE(dev, vqvaeConfig(cfg), new ParamMaker(dev, rng), o.eini ?? 0);
    v.source = 'random init';
    return v;
  }

  /** Builds the module from its config (no random draws), then loads `sd` with strict key and shape checks. */
  static fromStateDict(dev: Device, cfg: VQVAEConfigInput, sd: HostStateDict, o: { source?: string } = {}): VQVAE {
    const v = new VQVAE(dev, vqvaeConfig(cfg), new ParamMaker(dev, null));
    try { v.loadStateDict(sd, { source: o.source }); } catch (e) { v.dispose(); throw e; }
    v.source = o.source ?? 'state dict';
    return v;
  }

  /**
   * The module with uninitialised parameters (nothing drawn, nothing uploaded): for counting and naming, or to fill
   * with loadStateDict. Dawn allocates the buffers; backends that commit memory lazily keep this cheap.
   */
  static uninitialized(dev: Device, cfg: VQVAEConfigInput): VQVAE {
    const v = new VQVAE(dev, vqvaeConfig(cfg), new ParamMaker(dev, null));
    v.source = 'uninitialized';
    return v;
  }

  /**
   * Lays every weight out once for inference, for frozen weights: each conv's weight (encoder, decoder, quant_conv,
   * post_quant_conv: ops.prepareConv) and the quantizer's codebook search and φ weights (MultiScaleQuantizer.prepare).
   * Later calls of encode, decodeLatent, tokenize, decodeTokens and teacherInput that record no gradient for the
   * weights (under noGrad, or with parameters that do not require grad) use these layouts instead of repacking the
   * weights at every conv call; results are the same up to float rounding. The layouts are copies: after changing the
   * weights in place (an optimizer step) call prepareForInference() again or releaseInference(); loadStateDict
   * refreshes them itself. They hold about the weights' size again in GPU memory; releaseInference() or dispose() frees them.
   */
  prepareForInference(): this {
    this.releaseInference();
    noGrad(this.dev, () => {
      for (const c of convsOf(this)) c.prepare();
      this.preparedQ = this.quantize.prepare({ search: true });
    });
    return this;
  }

  /** Frees the layouts of prepareForInference(); later calls repack the weights per call again. */
  releaseInference(): void {
    for (const c of convsOf(this)) c.unprepare();
    this.preparedQ?.dispose();
    this.preparedQ = null;
  }

  /** Whether prepareForInference() layouts are in use. */
  get preparedForInference(): boolean { return this.preparedQ !== null; }

  /** The quantizer layouts for a call that records no gradient (the quantizer's own calls never do). */
  private get qPrepared(): PreparedQuantizer | undefined { return this.preparedQ ?? undefined; }

  override dispose(): void { this.releaseInference(); super.dispose(); }

  get plan(): Plan { return this.quantize.plan; }
  /** Tokens per image over all scales. */
  get tokens(): number { return this.quantize.tokens; }
  /** Image-to-latent factor (16 for VAR's five levels). */
  get downsample(): number { return downsampleOf(this.cfg); }
  /** Side of the images the schedule tokenizes (16 × the last segment's side). */
  get imageSide(): number { return imageSideOf(this.cfg); }
  /** Column just past each segment's last token in [B, L]. */
  get segmentEnds(): number[] {
    const ends: number[] = [];
    for (const s of this.plan.scales) ends[s.segment] = s.col + s.pn * s.pn;
    return ends;
  }

  /** VAR names the φ convs by sharing mode (qresi_ls.<i>, qresi, or <i>); the quantizer holds them as qresi_ls. */
  override namedParameters(prefix = ''): [string, Tensor][] {
    const phi = phiLayout(this.cfg), head = `${prefix}quantize.quant_resi.qresi_ls.`;
    return super.namedParameters(prefix).map(([k, t]): [string, Tensor] => {
      if (!k.startsWith(head)) return [k, t];
      const rest = k.slice(head.length), dot = rest.indexOf('.');
      return [`${prefix}${phi.keys(+rest.slice(0, dot))}${rest.slice(dot)}`, t];
    });
  }

  /**
   * Strict load; `quantize.ema_vocab_hit_SV` (code-usage statistics) may be absent, and when its shape differs (VAR's
   * release stores [10, V] whatever the schedule) the module keeps its own, as VAR's VQVAE.load_state_dict does.
   */
  override loadStateDict(sd: HostStateDict | Record<string, HostTensorLike>, o: { strict?: boolean; ignore?: (string | RegExp)[]; source?: string } = {}) {
    const src: Record<string, { shape: number[]; data: Float32Array | Int32Array }> = {};
    const entries = sd instanceof Map ? [...sd.entries()] : Object.entries(sd as Record<string, HostTensorLike>);
    for (const [k, t] of entries) src[k] = { shape: [...t.shape], data: t.data instanceof Float32Array || t.data instanceof Int32Array ? t.data : Float32Array.from(t.data) };
    const mine = this.buffers[EMA]!;
    const ema = src[EMA];
    if (ema && (ema.shape.length !== 2 || ema.shape[0] !== mine.shape[0] || ema.shape[1] !== mine.shape[1])) {
      if (ema.shape.length !== 2 || ema.shape[1] !== mine.shape[1])
        throw new Error(`loadStateDict${o.source ? ` from ${o.source}` : ''}: '${EMA}' has shape [${ema.shape.join(', ')}], the model expects [*, ${mine.shape[1]}] (vocab size)`);
      delete src[EMA];
    }
    if (!src[EMA]) { // loading must not fail on the statistics buffer: strict-check everything else here
      const keys = Object.keys(this.stateDict()).filter((k) => k !== EMA);
      const ignored = (k: string) => (o.ignore ?? []).some((p) => (typeof p === 'string' ? p === k : p.test(k)));
      const missing = keys.filter((k) => !(k in src)), unexpected = Object.keys(src).filter((k) => !keys.includes(k) && !ignored(k));
      if ((o.strict ?? true) && (missing.length || unexpected.length))
        throw new Error(`loadStateDict${o.source ? ` from ${o.source}` : ''}: ${[missing.length ? `missing keys: ${missing.slice(0, 8).join(', ')}${missing.length > 8 ? ` (+${missing.length - 8} more)` : ''}` : '', unexpected.length ? `unexpected keys: ${unexpected.slice(0, 8).join(', ')}${unexpected.length > 8 ? ` (+${unexpected.length - 8} more)` : ''}` : ''].filter(Boolean).join('; ')}`);
      return this.refreshAfterLoad(super.loadStateDict(src, { ...o, strict: false }));
    }
    return this.refreshAfterLoad(super.loadStateDict(src, o));
  }

  /** New weights make prepareForInference() layouts stale: lay them out again. */
  private refreshAfterLoad<T>(r: T): T { if (this.preparedQ) this.prepareForInference(); return r; }

  private checkImage(img: Tensor, what: string) {
    const S = this.imageSide;
    if (img.dtype !== 'f32' || img.ndim !== 4 || img.shape[1] !== 3 || img.shape[2] !== S || img.shape[3] !== S)
      throw new Error(`VQVAE.${what}: expected an f32 image [B, 3, ${S}, ${S}] in [-1, 1] (${this.downsample} × the last segment's side ${S / this.downsample}), got ${img}`);
  }

  /** f = quant_conv(encoder(x)): [B, 3, H, W] → [B, z, H/16, W/16] (differentiable). */
  encode(img_B3HW: Tensor): Tensor {
    const e = this.encoder.forward(img_B3HW);
    const f = this.quant_conv.forward(e);
    if (!needsGrad(e, this.quant_conv.weight, this.quant_conv.bias)) e.dispose();
    return f;
  }

  /** decoder(post_quant_conv(f)), clamped to [−1, 1] unless `clamp: false` (VAR's training forward does not clamp). */
  decodeLatent(f_BChw: Tensor, o: { clamp?: boolean } = {}): Tensor {
    const p = this.post_quant_conv.forward(f_BChw);
    const y = this.decoder.forward(p);
    const keep = needsGrad(f_BChw, ...this.post_quant_conv.parameters(), ...this.decoder.parameters());
    if (!keep) p.dispose();
    if (o.clamp === false) return y;
    const c = ops.clamp(y, -1, 1);
    if (!keep) y.dispose();
    return c;
  }

  /**
   * One latent per segment (MODEL_SPEC §2): the image area-resized to 16·S_n, encoded. Plain VAR (one segment) encodes
   * the image as it is. Differentiable when called with gradients on.
   */
  encodeSegments(img_B3HW: Tensor): Tensor[] {
    this.checkImage(img_B3HW, 'encodeSegments');
    const free = !needsGrad(img_B3HW, ...this.encoder.parameters());
    return this.cfg.segments.map((s) => {
      const S = s.side * this.downsample;
      const x = S === img_B3HW.shape[2] ? img_B3HW : ops.resample(img_B3HW, S, S, 'area');
      const z = this.encode(x);
      if (x !== img_B3HW && free) x.dispose();
      return z;
    });
  }

  /** Token ids of an image (no gradient), per scale and concatenated, with f_hat per segment. */
  tokenize(img_B3HW: Tensor, o: { teacherInput?: boolean; usage?: boolean } = {}): VQVAETokens {
    return noGrad(this.dev, () => {
      const zs = this.encodeSegments(img_B3HW);
      const r = this.quantize.tokenize(zs, { ...o, prepared: this.qPrepared });
      zs.forEach((t) => t.dispose());
      return { idx_BL: r.idx_BL, perScale: this.perScale(r.idx_BL), fHats: r.fHats, varInput: r.varInput, usage: r.usage };
    });
  }

  /** [B, pn, pn] views of each scale's ids in [B, L]. */
  perScale(idx_BL: Tensor): Tensor[] {
    const L = idx_BL.shape[1]!, B = idx_BL.shape[0]!;
    return this.plan.scales.map((s) => ops.asStrided(idx_BL, [B, s.pn, s.pn], [L, s.pn, 1], idx_BL.offset + s.col));
  }

  /**
   * Images decoded from token ids (no gradient): one per segment 0 .. upToSegment (for HIT_512 the 128, 256 and 512
   * px images, MODEL_SPEC §6). `idx_BL` may hold only a prefix of the L columns, through the end of segment
   * upToSegment (default: the last segment it covers completely).
   */
  decodeTokens(idx_BL: Tensor, upToSegment?: number): Tensor[] {
    const ends = this.segmentEnds, cols = idx_BL.shape[1]!;
    if (idx_BL.dtype !== 'i32' || idx_BL.ndim !== 2) throw new Error(`VQVAE.decodeTokens: expected i32 ids [B, ≤ ${this.tokens}], got ${idx_BL}`);
    const n = upToSegment ?? ends.filter((e) => e <= cols).length - 1;
    if (!(Number.isInteger(n) && n >= 0 && n < ends.length)) throw new Error(`VQVAE.decodeTokens: ${cols} columns cover no whole segment (segments end at columns ${ends.join(', ')})${upToSegment !== undefined ? `; upToSegment = ${upToSegment}` : ''}`);
    if (cols < ends[n]! || cols > this.tokens) throw new Error(`VQVAE.decodeTokens: segment ${n} ends at column ${ends[n]}, but the ids have ${cols} columns (at most ${this.tokens})`);
    return noGrad(this.dev, () => {
      const full = cols === this.tokens ? idx_BL : this.padIds(idx_BL);
      const r = this.quantize.decode(full, { prepared: this.qPrepared });
      if (full !== idx_BL) full.dispose();
      const imgs = r.fHats.slice(0, n + 1).map((f) => this.decodeLatent(f));
      r.fHats.forEach((t) => t.dispose());
      return imgs;
    });
  }

  private padIds(idx_BL: Tensor): Tensor {
    const [B, cols] = idx_BL.shape as [number, number];
    const zeros = ops.fill(this.dev, [B, this.tokens - cols], 0, 'i32');
    const full = ops.concat([idx_BL, zeros], 1);
    zeros.dispose();
    return full;
  }

  /** Teacher-forcing input [B, L − pn₀², z] from ground-truth ids (MODEL_SPEC §3; VAR's idxBl_to_var_input). */
  teacherInput(idx_BL: Tensor): Tensor {
    return noGrad(this.dev, () => {
      const r = this.quantize.decode(idx_BL, { teacherInput: true, prepared: this.qPrepared });
      r.fHats.forEach((t) => t.dispose());
      return r.varInput!;
    });
  }

  /** f_hat after every scale, each at its segment's side (VAR's f_to_idxBl_or_fhat(to_fhat=True)); no gradient. */
  fHatPerScale(idx_BL: Tensor): Tensor[] {
    return scope(this.dev, () => noGrad(this.dev, () => this.quantize.rebuild(idx_BL)));
  }

  /**
   * VAR's training forward: encode each segment (with gradients), quantize with the straight-through estimator and
   * VQ losses (MultiScaleQuantizer.forwardTrain), decode without clamping — the last segment ('last', default), every
   * segment ('all') or none.
   */
  forwardTrain(img_B3HW: Tensor, o: { decode?: 'last' | 'all' | 'none' } = {}): { recs: Tensor[]; fHatSt: Tensor[]; vqLoss: Tensor; idx_BL: Tensor; usage: Tensor } {
    const zs = this.encodeSegments(img_B3HW);
    const q = this.quantize.forwardTrain(zs);
    const mode = o.decode ?? 'last';
    const which = mode === 'all' ? q.fHatSt : mode === 'last' ? q.fHatSt.slice(-1) : [];
    const recs = which.map((f) => this.decodeLatent(f, { clamp: false }));
    return { recs, ...q };
  }
}

/** Every Conv below `m` (fields and arrays of modules), in field order. */
function convsOf(m: Module, out: Conv[] = []): Conv[] {
  for (const v of Object.values(m)) {
    for (const x of Array.isArray(v) ? v : [v]) {
      if (x instanceof Conv) out.push(x);
      else if (x instanceof Module) convsOf(x, out);
    }
  }
  return out;
}
