// Shared metric helpers: BT.601 luma (BasicSR rgb2ycbcr Y), border crop, 0..255 float64 planes.
import type { ImageCHW } from '../io/image.ts';

export interface MetricOptions {
  /** Pixels removed from each border before measuring (BasicSR crop_border). Default 0. */
  crop?: number;
  /** Measure on the BT.601 Y channel (16 + 65.481 R + 128.553 G + 24.966 B, R,G,B in [0,1]) instead of RGB. */
  y?: boolean;
}

/** Planes in 0..255 (float64), after optional Y conversion and border crop. Inputs are CHW in [0,1]. */
export function metricPlanes(img: ImageCHW, opts: MetricOptions = {}): { planes: Float64Array[]; h: number; w: number } {
  const crop = opts.crop ?? 0, { c, h, w, data } = img;
  const oh = h - 2 * crop, ow = w - 2 * crop;
  if (oh <= 0 || ow <= 0) throw new Error(`metrics: crop ${crop} leaves nothing of a ${w}x${h} image`);
  const n = h * w;
  const at = (ch: number, y: number, x: number) => data[ch * n + (y + crop) * w + x + crop];
  if (opts.y) {
    if (c !== 3) throw new Error(`metrics: Y channel needs an RGB image, got ${c} channels`);
    const p = new Float64Array(oh * ow);
    for (let y = 0; y < oh; y++) for (let x = 0; x < ow; x++)
      p[y * ow + x] = 16 + 65.481 * at(0, y, x) + 128.553 * at(1, y, x) + 24.966 * at(2, y, x);
    return { planes: [p], h: oh, w: ow };
  }
  const planes: Float64Array[] = [];
  for (let ch = 0; ch < c; ch++) {
    const p = new Float64Array(oh * ow);
    for (let y = 0; y < oh; y++) for (let x = 0; x < ow; x++) p[y * ow + x] = at(ch, y, x) * 255;
    planes.push(p);
  }
  return { planes, h: oh, w: ow };
}

/**
 * Row access to the measured planes without materialising them: `count` planes of h x w (after crop), and
 * row(plane, y, out) fills `out` (length w) with exactly the values metricPlanes would hold.
 */
export function metricRows(img: ImageCHW, opts: MetricOptions = {}): { count: number; h: number; w: number; row(plane: number, y: number, out: Float64Array): void } {
  const crop = opts.crop ?? 0, { c, h, w, data } = img;
  const oh = h - 2 * crop, ow = w - 2 * crop;
  if (oh <= 0 || ow <= 0) throw new Error(`metrics: crop ${crop} leaves nothing of a ${w}x${h} image`);
  const n = h * w;
  if (opts.y) {
    if (c !== 3) throw new Error(`metrics: Y channel needs an RGB image, got ${c} channels`);
    return { count: 1, h: oh, w: ow, row(_p, y, out) {
      const b = (y + crop) * w + crop;
      for (let x = 0; x < ow; x++) out[x] = 16 + 65.481 * data[b + x] + 128.553 * data[n + b + x] + 24.966 * data[2 * n + b + x];
    } };
  }
  return { count: c, h: oh, w: ow, row(p, y, out) {
    const b = p * n + (y + crop) * w + crop;
    for (let x = 0; x < ow; x++) out[x] = data[b + x] * 255;
  } };
}

export function assertSameShape(a: ImageCHW, b: ImageCHW, what = 'images'): void {
  if (a.c !== b.c || a.h !== b.h || a.w !== b.w)
    throw new Error(`metrics: ${what} differ in shape: ${a.c}x${a.h}x${a.w} vs ${b.c}x${b.h}x${b.w}`);
}
