// Evaluate a folder of predictions against a folder of ground truths (matched by basename stem): PSNR/SSIM rows + means.
import { basename, extname } from 'node:path';
import { readImage, type ImageLimits } from '../io/image.ts';
import { listImages } from '../train/data/dataset.ts';
import { psnr } from './psnr.ts';
import { ssim } from './ssim.ts';
import type { MetricOptions } from './common.ts';

export interface EvalRow { name: string; pred: string; gt: string; psnr: number; ssim: number }
export interface EvalReport {
  options: { crop: number; y: boolean };
  rows: EvalRow[];
  mean: { psnr: number; ssim: number; count: number };
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

/** PSNR is averaged in dB over images (BasicSR convention); Infinity rows make the mean Infinity. */
export async function evaluateDirs(predDir: string, gtDir: string, opts: MetricOptions = {}, limits: ImageLimits = {}): Promise<EvalReport> {
  const preds = await byStem(predDir, 'prediction'), gts = await byStem(gtDir, 'ground-truth');
  const rows: EvalRow[] = [];
  const names = [...preds.keys()].filter((s) => gts.has(s)).sort();
  for (const name of names) {
    const pp = preds.get(name) as string, gp = gts.get(name) as string;
    const [p, g] = await Promise.all([readImage(pp, limits), readImage(gp, limits)]);
    if (p.h !== g.h || p.w !== g.w) throw new Error(`hvar eval: '${pp}' is ${p.w}x${p.h} but '${gp}' is ${g.w}x${g.h}`);
    rows.push({ name, pred: pp, gt: gp, psnr: psnr(p, g, opts), ssim: ssim(p, g, opts) });
  }
  const n = rows.length;
  return {
    options: { crop: opts.crop ?? 0, y: !!opts.y },
    rows,
    mean: { psnr: n ? rows.reduce((s, r) => s + r.psnr, 0) / n : NaN, ssim: n ? rows.reduce((s, r) => s + r.ssim, 0) / n : NaN, count: n },
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
