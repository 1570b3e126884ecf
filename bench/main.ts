// Engine benchmarks, hvar vs tfjs-backend-webgpu on the same adapter in one process: cross-check, then time (median of
// interleaved repeats). Writes bench/results/engine-<date>-<sha>.json and regenerates bench/results/latest.md.
// Run: npm run bench [-- <filter ...>] [--repeats 5] [--warmup 1] [--budget 60] [--no-tfjs] [--no-roofline] [--wait sleep|spin|both]
//   [--out DIR] (also `hvar bench kernels ...`; see bench/README.md)
import { writeFileAtomic } from '../src/io/atomic.ts';
import { execSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { Device } from '../src/engine/index.ts';
import { waitFor, type WaitMode } from '../src/engine/runtime/wait.ts';
import { measure, type Contender, type Stats } from './harness.ts';
import { CASES, type Case, type Side } from './cases.ts';
import { openTfjs, type TfjsPeer } from './peers/tfjs.ts';
import { measureRoofline, peakProbe, shareInTurns, type Roofline } from './roofline.ts';
import { barChart, writeChartPng } from '../src/viz/chart.ts';

const args = process.argv.slice(2);
const opt = (name: string, def: number) => { const i = args.indexOf(`--${name}`); return i >= 0 ? Number(args[i + 1]) : def; };
const valued = new Set(['--repeats', '--warmup', '--budget', '--wait', '--out']);
const flags = new Set([...valued, '--no-tfjs', '--no-roofline']);
for (const [i, a] of args.entries()) {
  if (a.startsWith('--') && !flags.has(a) && !valued.has(args[i - 1] ?? '')) { console.error(`bench kernels: unknown option '${a}' (known: ${[...flags].join(', ')})`); process.exit(2); }
  if (valued.has(a) && (args[i + 1] === undefined || args[i + 1]!.startsWith('--'))) { console.error(`bench kernels: ${a} needs a value`); process.exit(2); }
}
for (const f of ['repeats', 'warmup', 'budget']) if (args.includes(`--${f}`) && !/^\d+$/.test(args[args.indexOf(`--${f}`) + 1]!)) { console.error(`bench kernels: --${f} expects a non-negative integer`); process.exit(2); }
const filters = args.filter((a, i) => !a.startsWith('--') && !valued.has(args[i - 1] ?? ''));
const hopts = { warmup: opt('warmup', 1), repeats: opt('repeats', 5), budgetS: opt('budget', 60) };
// How both engines wait for the GPU (runtime/wait.ts); 'both' also times hvar with the spinning wait ('hvar-spin').
const waitArg = args.includes('--wait') ? args[args.indexOf('--wait') + 1] : 'sleep';
if (!['sleep', 'spin', 'both'].includes(waitArg ?? '')) throw new Error(`--wait: expected sleep, spin or both, got ${waitArg}`);
const waitMode: WaitMode = waitArg === 'spin' ? 'spin' : 'sleep';
// Repo root: this file is bench/main.ts, bundled to dist/bench.mjs; either way the root is one level up.
// --out DIR writes the JSON, latest.md and latest.png there (latest.md then covers the runs in DIR only).
const resultsDir = args.includes('--out') ? args[args.indexOf('--out') + 1]!.replace(/\/?$/, '/') : new URL('../bench/results/', import.meta.url).pathname;

interface CaseResult {
  name: string; group: string; what: string; flops?: number; bytes?: number;
  ours: Stats | { skipped: string }; tfjs: Stats | { skipped: string } | null;
  /** max |ours - tfjs| / max |tfjs| over the output (a cross-check, not a test). */
  maxRelDiff: number | null;
  /** hvar timed with the spinning wait in the same turns (--wait both). */
  oursSpin?: Stats;
  /** First call of each side (pipeline compiles, first allocations, one readback), ms. */
  coldMs: { hvar?: number; tfjs?: number };
  /** Rate as a fraction of the adapter's FMA peak (GFLOP cases) or copy bandwidth (GB cases): with `peak`, the median over
   * turns of each sample's rate over the probe's in the same turn; else the median rate over the run's roofline. */
  ofPeak: { hvar?: number; tfjs?: number };
  /** The roofline kernel of the case's kind (FMA or copy) timed in the case's own turns, and its rate (GFLOP/s or GB/s). */
  peak?: { kind: 'fma' | 'copy'; stats: Stats; rate: number };
  /** tfjs median / ours median: > 1 means hvar is faster. */
  speedup: number | null;
  load: [number, number];
}

const sh = (cmd: string) => { try { return execSync(cmd, { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim(); } catch { return ''; } };
// Opt-in cases (slow sweeps) run only when a filter names their group.
const picked = (c: Case) => c.optIn ? filters.includes(c.group) : !filters.length || filters.some((f) => c.group === f || c.name.includes(f));
const isStats = (s: unknown): s is Stats => !!s && typeof s === 'object' && 'medianMs' in s;

function relDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Infinity;
  let d = 0, m = 0;
  for (let i = 0; i < a.length; i++) { d = Math.max(d, Math.abs(a[i]! - b[i]!)); m = Math.max(m, Math.abs(b[i]!)); }
  return d / (m || 1);
}

/** Builds both sides, cross-checks one result of each, then times them in turns. A side that throws or (tfjs) raises
 * a WebGPU error is reported as failed and not timed: tfjs ignores its device's errors, so a dispatch past a binding
 * limit "runs" in no time and returns garbage. */
async function runCase(dev: Device, peer: TfjsPeer | null, c: Case): Promise<CaseResult> {
  const load0 = loadavg()[0]!;
  const attempt = <T>(f: () => T): T | string => { try { return f(); } catch (e) { return `failed: ${(e as Error).message.split('\n')[0]}`; } };
  const ours = attempt(() => c.ours(dev));
  let theirs = !peer ? 'tfjs disabled (--no-tfjs)' : c.tfjs ? attempt(() => c.tfjs!(peer.tf)) : null;
  const outputs: Record<string, Float32Array> = {};
  const coldMs: CaseResult['coldMs'] = {};
  if (typeof ours !== 'string') {
    const t0 = performance.now();
    try { outputs.hvar = await ours.read(); coldMs.hvar = performance.now() - t0; } catch (e) { ours.dispose(); return failed(c, `failed: ${(e as Error).message.split('\n')[0]}`, load0); }
  }
  if (theirs && typeof theirs !== 'string') {
    try {
      const t0 = performance.now();
      outputs.tfjs = await theirs.read();
      coldMs.tfjs = performance.now() - t0;
      const errs = peer!.takeErrors();
      if (errs.length) throw new Error(`WebGPU error in tfjs: ${errs[0]}`);
    } catch (e) { delete outputs.tfjs; theirs.dispose(); theirs = `failed: ${(e as Error).message.split('\n')[0]}`; }
  }
  const maxRelDiff = outputs.hvar && outputs.tfjs ? relDiff(outputs.hvar, outputs.tfjs) : null;
  const sides: [string, Side][] = [];
  if (typeof ours !== 'string') sides.push(['hvar', ours]);
  if (theirs && typeof theirs !== 'string') sides.push(['tfjs', theirs]);
  const spin = async () => { dev.flush(); await waitFor(dev.dev.queue.onSubmittedWorkDone(), 'spin'); };
  const sync = { hvar: () => dev.sync(), tfjs: () => peer!.sync(waitMode), 'hvar-spin': spin } as Record<string, () => Promise<void>>;
  if (waitArg === 'both' && typeof ours !== 'string') sides.splice(1, 0, ['hvar-spin', ours]);
  const contenders: Contender[] = sides.map(([name, s]) => ({ name, run: async () => { s.run(); await sync[name]!(); } }));
  // The roofline kernel of the case's kind in the same turns: the machine's speed moves within a run on a shared host.
  const probe = roof && contenders.length && (c.flops || c.bytes) ? peakProbe(dev, c.flops ? 'fma' : 'copy') : null;
  if (probe) contenders.push({ name: 'peak', run: probe.run });
  const stats = contenders.length ? await measure(contenders, hopts, { flops: c.flops, bytes: c.bytes }) : {};
  for (const s of new Set(sides.map(([, s]) => s))) s.dispose();
  probe?.dispose();
  await dev.sync();
  const o = stats.hvar ?? { skipped: String(ours) }, t = stats.tfjs ?? (theirs === null ? null : { skipped: String(theirs) });
  const pk = probe && stats.peak ? { kind: probe.kind, stats: stats.peak, rate: (probe.flops ?? probe.bytes!) / (stats.peak.medianMs * 1e6) } : undefined;
  const share = (s: Stats | { skipped: string } | null) => !isStats(s) ? undefined
    : pk ? shareInTurns(s, pk.stats, (c.flops ?? c.bytes)!, probe!.flops ?? probe!.bytes!) : fracOfPeak(s);
  return {
    name: c.name, group: c.group, what: c.what, flops: c.flops, bytes: c.bytes, ours: o, tfjs: t, maxRelDiff,
    ...(stats['hvar-spin'] ? { oursSpin: stats['hvar-spin'] } : {}),
    coldMs, ofPeak: { hvar: share(o), tfjs: share(t) }, ...(pk ? { peak: pk } : {}),
    speedup: isStats(o) && isStats(t) ? t.medianMs / o.medianMs : null, load: [load0, loadavg()[0]!],
  };
}

function failed(c: Case, why: string, load0: number): CaseResult {
  return { name: c.name, group: c.group, what: c.what, flops: c.flops, bytes: c.bytes, ours: { skipped: why }, tfjs: null, maxRelDiff: null, speedup: null, coldMs: {}, ofPeak: {}, load: [load0, loadavg()[0]!] };
}

/** The rate at the median as a fraction of the roofline measured in this run (undefined without one). */
function fracOfPeak(s: Stats | { skipped: string } | null): number | undefined {
  if (!roof || !isStats(s)) return undefined;
  return s.gflops != null ? s.gflops / roof.fmaGflops : s.gbps != null ? s.gbps / roof.copyGBps : undefined;
}

const fmtN = (x: number | null | undefined, d = 1) => (x == null ? '–' : x.toFixed(d));
const pct = (x: number | null | undefined) => (x == null ? '–' : `${(100 * x).toFixed(x < 0.1 ? 1 : 0)} %`);
function rate(s: Stats | { skipped: string } | null): string {
  if (!isStats(s)) return s ? (s.skipped.startsWith('failed') ? s.skipped : `skipped: ${s.skipped}`) : '–';
  const r = s.gflops != null ? `${fmtN(s.gflops, 2)} GFLOP/s` : s.gbps != null ? `${fmtN(s.gbps, 2)} GB/s` : '';
  return `${fmtN(s.medianMs, 0)} ms (${fmtN(s.p10Ms, 0)}–${fmtN(s.p90Ms, 0)}), ${r}`;
}

/** latest.md: the newest result of every case over all engine-*.json files. */
function writeLatest() {
  const runs = readdirSync(resultsDir).filter((f) => /^engine-.*\.json$/.test(f))
    .map((f) => JSON.parse(readFileSync(resultsDir + f, 'utf8'))).sort((a, b) => a.date.localeCompare(b.date));
  const latest = new Map<string, { r: CaseResult; run: any }>();
  for (const run of runs) for (const r of run.cases as CaseResult[]) latest.set(r.name, { r, run });
  const perCpu = (r: CaseResult) => {
    const o = r.ours;
    if (!isStats(o) || !o.cpuMedianMs) return '–';
    return r.flops ? `${fmtN(r.flops / (o.cpuMedianMs * 1e6), 2)} GFLOP` : r.bytes ? `${fmtN(r.bytes / (o.cpuMedianMs * 1e6), 2)} GB` : '–';
  };
  const peak = (r: CaseResult, run: any) => r.ofPeak?.hvar == null ? '–'
    : r.peak ? `${pct(r.ofPeak.hvar)} / ${pct(r.ofPeak.tfjs)} of ${fmtN(r.peak.rate, r.peak.kind === 'fma' ? 0 : 1)} ${r.peak.kind === 'fma' ? 'GFLOP/s' : 'GB/s'} in turns`
    : `${pct(r.ofPeak.hvar)} / ${pct(r.ofPeak.tfjs)} of ${r.flops ? `${fmtN(run.roofline.fmaGflops, 0)} GFLOP/s` : `${fmtN(run.roofline.copyGBps, 1)} GB/s`}`;
  const cold = (r: CaseResult) => r.coldMs?.hvar == null ? '–' : `${fmtN(r.coldMs.hvar, 0)} / ${fmtN(r.coldMs.tfjs, 0)} ms`;
  const rows = [...latest.values()].map(({ r, run }) =>
    `| ${r.name} | ${rate(r.ours)} | ${perCpu(r)} | ${rate(r.tfjs)} | ${r.speedup == null ? '–' : fmtN(r.speedup, 2) + '×'} | ${peak(r, run)} | ${cold(r)} | ${r.maxRelDiff == null ? '–' : r.maxRelDiff.toExponential(1)} | ${fmtN(r.load[0], 1)}/${fmtN(r.load[1], 1)} | ${run.date.slice(0, 16)} ${run.git.slice(0, 7)} |`);
  const last = runs[runs.length - 1];
  writeFileAtomic(resultsDir + 'latest.md', [
    '# Engine benchmarks: hvar vs tfjs-backend-webgpu (latest run of each case)', '',
    `Adapter: ${last?.adapter?.description || last?.adapter?.device || '?'} (${last?.adapter?.runtime ?? '?'}); CPU: ${last?.cpu ?? '?'}; Node ${last?.node ?? '?'}.`,
    'Each cell: median wall time per run (p10–p90) until `onSubmittedWorkDone`, and the rate at the median. Speed-up = tfjs median / hvar median.',
    'Per CPU-s = hvar\'s work per second of this process\'s CPU time (all threads; lavapipe runs in-process), a view less',
    'sensitive to other processes. Load = 1-minute load average before/after the case (2 cores: above ~2 the machine',
    'was shared). Of peak = the rate as a fraction of the FMA peak (GFLOP cases) or storage-buffer copy bandwidth (GB',
    'cases), hvar / tfjs: "in turns" = the roofline kernel timed in the case\'s own turns (the median over turns of each',
    'sample\'s rate over the kernel\'s in that turn; its median rate shown), else the roofline measured at the start of the',
    'run. The machine\'s speed moves within a run on a shared host, so the share is steadier than the time. Cold = the first call of each side (compiles, first allocations,',
    'one readback), hvar / tfjs. Generated by bench/main.ts; see bench/README.md.', '',
    '| case | hvar | hvar per CPU-s | tfjs-webgpu 4.22 | speed-up | of peak | cold | max rel diff | load | run |', '|---|---|---|---|---|---|---|---|---|---|', ...rows, '',
  ].join('\n'));
  // The same newest results as a chart: each case's rate as a share of the roofline measured in its run.
  const charted = [...latest.values()].filter(({ r }) => r.ofPeak?.hvar != null);
  if (charted.length) {
    const share = (x: number | undefined) => (x == null ? null : 100 * x);
    writeChartPng(resultsDir + 'latest.png', barChart({
      title: 'Share of the adapter peak measured in the same turns',
      series: [{ name: 'hvar' }, { name: 'tfjs-webgpu' }], yLabel: '% of FMA peak (GFLOP cases) or of copy bandwidth (GB cases)',
      groups: charted.map(({ r }) => ({ label: r.name, bars: [
        { series: 'hvar', value: share(r.ofPeak.hvar)!, note: rate(r.ours).split(', ').pop() },
        ...(share(r.ofPeak.tfjs) != null ? [{ series: 'tfjs-webgpu', value: share(r.ofPeak.tfjs)! }] : []),
      ] })),
      valueFormat: (v: number) => `${v.toFixed(v < 10 ? 1 : 0)} %`,
    }));
  }
}

const dev = await Device.create({ wait: waitMode });
const peer = args.includes('--no-tfjs') ? null : await openTfjs(dev);
// The adapter's FMA peak and copy bandwidth, measured here so that every case reads as a fraction of them.
let roof: Roofline | null = null;
if (!args.includes('--no-roofline')) {
  roof = await measureRoofline(dev, { warmup: 1, repeats: 5, budgetS: 30 });
  console.log(`roofline: FMA peak ${fmtN(roof.fmaGflops, 1)} GFLOP/s, storage-buffer copy ${fmtN(roof.copyGBps, 1)} GB/s (medians of ${roof.fma.samplesMs.length} runs)`);
}
const selected = CASES.filter(picked);
const rev = sh('git rev-parse HEAD'), dirty = sh('git status --porcelain --untracked-files=no') !== '';
console.log(`hvar engine bench: ${selected.length} cases, ${JSON.stringify(hopts)}; adapter ${dev.report().description}; tfjs ${peer ? peer.adapter : 'off'}`);
const results: CaseResult[] = [];
for (const c of selected) {
  const r = await runCase(dev, peer, c);
  results.push(r);
  const spinNote = r.oursSpin && isStats(r.ours) ? ` | hvar-spin ${rate(r.oursSpin)} (sleep ${fmtN(r.oursSpin.medianMs / r.ours.medianMs, 2)}× faster)` : '';
  const peakNote = r.ofPeak.hvar != null ? ` | ${pct(r.ofPeak.hvar)} of peak (tfjs ${pct(r.ofPeak.tfjs)})${r.peak ? `, peak in turns ${fmtN(r.peak.rate, 1)} ${r.peak.kind === 'fma' ? 'GFLOP/s' : 'GB/s'}` : ''} | cold ${fmtN(r.coldMs.hvar, 0)} ms` : '';
  console.log(`${r.name.padEnd(34)} hvar ${rate(r.ours)} | tfjs ${rate(r.tfjs)} | ${r.speedup == null ? '' : fmtN(r.speedup, 2) + '×'}${r.maxRelDiff == null ? '' : ` | diff ${r.maxRelDiff.toExponential(1)}`}${peakNote}${spinNote} | load ${fmtN(r.load[0])}→${fmtN(r.load[1])}`);
}
const date = new Date().toISOString();
const record = {
  bench: 'engine', date, git: rev + (dirty ? '-dirty' : ''), node: process.version, cpu: `${cpus()[0]?.model ?? '?'} ×${cpus().length}`,
  adapter: dev.report(), tfjs: peer ? { version: peer.tf.version_core, adapter: peer.adapter } : null, harness: { ...hopts, wait: waitArg }, filters,
  roofline: roof && { fmaGflops: roof.fmaGflops, copyGBps: roof.copyGBps, fmaSamplesMs: roof.fma.samplesMs, copySamplesMs: roof.copy.samplesMs }, cases: results,
};
mkdirSync(resultsDir, { recursive: true });
const file = `${resultsDir}engine-${date.slice(0, 19).replace(/:/g, '')}-${rev.slice(0, 7) || 'nogit'}.json`;
writeFileAtomic(file, JSON.stringify(record, null, 1) + '\n');
writeLatest();
console.log(`wrote ${file}, ${resultsDir}latest.md and latest.png`);
dev.destroy();
