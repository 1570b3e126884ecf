// scripts/bench-gpu.sh in its --quick mode (doctor, one kernel case, the paper bench at the tiny size) on this machine's
// adapter: every step ok, every result in the one folder, summary.md tying them together; and its argument errors.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getDevice, closeDevice, testIf } from '../helpers/gpu.ts';
import { checkArgErrors, scriptRunner } from '../helpers/gpu_script.ts';

const repo = process.cwd();
const script = scriptRunner(repo, 'bench-gpu.sh');
const adapter = await getDevice().then(() => true, () => false);
await closeDevice();

test('argument errors: an unknown option and a second folder exit 2 naming them', () => checkArgErrors(script, 'bench-gpu.sh'));

test('hvar bench: an unknown benchmark and bad flags of each benchmark exit 2 naming them', () => {
  const build = spawnSync(process.execPath, [join(repo, 'scripts/build.mjs'), '--quiet', '--no-types'], { cwd: repo, encoding: 'utf8' });
  assert.is(build.status, 0, build.stderr);
  const hvar = (args: string[]) => spawnSync(process.execPath, [join(repo, 'dist/hvar.mjs'), 'bench', ...args], { cwd: repo, encoding: 'utf8', env: { ...process.env, XDG_RUNTIME_DIR: '/tmp' } });
  const a = hvar(['speed']);
  assert.is(a.status, 2);
  assert.match(a.stderr, /unknown benchmark 'speed' \(one of paper, kernels\)/);
  const b = hvar(['paper', '--size', 'd32']);
  assert.is(b.status, 2);
  assert.match(b.stderr, /--size must be one of d16, small, tiny, got 'd32'/);
  const c = hvar(['paper', '--repeats', 'x']);
  assert.is(c.status, 2);
  assert.match(c.stderr, /--repeats expects an integer >= 1, got 'x'/);
  const d = hvar(['kernels', '--fast']);
  assert.is(d.status, 2);
  assert.match(d.stderr, /unknown option '--fast'/);
  assert.match(hvar(['--help']).stdout, /hvar bench paper \[--size d16\|small\|tiny\]/);
});

testIf(adapter, 'no WebGPU adapter')('--quick: doctor, kernels and paper steps ok; JSON, Markdown, charts and summary.md in OUT_DIR', () => {
  const build = spawnSync(process.execPath, [join(repo, 'scripts/build.mjs'), '--quiet', '--no-types'], { cwd: repo, encoding: 'utf8' });
  assert.is(build.status, 0, build.stderr);
  const out = mkdtempSync(join(tmpdir(), 'bench-gpu-'));
  try {
    const r = script([out, '--quick']);
    assert.is(r.status, 0, `${r.stdout}\n${r.stderr}`);
    const files = readdirSync(out);
    for (const re of [/^doctor\.json$/, /^engine-.*\.json$/, /^latest\.md$/, /^latest\.png$/, /^paper-tiny-.*\.json$/, /^paper-latest\.md$/, /^paper-latest\.png$/, /^summary\.md$/, /^steps\.tsv$/])
      assert.ok(files.some((f) => re.test(f)), `${re} in ${files.join(', ')}`);
    const steps = readFileSync(join(out, 'steps.tsv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split('\t'));
    assert.equal(steps.map((s) => [s[0], s[1]]), [['doctor', 'ok'], ['kernels', 'ok'], ['paper-tiny', 'ok']]);
    const doctor = JSON.parse(readFileSync(join(out, 'doctor.json'), 'utf8'));
    assert.ok(doctor.ok && doctor.smokeTest.ok);
    const paper = JSON.parse(readFileSync(join(out, files.find((f) => f.startsWith('paper-tiny-'))!), 'utf8'));
    assert.is(paper.size, 'tiny');
    assert.ok(paper.times.generation.medianMs > 0 && paper.flops.dispatched > 0 && paper.achieved.gflops > 0);
    assert.ok(Math.abs(paper.flops.dispatched / paper.flops.analytic - 1) < 0.01, `dispatched ${paper.flops.dispatched} vs analytic ${paper.flops.analytic}`);
    assert.ok(paper.adapter && paper.git && paper.load.before.length === 3);
    const summary = readFileSync(join(out, 'summary.md'), 'utf8');
    for (const s of ['| doctor | ok |', '| paper-tiny | ok |', 'H-VAR (paper) | 310 M | 0.921 T | 0.25 s', 'hvar tiny, KV cache', 'd16 layerNorm [3179, 1024]'])
      assert.ok(summary.includes(s), `summary.md lacks '${s}'`);
  } finally { rmSync(out, { recursive: true, force: true }); }
});

test.run();
