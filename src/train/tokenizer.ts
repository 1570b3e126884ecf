// Tokenizer training (MODEL_SPEC §5): HIT RQ-VAE fine-tuning or training from scratch, with ℓ2 (+ LPIPS) over the
// three prefix decodes, quantization dropout, AdamW, atomic checkpoints and bit-exact resume.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Device, Rng, Tensor, backward, fromArray, noGrad, ops, scopeAsync } from '../engine/index.ts';
import { MultiScaleQuantizer } from '../models/quant/quantizer.ts';
import { hitSegments, type Segment } from '../models/quant/schedule.ts';
import { VQVAE, saveVQVAE, loadVQVAE, downsampleOf as downOfCfg, type VQVAEConfigInput } from '../models/vqvae/index.ts';
import type { LPIPS } from '../metrics/lpips.ts';
import { writeImageSync, makeImage, type ImageCHW } from '../io/image.ts';
import { AdamW } from './optim/adamw.ts';
import { clipGradNorm } from './optim/clip.ts';
import { warmupCosine } from './optim/schedule.ts';
import { DataLoader } from './data/loader.ts';
import { scanDataset, describeScan } from './data/dataset.ts';
import { StreamRng } from './data/rng.ts';
import { restartDeadCodes, countCodes, codesInUse } from './dead_codes.ts';
import { saveCheckpoint, loadCheckpoint, runConfig, type LoopState } from './checkpoint.ts';
import { Progress, RunLog, writeLossPng, formatDuration, type LogRow } from './progress.ts';

export const TOKENIZER_KIND = 'tokenizer';
/** Which parameters train: the codebook and φ convs (the paper's fine-tuning), plus the decoder, or everything. */
export type Trainable = 'codebook' | 'decoder' | 'all';

export interface TokenizerRunConfig {
  data: string[];
  /** Model: a configuration to build from scratch, or `init` weights (.pth / .safetensors) to fine-tune. */
  model: VQVAEConfigInput | null;
  init: string | null;
  initKey: string | null;
  train: Trainable;
  crop: number; batch: number; steps: number;
  lr: number; warmup: number; minLr: number; weightDecay: number; clip: number;
  /** Commitment β of the VQ loss, probability of quantization dropout, LPIPS weight (used only with lpips weights). */
  beta: number; qdrop: number; lpipsWeight: number; lpips: string | null;
  seed: number; valFraction: number;
  /** Checkpoint / sample-sheet intervals in steps. */
  every: number; sampleEvery: number;
  /**
   * Dead-code restart window in steps (0 = off): after steps N, 2N, ... every code the quantizer picked no time in the
   * window is re-initialised from the step's last-segment latent (`restartDeadCodes`). Absent in older checkpoints = 0.
   */
  restartDead: number;
}

export interface RunPaths { dir: string; checkpoint: string; weights: string; log: string; lossPng: string; samples: string }
export function runPaths(dir: string): RunPaths {
  return { dir, checkpoint: join(dir, 'checkpoint.safetensors'), weights: join(dir, 'vqvae.safetensors'), log: join(dir, 'log.jsonl'),
    lossPng: join(dir, 'loss.png'), samples: join(dir, 'samples') };
}

/** Parameters of each trainable set, by their state-dict names. */
export function trainableParams(vae: VQVAE, which: Trainable): [string, Tensor][] {
  const all = vae.namedParameters();
  if (which === 'all') return all;
  const keep = (k: string) => k.startsWith('quantize.') || (which === 'decoder' && (k.startsWith('decoder.') || k.startsWith('post_quant_conv.')));
  return all.filter(([k]) => keep(k));
}

/** The quantizer of `vae` re-planned for another schedule, sharing its codebook and φ tensors (training crops). */
export function quantizerFor(vae: VQVAE, segments: readonly Segment[]): MultiScaleQuantizer {
  const q = vae.quantize;
  return new MultiScaleQuantizer({ ...q.cfg, segments }, {
    codebook: q.codebook, phiW: q.quant_resi.qresi_ls.map((c) => c.weight), phiB: q.quant_resi.qresi_ls.map((c) => c.bias),
  });
}

/** Spatial downsampling of the VQVAE (16 for VAR's): one halving per level after the first. */
export function downsampleOf(vae: VQVAE): number { return downOfCfg(vae.cfg); }

/** The image area-resized to each segment's size (¼, ½, 1 of x for HIT), as the encoder sees it (MODEL_SPEC §2). */
export function segmentInputs(vae: VQVAE, q: MultiScaleQuantizer, x_B3HW: Tensor): Tensor[] {
  const H = x_B3HW.shape[2]!, f = downsampleOf(vae);
  return q.plan.segments.map((s) => (s.side * f === H ? x_B3HW : ops.resample(x_B3HW, s.side * f, s.side * f, 'area')));
}

/** HIT prefix decodes of x (no gradient): the image of the tokens up to the end of each segment, at that segment's size. */
export function hitPrefixes(vae: VQVAE, q: MultiScaleQuantizer, x_B3HW: Tensor): Tensor[] {
  const r = hitPrefixesAndIds(vae, q, x_B3HW);
  r.idx_BL.dispose();
  return r.images;
}

/** hitPrefixes and the token ids [B, L] (i32) they decode. */
export function hitPrefixesAndIds(vae: VQVAE, q: MultiScaleQuantizer, x_B3HW: Tensor): { images: Tensor[]; idx_BL: Tensor } {
  return noGrad(x_B3HW.dev, () => {
    const zs = segmentInputs(vae, q, x_B3HW).map((x) => vae.encode(x));
    const tok = q.tokenize(zs);
    return { images: tok.fHats.map((f) => vae.decodeLatent(f)), idx_BL: tok.idx_BL };
  });
}

/** The loss and its terms; the token ids picked [B, L] (i32) and the last segment's latent z [B, Cv, h, w] (full crop). */
export interface StepOut { loss: Tensor; rec: Tensor[]; vq: Tensor; lp: Tensor[]; idx_BL: Tensor; z_BChw: Tensor }

/**
 * One training forward: encode the image at each segment's size (¼, ½, 1), tokenize (no grad), rebuild f_hat
 * differentiably (gradient to the codebook and φ), add a straight-through path to the latent, swap in the continuous
 * latent for the samples picked by quantization dropout, decode, and sum ℓ2 (+ w·LPIPS) over the prefixes plus the VQ loss.
 */
export function tokenizerLoss(vae: VQVAE, q: MultiScaleQuantizer, x_B3HW: Tensor, dropMask: Float32Array, o: { beta: number; lpips: LPIPS | null; lpipsWeight: number; encoderTrains: boolean }): StepOut {
  const dev = x_B3HW.dev, B = x_B3HW.shape[0]!, segs = q.plan.segments;
  const xs = segmentInputs(vae, q, x_B3HW);
  const zs = xs.map((x) => (o.encoderTrains ? vae.encode(x) : noGrad(dev, () => vae.encode(x))));
  const idx = q.tokenize(zs); // no gradient: tokenize runs under noGrad itself
  idx.fHats.forEach((t) => t.dispose());
  const fhs = q.rebuild(idx.idx_BL);
  const vq = ops.vqLoss(fhs.map((t, k) => [t, zs[q.plan.scales[k]!.segment]!] as [Tensor, Tensor]), o.beta);
  const drop = fromArray(dev, dropMask, [B, 1, 1, 1]);
  const rec: Tensor[] = [], lp: Tensor[] = [];
  let loss = vq;
  segs.forEach((_, n) => {
    const lastK = q.plan.scales.reduce((a, s, k) => (s.segment === n ? k : a), -1);
    const z = zs[n]!;
    const zero = ops.fill(dev, z.shape, 0);
    // f_hat's value, with gradient to the codebook and φ (through fhs) and to the latent (straight-through).
    const fin = ops.add(fhs[lastK]!, ops.straightThrough(z, zero));
    const dec = ops.where(drop, z, fin);
    const xh = vae.decodeLatent(dec, { clamp: false }); // VAR's training forward does not clamp
    const r = ops.mseLoss(xh, xs[n]!);
    rec.push(r);
    loss = ops.add(loss, r);
    if (o.lpips) {
      const l = ops.mean(o.lpips.forward(xh, xs[n]!));
      lp.push(l);
      loss = ops.add(loss, ops.mulScalar(l, o.lpipsWeight));
    }
  });
  return { loss, rec, vq, lp, idx_BL: idx.idx_BL, z_BChw: zs[zs.length - 1]! };
}

/** Per-sample quantization-dropout mask of a step: 1 = decode the continuous latent. Depends only on (seed, step). */
export function dropMaskOf(rng: StreamRng, step: number, B: number, p: number): Float32Array {
  const s = rng.split(`qdrop/${step}`), m = new Float32Array(B);
  for (let i = 0; i < B; i++) m[i] = s.uniform() < p ? 1 : 0;
  return m;
}

export interface TrainHooks { log?: (line: string) => void; stopAfter?: number }

/**
 * Runs (or resumes) a tokenizer training run in `dir`. With `resume`, the configuration, weights, optimizer, data
 * position and log come from `dir`'s checkpoint, and the losses continue exactly as an uninterrupted run's would.
 */
export async function trainTokenizer(dev: Device, dir: string, cfgIn: TokenizerRunConfig | null, o: { resume: boolean; steps?: number } & TrainHooks): Promise<{ rows: LogRow[]; vae: VQVAE }> {
  const say = o.log ?? ((l: string) => console.log(l));
  const P = runPaths(dir);
  mkdirSync(P.samples, { recursive: true });
  const start = await runConfig<TokenizerRunConfig>(P.checkpoint, cfgIn, o, 'trainTokenizer');
  const cfg = start.cfg;
  let loop: LoopState | null = start.loop;

  // Model: fresh (seeded), or initial weights; a resumed run overwrites them from the checkpoint below.
  const rootRng = StreamRng.fromSeed(cfg.seed);
  const vae = cfg.init ? await loadVQVAE(dev, cfg.init, { key: cfg.initKey ?? undefined, cfg: cfg.model ?? undefined })
    : VQVAE.create(dev, cfg.model!, new Rng(cfg.seed));
  const down = downsampleOf(vae);
  if (cfg.crop % (4 * down)) throw new Error(`--crop ${cfg.crop}: must be a multiple of ${4 * down} (the VQVAE downsamples by ${down}, and HIT needs a latent side divisible by 4)`);
  const q = quantizerFor(vae, hitSegments(cfg.crop / down));
  const named = trainableParams(vae, cfg.train);
  const trainSet = new Set(named.map(([, t]) => t));
  for (const p of vae.parameters()) p.requiresGrad = trainSet.has(p);
  const opt = new AdamW(AdamW.decayGroups(named, cfg.weightDecay), { lr: cfg.lr, betas: [0.9, 0.95] });
  const log = new RunLog(P.log);
  let rows: LogRow[] = [];
  if (loop) {
    loop = await loadCheckpoint(P.checkpoint, vae, opt, TOKENIZER_KIND);
    rows = log.truncate(loop.step);
    say(`resumed ${P.checkpoint} at step ${loop.step} (epoch ${loop.epoch}, batch ${loop.batch})`);
  } else {
    log.truncate(-1);
    loop = { kind: TOKENIZER_KIND, step: 0, epoch: 0, batch: 0, wallMs: 0, config: cfg as unknown as Record<string, unknown> };
  }
  // Dead-code restart: hits per code since the last restart, carried in the checkpoint so a resumed run restarts alike.
  const restartEvery = cfg.restartDead ?? 0, V = q.cfg.vocab;
  const window = new Float64Array(V);
  if (restartEvery > 0) {
    const saved = loop.extra?.codeCounts;
    if (saved !== undefined) {
      if (!Array.isArray(saved) || saved.length !== V) throw new Error(`${P.checkpoint}: extra.codeCounts must hold ${V} counts (one per code)`);
      window.set(saved as number[]);
    }
  }

  let lpips: LPIPS | null = null;
  if (cfg.lpips) { const { loadLpips } = await import('../metrics/lpips.ts'); lpips = await loadLpips(dev, cfg.lpips); }
  else say('no LPIPS weights given (--lpips): training with ℓ2 alone');

  const scan = await scanDataset({ roots: cfg.data, crop: cfg.crop, split: 'train', valFraction: cfg.valFraction });
  say(`data: ${describeScan(scan, cfg.crop)}`);
  const loader = new DataLoader({ entries: scan.entries, crop: cfg.crop, batchSize: cfg.batch, rng: rootRng.split('data'), range: '-11', augment: { hflip: true } });
  const val = await scanDataset({ roots: cfg.data, crop: cfg.crop, split: 'val', valFraction: cfg.valFraction });
  const sheetSrc = val.entries.length ? val.entries : scan.entries;

  say(`tokenizer: ${vae.numParameters().toLocaleString('en')} parameters, training ${named.reduce((a, [, t]) => a + t.numel, 0).toLocaleString('en')} (${cfg.train}); crop ${cfg.crop}, batch ${cfg.batch}, schedule ${q.plan.segments.map((s) => `${s.side}:[${s.scales}]`).join(' ')}`);
  const prog = new Progress(cfg.steps, cfg.batch);
  const t0 = performance.now(), wall0 = loop.wallMs;
  const stopAt = Math.min(cfg.steps, o.stopAfter ?? Infinity);
  const it = loader.batches(loop.epoch, loop.batch);
  let step = loop.step;
  const save = async (nextEpoch: number, nextBatch: number) => {
    const state: LoopState = { ...loop!, step, epoch: nextEpoch, batch: nextBatch, wallMs: wall0 + performance.now() - t0 };
    if (restartEvery > 0) state.extra = { ...loop!.extra, codeCounts: Array.from(window) };
    await saveCheckpoint(P.checkpoint, vae, opt, state);
    await saveVQVAE(vae, P.weights);
    writeLossPng(P.lossPng, rows, ['loss', ...q.plan.segments.map((_, n) => `rec${n + 1}`), 'vq'], `tokenizer training (${cfg.train})`);
  };
  while (step < stopAt) {
    const b = (await it.next()).value!;
    const lr = warmupCosine(step, { lr: cfg.lr, warmup: cfg.warmup, total: cfg.steps, minLr: cfg.minLr });
    opt.setLr(lr);
    const fields = await scopeAsync(dev, async () => {
      const x = fromArray(dev, b.hr, [b.n, b.c, b.h, b.w]);
      const out = tokenizerLoss(vae, q, x, dropMaskOf(rootRng, step, b.n, cfg.qdrop), { beta: cfg.beta, lpips, lpipsWeight: cfg.lpipsWeight, encoderTrains: cfg.train === 'all' });
      backward(out.loss);
      const gn = cfg.clip > 0 ? clipGradNorm(named.map(([, t]) => t), cfg.clip) : null;
      opt.step();
      opt.zeroGrad();
      const vals = await Promise.all([out.loss, out.vq, ...out.rec, ...out.lp, ...(gn ? [gn] : [])].map((t) => t.item()));
      const row: Record<string, number> = { loss: vals[0]!, vq: vals[1]! };
      out.rec.forEach((_, n) => { row[`rec${n + 1}`] = vals[2 + n]!; });
      out.lp.forEach((_, n) => { row[`lpips${n + 1}`] = vals[2 + out.rec.length + n]!; });
      if (gn) row.gradNorm = vals[vals.length - 1]!;
      if (restartEvery > 0) {
        countCodes(window, (await out.idx_BL.toArray()) as Int32Array);
        if ((step + 1) % restartEvery === 0) {
          // After this step's update: dead codes take this step's full-crop latents; the window starts again.
          const r = await restartDeadCodes(q.codebook, opt, window, out.z_BChw, rootRng.split(`restart/${step + 1}`));
          row.codes = codesInUse(window);
          row.restarted = r.dead.length;
          window.fill(0);
        }
      }
      return row;
    });
    step++;
    const row: LogRow = { step, ...fields, lr };
    rows.push(row); log.append(row);
    const restartNote = fields.restarted !== undefined ? `  codes ${fields.codes}/${V} in use, restarted ${fields.restarted}` : '';
    say(prog.line(step, { loss: fields.loss!, ...Object.fromEntries(q.plan.segments.map((_, n) => [`rec${n + 1}`, fields[`rec${n + 1}`]!])) }) + restartNote);
    const [ne, nb] = b.index + 1 >= loader.batchesPerEpoch() ? [b.epoch + 1, 0] : [b.epoch, b.index + 1];
    if (step % cfg.every === 0 || step === stopAt) await save(ne, nb);
    if (cfg.sampleEvery > 0 && (step % cfg.sampleEvery === 0 || step === stopAt)) await writeSampleSheet(dev, vae, q, sheetSrc, cfg.crop, join(P.samples, `step-${String(step).padStart(6, '0')}.png`));
  }
  await it.return(undefined);
  say(`done: step ${step}, wall ${formatDuration((wall0 + performance.now() - t0) / 1000)}; weights ${P.weights}`);
  lpips?.dispose();
  return { rows, vae };
}

/** A sheet of reconstructions: per validation crop, the input then the decode of every prefix (nearest-resized to the crop). */
export async function writeSampleSheet(dev: Device, vae: VQVAE, q: MultiScaleQuantizer, entries: { path: string }[], crop: number, path: string, n = 3): Promise<void> {
  const { readImage } = await import('../io/image.ts');
  const S = q.plan.segments.length, cols = S + 1, gap = 4;
  n = Math.min(n, entries.length);
  const sheet = makeImage(3, n * (crop + gap) - gap, cols * (crop + gap) - gap);
  sheet.data.fill(1);
  for (let i = 0; i < n; i++) {
    const img = await readImage(entries[i]!.path);
    const top = Math.floor((img.h - crop) / 2), left = Math.floor((img.w - crop) / 2);
    const x = new Float32Array(3 * crop * crop);
    for (let c = 0; c < 3; c++) for (let y = 0; y < crop; y++) for (let xx = 0; xx < crop; xx++) x[(c * crop + y) * crop + xx] = img.data[(c * img.h + top + y) * img.w + left + xx]! * 2 - 1;
    const decs = await scopeAsync(dev, async () => {
      const xt = fromArray(dev, x, [1, 3, crop, crop]);
      const outs = hitPrefixes(vae, q, xt);
      return Promise.all(outs.map(async (t) => ({ side: t.shape[2]!, data: (await t.toArray()) as Float32Array })));
    });
    blit(sheet, { c: 3, h: crop, w: crop, data: x.map((v) => (v + 1) / 2) }, i * (crop + gap), 0, crop);
    decs.forEach((d, j) => blit(sheet, { c: 3, h: d.side, w: d.side, data: d.data.map((v) => (v + 1) / 2) }, i * (crop + gap), (j + 1) * (crop + gap), crop));
  }
  writeImageSync(path, sheet);
}

/** Copies `img` nearest-resized to size×size into `dst` at (top, left), clamped to [0, 1]. */
export function blit(dst: ImageCHW, img: ImageCHW, top: number, left: number, size: number) {
  for (let c = 0; c < 3; c++) for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) {
    const sy = Math.floor((y * img.h) / size), sx = Math.floor((x * img.w) / size);
    dst.data[(c * dst.h + top + y) * dst.w + left + x] = Math.min(1, Math.max(0, img.data[(c * img.h + sy) * img.w + sx]!));
  }
}

