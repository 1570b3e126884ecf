// LPIPS backbones: torchvision's VGG16 and AlexNet `features`, cut into the five slices of the lpips package, with
// frozen weights named as in its state dict (`net.slice<s>.<torchvision index>.weight`).
import { Tensor, empty, Module, ops, type Device } from '../../engine/index.ts';

export type LpipsNet = 'vgg' | 'alex';

/** A convolution with frozen weights: `weight` and `bias` are buffers (saved and loaded, never trained). */
export class FrozenConv2d extends Module {
  constructor(dev: Device, inCh: number, outCh: number, readonly k: number, readonly stride = 1, readonly padding = 0, bias = true) {
    super();
    this.buffers.weight = empty(dev, [outCh, inCh, k, k], 'f32', 'FrozenConv2d.weight').keep();
    if (bias) this.buffers.bias = empty(dev, [outCh], 'f32', 'FrozenConv2d.bias').keep();
  }
  get weight(): Tensor { return this.buffers.weight!; }
  forward(x: Tensor): Tensor { return ops.conv2d(x, this.buffers.weight!, this.buffers.bias ?? null, { stride: this.stride, padding: this.padding }); }
}

/** Children named by position, as nn.Sequential names them; layers without state (ReLU, pooling) leave gaps. */
export class Indexed extends Module {
  constructor(children: [number, Module][]) {
    super();
    for (const [i, m] of children) (this as unknown as Record<string, Module>)[String(i)] = m;
  }
  at<M extends Module>(i: number): M { return (this as unknown as Record<string, M>)[String(i)]!; }
}

/** One torchvision `features` layer: a convolution [in, out, kernel, stride, padding], a ReLU, or a max-pool [kernel, stride]. */
type Layer = { conv: [number, number, number, number, number] } | 'relu' | { pool: [number, number] };

const conv3 = (i: number, o: number): Layer[] => [{ conv: [i, o, 3, 1, 1] }, 'relu'];
/** torchvision.models.vgg16().features[0:30] (the last pool is never used). */
const VGG16: Layer[] = [
  ...conv3(3, 64), ...conv3(64, 64), { pool: [2, 2] },
  ...conv3(64, 128), ...conv3(128, 128), { pool: [2, 2] },
  ...conv3(128, 256), ...conv3(256, 256), ...conv3(256, 256), { pool: [2, 2] },
  ...conv3(256, 512), ...conv3(512, 512), ...conv3(512, 512), { pool: [2, 2] },
  ...conv3(512, 512), ...conv3(512, 512), ...conv3(512, 512),
];
/** torchvision.models.alexnet().features[0:12]. */
const ALEXNET: Layer[] = [
  { conv: [3, 64, 11, 4, 2] }, 'relu', { pool: [3, 2] },
  { conv: [64, 192, 5, 1, 2] }, 'relu', { pool: [3, 2] },
  { conv: [192, 384, 3, 1, 1] }, 'relu', { conv: [384, 256, 3, 1, 1] }, 'relu', { conv: [256, 256, 3, 1, 1] }, 'relu',
];

/**
 * Per network: its layers, the [start, end) index range of each slice (lpips/pretrained_networks.py), the channels of
 * the five features, and the smallest image side whose pools all have a window (VGG: 4 halvings; AlexNet: 31 → conv1
 * 7 → pool 3 → pool 1).
 */
export const BACKBONES: Record<LpipsNet, { layers: Layer[]; cuts: [number, number][]; channels: number[]; minSize: number }> = {
  vgg: { layers: VGG16, cuts: [[0, 4], [4, 9], [9, 16], [16, 23], [23, 30]], channels: [64, 128, 256, 512, 512], minSize: 16 },
  alex: { layers: ALEXNET, cuts: [[0, 2], [2, 5], [5, 8], [8, 10], [10, 12]], channels: [64, 192, 384, 256, 256], minSize: 31 },
};

/** Layers [start, end) of a backbone, applied in order; intermediates are freed at once when nothing records a gradient. */
export class Slice extends Indexed {
  constructor(dev: Device, private readonly layers: Layer[], private readonly start: number, private readonly end: number) {
    super(layers.flatMap((l, i): [number, Module][] => (i >= start && i < end && typeof l === 'object' && 'conv' in l ? [[i, new FrozenConv2d(dev, ...l.conv)]] : [])));
  }
  forward(x: Tensor): Tensor {
    let h = x;
    for (let i = this.start; i < this.end; i++) {
      const l = this.layers[i]!;
      const next = l === 'relu' ? ops.relu(h) : 'pool' in l ? ops.maxPool2d(h, l.pool[0], l.pool[1]) : this.at<FrozenConv2d>(i).forward(h);
      if (h !== x && !next.node) h.dispose();
      h = next;
    }
    return h;
  }
}

/** `net` of the LPIPS module: slice1..slice5, returning the five feature maps (relu1_2 .. relu5_3, or relu1 .. relu5). */
export class Backbone extends Module {
  slice1: Slice; slice2: Slice; slice3: Slice; slice4: Slice; slice5: Slice;
  constructor(dev: Device, readonly kind: LpipsNet) {
    super();
    const { layers, cuts } = BACKBONES[kind];
    [this.slice1, this.slice2, this.slice3, this.slice4, this.slice5] = cuts.map(([a, b]) => new Slice(dev, layers, a, b)) as [Slice, Slice, Slice, Slice, Slice];
  }
  forward(x: Tensor): Tensor[] {
    const out: Tensor[] = [];
    for (const s of [this.slice1, this.slice2, this.slice3, this.slice4, this.slice5]) out.push(s.forward(out[out.length - 1] ?? x));
    return out;
  }
}
