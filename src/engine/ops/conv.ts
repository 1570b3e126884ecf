// conv2d over NCHW (any kernel size and stride, zero padding incl. asymmetric), forward and backward, split over
// channel chunks for tensors above one storage binding; the forward runs on the texture matmul (ops/conv_tex.ts) where
// the profile says. prepareConv lays a frozen weight out once for the path the forward takes.
import { Tensor, empty } from '../tensor.ts';
import { record, needsGrad, noGrad } from '../autograd.ts';
import { fmt } from '../shape.ts';
import type { Binding } from '../runtime/device.ts';
import { asStrided, assign, contiguous } from './movement.ts';
import { fill } from './elementwise.ts';
import { perRowReduction, rowWorkgroups } from './rows.ts';
import { applyGroupNormSilu, groupNormSilu, groupNormCoef } from './groupnorm.ts';
import { type Geom, type NormSilu, type WeightTex, bindingElems, convTex, convWeightGradTex, packWeightTex, smallPlanes, weightGradLayout, weightTexShape } from './conv_tex.ts';

export interface Conv2dOpts {
  stride?: number;
  /** One value for all sides, or [top, bottom, left, right] (VAR's Downsample2x: [0, 1, 0, 1]). */
  padding?: number | readonly [number, number, number, number];
  /** The weight laid out by prepareConv(w, b, same stride and padding): the forward skips its repack. Inference only. */
  prepared?: PreparedConv;
}

/**
 * A conv weight laid out once for the forward path (prepareConv): `tex` = matmul_tex's A texture in (ky, c, kx)
 * blocks (the implicit GEMM on the texture matmul, shifted rows or im2col alike), or `packed` = the direct kernels'
 * [ceil(O/32), C padded to 2, KH, KW, 32] buffer. Valid while `weight` holds the same values: it copies them, it does
 * not follow later writes. dispose() frees it; conv2d refuses a disposed one.
 */
export interface PreparedConv {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  readonly stride: number;
  readonly padding: readonly [number, number, number, number];
  readonly path: 'texture' | 'direct';
  readonly tex: WeightTex | null;
  readonly packed: Tensor | null;
  readonly disposed: boolean;
  dispose(): void;
}

export interface PrepareConvOpts extends Omit<Conv2dOpts, 'prepared'> {
  /**
   * 'auto' (default): the texture form where the adapter has the texture matmul and the weight reaches the profile's
   * output-channel threshold (convShiftMinOut for kernels of several taps, convTextureMinOut for 1×1; convTextureMin =
   * Infinity turns it off), else the direct form. 'texture' or 'direct' force one (tests, benchmarks).
   */
  path?: 'auto' | 'texture' | 'direct';
}

/**
 * Lays w [O, C, KH, KW] (and nothing of b, which conv2d reads as it is) out for conv2d's forward with this stride and
 * padding, once: pass the result as opts.prepared to every conv2d call with the same w, b, stride and padding, on
 * inputs of any size; dispose() it after (it is kept out of scopes). With the texture form the forward takes the
 * texture path for every input (the MAC threshold convTextureMin is for the repack that this saves).
 */
export function prepareConv(w_OCkk: Tensor, b_O: Tensor | null = null, opts: PrepareConvOpts = {}): PreparedConv {
  const op = 'prepareConv';
  w_OCkk.assertLive(op);
  if (w_OCkk.ndim !== 4 || w_OCkk.dtype !== 'f32') throw new Error(`${op}: w must be an f32 [O, C, KH, KW] tensor, got ${w_OCkk}`);
  const [O, C, KH, KW] = w_OCkk.shape as [number, number, number, number];
  if (b_O && (b_O.ndim !== 1 || b_O.shape[0] !== O || b_O.dtype !== 'f32')) throw new Error(`${op}: b must be an f32 [${O}] tensor for w ${fmt(w_OCkk.shape)}, got ${b_O}`);
  const { S, pad } = strideAndPadding(op, opts);
  const dev = w_OCkk.dev, p = dev.profile;
  const texAble = p.textureMatmul && weightTexShape(dev, O, C, KH, KW).fits;
  const path = opts.path ?? 'auto';
  if (!['auto', 'texture', 'direct'].includes(path)) throw new Error(`${op}: path must be 'auto', 'texture' or 'direct', got '${path}'`);
  if (path === 'texture' && !texAble)
    throw new Error(`${op}: path 'texture' needs the texture product (read-only storage textures and subgroups of at least 8 or a CPU adapter; this adapter: storage textures ${p.storageTextures}, subgroups ${p.subgroups8}, ${p.kind}) and a weight texture within maxTextureDimension2D (w ${fmt(w_OCkk.shape)})`);
  const useTex = path === 'texture' || (path === 'auto' && texAble && p.convTextureMin !== Infinity && O >= (KH * KW > 1 ? p.convShiftMinOut : p.convTextureMinOut));
  return noGrad(dev, () => {
    const w = contiguous(w_OCkk);
    let tex: WeightTex | null = null, packed: Tensor | null = null;
    if (useTex) {
      const s = weightTexShape(dev, O, C, KH, KW);
      tex = packWeightTex(op, w, O, C, KH, KW, false, dev.createTexture(`conv.prepared ${fmt(w_OCkk.shape)}`, s.width, s.rows));
    } else packed = packWeights(w, { O, C, KH, KW }, false).keep();
    if (w !== w_OCkk) w.dispose();
    let disposed = false;
    return {
      weight: w_OCkk, bias: b_O, stride: S, padding: pad, path: useTex ? 'texture' as const : 'direct' as const, tex, packed,
      get disposed() { return disposed; },
      dispose() {
        if (disposed) return;
        disposed = true;
        if (tex) dev.destroyTexture(tex.tex);
        packed?.dispose();
      },
    };
  });
}

/**
 * y_BOhw = conv2d(x_BCHW, w_OCkk) + b_O, as torch.nn.functional.conv2d after F.pad with [top, bottom, left, right]
 * zeros (the padding is never materialised). Gradients flow to x, w and b; with opts.prepared only to x.
 */
export function conv2d(x_BCHW: Tensor, w_OCkk: Tensor, b_O: Tensor | null = null, opts: Conv2dOpts = {}): Tensor {
  const g = geometry(x_BCHW, w_OCkk, b_O, opts);
  const y = convForward(x_BCHW, w_OCkk, b_O, opts, g, null);
  const inputs = b_O ? [x_BCHW, w_OCkk, b_O] : [x_BCHW, w_OCkk];
  return record(y, 'conv2d', inputs, (gy) => {
    const dy = contiguous(gy);
    const grads = [
      wants(x_BCHW) ? conv2dInputGrad(dy, w_OCkk, g) : null,
      wants(w_OCkk) ? conv2dWeightGrad(dy, x_BCHW, g) : null,
      b_O && wants(b_O) ? conv2dBiasGrad(dy, g) : null,
    ];
    if (dy !== gy) dy.dispose();
    return grads.slice(0, inputs.length);
  });
}

/** groupNorm's arguments as groupNormSiluConv2d takes them (ops.groupNorm's, eps defaulting to PyTorch's 1e-5). */
export interface GroupNormArgs { groups: number; weight?: Tensor | null; bias?: Tensor | null; eps?: number }

/**
 * conv2d(silu(groupNorm(x_BCHW, ...norm)), w_OCkk, b_O, opts): the start of each half of VAR's ResnetBlock. With no
 * gradient to record, the normalised tensor is not written where the conv takes the shifted-row texture path
 * (conv/shift_tex reads x through groupNorm's per-plane coefficients and SiLU; the same values); other paths get it
 * written first, as do calls that record gradients (the two ops, as the model would call them).
 */
export function groupNormSiluConv2d(x_BCHW: Tensor, norm: GroupNormArgs, w_OCkk: Tensor, b_O: Tensor | null = null, opts: Conv2dOpts = {}): Tensor {
  const gw = norm.weight ?? null, gb = norm.bias ?? null, eps = norm.eps ?? 1e-5;
  if (needsGrad(x_BCHW, gw, gb, w_OCkk, b_O)) return conv2d(groupNormSilu(x_BCHW, norm.groups, gw, gb, eps), w_OCkk, b_O, opts);
  const op = 'groupNormSiluConv2d';
  const g = geometry(x_BCHW, w_OCkk, b_O, opts);
  const coef = groupNormCoef(op, x_BCHW, norm.groups, gw, gb, eps);
  const y = noGrad(x_BCHW.dev, () => convForward(x_BCHW, w_OCkk, b_O, opts, g, { coef, apply: (x) => applyGroupNormSilu(op, x, coef) }));
  coef.dispose();
  return y;
}

/** conv2d's forward: y for x, or (pre) for x normalised by pre's coefficients and through SiLU. */
function convForward(x_BCHW: Tensor, w_OCkk: Tensor, b_O: Tensor | null, opts: Conv2dOpts, g: Geom, pre: NormSilu | null): Tensor {
  const prep = opts.prepared ?? null;
  if (prep) checkPrepared(prep, x_BCHW, w_OCkk, b_O, g);
  const x = contiguous(x_BCHW), dev = x.dev;
  const y = empty(dev, [g.B, g.O, g.OH, g.OW], 'f32', 'conv2d');
  countConv('conv2d', x, g, x.numel + w_OCkk.numel + y.numel + (b_O ? g.O : 0));
  const b1 = b_O ? contiguous(b_O) : null;
  // The direct kernels read a tensor: pre's normalised x is written for them.
  const direct = (wp: Tensor) => {
    const xa = pre ? pre.apply(x) : x;
    launchConv('conv2d', xa, wp, b1, y, forwardLaunch(g));
    if (xa !== x) xa.dispose();
  };
  if (prep?.tex) convTex('conv2d', x, prep.tex, b1, y, g, pre);
  else if (prep?.packed) direct(prep.packed);
  else {
    const w = contiguous(w_OCkk);
    if (texOk(x, g)) convTex('conv2d', x, packWeightTex('conv2d', w, g.O, g.C, g.KH, g.KW, false), b1, y, g, pre);
    else {
      const wp = packWeights(w, g, false);
      direct(wp);
      wp.dispose();
    }
    if (w !== w_OCkk) w.dispose();
  }
  if (x !== x_BCHW) x.dispose();
  if (b1 && b1 !== b_O) b1.dispose();
  return y;
}

const wants = (t: Tensor) => t.requiresGrad || t.node !== null;

/** Multiply-adds of one convolution (forward, dx and dw alike). */
const macsOf = (g: Geom) => g.B * g.O * g.OH * g.OW * g.C * g.KH * g.KW;

/** Reports one convolution pass to the device's counter: 2·B·O·C·KH·KW·OH·OW (every tap, padding included); `elems` read + written. */
function countConv(op: string, t: Tensor, g: Geom, elems: number) {
  t.dev.counter?.op(op, 'conv', 2 * macsOf(g), 4 * elems,
    { B: g.B, C: g.C, H: g.H, W: g.W, O: g.O, KH: g.KH, KW: g.KW, S: g.S, pT: g.pT, pB: g.pB, pL: g.pL, pR: g.pR });
}

function strideAndPadding(op: string, opts: Omit<Conv2dOpts, 'prepared'>): { S: number; pad: [number, number, number, number] } {
  const S = opts.stride ?? 1;
  if (!Number.isInteger(S) || S < 1) throw new Error(`${op}: stride must be a positive integer, got ${S}`);
  const p = opts.padding ?? 0;
  const pad = (typeof p === 'number' ? [p, p, p, p] : [...p]) as [number, number, number, number];
  if (pad.length !== 4 || !pad.every((v) => Number.isInteger(v) && v >= 0)) throw new Error(`${op}: padding must be non-negative integers, got ${JSON.stringify(p)}`);
  return { S, pad };
}

function geometry(x: Tensor, w: Tensor, b: Tensor | null, opts: Conv2dOpts): Geom {
  const what = () => `x ${fmt(x.shape)}, w ${fmt(w.shape)}${b ? `, b ${fmt(b.shape)}` : ''}`;
  for (const t of b ? [x, w, b] : [x, w]) {
    t.assertLive('conv2d');
    if (t.dtype !== 'f32') throw new Error(`conv2d: expected f32 tensors, got ${t}`);
  }
  if (x.ndim !== 4) throw new Error(`conv2d: x must be [B, C, H, W], got ${what()}`);
  if (w.ndim !== 4) throw new Error(`conv2d: w must be [O, C, KH, KW], got ${what()}`);
  const [B, C, H, W] = x.shape as [number, number, number, number];
  const [O, Cw, KH, KW] = w.shape as [number, number, number, number];
  if (Cw !== C) throw new Error(`conv2d: w expects ${Cw} input channels but x has ${C} (${what()})`);
  if (b && (b.ndim !== 1 || b.shape[0] !== O)) throw new Error(`conv2d: b must be [${O}] (${what()})`);
  const { S, pad } = strideAndPadding('conv2d', opts);
  const [pT, pB, pL, pR] = pad;
  const OH = Math.floor((H + pT + pB - KH) / S) + 1, OW = Math.floor((W + pL + pR - KW) / S) + 1;
  if (OH < 1 || OW < 1 || B * C * O === 0) throw new Error(`conv2d: empty output ${fmt([B, O, OH, OW])} for ${what()} with padding ${JSON.stringify(opts.padding ?? 0)}`);
  return { B, C, H, W, O, KH, KW, S, pT, pB, pL, pR, OH, OW };
}

/** A prepared weight must be this call's w (and b), stride and padding, live, and receive no gradient. */
function checkPrepared(p: PreparedConv, x: Tensor, w: Tensor, b: Tensor | null, g: Geom): void {
  const mine = `w ${fmt(w.shape)}${b ? `, b ${fmt(b.shape)}` : ', no bias'}, stride ${g.S}, padding ${JSON.stringify([g.pT, g.pB, g.pL, g.pR])}`;
  const theirs = `w ${fmt(p.weight.shape)}${p.bias ? `, b ${fmt(p.bias.shape)}` : ', no bias'}, stride ${p.stride}, padding ${JSON.stringify(p.padding)}`;
  if (p.disposed) throw new Error(`conv2d: the prepared weight (${theirs}) was disposed`);
  if (p.weight !== w || p.bias !== b || p.stride !== g.S || p.padding.some((v, i) => v !== [g.pT, g.pB, g.pL, g.pR][i]))
    throw new Error(`conv2d: the prepared weight was made for ${theirs} (tensors ${p.weight.id}${p.bias ? `, ${p.bias.id}` : ''}), not for this call's ${mine} (tensors ${w.id}${b ? `, ${b.id}` : ''}); call prepareConv(w, b, { stride, padding }) with this call's arguments`);
  if (needsGrad(x, w, b) && (wants(w) || (b !== null && wants(b))))
    throw new Error(`conv2d: a prepared weight is for inference, but ${wants(w) ? `w ${fmt(w.shape)}` : `b ${fmt(b!.shape)}`} requires grad here; run under noGrad() or call conv2d without opts.prepared`);
}

/**
 * Whether an unprepared forward runs as an implicit GEMM on the texture matmul: the adapter has it, the work reaches
 * profile.convTextureMin multiply-adds and the output channels profile.convShiftMinOut (kernels of several taps: the
 * shifted rows, or im2col with strides or odd widths) or profile.convTextureMinOut (1×1), or the planes fold (smallPlanes) with convTextureMinSmallPlanes
 * multiply-adds and convTextureMinOut output channels; and the weight texture fits.
 */
function texOk(x: Tensor, g: Geom): boolean {
  const dev = x.dev, p = dev.profile;
  const macs = macsOf(g);
  const big = g.O >= (g.KH * g.KW > 1 ? p.convShiftMinOut : p.convTextureMinOut) && macs >= p.convTextureMin;
  // Small planes run folded on im2col (convTex); their output-channel threshold stays convTextureMinOut, as measured
  // for them, whatever the kernel size (not re-measured under the several-taps rule above).
  const folded = smallPlanes(g) && p.convTextureMin !== Infinity && g.O >= p.convTextureMinOut && macs >= p.convTextureMinSmallPlanes;
  return p.textureMatmul && (big || folded) && weightTexShape(dev, g.O, g.C, g.KH, g.KW).fits;
}

/** The direct kernels' view of the forward convolution. */
const forwardLaunch = (g: Geom): Launch => ({ Cin: g.C, H: g.H, W: g.W, O: g.O, OH: g.OH, OW: g.OW, KH: g.KH, KW: g.KW, S: g.S, D: 1, padT: g.pT, padL: g.pL });

/**
 * The kernels read weights from a uniform-buffer window of WebGPU's default maxUniformBufferBindingSize holding 32 output
 * channels by as many input channels as fit: lavapipe loads a storage buffer lane by lane with a bounds check and a
 * branch each (~14 instructions per lane), a uniform buffer as a branch-free gather, and the weight loads dominated.
 */
const OCH = 32, UBO_BYTES = 65536;

/** Input channels of a packed weight: ci padded to an even count. */
const packedIn = (ci: number) => Math.ceil(ci / 2) * 2;

/**
 * Packs w [O, C, KH, KW] as [ceil(O/32), cip, KH, KW, 32] (input channels padded to cip = packedIn(C), output channels
 * to chunks of 32, zeros in the padding), or, flipped for the input gradient, the kernel w[o, c, KH-1-ky, KW-1-kx]
 * with C and O swapped; followed by one window of slack so that every weight window lies inside the buffer.
 */
function packWeights(w: Tensor, g: Pick<Geom, 'O' | 'C' | 'KH' | 'KW'>, flip: boolean): Tensor {
  const [ci, jn] = flip ? [g.O, g.C] : [g.C, g.O], cip = packedIn(ci);
  const n = Math.ceil(jn / OCH) * cip * g.KH * g.KW * OCH;
  const wp = empty(w.dev, [n + UBO_BYTES / 4], 'f32', 'conv2d.pack');
  const rows = n / OCH, p = { rows, KH: g.KH, KW: g.KW, ci, cip, jn, wc: g.C, flip: flip ? 1 : 0 };
  w.dev.run({ kernel: 'conv/pack_weights', defines: { JCH: OCH }, bindings: [w.binding('conv2d'), wp.binding('conv2d')], params: p, workgroups: w.dev.grid(rows, 64) });
  return wp;
}

/** Largest channel count per chunk so that a chunk of `plane`-element channels fits one binding (a multiple of `mult`). */
function chunkOf(op: string, t: Tensor, plane: number, total: number, mult: number): number {
  const n = Math.floor(bindingElems(t.dev) / plane / mult) * mult;
  if (n < 1) throw new Error(`${op}: ${mult} channels of ${plane} elements do not fit one ${t.dev.maxBinding / 2 ** 20} MiB storage binding (${t})`);
  return Math.min(total, n);
}

/**
 * One direct convolution as the kernels see it: input Cin×H×W, output O×OH×OW, taps KH×KW, output stride S, input
 * dilation D (the input gradient reads dy dilated by the forward stride), top/left padding (may be negative there).
 */
interface Launch { Cin: number; H: number; W: number; O: number; OH: number; OW: number; KH: number; KW: number; S: number; D: number; padT: number; padL: number }

/**
 * The direct convolution of src [B, Cin, H, W] into dst [B, O, OH, OW] with wp = packWeights(w) (flipped for the
 * input gradient): one dispatch per (images, 32 output channels or fewer, input-channel chunk), where a chunk of input
 * channels is what one weight window and one storage binding both hold; chunks after the first accumulate into dst.
 */
function launchConv(op: string, src: Tensor, wp: Tensor, bias: Tensor | null, dst: Tensor, l: Launch) {
  const dev = src.dev, B = src.shape[0]!;
  const fast = l.KH === 3 && l.KW === 3 && l.S === 1 && l.D === 1;
  const kernel = fast ? 'conv/conv2d_3x3' : 'conv/conv2d', cols = fast ? 8 : 4;
  const hw = l.H * l.W, ohw = l.OH * l.OW, kk = l.KH * l.KW, maxElems = bindingElems(src.dev);
  // An even chunk keeps every window 256-byte aligned (kk·32·4 bytes per input channel is a multiple of 128).
  const perWindow = Math.floor(UBO_BYTES / (4 * kk * OCH) / 2) * 2;
  if (perWindow < 2) throw new Error(`${op}: a ${l.KH}×${l.KW} kernel is too large for the ${UBO_BYTES / 1024} KiB weight window`);
  const cStep = Math.min(perWindow, chunkOf(op, src, hw, l.Cin, 2));
  // Output channels per dispatch: the window's 32, or 16 or 8 of them when 32 output planes exceed a storage binding.
  const oStep = [OCH, OCH / 2, OCH / 4].find((k) => k * ohw <= maxElems);
  if (!oStep) throw new Error(`${op}: 8 output planes of ${ohw} elements exceed one ${dev.maxBinding / 2 ** 20} MiB storage binding (${dst})`);
  const cip = packedIn(l.Cin);
  const nb = src.numel <= maxElems && dst.numel <= maxElems ? B : 1;
  const pixWg = Math.ceil((l.OH * Math.ceil(l.OW / cols)) / 8);
  const [gx, gz] = dev.grid(nb * pixWg, 1);
  const wb = wp.binding(op), bb = bias ? bias.binding(op) : wb;
  for (let b = 0; b < B; b += nb) for (let o0 = 0; o0 < l.O; o0 += oStep) for (let c0 = 0; c0 < l.Cin; c0 += cStep) {
    const on = Math.min(oStep, l.O - o0), cn = Math.min(cStep, l.Cin - c0);
    const xlo = src.offset + (b * l.Cin + c0) * hw, ylo = dst.offset + (b * l.O + o0) * ohw;
    const xs = src.window(op, xlo, xlo + (nb - 1) * l.Cin * hw + cn * hw);
    const ys = dst.window(op, ylo, ylo + (nb - 1) * l.O * ohw + on * ohw);
    const ws = { buffer: wb.buffer, offset: wb.offset + (Math.floor(o0 / OCH) * cip + c0) * kk * OCH * 4, size: UBO_BYTES };
    const flags = (bias && c0 === 0 ? 1 : 0) | (c0 > 0 ? 2 : 0);
    const p = { C: cn, H: l.H, W: l.W, OH: l.OH, OW: l.OW, O: on, o0, ob0: (o0 % OCH) / 8, nb, pix_wg: pixWg, x_base: xs.base, y_base: ys.base,
      x_bstride: l.Cin * hw, y_bstride: l.O * ohw, KH: l.KH, KW: l.KW, S: l.S, D: l.D, padT: l.padT, padL: l.padL, flags };
    dev.run({ kernel, bindings: [xs.binding, ws, bb, ys.binding], params: p, workgroups: [gx, Math.ceil(on / 8), gz] });
  }
}

/**
 * The input gradient of a strided 3×3 convolution with top and left padding at most 1 (VAR's Downsample2x: stride 2,
 * padding [0, 1, 0, 1]) as a stride-1 one: with dy written every S pixels into a zero canvas the size of x from (1 − pT,
 * 1 − pL) on (`at`, an element offset within a plane), dx[c, iy, ix] = Σ_{o, ky, kx} canvas[o, iy + ky − 1, ix + kx − 1]
 * · w[o, c, 2 − ky, 2 − kx]: a 3×3 pad-1 convolution (geometry `g`), the shifted-row texture path. Null where the
 * canvas cannot hold dy or its padding would stand for rows or columns of dy (those rows then read zero).
 */
function strideCanvas(g: Geom): { g: Geom; at: number } | null {
  if (g.S === 1 || g.KH !== 3 || g.KW !== 3 || g.pT > 1 || g.pL > 1) return null;
  if ((g.OH - 1) * g.S > g.H - 2 + g.pT || (g.OW - 1) * g.S > g.W - 2 + g.pL) return null;
  return { at: (1 - g.pT) * g.W + (1 - g.pL),
    g: { B: g.B, C: g.O, H: g.H, W: g.W, O: g.C, KH: 3, KW: 3, S: 1, pT: 1, pB: 1, pL: 1, pR: 1, OH: g.H, OW: g.W } };
}

/**
 * dx = the transposed convolution of dy: a convolution with the flipped, transposed kernel, dy dilated by S. For a
 * stride-1 forward with padding below the kernel size that is a plain convolution of dy (O and C swapped, padding
 * mirrored), which runs on the texture matmul where texOk says so; the rest runs on the direct kernels.
 */
function conv2dInputGrad(dy: Tensor, w_OCkk: Tensor, g: Geom): Tensor {
  const op = 'conv2d.dx';
  const w = contiguous(w_OCkk);
  const dx = empty(dy.dev, [g.B, g.C, g.H, g.W], 'f32', op);
  countConv(op, dy, g, dy.numel + w.numel + dx.numel);
  const gt: Geom = { B: g.B, C: g.O, H: g.OH, W: g.OW, O: g.C, KH: g.KH, KW: g.KW, S: 1,
    pT: g.KH - 1 - g.pT, pB: g.KH - 1 - g.pB, pL: g.KW - 1 - g.pL, pR: g.KW - 1 - g.pR, OH: g.H, OW: g.W };
  const canvas = strideCanvas(g);
  if (g.S === 1 && [gt.pT, gt.pB, gt.pL, gt.pR].every((v) => v >= 0) && texOk(dy, gt))
    convTex(op, dy, packWeightTex(op, w, g.C, g.O, g.KH, g.KW, true), null, dx, gt);
  else if (canvas && texOk(dy, canvas.g)) {
    // dy every S pixels of a zero canvas the size of x: the transposed convolution is then a 3×3 pad-1 stride-1 one.
    const z = fill(dy.dev, [g.B, g.O, g.H, g.W], 0);
    assign(asStrided(z, [g.B, g.O, g.OH, g.OW], [g.O * g.H * g.W, g.H * g.W, g.S * g.W, g.S], z.offset + canvas.at), dy);
    convTex(op, z, packWeightTex(op, w, g.C, g.O, g.KH, g.KW, true), null, dx, canvas.g);
    z.dispose();
  } else {
    const wp = packWeights(w, g, true);
    launchConv(op, dy, wp, null, dx, { Cin: g.O, H: g.OH, W: g.OW, O: g.C, OH: g.H, OW: g.W, KH: g.KH, KW: g.KW, S: 1, D: g.S,
      padT: g.KH - 1 - g.pT, padL: g.KW - 1 - g.pL });
    wp.dispose();
  }
  if (w !== w_OCkk) w.dispose();
  return dx;
}

/**
 * dw[o, c, ky, kx] = Σ dy[b, o, oy, ox] · x[b, c, oy·S + ky − pT, ox·S + kx − pL]: on the texture matmul (one product over
 * pixels, ops/conv_tex.ts) from profile.convWeightGradTextureMin multiply-adds (small planes in a batch: from
 * convTextureMinSmallPlanes) and convWeightGradMinOut output channels, else the direct kernel, chunked over images and channels when needed.
 */
function conv2dWeightGrad(dy: Tensor, x_BCHW: Tensor, g: Geom): Tensor {
  const op = 'conv2d.dw', dev = dy.dev, p = dev.profile;
  const x = contiguous(x_BCHW);
  countConv(op, dy, g, dy.numel + x.numel + g.O * g.C * g.KH * g.KW);
  const macs = macsOf(g);
  // Small planes in a batch (smallPlanes) fold all images into one product (convWeightGradTex), hence their own threshold.
  const minMacs = smallPlanes(g) && p.convWeightGradTextureMin !== Infinity ? Math.min(p.convTextureMinSmallPlanes, p.convWeightGradTextureMin) : p.convWeightGradTextureMin;
  if (p.textureMatmul && g.O >= p.convWeightGradMinOut && macs >= minMacs && weightGradLayout(dev, g)) {
    const dw = convWeightGradTex(op, dy, x, g);
    if (x !== x_BCHW) x.dispose();
    return dw;
  }
  const dw = empty(dev, [g.O, g.C, g.KH, g.KW], 'f32', op);
  const hw = g.H * g.W, ohw = g.OH * g.OW, kk = g.KH * g.KW;
  const whole = x.numel <= bindingElems(x.dev) && dy.numel <= bindingElems(x.dev);
  const cStep = whole ? g.C : chunkOf(op, x, hw, g.C, 1), oStep = whole ? g.O : chunkOf(op, dy, ohw, g.O, 1);
  const nb = whole ? g.B : 1;
  const dwb = dw.binding(op);
  // x's window as a uniform (conv/conv2d_dw_sgu, profile.convWeightGradUniformX) where it holds at most 16,384 values:
  // one scratch for the call.
  const xElems = (nb - 1) * g.C * hw + cStep * hw, xu = p.convWeightGradUniformX && xElems <= UBO_BYTES / 4 ? empty(dev, [UBO_BYTES / 4], 'f32', op) : null;
  for (let b = 0; b < g.B; b += nb) for (let o0 = 0; o0 < g.O; o0 += oStep) for (let c0 = 0; c0 < g.C; c0 += cStep) {
    const on = Math.min(oStep, g.O - o0), cn = Math.min(cStep, g.C - c0);
    const xlo = x.offset + (b * g.C + c0) * hw, glo = dy.offset + (b * g.O + o0) * ohw;
    const xhi = xlo + (nb === 1 ? cn * hw : x.numel);
    const gs = dy.window(op, glo, glo + (nb === 1 ? on * ohw : dy.numel));
    let xb: Binding, xBase: number;
    if (xu) {
      const ub = xu.binding(op);
      dev.copy(x.storage.buffer, xlo * 4, ub.buffer, ub.offset, (xhi - xlo) * 4);
      xb = { buffer: ub.buffer, offset: ub.offset, size: UBO_BYTES }; xBase = 0;
    } else { const xs = x.window(op, xlo, xhi); xb = xs.binding; xBase = xs.base; }
    const p = { C: cn, O: on, H: g.H, W: g.W, OH: g.OH, OW: g.OW, ctot: g.C, c0, o0, nb, x_base: xBase, g_base: gs.base,
      x_bstride: g.C * hw, g_bstride: g.O * ohw, KH: g.KH, KW: g.KW, S: g.S, padT: g.pT, padL: g.pL, acc: b > 0 ? 1 : 0 };
    const kernel = xu ? 'conv/conv2d_dw_sgu' : dev.profile.subgroups8 ? 'conv/conv2d_dw_sg' : 'conv/conv2d_dw';
    dev.run({ kernel, bindings: [xb, gs.binding, dwb], params: p, workgroups: [Math.ceil((cn * kk) / 32), Math.ceil(on / 8)] });
  }
  xu?.dispose();
  if (x !== x_BCHW) x.dispose();
  return dw;
}

/** db[o] = Σ_{b, pixels} dy[b, o]. */
function conv2dBiasGrad(dy: Tensor, g: Geom): Tensor {
  const op = 'conv2d.db', dev = dy.dev, ohw = g.OH * g.OW;
  const db = empty(dev, [g.O], 'f32', op);
  dev.counter?.op(op, 'conv', 0, 4 * (dy.numel + g.O));
  const whole = dy.numel <= bindingElems(dy.dev);
  const oStep = whole ? g.O : chunkOf(op, dy, ohw, g.O, 1), nb = whole ? g.B : 1;
  const dbb = db.binding(op);
  for (let b = 0; b < g.B; b += nb) for (let o0 = 0; o0 < g.O; o0 += oStep) {
    const on = Math.min(oStep, g.O - o0);
    const glo = dy.offset + (b * g.O + o0) * ohw;
    const gs = dy.window(op, glo, glo + (nb === 1 ? on * ohw : dy.numel));
    const p = { O: on, hw: ohw, nb, g_base: gs.base, g_bstride: g.O * ohw, o0, acc: b > 0 ? 1 : 0, pad0: 0 };
    const perChannel = perRowReduction(dev, on);
    dev.run({ kernel: perChannel ? 'conv/conv2d_db_per_channel' : 'conv/conv2d_db', bindings: [gs.binding, dbb], params: p, workgroups: rowWorkgroups(dev, perChannel, on) });
  }
  return db;
}
