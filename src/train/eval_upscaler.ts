// Upscaler evaluation: PSNR / SSIM of an H-VAR bundle's ×1, ×2, ×4 on centre crops of photos, against the LR itself (×1) and
// bicubic (×2, ×4), per photo and the mean; the Markdown table and a PNG grid (LR, bicubic ×4, H-VAR ×4, GT per photo).
import { resampleCpu, type Device } from '../engine/index.ts';
import type { ImageCHW } from '../io/image.ts';
import { psnr } from '../metrics/psnr.ts';
import { ssim } from '../metrics/ssim.ts';
import { bicubicUpscale } from '../metrics/bicubic.ts';
import { upscale } from '../upscale/upscale.ts';
import type { HVARBundle } from '../upscale/bundle.ts';
import { Canvas } from '../viz/canvas.ts';
import { drawText, textHeight } from '../viz/font.ts';
import { cropFlip } from './data/dataset.ts';
import { StreamRng } from './data/rng.ts';
import { quantize8 } from './data/degrade/index.ts';
import { degradeLR } from './hvar_data.ts';

/**
 * How the LR is made from the HR crop (always ×4 smaller):
 * - 'degrade': the Real-ESRGAN two-stage pipeline exactly as H-VAR training makes its LR (degradeLR), with a stream per photo
 *   from the seed and the photo's key (lrRng);
 * - 'bicubic': the clean downsample of the "bicubic degradation" benchmarks, made here with area (box 4×4) averaging because the
 *   engine's bicubic has no antialiasing, then rounded to 8-bit levels as a saved LR would be.
 */
export type LrMode = 'degrade' | 'bicubic';

/** The LR factor, and the output factors the upscaler gives. */
export const LR_FACTOR = 4;
export const SCALES = [1, 2, 4] as const;
/** Photos shown in the grid (the first ones). */
export const GRID_PHOTOS = 8;

/** PSNR in dB (Infinity when equal) and SSIM (NaN below its 11-pixel window). */
export interface Score { psnr: number; ssim: number }
export interface ScaleRow {
  scale: 1 | 2 | 4;
  /** Side of the output and of its ground truth in pixels. */
  size: number;
  hvar: Score;
  /** 'LR' at ×1 (the input itself), 'bicubic' at ×2 and ×4. */
  baselineName: 'LR' | 'bicubic';
  baseline: Score;
}
export interface PhotoEval { path: string; key: string; rows: ScaleRow[]; seconds: number }
export interface UpscalerEval {
  model: { name: string; source: string };
  size: number; lr: LrMode; seed: number;
  /** How PSNR / SSIM and the ground truths are computed (for the report). */
  metric: string;
  photos: PhotoEval[];
  /** Means over photos per scale. */
  mean: ScaleRow[];
}

export const METRIC_NOTE = 'PSNR / SSIM on RGB in 0..255, no border crop (as `hvar eval` by default), on the float outputs; '
  + 'ground truths: the HR crop (x4) and its area downsamples to the x2 and x1 sizes (as the tokenizer makes its per-segment targets)';

/** The centre size×size crop of an image (values in [0, 1]); an image smaller than `size` is an error naming `what`. */
export function centreCrop(img: ImageCHW, size: number, what: string): ImageCHW {
  if (img.h < size || img.w < size) throw new Error(`${what}: ${img.w}x${img.h} is smaller than the evaluation size ${size}`);
  return cropFlip(img, Math.floor((img.h - size) / 2), Math.floor((img.w - size) / 2), size, false, false);
}

/** Area (adaptive average) resize of an image to side×side: the engine's CPU resampler, the downsampler of the tokenizer's targets. */
export function areaResize(img: ImageCHW, side: number): ImageCHW {
  if (img.h === side && img.w === side) return img;
  return { data: resampleCpu(img.data, 1, img.c, img.h, img.w, side, side, 'area'), c: img.c, h: side, w: side };
}

/** The degradation stream of one photo: from the seed and the photo's key, so it does not depend on which photos are evaluated. */
export function lrRng(seed: number, key: string): StreamRng {
  return StreamRng.fromSeed(seed).split('eval-upscaler').split(key);
}

/** The LR (×4 smaller) of an HR crop in the given mode; `key` picks the degradation stream, `what` names the photo in errors. */
export async function makeLR(dev: Device, hr: ImageCHW, mode: LrMode, seed: number, key: string, what: string): Promise<ImageCHW> {
  if (mode === 'degrade') return degradeLR(dev, hr, lrRng(seed, key), LR_FACTOR, what);
  return quantize8(areaResize(hr, hr.h / LR_FACTOR));
}

export function score(pred: ImageCHW, gt: ImageCHW): Score {
  return { psnr: psnr(pred, gt), ssim: gt.h >= 11 && gt.w >= 11 ? ssim(pred, gt) : NaN };
}

export interface EvalUpscalerOptions {
  /** HR crop side: a multiple of 16 (LR side size/4, itself divisible by 4). */
  size: number;
  /** The upscaler's seed (every photo) and the root of the degradation streams. */
  seed: number;
  lr: LrMode;
  /** Called for the first `n` photos with [LR, bicubic ×4, H-VAR ×4, GT]. */
  grid?: { n: number; onPhoto: (row: ImageCHW[]) => void };
}

/** Reads, crops, degrades, upscales and scores every photo; `read` decodes a photo (readImage). */
export async function evalUpscaler(dev: Device, bundle: HVARBundle, photos: readonly { path: string; key: string }[], o: EvalUpscalerOptions,
  read: (path: string) => Promise<ImageCHW>, progress?: (s: string) => void): Promise<UpscalerEval> {
  if (!(Number.isInteger(o.size) && o.size >= 16 && o.size % (4 * LR_FACTOR) === 0))
    throw new Error(`eval-upscaler: size ${o.size} must be a multiple of ${4 * LR_FACTOR} (the LR, size/${LR_FACTOR}, needs a side divisible by 4)`);
  const out: PhotoEval[] = [];
  for (const [i, p] of photos.entries()) {
    const t0 = performance.now();
    const hr = centreCrop(await read(p.path), o.size, p.path);
    const lr = await makeLR(dev, hr, o.lr, o.seed, p.key, p.path);
    const up = await upscale(dev, bundle, lr, { seed: o.seed });
    const bic = { 2: bicubicUpscale(lr, 2), 4: bicubicUpscale(lr, 4) };
    const rows: ScaleRow[] = SCALES.map((s) => {
      const gt = areaResize(hr, (o.size / LR_FACTOR) * s), mine = up[`x${s}`];
      if (mine.h !== gt.h || mine.w !== gt.w) throw new Error(`${p.path}: the upscaler's x${s} is ${mine.w}x${mine.h}, expected ${gt.w}x${gt.h}`);
      return { scale: s, size: gt.h, hvar: score(mine, gt), baselineName: s === 1 ? 'LR' : 'bicubic', baseline: score(s === 1 ? lr : bic[s], gt) };
    });
    if (o.grid && i < o.grid.n) o.grid.onPhoto([lr, bic[4], up.x4, hr]);
    const seconds = (performance.now() - t0) / 1000;
    out.push({ path: p.path, key: p.key, rows, seconds });
    progress?.(`[${i + 1}/${photos.length}] ${p.key}: ` + rows.map((r) => `x${r.scale} ${r.hvar.psnr.toFixed(2)} dB (${r.baselineName} ${r.baseline.psnr.toFixed(2)})`).join(', ')
      + ` ${seconds.toFixed(1)} s`);
  }
  const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const mean: ScaleRow[] = SCALES.map((s, k) => {
    const rs = out.map((p) => p.rows[k]!);
    const m = (f: (r: ScaleRow) => Score): Score => ({ psnr: avg(rs.map((r) => f(r).psnr)), ssim: avg(rs.map((r) => f(r).ssim)) });
    return { scale: s, size: (o.size / LR_FACTOR) * s, hvar: m((r) => r.hvar), baselineName: s === 1 ? 'LR' : 'bicubic', baseline: m((r) => r.baseline) };
  });
  return { model: { name: bundle.card.name, source: bundle.source }, size: o.size, lr: o.lr, seed: o.seed, metric: METRIC_NOTE, photos: out, mean };
}

const num = (v: number, d: number) => (Number.isNaN(v) ? 'n/a' : v === Infinity ? 'inf' : v.toFixed(d));
const delta = (a: number, b: number, d: number) => {
  const x = a - b;
  return Number.isFinite(x) ? `${x >= 0 ? '+' : ''}${x.toFixed(d)}` : 'n/a';
};
const cells = (r: ScaleRow) => [`x${r.scale}`, String(r.size), `${num(r.hvar.psnr, 2)} / ${num(r.hvar.ssim, 4)}`, r.baselineName,
  `${num(r.baseline.psnr, 2)} / ${num(r.baseline.ssim, 4)}`, `${delta(r.hvar.psnr, r.baseline.psnr, 2)} / ${delta(r.hvar.ssim, r.baseline.ssim, 4)}`];

/** Markdown: a summary line, then one row per photo and scale, then the means (bold photo cell). */
export function formatUpscalerEval(r: UpscalerEval): string {
  const head = '| photo | scale | size | H-VAR PSNR / SSIM | baseline | baseline PSNR / SSIM | Δ PSNR / Δ SSIM |';
  const sep = '|---|---|---:|---:|---|---:|---:|';
  const rows = r.photos.flatMap((p) => p.rows.map((s) => `| ${p.key} | ${cells(s).join(' | ')} |`));
  const mean = r.mean.map((s) => `| **mean** | ${cells(s).join(' | ')} |`);
  const lr = r.lr === 'degrade' ? `Real-ESRGAN degradation (seed ${r.seed})` : 'area downsample, 8-bit';
  return [`H-VAR '${r.model.name}' on ${r.photos.length} photo${r.photos.length === 1 ? '' : 's'}, ${r.size}×${r.size} centre crops, LR ×${LR_FACTOR} smaller by ${lr}, upscaler seed ${r.seed}`,
    '', head, sep, ...rows, ...mean, '', r.metric + '.'].join('\n');
}

const GRID_LABELS = ['LR', 'bicubic x4', 'H-VAR x4', 'GT'];

/** Where the grid puts things: cell side, image size, label height, and the top-left corner of photo i's panel j. */
export function gridLayout(size: number, photos: number): { cell: number; width: number; height: number; labelH: number; fontScale: number; at(i: number, j: number): [number, number] } {
  const cell = Math.min(size, 256), gap = 4, margin = 4, fontScale = cell >= 150 ? 2 : 1, labelH = textHeight(fontScale) + 6, cols = GRID_LABELS.length;
  return { cell, labelH, fontScale, width: 2 * margin + cols * cell + (cols - 1) * gap, height: 2 * margin + labelH + photos * cell + (photos - 1) * gap,
    at: (i, j) => [margin + labelH + i * (cell + gap), margin + j * (cell + gap)] };
}

/** The grid: a labelled row per photo of [LR, bicubic ×4, H-VAR ×4, GT], each shown at min(size, 256) px (nearest when enlarging, area when reducing). */
export function upscalerGrid(rows: readonly ImageCHW[][], size: number): ImageCHW {
  if (!rows.length) throw new Error('eval-upscaler: no photo for the grid');
  const L = gridLayout(size, rows.length), { cell } = L;
  const c = new Canvas(L.width, L.height, '#ffffff');
  GRID_LABELS.forEach((l, j) => {
    const [y, x0] = L.at(0, j);
    c.clip = { x: x0, y: 0, w: cell, h: L.height };
    drawText(c, x0, y - L.labelH, l, { scale: L.fontScale, color: '#202020' });
    c.clip = null;
  });
  rows.forEach((row, i) => row.forEach((img, j) => {
    const data = img.h === cell && img.w === cell ? img.data : resampleCpu(img.data, 1, 3, img.h, img.w, cell, cell, img.h <= cell ? 'nearest' : 'area');
    const [y0, x0] = L.at(i, j), n = cell * cell;
    for (let y = 0; y < cell; y++) for (let x = 0; x < cell; x++) {
      const d = ((y0 + y) * L.width + x0 + x) * 3;
      for (let k = 0; k < 3; k++) c.data[d + k] = Math.round(Math.min(1, Math.max(0, data[k * n + y * cell + x]!)) * 255);
    }
  }));
  return c.toImage();
}
