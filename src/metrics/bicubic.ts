// The always-available SR baseline: PyTorch-style bicubic (A = -0.75, align_corners=False) upscaling, clamped to [0,1].
import type { ImageCHW } from '../io/image.ts';
import { resampleCpu, resampleTaps1d } from '../engine/index.ts';

/** Output size floor(side * scale); throws when empty. */
export function bicubicSize(h: number, w: number, scale: number): { oh: number; ow: number } {
  if (!(scale > 0)) throw new Error(`bicubicUpscale: bad scale ${scale}`);
  const oh = Math.floor(h * scale), ow = Math.floor(w * scale);
  if (oh < 1 || ow < 1) throw new Error(`bicubicUpscale: ${w}x${h} x${scale} is empty`);
  return { oh, ow };
}

/** Upscale by an integer or fractional factor: output size floor(side * scale). */
export function bicubicUpscale(img: ImageCHW, scale: number): ImageCHW {
  const { oh, ow } = bicubicSize(img.h, img.w, scale);
  const out = resampleCpu(img.data, 1, img.c, img.h, img.w, oh, ow, 'bicubic');
  for (let i = 0; i < out.length; i++) out[i] = out[i] < 0 ? 0 : out[i] > 1 ? 1 : out[i];
  return { data: out, c: img.c, h: oh, w: ow };
}

/**
 * bicubicUpscale in bands of `band` output rows: emit(rows [c, n, ow], n) per band, in order; values equal
 * bicubicUpscale's bit for bit, memory is O(band * ow) beside the input.
 */
export async function bicubicUpscaleBands(img: ImageCHW, scale: number, band: number, emit: (rows: Float32Array, n: number) => Promise<void>): Promise<void> {
  const { c, h, w, data } = img, { oh, ow } = bicubicSize(h, w, scale);
  const ty = resampleTaps1d(h, oh, 'bicubic'), tx = resampleTaps1d(w, ow, 'bicubic');
  for (let y0 = 0; y0 < oh; y0 += band) {
    const n = Math.min(band, oh - y0);
    let lo = h, hi = -1;
    for (let k = y0 * 4; k < (y0 + n) * 4; k++) { lo = Math.min(lo, ty.idx[k]!); hi = Math.max(hi, ty.idx[k]!); }
    const rows = hi - lo + 1, tmp = new Float64Array(rows * ow), out = new Float32Array(c * n * ow);
    for (let ch = 0; ch < c; ch++) {
      const xo = ch * h * w;
      for (let iy = lo; iy <= hi; iy++) for (let ox = 0; ox < ow; ox++) {
        let s = 0;
        for (let k = 0; k < 4; k++) s += tx.w[ox * 4 + k]! * data[xo + iy * w + tx.idx[ox * 4 + k]!]!;
        tmp[(iy - lo) * ow + ox] = s;
      }
      for (let r = 0; r < n; r++) for (let ox = 0; ox < ow; ox++) {
        const oy = y0 + r;
        let s = 0;
        for (let k = 0; k < 4; k++) s += ty.w[oy * 4 + k]! * tmp[(ty.idx[oy * 4 + k]! - lo) * ow + ox]!;
        const v = Math.fround(s);
        out[(ch * n + r) * ow + ox] = v < 0 ? 0 : v > 1 ? 1 : v;
      }
    }
    await emit(out, n);
  }
}
