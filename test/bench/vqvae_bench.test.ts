// bench/vqvae.bench.ts (npm run bench:vqvae): bad flags exit 2 naming the flag; a smoke run (small config, 64 px, one
// repeat) writes the JSON, vqvae-latest.md and vqvae-latest.png with every stage on both layouts, dispatched FLOPs equal to
// the analytic count, a conv reference, the whole's share of it and memory peaks.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getDevice, closeDevice, testIf } from '../helpers/gpu.ts';

const repo = process.cwd();
const adapter = await getDevice().then(() => true, () => false);
await closeDevice();
const built = spawnSync(process.execPath, [join(repo, 'scripts/build.mjs'), '--quiet', '--no-types'], { cwd: repo, encoding: 'utf8' });
const bench = (args: string[]) => spawnSync(process.execPath, [join(repo, 'dist/bench-vqvae.mjs'), ...args],
  { cwd: repo, encoding: 'utf8', timeout: 240_000, env: { ...process.env, XDG_RUNTIME_DIR: '/tmp' } });

test('bad flags exit 2 naming the flag and the value', () => {
  assert.is(built.status, 0, built.stderr);
  const cases: [string[], RegExp][] = [
    [['--fast'], /Unknown option '--fast'/],
    [['--config', 'huge'], /--config must be one of released, small, got 'huge'/],
    [['--schedule', 'hart'], /--schedule must be one of hit, var, got 'hart'/],
    [['--sizes', '300'], /--sizes: 300 is not a multiple of 64/],
    [['--sizes', '256,x'], /--sizes expects a comma-separated list of image sides, got '256,x'/],
    [['--schedule', 'var', '--sizes', '128'], /--sizes: VAR has schedules for 256, 512, 1024 px only, got 128/],
    [['--repeats', '0'], /--repeats expects an integer >= 1, got '0'/],
    [['--warmup=-1'], /--warmup expects an integer >= 0, got '-1'/],
    [['extra'], /Unexpected argument 'extra'/],
  ];
  for (const [args, re] of cases) {
    const r = bench(args);
    assert.is(r.status, 2, `${args.join(' ')}: exit ${r.status}\n${r.stderr}`);
    assert.match(r.stderr, re, args.join(' '));
    assert.match(r.stderr, /usage: npm run bench:vqvae/);
  }
});

testIf(adapter, 'no WebGPU adapter')('smoke run (small, 64 px, 1 repeat): JSON, Markdown and chart; FLOPs as analytic; reference and peaks', () => {
  assert.is(built.status, 0, built.stderr);
  const out = mkdtempSync(join(tmpdir(), 'bench-vqvae-'));
  try {
    const r = bench(['--config', 'small', '--sizes', '64', '--repeats', '1', '--out', out]);
    assert.is(r.status, 0, `${r.stdout}\n${r.stderr}`);
    const files = readdirSync(out);
    for (const re of [/^vqvae-small-.*\.json$/, /^vqvae-latest\.md$/, /^vqvae-latest\.png$/]) assert.ok(files.some((f) => re.test(f)), `${re} in ${files.join(', ')}`);
    const rec = JSON.parse(readFileSync(join(out, files.find((f) => f.endsWith('.json'))!), 'utf8'));
    assert.equal([rec.bench, rec.config, rec.schedule], ['vqvae', 'small', 'hit']);
    assert.ok(rec.adapter && rec.git && rec.load.before.length === 3);
    const s = rec.sizes[0];
    assert.is(s.side, 64);
    assert.equal(s.rows.map((x: any) => `${x.stage} ${x.layout}`), ['encode per-call', 'encode prepared', 'tokenize per-call', 'tokenize prepared', 'decode per-call', 'decode prepared']);
    for (const x of s.rows) {
      assert.ok(x.stats.medianMs > 0 && x.flops > 0 && x.gflops > 0 && x.peakHeldMiB >= x.peakBuffersMiB && x.peakBuffersMiB >= x.peakLiveMiB && x.peakLiveMiB > 0, `${x.stage} ${x.layout}: ${JSON.stringify(x).slice(0, 300)}`);
      if (x.analyticFlops !== null) assert.ok(Math.abs(x.flops / x.analyticFlops - 1) < 1e-6, `${x.stage}: dispatched ${x.flops} vs analytic ${x.analyticFlops}`);
      assert.is(x.layout === 'prepared', !('conv/pack_weights' in x.kernels || 'conv/pack_wtex' in x.kernels), `${x.stage} ${x.layout}: weight packing only per call`);
      assert.ok(Math.abs(x.ofReference - x.gflops / s.reference.byStage[x.stage].wall) < 1e-9, `${x.stage}: against the conv's rate in its own turns`);
      assert.ok(x.gflopsCpu > 0 && x.ofReferenceCpu > 0);
    }
    assert.is(s.rows[0].flops, s.rows[1].flops, 'both layouts dispatch the same work');
    assert.equal(Object.keys(s.reference.shape).filter((k) => ['C', 'O', 'KH', 'KW'].includes(k)).map((k) => s.reference.shape[k]), [32, 32, 3, 3]);
    assert.is(s.reference.name, 'conv3x3 32→32 @64×64');
    assert.ok(s.reference.gflops > 0 && s.reference.share > 0.3 && s.reference.share < 1);
    assert.is(s.reference.stats.samplesMs.length, 3, 'the conv alone timed once in each stage\'s turns');
    for (const l of ['per-call', 'prepared']) {
      const w = s.whole[l], t = s.rows.find((x: any) => x.stage === 'tokenize' && x.layout === l), d = s.rows.find((x: any) => x.stage === 'decode' && x.layout === l);
      assert.is(w.flops, t.flops + d.flops);
      assert.ok(Math.abs(w.gflops - w.flops / ((t.stats.medianMs + d.stats.medianMs) * 1e6)) < 1e-9 && w.ofReference > 0 && w.ofReferenceCpu > 0);
    }
    assert.ok(s.layoutsMiB > 0 && s.weightsMiB > 0);
    const md = readFileSync(join(out, 'vqvae-latest.md'), 'utf8');
    for (const want of ['## small, 64 px (hit schedule, 30 tokens)', '| **whole** | prepared |', 'conv3x3 32→32 @64×64 alone', 'Repacking cost (per call − prepared)'])
      assert.ok(md.includes(want), `vqvae-latest.md lacks '${want}'`);
  } finally { rmSync(out, { recursive: true, force: true }); }
});

test.run();
