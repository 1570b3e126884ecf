// bench:hvar's record types and its report: hvar-latest.md (per size, the newest run with a generation: time per part, the
// transformer against the matmul kernel's rate; the newest run with a training step: its time and memory) and hvar-latest.png.
import { readdirSync, readFileSync } from 'node:fs';
import type { AdapterReport, WorkFamily } from '../src/engine/index.ts';
import { writeFileAtomic } from '../src/io/atomic.ts';
import type { HVARConfig } from '../src/models/hvar/index.ts';
import type { VQVAEConfig } from '../src/models/vqvae/index.ts';
import { barChart, writeChartPng } from '../src/viz/chart.ts';
import type { Stats } from './harness.ts';
import type { GenSample } from './hvar_gen.ts';
import type { TrainResult } from './hvar_train.ts';

/** One part of the generation: median time over the timed generations, FLOPs and compiles of the first timed one. */
export interface PartRow { part: string; ms: number; cpuMs: number; flops: number; dispatches: number; pipelines: number; share: number; gflops: number; gflopsCpu: number }
/** One transformer step of the first timed generation, beside the reference's run right after it. */
export interface StepRow { si: number; pn: number; queries: number; keys: number; ms: number; cpuMs: number; flops: number; attentionFlops: number; gflops: number; refGflops: number; ofReference: number }
export interface ShapeRow { op: string; M: number; K: number; N: number; calls: number; flops: number; share: number }

export interface HvarRecord {
  bench: 'hvar'; complete: boolean; date: string; git: string; node: string; cpu: string; adapter: AdapterReport;
  load: { before: number[]; afterGeneration: number[] | null; after: number[] | null };
  size: string; what: string; config: { hvar: HVARConfig; vqvae: VQVAEConfig }; params: number; lrSide: number; outSide: number;
  settings: {
    cfg: number; topK: number; topP: number; seed: number; warmup: number; repeats: number; trainSteps: number; prewarm: boolean; attentionReplay: boolean;
    /** --train-only: the training step alone (generation, transformer and reference null). Absent in records written before the flag. */
    trainOnly?: boolean;
  };
  /** Pipelines compiled and time taken by the warm-up on the tiny size (same device) before the model was built. */
  prewarm: { ms: number; pipelines: number } | null;
  /** Null with --train-only. */
  generation: {
    /** Every generation run, warm-ups first (warmup of them), each with its phases and the reference's runs. */
    samples: GenSample[];
    /** Whole = median wall time of the timed generations (reference runs excluded); FLOPs of the first timed one. */
    whole: { ms: number; cpuMs: number; flops: number; gflops: number; partsSumMs: number };
    parts: PartRow[];
  } | null;
  /** Null with --train-only. */
  transformer: {
    ms: number; cpuMs: number; flops: number; gflops: number; gflopsCpu: number;
    /** Over the matmul reference's rate in the same turns (median of its runs after the timed generations' steps). */
    ofReference: number; ofReferenceCpu: number;
    byFamily: Partial<Record<WorkFamily, number>>;
    attentionFlopShare: number; matmulFlopShare: number;
    /** The transformer's matmul FLOPs at the reference's rate, as a time and a share of the transformer's time. */
    matmulAtReferenceMs: number; matmulAtReferenceShare: number;
    /** Attention's time by isolation: its calls of one generation's steps replayed alone (null when not run). */
    attentionReplay: { ms: number; share: number; calls: number } | null;
    steps: StepRow[];
    topShapes: ShapeRow[];
    /** Share of the transformer's FLOPs in products at exactly the reference's shapes, and in every block linear (any M). */
    referenceShapeShare: number; blockLinearShare: number;
  } | null;
  /** Null with --train-only. */
  reference: { name: string; M: number; shapes: { name: string; M: number; K: number; N: number; calls: number }[]; flops: number; stats: Stats; gflops: number; gflopsCpu: number; coldMs: number } | null;
  train: TrainResult | null;
}

const sec = (ms: number) => (ms >= 10000 ? (ms / 1000).toFixed(1) : (ms / 1000).toFixed(2)) + ' s';
const pct = (x: number) => `${(100 * x).toFixed(x < 0.1 ? 1 : 0)} %`;
const G = (f: number) => (f / 1e9).toFixed(f >= 1e10 ? 0 : 1);

/** A record and the file it was read from. */
export interface HvarRun { rec: HvarRecord; file: string }
/** What the report shows for one size: the runs its generation and its training section come from (null: none). */
export interface HvarPick {
  size: string;
  /** The newest run with a generation. */
  gen: HvarRun | null;
  /** The newest run with a training step (measured, or extrapolated from other depths). */
  train: HvarRun | null;
  /** The newest run that tried a training step, when it is newer than `train` and got none (the size check refused it). */
  refused: HvarRun | null;
  /** The newest run of the size. */
  last: HvarRun;
}

export const hasTrainStep = (r: HvarRecord) => !!r.train && (r.train.ran || !!r.train.extrapolated);

/** Per size (largest model first), the runs the report takes among `runs`: newest by date (the record's, not the file's). */
export function pickHvarRuns(runs: HvarRun[]): HvarPick[] {
  const bySize = new Map<string, HvarRun[]>();
  for (const r of [...runs].sort((x, y) => x.rec.date.localeCompare(y.rec.date))) bySize.set(r.rec.size, [...(bySize.get(r.rec.size) ?? []), r]);
  return [...bySize].map(([size, rs]) => {
    const newest = (f: (r: HvarRecord) => boolean) => rs.filter((r) => f(r.rec)).at(-1) ?? null;
    const gen = newest((r) => !!r.generation), train = newest(hasTrainStep), tried = newest((r) => !!r.train);
    const refused = tried && !hasTrainStep(tried.rec) && (!train || tried.rec.date > train.rec.date) ? tried : null;
    return { size, gen, train, refused, last: rs.at(-1)! };
  }).sort((x, y) => y.last.rec.params - x.last.rec.params);
}

/** Reads every hvar-*.json in `dir` (with a trailing slash) whose bench is hvar. */
export function readHvarRuns(dir: string): HvarRun[] {
  return readdirSync(dir).filter((f) => /^hvar-.*\.json$/.test(f)).map((file) => ({ rec: JSON.parse(readFileSync(dir + file, 'utf8')) as HvarRecord, file }))
    .filter((r) => r.rec.bench === 'hvar');
}

const rev = (r: HvarRecord) => r.git.slice(0, 7) + (r.git.endsWith('-dirty') ? ' (dirty tree)' : '');
const runOf = (x: HvarRun) => `${x.file} (run of ${x.rec.date.slice(0, 16)}, git ${rev(x.rec)}${x.rec.settings.trainOnly ? ', --train-only' : ''})`;
const seriesOf = (r: HvarRecord) => `${r.size} (${(r.adapter.description || r.adapter.device || '?').split(/[ :(]/)[0]})`;

/**
 * Writes hvar-latest.md and hvar-latest.png in `dir` from its hvar-*.json: per size, the generation tables from the newest run with
 * a generation and the training section from the newest run with a training step, each section naming the run it comes from.
 */
export function writeHvarLatest(dir: string): void {
  const picks = pickHvarRuns(readHvarRuns(dir));
  const lines = [
    '# H-VAR benchmark: one generation per part, the transformer against the matmul kernel, one training step (per size: the latest run with a generation, the latest with a training step)', '',
    'Random weights (initHVAR, VQVAE.create; seeded), one 128² LR image (a quarter of the output side) → ×1, ×2, ×4 on the HIT schedule,',
    'KV cache, CFG 0, top-k 900 / top-p 0.96. Columns:', '',
    '- **time**: wall time of the part in one generation (median over the timed generations), each part ended by a device sync',
    '  (sampleHVAR\'s probe); **share** = of the whole generation. *Prefix encode* = LR bilinear up → VQVAE encoder + quant_conv →',
    '  cond_proj prefix tokens (+ condition, AdaLN and position rows); *transformer* = the blocks and head of every step with the KV',
    '  cache, logits read back; *host sampling* = the top-k / top-p draws on the CPU; *quantizer* = f_hat updates and the next',
    '  scale\'s input tokens; *decode ×f* = post_quant_conv + decoder of the segment\'s f_hat.',
    '- **GFLOP**: dispatched by the work counter (2 per multiply-add of products, attention per visible pair, convs; norms and',
    '  elementwise ops count bytes only). **GFLOP/s wall / CPU**: over the wall time and over this process\'s CPU time (lavapipe\'s',
    '  threads run in the process; steadier on a shared machine).',
    '- **of matmul rate**: the transformer\'s GFLOP/s over the matmul kernel alone at a block\'s linears (q, k, v, proj C→C, fc1, fc2 at',
    '  the last scale\'s token count, random data, not counted), run once right after every transformer step (same turns); the goal',
    '  is ≥ 75 %. **compiled**: pipelines compiled during the part (after the warm-up on the tiny size, if any).',
    '- **Training step**: batch 1, the trainer\'s hvarLoss (teacher-forced CE over every scale token with the LR prefix; DPO off),',
    '  backward, gradient clipping, AdamW; the first step is cold. **Memory**: poolStats, from a trimmed pool: weights, gradients and',
    '  AdamW moments from the tensors\' sizes; activations = the forward\'s live peak above the start; peak live / buffers (live or',
    '  cached by the pool) / held (buffers and textures) over the whole step, the H-VAR\'s and VQVAE\'s weights included, other',
  '  tensors alive at the start left out.', '',
  ];
  for (const { gen, train, refused, last } of picks) {
    const head = (gen ?? last).rec;
    lines.push(`## ${head.size}: ${head.what}${gen && !gen.rec.complete ? ' (incomplete run)' : ''}`, '');
    if (gen) {
      const r = gen.rec;
      const a = r.adapter, g = r.generation!, t = r.transformer!, ref = r.reference!;
      const timed = g.samples.length - r.settings.warmup;
      lines.push(`${(r.params / 1e6).toFixed(1)} M parameters; LR ${r.lrSide}² → ${r.outSide / 4}, ${r.outSide / 2}, ${r.outSide} px. ${a.description || a.device || '?'} (${a.runtime}); ${r.date.slice(0, 16)}, ${r.git.slice(0, 7)}; ` +
        `${timed} timed generation${timed > 1 ? 's' : ''} after ${r.settings.warmup} warm-up${r.prewarm ? `, tiny-size warm-up first (${r.prewarm.pipelines} pipelines, ${sec(r.prewarm.ms)})` : ''}; ` +
        `load ${r.load.before.map((x) => x.toFixed(1)).join('/')} → ${(r.load.after ?? r.load.afterGeneration ?? []).map((x) => x.toFixed(1)).join('/')}.`, '',
        `Generation from ${runOf(gen)}.`, '',
        '| part | time | share | GFLOP | GFLOP/s wall / CPU | of matmul rate wall / CPU | compiled |', '|---|---|---|---|---|---|---|');
      for (const p of g.parts) {
        const ofRef = p.part === 'transformer' ? `**${pct(t.ofReference)} / ${pct(t.ofReferenceCpu)}**` : '';
        lines.push(`| ${p.part} | ${sec(p.ms)} | ${pct(p.share)} | ${G(p.flops)} | ${p.flops ? `${p.gflops.toFixed(2)} / ${p.gflopsCpu.toFixed(2)}` : '–'} | ${ofRef} | ${p.pipelines} |`);
      }
      lines.push(`| **whole** | ${sec(g.whole.ms)} | (parts ${sec(g.whole.partsSumMs)}) | ${G(g.whole.flops)} | ${g.whole.gflops.toFixed(2)} | | |`,
        `| matmul alone (${ref.shapes.map((s) => `${s.name} ${s.K}→${s.N}`).join(', ')} at M ${ref.M}) | ${sec(ref.stats.medianMs)} | | ${G(ref.flops)} | ${ref.gflops.toFixed(2)} / ${ref.gflopsCpu.toFixed(2)} | 100 % | |`, '');
      lines.push(`Transformer: ${G(t.flops)} GFLOP, of which attention ${pct(t.attentionFlopShare)} and products ${pct(t.matmulFlopShare)}. ` +
        `The products at the matmul kernel's rate would take ${sec(t.matmulAtReferenceMs)} (${pct(t.matmulAtReferenceShare)} of the transformer's time)` +
        (t.attentionReplay ? `; attention's calls replayed alone take ${sec(t.attentionReplay.ms)} (${pct(t.attentionReplay.share)} of it)` : '') + '. ' +
        `The reference's shapes carry ${pct(t.referenceShapeShare)} of the transformer's FLOPs (every block linear at any token count: ${pct(t.blockLinearShare)}). ` +
        `Largest product shapes: ${t.topShapes.map((s) => `${s.op} ${s.M}×${s.K}→${s.N} ${pct(s.share)}`).join(', ')}.`, '');
      lines.push('| step | pn | queries × keys | time | GFLOP | attention | GFLOP/s | matmul alone after it | of matmul rate |', '|---|---|---|---|---|---|---|---|---|');
      for (const s of t.steps) lines.push(`| ${s.si} | ${s.pn} | ${s.queries} × ${s.keys} | ${sec(s.ms)} | ${G(s.flops)} | ${pct(s.flops ? s.attentionFlops / s.flops : 0)} | ${s.gflops.toFixed(2)} | ${s.refGflops.toFixed(2)} | ${pct(s.ofReference)} |`);
      lines.push('');
    } else {
      lines.push(`${(head.params / 1e6).toFixed(1)} M parameters; LR ${head.lrSide}² → ${head.outSide / 4}, ${head.outSide / 2}, ${head.outSide} px. No generation measured at this size (--train-only runs only).`, '');
    }
    const src = train ?? refused ?? gen ?? last, r = src.rec;
    if (r.train) {
      const a = r.adapter, same = gen !== null && src.file === gen.file;
      lines.push(`Training step from ${runOf(src)}${same ? ', the same run as the generation' : `; ${a.description || a.device || '?'} (${a.runtime})${r.prewarm ? `, tiny-size warm-up first (${r.prewarm.pipelines} pipelines, ${sec(r.prewarm.ms)})` : ''}; ` +
        `load ${r.load.before.map((x) => x.toFixed(1)).join('/')} → ${(r.load.after ?? []).map((x) => x.toFixed(1)).join('/')}`}.`, '');
    }
    const tr = r.train;
    if (!tr) lines.push(r.settings.trainSteps === 0 ? 'Training step: not run (--train-steps 0).' : 'Training step: none recorded (the run stopped before its training step ended).', '');
    else if (!tr.ran) lines.push(`Training step at depth ${r.config.hvar.depth}: not run — ${tr.skipped}.`, '');
    else {
      const s0 = tr.steps[0]!, m = tr.memory!;
      lines.push(`Training step (batch 1, ${tr.settings.prefix} prefix + ${tr.settings.tokens} scale tokens, DPO off, clip ${tr.settings.clip}, AdamW): ${tr.steps.length} step${tr.steps.length > 1 ? 's' : ''}, ` +
        `loss ${s0.loss.toFixed(3)}.`, '', '| step | phase | time | GFLOP | GFLOP/s wall / CPU | attention FLOPs | compiled |', '|---|---|---|---|---|---|---|');
      tr.steps.forEach((st, i) => {
        for (const [ph, x] of Object.entries(st.phases)) lines.push(`| ${i + 1}${i === 0 ? ' (cold)' : ''} | ${ph} | ${sec(x.ms)} | ${G(x.flops)} | ${(x.flops / (x.ms * 1e6)).toFixed(2)} / ${(x.flops / (x.cpuMs * 1e6)).toFixed(2)} | ${pct(x.flops ? x.attentionFlops / x.flops : 0)} | ${x.pipelines} |`);
        lines.push(`| ${i + 1} | **whole step** | ${sec(st.ms)} | ${G(st.flops)} | ${(st.flops / (st.ms * 1e6)).toFixed(2)} / ${(st.flops / (st.cpuMs * 1e6)).toFixed(2)} | | |`);
      });
      lines.push('', `Memory (MiB): weights ${m.weightsMiB} (+ frozen VQVAE ${m.vqvaeWeightsMiB}), gradients ${m.gradsMiB}, AdamW moments ${m.momentsMiB}, ` +
        `activations (forward's live peak above the start) ${m.activationsMiB}; live peak above the start per phase: ${Object.entries(m.peakLiveAboveStartMiB).map(([k, v]) => `${k} ${v}`).join(', ')}; ` +
        `**peak over the step: live ${m.peakLiveMiB}, buffers ${m.peakBuffersMiB}, held ${m.peakHeldMiB}** (size check's estimate above the weights: ${tr.estimate.totalMiB}, host memory available ${tr.estimate.availableMiB}).`, '');
    }
    const x = tr?.extrapolated;
    if (x) {
      const m = x.memory, [d1, d2] = x.depths;
      lines.push(`Training step carried to depth ${x.toDepth} from steps run here at depths ${d1} and ${d2} (same widths, tokens and vocab; linear in depth, every block having the same shapes): ` +
        `${x.runs.map((q) => `depth ${q.depth} ${sec(q.result.steps.at(-1)!.ms)}, ${G(q.result.steps.at(-1)!.flops)} GFLOP, peak live ${q.result.memory!.peakLiveMiB} MiB, held ${q.result.memory!.peakHeldMiB} MiB`).join('; ')}.`, '',
        '| phase (depth ' + x.toDepth + ', extrapolated) | time | GFLOP | GFLOP/s |', '|---|---|---|---|',
        ...Object.entries(x.step.phases).map(([ph, v]) => `| ${ph} | ${sec(v.ms)} | ${G(v.flops)} | ${(v.flops / (v.ms * 1e6)).toFixed(2)} |`),
        `| **whole step** | ${sec(x.step.ms)} | ${G(x.step.flops)} | ${(x.step.flops / (x.step.ms * 1e6)).toFixed(2)} |`, '',
        `Memory at depth ${x.toDepth}, extrapolated (MiB): weights ${m.weightsMiB} (+ frozen VQVAE ${m.vqvaeWeightsMiB}), gradients ${m.gradsMiB}, AdamW moments ${m.momentsMiB}, activations ${m.activationsMiB}; ` +
        `**peak over the step: live ${m.peakLiveMiB}, buffers ${m.peakBuffersMiB}, held ${m.peakHeldMiB}**.`, '');
    }
    if (train && refused) lines.push(`A later run, ${runOf(refused)}, did not get a training step: ${refused.rec.train!.skipped ?? 'no step and no extrapolation'}.`, '');
  }
  lines.push('Generated by bench/hvar.bench.ts (npm run bench:hvar; see bench/README.md).', '');
  writeFileAtomic(dir + 'hvar-latest.md', lines.join('\n'));
  const items = picks.map((p) => ({ ...p, series: seriesOf((p.gen ?? p.last).rec) }));
  const partNames = [...new Set(items.flatMap((p) => p.gen?.rec.generation!.parts.map((q) => q.part) ?? []))];
  writeChartPng(dir + 'hvar-latest.png', barChart({
    title: 'H-VAR: one generation per part and one training step (s)', yLabel: 'seconds', orientation: 'horizontal',
    series: items.map((p) => ({ name: p.series })),
    groups: [
      ...partNames.map((part) => ({ label: part, bars: items.flatMap((p) => {
        const r = p.gen?.rec, x = r?.generation!.parts.find((q) => q.part === part);
        return r && x ? [{ series: p.series, value: x.ms / 1000, note: part === 'transformer' ? `${pct(r.transformer!.ofReference)} of matmul rate` : undefined }] : [];
      }) })),
      { label: 'training step', bars: items.flatMap((p) => {
        const r = p.train?.rec;
        if (!r?.train) return [];
        const other = p.gen && p.gen.file !== p.train!.file ? `run of ${r.date.slice(0, 10)}` : '';
        if (r.train.ran) return [{ series: p.series, value: r.train.steps.at(-1)!.ms / 1000, note: other || undefined }];
        const x = r.train.extrapolated!;
        return [{ series: p.series, value: x.step.ms / 1000, note: [`extrapolated from depths ${x.depths.join(', ')}`, other].filter(Boolean).join('; ') }];
      }) },
    ],
    valueFormat: (v) => (v >= 10 ? v.toFixed(0) : v >= 1 ? v.toFixed(1) : v.toFixed(2)),
  }));
}
