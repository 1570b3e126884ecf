// The upscaler: any image, in overlapping model-sized LR tiles (small inputs reflect-padded), sampled segment by segment so that
// the whole ×1 is ready before ×2 and ×2 before ×4; tile outputs blended with feather weights. upscale() and upscaleStream().
import type { Device } from '../engine/index.ts';
import type { ImageCHW } from '../io/image.ts';
import type { HVARBundle } from './bundle.ts';
import { modelRunner, type SampleSettings, type TileGroup, type TileRunner } from './session.ts';
import { Canvas3, cutTile, tileGrid, type BlendMode } from './tiles.ts';

/** Largest input accepted by default, in pixels (its ×4 output is 16 times as many). */
export const DEFAULT_UPSCALE_MAX_PIXELS = 4 * 1024 * 1024;
/** Default GPU memory for KV caches: sets the batch of tiles and whether groups stay alive between segments. */
export const DEFAULT_CACHE_BUDGET = 2 * 1024 ** 3;
/** Most tiles sampled together. */
export const MAX_BATCH = 8;

export interface UpscaleProgress {
  /** Tiles of the group being sampled, 1-based and inclusive (tileEnd = tile without batching), of `tiles`. */
  tile: number; tileEnd: number; tiles: number;
  /** Schedule step just finished, 1-based, of `steps` (10 for the paper's schedule). */
  step: number; steps: number;
  /** Output factor (1, 2, 4) of the segment that step belongs to. */
  factor: number;
  /** The step replayed tokens drawn earlier (rebuilding a released group) instead of drawing. */
  replay: boolean;
  /** Share of the planned work done, seconds since the start, and the estimated seconds left (null until known). */
  fraction: number; elapsed: number; eta: number | null;
}

export interface UpscaleOptions {
  /** Draws are seeded: the same seed, options and model give the same images. Default 0. */
  seed?: number | bigint;
  /** Sampling filters and guidance (0 = off); defaults: the model card's `sampling`, else 0. */
  topK?: number; topP?: number; cfg?: number;
  /** LR tile side in pixels. Default: the model's LR side (128 for the paper's configuration); other sides are resampled to it. */
  tile?: number;
  /** Overlap of neighbouring tiles in LR pixels (default tile / 4, at most tile / 2). */
  overlap?: number;
  /** Most tiles sampled together (default: as many as fit the cache budget, at most 8); the groups are as even as that allows. */
  batch?: number;
  /** Bytes of KV cache that may stay allocated between segments (default 2 GiB). Groups that do not fit are released after each segment and rebuilt by replaying their tokens. */
  cacheBudget?: number;
  /** Largest input in pixels (default 4 Mi). */
  maxPixels?: number;
  /** Bytes of decoder activations one VQVAE decode may hold (default 256 MiB): a batch's tiles are decoded in groups
   * that fit it, one tile at a time when even one does not. Outputs do not depend on it. */
  decodeBudget?: number;
  onProgress?: (p: UpscaleProgress) => void;
}

/** One output as it finishes: the whole image at factor 1, 2 or 4 (3 planes, values in [0, 1]). */
export interface UpscaleStage { scale: 1 | 2 | 4; image: ImageCHW }
export interface UpscaleResult { x1: ImageCHW; x2: ImageCHW; x4: ImageCHW }

/** Seed of tile k: the seed itself for tile 0 (a one-tile image is sampleHVAR's draw with that seed), distinct streams for the rest. */
export function tileSeed(seed: number | bigint, k: number): bigint {
  return BigInt.asUintN(64, BigInt(seed) + BigInt(k) * 0x9e3779b97f4a7c15n);
}

/** Options the tiler itself takes (the stand-in runners of the tests use it directly). */
export interface TileOptions {
  seed: number | bigint; overlap?: number; batch?: number; cacheBudget?: number; maxPixels?: number;
  onProgress?: (p: UpscaleProgress) => void;
  /** 'none' pastes tiles without blending: only for tests that show the seams it would leave. */
  blend?: BlendMode;
}

function checkImage(img: ImageCHW, maxPixels: number, what: string): void {
  const { c, h, w, data } = img ?? ({} as ImageCHW);
  if (!(Number.isInteger(h) && Number.isInteger(w) && h >= 1 && w >= 1) || c !== 3 || !(data instanceof Float32Array) || data.length !== 3 * h * w)
    throw new Error(`${what}: expected an RGB image {data: Float32Array(3·h·w), c: 3, h, w} with values in [0, 1], got c ${c}, h ${h}, w ${w}, ${data?.length} values`);
  if (h * w > maxPixels)
    throw new Error(`${what}: the input is ${w}x${h} = ${h * w} pixels, over the limit of ${maxPixels} (maxPixels / --max-pixels); its x4 output would be ${16 * h * w} pixels`);
}

const intIn = (v: number, lo: number, hi: number) => Number.isInteger(v) && v >= lo && v <= hi;
const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);

/**
 * Tiles `image`, runs every tile through `runner` segment by segment and yields each segment's whole image as soon as all tiles
 * have it. Groups of `batch` tiles share one pass; when all groups' caches fit `cacheBudget` they stay allocated across segments,
 * otherwise each is released after its segment and replayed (its tokens are kept, so the result is the same).
 */
export async function* tiledStream(image: ImageCHW, runner: TileRunner, o: TileOptions): AsyncGenerator<UpscaleStage, void, undefined> {
  const what = 'upscale';
  const maxPixels = o.maxPixels ?? DEFAULT_UPSCALE_MAX_PIXELS;
  checkImage(image, maxPixels, what);
  const T = runner.tile, overlap = o.overlap ?? Math.round(T / 4);
  if (!intIn(overlap, 0, Math.floor(T / 2))) throw new Error(`${what}: overlap must be an integer from 0 to ${Math.floor(T / 2)} (half the tile ${T}), got ${o.overlap}`);
  const budget = o.cacheBudget ?? DEFAULT_CACHE_BUDGET;
  if (!(budget >= 0)) throw new Error(`${what}: cacheBudget must be a number of bytes >= 0, got ${o.cacheBudget}`);
  const g = tileGrid(image.h, image.w, T, overlap);
  const perTile = runner.liveBytes(1);
  const batch = o.batch ?? Math.max(1, Math.min(MAX_BATCH, Math.floor(budget / Math.max(1, perTile))));
  if (!intIn(batch, 1, 1024)) throw new Error(`${what}: batch must be an integer from 1 to 1024, got ${o.batch}`);
  if (batch > 1 && runner.liveBytes(Math.min(batch, g.count)) > budget)
    throw new Error(`${what}: a batch of ${Math.min(batch, g.count)} tiles needs ${mib(runner.liveBytes(Math.min(batch, g.count)))} MiB of KV cache, over the budget of ${mib(budget)} MiB (lower batch or raise cacheBudget)`);
  // As few groups as `batch` allows, their sizes within one of each other (25 tiles by 8: 7, 6, 6, 6, not 8, 8, 8, 1,
  // whose last pass would run one tile at a time). Each tile draws from its own stream, whatever its group.
  const groups: number[][] = [];
  const nGroups = Math.ceil(g.count / batch);
  for (let j = 0, k = 0; j < nGroups; j++) {
    const n = Math.floor(g.count / nGroups) + (j < g.count % nGroups ? 1 : 0);
    groups.push(Array.from({ length: n }, (_, i) => k + i));
    k += n;
  }
  const keep = groups.length === 1 || groups.reduce((s, gr) => s + runner.liveBytes(gr.length), 0) <= budget;

  const nSeg = runner.factors.length, steps = runner.steps, K = steps.length;
  const segSteps = (n: number) => steps.map((s, i) => ({ ...s, i })).filter((s) => s.segment === n);
  const firstOf = (n: number) => segSteps(n)[0]!.i;
  let total = 0;
  for (const gr of groups) for (let n = 0; n < nSeg; n++) {
    const replayed = !keep && n > 0 ? steps.slice(0, firstOf(n)).reduce((a, s) => a + s.units, 0) : 0;
    total += gr.length * (replayed + segSteps(n).reduce((a, s) => a + s.units, 0) + runner.decodeUnits(n));
  }
  let done = 0;
  const t0 = performance.now();
  const report = (gr: number[], step: number, replay: boolean) => {
    if (!o.onProgress) return;
    const elapsed = (performance.now() - t0) / 1000;
    o.onProgress({ tile: gr[0]! + 1, tileEnd: gr[gr.length - 1]! + 1, tiles: g.count, step: step + 1, steps: K, factor: runner.factors[steps[step]!.segment]!,
      replay, fraction: done / total, elapsed, eta: done > 0 ? (elapsed * (total - done)) / done : null });
  };

  const opened: (TileGroup | null)[] = groups.map(() => null);
  const T2 = 3 * T * T;
  try {
    for (let n = 0; n < nSeg; n++) {
      const f = runner.factors[n]!, canvas = new Canvas3(g, f, o.blend ?? 'feather'), side = T * f;
      for (const [gi, gr] of groups.entries()) {
        let grp = opened[gi];
        if (!grp) {
          const lr = new Float32Array(gr.length * T2);
          gr.forEach((k, b) => cutTile(image, g, k, lr, b * T2));
          grp = opened[gi] = runner.open(lr, gr.length, gr.map((k) => tileSeed(o.seed, k)));
        }
        const out = await grp.segment(n, (e) => { done += gr.length * e.units; report(gr, e.scale, e.replay); });
        done += gr.length * runner.decodeUnits(n);
        gr.forEach((k, b) => canvas.add(k, out, b * 3 * side * side));
        if (!keep) grp.release();
      }
      const data = canvas.data;
      for (let i = 0; i < data.length; i++) data[i] = Math.min(1, Math.max(0, data[i]!));
      yield { scale: f as 1 | 2 | 4, image: { data, c: 3, h: canvas.h, w: canvas.w } };
    }
  } finally {
    opened.forEach((grp) => grp?.dispose());
  }
}

/** Sampling settings: the options, else the card's recommendation, else off; checked. */
export function sampleSettings(bundle: HVARBundle, o: UpscaleOptions): SampleSettings {
  const c = bundle.card.sampling ?? {};
  const s = { cfg: o.cfg ?? c.cfg ?? 0, topK: o.topK ?? c.topK ?? 0, topP: o.topP ?? c.topP ?? 0 };
  if (!(Number.isFinite(s.cfg) && s.cfg >= 0)) throw new Error(`upscale: cfg must be a finite number >= 0, got ${s.cfg}`);
  if (!(Number.isInteger(s.topK) && s.topK >= 0)) throw new Error(`upscale: topK must be an integer >= 0 (0 = off), got ${s.topK}`);
  if (!(s.topP >= 0 && s.topP <= 1)) throw new Error(`upscale: topP must lie in [0, 1] (0 = off), got ${s.topP}`);
  return s;
}

/**
 * H-VAR super-resolution of an RGB image (values in [0, 1], any size): yields { scale: 1 | 2 | 4, image } as each whole output is
 * ready — ×1 (the input restored at its own size), then ×2, then ×4. Stopping early (break) frees everything.
 */
export function upscaleStream(dev: Device, bundle: HVARBundle, image: ImageCHW, o: UpscaleOptions = {}): AsyncGenerator<UpscaleStage, void, undefined> {
  if (bundle.model.dev !== dev || bundle.vae.dev !== dev) throw new Error(`upscale: the bundle ${bundle.source} was loaded on another device`);
  const tile = o.tile ?? bundle.lrSide;
  if (!intIn(tile, 2, 8 * bundle.lrSide)) throw new Error(`upscale: tile must be an integer from 2 to ${8 * bundle.lrSide} LR pixels (the model's LR side is ${bundle.lrSide}), got ${o.tile}`);
  const seed = o.seed ?? 0;
  if (!(typeof seed === 'bigint' || Number.isSafeInteger(seed)) || seed < 0) throw new Error(`upscale: seed must be an integer >= 0, got ${o.seed}`);
  checkImage(image, o.maxPixels ?? DEFAULT_UPSCALE_MAX_PIXELS, 'upscale');
  const runner = modelRunner(bundle, sampleSettings(bundle, o), tile, o.decodeBudget);
  return tiledStream(image, runner, { seed, overlap: o.overlap, batch: o.batch, cacheBudget: o.cacheBudget, maxPixels: o.maxPixels, onProgress: o.onProgress });
}

/** upscaleStream run to the end: the ×1, ×2 and ×4 images. */
export async function upscale(dev: Device, bundle: HVARBundle, image: ImageCHW, o: UpscaleOptions = {}): Promise<UpscaleResult> {
  const r: Partial<Record<'x1' | 'x2' | 'x4', ImageCHW>> = {};
  for await (const s of upscaleStream(dev, bundle, image, o)) r[`x${s.scale}`] = s.image;
  return r as UpscaleResult;
}
