// Batching data loader: seeded per-epoch shuffle, per-sample split RNGs, async prefetch queue, NCHW Float32 batches.
import { readFile } from 'node:fs/promises';
import { decodeImage, type ImageCHW, type ImageLimits } from '../../io/image.ts';
import { randomCrop, type AugmentOptions, type DatasetEntry } from './dataset.ts';
import type { StreamRng } from './rng.ts';

/** Produces the LR for an HR crop (e.g. Real-ESRGAN degradation). Gets its own per-sample StreamRng. */
export type MakeLr = (hr: ImageCHW, rng: StreamRng) => ImageCHW | Promise<ImageCHW>;

export interface LoaderOptions {
  entries: readonly DatasetEntry[];
  crop: number;
  batchSize: number;
  /** Root stream; per-epoch shuffles and per-sample streams are split from it, so results don't depend on timing. */
  rng: StreamRng;
  /** Batches decoded ahead of the consumer (default 2). */
  prefetch?: number;
  augment?: AugmentOptions;
  /** '01' (default) or '-11' (x*2-1), applied to HR and LR. */
  range?: '01' | '-11';
  /** Crops taken from each decoded image before moving on (default 1). */
  cropsPerImage?: number;
  shuffle?: boolean;
  /** Drop the last incomplete batch (default true). */
  dropLast?: boolean;
  makeLr?: MakeLr;
  limits?: ImageLimits;
}

export interface Batch {
  epoch: number; index: number;
  n: number; c: number; h: number; w: number;
  /** NCHW, n*c*h*w */
  hr: Float32Array;
  /** NCHW, n*c*lrH*lrW, when makeLr is set */
  lr: Float32Array | null;
  lrH: number; lrW: number;
  paths: string[];
}

export interface LoaderStats { decoded: number; samples: number; batches: number; decodeMs: number; lrMs: number }

const yieldToLoop = () => new Promise<void>((r) => setImmediate(r));

export class DataLoader {
  readonly opts: Required<Omit<LoaderOptions, 'makeLr' | 'limits'>> & Pick<LoaderOptions, 'makeLr' | 'limits'>;
  readonly stats: LoaderStats = { decoded: 0, samples: 0, batches: 0, decodeMs: 0, lrMs: 0 };

  constructor(o: LoaderOptions) {
    if (o.entries.length === 0) throw new Error('DataLoader: no usable images (all skipped or none found)');
    if (!(o.batchSize >= 1)) throw new Error(`DataLoader: bad batchSize ${o.batchSize}`);
    this.opts = { prefetch: 2, augment: { hflip: true }, range: '01', cropsPerImage: 1, shuffle: true, dropLast: true, ...o };
  }

  samplesPerEpoch(): number { return this.opts.entries.length * this.opts.cropsPerImage; }
  batchesPerEpoch(): number {
    const s = this.samplesPerEpoch(), b = this.opts.batchSize;
    return this.opts.dropLast ? Math.floor(s / b) : Math.ceil(s / b);
  }

  /** Image order of epoch e (indices into entries). */
  order(e: number): number[] {
    const idx = this.opts.entries.map((_, i) => i);
    return this.opts.shuffle ? this.opts.rng.split(`shuffle/${e}`).shuffle(idx) : idx;
  }

  /**
   * Batches of one epoch from batch `from` on (a resumed run), produced `prefetch` batches ahead while the consumer works
   * on the current one. Batch b is the same whatever `from` is: its samples and random streams depend only on (e, b).
   */
  async *epoch(e: number, from = 0): AsyncGenerator<Batch> {
    const nb = this.batchesPerEpoch(), cap = Math.max(1, this.opts.prefetch);
    const queue: Batch[] = [];
    let failure: unknown = null, done = false, cancelled = false;
    // Wake-up callbacks live in an object so TypeScript doesn't narrow them to null across closures.
    const sig: { wake: (() => void) | null; space: (() => void) | null } = { wake: null, space: null };
    const notify = (k: 'wake' | 'space') => { const f = sig[k]; sig[k] = null; f?.(); };
    const order = this.order(e);
    const producer = (async () => {
      try {
        const cache = { path: '', img: null as ImageCHW | null };
        for (let b = from; b < nb && !cancelled; b++) {
          while (queue.length >= cap && !cancelled) await new Promise<void>((r) => { sig.space = r; });
          if (cancelled) break;
          queue.push(await this.makeBatch(e, b, order, cache));
          notify('wake');
        }
      } catch (err) { failure = err; } finally { done = true; notify('wake'); }
    })();
    try {
      for (;;) {
        if (queue.length) {
          const item = queue.shift() as Batch;
          notify('space');
          yield item;
          continue;
        }
        if (failure) throw failure;
        if (done) break;
        await new Promise<void>((r) => { sig.wake = r; });
      }
    } finally {
      cancelled = true;
      notify('space');
      await producer;
    }
  }

  /** Endless iteration over epochs starting at batch `startBatch` of epoch `startEpoch`. */
  async *batches(startEpoch = 0, startBatch = 0): AsyncGenerator<Batch> {
    for (let e = startEpoch; ; e++) yield* this.epoch(e, e === startEpoch ? startBatch : 0);
  }

  private async makeBatch(e: number, b: number, order: number[], cache: { path: string; img: ImageCHW | null }): Promise<Batch> {
    const { batchSize, crop, cropsPerImage, entries, makeLr, range } = this.opts;
    const first = b * batchSize, last = Math.min(first + batchSize, order.length * cropsPerImage);
    const n = last - first, c = 3, per = c * crop * crop;
    const hr = new Float32Array(n * per);
    let lr: Float32Array | null = null, lrH = 0, lrW = 0;
    const paths: string[] = [];
    for (let i = first; i < last; i++) {
      const entry = entries[order[Math.floor(i / cropsPerImage)]];
      if (cache.path !== entry.path) {
        const t0 = performance.now();
        const bytes = await readFile(entry.path);
        cache.img = decodeImage(bytes, entry.path, this.opts.limits);
        cache.path = entry.path;
        this.stats.decoded++; this.stats.decodeMs += performance.now() - t0;
        await yieldToLoop();
      }
      const s = this.opts.rng.split(`sample/${e}/${i}`);
      const crp = randomCrop(cache.img as ImageCHW, crop, s.split('crop'), this.opts.augment);
      hr.set(crp.data, (i - first) * per);
      if (makeLr) {
        const t0 = performance.now();
        const l = await makeLr(crp, s.split('lr'));
        this.stats.lrMs += performance.now() - t0;
        if (!lr) { lrH = l.h; lrW = l.w; lr = new Float32Array(n * l.c * l.h * l.w); }
        if (l.h !== lrH || l.w !== lrW || l.c !== c) throw new Error(`DataLoader: makeLr returned ${l.c}x${l.h}x${l.w}, expected ${c}x${lrH}x${lrW}`);
        lr.set(l.data, (i - first) * c * lrH * lrW);
      }
      paths.push(entry.path);
      this.stats.samples++;
      await yieldToLoop();
    }
    if (range === '-11') { toSigned(hr); if (lr) toSigned(lr); }
    this.stats.batches++;
    return { epoch: e, index: b, n, c, h: crop, w: crop, hr, lr, lrH, lrW, paths };
  }
}

function toSigned(a: Float32Array): void { for (let i = 0; i < a.length; i++) a[i] = a[i] * 2 - 1; }
