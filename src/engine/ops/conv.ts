// conv2d over NCHW (any kernel size and stride, zero padding incl. asymmetric), forward and backward, split over
// channel chunks for tensors above one storage binding; the forward runs on the texture matmul where the profile says.
import { Tensor, empty } from '../tensor.ts';
import { record } from '../autograd.ts';
import { fmt } from '../shape.ts';
import { contiguous } from './movement.ts';
import { TILE_M, TILE_N, packTex, runMatmulTex } from './matmul.ts';

export interface Conv2dOpts {
  stride?: number;
  /** One value for all sides, or [top, bottom, left, right] (VAR's Downsample2x: [0, 1, 0, 1]). */
  padding?: number | readonly [number, number, number, number];
}

/** Geometry of one convolution: input B×C×H×W, kernel O×C×KH×KW, stride S, padding, output B×O×OH×OW. */
interface Geom { B: number; C: number; H: number; W: number; O: number; KH: number; KW: number; S: number; pT: number; pB: number; pL: number; pR: number; OH: number; OW: number }

/**
 * y_BOhw = conv2d(x_BCHW, w_OCkk) + b_O, as torch.nn.functional.conv2d after F.pad with [top, bottom, left, right]
 * zeros (the padding is never materialised). Gradients flow to x, w and b.
 */
export function conv2d(x_BCHW: Tensor, w_OCkk: Tensor, b_O: Tensor | null = null, opts: Conv2dOpts = {}): Tensor {
  const g = geometry(x_BCHW, w_OCkk, b_O, opts);
  const x = contiguous(x_BCHW), w = contiguous(w_OCkk);
  const y = empty(x.dev, [g.B, g.O, g.OH, g.OW], 'f32', 'conv2d');
  countConv('conv2d', x, g, x.numel + w.numel + y.numel + (b_O ? g.O : 0));
  if (texOk(x, g)) convTex('conv2d', x, w, b_O, y, g);
  else launchConv('conv2d', x, w, false, g, b_O, y, { Cin: g.C, H: g.H, W: g.W, O: g.O, OH: g.OH, OW: g.OW, KH: g.KH, KW: g.KW, S: g.S, D: 1, padT: g.pT, padL: g.pL });
  if (x !== x_BCHW) x.dispose();
  if (w !== w_OCkk) w.dispose();
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

const wants = (t: Tensor) => t.requiresGrad || t.node !== null;

/** Reports one convolution pass to the device's counter: 2·B·O·C·KH·KW·OH·OW (every tap, padding included); `elems` read + written. */
function countConv(op: string, t: Tensor, g: Geom, elems: number) {
  t.dev.counter?.op(op, 'conv', 2 * g.B * g.O * g.C * g.KH * g.KW * g.OH * g.OW, 4 * elems,
    { B: g.B, C: g.C, H: g.H, W: g.W, O: g.O, KH: g.KH, KW: g.KW, S: g.S, pT: g.pT, pB: g.pB, pL: g.pL, pR: g.pR });
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
  const S = opts.stride ?? 1;
  if (!Number.isInteger(S) || S < 1) throw new Error(`conv2d: stride must be a positive integer, got ${S}`);
  const pad = opts.padding ?? 0;
  const [pT, pB, pL, pR] = typeof pad === 'number' ? [pad, pad, pad, pad] : pad;
  if (![pT, pB, pL, pR].every((v) => Number.isInteger(v) && v >= 0)) throw new Error(`conv2d: padding must be non-negative integers, got ${JSON.stringify(pad)}`);
  const OH = Math.floor((H + pT + pB - KH) / S) + 1, OW = Math.floor((W + pL + pR - KW) / S) + 1;
  if (OH < 1 || OW < 1 || B * C * O === 0) throw new Error(`conv2d: empty output ${fmt([B, O, OH, OW])} for ${what()} with padding ${JSON.stringify(pad)}`);
  return { B, C, H, W, O, KH, KW, S, pT, pB, pL, pR, OH, OW };
}

/**
 * The kernels read weights from a uniform-buffer window of WebGPU's default maxUniformBufferBindingSize holding 32 output
 * channels by as many input channels as fit: lavapipe loads a storage buffer lane by lane with a bounds check and a
 * branch each (~14 instructions per lane), a uniform buffer as a branch-free gather, and the weight loads dominated.
 */
const OCH = 32, UBO_BYTES = 65536;

/** Elements of f32 that one storage binding holds (less the alignment slack of a window). */
const bindingElems = (t: Tensor) => Math.floor((t.dev.maxBinding - 2 * t.dev.storageAlign) / 4);

/**
 * Packs w [O, C, KH, KW] as [ceil(O/32), cip, KH, KW, 32] (input channels padded to cip, output channels to chunks of
 * 32, zeros in the padding), or, flipped for the input gradient, the kernel w[o, c, KH-1-ky, KW-1-kx] with C and O
 * swapped; followed by one window of slack so that every weight window lies inside the buffer.
 */
function packWeights(w: Tensor, g: Geom, flip: boolean, cip: number): Tensor {
  const [ci, jn] = flip ? [g.O, g.C] : [g.C, g.O];
  const n = Math.ceil(jn / OCH) * cip * g.KH * g.KW * OCH;
  const wp = empty(w.dev, [n + UBO_BYTES / 4], 'f32', 'conv2d.pack');
  const p = { n, KH: g.KH, KW: g.KW, ci, cip, jn, jch: OCH, wc: g.C, flip: flip ? 1 : 0 };
  w.dev.run({ kernel: 'conv/pack_weights', bindings: [w.binding('conv2d'), wp.binding('conv2d')], params: p, workgroups: w.dev.grid(n, 64) });
  return wp;
}

/** Largest channel count per chunk so that a chunk of `plane`-element channels fits one binding (a multiple of `mult`). */
function chunkOf(op: string, t: Tensor, plane: number, total: number, mult: number): number {
  const n = Math.floor(bindingElems(t) / plane / mult) * mult;
  if (n < 1) throw new Error(`${op}: ${mult} channels of ${plane} elements do not fit one ${t.dev.maxBinding / 2 ** 20} MiB storage binding (${t})`);
  return Math.min(total, n);
}

/**
 * One direct convolution as the kernels see it: input Cin×H×W, output O×OH×OW, taps KH×KW, output stride S, input
 * dilation D (the input gradient reads dy dilated by the forward stride), top/left padding (may be negative there).
 */
interface Launch { Cin: number; H: number; W: number; O: number; OH: number; OW: number; KH: number; KW: number; S: number; D: number; padT: number; padL: number }

/**
 * The direct convolution of src [B, Cin, H, W] into dst [B, O, OH, OW] with w packed by packWeights (flipped for the
 * input gradient): one dispatch per (images, 32 output channels or fewer, input-channel chunk), where a chunk of input
 * channels is what one weight window and one storage binding both hold; chunks after the first accumulate into dst.
 */
function launchConv(op: string, src: Tensor, w: Tensor, flip: boolean, g: Geom, bias: Tensor | null, dst: Tensor, l: Launch) {
  const dev = src.dev, B = src.shape[0]!;
  const fast = l.KH === 3 && l.KW === 3 && l.S === 1 && l.D === 1;
  const kernel = fast ? 'conv/conv2d_3x3' : 'conv/conv2d', cols = fast ? 8 : 4;
  const hw = l.H * l.W, ohw = l.OH * l.OW, kk = l.KH * l.KW, maxElems = bindingElems(src);
  // An even chunk keeps every window 256-byte aligned (kk·32·4 bytes per input channel is a multiple of 128).
  const perWindow = Math.floor(UBO_BYTES / (4 * kk * OCH) / 2) * 2;
  if (perWindow < 2) throw new Error(`${op}: a ${l.KH}×${l.KW} kernel is too large for the ${UBO_BYTES / 1024} KiB weight window`);
  const cStep = Math.min(perWindow, chunkOf(op, src, hw, l.Cin, 2));
  // Output channels per dispatch: the window's 32, or 16 or 8 of them when 32 output planes exceed a storage binding.
  const oStep = [OCH, OCH / 2, OCH / 4].find((k) => k * ohw <= maxElems);
  if (!oStep) throw new Error(`${op}: 8 output planes of ${ohw} elements exceed one ${dev.maxBinding / 2 ** 20} MiB storage binding (${dst})`);
  const cip = Math.ceil(l.Cin / 2) * 2;
  const wp = packWeights(w, g, flip, cip);
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
  wp.dispose();
}

/** The 3×3, stride 1, pad 1 shapes with W a multiple of 4 that convShift takes. */
const shiftable = (g: Geom) => g.KH === 3 && g.KW === 3 && g.S === 1 && g.pT === 1 && g.pB === 1 && g.pL === 1 && g.pR === 1 && g.W % 4 === 0;

/**
 * Whether the forward convolution runs as an implicit GEMM on the texture matmul: the adapter has it, the work reaches
 * profile.convTextureMin multiply-adds and the output channels profile.convShiftMinOut (shapes convShift takes) or
 * profile.convTextureMinOut (the rest), one image of x and of y each fit a storage binding and the output channels
 * one texture (larger convolutions keep the direct kernels).
 */
function texOk(x: Tensor, g: Geom): boolean {
  const dev = x.dev, p = dev.profile, maxEl = bindingElems(x);
  return p.subgroups8 && p.storageTextures && g.O >= (shiftable(g) ? p.convShiftMinOut : p.convTextureMinOut)
    && g.B * g.O * g.OH * g.OW * g.C * g.KH * g.KW >= p.convTextureMin
    && g.C * g.H * g.W <= maxEl && g.O * g.OH * g.OW <= maxEl && Math.ceil(g.O / TILE_M) * TILE_M <= dev.maxTexture2D;
}

/** Bytes of im2col texture one dispatch may use (a share of the device's scratch-texture budget). */
const IM2COL_BYTES = 128 * 2 ** 20;
/** Texels per invocation of conv/im2col_tex (its TPI; widths are multiples of 16 texels). */
const IM2COL_TPI = 8;
/** Texels per invocation of conv/pack_wtex (its TPI). */
const PACK_WTEX_TPI = 4;

/**
 * y[b] = Wm · X̂[b] (+ bias per output channel) with Wm = w viewed as [O, C·KH·KW] (packed by matmul/pack_tex) and
 * X̂[b] the [C·KH·KW, OH·OW] im2col matrix of image b, written by conv/im2col_tex straight into matmul_tex's B
 * texture; C = y's [O, OH·OW] planes, so the output is NCHW as it stands. Split over k (chunks accumulate into y),
 * output pixels and images so that both textures stay within maxTextureDimension2D and the im2col texture within
 * IM2COL_BYTES.
 */
function convTex(op: string, x: Tensor, w: Tensor, bias: Tensor | null, y: Tensor, g: Geom): void {
  const dev = x.dev, T = dev.maxTexture2D, maxEl = bindingElems(x);
  if (convShift(op, x, w, bias, y, g)) return;
  const K = g.C * g.KH * g.KW, P = g.OH * g.OW, hw = g.H * g.W, mp = Math.ceil(g.O / TILE_M) * TILE_M;
  const kcMax = Math.min(K, Math.floor(T / 4) * 4), rowsMax = 4 * Math.ceil(kcMax / 4);
  const pcMax = Math.max(TILE_N, Math.min(Math.ceil(P / TILE_N) * TILE_N, Math.floor((4 * T) / TILE_N) * TILE_N,
    Math.floor(IM2COL_BYTES / (4 * rowsMax) / TILE_N) * TILE_N));
  const whole = pcMax >= P;
  const nb = !whole ? 1 : Math.max(1, Math.min(g.B, Math.floor(T / rowsMax), Math.floor(IM2COL_BYTES / (4 * rowsMax * Math.ceil(P / TILE_N) * TILE_N)),
    Math.floor(maxEl / (g.C * hw)), Math.floor(maxEl / (g.O * P)), dev.maxWorkgroups));
  const texA = dev.scratchTexture('conv.w', Math.ceil(kcMax / 4), mp);
  const texB = dev.scratchTexture('conv.x', Math.min(pcMax, Math.ceil(P / TILE_N) * TILE_N) / 4, nb * rowsMax);
  const b1 = bias ? contiguous(bias) : null;
  for (let k0 = 0; k0 < K; k0 += kcMax) {
    const kc = Math.min(kcMax, K - k0), kq = Math.ceil(kc / 4);
    const wlo = w.offset + k0;
    const ws = w.window(op, wlo, wlo + (g.O - 1) * K + kc);
    packTex(dev, ws, texA, g.O, kc, K, 1, mp, kq);
    for (let b0 = 0; b0 < g.B; b0 += nb) for (let n0 = 0; n0 < P; n0 += pcMax) {
      const bn = Math.min(nb, g.B - b0), nc = Math.min(pcMax, P - n0), width = Math.ceil(nc / TILE_N) * (TILE_N / 4);
      const xlo = x.offset + b0 * g.C * hw, xs = x.window(op, xlo, xlo + bn * g.C * hw);
      dev.run({
        kernel: 'conv/im2col_tex', bindings: [xs.binding, texB],
        params: { C: g.C, H: g.H, W: g.W, OW: g.OW, KH: g.KH, KW: g.KW, S: g.S, padT: g.pT, padL: g.pL, k0, kc, n0, nc,
          base: xs.base, bstride: g.C * hw, rows_p: 4 * kq, width, height: bn * 4 * kq, pad0: 0, pad1: 0 },
        workgroups: [Math.ceil(width / (8 * IM2COL_TPI)), Math.ceil((bn * 4 * kq) / 8)],
      });
      const ylo = y.offset + b0 * g.O * P + n0, ys = y.window(op, ylo, ylo + (bn - 1) * g.O * P + (g.O - 1) * P + nc);
      const wbias = b1 && k0 === 0 ? b1.window(op, b1.offset, b1.offset + g.O) : null;
      runMatmulTex(dev, { texA, texB, m: g.O, n: nc, kq, mp, c: ys, cRs: P, bias: wbias, biasPerRow: true, dummy: ws.binding, accumulate: k0 > 0,
        bshape: [bn], aBs: [0], bBs: [4 * kq], cBs: [g.O * P] });
    }
  }
  if (b1 && b1 !== bias) b1.dispose();
}

/**
 * The 3×3, stride 1, pad 1 case with W a multiple of 4, a third of im2col's texels: conv/shift_tex stores each channel's
 * zero-padded rows once per column shift kx (rows (c, kx)), conv/pack_wtex the weight with k = (ky, c, kx) in 3
 * blocks, and matmul_tex reads block ky from the same rows shifted by ky image rows (kpb/xstep). False (nothing run)
 * where the shape does not qualify, the textures would exceed maxTextureDimension2D or one image's texture
 * IM2COL_BYTES (the im2col layout splits pixels); batch items are chunked.
 */
function convShift(op: string, x: Tensor, w: Tensor, bias: Tensor | null, y: Tensor, g: Geom, flip = false): boolean {
  const dev = x.dev, T = dev.maxTexture2D, maxEl = bindingElems(x);
  if (!shiftable(g)) return false;
  const P = g.OH * g.OW, hw = g.H * g.W, kpb = Math.ceil((3 * g.C) / 4), rows = 4 * kpb, mp = Math.ceil(g.O / TILE_M) * TILE_M;
  const width = Math.ceil(P / TILE_N) * (TILE_N / 4) + g.W / 2;
  if (rows > T || 3 * kpb > T || width > T || 16 * width * rows > IM2COL_BYTES) return false;
  const nb = Math.max(1, Math.min(g.B, Math.floor(T / rows), Math.floor(IM2COL_BYTES / (16 * width * rows)), Math.floor(maxEl / (g.C * hw)),
    Math.floor(maxEl / (g.O * P)), dev.maxWorkgroups));
  const texA = dev.scratchTexture('conv.w', 3 * kpb, mp), texB = dev.scratchTexture('conv.x', width, nb * rows);
  const ws = w.window(op, w.offset, w.offset + w.numel);
  dev.run({ kernel: 'conv/pack_wtex', bindings: [ws.binding, texA], params: { O: g.O, C: g.C, kpb, base: ws.base, width: 3 * kpb, height: mp, flip: flip ? 1 : 0, pad0: 0 },
    workgroups: [Math.ceil((3 * kpb) / (8 * PACK_WTEX_TPI)), mp / 8] });
  const b1 = bias ? contiguous(bias) : null;
  for (let b0 = 0; b0 < g.B; b0 += nb) {
    const bn = Math.min(nb, g.B - b0);
    const xlo = x.offset + b0 * g.C * hw, xs = x.window(op, xlo, xlo + bn * g.C * hw);
    dev.run({ kernel: 'conv/shift_tex', bindings: [xs.binding, texB],
      params: { C: g.C, H: g.H, W: g.W, base: xs.base, bstride: g.C * hw, rows_p: rows, width, height: bn * rows },
      workgroups: [Math.ceil(width / (8 * IM2COL_TPI)), Math.ceil((bn * rows) / 8)] });
    const ylo = y.offset + b0 * g.O * P, ys = y.window(op, ylo, ylo + bn * g.O * P);
    const wbias = b1 ? b1.window(op, b1.offset, b1.offset + g.O) : null;
    runMatmulTex(dev, { texA, texB, m: g.O, n: P, kq: 3 * kpb, mp, c: ys, cRs: P, bias: wbias, biasPerRow: true, dummy: ws.binding, accumulate: false,
      bshape: [bn], aBs: [0], bBs: [rows], cBs: [g.O * P], kpb, xstep: g.W / 4 });
  }
  if (b1 && b1 !== bias) b1.dispose();
  return true;
}

/**
 * dx = the transposed convolution of dy: a convolution with the flipped, transposed kernel, dy dilated by S; on the
 * texture matmul (shifted rows) where the forward was 3×3 stride 1 pad 1 and the profile allows, else direct.
 */
function conv2dInputGrad(dy: Tensor, w_OCkk: Tensor, g: Geom): Tensor {
  const w = contiguous(w_OCkk);
  const dx = empty(dy.dev, [g.B, g.C, g.H, g.W], 'f32', 'conv2d.dx');
  countConv('conv2d.dx', dy, g, dy.numel + w.numel + dx.numel);
  // For a 3×3 stride-1 pad-1 forward, dx is the same kind of convolution of dy (O and C swapped, kernel flipped).
  const gt: Geom = { ...g, C: g.O, H: g.OH, W: g.OW, O: g.C, OH: g.H, OW: g.W };
  if (!(shiftable(g) && texOk(dy, gt) && convShift('conv2d.dx', dy, w, null, dx, gt, true)))
    launchConv('conv2d.dx', dy, w, true, g, null, dx, { Cin: g.O, H: g.OH, W: g.OW, O: g.C, OH: g.H, OW: g.W, KH: g.KH, KW: g.KW, S: 1, D: g.S,
      padT: g.KH - 1 - g.pT, padL: g.KW - 1 - g.pL });
  if (w !== w_OCkk) w.dispose();
  return dx;
}

/** dw[o, c, ky, kx] = Σ dy[b, o, oy, ox] · x[b, c, oy·S + ky − pT, ox·S + kx − pL], chunked over images and channels when needed. */
function conv2dWeightGrad(dy: Tensor, x_BCHW: Tensor, g: Geom): Tensor {
  const op = 'conv2d.dw', dev = dy.dev;
  const x = contiguous(x_BCHW);
  const dw = empty(dev, [g.O, g.C, g.KH, g.KW], 'f32', op);
  countConv(op, dy, g, dy.numel + x.numel + dw.numel);
  const hw = g.H * g.W, ohw = g.OH * g.OW, kk = g.KH * g.KW;
  const whole = x.numel <= bindingElems(x) && dy.numel <= bindingElems(x);
  const cStep = whole ? g.C : chunkOf(op, x, hw, g.C, 1), oStep = whole ? g.O : chunkOf(op, dy, ohw, g.O, 1);
  const nb = whole ? g.B : 1;
  const dwb = dw.binding(op);
  for (let b = 0; b < g.B; b += nb) for (let o0 = 0; o0 < g.O; o0 += oStep) for (let c0 = 0; c0 < g.C; c0 += cStep) {
    const on = Math.min(oStep, g.O - o0), cn = Math.min(cStep, g.C - c0);
    const xlo = x.offset + (b * g.C + c0) * hw, glo = dy.offset + (b * g.O + o0) * ohw;
    const xs = x.window(op, xlo, xlo + (nb === 1 ? cn * hw : x.numel));
    const gs = dy.window(op, glo, glo + (nb === 1 ? on * ohw : dy.numel));
    const p = { C: cn, O: on, H: g.H, W: g.W, OH: g.OH, OW: g.OW, ctot: g.C, c0, o0, nb, x_base: xs.base, g_base: gs.base,
      x_bstride: g.C * hw, g_bstride: g.O * ohw, KH: g.KH, KW: g.KW, S: g.S, padT: g.pT, padL: g.pL, acc: b > 0 ? 1 : 0 };
    dev.run({ kernel: 'conv/conv2d_dw', bindings: [xs.binding, gs.binding, dwb], params: p, workgroups: [Math.ceil((cn * kk) / 32), Math.ceil(on / 8)] });
  }
  if (x !== x_BCHW) x.dispose();
  return dw;
}

/** db[o] = Σ_{b, pixels} dy[b, o]. */
function conv2dBiasGrad(dy: Tensor, g: Geom): Tensor {
  const op = 'conv2d.db', dev = dy.dev, ohw = g.OH * g.OW;
  const db = empty(dev, [g.O], 'f32', op);
  dev.counter?.op(op, 'conv', 0, 4 * (dy.numel + g.O));
  const whole = dy.numel <= bindingElems(dy);
  const oStep = whole ? g.O : chunkOf(op, dy, ohw, g.O, 1), nb = whole ? g.B : 1;
  const dbb = db.binding(op);
  for (let b = 0; b < g.B; b += nb) for (let o0 = 0; o0 < g.O; o0 += oStep) {
    const on = Math.min(oStep, g.O - o0);
    const glo = dy.offset + (b * g.O + o0) * ohw;
    const gs = dy.window(op, glo, glo + (nb === 1 ? on * ohw : dy.numel));
    const p = { O: on, hw: ohw, nb, g_base: gs.base, g_bstride: g.O * ohw, o0, acc: b > 0 ? 1 : 0, pad0: 0 };
    dev.run({ kernel: 'conv/conv2d_db', bindings: [gs.binding, dbb], params: p, workgroups: dev.grid(on, 1) });
  }
  return db;
}
