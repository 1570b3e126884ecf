// VAR's transformer blocks with the official parameter names: SelfAttention, FFN, AdaLNSelfAttn, AdaLNBeforeHead.
// Blocks hold no state between calls: level layouts, KV caches and RNGs are arguments (H-VAR reuses them with its prefix).
import { Tensor, Module, parameter, empty, ops, needsGrad, noGrad, scope, type Device, type Rng, type PreparedLinear } from '../../engine/index.ts';
import { attendCached, type KVCache } from './kv_cache.ts';

/** A parameter of the given shape, uninitialised (the model's builder fills or loads it). */
export function param(dev: Device, shape: number[], name: string): Tensor { return parameter(empty(dev, shape, 'f32', name), name); }

/**
 * torch.nn.Linear's parameters (weight [out, in], bias [out]); built empty, filled by init or a state dict. prepare() lays
 * the weight out once (ops.prepareLinear) for every later forward that records no gradient for it; the layout is a copy,
 * so it is for frozen weights: prepare() again after changing them, unprepare() frees it.
 */
export class Lin extends Module {
  weight: Tensor; bias: Tensor | null;
  /** The weight laid out by prepare(), or null. Not a field Module walks (it holds no parameters). */
  private prepared: PreparedLinear | null = null;
  constructor(dev: Device, readonly inF: number, readonly outF: number, bias = true, name = 'linear') {
    super();
    this.weight = param(dev, [outF, inF], `${name}.weight`);
    this.bias = bias ? param(dev, [outF], `${name}.bias`) : null;
  }
  /** Lays the current weight out for inference (replacing an earlier layout). */
  prepare(): void { this.unprepare(); this.prepared = ops.prepareLinear(this.weight); }
  /** Frees the layout of prepare(), if any. */
  unprepare(): void { this.prepared?.dispose(); this.prepared = null; }
  get isPrepared(): boolean { return this.prepared !== null; }
  forward(x: Tensor): Tensor {
    const prepared = this.prepared && !needsGrad(this.weight, this.bias) ? this.prepared : undefined;
    return ops.linear(x, this.weight, this.bias, { prepared });
  }
  override dispose() { this.unprepare(); super.dispose(); }
}

/**
 * A transformer (VAR, HVAR) whose linear weights can be laid out once for inference. prepareForInference() lays out
 * every Lin's weight and every SelfAttention's q, k and v blocks (ops.prepareLinear): later forwards that record no
 * gradient for the weights (sampling under noGrad) pack only the activations instead of the weights at every product;
 * the values are the same bit for bit wherever the texture matmul ran without them. The layouts are copies holding
 * about the weights' size again in GPU memory: after changing the weights in place (an optimizer step) call it again or
 * releaseInference(); loadStateDict refreshes them itself; releaseInference() (called by the subclasses' dispose()) frees them.
 */
export abstract class InferenceLayouts extends Module {
  abstract readonly dev: Device;
  prepareForInference(): this {
    noGrad(this.dev, () => { for (const m of preparablesOf(this)) m.prepare(); });
    return this;
  }
  /** Frees the layouts of prepareForInference(); later forwards pack the weights per product again. */
  releaseInference(): void { for (const m of preparablesOf(this)) m.unprepare(); }
  /** Whether prepareForInference() layouts are in use (the modules' own layouts say). */
  get preparedForInference(): boolean { return preparablesOf(this).some((m) => m.isPrepared); }
  /** New weights make prepareForInference() layouts stale: lay them out again. */
  override loadStateDict(...a: Parameters<Module['loadStateDict']>): ReturnType<Module['loadStateDict']> {
    const r = super.loadStateDict(...a);
    if (this.preparedForInference) this.prepareForInference();
    return r;
  }
}

/** Every Lin and SelfAttention under m (each lays its own weights out). */
function preparablesOf(m: Module, out: (Lin | SelfAttention)[] = []): (Lin | SelfAttention)[] {
  for (const v of Object.values(m)) {
    for (const x of Array.isArray(v) ? v : [v]) {
      if (x instanceof Lin || x instanceof SelfAttention) out.push(x);
      if (x instanceof Module) preparablesOf(x, out);
    }
  }
  return out;
}

/** nn.Sequential(nn.SiLU(), nn.Linear(D, n)): the Linear is child `1`, so its keys are `<name>.1.weight` and `.1.bias`. */
export class SiluLinear extends Module {
  constructor(dev: Device, inF: number, outF: number, name: string) {
    super();
    (this as unknown as Record<string, Module>)['1'] = new Lin(dev, inF, outF, true, `${name}.1`);
  }
  get lin(): Lin { return (this as unknown as Record<string, Lin>)['1']!; }
  forward(cond_BD: Tensor): Tensor { return this.lin.forward(ops.silu(cond_BD)); }
}

/** How one block call attends. */
export interface BlockRun {
  /** Teacher-forced attention: level ids (i32 [L]) of x's rows; query i sees key j iff level j <= level i (none: unmasked). */
  levels?: Tensor;
  /** Cached sampling: this step's keys and values are appended to `cache` at `layer`, and the queries attend to all it holds. */
  cache?: KVCache;
  layer?: number;
  /** The block's AdaLN output [B, 6, C] when computed once up front (AdaLNSelfAttn.modulation); else computed from cond. */
  mod?: Tensor;
  /** Training only: drop-path keep masks are drawn from this Rng (none: no drop-path). */
  dropPathRng?: Rng;
}

/** VAR's SelfAttention: mat_qkv without bias, q_bias / zero_k_bias (buffer) / v_bias, L2-normalised heads, proj. */
export class SelfAttention extends Module {
  mat_qkv: Lin; proj: Lin;
  q_bias: Tensor; v_bias: Tensor;
  scale_mul_1H11: Tensor | null;
  readonly headDim: number;
  /** mat_qkv's q, k and v row blocks laid out by prepare() (views of the weight kept with them), or null. */
  private prepared: { w: Tensor; p: PreparedLinear }[] | null = null;

  constructor(dev: Device, readonly C: number, readonly heads: number, readonly l2norm: boolean, name = 'attn') {
    super();
    this.headDim = C / heads;
    this.mat_qkv = new Lin(dev, C, 3 * C, false, `${name}.mat_qkv`);
    this.q_bias = param(dev, [C], `${name}.q_bias`);
    this.v_bias = param(dev, [C], `${name}.v_bias`);
    this.scale_mul_1H11 = l2norm ? param(dev, [1, heads, 1, 1], `${name}.scale_mul_1H11`) : null;
    this.buffers.zero_k_bias = ops.fill(dev, [C], 0).keep();
    this.proj = new Lin(dev, C, C, true, `${name}.proj`);
  }

  get zero_k_bias(): Tensor { return this.buffers.zero_k_bias!; }

  /** Lays mat_qkv's q, k and v blocks out for inference (ops.prepareLinear; proj is a Lin and prepares itself). */
  prepare(): void {
    this.unprepare();
    const W = this.mat_qkv.weight, C = this.C;
    this.prepared = noGrad(W.dev, () => [0, 1, 2].map((j) => {
      const w = ops.slice(W, 0, j * C, (j + 1) * C).keep();
      return { w, p: ops.prepareLinear(w) };
    }));
  }
  unprepare(): void {
    for (const { w, p } of this.prepared ?? []) { p.dispose(); w.dispose(); }
    this.prepared = null;
  }
  get isPrepared(): boolean { return this.prepared !== null; }
  override dispose() { this.unprepare(); super.dispose(); }

  /**
   * x_BLC [B, L, C] → [B, L, C]. q, k and v are three row blocks of mat_qkv (rows 0..C−1, C..2C−1, 2C..3C−1) with the biases
   * q_bias, zero_k_bias, v_bias, viewed as [B, H, L, head_dim] (heads are consecutive blocks of head_dim channels).
   */
  forward(x_BLC: Tensor, run: BlockRun = {}): Tensor {
    const [B, L, C] = x_BLC.shape as [number, number, number];
    const H = this.heads, Dh = this.headDim, W = this.mat_qkv.weight;
    const usePrepared = this.prepared && !needsGrad(W, this.q_bias, this.v_bias);
    const part = (j: number, b: Tensor) => {
      const y = ops.linear(x_BLC, ops.slice(W, 0, j * C, (j + 1) * C), b, { prepared: usePrepared ? this.prepared![j]!.p : undefined });
      return ops.permute(ops.reshape(y, [B, L, H, Dh]), [0, 2, 1, 3]);
    };
    const q = part(0, this.q_bias), k = part(1, this.zero_k_bias), v = part(2, this.v_bias);
    let o: Tensor;
    if (run.cache) {
      if (run.layer === undefined) throw new Error('SelfAttention: a cached call needs the cache layer (run.layer)');
      if (needsGrad(q, k, v)) throw new Error('SelfAttention: cached attention is inference only; run it under noGrad');
      run.cache.append(run.layer, k, v);
      o = this.scale_mul_1H11 ? attendCached(q, run.cache, run.layer, { s: this.scale_mul_1H11 }) : attendCached(q, run.cache, run.layer, { scale: 0.25 / Math.sqrt(Dh) });
    } else if (this.scale_mul_1H11) {
      o = ops.varAttention(q, k, v, this.scale_mul_1H11, { levels: run.levels });
    } else {
      o = ops.attention(q, k, v, { scale: 0.25 / Math.sqrt(Dh), levels: run.levels });
    }
    return this.proj.forward(ops.reshape(ops.permute(o, [0, 2, 1, 3]), [B, L, C]));
  }
}

/** fc1 → GELU (tanh approximation) → fc2. */
export class FFN extends Module {
  fc1: Lin; fc2: Lin;
  constructor(dev: Device, C: number, hidden: number, name = 'ffn') {
    super();
    this.fc1 = new Lin(dev, C, hidden, true, `${name}.fc1`);
    this.fc2 = new Lin(dev, hidden, C, true, `${name}.fc2`);
  }
  forward(x: Tensor): Tensor { return this.fc2.forward(ops.gelu(this.fc1.forward(x))); }
}

/** Per-sample drop-path (timm's, as VAR uses it): x · bernoulli(1 − p) / (1 − p) with one draw per batch item. */
export function dropPath(x: Tensor, p: number, rng: Rng): Tensor {
  if (p <= 0) return x;
  const keep = 1 - p, B = x.shape[0]!;
  const u = rng.uniform(x.dev, [B, ...x.shape.slice(1).map(() => 1)]);
  const mask = ops.mulScalar(ops.compare('lt', u, ops.fill(x.dev, [1], keep)), 1 / keep);
  return ops.mul(x, mask);
}

/**
 * VAR's AdaLNSelfAttn: x += γ1 ⊙ attn(LN(x)(1 + scale1) + shift1); x += γ2 ⊙ ffn(LN(x)(1 + scale2) + shift2), with the
 * AdaLN chunks in the order γ1, γ2, scale1, scale2, shift1, shift2 and LN without parameters.
 */
export class AdaLNSelfAttn extends Module {
  attn: SelfAttention; ffn: FFN;
  ada_lin: SiluLinear | null; ada_gss: Tensor | null;

  constructor(dev: Device, readonly C: number, heads: number, hidden: number, readonly o: { l2norm: boolean; sharedAln: boolean; eps: number; dropPath: number }) {
    super();
    this.attn = new SelfAttention(dev, C, heads, o.l2norm);
    this.ffn = new FFN(dev, C, hidden);
    this.ada_lin = o.sharedAln ? null : new SiluLinear(dev, C, 6 * C, 'ada_lin');
    this.ada_gss = o.sharedAln ? param(dev, [1, 1, 6, C], 'ada_gss') : null;
  }

  /**
   * The six AdaLN rows [B, 6, C]: ada_lin(cond_BD) for per-block AdaLN (cond_BD [B, D]); for shared AdaLN, `cond` is the
   * shared projection [B, 6, C] (or VAR's [B, 1, 6, C]) and the block adds its ada_gss. Constant over a sampling run.
   */
  modulation(cond: Tensor): Tensor {
    if (this.ada_lin) {
      if (cond.ndim !== 2) throw new Error(`AdaLNSelfAttn: per-block AdaLN takes cond_BD [B, D], got ${cond}`);
      return ops.reshape(this.ada_lin.forward(cond), [cond.shape[0]!, 6, this.C]);
    }
    const B = cond.shape[0]!;
    if (cond.numel !== B * 6 * this.C) throw new Error(`AdaLNSelfAttn: shared AdaLN takes the shared projection [B, 6, ${this.C}], got ${cond}`);
    return ops.add(ops.reshape(this.ada_gss!, [1, 6, this.C]), ops.reshape(cond, [B, 6, this.C]));
  }

  /** x_BLC [B, L, C] → [B, L, C]; `cond` as for modulation (ignored when run.mod is given). */
  forward(x_BLC: Tensor, cond: Tensor, run: BlockRun = {}): Tensor {
    const body = () => {
      const mod = run.mod ?? this.modulation(cond);
      if (mod.ndim !== 3 || mod.shape[0] !== x_BLC.shape[0] || mod.shape[1] !== 6 || mod.shape[2] !== this.C)
        throw new Error(`AdaLNSelfAttn: modulation must be [${x_BLC.shape[0]}, 6, ${this.C}] for x ${x_BLC}, got ${mod}`);
      const chunk = (i: number) => ops.slice(mod, 1, i, i + 1); // [B, 1, C]
      const [g1, g2, s1, s2, b1, b2] = [0, 1, 2, 3, 4, 5].map(chunk) as [Tensor, Tensor, Tensor, Tensor, Tensor, Tensor];
      const modulate = (x: Tensor, s: Tensor, b: Tensor) => ops.add(ops.mul(ops.layerNorm(x, null, null, this.o.eps), ops.addScalar(s, 1)), b);
      const drop = (t: Tensor) => (this.training && run.dropPathRng ? dropPath(t, this.o.dropPath, run.dropPathRng) : t);
      const x1 = ops.add(x_BLC, drop(ops.mul(this.attn.forward(modulate(x_BLC, s1, b1), run), g1)));
      return ops.add(x1, drop(ops.mul(this.ffn.forward(modulate(x1, s2, b2)), g2)));
    };
    // Without autograd the temporaries are freed at once; with it they live until the caller's scope ends (backward reads them).
    return needsGrad(x_BLC, this.attn.mat_qkv.weight) ? body() : scope(x_BLC.dev, body);
  }
}

/** VAR's AdaLNBeforeHead: LN(x)(1 + scale) + shift with [scale, shift] = ada_lin(cond_BD) (keys head_nm.ada_lin.1.*). */
export class AdaLNBeforeHead extends Module {
  ada_lin: SiluLinear;
  constructor(dev: Device, readonly C: number, readonly eps: number) {
    super();
    this.ada_lin = new SiluLinear(dev, C, 2 * C, 'head_nm.ada_lin');
  }
  forward(x_BLC: Tensor, cond_BD: Tensor): Tensor {
    const m = ops.reshape(this.ada_lin.forward(cond_BD), [cond_BD.shape[0]!, 2, this.C]);
    return ops.add(ops.mul(ops.layerNorm(x_BLC, null, null, this.eps), ops.addScalar(ops.slice(m, 1, 0, 1), 1)), ops.slice(m, 1, 1, 2));
  }
}
