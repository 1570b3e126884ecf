// The paper benchmark: latency of one full ×4 H-VAR generation (random weights) with and without the KV cache, the VQVAE decodes
// and host sampling apart, dispatched FLOPs and achieved GFLOP/s, time per kernel family; JSON, a Markdown table beside the paper's
// figures and a bar chart. Run: hvar bench paper [--size d16|small|tiny] [--repeats 3] [--warmup 1] [--cfg 0] [--out DIR]
//   [--shares auto|timestamps|isolation|off] [--budget S] (npm run bench:paper -- ...; see bench/README.md)
import { parseArgs } from 'node:util';
import { execSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { Device, countWork } from '../src/engine/index.ts';
import { writeFileAtomic } from '../src/io/atomic.ts';
import { countModel, hvarModelConfig, MODEL_CONFIGS } from '../src/models/flops.ts';
import { hvarParamCount } from '../src/models/hvar/index.ts';
import { barChart, writeChartPng } from '../src/viz/chart.ts';
import { measure, summarise, type Stats } from './harness.ts';
import { SIZES, SIZE_NAMES, buildModels, decodeLatents, decodes, generation, hostSamplingWork, stepInputs, transformerCached, transformerRecompute, type SampleSettings } from './paper_model.ts';
import { sharesByIsolation, sharesByTimestamps, type Shares } from './paper_shares.ts';

/** The paper's efficiency table (docs/PAPER.md): parameters, TFLOPs and latency of one ×4 generation on the authors' GPU. */
export const PAPER_ROWS = [
  { model: 'H-VAR', params: '310 M', tflops: 0.921, latencyS: 0.25 },
  { model: 'VARSR', params: '1 B', tflops: 3.071, latencyS: 0.93 },
  { model: 'ResShift', params: '173 M', tflops: 2.651, latencyS: 0.17 },
  { model: 'StableSR', params: '919 M', tflops: 79.94, latencyS: 5.51 },
];

function usage(msg: string): never {
  console.error(`bench paper: ${msg}\nusage: hvar bench paper [--size ${SIZE_NAMES.join('|')}] [--repeats N] [--warmup N] [--cfg X] [--out DIR] [--shares auto|timestamps|isolation|off] [--budget S]`);
  process.exit(2);
}
let parsed;
try {
  parsed = parseArgs({ args: process.argv.slice(2), strict: true, allowPositionals: false, options: {
    size: { type: 'string', default: 'd16' }, repeats: { type: 'string', default: '3' }, warmup: { type: 'string', default: '1' },
    cfg: { type: 'string', default: '0' }, out: { type: 'string' }, shares: { type: 'string', default: 'auto' }, budget: { type: 'string', default: '600' },
  } }).values;
} catch (e) { usage((e as Error).message.split('\n')[0]!); }
const int = (flag: string, v: string, min: number) => { if (!/^\d+$/.test(v) || Number(v) < min) usage(`--${flag} expects an integer >= ${min}, got '${v}'`); return Number(v); };
if (!SIZES[parsed.size!]) usage(`--size must be one of ${SIZE_NAMES.join(', ')}, got '${parsed.size}'`);
const repeats = int('repeats', parsed.repeats!, 1), warmup = int('warmup', parsed.warmup!, 0), budgetS = int('budget', parsed.budget!, 1);
const cfg = Number(parsed.cfg);
if (!/^\d+(\.\d+)?$/.test(parsed.cfg!) || !Number.isFinite(cfg)) usage(`--cfg expects a number >= 0, got '${parsed.cfg}'`);
const sharesArg = parsed.shares!;
if (!['auto', 'timestamps', 'isolation', 'off'].includes(sharesArg)) usage(`--shares must be auto, timestamps, isolation or off, got '${sharesArg}'`);
const outDir = (parsed.out ?? new URL('../bench/results/', import.meta.url).pathname).replace(/\/?$/, '/');

const sh = (cmd: string) => { try { return execSync(cmd, { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim(); } catch { return ''; } };
const log = (s: string) => console.log(`[${((performance.now() - T0) / 1000).toFixed(1)} s] ${s}`);
const T0 = performance.now();
const s: SampleSettings = { cfg, topK: 900, topP: 0.96, seed: 0 };
const hopts = { warmup, repeats, budgetS };

const dev = await Device.create();
const load0 = loadavg();
const size = SIZES[parsed.size!]!();
log(`paper bench: ${size.what}; adapter ${dev.report().description}; ${JSON.stringify(hopts)}, cfg ${cfg}`);
const b = buildModels(dev, size);
const params = hvarParamCount(size.hvar).total;
const analytic = countModel(hvarModelConfig(size.name, size.hvar, size.vqvae, { cfg: cfg > 0 }));
const paperRule = size.name === 'd16' ? countModel(MODEL_CONFIGS.d16!).totals.paperFlops : analytic.totals.paperFlops;

// 1. One counted generation (cold: pipeline compiles, first allocations): dispatched FLOPs and bytes per op, the call trace.
const t = performance.now(), cpu0 = process.cpuUsage();
const counted = await countWork(dev, () => generation(b, s), { trace: sharesArg === 'isolation' || (sharesArg === 'auto' && !dev.hasTimestamps) });
const coldMs = performance.now() - t, coldCpu = process.cpuUsage(cpu0);
const tot = counted.counter.totals();
log(`cold generation ${(coldMs / 1000).toFixed(2)} s; dispatched ${(tot.flops / 1e9).toFixed(1)} GFLOP in ${tot.dispatches} dispatches (analytic ${(analytic.totals.fullFlops / 1e9).toFixed(1)})`);

// 2. The whole generation with the KV cache (LR latent, steps with host sampling, three decodes). With --warmup 0 --repeats 1
// the counted run above is the one sample (for sizes whose generation takes many minutes), as for the step loops in 4.
const single = warmup === 0 && repeats === 1;
const gen = single ? summarise([coldMs], [(coldCpu.user + coldCpu.system) / 1000], tot.flops)
  : (await measure([{ name: 'generation', run: () => generation(b, s) }], hopts, { flops: tot.flops }))['generation']!;
log(`generation ${(gen.medianMs / 1000).toFixed(2)} s median (${gen.samplesMs.length} runs), ${gen.gflops!.toFixed(1)} GFLOP/s`);

// 3. The VQVAE decodes alone, one contender per decode side.
const lat = decodeLatents(b);
const decodeStats: Record<string, Stats> = {};
const sides = size.hvar.segments.map((g) => g.side * b.vae.downsample);
const dStats = await measure(lat.map((f, i) => ({ name: `decode ${sides[i]}`, run: () => decodes(b, [f]) })), hopts);
for (const [k, v] of Object.entries(dStats)) decodeStats[k] = v;
lat.forEach((f) => f.dispose());
const decodeMs = Object.values(decodeStats).reduce((a, x) => a + x.medianMs, 0);
log(`decodes ${Object.entries(decodeStats).map(([k, v]) => `${k}: ${v.medianMs.toFixed(0)} ms`).join(', ')}`);

// 4. The transformer's steps with and without the KV cache (each step's logits read back), in turns.
const inp = stepInputs(b, cfg);
/** One counted run of a step loop: its dispatched totals and, for --warmup 0 --repeats 1, its one sample. */
const countedRun = async (work: () => Promise<void>) => {
  const t1 = performance.now(), c1 = process.cpuUsage();
  const totals = (await countWork(dev, work)).counter.totals();
  const cu = process.cpuUsage(c1);
  return { totals, stats: summarise([performance.now() - t1], [(cu.user + cu.system) / 1000]) };
};
const rc = await countedRun(() => transformerRecompute(b, inp)), cc = await countedRun(() => transformerCached(b, inp));
const recomputeCount = rc.totals, cachedCount = cc.totals;
const tr = single ? { cached: cc.stats, recompute: rc.stats }
  : await measure([{ name: 'cached', run: () => transformerCached(b, inp) }, { name: 'recompute', run: () => transformerRecompute(b, inp) }], hopts);
inp.dispose();
const cached = tr['cached']!, recompute = tr['recompute']!;
const noCacheMs = gen.medianMs - cached.medianMs + recompute.medianMs;
log(`transformer: KV cache ${cached.medianMs.toFixed(0)} ms, no cache ${recompute.medianMs.toFixed(0)} ms; generation without cache ≈ ${(noCacheMs / 1000).toFixed(2)} s`);

// 5. Host sampling (top-k / top-p over every row) alone.
const host = (await measure([{ name: 'host', run: hostSamplingWork(b, s) }], hopts))['host']!;

// 6. Time per kernel family.
let shares: Shares | null = null;
const method = sharesArg === 'auto' ? (dev.hasTimestamps ? 'timestamps' : 'isolation') : sharesArg;
if (method === 'timestamps') {
  if (!dev.hasTimestamps) usage('--shares timestamps: this adapter has no timestamp-query');
  shares = await sharesByTimestamps(dev, () => generation(b, s));
} else if (method === 'isolation') {
  const calls = counted.counter.calls ?? (await countWork(dev, () => generation(b, s), { trace: true })).counter.calls!;
  shares = await sharesByIsolation(dev, calls, gen.medianMs, Math.min(repeats, 3));
}
if (shares) log(`shares (${shares.method}): ${Object.entries(shares.byFamily).map(([f, x]) => `${f} ${(100 * x!.share).toFixed(1)} %`).join(', ')}`);
b.dispose();

// ---- record ---------------------------------------------------------------------------------------------------------
const rev = sh('git rev-parse HEAD'), dirty = sh('git status --porcelain --untracked-files=no') !== '';
const date = new Date().toISOString();
const byOp = [...counted.counter.ops.values()].sort((x, y) => y.flops - x.flops || y.bytes - x.bytes);
const record = {
  bench: 'paper', date, git: rev + (dirty ? '-dirty' : ''), node: process.version, cpu: `${cpus()[0]?.model ?? '?'} ×${cpus().length}`,
  adapter: dev.report(), load: { before: load0, after: loadavg() },
  size: size.name, what: size.what, config: { hvar: size.hvar, vqvae: size.vqvae }, params, lrSide: b.lrSide, outSide: b.outSide,
  settings: { ...s, ...hopts, shares: sharesArg },
  flops: {
    dispatched: tot.flops, dispatchedBytes: tot.bytes, dispatches: tot.dispatches,
    byFamily: tot.byFamily, byOp: byOp.map((e) => ({ op: e.op, family: e.family, calls: e.calls, flops: e.flops, bytes: e.bytes, dispatches: e.dispatches })),
    analytic: analytic.totals.fullFlops, analyticTransformer: analytic.totals.transformerFlops, paperRule,
    transformerCached: cachedCount.flops, transformerRecompute: recomputeCount.flops,
  },
  times: {
    coldMs, generation: gen, decodes: decodeStats, decodeMs, transformerCached: cached, transformerRecompute: recompute, hostSampling: host,
    noCacheGenerationMs: noCacheMs,
    noCacheMethod: 'generation median − transformer steps with the KV cache + transformer steps without it (each step a full forward of the sequence so far under the block-causal mask, recomputeStep), each step\'s logits read back in both',
  },
  achieved: { gflops: tot.flops / (gen.medianMs * 1e6), paperRuleGflops: paperRule / (gen.medianMs * 1e6) },
  shares,
};
mkdirSync(outDir, { recursive: true });
const file = `${outDir}paper-${size.name}-${date.slice(0, 19).replace(/:/g, '')}-${rev.slice(0, 7) || 'nogit'}.json`;
writeFileAtomic(file, JSON.stringify(record, null, 1) + '\n');
writeLatest(outDir);
log(`wrote ${file}, ${outDir}paper-latest.md and paper-latest.png`);
dev.destroy();

// ---- Markdown and chart over the newest run of each size ----------------------------------------------------------------
function writeLatest(dir: string) {
  const runs = readdirSync(dir).filter((f) => /^paper-.*\.json$/.test(f)).map((f) => JSON.parse(readFileSync(dir + f, 'utf8')) as typeof record)
    .sort((x, y) => x.date.localeCompare(y.date));
  const latest = new Map<string, typeof record>();
  for (const r of runs) latest.set(r.size, r);
  const mine = [...latest.values()].sort((x, y) => y.params - x.params);
  const sec = (ms: number) => (ms >= 10000 ? (ms / 1000).toFixed(1) : (ms / 1000).toFixed(2)) + ' s';
  const T = (f: number) => (f >= 1e11 ? (f / 1e12).toFixed(3) + ' T' : (f / 1e9).toFixed(f >= 1e9 ? 1 : 3) + ' G');
  const M = (p: number) => (p / 1e6).toFixed(1) + ' M';
  const adapter = (r: typeof record) => `${r.adapter.description || r.adapter.device || '?'} (${r.adapter.runtime})`;
  const rows = [
    ...PAPER_ROWS.map((p) => `| ${p.model} (paper) | ${p.params} | ${p.tflops} T | ${p.latencyS} s | – | – | the paper's GPU |`),
    ...mine.flatMap((r) => [
      `| hvar ${r.size}, KV cache | ${M(r.params)} | ${r.size === 'd16' ? `${T(r.flops.paperRule)} (paper rule); ` : ''}${T(r.flops.dispatched)} dispatched | ${sec(r.times.generation.medianMs)} | ${sec(r.times.decodeMs)} | ${r.achieved.gflops.toFixed(1)} GFLOP/s | ${adapter(r)}, load ${r.load.before[0]!.toFixed(1)} |`,
      `| hvar ${r.size}, no KV cache | ${M(r.params)} | ${T(r.flops.dispatched - r.flops.transformerCached + r.flops.transformerRecompute)} dispatched | ${sec(r.times.noCacheGenerationMs)} | ${sec(r.times.decodeMs)} | – | same run |`,
    ]),
  ];
  const shareRows = mine.filter((r) => r.shares).map((r) => `| ${r.size} | ${r.shares!.method} | ` +
    ['matmul', 'attention', 'conv', 'norm', 'elementwise', 'copy', 'other', 'rest'].map((f) => {
      const x = (r.shares!.byFamily as Record<string, { share: number } | undefined>)[f];
      return x ? `${(100 * x.share).toFixed(1)} %` : '–';
    }).join(' | ') + ' |');
  const runsOf = (r: typeof record) => r.settings.warmup === 0 && r.settings.repeats === 1 ? 'one cold generation (the counted one)'
    : `median of ${r.times.generation.samplesMs.length} generations after ${r.settings.warmup} warm-up (cold ${sec(r.times.coldMs)})`;
  const detail = mine.map((r) => `- **${r.size}** (${r.what}; ${r.date.slice(0, 16)}, ${r.git.slice(0, 7)}): ${runsOf(r)}; LR ${r.lrSide}² → ×1/×2/×4 = ${r.outSide / 4}, ${r.outSide / 2}, ${r.outSide} px; CFG ${r.settings.cfg}, top-k ${r.settings.topK}, top-p ${r.settings.topP}. ` +
    `Transformer steps ${sec(r.times.transformerCached.medianMs)} with the cache, ${sec(r.times.transformerRecompute.medianMs)} without; host sampling ${sec(r.times.hostSampling.medianMs)}; ` +
    `decodes ${Object.entries(r.times.decodes).map(([k, v]) => `${k.replace('decode ', '')} px ${sec(v.medianMs)}`).join(', ')}. Analytic full count ${T(r.flops.analytic)}. Load ${r.load.before.map((x) => x.toFixed(1)).join('/')} → ${r.load.after.map((x) => x.toFixed(1)).join('/')}.`);
  writeFileAtomic(dir + 'paper-latest.md', [
    '# Paper benchmark: one ×4 generation (latest run of each size)', '',
    'Latency = wall time of one whole generation from the LR image (LR latent, every sampling step with its host-side top-k/top-p draw, the',
    'three VQVAE decodes) until the GPU has finished; median of the timed runs. "no KV cache" = that median − the transformer steps with',
    'the cache + the same steps recomputing the whole sequence so far at each step (both measured alone; each step\'s logits read back).',
    'FLOPs: "paper rule" is the paper\'s accounting (2 × block linears and head × 2,240 tokens, docs/VAR_FACTS.md §4.3); "dispatched" is',
    'what the engine ran, counted by the work counter (2 per multiply-add: linears, attention per visible pair, convs, the VQVAE\'s attention).',
    'Random weights (initHVAR, VQVAE.create), seeded. Timings on a shared machine are noisy: the load average is recorded.', '',
    '| model | parameters | FLOPs | latency | of which VQVAE decodes | achieved | where |', '|---|---|---|---|---|---|---|', ...rows, '',
    ...(shareRows.length ? ['Share of time per kernel family:', '', '| size | method | matmul | attention | conv | norm | elementwise | copy | other | rest |',
      '|---|---|---|---|---|---|---|---|---|---|', ...shareRows, '', ...mine.filter((r) => r.shares).map((r) => `- ${r.size}: ${r.shares!.note.replace(/\.$/, '')}.`), ''] : []),
    ...detail, '', 'Generated by bench/paper.bench.ts (see bench/README.md).', '',
  ].join('\n'));
  writeChartPng(dir + 'paper-latest.png', barChart({
    title: 'One x4 generation: latency (s), paper vs this engine',
    series: [{ name: 'whole generation' }, { name: 'VQVAE decodes' }], yLabel: 'seconds', orientation: 'horizontal',
    groups: [
      ...PAPER_ROWS.map((p) => ({ label: `${p.model} (paper)`, bars: [{ series: 'whole generation', value: p.latencyS }] })),
      ...mine.flatMap((r) => [
        { label: `hvar ${r.size}, KV cache`, bars: [{ series: 'whole generation', value: r.times.generation.medianMs / 1000, note: adapterShort(r.adapter) },
          { series: 'VQVAE decodes', value: r.times.decodeMs / 1000 }] },
        { label: `hvar ${r.size}, no cache`, bars: [{ series: 'whole generation', value: r.times.noCacheGenerationMs / 1000 }] },
      ]),
    ],
    valueFormat: (v) => (v >= 10 ? v.toFixed(0) : v >= 1 ? v.toFixed(1) : v.toFixed(2)),
  }));
}
function adapterShort(a: { description?: string; device?: string }): string { return (a.description || a.device || '?').split(/[ :(]/)[0]!; }
