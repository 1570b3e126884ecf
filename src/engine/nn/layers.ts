// Layers with PyTorch parameter names and default initialisation: Linear, Conv2d, LayerNorm, GroupNorm, Embedding.
import type { Device } from '../runtime/device.ts';
import type { Tensor } from '../tensor.ts';
import type { Rng } from '../rng.ts';
import { Module, parameter } from './module.ts';
import { fanInUniform, ones, zeros, normal } from './init.ts';
import { ops } from '../ops/registry.ts';
import type { PreparedConv } from '../ops/conv.ts';

/** y = x Wᵀ + b; weight [out, in] (torch.nn.Linear). */
export class Linear extends Module {
  weight: Tensor; bias: Tensor | null;
  constructor(dev: Device, rng: Rng, readonly inFeatures: number, readonly outFeatures: number, bias = true) {
    super();
    this.weight = parameter(fanInUniform(dev, rng, [outFeatures, inFeatures], inFeatures));
    this.bias = bias ? parameter(fanInUniform(dev, rng, [outFeatures], inFeatures)) : null;
  }
  forward(x: Tensor): Tensor { return ops.linear(x, this.weight, this.bias ?? undefined); }
}

/** torch.nn.Conv2d (square kernel); padding as a number or [top, bottom, left, right]. */
export class Conv2d extends Module {
  weight: Tensor; bias: Tensor | null;
  constructor(dev: Device, rng: Rng, readonly inCh: number, readonly outCh: number, readonly k: number,
    readonly o: { stride?: 1 | 2; padding?: number | [number, number, number, number]; bias?: boolean } = {}) {
    super();
    const fanIn = inCh * k * k;
    this.weight = parameter(fanInUniform(dev, rng, [outCh, inCh, k, k], fanIn));
    this.bias = o.bias === false ? null : parameter(fanInUniform(dev, rng, [outCh], fanIn));
  }
  /** The weight laid out once for inference (ops.prepareConv with this layer's stride and padding); dispose() it after. */
  prepare(): PreparedConv { return ops.prepareConv(this.weight, this.bias, { stride: this.o.stride ?? 1, padding: this.o.padding ?? 0 }); }
  /** conv2d(x); with `prepared` (from prepare(), while the weight is unchanged) the weight is not repacked. */
  forward(x: Tensor, prepared?: PreparedConv): Tensor {
    return ops.conv2d(x, this.weight, this.bias, { stride: this.o.stride ?? 1, padding: this.o.padding ?? 0, prepared });
  }
}

/** Layer norm over the last dim; `affine: false` is VAR's ln_wo_grad. */
export class LayerNorm extends Module {
  weight: Tensor | null; bias: Tensor | null;
  constructor(dev: Device, readonly dim: number, readonly eps = 1e-5, affine = true) {
    super();
    this.weight = affine ? parameter(ones(dev, [dim])) : null;
    this.bias = affine ? parameter(zeros(dev, [dim])) : null;
  }
  forward(x: Tensor): Tensor { return ops.layerNorm(x, this.weight, this.bias, this.eps); }
}

/** torch.nn.GroupNorm(num_groups, num_channels, eps, affine). */
export class GroupNorm extends Module {
  weight: Tensor | null; bias: Tensor | null;
  constructor(dev: Device, readonly groups: number, readonly channels: number, readonly eps = 1e-5, affine = true) {
    super();
    this.weight = affine ? parameter(ones(dev, [channels])) : null;
    this.bias = affine ? parameter(zeros(dev, [channels])) : null;
  }
  forward(x: Tensor): Tensor { return ops.groupNorm(x, this.groups, this.weight, this.bias, this.eps); }
}

/** torch.nn.Embedding: weight [num, dim] ~ N(0, 1). */
export class Embedding extends Module {
  weight: Tensor;
  constructor(dev: Device, rng: Rng, readonly num: number, readonly dim: number) {
    super();
    this.weight = parameter(normal(dev, rng, [num, dim], 1));
  }
  forward(idx: Tensor): Tensor { return ops.embedding(this.weight, idx); }
}
