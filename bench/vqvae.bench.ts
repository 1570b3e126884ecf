// Benchmark: the VQVAE at full size (random weights): encode, tokenize and decode at 256 and 512 px, each with the weights
// repacked at every conv call and with prepareForInference()'s layouts, in turns; dispatched GFLOP per stage and for the whole
// (tokenize + decode: image → ids → image), achieved GFLOP/s against the conv kernel's own rate at the decode's dominant conv
// shape measured alone in the same run, and peak GPU memory per stage.
// Run: npm run bench:vqvae -- [--sizes 256,512] [--config released|small] [--schedule hit|var] [--repeats 3] [--warmup 0]
//      [--budget 900] [--prepared-only] [--out DIR]
// Writes bench/results/vqvae-<config>-<date>-<sha>.json, vqvae-latest.md and vqvae-latest.png (see bench/README.md).
import { parseArgs } from 'node:util';
import { execSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { Device, Rng, countWork, noGrad, ops, scope, type Tensor, type WorkCall } from '../src/engine/index.ts';
import { writeFileAtomic } from '../src/io/atomic.ts';
import { vqvaeDecoder, vqvaeEncoder, type VqvaeConfig } from '../src/models/flops.ts';
import { VAR_SCHEDULES, hitSegments, varSegments } from '../src/models/quant/schedule.ts';
import { VQVAE, vqvaeConfig, vqvaeParamCount, type VQVAEConfig } from '../src/models/vqvae/index.ts';
import { TOKENIZER_PRESETS } from '../src/train/tokenizer_presets.ts';
import { barChart, writeChartPng } from '../src/viz/chart.ts';
import { measure, summarise, type Stats } from './harness.ts';

const CONFIGS = ['released', 'small'] as const, SCHEDULES = ['hit', 'var'] as const;
function usage(msg: string): never {
  console.error(`bench vqvae: ${msg}\nusage: npm run bench:vqvae -- [--sizes 256,512] [--config ${CONFIGS.join('|')}] [--schedule ${SCHEDULES.join('|')}] [--repeats N] [--warmup N] [--budget S] [--prepared-only] [--out DIR]`);
  process.exit(2);
}
let parsed;
try {
  parsed = parseArgs({ args: process.argv.slice(2), strict: true, allowPositionals: false, options: {
    sizes: { type: 'string', default: '256,512' }, config: { type: 'string', default: 'released' }, schedule: { type: 'string', default: 'hit' },
    repeats: { type: 'string', default: '3' }, warmup: { type: 'string', default: '0' }, budget: { type: 'string', default: '900' },
    'prepared-only': { type: 'boolean', default: false }, out: { type: 'string' },
  } }).values;
} catch (e) { usage((e as Error).message.split('\n')[0]!); }
const int = (flag: string, v: string, min: number) => { if (!/^\d+$/.test(v) || Number(v) < min) usage(`--${flag} expects an integer >= ${min}, got '${v}'`); return Number(v); };
const config = parsed.config! as typeof CONFIGS[number], schedule = parsed.schedule! as typeof SCHEDULES[number];
if (!CONFIGS.includes(config)) usage(`--config must be one of ${CONFIGS.join(', ')}, got '${parsed.config}'`);
if (!SCHEDULES.includes(schedule)) usage(`--schedule must be one of ${SCHEDULES.join(', ')}, got '${parsed.schedule}'`);
const sizes = parsed.sizes!.split(',').map((s) => {
  if (!/^\d+$/.test(s)) usage(`--sizes expects a comma-separated list of image sides, got '${parsed.sizes}'`);
  const S = Number(s);
  if (schedule === 'hit' && !(S >= 64 && S % 64 === 0)) usage(`--sizes: ${S} is not a multiple of 64 (the HIT schedule needs a latent side divisible by 4 at ×16)`);
  if (schedule === 'var' && !(S in VAR_SCHEDULES)) usage(`--sizes: VAR has schedules for ${Object.keys(VAR_SCHEDULES).join(', ')} px only, got ${S}`);
  return S;
});
const repeats = int('repeats', parsed.repeats!, 1), warmup = int('warmup', parsed.warmup!, 0), budgetS = int('budget', parsed.budget!, 1);
const bothLayouts = !parsed['prepared-only'];
const outDir = (parsed.out ?? new URL('../bench/results/', import.meta.url).pathname).replace(/\/?$/, '/');
const hopts = { warmup, repeats, budgetS };

const sh = (cmd: string) => { try { return execSync(cmd, { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim(); } catch { return ''; } };
const T0 = performance.now();
const log = (s: string) => console.log(`[${((performance.now() - T0) / 1000).toFixed(1)} s] ${s}`);
const MiB = (b: number) => +(b / 2 ** 20).toFixed(1);

const STAGES = ['encode', 'tokenize', 'decode'] as const;
type StageName = typeof STAGES[number];
type Layout = 'per-call' | 'prepared';
/** One stage on one layout: its counted (cold) run and its timed runs. */
interface StageRow {
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
interface SizeResult {
  side: number; cfg: VQVAEConfig; params: number; tokens: number; weightsMiB: number; layoutsMiB: number;
  rows: StageRow[];
  /** The conv alone: its samples over all stages' turns, its rate per stage's turns, its share of the decode's FLOPs. */
  reference: { name: string; shape: Record<string, number>; flops: number; stats: Stats; gflops: number; gflopsCpu: number;
    byStage: Record<StageName, { wall: number; cpu: number }>; share: number; calls: number; kernels: Record<string, number> };
  whole: Partial<Record<Layout, { ms: number; cpuMs: number; flops: number; gflops: number; gflopsCpu: number; ofReference: number; ofReferenceCpu: number }>>;
  load: { before: number[]; after: number[] };
}

const dev = await Device.create();
const load0 = loadavg();
log(`vqvae bench: config ${config}, schedule ${schedule}, sizes ${sizes.join(', ')}; adapter ${dev.report().description}; ${JSON.stringify(hopts)}${bothLayouts ? '' : ', prepared only'}`);

type Counted = Awaited<ReturnType<typeof counted>>;
/** Runs fn once under noGrad with the work counter (trace: every call's sizes), from a trimmed pool with fresh memory peaks. */
async function counted(fn: () => void) {
  await dev.sync();
  dev.resetPeakMemory({ trim: true });
  const s0 = dev.poolStats(), t = performance.now();
  const { counter } = await countWork(dev, () => noGrad(dev, fn), { trace: true });
  const coldMs = performance.now() - t, s1 = dev.poolStats();
  const tot = counter.totals();
  return {
    coldMs, flops: tot.flops, bytes: tot.bytes, dispatches: tot.dispatches, convFlops: tot.byFamily.conv.flops, calls: counter.calls!,
    kernels: Object.fromEntries([...counter.kernels].sort((a, b) => b[1].dispatches - a[1].dispatches).map(([k, v]) => [k, v.dispatches])),
    peakLiveMiB: MiB(s1.peakLiveBytes - s0.liveBytes), peakBuffersMiB: MiB(s1.peakCreatedBytes - s0.createdBytes), peakHeldMiB: MiB(s1.peakTotalBytes - (s0.createdBytes + s0.textureBytes + s0.ownedTextureBytes)),
  };
}

/** The conv shape of the most FLOPs among the traced calls (summed over calls of one shape). */
function dominantConv(calls: WorkCall[]): { shape: Record<string, number>; flops: number; calls: number } {
  const by = new Map<string, { shape: Record<string, number>; flops: number; calls: number }>();
  for (const c of calls) {
    if (c.op !== 'conv2d') continue;
    const k = JSON.stringify(c.shape), e = by.get(k) ?? { shape: c.shape, flops: 0, calls: 0 };
    e.flops += c.flops; e.calls++;
    by.set(k, e);
  }
  const best = [...by.values()].sort((a, b) => b.flops - a.flops)[0];
  if (!best) throw new Error('vqvae bench: the decode dispatched no conv2d');
  return best;
}

/** The analytic FLOPs of encode (encoder + quant_conv) and decode (post_quant_conv + decoder) at a latent side. */
function analytic(cfg: VQVAEConfig, latent: number): Record<StageName, number | null> {
  const v: VqvaeConfig = { ch: cfg.ch, mult: cfg.chMult, encBlocks: cfg.numResBlocks, decBlocks: cfg.numResBlocks + 1, cvae: cfg.zChannels, vocab: cfg.vocabSize, phiConvs: 0 };
  const qc = 2 * cfg.zChannels * cfg.zChannels * cfg.quantConvKs ** 2 * latent * latent;
  return { encode: vqvaeEncoder(v, latent).flops + qc, tokenize: null, decode: vqvaeDecoder(v, latent).flops + qc };
}

const results: SizeResult[] = [];
for (const side of sizes) {
  const loadBefore = loadavg();
  const segments = schedule === 'hit' ? hitSegments(side / 16) : varSegments(VAR_SCHEDULES[side as keyof typeof VAR_SCHEDULES]);
  const cfg = vqvaeConfig({ ...TOKENIZER_PRESETS[config]!, segments });
  if (cfg.segments.at(-1)!.side * 2 ** (cfg.chMult.length - 1) !== side) throw new Error(`vqvae bench: config ${config} does not map ${side} px to its schedule`);
  // Two instances with the same weights (same seed): one repacks per call, one holds prepareForInference()'s layouts.
  const w0 = dev.poolStats();
  const plain = VQVAE.create(dev, cfg, new Rng(1));
  await dev.sync();
  const weightsMiB = MiB(dev.poolStats().liveBytes - w0.liveBytes);
  const held = () => { const s = dev.poolStats(); return s.liveBytes + s.ownedTextureBytes; };
  const prepared = VQVAE.create(dev, cfg, new Rng(1));
  const p1 = held();
  prepared.prepareForInference();
  await dev.sync();
  const layoutsMiB = MiB(held() - p1), instances: Record<Layout, VQVAE> = { 'per-call': plain, prepared };
  const img = new Rng(2).uniform(dev, [1, 3, side, side], -1, 1).keep();
  const fHat = scope(dev, () => { const t = plain.tokenize(img); t.idx_BL.dispose(); t.perScale.forEach((x) => x.dispose()); t.fHats.slice(0, -1).forEach((x) => x.dispose()); return t.fHats.at(-1)!; }).keep();
  await dev.sync();
  log(`${side} px: ${cfg.ch} ch, ${(vqvaeParamCount(cfg) / 1e6).toFixed(1)} M parameters (${weightsMiB} MiB; layouts ${layoutsMiB} MiB), schedule ${JSON.stringify(cfg.segments.map((s) => s.scales))}, ${plain.tokens} tokens`);

  const work: Record<StageName, (v: VQVAE) => () => void> = {
    encode: (v) => () => { v.encode(img).dispose(); },
    tokenize: (v) => () => { const t = v.tokenize(img); for (const x of [t.idx_BL, ...t.perScale, ...t.fHats]) x.dispose(); },
    decode: (v) => () => { v.decodeLatent(fHat).dispose(); },
  };
  const layouts: Layout[] = bothLayouts ? ['per-call', 'prepared'] : ['prepared'];
  const an = analytic(cfg, side / 16);
  // 1. One counted run per stage and layout (cold): FLOPs, kernels, memory peaks, the call trace.
  const cold = {} as Record<StageName, Partial<Record<Layout, Counted>>>;
  for (const stage of STAGES) {
    cold[stage] = {};
    for (const l of layouts) cold[stage][l] = await counted(work[stage](instances[l]));
    const c = cold[stage].prepared!;
    log(`${side} px ${stage}: ${(c.flops / 1e9).toFixed(1)} GFLOP dispatched${an[stage] ? ` (${(an[stage]! / 1e9).toFixed(1)} analytic)` : ''}, cold ${layouts.map((l) => `${l} ${(cold[stage][l]!.coldMs / 1000).toFixed(1)} s, peak +${cold[stage][l]!.peakHeldMiB} MiB`).join('; ')}`);
  }

  // 2. The conv kernel alone at the decode's dominant shape (prepared weight: the kernel's own rate, no repack).
  const dom = dominantConv(cold.decode.prepared!.calls), g = dom.shape;
  const x = new Rng(3).uniform(dev, [g.B!, g.C!, g.H!, g.W!], -1, 1).keep();
  const w = new Rng(4).uniform(dev, [g.O!, g.C!, g.KH!, g.KW!], -0.05, 0.05).keep(), b = new Rng(5).uniform(dev, [g.O!], -0.05, 0.05).keep();
  const convOpts = { stride: g.S!, padding: [g.pT!, g.pB!, g.pL!, g.pR!] as [number, number, number, number] };
  const prep = ops.prepareConv(w, b, convOpts);
  const one = () => { ops.conv2d(x, w, b, { ...convOpts, prepared: prep }).dispose(); };
  const rc = await counted(one);
  const refName = `conv${g.KH}x${g.KW}${g.S! > 1 ? ` s${g.S}` : ''} ${g.C}→${g.O} @${g.H}×${g.W}`;

  // 3. Timed: each stage's layouts and the conv alone in turns, so that a change of load on a shared machine hits them alike;
  // every stage is compared with the conv's samples taken in its own turns.
  const rows: StageRow[] = [], refByStage = {} as Record<StageName, Stats>;
  const rate = (flops: number, st: Stats) => ({ wall: flops / (st.medianMs * 1e6), cpu: flops / (st.cpuMedianMs * 1e6) });
  for (const stage of STAGES) {
    const st = await measure([...layouts.map((l) => ({ name: l, run: async () => { noGrad(dev, work[stage](instances[l])); await dev.sync(); } })),
      { name: 'conv alone', run: async () => { noGrad(dev, one); await dev.sync(); } }], hopts);
    const ref = refByStage[stage] = st['conv alone']!, rr = rate(rc.flops, ref);
    for (const l of layouts) {
      const { calls: _calls, ...k } = cold[stage][l]!, r = rate(k.flops, st[l]!);
      rows.push({ stage, layout: l, ...k, stats: st[l]!, gflops: r.wall, gflopsCpu: r.cpu, ofReference: r.wall / rr.wall, ofReferenceCpu: r.cpu / rr.cpu, analyticFlops: an[stage] });
    }
    log(`${side} px ${stage}: ${rows.slice(-layouts.length).map((r) => `${r.layout} ${r.stats.medianMs.toFixed(0)} ms, ${r.gflops.toFixed(1)} GFLOP/s`).join('; ')}; conv alone ${rr.wall.toFixed(1)} GFLOP/s`);
  }
  prep.dispose(); x.dispose(); w.dispose(); b.dispose();
  const pool = (which: readonly StageName[]) => summarise(which.flatMap((s) => refByStage[s].samplesMs), which.flatMap((s) => refByStage[s].samplesCpuMs), rc.flops);
  const rs = pool(STAGES), rw = rate(rc.flops, pool(['tokenize', 'decode']));
  const reference = { name: refName, shape: g, flops: rc.flops, stats: rs, gflops: rs.gflops!, gflopsCpu: rc.flops / (rs.cpuMedianMs * 1e6),
    byStage: Object.fromEntries(STAGES.map((s) => [s, rate(rc.flops, refByStage[s])])) as Record<StageName, { wall: number; cpu: number }>,
    share: dom.flops / cold.decode.prepared!.flops, calls: dom.calls, kernels: rc.kernels };
  log(`${side} px conv alone: ${refName} (${dom.calls} calls of this shape: ${(100 * reference.share).toFixed(0)} % of the decode's FLOPs), ${reference.gflops.toFixed(1)} GFLOP/s over all turns`);

  // Whole = tokenize + decode, against the conv's samples of those two stages' turns.
  const whole = {} as SizeResult['whole'];
  for (const l of layouts) {
    const t = rows.find((r) => r.stage === 'tokenize' && r.layout === l)!, d = rows.find((r) => r.stage === 'decode' && r.layout === l)!;
    const ms = t.stats.medianMs + d.stats.medianMs, cpuMs = t.stats.cpuMedianMs + d.stats.cpuMedianMs, flops = t.flops + d.flops;
    const gf = flops / (ms * 1e6), gfc = flops / (cpuMs * 1e6);
    whole[l] = { ms, cpuMs, flops, gflops: gf, gflopsCpu: gfc, ofReference: gf / rw.wall, ofReferenceCpu: gfc / rw.cpu };
  }
  log(`${side} px whole (tokenize + decode), prepared: ${(whole.prepared!.ms / 1000).toFixed(2)} s, ${whole.prepared!.gflops.toFixed(1)} GFLOP/s = ${(100 * whole.prepared!.ofReference).toFixed(0)} % of the conv kernel's rate (${(100 * whole.prepared!.ofReferenceCpu).toFixed(0)} % per CPU-s)`);
  results.push({ side, cfg, params: vqvaeParamCount(cfg), tokens: plain.tokens, weightsMiB, layoutsMiB, rows, reference, whole, load: { before: loadBefore, after: loadavg() } });
  img.dispose(); fHat.dispose(); plain.dispose(); prepared.dispose();
  await dev.sync();
}

// ---- record -----------------------------------------------------------------------------------------------------------
const rev = sh('git rev-parse HEAD'), dirty = sh('git status --porcelain --untracked-files=no') !== '';
const date = new Date().toISOString();
const record = {
  bench: 'vqvae', date, git: rev + (dirty ? '-dirty' : ''), node: process.version, cpu: `${cpus()[0]?.model ?? '?'} ×${cpus().length}`,
  adapter: dev.report(), load: { before: load0, after: loadavg() }, config, schedule, settings: { ...hopts, layouts: bothLayouts ? 'both' : 'prepared' },
  sizes: results,
};
mkdirSync(outDir, { recursive: true });
const file = `${outDir}vqvae-${config}-${date.slice(0, 19).replace(/:/g, '')}-${rev.slice(0, 7) || 'nogit'}.json`;
writeFileAtomic(file, JSON.stringify(record, null, 1) + '\n');
writeLatest(outDir);
log(`wrote ${file}, ${outDir}vqvae-latest.md and vqvae-latest.png`);
dev.destroy();

// ---- Markdown and chart over the newest run of each config and size -----------------------------------------------------
function writeLatest(dir: string) {
  const runs = readdirSync(dir).filter((f) => /^vqvae-.*\.json$/.test(f)).map((f) => JSON.parse(readFileSync(dir + f, 'utf8')) as typeof record)
    .sort((a, b) => a.date.localeCompare(b.date));
  const latest = new Map<string, { run: typeof record; size: SizeResult }>();
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
    title: 'VQVAE: achieved GFLOP/s per stage vs the conv kernel alone',
    series: [{ name: 'per call' }, { name: 'prepared' }, { name: 'conv kernel alone' }], yLabel: 'GFLOP/s',
    groups: items.flatMap(({ run, size: s }) => [
      ...STAGES.map((st) => ({ label: `${run.config} ${s.side} ${st}`, bars: s.rows.filter((r) => r.stage === st).map((r) => ({ series: r.layout === 'prepared' ? 'prepared' : 'per call', value: r.gflops })) })),
      { label: `${run.config} ${s.side} whole`, bars: [
        ...(s.whole['per-call'] ? [{ series: 'per call', value: s.whole['per-call'].gflops }] : []),
        { series: 'prepared', value: s.whole.prepared!.gflops, note: pct(s.whole.prepared!.ofReference) },
        { series: 'conv kernel alone', value: s.reference.gflops }] },
    ]),
    valueFormat: (v) => (v >= 100 ? v.toFixed(0) : v.toFixed(1)),
  }));
}
