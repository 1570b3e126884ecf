// scripts/train-gpu.sh in its --quick mode on this machine's adapter (tiny tokenizer and H-VAR, a few steps each): every step
// ok, the bundle, evaluation, example outputs and summary.md in the one folder; and its argument errors.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getDevice, closeDevice, testIf } from '../helpers/gpu.ts';
import { checkArgErrors, scriptRunner } from '../helpers/gpu_script.ts';

const repo = process.cwd();
const script = scriptRunner(repo, 'train-gpu.sh');
const adapter = await getDevice().then(() => true, () => false);
await closeDevice();

test('argument errors: an unknown option and a second folder exit 2 naming them', () => checkArgErrors(script, 'train-gpu.sh'));

testIf(adapter, 'no WebGPU adapter')('--quick: both trainings, the bundle with its card, the evaluation and the example upscale in OUT_DIR', () => {
  const build = spawnSync(process.execPath, [join(repo, 'scripts/build.mjs'), '--quiet', '--no-types'], { cwd: repo, encoding: 'utf8' });
  assert.is(build.status, 0, build.stderr);
  const out = mkdtempSync(join(tmpdir(), 'train-gpu-'));
  try {
    const r = script([out, '--quick']);
    assert.is(r.status, 0, `${r.stdout}\n${r.stderr}`);
    const steps = readFileSync(join(out, 'steps.tsv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split('\t'));
    assert.equal(steps.map((s) => [s[0], s[1]]), ['doctor', 'tokenizer', 'hvar', 'bundle', 'eval', 'upscale'].map((n) => [n, 'ok']));
    for (const f of ['tokenizer/vqvae.safetensors', 'tokenizer/log.jsonl', 'hvar/hvar.safetensors', 'hvar/log.jsonl', 'card.json', 'model.safetensors',
      'eval/report.md', 'eval/report.json', 'example/example_in_x1.png', 'example/example_in_x2.png', 'example/example_in_x4.png', 'example/example_in_sheet.png', 'summary.md'])
      assert.ok(existsSync(join(out, f)), `${f} in ${out}`);
    const card = JSON.parse(readFileSync(join(out, 'card.json'), 'utf8'));
    assert.equal([card.name, card.steps, card.tokenizerSteps], ['gpu-recipe-quick', 3, 3]);
    const hv = readFileSync(join(out, 'hvar/log.jsonl'), 'utf8').trim().split('\n');
    assert.is(hv.length, 3);
    const summary = readFileSync(join(out, 'summary.md'), 'utf8');
    assert.match(summary, /\| bundle \| ok \|/);
    assert.match(summary, /## held-back evaluation/);
  } finally { rmSync(out, { recursive: true, force: true }); }
});

test.run();
