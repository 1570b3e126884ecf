// H-VAR training (MODEL_SPEC §5): teacher-forced CE over all scale tokens (1/L) + the DPO regulariser
// −log σ(β·(log p(z_HR) − log p(z_LR))) from cached HIT tokens, AdamW (0.9, 0.95), warmup + cosine, clipping,
// per-scale loss and accuracy, atomic checkpoints and bit-exact resume.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Rng, Tensor, backward, fromArray, noGrad, ops, scopeAsync, type Device } from '../engine/index.ts';
import { hitSegments, levelsOf } from '../models/quant/schedule.ts';
import { loadVQVAE, type VQVAE } from '../models/vqvae/index.ts';
import { HVAR, hvarConfig, initHVAR, saveHVAR, type HVARConfigInput } from '../models/hvar/index.ts';
import { AdamW } from './optim/adamw.ts';
import { clipGradNorm } from './optim/clip.ts';
import { warmupCosine } from './optim/schedule.ts';
import { scanDataset, describeScan } from './data/dataset.ts';
import { StreamRng } from './data/rng.ts';
import { saveCheckpoint, loadCheckpoint, runConfig, type LoopState } from './checkpoint.ts';
import { Progress, RunLog, writeLossPng, formatDuration, type LogRow } from './progress.ts';
import { prepareTokenCache, readTokenSample, type TokenSample } from './hvar_data.ts';

export const HVAR_KIND = 'hvar';

export interface HVARRunConfig {
  data: string[];
  /** The frozen tokenizer (.safetensors / .pth) and the transformer's configuration (preset fields). */
  vae: string; vaeKey: string | null;
  model: HVARConfigInput;
  /** HR crop (the output size) and LR factor; fixed crops per photo, tokenized once into `<out>/tokens`. */
  crop: number; scale: number; cropsPerImage: number;
  batch: number; steps: number;
  lr: number; warmup: number; minLr: number; weightDecay: number; clip: number;
  /** DPO weight (0 switches it off) and β; probability of training a sample with the null condition row (CFG). */
  dpo: number; beta: number; condDrop: number;
  seed: number; valFraction: number; every: number;
}

/** Numerically stable softplus(x) = max(x, 0) + log(1 + exp(−|x|)). */
export function softplus(x: Tensor): Tensor {
  return ops.add(ops.relu(x), ops.log(ops.addScalar(ops.exp(ops.neg(ops.abs(x))), 1)));
}

/** MODEL_SPEC §5's DPO term, mean over the batch of −log σ(β·(log p(z_HR) − log p(z_LR))) from per-sequence log-probs [B]. */
export function dpoLoss(logpHR_B: Tensor, logpLR_B: Tensor, beta: number): Tensor {
  return ops.mean(softplus(ops.mulScalar(ops.sub(logpHR_B, logpLR_B), -beta)));
}

export interface HVARStep { loss: Tensor; ce: Tensor; dpo: Tensor | null; margin: Tensor | null; logp_BK: Tensor; argmax_BL: Tensor }

/**
 * One training forward: logits of the HR tokens (teacher-forced, conditioned on the LR latent), CE and per-scale
 * log-probs; with DPO, a second pass over the LR tokens and −log σ(β·margin) averaged over the batch.
 */
export function hvarLoss(model: HVAR, vae: VQVAE, lrLat: Tensor, idsHR: Tensor, idsLR: Tensor, cond: Int32Array, o: { dpo: number; beta: number; levels: Int32Array }): HVARStep {
  const dev = lrLat.dev;
  const xHR = vae.teacherInput(idsHR);
  const logitsHR = model.forwardTrain(lrLat, xHR, { cond });
  const r = ops.seqLogProb(logitsHR, idsHR, { levelsOfL: o.levels, crossEntropy: true });
  const argmax_BL = noGrad(dev, () => ops.argmax(logitsHR, 2));
  let loss = r.ce!, dpo: Tensor | null = null, margin: Tensor | null = null;
  if (o.dpo > 0) {
    const xLR = vae.teacherInput(idsLR);
    const logitsLR = model.forwardTrain(lrLat, xLR, { cond });
    const rl = ops.seqLogProb(logitsLR, idsLR);
    margin = ops.sub(r.logp_B, rl.logp_B);
    dpo = dpoLoss(r.logp_B, rl.logp_B, o.beta);
    loss = ops.add(loss, ops.mulScalar(dpo, o.dpo));
  }
  return { loss, ce: r.ce!, dpo, margin, logp_BK: r.logp_BK!, argmax_BL };
}

/** Per-sample condition rows of a step: 1 (null, for CFG) with probability p. Depends only on (seed, step). */
export function condRowsOf(rng: StreamRng, step: number, B: number, p: number): Int32Array {
  const s = rng.split(`cond/${step}`), c = new Int32Array(B);
  for (let i = 0; i < B; i++) c[i] = s.uniform() < p ? 1 : 0;
  return c;
}

export interface HVARRunPaths { dir: string; checkpoint: string; weights: string; log: string; lossPng: string; tokens: string }
export function hvarRunPaths(dir: string): HVARRunPaths {
  return { dir, checkpoint: join(dir, 'checkpoint.safetensors'), weights: join(dir, 'hvar.safetensors'), log: join(dir, 'log.jsonl'), lossPng: join(dir, 'loss.png'), tokens: join(dir, 'tokens') };
}

/** Runs or resumes an H-VAR training run in `dir` (see trainTokenizer for the resume contract). */
export async function trainHVAR(dev: Device, dir: string, cfgIn: HVARRunConfig | null, o: { resume: boolean; steps?: number; log?: (s: string) => void; stopAfter?: number }): Promise<{ rows: LogRow[]; model: HVAR; vae: VQVAE }> {
  const say = o.log ?? ((l: string) => console.log(l));
  const P = hvarRunPaths(dir);
  mkdirSync(dir, { recursive: true });
  const start = await runConfig<HVARRunConfig>(P.checkpoint, cfgIn, o, 'trainHVAR');
  const cfg = start.cfg;
  let loop: LoopState | null = start.loop;
  const rootRng = StreamRng.fromSeed(cfg.seed);

  // The frozen tokenizer, planned for the crop (HIT segments at ¼, ½ and 1 of it).
  const probe = await loadVQVAE(dev, cfg.vae, { key: cfg.vaeKey ?? undefined });
  const down = probe.downsample;
  probe.dispose();
  if (cfg.crop % (4 * down)) throw new Error(`--crop ${cfg.crop}: must be a multiple of ${4 * down} (the tokenizer downsamples by ${down}; HIT needs a latent side divisible by 4)`);
  if (cfg.crop % cfg.scale) throw new Error(`--crop ${cfg.crop} is not divisible by --scale ${cfg.scale}`);
  const side = cfg.crop / down;
  const vae = await loadVQVAE(dev, cfg.vae, { key: cfg.vaeKey ?? undefined, cfg: { segments: hitSegments(side) } });
  for (const p of vae.parameters()) p.requiresGrad = false;
  // Frozen: its weights laid out once (the token cache's tokenize and encode, every step's teacher input).
  vae.eval().prepareForInference();

  const scan = await scanDataset({ roots: cfg.data, crop: cfg.crop, split: 'train', valFraction: cfg.valFraction });
  say(`data: ${describeScan(scan, cfg.crop)}`);
  const names = await prepareTokenCache(dev, vae, { entries: scan.entries, crop: cfg.crop, scale: cfg.scale, cropsPerImage: cfg.cropsPerImage, seed: cfg.seed, dir: P.tokens, vaePath: cfg.vae }, say);
  const L = vae.tokens;
  const samples: TokenSample[] = [];
  for (const n of names) samples.push(await readTokenSample(P.tokens, n, L));
  if (samples.length < cfg.batch) throw new Error(`${samples.length} cached samples, fewer than --batch ${cfg.batch}`);

  const mcfg = hvarConfig({ ...cfg.model, vocab: vae.cfg.vocabSize, cvae: vae.cfg.zChannels, segments: vae.cfg.segments, prefixSide: side });
  const model = new HVAR(dev, mcfg, { init: 'none' });
  initHVAR(model, new Rng(cfg.seed));
  const named = model.namedParameters();
  const opt = new AdamW(AdamW.decayGroups(named, cfg.weightDecay), { lr: cfg.lr, betas: [0.9, 0.95] });
  const log = new RunLog(P.log);
  let rows: LogRow[] = [];
  if (loop) {
    loop = await loadCheckpoint(P.checkpoint, model, opt, HVAR_KIND);
    rows = log.truncate(loop.step);
    say(`resumed ${P.checkpoint} at step ${loop.step} (epoch ${loop.epoch}, batch ${loop.batch})`);
  } else {
    log.truncate(-1);
    loop = { kind: HVAR_KIND, step: 0, epoch: 0, batch: 0, wallMs: 0, config: cfg as unknown as Record<string, unknown> };
  }
  const levels = levelsOf(vae.plan);
  const K = vae.plan.scales.length, perScale = vae.plan.scales.map((s) => s.pn * s.pn);
  say(`H-VAR: ${model.numParameters().toLocaleString('en')} parameters; ${samples.length} cached samples; ${L} tokens + ${side * side} prefix; batch ${cfg.batch}; DPO ${cfg.dpo > 0 ? `weight ${cfg.dpo}, β ${cfg.beta}` : 'off'}`);

  const nb = Math.floor(samples.length / cfg.batch);
  const prog = new Progress(cfg.steps, cfg.batch);
  const t0 = performance.now(), wall0 = loop.wallMs, stopAt = Math.min(cfg.steps, o.stopAfter ?? Infinity);
  let step = loop.step, epoch = loop.epoch, b = loop.batch;
  let order = rootRng.split(`shuffle/${epoch}`).shuffle(samples.map((_, i) => i));
  const save = async () => {
    await saveCheckpoint(P.checkpoint, model, opt, { ...loop!, step, epoch, batch: b, wallMs: wall0 + performance.now() - t0 });
    await saveHVAR(model, P.weights);
    writeLossPng(P.lossPng, rows, ['loss', 'ce', 'dpo'], 'H-VAR training');
  };
  while (step < stopAt) {
    const pick = order.slice(b * cfg.batch, (b + 1) * cfg.batch).map((i) => samples[i]!);
    const lr = warmupCosine(step, { lr: cfg.lr, warmup: cfg.warmup, total: cfg.steps, minLr: cfg.minLr });
    opt.setLr(lr);
    const B = pick.length, C = vae.cfg.zChannels;
    const cat = <A extends Int32Array | Float32Array>(xs: A[], mk: new (n: number) => A): A => { const out = new mk(xs.reduce((a, x) => a + x.length, 0)); let off = 0; for (const x of xs) { out.set(x, off); off += x.length; } return out; };
    const row = await scopeAsync(dev, async () => {
      const lrLat = fromArray(dev, cat(pick.map((p) => p.lrLatent), Float32Array), [B, C, side, side]);
      const idsHR = fromArray(dev, cat(pick.map((p) => p.idsHR), Int32Array), [B, L], 'i32');
      const idsLR = fromArray(dev, cat(pick.map((p) => p.idsLR), Int32Array), [B, L], 'i32');
      const out = hvarLoss(model, vae, lrLat, idsHR, idsLR, condRowsOf(rootRng, step, B, cfg.condDrop), { dpo: cfg.dpo, beta: cfg.beta, levels });
      backward(out.loss);
      const gn = cfg.clip > 0 ? clipGradNorm(named.map(([, t]) => t), cfg.clip) : null;
      opt.step(); opt.zeroGrad();
      const r: Record<string, number> = { loss: await out.loss.item(), ce: await out.ce.item() };
      if (out.dpo) { r.dpo = await out.dpo.item(); const m = (await out.margin!.toArray()) as Float32Array; r.margin = m.reduce((a, v) => a + v, 0) / m.length; }
      if (gn) r.gradNorm = await gn.item();
      const lp = (await out.logp_BK.toArray()) as Float32Array, am = (await out.argmax_BL.toArray()) as Int32Array, ids = pick.map((p) => p.idsHR);
      for (let k = 0; k < K; k++) {
        let s = 0;
        for (let i = 0; i < B; i++) s += lp[i * K + k]!;
        r[`ce${k + 1}`] = -s / (B * perScale[k]!);
      }
      const hits = new Float64Array(K);
      for (let i = 0; i < B; i++) for (let l = 0; l < L; l++) if (am[i * L + l] === ids[i]![l]) hits[levels[l]!]++;
      for (let k = 0; k < K; k++) r[`acc${k + 1}`] = hits[k]! / (B * perScale[k]!);
      return r;
    });
    step++;
    b++;
    if (b >= nb) { epoch++; b = 0; order = rootRng.split(`shuffle/${epoch}`).shuffle(samples.map((_, i) => i)); }
    const logRow: LogRow = { step, ...row, lr };
    rows.push(logRow); log.append(logRow);
    say(prog.line(step, { loss: row.loss!, ce: row.ce!, ...(row.dpo !== undefined ? { dpo: row.dpo, margin: row.margin! } : {}), [`acc${K}`]: row[`acc${K}`]! }));
    if (step % cfg.every === 0 || step === stopAt) await save();
  }
  say(`done: step ${step}, wall ${formatDuration((wall0 + performance.now() - t0) / 1000)}; weights ${P.weights}`);
  return { rows, model, vae };
}
