// Image-folder datasets: recursive listing, header-only scan (skips too-small / unreadable files, counted), hash split, crops+flips.
import { readdir, realpath, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { probeImage, ImageReadError, type ImageCHW, type ImageLimits } from '../../io/image.ts';
import { hashString32, type StreamRng } from './rng.ts';

export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg'] as const;

/** Recursively list image files (by extension, case-insensitive; symlinks followed) under each root; sorted, deterministic. */
export async function listImages(roots: readonly string[], exts: readonly string[] = IMAGE_EXTENSIONS): Promise<{ path: string; key: string }[]> {
  const out: { path: string; key: string }[] = [];
  const lower = exts.map((e) => e.toLowerCase());
  const visited = new Set<string>(); // real paths of walked directories (symlink loops)
  async function walk(root: string, dir: string): Promise<void> {
    const real = await realpath(dir);
    if (visited.has(real)) return;
    visited.add(real);
    const ents = await readdir(dir, { withFileTypes: true });
    ents.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of ents) {
      if (e.name.startsWith('.')) continue;
      const p = join(dir, e.name);
      let isDir = e.isDirectory(), isFile = e.isFile();
      if (e.isSymbolicLink()) {
        try { const st = await stat(p); isDir = st.isDirectory(); isFile = st.isFile(); } catch { continue; } // dangling link
      }
      if (isDir) await walk(root, p);
      else if (isFile && lower.some((x) => e.name.toLowerCase().endsWith(x))) out.push({ path: p, key: relative(root, p).split(sep).join('/') });
    }
  }
  for (const r of roots) await walk(r, r);
  return out;
}

export type Split = 'train' | 'val' | 'all';

/**
 * Deterministic train/val assignment of a file by the hash of its root-relative path (and a salt):
 * val iff hash32(salt + key) / 2^32 < valFraction. Independent of listing order, machine and seed.
 */
export function splitOf(key: string, valFraction: number, salt = 'hvar-split-v1'): 'train' | 'val' {
  return hashString32(`${salt}\u0000${key}`) / 4294967296 < valFraction ? 'val' : 'train';
}

export interface DatasetEntry { path: string; key: string; width: number; height: number }

export interface DatasetOptions {
  roots: readonly string[];
  /** Square crop size; files whose smaller side is below it are skipped and counted. */
  crop: number;
  split?: Split;
  /** Fraction of files assigned to 'val' (default 0.05). */
  valFraction?: number;
  splitSalt?: string;
  extensions?: readonly string[];
  limits?: ImageLimits;
}

export interface DatasetScan {
  entries: DatasetEntry[];
  /** Files of this split skipped because min(width, height) < crop. */
  tooSmall: string[];
  /** Files of this split whose header could not be read (message names the file). */
  unreadable: { path: string; reason: string }[];
  /** Files that fell into the other split. */
  otherSplit: number;
}

/** List, split and header-probe the dataset files. Decodes no pixels. */
export async function scanDataset(opts: DatasetOptions): Promise<DatasetScan> {
  const files = await listImages(opts.roots, opts.extensions);
  const split = opts.split ?? 'train', vf = opts.valFraction ?? 0.05;
  const res: DatasetScan = { entries: [], tooSmall: [], unreadable: [], otherSplit: 0 };
  for (const f of files) {
    if (split !== 'all' && splitOf(f.key, vf, opts.splitSalt) !== split) { res.otherSplit++; continue; }
    try {
      const info = await probeImage(f.path);
      const px = info.width * info.height, maxPx = opts.limits?.maxPixels;
      if (maxPx !== undefined && px > maxPx) { res.unreadable.push({ path: f.path, reason: `image too large: ${info.width}x${info.height}` }); continue; }
      if (Math.min(info.width, info.height) < opts.crop) { res.tooSmall.push(f.path); continue; }
      res.entries.push({ path: f.path, key: f.key, width: info.width, height: info.height });
    } catch (e) {
      if (!(e instanceof ImageReadError)) throw e;
      res.unreadable.push({ path: f.path, reason: e.message });
    }
  }
  return res;
}

/** One-line human summary of a scan, e.g. for logs. */
export function describeScan(s: DatasetScan, crop: number): string {
  return `${s.entries.length} images usable; skipped ${s.tooSmall.length} smaller than ${crop}px, ${s.unreadable.length} unreadable; ${s.otherSplit} in the other split`;
}

export interface AugmentOptions { hflip?: boolean; vflip?: boolean; rot90?: boolean }

/**
 * A random size x size crop (uniform top-left), then optional flips / 90-degree rotation, each with p = 0.5.
 * Draw order from `rng`: top, left, hflip, vflip, rot90 (only for enabled ones).
 */
export function randomCrop(img: ImageCHW, size: number, rng: StreamRng, aug: AugmentOptions = { hflip: true }): ImageCHW {
  if (img.h < size || img.w < size) throw new Error(`randomCrop: image ${img.w}x${img.h} smaller than crop ${size}`);
  const top = rng.int(img.h - size + 1), left = rng.int(img.w - size + 1);
  const hf = aug.hflip ? rng.uniform() < 0.5 : false;
  const vf = aug.vflip ? rng.uniform() < 0.5 : false;
  const rot = aug.rot90 ? rng.uniform() < 0.5 : false;
  return cropFlip(img, top, left, size, hf, vf, rot);
}

/** Deterministic crop + flips (+ transpose when rot90, applied after the flips). */
export function cropFlip(img: ImageCHW, top: number, left: number, size: number, hflip: boolean, vflip: boolean, transpose = false): ImageCHW {
  const { c, h, w, data } = img, n = size * size, out = new Float32Array(c * n);
  for (let ch = 0; ch < c; ch++) {
    const sb = ch * h * w, db = ch * n;
    for (let y = 0; y < size; y++) {
      const sy = top + (vflip ? size - 1 - y : y);
      const srow = sb + sy * w + left;
      for (let x = 0; x < size; x++) {
        const v = data[srow + (hflip ? size - 1 - x : x)];
        if (transpose) out[db + x * size + y] = v; else out[db + y * size + x] = v;
      }
    }
  }
  return { data: out, c, h: size, w: size };
}
