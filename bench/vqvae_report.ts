// bench:vqvae's record types and its report: vqvae-latest.md (the newest run of each config, schedule and size) and
// vqvae-latest.png (GFLOP/s per stage and layout beside the conv kernel alone), from the vqvae-*.json in a folder.
import { readdirSync, readFileSync } from 'node:fs';
import type { AdapterReport } from '../src/engine/index.ts';
import { writeFileAtomic } from '../src/io/atomic.ts';
import type { VQVAEConfig } from '../src/models/vqvae/index.ts';
import { barChart, writeChartPng } from '../src/viz/chart.ts';
import type { Stats } from './harness.ts';

export const STAGES = ['encode', 'tokenize', 'decode'] as const;
export type StageName = typeof STAGES[number];
export type Layout = 'per-call' | 'prepared';
/** One stage on one layout: its counted (cold) run and its timed runs. */
export interface StageRow {
  stage: StageName; layout: Layout; coldMs: number; stats: Stats;
  flops: number; bytes: number; dispatches: number; convFlops: number;
  /** GFLOP/s from the median wall time and from the median CPU time of this process; each over the conv alone's in the same turns. */
  gflops: number; gflopsCpu: number; ofReference: number; ofReferenceCpu: number;
  /** src/models/flops.ts's count of the stage's convs and attention products (encode and decode; null for tokenize). */
  analyticFlops: number | null;
  /**
   * Most bytes above the start of the stage (weights, layouts and inputs excluded): in live tensors; held in buffers (live, or
   * released and cached by the pool); held in buffers and textures (scratch textures of the texture kernels included).
   */
  peakLiveMiB: number; peakBuffersMiB: number; peakHeldMiB: number;
  kernels: Record<string, number>;
}
export interface SizeResult {
  side: number; cfg: VQVAEConfig; params: number; tokens: number; weightsMiB: number; layoutsMiB: number;
  rows: StageRow[];
  /** The conv alone: its samples over all stages' turns, its rate per stage's turns, its share of the decode's FLOPs. */
  reference: { name: string; shape: Record<string, number>; flops: number; stats: Stats; gflops: number; gflopsCpu: number;
    byStage: Record<StageName, { wall: number; cpu: number }>; share: number; calls: number; kernels: Record<string, number> };
  whole: Partial<Record<Layout, { ms: number; cpuMs: number; flops: number; gflops: number; gflopsCpu: number; ofReference: number; ofReferenceCpu: number }>>;
  load: { before: number[]; after: number[] };
}

/** One run of bench/vqvae.bench.ts as its JSON holds it. */
export interface VqvaeRecord {
  bench: 'vqvae'; date: string; git: string; node: string; cpu: string; adapter: AdapterReport;
  load: { before: number[]; after: number[] }; config: string; schedule: string;
  settings: { warmup: number; repeats: number; budgetS: number; layouts: string };
  sizes: SizeResult[];
}

/** Writes vqvae-latest.md and vqvae-latest.png in `dir` from the newest run of each config, schedule and size among its vqvae-*.json. */
export function writeVqvaeLatest(dir: string): void {
  const runs = readdirSync(dir).filter((f) => /^vqvae-.*\.json$/.test(f)).map((f) => JSON.parse(readFileSync(dir + f, 'utf8')) as VqvaeRecord)
    .sort((a, b) => a.date.localeCompare(b.date));
  const latest = new Map<string, { run: VqvaeRecord; size: SizeResult }>();
  for (const r of runs) for (const s of r.sizes) latest.set(`${r.config} ${r.schedule} ${s.side}`, { run: r, size: s });
  const items = [...latest.values()].sort((a, b) => a.run.config.localeCompare(b.run.config) || a.size.side - b.size.side);
  const sec = (ms: number) => (ms >= 10000 ? (ms / 1000).toFixed(1) : (ms / 1000).toFixed(2)) + ' s';
  const pct = (x: number) => `${(100 * x).toFixed(0)} %`;
  const lines = [
    '# VQVAE benchmark: encode, tokenize, decode (latest run of each config and size)', '',
    'Random weights. Time = median wall time of a stage until the GPU is done (p10–p90 in brackets); GFLOP = dispatched FLOPs (work',
    'counter: 2 per multiply-add of convs, the attention blocks\' products and the quantizer\'s distance search; norms and elementwise ops',
    'count bytes only). *Whole* = tokenize + decode (image → ids → image). *Of conv rate* = GFLOP/s over the rate of the conv kernel alone',
    'at the decode\'s dominant conv shape (prepared weight), timed in the same turns as the stage (for the whole: tokenize\'s and decode\'s',
    'turns); from wall time / from this process\'s CPU time (steadier on a shared machine). Above 100 % is possible: the smaller convs',
    'of the lower levels can run faster than the dominant shape. *Per call* repacks every conv weight at each call;',
    '*prepared* uses VQVAE.prepareForInference()\'s layouts. *Peak* = GPU memory above the stage\'s start (weights, layouts and the input',
    'excluded), from a trimmed pool: in live tensors / in buffers (live, or released and not yet reused: the pool reuses a buffer only',
    'after the submit that last used it) / held in buffers and textures (the texture kernels\' scratch textures too).', '',
  ];
  for (const { run, size: s } of items) {
    const a = run.adapter;
    lines.push(`## ${run.config}, ${s.side} px (${run.schedule} schedule, ${s.tokens} tokens)`, '',
      `${(s.params / 1e6).toFixed(1)} M parameters (${s.weightsMiB} MiB; prepared layouts ${s.layoutsMiB} MiB). ${a.description || a.device || '?'} (${a.runtime}); ` +
      `${run.date.slice(0, 16)}, ${run.git.slice(0, 7)}; ${run.settings.repeats} repeats after the counted run; load ${s.load.before.map((x) => x.toFixed(1)).join('/')} → ${s.load.after.map((x) => x.toFixed(1)).join('/')}.`, '',
      '| stage | layout | time (p10–p90) | GFLOP | GFLOP/s wall / CPU | of conv rate wall / CPU | conv share of FLOPs | peak MiB: live / buffers / held | cold |', '|---|---|---|---|---|---|---|---|---|');
    for (const r of s.rows) lines.push(`| ${r.stage} | ${r.layout} | ${sec(r.stats.medianMs)} (${sec(r.stats.p10Ms)}–${sec(r.stats.p90Ms)}) | ${(r.flops / 1e9).toFixed(1)} | ${r.gflops.toFixed(2)} / ${r.gflopsCpu.toFixed(2)} | ${pct(r.ofReference)} / ${pct(r.ofReferenceCpu)} | ${pct(r.convFlops / r.flops)} | ${r.peakLiveMiB} / ${r.peakBuffersMiB} / ${r.peakHeldMiB} | ${sec(r.coldMs)} |`);
    for (const l of ['per-call', 'prepared'] as const) {
      const w = s.whole[l];
      if (w) lines.push(`| **whole** | ${l} | ${sec(w.ms)} | ${(w.flops / 1e9).toFixed(1)} | ${w.gflops.toFixed(2)} / ${w.gflopsCpu.toFixed(2)} | **${pct(w.ofReference)} / ${pct(w.ofReferenceCpu)}** | | | |`);
    }
    lines.push(`| ${s.reference.name} alone | prepared | ${sec(s.reference.stats.medianMs)} (${sec(s.reference.stats.p10Ms)}–${sec(s.reference.stats.p90Ms)}) | ${(s.reference.flops / 1e9).toFixed(1)} | ${s.reference.gflops.toFixed(2)} / ${s.reference.gflopsCpu.toFixed(2)} | per stage's turns: ${STAGES.map((st) => `${st} ${s.reference.byStage[st].wall.toFixed(1)}`).join(', ')} GFLOP/s | ${s.reference.calls} calls, ${pct(s.reference.share)} of the decode | | |`, '');
    const pc = s.whole['per-call'], pr = s.whole.prepared;
    if (pc && pr) lines.push(`Repacking cost (per call − prepared): ${s.rows.filter((r) => r.layout === 'prepared').map((r) => {
      const o = s.rows.find((q) => q.stage === r.stage && q.layout === 'per-call')!;
      return `${r.stage} ${(o.stats.medianMs - r.stats.medianMs).toFixed(0)} ms (${pct((o.stats.medianMs - r.stats.medianMs) / o.stats.medianMs)})`;
    }).join(', ')}.`, '');
  }
  lines.push('Generated by bench/vqvae.bench.ts (npm run bench:vqvae; see bench/README.md).', '');
  writeFileAtomic(dir + 'vqvae-latest.md', lines.join('\n'));
  writeChartPng(dir + 'vqvae-latest.png', barChart({
    title: 'VQVAE GFLOP/s per stage vs the conv alone, same turns',
    series: [{ name: 'per call' }, { name: 'prepared' }, { name: 'conv kernel alone' }], yLabel: 'GFLOP/s',
    groups: items.flatMap(({ run, size: s }) => [
      ...STAGES.map((st) => ({ label: `${run.config} ${s.side} ${st}`, bars: [
        ...s.rows.filter((r) => r.stage === st).map((r) => ({ series: r.layout === 'prepared' ? 'prepared' : 'per call', value: r.gflops })),
        { series: 'conv kernel alone', value: s.reference.byStage[st].wall }] })),
      { label: `${run.config} ${s.side} whole`, bars: [
        ...(s.whole['per-call'] ? [{ series: 'per call', value: s.whole['per-call'].gflops }] : []),
        { series: 'prepared', value: s.whole.prepared!.gflops, note: pct(s.whole.prepared!.ofReference) },
        // the conv's rate in the tokenize and decode turns, which the whole's share is taken against
        { series: 'conv kernel alone', value: s.whole.prepared!.gflops / s.whole.prepared!.ofReference }] },
    ]),
    valueFormat: (v) => (v >= 100 ? v.toFixed(0) : v.toFixed(1)),
  }));
}
