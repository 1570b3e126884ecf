// Benchmark: the whole H-VAR (random weights, seeded) — one generation from a 128² LR image on the 512 schedule timed per part
// (prefix encode, transformer with the KV cache, host sampling, quantizer, decodes ×1/×2/×4) with dispatched FLOPs per part, the
// transformer's GFLOP/s against the matmul kernel alone at a block's linears run in the same turns, attention's share, and one
// training step (batch 1, the trainer's loss, backward, AdamW) with its time, FLOPs and GPU memory.
// Run: npm run bench:hvar -- [--size d16|small|tiny] [--repeats 1] [--warmup 0] [--train-steps 1] [--train-only] [--no-prewarm]
//      [--no-attention-replay] [--available-mib N] [--train-depths A,B] [--out DIR]
// --train-only: the training step alone (after the tiny-size warm-up unless --no-prewarm); no generation, matmul reference or
// attention replay, and the record says so (settings.trainOnly, generation / transformer / reference null).
// Writes bench/results/hvar-<size>-<date>-<sha>.json (after the generation, again at the end; hvar-<size>-train-<date>-<sha>.json
// once at the end with --train-only), hvar-latest.md and hvar-latest.png.
import { parseArgs } from 'node:util';
import { execSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { Device, countWork, type WorkCall, type WorkFamily } from '../src/engine/index.ts';
import { writeFileAtomic } from '../src/io/atomic.ts';
import { hvarParamCount } from '../src/models/hvar/index.ts';
import { summarise } from './harness.ts';
import { SIZES, SIZE_NAMES, buildModels, type SampleSettings } from './paper_model.ts';
import { sharesByIsolation } from './paper_shares.ts';
import { callsOf, decodeFactor, matmulReference, partOf, probedGeneration, type GenSample, type PhaseRow } from './hvar_gen.ts';
import { writeHvarLatest, type HvarRecord, type PartRow, type ShapeRow, type StepRow } from './hvar_report.ts';
import { trainBench, trainStep } from './hvar_train.ts';

function usage(msg: string): never {
  console.error(`bench hvar: ${msg}\nusage: npm run bench:hvar -- [--size ${SIZE_NAMES.join('|')}] [--repeats N] [--warmup N] [--train-steps N] [--train-only] [--no-prewarm] [--no-attention-replay] [--available-mib N] [--train-depths A,B] [--out DIR]`);
  process.exit(2);
}
let parsed;
try {
  parsed = parseArgs({ args: process.argv.slice(2), strict: true, allowPositionals: false, options: {
    size: { type: 'string', default: 'd16' }, repeats: { type: 'string' }, warmup: { type: 'string' },
    'train-steps': { type: 'string', default: '1' }, 'train-only': { type: 'boolean', default: false }, 'no-prewarm': { type: 'boolean', default: false },
    'no-attention-replay': { type: 'boolean', default: false }, 'available-mib': { type: 'string' }, 'train-depths': { type: 'string' }, out: { type: 'string' },
  } }).values;
} catch (e) { usage((e as Error).message.split('\n')[0]!); }
const int = (flag: string, v: string, min: number) => { if (!/^\d+$/.test(v) || Number(v) < min) usage(`--${flag} expects an integer >= ${min}, got '${v}'`); return Number(v); };
if (!SIZES[parsed.size!]) usage(`--size must be one of ${SIZE_NAMES.join(', ')}, got '${parsed.size}'`);
const repeats = int('repeats', parsed.repeats ?? '1', 1), warmup = int('warmup', parsed.warmup ?? '0', 0), trainSteps = int('train-steps', parsed['train-steps']!, 0);
const trainOnly = parsed['train-only']!;
if (trainOnly) {
  if (trainSteps === 0) usage('--train-only with --train-steps 0 would measure nothing: --train-only runs only the training step (give --train-steps 1 or more)');
  for (const f of ['repeats', 'warmup', 'no-attention-replay'] as const)
    if (parsed[f] !== undefined && parsed[f] !== false) usage(`--${f} sets up the generation, which --train-only skips: drop one of them`);
} else if (trainSteps === 0) {
  for (const f of ['train-depths', 'available-mib'] as const)
    if (parsed[f] !== undefined) usage(`--${f} sets up the training step, which --train-steps 0 skips: drop one of them`);
}
const availMiB = parsed['available-mib'] === undefined ? null : int('available-mib', parsed['available-mib'], 1);
let trainDepths: [number, number] | null = null;
if (parsed['train-depths'] !== undefined) {
  const d = parsed['train-depths'].split(',');
  if (d.length !== 2 || d.some((x) => !/^\d+$/.test(x) || Number(x) < 1) || d[0] === d[1]) usage(`--train-depths expects two different depths >= 1 like 1,2, got '${parsed['train-depths']}'`);
  trainDepths = [Number(d[0]), Number(d[1])];
}
const prewarm = !parsed['no-prewarm'], attentionReplay = !parsed['no-attention-replay'];
const outDir = (parsed.out ?? new URL('../bench/results/', import.meta.url).pathname).replace(/\/?$/, '/');

const sh = (cmd: string) => { try { return execSync(cmd, { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim(); } catch { return ''; } };
const T0 = performance.now();
const log = (s: string) => console.log(`[${((performance.now() - T0) / 1000).toFixed(1)} s] ${s}`);
const s: SampleSettings = { cfg: 0, topK: 900, topP: 0.96, seed: 0 };
const sec = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const rate = (flops: number, ms: number) => flops / (ms * 1e6);
const median = (xs: number[]) => summarise(xs, xs).medianMs;

const dev = await Device.create();
const load0 = loadavg();
const size = SIZES[parsed.size!]!();
log(`hvar bench: ${size.what}; adapter ${dev.report().description}; ${trainOnly ? 'training step only (--train-only)' : `repeats ${repeats}, warm-up ${warmup}`}, training steps ${trainSteps}`);
const rev = sh('git rev-parse HEAD'), dirty = sh('git status --porcelain --untracked-files=no') !== '';
const date = new Date().toISOString();
mkdirSync(outDir, { recursive: true });
const file = `${outDir}hvar-${size.name}${trainOnly ? '-train' : ''}-${date.slice(0, 19).replace(/:/g, '')}-${rev.slice(0, 7) || 'nogit'}.json`;

// 0. Warm-up on the tiny size (same device): one generation and one training step compile the pipelines that do not depend on sizes.
let prewarmed: HvarRecord['prewarm'] = null;
if (prewarm) {
  const t = performance.now(), p0 = dev.stats.pipelinesCompiled, tb = buildModels(dev, SIZES.tiny!());
  await countWork(dev, () => probedGeneration(dev, tb, s, null));
  await trainStep(dev, tb, { steps: 1, log: () => {} });
  tb.dispose();
  await dev.sync();
  prewarmed = { ms: performance.now() - t, pipelines: dev.stats.pipelinesCompiled - p0 };
  log(`warm-up on the tiny size: ${prewarmed.pipelines} pipelines compiled in ${sec(prewarmed.ms)}`);
}

// The generation runs with both models prepared for inference, as the upscaler does; the training step needs none of it.
const b = buildModels(dev, size, { prepare: !trainOnly });
const z = b.model.sizes, params = hvarParamCount(size.hvar).total;
await dev.sync();
log(`built: ${(params / 1e6).toFixed(1)} M parameters, C ${z.C}, ${z.H} heads, depth ${size.hvar.depth}; ${z.prefix} prefix + ${z.L} scale tokens, scales ${z.scales.join(', ')}; LR ${b.lrSide}² → ${b.outSide} px`);

/** Steps 1 and 2: the matmul reference and the generations (the transformer's steps against the reference, attention replayed). */
async function generationBench(): Promise<Pick<HvarRecord, 'generation' | 'transformer' | 'reference'>> {
  // 1. The matmul reference: a block's linears at the last scale's token count (the largest cached step; step 0 has prefix + 1).
  const ref = matmulReference(b, z.scales.at(-1)! ** 2);
  const refCold = (await ref.run()).ms;
  const refName = `block linears at M ${ref.M}`;
  log(`matmul reference: ${ref.shapes.map((x) => `${x.name} ${x.K}→${x.N}${x.calls > 1 ? ` ×${x.calls}` : ''}`).join(', ')} at M ${ref.M}: ${(ref.flops / 1e9).toFixed(1)} GFLOP, cold ${sec(refCold)}`);

  // 2. Generations: every phase ended by a sync (the probe), the reference after each transformer step; the first timed one traced.
  const samples: GenSample[] = [];
  let trace: WorkCall[] = [];
  const keysAt = (si: number) => z.prefix + z.scales.slice(0, si + 1).reduce((a, p) => a + p * p, 0);
  for (let g = 0; g < warmup + repeats; g++) {
    const timedFirst = g === warmup, tag = g < warmup ? `warm-up ${g + 1}` : `generation ${g - warmup + 1}`;
    const phaseLog = (r: PhaseRow, refMs: number | null) => {
      const what = r.phase === 'transformer' ? `transformer step ${r.si} (${r.si === 0 ? `${z.prefix} + ${z.firstL}` : z.scales[r.si]! ** 2} queries × ${keysAt(r.si)} keys)`
        : r.phase === 'decode' ? `decode ×${decodeFactor(b, r.si)}` : r.si >= 0 ? `${r.phase} ${r.si}` : r.phase;
      if (r.ms < 200 && r.phase !== 'transformer' && r.phase !== 'decode') return;
      log(`${tag} ${what}: ${sec(r.ms)}, ${(r.flops / 1e9).toFixed(2)} GFLOP, ${r.flops ? rate(r.flops, r.ms).toFixed(2) : '–'} GFLOP/s${refMs !== null ? `; matmul alone after it ${rate(ref.flops, refMs).toFixed(2)} GFLOP/s` : ''}${r.pipelines ? `; ${r.pipelines} pipelines compiled` : ''}`);
    };
    const { result, counter } = await countWork(dev, () => probedGeneration(dev, b, s, ref, phaseLog), { trace: timedFirst });
    samples.push(result);
    if (timedFirst) trace = counter.calls!;
    log(`${tag}: ${sec(result.wallMs)} (reference runs ${sec(result.refMs)} left out), ${(counter.totals().flops / 1e9).toFixed(1)} GFLOP dispatched`);
  }
  const timed = samples.slice(warmup), first = timed[0]!;

  // Parts: per timed generation the sum of each part's phases; medians over the timed generations.
  const partNames = [...new Set(first.phases.map((r) => partOf(r, b)))];
  const partSum = (g: GenSample, part: string, k: 'ms' | 'cpuMs' | 'flops' | 'dispatches' | 'pipelines') => g.phases.filter((r) => partOf(r, b) === part).reduce((a, r) => a + r[k], 0);
  const wholeMs = median(timed.map((g) => g.wallMs)), wholeCpu = median(timed.map((g) => g.cpuMs));
  const wholeFlops = first.phases.reduce((a, r) => a + r.flops, 0);
  const parts: PartRow[] = partNames.map((part) => {
    const ms = median(timed.map((g) => partSum(g, part, 'ms'))), cpuMs = median(timed.map((g) => partSum(g, part, 'cpuMs'))), flops = partSum(first, part, 'flops');
    return { part, ms, cpuMs, flops, dispatches: partSum(first, part, 'dispatches'), pipelines: partSum(first, part, 'pipelines'), share: ms / wholeMs, gflops: rate(flops, ms), gflopsCpu: rate(flops, cpuMs) };
  });
  const partsSumMs = parts.reduce((a, p) => a + p.ms, 0);

  // Transformer against the reference (the reference's runs after the timed generations' steps).
  const refSamples = timed.flatMap((g) => g.refSamples);
  const refStats = summarise(refSamples.map((r) => r.ms), refSamples.map((r) => r.cpuMs), ref.flops);
  const refRate = { wall: rate(ref.flops, refStats.medianMs), cpu: rate(ref.flops, refStats.cpuMedianMs) };
  const tRows = first.phases.filter((r) => r.phase === 'transformer');
  const tp = parts.find((p) => p.part === 'transformer')!;
  const fam = (f: WorkFamily) => tRows.reduce((a, r) => a + (r.byFamily[f] ?? 0), 0);
  const byFamily = Object.fromEntries((['matmul', 'attention', 'norm', 'elementwise', 'copy', 'other'] as WorkFamily[]).map((f) => [f, fam(f)]).filter(([, v]) => v)) as Partial<Record<WorkFamily, number>>;
  const tCalls = callsOf(trace, tRows);
  const shapes = new Map<string, ShapeRow>();
  for (const c of tCalls.filter((x) => x.family === 'matmul')) {
    const k = `${c.op} ${c.shape.M} ${c.shape.K} ${c.shape.N}`, e = shapes.get(k) ?? { op: c.op, M: c.shape.M!, K: c.shape.K!, N: c.shape.N!, calls: 0, flops: 0, share: 0 };
    e.calls++; e.flops += c.flops; e.share = e.flops / tp.flops;
    shapes.set(k, e);
  }
  const isBlockLinear = (r: ShapeRow) => r.op === 'linear' && ref.shapes.some((x) => x.K === r.K && x.N === r.N);
  const refShapeShare = [...shapes.values()].filter((r) => isBlockLinear(r) && r.M === ref.M).reduce((a, r) => a + r.share, 0);
  const blockLinearShare = [...shapes.values()].filter(isBlockLinear).reduce((a, r) => a + r.share, 0);
  const steps: StepRow[] = tRows.map((r, i) => {
    const refMs = first.refSamples[i]!.ms, gf = rate(r.flops, r.ms), rg = rate(ref.flops, refMs);
    return { si: r.si, pn: z.scales[r.si]!, queries: r.si === 0 ? z.prefix + z.firstL : z.scales[r.si]! ** 2, keys: keysAt(r.si), ms: r.ms, cpuMs: r.cpuMs, flops: r.flops,
      attentionFlops: r.byFamily.attention ?? 0, gflops: gf, refGflops: rg, ofReference: gf / rg };
  });
  let replay: NonNullable<HvarRecord['transformer']>['attentionReplay'] = null;
  if (attentionReplay) {
    const att = tCalls.filter((c) => c.family === 'attention');
    const sh2 = await sharesByIsolation(dev, att, tp.ms, 1);
    const a = sh2.byFamily.attention!;
    replay = { ms: a.ms, share: a.share, calls: a.calls };
    log(`attention replayed alone: ${att.length} calls in ${sec(a.ms)} = ${(100 * a.share).toFixed(1)} % of the transformer's ${sec(tp.ms)}`);
  }
  const transformer: NonNullable<HvarRecord['transformer']> = {
    ms: tp.ms, cpuMs: tp.cpuMs, flops: tp.flops, gflops: tp.gflops, gflopsCpu: tp.gflopsCpu,
    ofReference: tp.gflops / refRate.wall, ofReferenceCpu: tp.gflopsCpu / refRate.cpu,
    byFamily, attentionFlopShare: (byFamily.attention ?? 0) / tp.flops, matmulFlopShare: (byFamily.matmul ?? 0) / tp.flops,
    matmulAtReferenceMs: (byFamily.matmul ?? 0) / (refRate.wall * 1e6), matmulAtReferenceShare: (byFamily.matmul ?? 0) / (refRate.wall * 1e6) / tp.ms,
    attentionReplay: replay, steps, topShapes: [...shapes.values()].sort((x, y) => y.flops - x.flops).slice(0, 6),
    referenceShapeShare: refShapeShare, blockLinearShare,
  };
  for (const p of parts) log(`part ${p.part}: ${sec(p.ms)} (${(100 * p.share).toFixed(1)} %), ${(p.flops / 1e9).toFixed(1)} GFLOP, ${p.gflops.toFixed(2)} GFLOP/s (${p.gflopsCpu.toFixed(2)} per CPU-s), ${p.pipelines} pipelines compiled`);
  log(`whole generation ${sec(wholeMs)}, parts sum ${sec(partsSumMs)}; matmul alone ${refRate.wall.toFixed(2)} GFLOP/s (${refRate.cpu.toFixed(2)} per CPU-s, ${refSamples.length} runs); ` +
    `transformer ${tp.gflops.toFixed(2)} GFLOP/s = ${(100 * transformer.ofReference).toFixed(1)} % of it (${(100 * transformer.ofReferenceCpu).toFixed(1)} % per CPU-s); ` +
    `attention ${(100 * transformer.attentionFlopShare).toFixed(1)} % of its FLOPs; the reference's shapes carry ${(100 * refShapeShare).toFixed(1)} % of them (block linears ${(100 * blockLinearShare).toFixed(1)} %)`);
  ref.dispose();
  return {
    generation: { samples, whole: { ms: wholeMs, cpuMs: wholeCpu, flops: wholeFlops, gflops: rate(wholeFlops, wholeMs), partsSumMs }, parts },
    transformer,
    reference: { name: refName, M: ref.M, shapes: ref.shapes, flops: ref.flops, stats: refStats, gflops: refRate.wall, gflopsCpu: refRate.cpu, coldMs: refCold },
  };
}

const gen = trainOnly ? { generation: null, transformer: null, reference: null } : await generationBench();
const record: HvarRecord = {
  bench: 'hvar', complete: false, date, git: rev + (dirty ? '-dirty' : ''), node: process.version, cpu: `${cpus()[0]?.model ?? '?'} ×${cpus().length}`,
  adapter: dev.report(), load: { before: load0, afterGeneration: trainOnly ? null : loadavg(), after: null },
  size: size.name, what: size.what, config: { hvar: size.hvar, vqvae: size.vqvae }, params, lrSide: b.lrSide, outSide: b.outSide,
  settings: { ...s, warmup: trainOnly ? 0 : warmup, repeats: trainOnly ? 0 : repeats, trainSteps, prewarm, attentionReplay: !trainOnly && attentionReplay, trainOnly },
  prewarm: prewarmed, ...gen, train: null,
};
const save = () => { writeFileAtomic(file, JSON.stringify(record, null, 1) + '\n'); writeHvarLatest(outDir); };
if (!trainOnly) { // a run stopped during the training step keeps its generation (--train-only has nothing to keep before the step)
  save();
  log(`wrote ${file} (generation part)`);
}

// 3. The training step.
if (trainSteps > 0) b.model.releaseInference();   // the layouts are copies: training changes the weights
if (trainSteps > 0) record.train = await trainBench(dev, b, { steps: trainSteps, log, depths: trainDepths, ...(availMiB ? { availBytes: availMiB * 2 ** 20 } : {}) });
record.complete = true;
record.load.after = loadavg();
save();
log(`wrote ${file}, ${outDir}hvar-latest.md and hvar-latest.png`);
b.dispose();
dev.destroy();
