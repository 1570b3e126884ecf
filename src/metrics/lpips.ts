// LPIPS (Zhang et al. 2018; the `lpips` package v0.1): a learned perceptual distance on VGG16 or AlexNet features,
// differentiable (a training loss), loading the package's own state dict from a .safetensors file.
//
// The weights are not shipped: export them once where PyTorch and the `lpips` package work (it downloads the
// backbone) with the one-liner LPIPS_EXPORT_HELP below. Keys: net.slice<s>.<i>.{weight,bias}, lin<k>.model.1.weight
// (and the package's lins.<k>.* aliases of them), scaling_layer.{shift,scale}.
import { Tensor, fromArray, scope, needsGrad, noGrad, Module, ops, openSafetensors, nn, type Device } from '../index.ts';
import { Backbone, FrozenConv2d, Indexed, BACKBONES, type LpipsNet } from '../models/lpips/backbones.ts';
import type { ImageCHW } from '../io/image.ts';

export type { LpipsNet };
/**
 * The export (net='alex' for AlexNet). clone() gives the lins.<k>.* aliases storage of their own, which safetensors'
 * save_file insists on.
 */
export const LPIPS_EXPORT_HELP = "python -c \"import lpips; from safetensors.torch import save_file; save_file({k: v.detach().clone() for k, v in lpips.LPIPS(net='vgg').state_dict().items()}, 'lpips_vgg.safetensors')\"";

/** normalize_tensor's eps: x / (sqrt(Σ_c x²) + eps). */
const EPS = 1e-10;

/** (x - shift) / scale per channel: ImageNet statistics expressed for inputs in [-1, 1]. */
class ScalingLayer extends Module {
  constructor(dev: Device) {
    super();
    this.buffers.shift = fromArray(dev, [-0.03, -0.088, -0.188], [1, 3, 1, 1]).keep();
    this.buffers.scale = fromArray(dev, [0.458, 0.448, 0.45], [1, 3, 1, 1]).keep();
  }
  forward(x: Tensor): Tensor { return ops.div(ops.sub(x, this.buffers.shift!), this.buffers.scale!); }
}

/** NetLinLayer: Dropout (identity at eval) then a 1×1 convolution to one channel, no bias: `lin<k>.model.1.weight`. */
class NetLin extends Module {
  readonly model: Indexed;
  constructor(dev: Device, channels: number) {
    super();
    this.model = new Indexed([[1, new FrozenConv2d(dev, channels, 1, 1, 1, 0, false)]]);
  }
  forward(d: Tensor): Tensor { return this.model.at<FrozenConv2d>(1).forward(d); }
}

/** The LPIPS module with PyTorch's state-dict names. Build it with lpipsFromStateDict or loadLpips. */
export class LPIPS extends Module {
  readonly scaling_layer: ScalingLayer;
  readonly net: Backbone;
  readonly lin0: NetLin; readonly lin1: NetLin; readonly lin2: NetLin; readonly lin3: NetLin; readonly lin4: NetLin;
  /** [1, C, 1, 1] ones per layer: Σ_c x² as a 1×1 convolution (which splits tensors above one storage binding). */
  private readonly ones: Tensor[];

  constructor(dev: Device, readonly kind: LpipsNet) {
    super();
    const ch = BACKBONES[kind].channels;
    this.scaling_layer = new ScalingLayer(dev);
    this.net = new Backbone(dev, kind);
    [this.lin0, this.lin1, this.lin2, this.lin3, this.lin4] = ch.map((c) => new NetLin(dev, c)) as [NetLin, NetLin, NetLin, NetLin, NetLin];
    this.ones = ch.map((c) => ops.fill(dev, [1, c, 1, 1], 1).keep());
    this.eval();
  }

  /** LPIPS per image: x0, x1 [B, 3, H, W] in [-1, 1] (lpips' normalize=False) → [B]. */
  forward(x0: Tensor, x1: Tensor): Tensor { return this.distances(x0, x1).d; }

  /**
   * The distance d [B] and its five per-layer terms [B] (lpips' retPerLayer): term k = spatial mean of
   * lin_k((f0/‖f0‖ − f1/‖f1‖)²), norms over channels, f = backbone features of the scaled inputs. Gradients flow to
   * x0 and x1; without them every intermediate is freed as soon as it is used.
   */
  distances(x0: Tensor, x1: Tensor): { d: Tensor; layers: Tensor[] } {
    const op = 'lpips';
    for (const t of [x0, x1]) {
      t.assertLive(op);
      if (t.ndim !== 4 || t.shape[1] !== 3 || t.dtype !== 'f32') throw new Error(`${op}: inputs must be f32 [B, 3, H, W] images in [-1, 1], got ${x0} and ${x1}`);
    }
    if (x0.shape.some((d, i) => d !== x1.shape[i])) throw new Error(`${op}: inputs differ in shape: ${`[${x0.shape.join(', ')}]`} vs ${`[${x1.shape.join(', ')}]`}`);
    const min = BACKBONES[this.kind].minSize;
    if (x0.shape[2]! < min || x0.shape[3]! < min) throw new Error(`${op}: LPIPS-${this.kind} needs images of at least ${min}×${min} pixels, got ${`[${x0.shape.join(', ')}]`}`);
    const B = x0.shape[0]!, grad = needsGrad(x0, x1);
    // Without a gradient to record, free temporaries as soon as possible (a 512² VGG pass holds gigabytes otherwise).
    const step = <T>(fn: () => T): T => (grad ? fn() : scope(x0.dev, fn));
    // Both images in one batch: one backbone pass.
    const feats = step(() => this.net.forward(this.scaling_layer.forward(ops.concat([x0, x1], 0))));
    const lins = [this.lin0, this.lin1, this.lin2, this.lin3, this.lin4];
    const layers = feats.map((f, k) => {
      const term = step(() => {
        const norm = ops.addScalar(ops.sqrt(ops.conv2d(ops.square(f), this.ones[k]!)), EPS);
        const fn = ops.div(f, norm);
        const diff = ops.square(ops.sub(ops.slice(fn, 0, 0, B), ops.slice(fn, 0, B, 2 * B)));
        return ops.mean(lins[k]!.forward(diff), [1, 2, 3]);
      });
      if (!grad) f.dispose();
      return term;
    });
    let d = layers[0]!;
    for (const t of layers.slice(1)) d = ops.add(d, t);
    return { d, layers };
  }

  override dispose() { super.dispose(); for (const t of this.ones) t.dispose(); }
}

/**
 * Builds LPIPS from an `lpips.LPIPS(net=...).state_dict()`; the network is taken from the weights' shapes unless
 * given. Accepts the package's lins.<k>.* aliases in place of lin<k>.*; scaling_layer.* defaults to the package's
 * constants when absent. Missing, unexpected or mis-shaped keys throw an error naming `source` and the key.
 */
export function lpipsFromStateDict(dev: Device, sd: Record<string, nn.HostTensor>, o: { net?: LpipsNet; source?: string } = {}): LPIPS {
  const src = o.source ?? 'the state dict';
  const first = sd['net.slice1.0.weight'];
  if (!first) throw new Error(`lpips: ${src} has no 'net.slice1.0.weight': not an lpips.LPIPS state dict (export it with: ${LPIPS_EXPORT_HELP})`);
  const found: LpipsNet | null = first.shape[2] === 11 ? 'alex' : first.shape[2] === 3 ? 'vgg' : null;
  if (!found) throw new Error(`lpips: ${src}: 'net.slice1.0.weight' has shape [${first.shape.join(', ')}], neither VGG16's [64, 3, 3, 3] nor AlexNet's [64, 3, 11, 11]`);
  if (o.net && o.net !== found) throw new Error(`lpips: ${src} holds LPIPS-${found} weights ('net.slice1.0.weight' is [${first.shape.join(', ')}]), but LPIPS-${o.net} was asked for`);
  // NaN or Inf weights would give a meaningless distance (0 for any pair), so they are refused by key.
  for (const [k, t] of Object.entries(sd)) {
    const d = t.data;
    for (let i = 0; i < d.length; i++) {
      if (!Number.isFinite(d[i]!)) throw new Error(`lpips: ${src}: tensor '${k}' holds ${d[i]} at index ${i}; the weights must be finite`);
    }
  }
  const model = new LPIPS(dev, found);
  const want = model.stateDict();
  const byName: Record<string, nn.HostTensor> = {};
  const missing: string[] = [];
  for (const k of Object.keys(want)) {
    const alias = k.replace(/^lin(\d)\./, 'lins.$1.');
    const h = sd[k] ?? sd[alias];
    if (h) byName[k] = h;
    else if (!k.startsWith('scaling_layer.')) missing.push(k);
  }
  const unexpected = Object.keys(sd).filter((k) => !(k in want) && !/^lins\.\d\./.test(k));
  const list = (ks: string[]) => ks.slice(0, 6).map((k) => `'${k}'`).join(', ') + (ks.length > 6 ? ` (+${ks.length - 6} more)` : '');
  if (missing.length || unexpected.length) {
    model.dispose();
    throw new Error(`lpips: ${src} does not match LPIPS-${found}: ${missing.length ? `missing ${list(missing)}` : ''}${missing.length && unexpected.length ? '; ' : ''}${unexpected.length ? `unexpected ${list(unexpected)}` : ''}`);
  }
  try { model.loadStateDict(byName, { strict: false, source: src }); } catch (e) { model.dispose(); throw e; }
  return model;
}

/** Reads an LPIPS .safetensors file (see the export one-liner at the top of this file). */
export async function loadLpips(dev: Device, path: string, net?: LpipsNet): Promise<LPIPS> {
  let f;
  try { f = await openSafetensors(path); } catch (e) { throw new Error(`lpips: cannot read weights '${path}': ${(e as Error).message}`); }
  const sd: Record<string, nn.HostTensor> = {};
  for (const k of f.keys()) {
    const t = await f.read(k);
    if (!(t.data instanceof Float32Array)) throw new Error(`lpips: '${path}': tensor '${k}' is ${t.dtype}, expected a floating-point type`);
    sd[k] = { shape: t.shape, data: t.data };
  }
  return lpipsFromStateDict(dev, sd, { net, source: `'${path}'` });
}

/** LPIPS between two RGB images in [0, 1] (CHW), after removing `crop` pixels from each border; no gradient. */
export async function lpipsImages(model: LPIPS, dev: Device, a: ImageCHW, b: ImageCHW, crop = 0): Promise<number> {
  if (a.c !== 3 || b.c !== 3 || a.h !== b.h || a.w !== b.w) throw new Error(`lpips: images must be RGB and equal in size, got ${a.c}x${a.h}x${a.w} and ${b.c}x${b.h}x${b.w}`);
  const h = a.h - 2 * crop, w = a.w - 2 * crop;
  if (h < 1 || w < 1) throw new Error(`lpips: crop ${crop} leaves nothing of a ${a.w}x${a.h} image`);
  const toInput = (img: ImageCHW) => {
    const out = new Float32Array(3 * h * w);
    for (let c = 0; c < 3; c++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++)
      out[(c * h + y) * w + x] = 2 * img.data[(c * a.h + y + crop) * a.w + x + crop]! - 1;
    return fromArray(dev, out, [1, 3, h, w]);
  };
  const d = noGrad(dev, () => scope(dev, () => model.forward(toInput(a), toInput(b))));
  const v = await d.item();
  d.dispose();
  if (!Number.isFinite(v)) throw new Error(`lpips: the distance is ${v} (non-finite input or weights)`);
  return v;
}
