// VQVAE layers: parameter makers (torch-default random init, or uninitialised storage for loading), Conv and Norm with
// PyTorch names, and the rule that frees intermediates promptly when no autograd graph is recorded.
import { Tensor, empty, needsGrad, Module, parameter, ops, type Device, type PreparedConv, type Rng } from '../../engine/index.ts';
import { GN_EPS, GN_GROUPS } from './config.ts';

/**
 * Makes parameters. With an Rng: PyTorch's constructor defaults (Conv2d weight and bias U(±1/√fan_in), i.e.
 * kaiming_uniform(a=√5); GroupNorm weight 1, bias 0; Embedding N(0, 1)), drawn in construction order. Without one:
 * uninitialised tensors that a state dict fills.
 */
export class ParamMaker {
  constructor(readonly dev: Device, readonly rng: Rng | null) {}
  fanIn(shape: number[], fanIn: number, name: string): Tensor {
    const b = 1 / Math.sqrt(Math.max(1, fanIn));
    return parameter(this.rng ? this.rng.uniform(this.dev, shape, -b, b) : empty(this.dev, shape, 'f32', name), name);
  }
  constant(shape: number[], v: number, name: string): Tensor {
    return parameter(this.rng ? ops.fill(this.dev, shape, v) : empty(this.dev, shape, 'f32', name), name);
  }
  uniform(shape: number[], lo: number, hi: number, name: string): Tensor {
    return parameter(this.rng ? this.rng.uniform(this.dev, shape, lo, hi) : empty(this.dev, shape, 'f32', name), name);
  }
  normal(shape: number[], std: number, name: string): Tensor {
    return parameter(this.rng ? this.rng.normal(this.dev, shape, 0, std) : empty(this.dev, shape, 'f32', name), name);
  }
}

/**
 * torch.nn.Conv2d(i, o, k, stride, padding) with bias; padding as a number or [top, bottom, left, right]. prepare() lays
 * the weight out once (ops.prepareConv) for every later forward that records no gradient for the weights; the layout
 * is a copy, so it is for frozen weights: prepare() again after changing them, unprepare() frees it.
 */
export class Conv extends Module {
  weight: Tensor; bias: Tensor;
  /** The weight laid out by prepare(), or null. Not a field Module walks (it holds no parameters). */
  private prepared: PreparedConv | null = null;
  constructor(mk: ParamMaker, i: number, o: number, readonly k: number, readonly stride = 1,
    readonly padding: number | [number, number, number, number] = 0) {
    super();
    this.weight = mk.fanIn([o, i, k, k], i * k * k, 'conv.weight');
    this.bias = mk.fanIn([o], i * k * k, 'conv.bias');
  }
  /** Lays the current weight out for inference (replacing an earlier layout). */
  prepare(): void {
    this.unprepare();
    this.prepared = ops.prepareConv(this.weight, this.bias, { stride: this.stride, padding: this.padding });
  }
  /** Frees the layout of prepare(), if any. */
  unprepare(): void { this.prepared?.dispose(); this.prepared = null; }
  get isPrepared(): boolean { return this.prepared !== null; }
  /** conv2d(x); with the prepared layout whenever no gradient is recorded for the weights (no-grad, or frozen weights). */
  forward(x: Tensor): Tensor { return ops.conv2d(x, this.weight, this.bias, this.opts()); }
  /**
   * conv2d(silu(norm(x))), VAR's `conv(F.silu(norm(x)))` (ops.groupNormSiluConv2d: without gradients the normalised
   * tensor is read, not written, where the conv's path allows).
   */
  forwardAfter(norm: Norm, x: Tensor): Tensor {
    return ops.groupNormSiluConv2d(x, { groups: GN_GROUPS, weight: norm.weight, bias: norm.bias, eps: GN_EPS }, this.weight, this.bias, this.opts());
  }
  private opts() {
    const prepared = this.prepared && !needsGrad(this.weight, this.bias) ? this.prepared : undefined;
    return { stride: this.stride, padding: this.padding, prepared };
  }
  override dispose() { this.unprepare(); super.dispose(); }
}

/** VAR's Normalize(): GroupNorm(32 groups, eps 1e-6, affine). */
export class Norm extends Module {
  weight: Tensor; bias: Tensor;
  constructor(mk: ParamMaker, readonly channels: number) {
    super();
    this.weight = mk.constant([channels], 1, 'norm.weight');
    this.bias = mk.constant([channels], 0, 'norm.bias');
  }
  forward(x: Tensor): Tensor { return ops.groupNorm(x, GN_GROUPS, this.weight, this.bias, GN_EPS); }
}

/**
 * Intermediates of a forward: when no graph is recorded (no-grad inference, or frozen weights and an input without
 * gradient) each is disposed as soon as its consumer has run; otherwise they stay for backward (the caller's scope
 * frees them). The caller's input is never disposed.
 */
export class Flow {
  readonly free: boolean;
  constructor(readonly input: Tensor, params: Tensor[]) { this.free = !needsGrad(input, ...params); }
  /** y = f(t), then t is dropped (unless it is the input). */
  then(t: Tensor, f: (t: Tensor) => Tensor): Tensor { const y = f(t); if (y !== t) this.drop(t); return y; }
  drop(...ts: Tensor[]) { if (this.free) for (const t of ts) if (t !== this.input) t.dispose(); }
}

