// Real short training runs: a small MLP on a toy regression task (loss must fall >= 10x), and 200 steps whose
// buffer-pool footprint stays flat.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fromArray, scope, backward, ops, Module, type Tensor, type Device } from '../../src/engine/index.ts';
import { Linear } from '../../src/engine/nn/layers.ts';
import { Rng } from '../../src/engine/rng.ts';
import { AdamW } from '../../src/train/optim/adamw.ts';
import { clipGradNorm } from '../../src/train/optim/clip.ts';
import { warmupCosine } from '../../src/train/optim/schedule.ts';
import { getDevice, closeDevice } from '../helpers/gpu.ts';

class Mlp extends Module {
  fc1: Linear; fc2: Linear; fc3: Linear;
  constructor(dev: Device, rng: Rng, d: number, h: number) {
    super();
    this.fc1 = new Linear(dev, rng, d, h); this.fc2 = new Linear(dev, rng, h, h); this.fc3 = new Linear(dev, rng, h, 1);
  }
  forward(x: Tensor) { return this.fc3.forward(ops.gelu(this.fc2.forward(ops.gelu(this.fc1.forward(x))))); }
}

/** Toy task: y = sin(3 x0) · cos(2 x1) + 0.5 x2², inputs uniform in [-1, 1]. */
function batch(n: number, seed: number) {
  let s = seed;
  const r = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
  const x = new Float32Array(n * 3), y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const a = r(), b = r(), c = r();
    x.set([a, b, c], i * 3);
    y[i] = Math.sin(3 * a) * Math.cos(2 * b) + 0.5 * c * c;
  }
  return { x, y };
}

/** One step, submitted as a whole (as a training loop does), so every step has the same buffer pattern. */
function trainStep(dev: Device, net: Mlp, opt: AdamW, step: number, total: number) {
  const loss = scope(dev, () => {
    const { x, y } = batch(128, 1 + step);
    const pred = net.forward(fromArray(dev, x, [128, 3]));
    const d = ops.sub(pred, fromArray(dev, y, [128, 1]));
    const loss = ops.mean(ops.mul(d, d));
    opt.zeroGrad();
    backward(loss);
    clipGradNorm(net.parameters(), 1.0);
    opt.setLr(warmupCosine(step, { lr: 1e-2, warmup: 20, total, minLr: 1e-3 }));
    opt.step();
    return loss;
  });
  dev.flush();
  return loss;
}

test('MLP on a toy regression: loss falls at least 10x', async () => {
  const dev = await getDevice();
  const net = new Mlp(dev, new Rng(0), 3, 64);
  const opt = new AdamW(AdamW.decayGroups(net.namedParameters(), 1e-4), { lr: 1e-2, betas: [0.9, 0.99] });
  const total = 400;
  const losses: number[] = [];
  for (let s = 0; s < total; s++) {
    const l = trainStep(dev, net, opt, s, total);
    if (s < 10 || s >= total - 10) losses.push(await l.item());
    l.dispose();
  }
  const first = losses.slice(0, 10).reduce((a, b) => a + b) / 10, last = losses.slice(-10).reduce((a, b) => a + b) / 10;
  console.log(`  MLP loss: first 10 steps ${first.toFixed(4)}, last 10 ${last.toFixed(5)} (${(first / last).toFixed(1)}x)`);
  assert.ok(first / last >= 10, `loss fell only ${(first / last).toFixed(2)}x (${first} -> ${last})`);
  opt.dispose(); net.dispose();
});

test('200 training steps keep the buffer-pool footprint flat', async () => {
  const dev = await getDevice();
  const net = new Mlp(dev, new Rng(1), 3, 32);
  const opt = new AdamW(net.parameters(), { lr: 1e-3 });
  const at: { created: number; live: number }[] = [];
  for (let s = 0; s < 210; s++) {
    trainStep(dev, net, opt, s, 210).dispose();
    if (s === 9 || s === 209) { await dev.sync(); const st = dev.poolStats(); at.push({ created: st.createdBytes, live: st.liveBytes }); }
  }
  console.log(`  pool after 10 steps: ${JSON.stringify(at[0])}, after 210: ${JSON.stringify(at[1])}`);
  assert.is(at[1]!.live, at[0]!.live, 'live bytes grew');
  assert.is(at[1]!.created, at[0]!.created, 'GPU bytes created grew');
  opt.dispose(); net.dispose();
});

test.after(closeDevice);
test.run();
