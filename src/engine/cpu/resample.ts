// CPU reference for 2-D resampling with PyTorch F.interpolate(size=..., align_corners=False) semantics (nearest/area/bilinear/bicubic) and its backward.
//
// Facts mirrored from aten/src/ATen/native/UpSample.h and AdaptiveAveragePooling (PyTorch >= 1.13, checked against torch 1.13 goldens):
//  - scale = float32(in / out) (also when out == 1; align_corners=False never uses 0 there).
//  - nearest (legacy): src = min(floorf(float32(dst * scale)), in - 1).
//  - bilinear: real = scale * (dst + 0.5) - 0.5, clamped to >= 0; i0 = min(floor(real), in - 1); i1 = i0 + (i0 < in - 1);
//    l1 = clamp(real - i0, 0, 1); weights (1 - l1, l1). No antialias.
//  - bicubic: real = scale * (dst + 0.5) - 0.5 NOT clamped; i = min(floor(real), in - 1); t = clamp(real - i, 0, 1);
//    taps i-1..i+2 clamped to [0, in-1], weights bicubicWeights(t) with A = -0.75. No antialias.
//  - area (= adaptive_avg_pool2d): cell o averages [floor(o * in / out), ceil((o + 1) * in / out)) in exact integer arithmetic.
// All modes are separable: y = Wy · x · Wxᵀ per (n, c) plane; the backward is the transpose. Accumulation is float64.

export type ResampleMode = 'nearest' | 'area' | 'bilinear' | 'bicubic';

/** Bicubic convolution coefficient used by PyTorch. */
export const BICUBIC_A = -0.75;

/** |x| <= 1 branch of the Keys cubic kernel. */
export function cubicConv1(x: number, A = BICUBIC_A): number { return ((A + 2) * x - (A + 3)) * x * x + 1; }
/** 1 < |x| < 2 branch of the Keys cubic kernel. */
export function cubicConv2(x: number, A = BICUBIC_A): number { return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A; }

/** Weights of taps (i-1, i, i+1, i+2) for fractional offset t in [0, 1] from tap i. They sum to 1. */
export function bicubicWeights(t: number): [number, number, number, number] {
  return [cubicConv2(t + 1), cubicConv1(t), cubicConv1(1 - t), cubicConv2(2 - t)];
}

/** PyTorch's scale for align_corners=False when only the output size is given: float32(in / out). */
export function resampleScale(inSize: number, outSize: number): number { return Math.fround(inSize / outSize); }

/** Half-pixel source coordinate as PyTorch computes it (float32 result); linear modes clamp negatives to 0, cubic does not. */
export function sourceIndex(scale: number, dst: number, cubic: boolean): number {
  const s = Math.fround(scale * (dst + 0.5) - 0.5);
  return !cubic && s < 0 ? 0 : s;
}

/** Legacy 'nearest' source index. */
export function nearestIndex(dst: number, inSize: number, outSize: number): number {
  return Math.min(Math.floor(Math.fround(dst * resampleScale(inSize, outSize))), inSize - 1);
}

/** adaptive_avg_pool start/end (end exclusive) of output cell o. */
export function areaRange(o: number, inSize: number, outSize: number): [number, number] {
  const start = Math.floor((o * inSize) / outSize);
  const end = Math.floor(((o + 1) * inSize + outSize - 1) / outSize);
  return [start, end];
}

/** 1-D tap table: output o reads idx[o*taps + k] with weight w[o*taps + k] (unused taps have weight 0, index 0). */
export interface Taps1d { taps: number; idx: Int32Array; w: Float64Array }

/** Builds the 1-D tap table for one axis. */
export function resampleTaps1d(inSize: number, outSize: number, mode: ResampleMode): Taps1d {
  if (!(Number.isInteger(inSize) && inSize > 0 && Number.isInteger(outSize) && outSize > 0))
    throw new Error(`resample: sizes must be positive integers, got in=${inSize} out=${outSize}`);
  let taps: number;
  if (mode === 'nearest') taps = 1;
  else if (mode === 'bilinear') taps = 2;
  else if (mode === 'bicubic') taps = 4;
  else if (mode === 'area') {
    taps = 0;
    for (let o = 0; o < outSize; o++) { const [s, e] = areaRange(o, inSize, outSize); taps = Math.max(taps, e - s); }
  } else throw new Error(`resample: unknown mode '${mode as string}'`);
  const idx = new Int32Array(outSize * taps), w = new Float64Array(outSize * taps);
  const scale = resampleScale(inSize, outSize);
  const clampI = (i: number) => Math.max(0, Math.min(inSize - 1, i));
  for (let o = 0; o < outSize; o++) {
    const b = o * taps;
    if (mode === 'nearest') {
      idx[b] = nearestIndex(o, inSize, outSize); w[b] = 1;
    } else if (mode === 'area') {
      const [s, e] = areaRange(o, inSize, outSize);
      for (let k = 0; k < e - s; k++) { idx[b + k] = s + k; w[b + k] = 1 / (e - s); }
    } else if (mode === 'bilinear') {
      const real = sourceIndex(scale, o, false);
      const i0 = Math.min(Math.floor(real), inSize - 1);
      const l1 = Math.min(Math.max(real - i0, 0), 1);
      idx[b] = i0; w[b] = 1 - l1;
      idx[b + 1] = i0 < inSize - 1 ? i0 + 1 : i0; w[b + 1] = l1;
    } else {
      const real = sourceIndex(scale, o, true);
      const i = Math.min(Math.floor(real), inSize - 1);
      const ws = bicubicWeights(Math.min(Math.max(real - i, 0), 1));
      for (let k = 0; k < 4; k++) { idx[b + k] = clampI(i - 1 + k); w[b + k] = ws[k]; }
    }
  }
  return { taps, idx, w };
}

function checkArgs(len: number, N: number, C: number, H: number, W: number, what: string): void {
  for (const [k, v] of [['N', N], ['C', C], ['H', H], ['W', W]] as const)
    if (!(Number.isInteger(v) && v > 0)) throw new Error(`resample: ${k} must be a positive integer, got ${v}`);
  if (len !== N * C * H * W) throw new Error(`resample: ${what} has ${len} elements, expected ${N}*${C}*${H}*${W} = ${N * C * H * W}`);
}

/** y = F.interpolate(x, size=(outH, outW), mode, align_corners=False); x is NCHW. */
export function resampleCpu(x: Float32Array, N: number, C: number, H: number, W: number, outH: number, outW: number, mode: ResampleMode): Float32Array {
  checkArgs(x.length, N, C, H, W, 'x');
  const ty = resampleTaps1d(H, outH, mode), tx = resampleTaps1d(W, outW, mode);
  const y = new Float32Array(N * C * outH * outW);
  const tmp = new Float64Array(H * outW); // rows resampled along W
  for (let p = 0; p < N * C; p++) {
    const xo = p * H * W, yo = p * outH * outW;
    for (let iy = 0; iy < H; iy++)
      for (let ox = 0; ox < outW; ox++) {
        let s = 0;
        for (let k = 0; k < tx.taps; k++) s += tx.w[ox * tx.taps + k] * x[xo + iy * W + tx.idx[ox * tx.taps + k]];
        tmp[iy * outW + ox] = s;
      }
    for (let oy = 0; oy < outH; oy++)
      for (let ox = 0; ox < outW; ox++) {
        let s = 0;
        for (let k = 0; k < ty.taps; k++) s += ty.w[oy * ty.taps + k] * tmp[ty.idx[oy * ty.taps + k] * outW + ox];
        y[yo + oy * outW + ox] = s;
      }
  }
  return y;
}

/** dL/dx of resampleCpu given dL/dy (N,C,outH,outW); result is N,C,H,W. */
export function resampleCpuBackward(dy: Float32Array, N: number, C: number, H: number, W: number, outH: number, outW: number, mode: ResampleMode): Float32Array {
  checkArgs(dy.length, N, C, outH, outW, 'dy');
  checkArgs(N * C * H * W, N, C, H, W, 'x');
  const ty = resampleTaps1d(H, outH, mode), tx = resampleTaps1d(W, outW, mode);
  const dx = new Float32Array(N * C * H * W);
  const dtmp = new Float64Array(H * outW), acc = new Float64Array(H * W);
  for (let p = 0; p < N * C; p++) {
    const xo = p * H * W, yo = p * outH * outW;
    dtmp.fill(0); acc.fill(0);
    for (let oy = 0; oy < outH; oy++)
      for (let k = 0; k < ty.taps; k++) {
        const wgt = ty.w[oy * ty.taps + k];
        if (wgt === 0) continue;
        const row = ty.idx[oy * ty.taps + k] * outW;
        for (let ox = 0; ox < outW; ox++) dtmp[row + ox] += wgt * dy[yo + oy * outW + ox];
      }
    for (let iy = 0; iy < H; iy++)
      for (let ox = 0; ox < outW; ox++) {
        const g = dtmp[iy * outW + ox];
        for (let k = 0; k < tx.taps; k++) acc[iy * W + tx.idx[ox * tx.taps + k]] += tx.w[ox * tx.taps + k] * g;
      }
    for (let i = 0; i < H * W; i++) dx[xo + i] = acc[i];
  }
  return dx;
}
