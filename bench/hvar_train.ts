// bench:hvar's training step: one H-VAR step at batch 1 as the trainer computes it (hvarLoss: teacher-forced CE over every scale
// token with the LR prefix, DPO off; backward; gradient clipping; AdamW), timed per phase with dispatched FLOPs and the GPU memory
// it holds (weights, gradients, AdamW moments, activations); a size check against the host's free memory comes first.
import { readFileSync } from 'node:fs';
import { freemem } from 'node:os';
import { Rng, backward, countWork, fromArray, scopeAsync, type Device, type FamilyTotals, type WorkFamily } from '../src/engine/index.ts';
import { HVAR, initHVAR } from '../src/models/hvar/index.ts';
import { levelsOf } from '../src/models/quant/schedule.ts';
import { hvarLoss } from '../src/train/hvar.ts';
import { AdamW } from '../src/train/optim/adamw.ts';
import { clipGradNorm } from '../src/train/optim/clip.ts';
import type { Built } from './paper_model.ts';

export const TRAIN_PHASES = ['forward', 'backward', 'optimizer'] as const;
export type TrainPhase = typeof TRAIN_PHASES[number];
export interface PhaseSample { ms: number; cpuMs: number; flops: number; attentionFlops: number; matmulFlops: number; pipelines: number }
export interface TrainStepSample { ms: number; cpuMs: number; flops: number; loss: number; phases: Record<TrainPhase, PhaseSample> }

/** MiB figures of the first step (what poolStats shows; "above the start" = above the weights already held). */
export interface TrainMemory {
  /** H-VAR parameters, and the frozen VQVAE's (its codebook and φ make the teacher input). */
  weightsMiB: number; vqvaeWeightsMiB: number;
  /** Σ of the gradients' and of AdamW's exp_avg + exp_avg_sq sizes (exact, from the tensors). */
  gradsMiB: number; momentsMiB: number;
  /** Most bytes in live tensors above the start during each phase (the graph's saved activations live until the step's scope ends). */
  peakLiveAboveStartMiB: Record<TrainPhase, number>;
  /** Forward's peak above the start: the activations the graph keeps for backward, and the forward's temporaries. */
  activationsMiB: number;
  /**
   * Over the whole step, the H-VAR's and the VQVAE's weights included, other tensors alive at the start left out (the LR image, a
   * deeper model while a shallower copy trains): most bytes in live tensors; in buffers (live or cached by the pool); in buffers
   * and textures.
   */
  peakLiveMiB: number; peakBuffersMiB: number; peakHeldMiB: number;
}

export interface TrainResult {
  ran: boolean;
  /** Why the step did not run (size check), when it did not. */
  skipped?: string;
  /** The size check: its estimate of the step's memory above the weights, and the host memory available at the time. */
  estimate: { gradsMiB: number; momentsMiB: number; activationsMiB: number; totalMiB: number; availableMiB: number; rule: string };
  settings: { batch: 1; dpo: 'off'; clip: number; lr: number; weightDecay: number; betas: [number, number]; steps: number; tokens: number; prefix: number };
  steps: TrainStepSample[];
  /** The first step's dispatched totals per family (counted). */
  byFamily?: Record<WorkFamily, FamilyTotals>;
  memory?: TrainMemory;
  /** Steps run at two other depths (same widths, tokens and vocab) and carried linearly to the model's depth. */
  extrapolated?: Extrapolated;
}

/** Time, FLOPs and memory at the model's depth, linear in depth through two runs at other depths (every block has the same shapes). */
export interface Extrapolated {
  depths: [number, number]; toDepth: number;
  runs: { depth: number; params: number; result: TrainResult }[];
  /** From each run's last step (its first, cold one when --train-steps is 1). */
  step: { ms: number; cpuMs: number; flops: number; phases: Record<TrainPhase, { ms: number; flops: number }> };
  memory: TrainMemory;
}

const MiB = (b: number) => +(b / 2 ** 20).toFixed(1);

/** Host memory available to new allocations (lavapipe's GPU memory is host memory): MemAvailable, else os.freemem(). */
export function availableBytes(): number {
  try {
    const m = /^MemAvailable:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8'));
    if (m) return Number(m[1]) * 1024;
  } catch { /* not Linux */ }
  return freemem();
}

/**
 * The size check's estimate of one step above the weights: gradients (= weights), AdamW's two moments (2 × weights), and the
 * activations: per block and token ~24 C + 4 hidden floats kept for backward (norm inputs and outputs, q/k/v, attention output
 * and its softmax statistics, both residuals, fc1's output and GELU's), plus logits, their softmax and gradient (3 × L·V).
 */
export function trainEstimate(b: Built, availBytes: number) {
  const m = b.model, z = m.sizes, W = m.numParameters() * 4;
  const T = z.prefix + z.L, act = 4 * (m.cfg.depth * T * (24 * z.C + 4 * z.hidden) + 3 * z.L * m.cfg.vocab);
  const total = 3 * W + act;
  return { gradsMiB: MiB(W), momentsMiB: MiB(2 * W), activationsMiB: MiB(act), totalMiB: MiB(total), availableMiB: MiB(availBytes),
    rule: 'runs when 1.5 × total (the pool caches released buffers) fits the host memory available' };
}

/**
 * `steps` training steps of b.model at batch 1 (the first counted and cold). Random LR latent and HR ids (seeded); the VQVAE is
 * frozen (its parameters' requiresGrad off, as the trainer sets it). Runs only when the size check passes.
 */
export async function trainStep(dev: Device, b: Built, o: { steps: number; log: (s: string) => void; availBytes?: number }): Promise<TrainResult> {
  const m = b.model, vae = b.vae, z = m.sizes;
  const settings = { batch: 1 as const, dpo: 'off' as const, clip: 1, lr: 1e-4, weightDecay: 0.05, betas: [0.9, 0.95] as [number, number], steps: o.steps, tokens: z.L, prefix: z.prefix };
  await dev.sync();
  dev.resetPeakMemory({ trim: true }); // the pool's cached buffers back to the host before the check
  const estimate = trainEstimate(b, o.availBytes ?? availableBytes());
  if (1.5 * estimate.totalMiB > estimate.availableMiB) {
    const why = `size check: one d${m.cfg.depth} step needs ~${(estimate.totalMiB / 1024).toFixed(1)} GiB above the weights (grads ${estimate.gradsMiB}, moments ${estimate.momentsMiB}, activations ~${estimate.activationsMiB} MiB); ` +
      `1.5 × that exceeds the ${(estimate.availableMiB / 1024).toFixed(1)} GiB of host memory available`;
    o.log(`training step skipped: ${why}`);
    return { ran: false, skipped: why, estimate, settings, steps: [] };
  }
  const frozen = vae.parameters(), vqvaeBytes = vae.numParameters() * 4; // parameters() lists trainable tensors only
  for (const p of frozen) p.requiresGrad = false;
  m.train();
  const named = m.namedParameters(), params = named.map(([, t]) => t);
  const opt = new AdamW(AdamW.decayGroups(named, settings.weightDecay), { lr: settings.lr, betas: settings.betas });
  const levels = levelsOf(vae.plan), Cv = m.cfg.cvae, S = m.prefixSide, V = m.cfg.vocab;
  const rng = new Rng(30);
  const steps: TrainStepSample[] = [];
  let memory: TrainMemory | undefined, byFamily: TrainResult['byFamily'];
  try {
    for (let s = 0; s < o.steps; s++) {
      const ids = rng.randintHost(z.L, 0, V);
      await dev.sync();
      const first = s === 0;
      if (first) dev.resetPeakMemory({ trim: true });
      const s0 = dev.poolStats(), other = s0.liveBytes - m.numParameters() * 4 - vqvaeBytes, phases = {} as Record<TrainPhase, PhaseSample>, peaks = {} as Record<TrainPhase, number>;
      let peakLive = 0, peakBuffers = 0, peakHeld = 0, gradBytes = 0;
      const t0 = performance.now(), c0 = process.cpuUsage();
      let t = t0, c = c0, f = { flops: 0, att: 0, mm: 0 }, pipes = dev.stats.pipelinesCompiled;
      /** Ends a phase: waits for the GPU and the counter, takes its time, FLOPs and memory peaks, restarts the peaks. */
      const mark = async (ph: TrainPhase) => {
        await dev.sync();
        await dev.counter!.settle();
        const now = performance.now(), cu = process.cpuUsage(c), tot = dev.counter!.totals(), st = dev.poolStats();
        const att = tot.byFamily.attention.flops, mm = tot.byFamily.matmul.flops;
        phases[ph] = { ms: now - t, cpuMs: (cu.user + cu.system) / 1000, flops: tot.flops - f.flops, attentionFlops: att - f.att, matmulFlops: mm - f.mm, pipelines: dev.stats.pipelinesCompiled - pipes };
        peaks[ph] = MiB(st.peakLiveBytes - s0.liveBytes);
        peakLive = Math.max(peakLive, st.peakLiveBytes); peakBuffers = Math.max(peakBuffers, st.peakCreatedBytes); peakHeld = Math.max(peakHeld, st.peakTotalBytes);
        o.log(`  training step ${s + 1} ${ph}: ${(phases[ph].ms / 1000).toFixed(2)} s, ${(phases[ph].flops / 1e9).toFixed(1)} GFLOP, ${(phases[ph].flops / (phases[ph].ms * 1e6)).toFixed(2)} GFLOP/s, live peak +${peaks[ph]} MiB above the start`);
        dev.resetPeakMemory();
        t = performance.now(); c = process.cpuUsage(); f = { flops: tot.flops, att, mm }; pipes = dev.stats.pipelinesCompiled;
      };
      const { result: loss, counter } = await countWork(dev, () => scopeAsync(dev, async () => {
        const lrLat = rng.normal(dev, [1, Cv, S, S], 0, 1), idsHR = fromArray(dev, ids, [1, z.L], 'i32');
        const out = hvarLoss(m, vae, lrLat, idsHR, idsHR, Int32Array.of(0), { dpo: 0, beta: 0, levels });
        await mark('forward');
        backward(out.loss);
        gradBytes = params.reduce((a, p) => a + (p.grad ? p.grad.numel * 4 : 0), 0);
        await mark('backward');
        clipGradNorm(params, settings.clip);
        opt.step(); opt.zeroGrad();
        const v = await out.loss.item();
        await mark('optimizer');
        return v;
      }));
      const cu = process.cpuUsage(c0), tot = counter.totals();
      steps.push({ ms: performance.now() - t0, cpuMs: (cu.user + cu.system) / 1000, flops: tot.flops, loss, phases });
      o.log(`training step ${s + 1}${first ? ' (cold)' : ''}: ${(steps.at(-1)!.ms / 1000).toFixed(1)} s, ${(tot.flops / 1e9).toFixed(1)} GFLOP dispatched, loss ${loss.toFixed(3)} (ln V = ${Math.log(V).toFixed(3)})`);
      if (first) {
        byFamily = tot.byFamily;
        let moments = 0;
        for (const st of opt.state.values()) moments += (st.exp_avg.numel + st.exp_avg_sq.numel) * 4;
        memory = {
          weightsMiB: MiB(m.numParameters() * 4), vqvaeWeightsMiB: MiB(vqvaeBytes), gradsMiB: MiB(gradBytes), momentsMiB: MiB(moments),
          peakLiveAboveStartMiB: peaks, activationsMiB: peaks.forward,
          peakLiveMiB: MiB(peakLive - other), peakBuffersMiB: MiB(peakBuffers - other), peakHeldMiB: MiB(peakHeld - other),
        };
        o.log(`training step memory: weights ${memory.weightsMiB} MiB (+ VQVAE ${memory.vqvaeWeightsMiB}), grads ${memory.gradsMiB}, AdamW moments ${memory.momentsMiB}, activations (forward peak) ${memory.activationsMiB}; ` +
          `peak live ${memory.peakLiveMiB} MiB, buffers ${memory.peakBuffersMiB}, held with textures ${memory.peakHeldMiB}`);
      }
    }
  } finally { opt.dispose(); m.eval(); for (const p of frozen) p.requiresGrad = true; }
  return { ran: true, estimate, settings, steps, byFamily, memory };
}

/**
 * trainStep on the model, then — when `depths` are given, or when the model failed the size check and is deeper than 2 (then
 * depths 1 and 2) — on fresh copies of it at those depths (random weights, same widths), carried linearly to the model's depth.
 */
export async function trainBench(dev: Device, b: Built, o: { steps: number; log: (s: string) => void; availBytes?: number; depths?: [number, number] | null }): Promise<TrainResult> {
  const full = await trainStep(dev, b, o);
  const D = b.model.cfg.depth;
  const depths = o.depths ?? (!full.ran && D > 2 ? [1, 2] as [number, number] : null);
  if (!depths) return full;
  const runs: Extrapolated['runs'] = [];
  for (const d of depths) {
    const m = new HVAR(dev, { ...b.model.cfg, depth: d }, { init: 'none' });
    try {
      initHVAR(m, new Rng(0));
      o.log(`training step at depth ${d} (same widths; ${(m.numParameters() / 1e6).toFixed(1)} M parameters), to carry to depth ${D}`);
      const r = await trainStep(dev, { ...b, model: m }, { ...o, log: (l) => o.log(`  [depth ${d}] ${l.trim()}`) });
      runs.push({ depth: d, params: m.numParameters(), result: r });
      if (!r.ran) { o.log(`no extrapolation: the depth-${d} step did not run either`); return { ...full, extrapolated: undefined }; }
    } finally { m.dispose(); }
  }
  const [d1, d2] = depths, at = (v1: number, v2: number) => v1 + ((v2 - v1) * (D - d1)) / (d2 - d1);
  const [s1, s2] = runs.map((r) => r.result.steps.at(-1)!) as [TrainStepSample, TrainStepSample];
  const [m1, m2] = runs.map((r) => r.result.memory!) as [TrainMemory, TrainMemory];
  const phases = Object.fromEntries(TRAIN_PHASES.map((p) => [p, { ms: at(s1.phases[p].ms, s2.phases[p].ms), flops: at(s1.phases[p].flops, s2.phases[p].flops) }])) as Extrapolated['step']['phases'];
  const mem = (k: Exclude<keyof TrainMemory, 'peakLiveAboveStartMiB'>) => +at(m1[k], m2[k]).toFixed(1);
  const memory: TrainMemory = {
    weightsMiB: mem('weightsMiB'), vqvaeWeightsMiB: m1.vqvaeWeightsMiB, gradsMiB: mem('gradsMiB'), momentsMiB: mem('momentsMiB'),
    peakLiveAboveStartMiB: Object.fromEntries(TRAIN_PHASES.map((p) => [p, +at(m1.peakLiveAboveStartMiB[p], m2.peakLiveAboveStartMiB[p]).toFixed(1)])) as Record<TrainPhase, number>,
    activationsMiB: mem('activationsMiB'), peakLiveMiB: mem('peakLiveMiB'), peakBuffersMiB: mem('peakBuffersMiB'), peakHeldMiB: mem('peakHeldMiB'),
  };
  const step = { ms: at(s1.ms, s2.ms), cpuMs: at(s1.cpuMs, s2.cpuMs), flops: at(s1.flops, s2.flops), phases };
  o.log(`training step carried to depth ${D} from depths ${d1} and ${d2}: ${(step.ms / 1000).toFixed(1)} s, ${(step.flops / 1e9).toFixed(1)} GFLOP; weights ${memory.weightsMiB} MiB, ` +
    `grads ${memory.gradsMiB}, moments ${memory.momentsMiB}, activations ${memory.activationsMiB}; peak live ${memory.peakLiveMiB} MiB, buffers ${memory.peakBuffersMiB}, held ${memory.peakHeldMiB}`);
  return { ...full, extrapolated: { depths, toDepth: D, runs, step, memory } };
}
