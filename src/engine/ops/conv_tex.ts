// conv2d on the texture matmul: the weight as matmul_tex's A texture in (ky, c, kx) blocks (conv/pack_wtex), the
// input's patches as its B texture (conv/shift_tex for 3×3 stride-1 pad-1 with W % 4 = 0, conv/im2col_tex otherwise),
// split over images, output rows or pixels, k, input-channel windows and output-channel windows so that every
// texture fits maxTextureDimension2D and every tensor window one storage binding.
import { type Tensor, empty } from '../tensor.ts';
import type { Binding, Device, TextureBinding } from '../runtime/device.ts';
import { TILE_M, TILE_N, type TiledB, bTextureSize, packB, runMatmulTex, tiledSteps } from './matmul.ts';
import { contiguous, permute, reshape, slice } from './movement.ts';
import { fillTexture } from './stage_tex.ts';

/** Geometry of one convolution: input B×C×H×W, kernel O×C×KH×KW, stride S, padding, output B×O×OH×OW. */
export interface Geom { B: number; C: number; H: number; W: number; O: number; KH: number; KW: number; S: number; pT: number; pB: number; pL: number; pR: number; OH: number; OW: number }

/** Elements of f32 that one storage binding holds (less the alignment slack of a window). */
export const bindingElems = (dev: Device) => Math.floor((dev.maxBinding - 2 * dev.storageAlign) / 4);

/** Bytes of B texture one dispatch may use (a share of the device's scratch-texture budget). */
const IM2COL_BYTES = 128 * 2 ** 20;
/** Texels per invocation of conv/im2col_tex and conv/shift_tex (their TPI; widths are multiples of 16 texels). */
const IM2COL_TPI = 8;
/** Texels per invocation of conv/pack_wtex (its TPI). */
const PACK_WTEX_TPI = 4;

/** The 3×3, stride 1, pad 1 kernels that the shifted-row layout takes (with W % 4 = 0). */
export const shiftKernel = (g: Pick<Geom, 'KH' | 'KW' | 'S' | 'pT' | 'pB' | 'pL' | 'pR'>) =>
  g.KH === 3 && g.KW === 3 && g.S === 1 && g.pT === 1 && g.pB === 1 && g.pL === 1 && g.pR === 1;

/**
 * A weight as matmul_tex's A operand (conv/pack_wtex): row m = output channel, texel ky·kpb + t = the 4 values
 * w[m, c, ky, kx] with c·KW + kx in 4t .. 4t + 3; rows padded to whole 32-row tiles.
 */
export interface WeightTex { tex: TextureBinding; O: number; C: number; KH: number; KW: number; kpb: number; width: number; rows: number }

/** The A texture's size for an O×C×KH×KW weight, and whether it fits maxTextureDimension2D. */
export function weightTexShape(dev: Device, O: number, C: number, KH: number, KW: number) {
  const kpb = Math.ceil((KW * C) / 4), width = KH * kpb, rows = Math.ceil(O / TILE_M) * TILE_M;
  return { kpb, width, rows, fits: width <= dev.maxTexture2D && rows <= dev.maxTexture2D };
}

/**
 * Packs w into `tex` (from dev.createTexture, or a scratch slot): the forward weight [O, C, KH, KW], or with flip the
 * input gradient's kernel of a forward weight [C, O, KH, KW] (transposed, rotated by 180°).
 */
export function packWeightTex(op: string, w: Tensor, O: number, C: number, KH: number, KW: number, flip: boolean, tex?: TextureBinding): WeightTex {
  const dev = w.dev, s = weightTexShape(dev, O, C, KH, KW);
  if (!s.fits) throw new RangeError(`${op}: a [${O}, ${C}, ${KH}, ${KW}] weight needs a ${s.width} × ${s.rows} texture, above maxTextureDimension2D ${dev.maxTexture2D}`);
  const t = tex ?? dev.scratchTexture('conv.w', s.width, s.rows);
  const ws = w.window(op, w.offset, w.offset + w.numel);
  const p = { O, C, KH, KW, kpb: s.kpb, base: ws.base, width: s.width, flip: flip ? 1 : 0 };
  fillTexture(op, dev, t, s.width, s.rows, (dst, y0, y1, pitch) => dev.run({ kernel: 'conv/pack_wtex', bindings: [ws.binding, dst],
    params: { ...p, height: y1, y0, pitch, pad0: 0 }, workgroups: [Math.ceil(s.width / (8 * PACK_WTEX_TPI)), Math.ceil((y1 - y0) / 8)] }));
  return { tex: t, O, C, KH, KW, kpb: s.kpb, width: s.width, rows: s.rows };
}

/**
 * Output channels per matmul dispatch so that the y window of `nc` pixels of each of them (planes of P) fits one
 * binding: all O, else whole 32-row tiles, else fewer.
 */
function outStep(op: string, dev: Device, y: Tensor, O: number, P: number, nc: number): number {
  const n = Math.floor((bindingElems(dev) - nc) / P) + 1;
  if (n >= O) return O;
  if (n < 1) throw new Error(`${op}: one output plane of ${P} elements exceeds a ${dev.maxBinding / 2 ** 20} MiB storage binding (${y})`);
  return n >= TILE_M ? Math.floor(n / TILE_M) * TILE_M : n;
}

/** Input channels per window of one image (planes of hw elements) within one binding. */
function inStep(op: string, dev: Device, x: Tensor, C: number, hw: number): number {
  const n = Math.floor(bindingElems(dev) / hw);
  if (n < 1) throw new Error(`${op}: one input plane of ${hw} elements exceeds a ${dev.maxBinding / 2 ** 20} MiB storage binding (${x})`);
  return Math.min(C, n);
}

/**
 * The matmuls of one B texture: per output-channel step, A rows o0.. of the weight texture, C = y's window. `dummy`
 * fills the bias slot when there is none (a buffer other than y's).
 */
function products(op: string, A: WeightTex, texB: TextureBinding, bias: Tensor | null, y: Tensor, g: Geom, dummy: Binding,
  at: { b0: number; bn: number; n0: number; nc: number; kq: number; aX0: number; rowsB: number; accumulate: boolean; kpb?: number; xstep?: number; bTiled?: TiledB; fold?: boolean }): void {
  const dev = y.dev, P = g.OH * g.OW, oStep = at.bn > 1 ? g.O : outStep(op, dev, y, g.O, P, at.nc);
  for (let o0 = 0; o0 < g.O; o0 += oStep) {
    const on = Math.min(oStep, g.O - o0);
    const ylo = y.offset + at.b0 * g.O * P + o0 * P + at.n0, ys = y.window(op, ylo, ylo + (at.bn - 1) * g.O * P + (on - 1) * P + at.nc);
    const wb = bias && !at.accumulate ? bias.window(op, bias.offset + o0, bias.offset + o0 + on) : null;
    // fold: the bn images side by side along the columns (one product of bn·nc columns) instead of a batch of bn.
    const batch = at.fold ? { n: at.bn * at.nc, bshape: [], aBs: [], bBs: [], cBs: [], fold: { p: P, bs: g.O * P } }
      : { n: at.nc, bshape: [at.bn], aBs: [0], bBs: [at.rowsB], cBs: [g.O * P] };
    runMatmulTex(dev, { texA: A.tex, texB, m: on, kq: at.kq, mp: Math.ceil(on / TILE_M) * TILE_M, c: ys, cRs: P, bias: wb, biasPerRow: true,
      dummy, accumulate: at.accumulate, ...batch, kpb: at.kpb, xstep: at.xstep, bTiled: at.bTiled, aY0: o0, aX0: at.aX0 });
  }
}

/** An input-channel window of x: its binding and the element offset of its first element. */
export type Window = { binding: Binding; base: number };
/** The rows one patch dispatch writes into the staging (texture rows y0 .. height − 1, pitch texels each), and its grid. */
export type StagedRows = { height: number; y0: number; pitch: number; workgroups: [number, number] };

/**
 * Writes rows [0, height) × texels [0, width) of a patch texture (conv/shift_tex or conv/im2col_tex) from input-channel
 * windows of cStep channels: `bind(c0, cn)` binds channels c0 .. c0 + cn − 1, `dispatch` runs the kernel for them into dst.
 * Through a staging buffer and copyBufferToTexture (fillTexture): every window's dispatch per chunk of rows.
 */
function fillWindows(op: string, dev: Device, tex: TextureBinding, width: number, height: number, C: number, cStep: number,
  bind: (c0: number, cn: number) => Window, dispatch: (xs: Window, c0: number, cn: number, dst: Binding, r: StagedRows) => void): void {
  const windows: { c0: number; cn: number; xs: Window }[] = [];
  for (let c0 = 0; c0 < C; c0 += cStep) { const cn = Math.min(cStep, C - c0); windows.push({ c0, cn, xs: bind(c0, cn) }); }
  const gx = Math.ceil(width / (8 * IM2COL_TPI));
  fillTexture(op, dev, tex, width, height, (dst, y0, y1, pitch) => {
    for (const { c0, cn, xs } of windows) dispatch(xs, c0, cn, dst, { height: y1, y0, pitch, workgroups: [gx, Math.ceil((y1 - y0) / 8)] });
  });
}

/** The layout of one conv/shift_tex dispatch (its header): planes, rows, the column tiles (q > 0) and its channels. */
export type ShiftLayout = { C: number; H: number; W: number; rows_p: number; width: number; row0: number; c_lo: number; c_hi: number; q: number; rb: number; ts: number; tstride: number };

/** conv/shift_tex's PRE: x read through groupNorm's per-plane coefficients (coef, plane index base + image·C + channel) and SiLU. */
export type ShiftPre = { coef: Binding; base: number };

/**
 * conv/shift_tex for channels c_lo .. c_hi − 1 of window xs into the staged rows r: one invocation per run of TPI
 * columns of a channel's three rows, over the images (row-major) or stored tiles (q > 0) that rows r.y0 .. r.height − 1
 * touch, and the padding rows' triples with the last window.
 */
export function runShift(dev: Device, xs: Window, dst: Binding, r: StagedRows, l: ShiftLayout, pre?: ShiftPre): void {
  const group = l.q ? l.ts : l.rows_p, rowsPer = l.q ? 4 * l.q * l.rb : l.rows_p;
  const tn = l.c_hi - l.c_lo + (l.c_hi === l.C ? Math.ceil((rowsPer - 3 * l.C) / 3) : 0);
  const g0 = Math.floor(r.y0 / group), groups = Math.ceil(r.height / group) - g0, nimg = l.q ? l.ts / l.rb : 0;
  const runsX = l.q ? groups * (16 / IM2COL_TPI) : Math.ceil(l.width / IM2COL_TPI), runsY = (l.q ? nimg : groups) * tn;
  dev.run({ kernel: 'conv/shift_tex', defines: { PRE: String(!!pre) }, bindings: [xs.binding, dst, pre?.coef ?? xs.binding],
    workgroups: [Math.ceil(runsX / 8), Math.ceil(runsY / 8)],
    params: { ...l, base: xs.base, bstride: l.C * l.H * l.W, height: r.height, y0: r.y0, pitch: r.pitch, tn, g0, nimg, coef_base: pre?.base ?? 0 } });
}

/** The layout of one conv/im2col_tex dispatch (its header): FOLD, the k rows and pixels it writes, rows per image. */
export type Im2colLayout = { fold: boolean; rpb: number; k0: number; kc: number; n0: number; nc: number; rows_p: number; width: number };

/** conv/im2col_tex for channels c0 .. c0 + cn − 1 of window xs into the staged rows r. */
function runIm2col(dev: Device, g: Geom, xs: Window, c0: number, cn: number, dst: Binding, r: StagedRows, l: Im2colLayout): void {
  const { fold, ...rest } = l;
  dev.run({ kernel: 'conv/im2col_tex', defines: { FOLD: String(fold) }, bindings: [xs.binding, dst], workgroups: r.workgroups,
    params: { C: g.C, H: g.H, W: g.W, OW: g.OW, KH: g.KH, KW: g.KW, S: g.S, padT: g.pT, padL: g.pL, ...rest,
      base: xs.base, bstride: g.C * g.H * g.W, height: r.height, c_lo: c0, c_hi: c0 + cn, y0: r.y0, pitch: r.pitch, P: g.OH * g.OW } });
}

/**
 * y = conv2d(x, w) (+ bias) with w packed in A: the shifted-row layout where the shape allows it, else im2col (also
 * for several images with planes smaller than a column tile, which im2col folds into shared tiles).
 * x and y are contiguous; bias contiguous or null.
 */
export function convTex(op: string, x: Tensor, A: WeightTex, bias: Tensor | null, y: Tensor, g: Geom, pre: NormSilu | null = null): void {
  if (!smallPlanes(g) && shiftKernel(g) && g.W % 4 === 0 && convShift(op, x, A, bias, y, g, pre?.coef ?? null)) return;
  const xa = pre ? pre.apply(x) : x;
  convIm2col(op, xa, A, bias, y, g);
  if (xa !== x) xa.dispose();
}

/**
 * The input's silu(groupNorm(x)) left unwritten (ops/conv.ts groupNormSiluConv2d): coef = groupNorm's per-plane
 * coefficients [B·C·4], which conv/shift_tex applies as it reads x; apply(x) writes the normalised tensor for the paths
 * that read a tensor.
 */
export interface NormSilu { coef: Tensor; apply: (x: Tensor) => Tensor }

/** Several images whose output planes are smaller than a column tile: im2col puts them side by side in shared tiles. */
export const smallPlanes = (g: Geom) => g.B > 1 && g.OH * g.OW < TILE_N;

/**
 * The 3×3, stride 1, pad 1 case with W a multiple of 4, a third of im2col's texels: conv/shift_tex stores each
 * channel's zero-padded rows once per column shift kx (rows (c, kx)), and matmul_tex reads k block ky (A's texels
 * ky·kpb ..) from those same rows of B shifted by ky image rows: row-major (kpb/xstep), or in column tiles where W is
 * a multiple of 32 (bTiled.blocks; a shift of whole tiles, read front to back in memory: 1.1–1.2× on W ≥ 64). Split over chunks of output rows (the texture's width and bytes), input
 * channels (x windows) and output channels (y windows); whole images per dispatch where everything fits. False
 * (nothing run) where the texture rows would exceed maxTextureDimension2D.
 */
function convShift(op: string, x: Tensor, A: WeightTex, bias: Tensor | null, y: Tensor, g: Geom, coef: Tensor | null): boolean {
  const dev = x.dev, T = dev.maxTexture2D, maxEl = bindingElems(dev), kpb = A.kpb, rows = 4 * kpb, hw = g.H * g.W, P = g.OH * g.OW;
  if (rows > T) return false;
  const widthOf = (R: number) => Math.ceil((R * g.W) / TILE_N) * (TILE_N / 4) + g.W / 2;
  const maxWidth = Math.min(T, Math.floor(IM2COL_BYTES / (16 * rows)));
  let rMax = Math.floor((Math.floor((maxWidth - g.W / 2) / (TILE_N / 4)) * TILE_N) / g.W);
  if (rMax < 1) return false;
  rMax = Math.min(rMax, g.OH);
  const chunks = Math.ceil(g.OH / rMax), R = Math.ceil(g.OH / chunks), width = widthOf(R);
  const nb = chunks > 1 ? 1 : Math.max(1, Math.min(g.B, Math.floor(T / rows), Math.floor(IM2COL_BYTES / (16 * width * rows)),
    Math.floor(maxEl / (g.C * hw)), Math.floor(maxEl / (g.O * P)), dev.maxWorkgroups));
  const cStep = nb > 1 ? g.C : inStep(op, dev, x, g.C, hw);
  // B in column tiles (matmul_tex's B_TILED with blocks) where W is a multiple of 32: 64-pixel tiles stored every
  // `stride` = gcd(W, 64) pixels (overlapping, each pixel twice, where W = 32 mod 64), so that block ky of the
  // workgroup at pixel 64·X reads the stored tile X·64 / stride + ky·W / stride; each tile's kpb steps front to back,
  // q per texture row (Rb rows per image). Smaller strides would store each pixel 4 times or more for no measured gain.
  const stride = g.W % 64 === 0 ? 64 : g.W % 32 === 0 ? 32 : 0;
  const tilesOf = (rn: number) => (Math.ceil((rn * g.W) / TILE_N) - 1) * (TILE_N / stride) + (2 * g.W) / stride + 1;
  const nbT = stride ? Math.min(nb, Math.floor(IM2COL_BYTES / (16 * tilesOf(R) * (TILE_N / 4) * rows))) : 0;
  const q = nbT ? tiledSteps(T, tilesOf(R), nbT, kpb) : 0, Rb = q ? Math.ceil(kpb / q) : 0, step = q ? nbT : nb;
  const texB = q ? dev.scratchTexture('conv.xt', TILE_N * q, tilesOf(R) * nbT * Rb) : dev.scratchTexture('conv.x', width, nb * rows);
  for (let b0 = 0; b0 < g.B; b0 += step) for (let r0 = 0; r0 < g.OH; r0 += R) {
    const bn = Math.min(step, g.B - b0), rn = Math.min(R, g.OH - r0), wd = widthOf(rn), ts = bn * Rb;
    let dummy: Binding | null = null;
    fillWindows(op, dev, texB, q ? TILE_N * q : wd, q ? tilesOf(rn) * ts : bn * rows, g.C, cStep, (c0, cn) => {
      const xlo = x.offset + (b0 * g.C + c0) * hw, xs = x.window(op, xlo, xlo + (bn - 1) * g.C * hw + cn * hw);
      dummy = xs.binding;
      return xs;
    }, (xs, c0, cn, dst, r) => runShift(dev, xs, dst, r, { C: g.C, H: g.H, W: g.W, rows_p: rows, width: q ? TILE_N * q : wd, row0: r0, c_lo: c0,
      c_hi: c0 + cn, q, rb: Rb, ts, tstride: stride / 4 }, coef ? { coef: coef.binding(op), base: b0 * g.C } : undefined));
    const at = { b0, bn, n0: r0 * g.W, nc: rn * g.W, kq: 3 * kpb, aX0: 0, accumulate: false };
    if (q) products(op, A, texB, bias, y, g, dummy!, { ...at, rowsB: Rb, bTiled: { q, ts: ts * (TILE_N / stride), blocks: { steps: kpb, shift: ts * (g.W / stride) } } });
    else products(op, A, texB, bias, y, g, dummy!, { ...at, rowsB: rows, kpb, xstep: g.W / 4 });
  }
  return true;
}

/**
 * Any kernel size, stride and padding: conv/im2col_tex writes the [KH·rpb, pixels] patch matrix in A's blocked k
 * order; split over k (chunks accumulate into y), output pixels and images so that both textures stay within
 * maxTextureDimension2D and the B texture within IM2COL_BYTES, over input channels (x windows) and output channels
 * (y windows).
 */
function convIm2col(op: string, x: Tensor, A: WeightTex, bias: Tensor | null, y: Tensor, g: Geom): void {
  const dev = x.dev, T = dev.maxTexture2D, maxEl = bindingElems(dev), hw = g.H * g.W, P = g.OH * g.OW, rpb = 4 * A.kpb, K = g.KH * rpb;
  const kcMax = Math.min(K, Math.floor(T / 4) * 4);
  const pcMax = Math.max(TILE_N, Math.min(Math.ceil(P / TILE_N) * TILE_N, Math.floor((4 * T) / TILE_N) * TILE_N,
    Math.floor(IM2COL_BYTES / (4 * kcMax) / TILE_N) * TILE_N));
  const nb = pcMax < P ? 1 : Math.max(1, Math.min(g.B, Math.floor(T / kcMax), Math.floor(IM2COL_BYTES / (4 * kcMax * Math.ceil(P / TILE_N) * TILE_N)),
    Math.floor(maxEl / (g.C * hw)), Math.floor(maxEl / (g.O * P)), dev.maxWorkgroups));
  const cStep = nb > 1 ? g.C : inStep(op, dev, x, g.C, hw);
  // Small planes (smallPlanes): the images side by side along the columns (im2col_tex and matmul_tex FOLD), not one
  // tile each, which would be mostly padding.
  const fold = smallPlanes(g) && nb > 1;
  const texB = fold ? dev.scratchTexture('conv.x', Math.ceil((nb * P) / TILE_N) * (TILE_N / 4), kcMax)
    : dev.scratchTexture('conv.x', Math.min(pcMax, Math.ceil(P / TILE_N) * TILE_N) / 4, nb * kcMax);
  for (let k0 = 0; k0 < K; k0 += kcMax) {
    const kc = Math.min(kcMax, K - k0);
    for (let b0 = 0; b0 < g.B; b0 += nb) for (let n0 = 0; n0 < P; n0 += pcMax) {
      const bn = Math.min(nb, g.B - b0), nc = Math.min(pcMax, P - n0), cols = fold ? bn * P : nc, width = Math.ceil(cols / TILE_N) * (TILE_N / 4);
      let dummy: Binding | null = null;
      fillWindows(op, dev, texB, width, fold ? kc : bn * kc, g.C, cStep, (c0, cn) => {
        const xlo = x.offset + (b0 * g.C + c0) * hw, xs = x.window(op, xlo, xlo + (bn - 1) * g.C * hw + cn * hw);
        dummy = xs.binding;
        return xs;
      }, (xs, c0, cn, dst, r) => runIm2col(dev, g, xs, c0, cn, dst, r, { fold, rpb, k0, kc, n0, nc: cols, rows_p: kc, width }));
      products(op, A, texB, bias, y, g, dummy!, { b0, bn, n0, nc, kq: kc / 4, aX0: k0 / 4, rowsB: kc, accumulate: k0 > 0, fold });
    }
  }
}

/**
 * How dW lays out A (its rows (ky, c, kx) in KH blocks of rpb): the shifted rows of conv/shift_tex for 3×3 stride 1
 * pad 1 with W % 4 = 0 (rpb = 3·C padded to whole 32-row tiles, so that no tile straddles two shifts; the texture
 * holds one block), else im2col (rpb = KW·C padded to 4; the texture holds all KH blocks); null where A's texture
 * would exceed maxTextureDimension2D. Small planes (smallPlanes) take im2col, whose FOLD puts all images along k.
 */
export function weightGradLayout(dev: Device, g: Geom): { shift: boolean; rpb: number; K: number; mp: number; aRows: number } | null {
  const T = dev.maxTexture2D;
  const shift = !smallPlanes(g) && shiftKernel(g) && g.W % 4 === 0 && g.W <= T / 2 && Math.ceil((3 * g.C) / TILE_M) * TILE_M <= T;
  const rpb = shift ? Math.ceil((3 * g.C) / TILE_M) * TILE_M : 4 * Math.ceil((g.KW * g.C) / 4), K = g.KH * rpb, mp = Math.ceil(K / TILE_M) * TILE_M;
  const aRows = shift ? rpb : mp;
  return aRows <= T ? { shift, rpb, K, mp, aRows } : null;
}

/**
 * dw[o, c, ky, kx] = Σ_{b, pixels} dy[b, o, p] · X̂[b, (ky, c, kx), p] as one product on the texture matmul with k =
 * pixels: A = X̂ (rows (ky, c, kx) in blocks, texels along pixels), B = dyᵀ (rows = pixels, columns = output
 * channels; column-tiled by packTiledB where it fits), C = dwᵀ [KH · rows per block, O], accumulated over images and pixel chunks, then unblocked
 * to [O, C, KH, KW]. A is conv/shift_tex's texture (each block ky reads the same 3·C rows shifted by ky image rows, a
 * third of im2col's texels) or conv/im2col_tex's (weightGradLayout). x and dy contiguous.
 */
export function convWeightGradTex(op: string, dy: Tensor, x: Tensor, g: Geom): Tensor {
  const dev = x.dev, T = dev.maxTexture2D, P = g.OH * g.OW, lay = weightGradLayout(dev, g);
  if (!lay) throw new RangeError(`${op}: the patch matrix of w [${g.O}, ${g.C}, ${g.KH}, ${g.KW}] needs more rows than maxTextureDimension2D ${T}`);
  const { shift, rpb, K, mp, aRows } = lay;
  // Small planes: one product over every image's pixels where A, B (column-tiled) and x and dy's windows fit.
  const maxEl = bindingElems(dev), cols = g.B * P, foldQ = smallPlanes(g) ? tiledSteps(T, Math.ceil(g.O / TILE_N), 1, Math.ceil(cols / 4)) : 0;
  if (foldQ > 0 && Math.ceil(cols / TILE_N) * (TILE_N / 4) <= T && 16 * aRows * Math.ceil(cols / TILE_N) * (TILE_N / 4) <= IM2COL_BYTES
    && x.numel <= maxEl && dy.numel <= maxEl) return weightGradFolded(op, dy, x, g, rpb, K, mp, aRows, foldQ);
  // Pixels per chunk: B's rows (T), A's texels (4·T, less the shifted rows' two extra image rows) and A's bytes within
  // IM2COL_BYTES; whole output rows for the shifted rows.
  const texels = Math.min(T - (shift ? g.W / 2 : 0), Math.floor(IM2COL_BYTES / (16 * aRows)));
  let pc = Math.max(TILE_N, Math.min(Math.ceil(P / TILE_N) * TILE_N, Math.floor(T / TILE_N) * TILE_N, Math.floor((4 * texels) / TILE_N) * TILE_N));
  if (shift) {
    const chunks = Math.ceil(g.OH / Math.max(1, Math.floor(pc / g.W)));
    pc = Math.ceil(g.OH / chunks) * g.W;
  }
  const hw = g.H * g.W, cStep = inStep(op, dev, x, g.C, hw), oStep = outStep(op, dev, dy, g.O, P, pc);
  const dwT = empty(dev, [K, g.O], 'f32', op);
  const widthOf = (nc: number) => Math.ceil(nc / TILE_N) * (TILE_N / 4) + (shift ? g.W / 2 : 0);
  const texA = dev.scratchTexture('conv.dw.x', widthOf(Math.min(pc, P)), aRows);
  // B = dyᵀ column-tiled (packTiledB: each 64 output channels' pixels front to back), row-major where that does not fit.
  const onMax = Math.min(oStep, g.O), kqMax = Math.ceil(Math.min(pc, P) / 4), q = tiledSteps(T, Math.ceil(onMax / TILE_N), 1, kqMax);
  const texB = dev.scratchTexture('conv.dw.dy', ...bTextureSize(onMax, 1, kqMax, q));
  let first = true;
  for (let b = 0; b < g.B; b++) for (let n0 = 0; n0 < P; n0 += pc) {
    const nc = Math.min(pc, P - n0), width = widthOf(nc), kq = Math.ceil(nc / 4);
    fillWindows(op, dev, texA, width, aRows, g.C, cStep, (c0, cn) => {
      const xlo = x.offset + (b * g.C + c0) * hw, xs = x.window(op, xlo, xlo + cn * hw);
      return xs;
    }, (xs, c0, cn, dst, r) => {
      if (shift) runShift(dev, xs, dst, r, { C: g.C, H: g.H, W: g.W, rows_p: rpb, width, row0: n0 / g.W, c_lo: c0, c_hi: c0 + cn, q: 0, rb: 0, ts: 0, tstride: 0 });
      else runIm2col(dev, g, xs, c0, cn, dst, r, { fold: false, rpb, k0: 0, kc: K, n0, nc, rows_p: mp, width });
    });
    for (let o0 = 0; o0 < g.O; o0 += oStep) {
      const on = Math.min(oStep, g.O - o0), glo = dy.offset + (b * g.O + o0) * P + n0, gs = dy.window(op, glo, glo + (on - 1) * P + nc);
      const { bTiled } = packB(dev, gs, texB, nc, on, 1, P, q);
      const cs = dwT.window(op, dwT.offset + o0, dwT.offset + (K - 1) * g.O + o0 + on);
      runMatmulTex(dev, { texA, texB, m: K, n: on, kq, mp, c: cs, cRs: g.O, bias: null, dummy: gs.binding, accumulate: !first,
        bshape: [1], aBs: [0], bBs: [0], cBs: [0], bTiled, ...(shift ? { aRpb: rpb, aXstep: g.W / 4 } : {}) });
    }
    first = false;
  }
  return unblock(dwT, g, rpb);
}

/** dwᵀ [KH, rpb, O] -> the first KW·C rows of each block, [KH, C, KW, O] -> [O, C, KH, KW]. */
function unblock(dwT: Tensor, g: Geom, rpb: number): Tensor {
  const blocks = reshape(dwT, [g.KH, rpb, g.O]), used = slice(blocks, 1, 0, g.KW * g.C), split = reshape(used, [g.KH, g.C, g.KW, g.O]);
  const perm = permute(split, [3, 1, 0, 2]), dw = contiguous(perm);
  for (const t of [dwT, blocks, used, split, perm]) if (t !== dw) t.dispose();
  return dw;
}

/**
 * convWeightGradTex for small planes (smallPlanes), whose products per image would be a few steps long: every image's
 * pixels along k in one product. A = conv/im2col_tex with FOLD (column n = pixel n mod P of image ⌊n / P⌋), B = dy as
 * [O, B·P] (a permuting copy, small at these sizes) packed column-tiled with q steps per texture row, so the sum over
 * images is the product's own sum over k.
 */
function weightGradFolded(op: string, dy: Tensor, x: Tensor, g: Geom, rpb: number, K: number, mp: number, aRows: number, q: number): Tensor {
  const dev = x.dev, cols = g.B * g.OH * g.OW, kq = Math.ceil(cols / 4);
  const width = Math.ceil(cols / TILE_N) * (TILE_N / 4);
  const texA = dev.scratchTexture('conv.dw.x', width, aRows);
  const xs = x.window(op, x.offset, x.offset + x.numel);
  fillWindows(op, dev, texA, width, aRows, g.C, g.C, () => xs,
    (w, c0, cn, dst, r) => runIm2col(dev, g, w, c0, cn, dst, r, { fold: true, rpb, k0: 0, kc: K, n0: 0, nc: cols, rows_p: mp, width }));
  // B[k = b·P + p, o] = dy[b, o, p]: dy as [O, B, P], rows k contiguous.
  const dyP = permute(dy, [1, 0, 2, 3]), dyT = contiguous(dyP), gs = dyT.window(op, dyT.offset, dyT.offset + dyT.numel);
  const texB = dev.scratchTexture('conv.dw.dy', ...bTextureSize(g.O, 1, kq, q));
  const { bTiled } = packB(dev, gs, texB, cols, g.O, 1, cols, q);
  const dwT = empty(dev, [K, g.O], 'f32', op);
  runMatmulTex(dev, { texA, texB, m: K, n: g.O, kq, mp, c: dwT.window(op, dwT.offset, dwT.offset + dwT.numel), cRs: g.O, bias: null, dummy: gs.binding,
    accumulate: false, bshape: [1], aBs: [0], bBs: [0], cBs: [0], bTiled });
  if (dyT !== dyP) dyT.dispose();
  dyP.dispose();
  return unblock(dwT, g, rpb);
}
