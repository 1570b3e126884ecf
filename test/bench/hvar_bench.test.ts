// bench/hvar.bench.ts (npm run bench:hvar): bad flags and flag combinations exit 2 naming the flags; a run at the tiny size end to
// end (two timed generations, two training steps) writes the JSON, hvar-latest.md and hvar-latest.png, and the JSON holds together:
// parts sum to the whole, FLOPs per part add up to the generation's, the transformer against the reference, training memory above
// weights; --train-only writes a record with a training step and no generation, and the report takes each section from the newest
// run that has it (from real tiny runs, and from the committed d16 record and variants of it).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getDevice, closeDevice, testIf } from '../helpers/gpu.ts';
import { pickHvarRuns, readHvarRuns, writeHvarLatest, type HvarRecord } from '../../bench/hvar_report.ts';

const repo = process.cwd();
const adapter = await getDevice().then(() => true, () => false);
await closeDevice();
const built = spawnSync(process.execPath, [join(repo, 'scripts/build.mjs'), '--quiet', '--no-types'], { cwd: repo, encoding: 'utf8' });
const bench = (args: string[]) => spawnSync(process.execPath, [join(repo, 'dist/bench-hvar.mjs'), ...args],
  { cwd: repo, encoding: 'utf8', timeout: 240_000, env: { ...process.env, XDG_RUNTIME_DIR: '/tmp' } });
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const close = (a: number, b: number, rel: number) => Math.abs(a - b) <= rel * Math.max(Math.abs(a), Math.abs(b));

test('bad flags exit 2 naming the flag and the value', () => {
  assert.is(built.status, 0, built.stderr);
  const cases: [string[], RegExp][] = [
    [['--fast'], /Unknown option '--fast'/],
    [['--size', 'huge'], /--size must be one of d16, small, tiny, got 'huge'/],
    [['--repeats', '0'], /--repeats expects an integer >= 1, got '0'/],
    [['--train-steps', 'x'], /--train-steps expects an integer >= 0, got 'x'/],
    [['--available-mib=0'], /--available-mib expects an integer >= 1, got '0'/],
    [['--train-depths', '2,2'], /--train-depths expects two different depths >= 1 like 1,2, got '2,2'/],
    [['extra'], /Unexpected argument 'extra'/],
    [['--train-only', '--train-steps', '0'], /--train-only with --train-steps 0 would measure nothing/],
    [['--train-only', '--repeats', '2'], /--repeats sets up the generation, which --train-only skips/],
    [['--warmup=1', '--train-only'], /--warmup sets up the generation, which --train-only skips/],
    [['--train-only', '--no-attention-replay'], /--no-attention-replay sets up the generation, which --train-only skips/],
    [['--train-steps', '0', '--train-depths', '1,2'], /--train-depths sets up the training step, which --train-steps 0 skips/],
    [['--available-mib', '100', '--train-steps', '0'], /--available-mib sets up the training step, which --train-steps 0 skips/],
  ];
  for (const [args, re] of cases) {
    const r = bench(args);
    assert.is(r.status, 2, `${args.join(' ')}: exit ${r.status}\n${r.stderr}`);
    assert.match(r.stderr, re, args.join(' '));
    assert.match(r.stderr, /usage: npm run bench:hvar/);
  }
});

testIf(adapter, 'no WebGPU adapter')('tiny run: JSON, Markdown and chart; parts sum to the whole; FLOPs per part; reference; training memory', () => {
  assert.is(built.status, 0, built.stderr);
  const out = mkdtempSync(join(tmpdir(), 'bench-hvar-'));
  try {
    const r = bench(['--size', 'tiny', '--repeats', '2', '--train-steps', '2', '--train-depths', '1,3', '--out', out]);
    assert.is(r.status, 0, `${r.stdout}\n${r.stderr}`);
    for (const want of [/transformer step 5 \(64 queries × 194 keys\): .* GFLOP\/s; matmul alone after it/, /part decode ×4: /, /training step 2: /, /wrote .*hvar-tiny-/])
      assert.match(r.stdout, want, 'each figure logged as it is measured');
    const files = readdirSync(out);
    for (const re of [/^hvar-tiny-.*\.json$/, /^hvar-latest\.md$/, /^hvar-latest\.png$/]) assert.ok(files.some((f) => re.test(f)), `${re} in ${files.join(', ')}`);
    const rec = JSON.parse(readFileSync(join(out, files.find((f) => f.endsWith('.json'))!), 'utf8'));
    assert.equal([rec.bench, rec.size, rec.complete, rec.lrSide, rec.outSide], ['hvar', 'tiny', true, 4, 16]);
    assert.ok(rec.adapter && rec.git && rec.load.before.length === 3 && rec.load.after.length === 3);
    const g = rec.generation;
    assert.is(g.samples.length, 2, 'every generation kept');
    assert.equal(g.parts.map((p: any) => p.part), ['prefix encode', 'transformer', 'host sampling', 'quantizer', 'decode ×1', 'decode ×2', 'decode ×4']);
    for (const s of g.samples) {
      // 2 + 6 scales × (transformer, sample, quantize) + 3 decodes, in the sampler's order
      assert.is(s.phases.length, 23);
      const sum = s.phases.reduce((a: number, p: any) => a + p.ms, 0);
      assert.ok(sum <= s.wallMs && close(sum, s.wallMs, 0.1), `phases ${sum} ms vs the generation's ${s.wallMs} ms`);
      assert.is(s.refSamples.length, 6, 'the reference once after every transformer step');
    }
    const sumParts = g.parts.reduce((a: number, p: any) => a + p.ms, 0);
    assert.ok(close(g.whole.partsSumMs, sumParts, 1e-9) && close(sumParts, g.whole.ms, 0.15), `parts ${sumParts} ms vs whole ${g.whole.ms} ms`);
    assert.ok(close(g.parts.reduce((a: number, p: any) => a + p.flops, 0), g.whole.flops, 1e-9), 'the parts\' FLOPs add up to the generation\'s');
    for (const p of g.parts) {
      if (p.part === 'host sampling') assert.is(p.flops, 0, 'host sampling dispatches nothing');
      else assert.ok(p.flops > 0 && p.ms > 0 && close(p.gflops, p.flops / (p.ms * 1e6), 1e-9), `${p.part}: ${JSON.stringify(p)}`);
    }
    const t = rec.transformer, ref = rec.reference;
    assert.is(t.flops, g.parts[1].flops);
    assert.ok(t.attentionFlopShare > 0 && t.matmulFlopShare > 0.5 && t.attentionFlopShare + t.matmulFlopShare <= 1 + 1e-9);
    // the reference: q, k, v, proj (64 → 64), fc1 (64 → 256), fc2 (256 → 64) at the last scale's 64 tokens
    assert.equal(ref.shapes.map((x: any) => [x.M, x.K, x.N, x.calls]), [[64, 64, 64, 4], [64, 64, 256, 1], [64, 256, 64, 1]]);
    assert.is(ref.flops, 2 * 64 * (4 * 64 * 64 + 2 * 64 * 256));
    assert.is(ref.stats.samplesMs.length, 12, 'two generations × six steps');
    assert.ok(close(t.ofReference, t.gflops / ref.gflops, 1e-9) && close(t.ofReferenceCpu, t.gflopsCpu / ref.gflopsCpu, 1e-9));
    assert.is(t.steps.length, 6);
    assert.equal(t.steps.map((s: any) => [s.queries, s.keys]), [[65, 65], [4, 69], [9, 78], [16, 94], [36, 130], [64, 194]]);
    assert.ok(close(t.steps.reduce((a: number, s: any) => a + s.flops, 0), t.flops, 1e-9));
    assert.ok(t.referenceShapeShare > 0 && t.referenceShapeShare < t.blockLinearShare && t.blockLinearShare <= t.matmulFlopShare + 1e-9);
    assert.ok(t.attentionReplay && t.attentionReplay.calls === 12 && t.attentionReplay.ms > 0, 'attention: 2 layers × 6 steps replayed');
    const tr = rec.train;
    assert.ok(tr.ran, tr.skipped);
    assert.is(tr.steps.length, 2);
    for (const st of tr.steps) {
      assert.ok(st.flops > 0 && st.ms > 0 && Number.isFinite(st.loss));
      assert.ok(close(Object.values(st.phases).reduce((a: number, x: any) => a + x.flops, 0), st.flops, 1e-9), 'phases add up to the step\'s FLOPs');
      assert.ok(st.phases.backward.flops > st.phases.forward.flops, 'backward does more work than forward');
    }
    const m = tr.memory;
    assert.ok(m.weightsMiB > 0 && m.vqvaeWeightsMiB > 0 && close(m.gradsMiB, m.weightsMiB, 0.01) && close(m.momentsMiB, 2 * m.weightsMiB, 0.01), JSON.stringify(m));
    assert.ok(m.peakLiveMiB > m.weightsMiB + m.gradsMiB + m.momentsMiB && m.activationsMiB > 0, 'peak memory holds weights, grads, moments and activations');
    assert.ok(m.peakHeldMiB >= m.peakBuffersMiB && m.peakBuffersMiB >= m.peakLiveMiB);
    // the same step at depths 1 and 3, carried linearly to depth 2, against the step run at depth 2
    const x = tr.extrapolated;
    assert.equal([x.depths, x.toDepth, x.runs.map((q: any) => [q.depth, q.result.ran, q.result.steps.length])], [[1, 3], 2, [[1, true, 2], [3, true, 2]]]);
    assert.ok(close(x.step.flops, tr.steps[1].flops, 1e-9), `FLOPs linear in depth: ${x.step.flops} vs ${tr.steps[1].flops}`);
    for (const k of ['weightsMiB', 'gradsMiB', 'momentsMiB']) assert.ok(Math.abs(x.memory[k] - m[k]) <= 0.15, `${k}: ${x.memory[k]} vs ${m[k]}`);
    for (const k of ['activationsMiB', 'peakLiveMiB']) assert.ok(close(x.memory[k], m[k], 0.3), `${k}: ${x.memory[k]} vs ${m[k]}`);
    const md = readFileSync(join(out, 'hvar-latest.md'), 'utf8');
    for (const want of ['Training step carried to depth 2 from steps run here at depths 1 and 3', '## tiny: H-VAR depth 2', '| transformer |', '| **whole** |', 'matmul alone (q, k, v, proj 64→64, fc1 64→256, fc2 256→64 at M 64)', '| 2 | **whole step** |', 'AdamW moments'])
      assert.ok(md.includes(want), `hvar-latest.md lacks '${want}'`);
  } finally { rmSync(out, { recursive: true, force: true }); }
});

testIf(adapter, 'no WebGPU adapter')('the size check refuses a training step that does not fit, and says so in the record', () => {
  assert.is(built.status, 0, built.stderr);
  const out = mkdtempSync(join(tmpdir(), 'bench-hvar-'));
  try {
    const r = bench(['--size', 'tiny', '--no-prewarm', '--no-attention-replay', '--available-mib', '1', '--out', out]);
    assert.is(r.status, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /training step skipped: size check: one d2 step needs/);
    const rec = JSON.parse(readFileSync(join(out, readdirSync(out).find((f) => f.endsWith('.json'))!), 'utf8'));
    assert.is(rec.train.ran, false);
    assert.match(rec.train.skipped, /exceeds the 0\.0 GiB of host memory available/);
    assert.is(rec.train.estimate.availableMiB, 1);
    assert.is(rec.transformer.attentionReplay, null);
    assert.match(readFileSync(join(out, 'hvar-latest.md'), 'utf8'), /Training step at depth 2: not run — size check/);
  } finally { rmSync(out, { recursive: true, force: true }); }
});

testIf(adapter, 'no WebGPU adapter')('--train-only: a record with a measured step and no generation; the report takes each section from the newest run that has it', () => {
  assert.is(built.status, 0, built.stderr);
  const out = mkdtempSync(join(tmpdir(), 'bench-hvar-'));
  const newJson = (before: string[]) => { const f = readdirSync(out).filter((x) => x.endsWith('.json') && !before.includes(x)); assert.is(f.length, 1, f.join(', ')); return f[0]!; };
  try {
    const full = bench(['--size', 'tiny', '--no-prewarm', '--no-attention-replay', '--train-steps', '2', '--out', out]);
    assert.is(full.status, 0, `${full.stdout}\n${full.stderr}`);
    const fullFile = newJson([]);
    const r = bench(['--size', 'tiny', '--train-only', '--out', out]);
    assert.is(r.status, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /training step only \(--train-only\)/);
    assert.match(r.stdout, /warm-up on the tiny size: /, 'the tiny-size warm-up still runs');
    assert.match(r.stdout, /training step 1 \(cold\): /);
    assert.not.match(r.stdout, /matmul reference|generation 1|transformer step|attention replayed|generation part/, 'no generation, reference or replay');
    const trainFile = newJson([fullFile]);
    assert.match(trainFile, /^hvar-tiny-train-.*\.json$/);
    const rec = JSON.parse(readFileSync(join(out, trainFile), 'utf8')) as HvarRecord;
    assert.equal([rec.complete, rec.settings.trainOnly, rec.settings.trainSteps, rec.settings.attentionReplay, rec.generation, rec.transformer, rec.reference, rec.load.afterGeneration],
      [true, true, 1, false, null, null, null, null]);
    assert.ok(rec.prewarm && rec.prewarm.pipelines > 0, 'the warm-up is recorded');
    const tr = rec.train!;
    assert.ok(tr.ran && tr.extrapolated === undefined, tr.skipped);
    assert.is(tr.steps.length, 1);
    assert.ok(tr.steps[0]!.flops > 0 && tr.steps[0]!.ms > 0 && Number.isFinite(tr.steps[0]!.loss) && tr.memory!.peakLiveMiB > tr.memory!.weightsMiB);
    const fullRec = JSON.parse(readFileSync(join(out, fullFile), 'utf8')) as HvarRecord;
    assert.equal([fullRec.settings.trainOnly, fullRec.train!.steps.length], [false, 2]);
    assert.ok(fullRec.generation && fullRec.transformer && fullRec.reference);
    // the report: generation from the full run, training from the train-only run
    const md = readFileSync(join(out, 'hvar-latest.md'), 'utf8');
    assert.is(md.match(/^## tiny: /gm)?.length, 1, 'one section per size');
    // (a run from a tree with uncommitted changes says so after the revision)
    assert.match(md, new RegExp(`Generation from ${esc(fullFile)} \\(run of ${fullRec.date.slice(0, 16)}, git ${fullRec.git.slice(0, 7)}( \\(dirty tree\\))?\\)\\.`));
    assert.match(md, new RegExp(`Training step from ${esc(trainFile)} \\(run of ${rec.date.slice(0, 16)}, git ${rec.git.slice(0, 7)}( \\(dirty tree\\))?, --train-only\\); `));
    assert.ok(md.includes('| transformer |') && md.includes('| **whole** |'), 'the generation tables are there');
    assert.match(md, /AdamW\): 1 step, loss /);
    assert.ok(md.includes(`loss ${tr.steps[0]!.loss.toFixed(3)}.`) && !md.includes('| 2 | **whole step** |'), 'the training step is the train-only run\'s');
    // a newer train-only run refused by the size check leaves the measured step in place and is named
    const refused = bench(['--size', 'tiny', '--train-only', '--no-prewarm', '--available-mib', '1', '--out', out]);
    assert.is(refused.status, 0, `${refused.stdout}\n${refused.stderr}`);
    const refusedFile = newJson([fullFile, trainFile]);
    const md2 = readFileSync(join(out, 'hvar-latest.md'), 'utf8');
    assert.ok(md2.includes(`Training step from ${trainFile} `) && md2.includes(`Generation from ${fullFile} `), md2);
    assert.match(md2, new RegExp(`A later run, ${esc(refusedFile)} .*, did not get a training step: size check: one d2 step needs`));
  } finally { rmSync(out, { recursive: true, force: true }); }
});

test('the report renders the committed records unchanged and picks sections from records of either kind (no GPU)', () => {
  const results = join(repo, 'bench/results/');
  const out = mkdtempSync(join(tmpdir(), 'bench-hvar-report-')) + '/';
  try {
    const names = readdirSync(results).filter((f) => /^hvar-.*\.json$/.test(f));
    assert.ok(names.length > 0);
    for (const f of names) copyFileSync(results + f, out + f);
    writeHvarLatest(out);
    assert.is(readFileSync(out + 'hvar-latest.md', 'utf8'), readFileSync(results + 'hvar-latest.md', 'utf8'), 'the committed hvar-latest.md is what the committed records give');
    // variants of the committed d16 record (the generation with a refused, extrapolated step): a later --train-only run whose
    // step is its depth-2 run's, then a later one refused
    const read = (f: string) => JSON.parse(readFileSync(out + f, 'utf8')) as HvarRecord;
    const d16Name = names.filter((f) => f.startsWith('hvar-d16-')).sort().filter((f) => { const r = read(f); return r.generation && r.train && !r.train.ran && r.train.extrapolated; }).at(-1);
    assert.ok(d16Name, 'a committed d16 record with a generation and a step carried from other depths');
    const d16 = read(d16Name);
    if (!d16.train?.extrapolated) throw new Error('unreachable');
    const step = d16.train.extrapolated.runs.at(-1)!.result;
    const newest = Math.max(...names.map((f) => Date.parse(read(f).date)));
    const later = (min: number) => new Date(newest + min * 60_000).toISOString();
    const trainOnly: HvarRecord = { ...d16, date: later(60), git: 'abcdef0123', generation: null, transformer: null, reference: null, settings: { ...d16.settings, trainOnly: true }, train: step };
    const refused: HvarRecord = { ...trainOnly, date: later(120), train: { ...d16.train, extrapolated: undefined } };
    const write = (name: string, r: HvarRecord) => writeFileSync(out + name, JSON.stringify(r));
    write('hvar-d16-train-a.json', trainOnly);
    write('hvar-d16-train-b.json', refused);
    const pick = pickHvarRuns(readHvarRuns(out)).find((p) => p.size === 'd16')!;
    assert.equal([pick.gen?.file, pick.train?.file, pick.refused?.file, pick.last.file], [d16Name, 'hvar-d16-train-a.json', 'hvar-d16-train-b.json', 'hvar-d16-train-b.json']);
    writeHvarLatest(out);
    const md = readFileSync(out + 'hvar-latest.md', 'utf8'), start = md.indexOf('## d16: '), end = md.indexOf('\n## ', start + 1);
    const sec = md.slice(start, end < 0 ? undefined : end);
    assert.ok(sec.includes(`Generation from ${d16Name} (run of ${d16.date.slice(0, 16)}, git ${d16.git.slice(0, 7)})`), sec);
    assert.ok(sec.includes(`Training step from hvar-d16-train-a.json (run of ${trainOnly.date.slice(0, 16)}, git abcdef0, --train-only); `), sec);
    assert.ok(sec.includes(`loss ${step.steps[0]!.loss.toFixed(3)}.`) && !sec.includes('Training step carried to depth 16'), 'the train-only run\'s step, not the extrapolation');
    assert.ok(sec.includes(`A later run, hvar-d16-train-b.json (run of ${refused.date.slice(0, 16)}, git abcdef0, --train-only), did not get a training step: size check: `), sec);
    assert.ok(sec.includes('| transformer |'), 'the generation tables stay');
    // only train-only runs at a size: no generation section, the step all the same
    rmSync(out + d16Name);
    writeHvarLatest(out);
    const md2 = readFileSync(out + 'hvar-latest.md', 'utf8');
    assert.ok(md2.includes('No generation measured at this size (--train-only runs only).') && !md2.includes('| transformer |') && md2.includes('Training step from hvar-d16-train-a.json'), md2);
  } finally { rmSync(out, { recursive: true, force: true }); }
});

test.run();
