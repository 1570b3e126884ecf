// GPU Real-ESRGAN degradation stages behind DegradeOps: blur / sinc / USM, resize (the engine's resample), Gaussian /
// Poisson noise, exact 8-bit read-back (kernels/degrade/*); JPEG stays on the CPU (jpeg-js).
import type { ImageCHW } from '../../../io/image.ts';
import { Tensor, empty, fromArray, launch, ops, type Device } from '../../../engine/index.ts';
import type { ResizeMode } from './config.ts';
import type { BlurKernel } from './kernels.ts';
import { gaussian1d } from './filter.ts';
import { jpegRoundTrip, quantize8 } from './stages.ts';
import type { DegradeOps } from './pipeline.ts';

/** An image on either side: a CPU ImageCHW or a [1, C, H, W] f32 tensor. */
export type GpuImage = ImageCHW | Tensor;

function checkImage(op: string, x: Tensor): [number, number, number] {
  x.assertLive(op);
  if (x.ndim !== 4 || x.dtype !== 'f32' || !x.isContiguous) throw new Error(`${op}: expected a contiguous [B, C, H, W] f32 tensor, got ${x}`);
  const [B, C, H, W] = x.shape as [number, number, number, number];
  return [B * C, H, W];
}

/** Uploads an ImageCHW as a [1, C, H, W] f32 tensor. */
export function uploadImage(dev: Device, img: ImageCHW): Tensor {
  return fromArray(dev, img.data, [1, img.c, img.h, img.w]);
}

/**
 * Reads a [1, C, H, W] image back as 8-bit levels: clamp(round(255 x), 0, 255) / 255, exactly as the CPU quantize8
 * (kernels/degrade/pack8 packs four levels per u32, so a quarter of the bytes cross the bus). NaN reads back as 0.
 */
export async function downloadImage8(x: Tensor): Promise<ImageCHW> {
  const [planes, h, w] = checkImage('downloadImage8', x);
  if (x.shape[0] !== 1) throw new Error(`downloadImage8: expected one image, got ${x}`);
  const n = planes * h * w, words = Math.ceil(n / 4);
  const packed = empty(x.dev, [words], 'u32', 'degrade.pack8');
  launch(x.dev, { kernel: 'degrade/pack8', bindings: [x, packed], params: { n, words }, workgroups: x.dev.grid(words, 64) });
  const bytes = new Uint8Array((await packed.toArray()).buffer, 0, n);
  packed.dispose();
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = bytes[i]! / 255;
  return { data, c: planes, h, w };
}

/**
 * Depthwise correlation of every plane with a kh×kw kernel (row-major taps), reflect padding, same-size output:
 * filter.ts filter2d / filterSeparable semantics (BasicSR filter2D, cv2 BORDER_REFLECT_101). Kernels taller than one
 * row run in blocks of 4 output rows that share their input rows (a vec4 tap table gives each step's 4 weights).
 */
export function filter2dGpu(x: Tensor, taps: Float32Array, kh: number, kw: number): Tensor {
  const op = 'degrade.filter2d';
  const [planes, h, w] = checkImage(op, x);
  if (kh % 2 !== 1 || kw % 2 !== 1 || taps.length !== kh * kw) throw new Error(`${op}: need an odd kh×kw kernel with kh·kw taps, got ${kh}×${kw} with ${taps.length} taps (input ${x})`);
  const rows = kh > 1 ? 4 : 1, table = new Float32Array((kh + rows - 1) * kw * 4);
  for (let r = 0; r < kh + rows - 1; r++) for (let j = 0; j < kw; j++)
    for (let yy = 0; yy < rows; yy++) if (r - yy >= 0 && r - yy < kh) table[(r * kw + j) * 4 + yy] = taps[(r - yy) * kw + j]!;
  const k = fromArray(x.dev, table, [table.length]);
  const out = empty(x.dev, x.shape, 'f32', op);
  const xq = Math.ceil(w / 4), yq = Math.ceil(h / rows), n = planes * yq * xq;
  launch(x.dev, { kernel: 'degrade/filter2d', defines: { ROWS: rows }, bindings: [x, k, out],
    params: { n, h, w, kh, kw, xq, yq }, workgroups: x.dev.grid(n, 64) });
  k.dispose();
  return out;
}

/** Separable correlation: horizontal taps, then vertical (the CPU filterSeparable order). */
export function filterSeparableGpu(x: Tensor, kx: Float32Array, ky: Float32Array = kx): Tensor {
  const t = filter2dGpu(x, kx, 1, kx.length);
  const out = filter2dGpu(t, ky, ky.length, 1);
  t.dispose();
  return out;
}

/** A blur / sinc kernel: separable when the CPU stage uses the separable path (iso Gaussians), else 2-D. */
export function blurGpu(x: Tensor, k: BlurKernel): Tensor {
  return k.sep ? filterSeparableGpu(x, k.sep) : filter2dGpu(x, k.data, k.size, k.size);
}

/** kernels/degrade/usm: MODE 0 the threshold mask, MODE 1 the final blend (s is unused in MODE 0). */
function usmPointwise(mode: 0 | 1, x: Tensor, b: Tensor, s: Tensor, a: number): Tensor {
  const op = mode ? 'degrade.usm' : 'degrade.usm.mask', out = empty(x.dev, x.shape, 'f32', op), n = x.numel;
  launch(x.dev, { kernel: 'degrade/usm', defines: { MODE: mode }, bindings: [x, b, s, out],
    params: { n, a }, workgroups: x.dev.grid(Math.ceil(n / 4), 64) });
  return out;
}

/**
 * Real-ESRGAN USMSharp as filter.ts usmSharpen: B = gauss51(I); K = clip(I + w (I − B), 0, 1);
 * mask = |I − B|·255 > t; M = gauss51(mask); out = M K + (1 − M) I.
 */
export function usmSharpenGpu(x: Tensor, weight = 0.5, radius = 50, threshold = 10): Tensor {
  const size = radius % 2 === 0 ? radius + 1 : radius;
  const g = gaussian1d(size, 0);
  const blur = filterSeparableGpu(x, g);
  const mask = usmPointwise(0, x, blur, blur, threshold);
  const soft = filterSeparableGpu(mask, g);
  mask.dispose();
  const out = usmPointwise(1, x, blur, soft, weight);
  blur.dispose(); soft.dispose();
  return out;
}

/**
 * x + N(0, (sigma/255)²), one plane shared by all channels when gray; clipped to [0, 1]. The normals come from the
 * Philox stream under `key` (kernels/degrade/gauss_noise): deterministic per key, other values than the CPU stage's.
 */
export function gaussianNoiseGpu(x: Tensor, sigma255: number, gray: boolean, key: readonly [number, number]): Tensor {
  const op = 'degrade.gaussianNoise';
  const [planes, h, w] = checkImage(op, x);
  if (x.shape[0] !== 1) throw new Error(`${op}: expected one image, got ${x}`);
  const n = h * w, out = empty(x.dev, x.shape, 'f32', op);
  launch(x.dev, { kernel: 'degrade/gauss_noise', bindings: [x, out],
    params: { n, c: planes, gray: gray ? 1 : 0, key0: key[0] >>> 0, key1: key[1] >>> 0, sigma: sigma255 / 255 }, workgroups: x.dev.grid(n, 64) });
  return out;
}

/**
 * Shot noise as stages.ts addPoissonNoise (BasicSR generate_poisson_noise_pt), gray on the luma. The number of
 * distinct 8-bit levels is counted on the GPU (kernels/degrade/levels); each (pixel, channel) draws from its own
 * Philox stream under `key`.
 */
export function poissonNoiseGpu(x: Tensor, scale: number, gray: boolean, key: readonly [number, number]): Tensor {
  const op = 'degrade.poissonNoise';
  const [planes, h, w] = checkImage(op, x);
  if (x.shape[0] !== 1) throw new Error(`${op}: expected one image, got ${x}`);
  const n = h * w, g = gray && planes === 3 ? 1 : 0, dev = x.dev;
  const mask = fromArray(dev, new Uint32Array(8), [8], 'u32');
  const stride = 64 * Math.min(64, Math.ceil((g ? n : n * planes) / 64));
  launch(dev, { kernel: 'degrade/levels', bindings: [x, mask], params: { n, c: planes, gray: g, stride }, workgroups: stride / 64 });
  const out = empty(dev, x.shape, 'f32', op);
  launch(dev, { kernel: 'degrade/poisson_noise', bindings: [x, mask, out],
    params: { n, c: planes, gray: g, key0: key[0] >>> 0, key1: key[1] >>> 0, scale }, workgroups: dev.grid(n, 64) });
  mask.dispose();
  return out;
}

/**
 * DegradeOps running blur, sinc, USM, resize and noise on `dev`. Images move to the GPU on the first GPU stage and
 * come back (as exact 8-bit levels) for JPEG and for the final quantize, so a pair crosses the bus 2–3 times.
 * Every stage disposes an input tensor that an earlier stage of these ops made (never the caller's tensors): a
 * tensor passed to applyDegradePlan's onStage hook is valid during the hook only (copy it there to keep it).
 */
export function gpuDegradeOps(dev: Device): DegradeOps<GpuImage> {
  const mine = new WeakSet<Tensor>();
  const own = (t: Tensor) => { mine.add(t); return t; };
  const toGpu = (img: GpuImage) => (img instanceof Tensor ? img : own(uploadImage(dev, img)));
  /** Runs f on the image's tensor and drops the input when it was ours. */
  const gpu = (img: GpuImage, f: (x: Tensor) => Tensor): Tensor => {
    const x = toGpu(img), y = own(f(x));
    if (mine.has(x)) x.dispose();
    return y;
  };
  const toCpu8 = async (img: GpuImage): Promise<ImageCHW> => {
    if (!(img instanceof Tensor)) return quantize8(img);
    const out = await downloadImage8(img);
    if (mine.has(img)) img.dispose();
    return out;
  };
  const size = (img: GpuImage) => (img instanceof Tensor ? [img.shape[2], img.shape[3]] : [img.h, img.w]);
  return {
    usm: (img) => gpu(img, (x) => usmSharpenGpu(x)),
    blur: (img, k) => (k.size === 1 && k.data[0] === 1 ? img : gpu(img, (x) => blurGpu(x, k))),
    resize: (img, h, w, mode: ResizeMode) => {
      const [ih, iw] = size(img);
      return ih === h && iw === w ? img : gpu(img, (x) => ops.resample(x, h, w, mode));
    },
    noise: (img, s, rng) => gpu(img, (x) => (s.kind === 'gaussian' ? gaussianNoiseGpu(x, s.amount, s.gray, rng.key) : poissonNoiseGpu(x, s.amount, s.gray, rng.key))),
    // jpegRoundTrip rounds to 8 bits first, so handing it the exact 8-bit levels changes nothing.
    jpeg: async (img, q) => jpegRoundTrip(await toCpu8(img), q),
    quantize: (img) => toCpu8(img),
  };
}

/** The CPU image a GPU pipeline ends with (its quantize always reads back); throws, naming `what`, on a tensor. */
export function assertCpuImage(img: GpuImage, what: string): ImageCHW {
  if (img instanceof Tensor) throw new Error(`${what}: expected a CPU image, got ${img}`);
  return img;
}
