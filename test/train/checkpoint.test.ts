// Training checkpoints: a save/load round trip restores weights and AdamW state so that training continues bit-exactly;
// wrong kind, foreign files, missing and misshapen entries are refused naming the file; the log cuts back on resume.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromArray, scope, backward, ops, Module, type Tensor, type Device } from '../../src/engine/index.ts';
import { Linear } from '../../src/engine/nn/layers.ts';
import { Rng } from '../../src/engine/rng.ts';
import { AdamW } from '../../src/train/optim/adamw.ts';
import { saveCheckpoint, loadCheckpoint, readLoopState, type LoopState } from '../../src/train/checkpoint.ts';
import { writeSafetensors } from '../../src/engine/io/safetensors.ts';
import { RunLog, Progress, formatDuration } from '../../src/train/progress.ts';
import { getDevice, closeDevice } from '../helpers/gpu.ts';

class Net extends Module {
  a: Linear; b: Linear;
  constructor(dev: Device, seed: number) { super(); const r = new Rng(seed); this.a = new Linear(dev, r, 5, 7); this.b = new Linear(dev, r, 7, 3); }
  forward(x: Tensor) { return this.b.forward(ops.tanh(this.a.forward(x))); }
}

function data(step: number) {
  const x = new Float32Array(9 * 5), y = new Float32Array(9 * 3);
  for (let i = 0; i < x.length; i++) x[i] = Math.sin(i * 0.37 + step * 1.3);
  for (let i = 0; i < y.length; i++) y[i] = Math.cos(i * 0.11 - step);
  return { x, y };
}

async function step(dev: Device, net: Net, opt: AdamW, k: number): Promise<number> {
  return scope(dev, () => {
    const { x, y } = data(k);
    const loss = ops.mseLoss(net.forward(fromArray(dev, x, [9, 5])), fromArray(dev, y, [9, 3]));
    backward(loss);
    opt.step(); opt.zeroGrad();
    return loss.keep();
  }).item();
}

async function rejects(run: () => Promise<unknown>, re: RegExp) {
  try { await run(); } catch (e) { assert.match((e as Error).message, re); return; }
  assert.unreachable(`should be refused: ${re}`);
}

const dir = mkdtempSync(join(tmpdir(), 'hvar-ckpt-'));
const loop = (s: number): LoopState => ({ kind: 'toy', step: s, epoch: 1, batch: 2, wallMs: 5, config: { lr: 0.01 } });

test('resume from a checkpoint continues bit-exactly (weights, moments, step counts)', async () => {
  const dev = await getDevice();
  const ref = new Net(dev, 3), opt = new AdamW(ref.parameters(), { lr: 0.01, betas: [0.9, 0.95] });
  const want: number[] = [];
  for (let k = 0; k < 8; k++) { want.push(await step(dev, ref, opt, k)); if (k === 3) await saveCheckpoint(join(dir, 'c.safetensors'), ref, opt, loop(4)); }
  const net = new Net(dev, 99), opt2 = new AdamW(net.parameters(), { lr: 0.01, betas: [0.9, 0.95] });
  await step(dev, net, opt2, 42); // state that the load must replace
  const st = await loadCheckpoint(join(dir, 'c.safetensors'), net, opt2, 'toy');
  assert.equal(st, loop(4));
  assert.equal([...opt2.state.values()].map((s) => s.step), [4, 4, 4, 4]);
  for (let k = 4; k < 8; k++) assert.is(await step(dev, net, opt2, k), want[k], `step ${k}`);
  assert.equal(await readLoopState(join(dir, 'c.safetensors')), loop(4));
  ref.dispose(); net.dispose(); opt.dispose(); opt2.dispose();
});

test('bad checkpoints are refused, naming the file and the entry', async () => {
  const dev = await getDevice();
  const net = new Net(dev, 1), opt = new AdamW(net.parameters(), { lr: 0.01 });
  await step(dev, net, opt, 0);
  const p = join(dir, 'k.safetensors');
  await saveCheckpoint(p, net, opt, loop(1));
  await rejects(() => loadCheckpoint(p, net, opt, 'tokenizer'), /k\.safetensors: a 'toy' checkpoint, cannot resume 'tokenizer'/);
  const plain = join(dir, 'plain.safetensors');
  await writeSafetensors(plain, { w: { dtype: 'F32', shape: [1], data: new Float32Array(1) } });
  await rejects(() => loadCheckpoint(plain, net, opt, 'toy'), /plain\.safetensors: not an hvar training checkpoint/);
  const other = new Net(dev, 1);
  other.b = new Linear(dev, new Rng(1), 7, 4); // a different head: shapes no longer match
  await rejects(() => loadCheckpoint(p, other, null, 'toy'), /'b\.weight' has shape \[3, 7\] in the checkpoint, the model expects \[4, 7\]/);
  const trunc = join(dir, 'trunc.safetensors');
  const bytes = readFileSync(p);
  writeFileSync(trunc, bytes.subarray(0, bytes.length - 40));
  await rejects(() => loadCheckpoint(trunc, net, opt, 'toy'), /trunc\.safetensors/);
  net.dispose(); other.dispose(); opt.dispose();
});

test('the run log cuts back to the checkpoint step; progress line has rate and ETA', () => {
  const log = new RunLog(join(dir, 'log.jsonl'));
  for (let s = 1; s <= 6; s++) log.append({ step: s, loss: 1 / s });
  assert.equal(log.truncate(4).map((r) => r.step), [1, 2, 3, 4]);
  assert.equal(log.rows().length, 4);
  const p = new Progress(10, 4);
  assert.match(p.line(1, { loss: 0.5 }), /^step 1\/10  loss 0\.5000  - img\/s  ETA \?$/);
  assert.match(p.line(2, { loss: 0.25 }), /step 2\/10  loss 0\.2500  [0-9.]+ img\/s  ETA \d+s/);
  assert.is(formatDuration(3725), '1h02m');
  assert.is(formatDuration(65), '1m05s');
});

test.after(async () => { rmSync(dir, { recursive: true, force: true }); await closeDevice(); });
test.run();
