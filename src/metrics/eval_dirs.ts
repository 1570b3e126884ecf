// Evaluate a folder of predictions against a folder of ground truths (matched by basename stem): PSNR/SSIM rows + means; bad pairs are reported, not fatal.
import { basename, extname } from 'node:path';
import { readImage, type ImageCHW, type ImageLimits } from '../io/image.ts';
import { listImages } from '../train/data/dataset.ts';
import { psnr } from './psnr.ts';
import { ssim } from './ssim.ts';
import type { MetricOptions } from './common.ts';

export interface EvalRow { name: string; pred: string; gt: string; psnr: number; ssim: number; extra?: number }
/** A pair that could not be measured: both files and why. */
export interface EvalFailure { name: string; pred: string; gt: string; reason: string }
export interface EvalReport {
  options: { crop: number; y: boolean };
  rows: EvalRow[];
  failed: EvalFailure[];
  mean: { psnr: number; ssim: number; count: number; extra?: number };
  /** Stems present on only one side. */
  unmatchedPred: string[]; unmatchedGt: string[];
}

const stem = (p: string) => basename(p, extname(p));

async function byStem(dir: string, side: string): Promise<Map<string, string>> {
  const m = new Map<string, string>();
  for (const { path } of await listImages([dir])) {
    const s = stem(path);
    const prev = m.get(s);
    if (prev) throw new Error(`hvar eval: two ${side} files share the stem '${s}': '${prev}' and '${path}'`);
    m.set(s, path);
  }
  return m;
}

export interface EvalOptions extends MetricOptions {
  /** A further per-pair metric (e.g. LPIPS) on the decoded images; its errors fail that pair only. */
  extra?: (pred: ImageCHW, gt: ImageCHW) => Promise<number>;
}

/**
 * PSNR is averaged in dB over images (BasicSR convention); Infinity rows make the mean Infinity. Pairs are decoded one
 * at a time and measured row by row, so memory is two decoded images. A pair that fails (unreadable, sizes differ,
 * too small) goes to `failed` with the reason; the others are still measured.
 */
export async function evaluateDirs(predDir: string, gtDir: string, opts: EvalOptions = {}, limits: ImageLimits = {}): Promise<EvalReport> {
  const preds = await byStem(predDir, 'prediction'), gts = await byStem(gtDir, 'ground-truth');
  const rows: EvalRow[] = [], failed: EvalFailure[] = [];
  const names = [...preds.keys()].filter((s) => gts.has(s)).sort();
  for (const name of names) {
    const pp = preds.get(name) as string, gp = gts.get(name) as string;
    try {
      let p: ImageCHW | null = await readImage(pp, limits);
      let g: ImageCHW | null = await readImage(gp, limits);
      if (p.h !== g.h || p.w !== g.w) throw new Error(`sizes differ: ${p.w}x${p.h} vs ${g.w}x${g.h}`);
      const row: EvalRow = { name, pred: pp, gt: gp, psnr: psnr(p, g, opts), ssim: ssim(p, g, opts) };
      if (opts.extra) row.extra = await opts.extra(p, g);
      p = g = null;
      rows.push(row);
    } catch (e) {
      const msg = (e as Error).message.split('\n')[0]!.replace(/^hvar: /, '');
      failed.push({ name, pred: pp, gt: gp, reason: msg });
    }
  }
  const n = rows.length;
  const mean = (f: (r: EvalRow) => number) => (n ? rows.reduce((s, r) => s + f(r), 0) / n : NaN);
  return {
    options: { crop: opts.crop ?? 0, y: !!opts.y },
    rows,
    failed,
    mean: { psnr: mean((r) => r.psnr), ssim: mean((r) => r.ssim), count: n, ...(opts.extra ? { extra: mean((r) => r.extra as number) } : {}) },
    unmatchedPred: [...preds.keys()].filter((s) => !gts.has(s)).sort(),
    unmatchedGt: [...gts.keys()].filter((s) => !preds.has(s)).sort(),
  };
}

/** Markdown table: one row per image, then the mean. */
export function formatEvalTable(r: EvalReport): string {
  const f = (v: number, d: number) => (Number.isFinite(v) ? v.toFixed(d) : v > 0 ? 'inf' : 'nan');
  const ch = r.options.y ? 'Y' : 'RGB';
  const lines = [`| image | PSNR (${ch}) dB | SSIM (${ch}) |`, '|---|---:|---:|'];
  for (const row of r.rows) lines.push(`| ${row.name} | ${f(row.psnr, 2)} | ${f(row.ssim, 4)} |`);
  lines.push(`| **mean (${r.mean.count})** | **${f(r.mean.psnr, 2)}** | **${f(r.mean.ssim, 4)}** |`);
  return lines.join('\n');
}
