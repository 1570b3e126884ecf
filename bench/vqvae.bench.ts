// Benchmark: the VQVAE at full size (random weights): encode, tokenize and decode at 256 and 512 px, each with the weights
// repacked at every conv call and with prepareForInference()'s layouts, in turns; dispatched GFLOP per stage and for the whole
// (tokenize + decode: image → ids → image), achieved GFLOP/s against the conv kernel's own rate at the decode's dominant conv
// shape measured alone in the same run, and peak GPU memory per stage.
// Run: npm run bench:vqvae -- [--sizes 256,512] [--config released|small] [--schedule hit|var] [--repeats 3] [--warmup 0]
//      [--budget 900] [--prepared-only] [--out DIR]
// Writes bench/results/vqvae-<config>-<date>-<sha>.json, vqvae-latest.md and vqvae-latest.png (see bench/README.md).
import { parseArgs } from 'node:util';
import { execSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { Device, Rng, countWork, noGrad, ops, scope, type Tensor, type WorkCall } from '../src/engine/index.ts';
import { writeFileAtomic } from '../src/io/atomic.ts';
import { vqvaeDecoder, vqvaeEncoder, type VqvaeConfig } from '../src/models/flops.ts';
import { VAR_SCHEDULES, hitSegments, varSegments } from '../src/models/quant/schedule.ts';
import { VQVAE, vqvaeConfig, vqvaeParamCount, type VQVAEConfig } from '../src/models/vqvae/index.ts';
import { TOKENIZER_PRESETS } from '../src/train/tokenizer_presets.ts';
import { measure, summarise, type Stats } from './harness.ts';
import { STAGES, writeVqvaeLatest, type Layout, type SizeResult, type StageName, type StageRow, type VqvaeRecord } from './vqvae_report.ts';

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
const record: VqvaeRecord = {
  bench: 'vqvae', date, git: rev + (dirty ? '-dirty' : ''), node: process.version, cpu: `${cpus()[0]?.model ?? '?'} ×${cpus().length}`,
  adapter: dev.report(), load: { before: load0, after: loadavg() }, config, schedule, settings: { ...hopts, layouts: bothLayouts ? 'both' : 'prepared' },
  sizes: results,
};
mkdirSync(outDir, { recursive: true });
const file = `${outDir}vqvae-${config}-${date.slice(0, 19).replace(/:/g, '')}-${rev.slice(0, 7) || 'nogit'}.json`;
writeFileAtomic(file, JSON.stringify(record, null, 1) + '\n');
writeVqvaeLatest(outDir);
log(`wrote ${file}, ${outDir}vqvae-latest.md and vqvae-latest.png`);
dev.destroy();
