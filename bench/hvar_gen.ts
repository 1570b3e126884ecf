// bench:hvar's generation: one whole H-VAR generation (sampleHVAR through upscaleImages) timed per phase through its probe, with
// dispatched FLOPs per phase from the work counter, and the matmul kernel alone at the transformer's block-linear shapes run after
// every transformer step (same turns, not counted); the phases grouped into the report's parts.
import { Rng, noGrad, ops, type Device, type Tensor, type WorkCall, type WorkFamily } from '../src/engine/index.ts';
import { upscaleImages, type HVARPhase } from '../src/models/hvar/index.ts';
import type { Built, SampleSettings } from './paper_model.ts';

/** One probed phase of one generation. calls: its range [from, to) in the counter's trace. */
export interface PhaseRow {
  phase: HVARPhase['phase']; si: number; ms: number; cpuMs: number; flops: number; dispatches: number;
  byFamily: Partial<Record<WorkFamily, number>>; pipelines: number; calls: [number, number];
}
/** wallMs / cpuMs: the whole generation without the reference's runs; refSamples: the reference's run after each transformer step. */
export interface GenSample { wallMs: number; cpuMs: number; refMs: number; refCpuMs: number; phases: PhaseRow[]; refSamples: { ms: number; cpuMs: number }[] }

/** The matmul reference: a block's linears (q, k, v, proj C → C; fc1 C → hidden; fc2 hidden → C) at M tokens, in one submit. */
export interface Reference {
  M: number; flops: number;
  shapes: { name: string; M: number; K: number; N: number; calls: number }[];
  run(): Promise<{ ms: number; cpuMs: number }>;
  dispose(): void;
}
export function matmulReference(b: Built, M: number): Reference {
  const dev = b.model.dev, { C, hidden } = b.model.sizes, rng = new Rng(40);
  const keep = (t: Tensor) => t.keep();
  const x = keep(rng.uniform(dev, [1, M, C], -1, 1)), h = keep(rng.uniform(dev, [1, M, hidden], -1, 1));
  const wCC = keep(rng.uniform(dev, [C, C], -0.03, 0.03)), bC = keep(rng.uniform(dev, [C], -0.03, 0.03));
  const w1 = keep(rng.uniform(dev, [hidden, C], -0.03, 0.03)), b1 = keep(rng.uniform(dev, [hidden], -0.03, 0.03));
  const w2 = keep(rng.uniform(dev, [C, hidden], -0.03, 0.03));
  // With the model's weights prepared for inference, the reference's are too (the same path as the block linears).
  const prep = b.model.preparedForInference ? [wCC, w1, w2].map((w) => ops.prepareLinear(w)) : null;
  const shapes = [{ name: 'q, k, v, proj', M, K: C, N: C, calls: 4 }, { name: 'fc1', M, K: C, N: hidden, calls: 1 }, { name: 'fc2', M, K: hidden, N: C, calls: 1 }];
  return {
    M, shapes, flops: shapes.reduce((a, s) => a + 2 * s.M * s.K * s.N * s.calls, 0),
    async run() {
      const ctr = dev.counter;
      dev.counter = null; // not the generation's work
      try {
        await dev.sync();
        const c0 = process.cpuUsage(), t0 = performance.now();
        noGrad(dev, () => {
          for (let i = 0; i < 4; i++) ops.linear(x, wCC, bC, { prepared: prep?.[0] }).dispose();
          ops.linear(x, w1, b1, { prepared: prep?.[1] }).dispose();
          ops.linear(h, w2, bC, { prepared: prep?.[2] }).dispose();
        });
        await dev.sync();
        const ms = performance.now() - t0, cu = process.cpuUsage(c0);
        return { ms, cpuMs: (cu.user + cu.system) / 1000 };
      } finally { dev.counter = ctr; }
    },
    dispose() { prep?.forEach((p) => p.dispose()); [x, h, wCC, bC, w1, b1, w2].forEach((t) => t.dispose()); },
  };
}

/**
 * One generation (upscaleImages with a probe) under the installed work counter: every phase's wall and CPU time from the end of
 * the previous one, its FLOPs and trace range; after each transformer step the reference runs once (its time is kept apart and
 * left out of the phases and of wallMs). The images are freed and the GPU done at the end.
 */
export async function probedGeneration(dev: Device, b: Built, s: SampleSettings, ref: Reference | null, log?: (r: PhaseRow, refMs: number | null) => void): Promise<GenSample> {
  const phases: PhaseRow[] = [];
  let refMs = 0, refCpuMs = 0;
  const refSamples: { ms: number; cpuMs: number }[] = [];
  const snap = () => {
    const ctr = dev.counter!, tot = ctr.totals();
    return { flops: tot.flops, dispatches: tot.dispatches, fam: Object.fromEntries(Object.entries(tot.byFamily).map(([k, v]) => [k, v.flops])) as Record<WorkFamily, number>,
      calls: ctr.calls?.length ?? 0, pipes: dev.stats.pipelinesCompiled };
  };
  if (!dev.counter) throw new Error('probedGeneration: run it under countWork (the phases\' FLOPs come from the counter)');
  let last = snap(), t = performance.now(), c = process.cpuUsage();
  const w0 = t, cw0 = c;
  const probe = async (e: HVARPhase) => {
    await dev.sync();
    await dev.counter!.settle();
    const ms = performance.now() - t, cu = process.cpuUsage(c), now = snap();
    const byFamily: PhaseRow['byFamily'] = {};
    for (const [k, v] of Object.entries(now.fam) as [WorkFamily, number][]) if (v - last.fam[k]) byFamily[k] = v - last.fam[k];
    const row: PhaseRow = { phase: e.phase, si: e.si, ms, cpuMs: (cu.user + cu.system) / 1000, flops: now.flops - last.flops, dispatches: now.dispatches - last.dispatches,
      byFamily, pipelines: now.pipes - last.pipes, calls: [last.calls, now.calls] };
    phases.push(row);
    let r: { ms: number; cpuMs: number } | null = null;
    if (ref && e.phase === 'transformer') { r = await ref.run(); refSamples.push(r); refMs += r.ms; refCpuMs += r.cpuMs; }
    log?.(row, r?.ms ?? null);
    last = snap(); t = performance.now(); c = process.cpuUsage();
  };
  const imgs = await upscaleImages(b.model, b.vae, b.lr, { ...s, probe });
  imgs.forEach((x) => x.image_B3HW.dispose());
  await dev.sync();
  const cu = process.cpuUsage(cw0);
  return { wallMs: performance.now() - w0 - refMs, cpuMs: (cu.user + cu.system) / 1000 - refCpuMs, refMs, refCpuMs, phases, refSamples };
}

/** The report's part of a phase: prefix encode (encode + prefix), transformer, host sampling, quantizer, decode ×f. */
export function partOf(r: PhaseRow, b: Built): string {
  switch (r.phase) {
    case 'encode': case 'prefix': return 'prefix encode';
    case 'transformer': return 'transformer';
    case 'sample': return 'host sampling';
    case 'quantize': return 'quantizer';
    case 'decode': return `decode ×${decodeFactor(b, r.si)}`;
  }
}
/** Output factor (1, 2, 4) of the segment that ends at scale si. */
export function decodeFactor(b: Built, si: number): number {
  const plan = b.vae.plan.scales;
  return plan[si]!.side / plan[0]!.side;
}

/** Trace calls of the given phases (ranges into the counter's calls). */
export function callsOf(calls: WorkCall[], rows: PhaseRow[]): WorkCall[] {
  return rows.flatMap((r) => calls.slice(r.calls[0], r.calls[1]));
}
