// Tokenizer evaluation (the paper's HIT ablation): PSNR / SSIM (/ LPIPS) of each prefix decode against the image
// area-downsampled to that size, for HIT tokenization and for plain VAR tokenization over the same scales.
import { Device, Tensor, fromArray, noGrad, ops, scopeAsync } from '../engine/index.ts';
import { hitSegments, varSegments } from '../models/quant/schedule.ts';
import type { MultiScaleQuantizer } from '../models/quant/quantizer.ts';
import type { VQVAE } from '../models/vqvae/index.ts';
import { psnr } from '../metrics/psnr.ts';
import { ssim } from '../metrics/ssim.ts';
import type { LPIPS } from '../metrics/lpips.ts';
import { makeImage, readImage, type ImageCHW } from '../io/image.ts';
import { quantizerFor, downsampleOf, hitPrefixesAndIds } from './tokenizer.ts';

export type Method = 'hit' | 'plain';
/** SSIM is NaN below its 11-pixel window. */
export interface PrefixScore { method: Method; prefix: number; size: number; psnr: number; ssim: number; lpips?: number }
export interface ImageScores { path: string; scores: PrefixScore[] }
/** Codebook use over all evaluated images: distinct codes hit, the unigram entropy of the tokens (nats) and e^entropy. */
export interface CodeUse { tokens: number; used: number; vocab: number; entropy: number; perplexity: number }
export interface TokenizerEval {
  size: number; schedule: string; images: ImageScores[];
  /** Means over images per (method, prefix). */
  mean: PrefixScore[];
  /** Codebook use of each tokenization over the images (a collapsed codebook uses few codes at low entropy). */
  codes: Record<Method, CodeUse>;
}

/** Counts per code -> its CodeUse. */
export function codeUse(counts: ArrayLike<number>): CodeUse {
  let tokens = 0, used = 0, h = 0;
  for (let v = 0; v < counts.length; v++) { tokens += counts[v]!; if (counts[v]! > 0) used++; }
  for (let v = 0; v < counts.length; v++) if (counts[v]! > 0) { const q = counts[v]! / tokens; h -= q * Math.log(q); }
  return { tokens, used, vocab: counts.length, entropy: h, perplexity: Math.exp(h) };
}

const toImage = async (t: Tensor): Promise<ImageCHW> => {
  const [, c, h, w] = t.shape as [number, number, number, number];
  const d = (await t.toArray()) as Float32Array;
  const img = makeImage(c, h, w);
  for (let i = 0; i < d.length; i++) img.data[i] = Math.min(1, Math.max(0, (d[i]! + 1) / 2));
  return img;
};

/** Center crop of `size` (shorter side at least `size`) as [-1, 1] CHW data. */
export function centerCrop(img: ImageCHW, size: number, what: string): Float32Array {
  if (img.h < size || img.w < size) throw new Error(`${what}: ${img.w}x${img.h} is smaller than the evaluation size ${size}`);
  const top = Math.floor((img.h - size) / 2), left = Math.floor((img.w - size) / 2), out = new Float32Array(3 * size * size);
  for (let c = 0; c < 3; c++) for (let y = 0; y < size; y++) for (let x = 0; x < size; x++)
    out[(c * size + y) * size + x] = img.data[((img.c === 1 ? 0 : c) * img.h + top + y) * img.w + left + x]! * 2 - 1;
  return out;
}

/**
 * The prefix images of one crop: HIT (each segment decoded at its own size) and plain VAR over the same scales in one
 * segment at full size (f_hat after the same scale decoded at full size, then area-resized to the segment's size).
 * Returns [-1, 1] tensors [1, 3, s, s] per prefix, and the ground truths area-resized to the same sizes.
 */
export function prefixImages(vae: VQVAE, qHit: MultiScaleQuantizer, qPlain: MultiScaleQuantizer, x: Tensor) {
  return noGrad(x.dev, () => {
    const S = x.shape[2]!;
    const { images: hit, idx_BL: idxHit } = hitPrefixesAndIds(vae, qHit, x);
    const z = vae.encode(x);
    const tok = qPlain.tokenize(z);
    tok.fHats.forEach((t) => t.dispose());
    const fhs = qPlain.rebuild(tok.idx_BL);
    const ends = qHit.plan.segments.map((_, n) => qHit.plan.scales.reduce((a, s, k) => (s.segment === n ? k : a), -1));
    const plain = ends.map((k, n) => {
      const full = vae.decodeLatent(fhs[k]!);
      const size = hit[n]!.shape[2]!;
      return size === S ? full : ops.resample(full, size, size, 'area');
    });
    const gts = hit.map((h) => (h.shape[2] === S ? x : ops.resample(x, h.shape[2]!, h.shape[2]!, 'area')));
    return { hit, plain, gts, idx: { hit: idxHit, plain: tok.idx_BL } };
  });
}

export interface EvalOptions { size: number; lpips?: LPIPS | null; grid?: { n: number; onImage: (row: ImageCHW[]) => void } }

/** Scores every image (paths) at `size`, HIT vs plain. */
export async function evalTokenizer(dev: Device, vae: VQVAE, paths: string[], o: EvalOptions, progress?: (s: string) => void): Promise<TokenizerEval> {
  const down = downsampleOf(vae), side = o.size / down;
  if (!Number.isInteger(side) || side % 4) throw new Error(`eval size ${o.size}: must be a multiple of ${4 * down} (latent side divisible by 4)`);
  const segs = hitSegments(side);
  const qHit = quantizerFor(vae, segs), qPlain = quantizerFor(vae, varSegments(segs.flatMap((s) => s.scales)));
  const images: ImageScores[] = [];
  const counts = { hit: new Float64Array(qHit.cfg.vocab), plain: new Float64Array(qHit.cfg.vocab) };
  for (const [i, path] of paths.entries()) {
    const img = await readImage(path);
    const x0 = centerCrop(img, o.size, path);
    const scores = await scopeAsync(dev, async () => {
      const x = fromArray(dev, x0, [1, 3, o.size, o.size]);
      const p = prefixImages(vae, qHit, qPlain, x);
      for (const m of ['hit', 'plain'] as const) for (const v of await p.idx[m].toArray()) counts[m][v]!++;
      const out: PrefixScore[] = [];
      const row: ImageCHW[] = [];
      for (const [n, gt] of p.gts.entries()) {
        const g = await toImage(gt);
        for (const method of ['hit', 'plain'] as const) {
          const t = (method === 'hit' ? p.hit : p.plain)[n]!;
          const im = await toImage(t);
          const s: PrefixScore = { method, prefix: n + 1, size: g.h, psnr: psnr(im, g), ssim: g.h >= 11 && g.w >= 11 ? ssim(im, g) : NaN };
          if (o.lpips && g.h >= 32) s.lpips = await noGrad(dev, () => ops.mean(o.lpips!.forward(t, gt))).item();
          out.push(s);
          if (o.grid && i < o.grid.n) row.push(im);
        }
        if (o.grid && i < o.grid.n) row.push(g);
      }
      if (o.grid && i < o.grid.n) o.grid.onImage(row);
      return out;
    });
    images.push({ path, scores });
    progress?.(`${i + 1}/${paths.length} ${path}: ` + scores.filter((s) => s.method === 'hit').map((s) => `${s.size}px ${s.psnr.toFixed(2)} dB`).join(', '));
  }
  const keys = images[0]?.scores.map((s) => [s.method, s.prefix] as const) ?? [];
  const mean = keys.map(([m, pf]) => {
    const all = images.map((im) => im.scores.find((s) => s.method === m && s.prefix === pf)!);
    const avg = (f: (s: PrefixScore) => number | undefined) => all.reduce((a, s) => a + (f(s) ?? NaN), 0) / all.length;
    const r: PrefixScore = { method: m, prefix: pf, size: all[0]!.size, psnr: avg((s) => s.psnr), ssim: avg((s) => s.ssim) };
    if (all[0]!.lpips !== undefined) r.lpips = avg((s) => s.lpips);
    return r;
  });
  return { size: o.size, schedule: segs.map((s) => `${s.side}:[${s.scales}]`).join(' '), images, mean, codes: { hit: codeUse(counts.hit), plain: codeUse(counts.plain) } };
}

/** Markdown table: one row per prefix, HIT and plain side by side. */
export function formatTokenizerEval(r: TokenizerEval): string {
  const hasL = r.mean.some((s) => s.lpips !== undefined);
  const head = `| prefix | size | PSNR HIT | PSNR plain | SSIM HIT | SSIM plain${hasL ? ' | LPIPS HIT | LPIPS plain' : ''} |`;
  const sep = `|---|---|---|---|---|---${hasL ? '|---|---' : ''}|`;
  const prefixes = [...new Set(r.mean.map((s) => s.prefix))];
  const rows = prefixes.map((p) => {
    const h = r.mean.find((s) => s.prefix === p && s.method === 'hit')!, q = r.mean.find((s) => s.prefix === p && s.method === 'plain')!;
    return `| ${p} | ${h.size} | ${h.psnr.toFixed(2)} | ${q.psnr.toFixed(2)} | ${h.ssim.toFixed(4)} | ${q.ssim.toFixed(4)}${hasL ? ` | ${h.lpips!.toFixed(4)} | ${q.lpips!.toFixed(4)}` : ''} |`;
  });
  const use = (m: Method) => { const c = r.codes[m]; return `${m === 'hit' ? 'HIT' : 'plain'} ${c.used} of ${c.vocab} codes in ${c.tokens} tokens, entropy ${c.entropy.toFixed(2)} nats (perplexity ${c.perplexity.toFixed(1)})`; };
  return [`${r.images.length} images, ${r.size}×${r.size} center crops, schedule ${r.schedule}`, '', head, sep, ...rows, '',
    `Codebook use over these images: ${use('hit')}; ${use('plain')}.`].join('\n');
}
