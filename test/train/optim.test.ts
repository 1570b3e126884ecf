// AdamW against PyTorch goldens, global grad-norm clipping against a CPU reference, the warmup+cosine schedule.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fromArray, ops } from '../../src/engine/index.ts';
import { openSafetensors } from '../../src/engine/io/safetensors.ts';
import { AdamW } from '../../src/train/optim/adamw.ts';
import { clipGradNorm } from '../../src/train/optim/clip.ts';
import { warmupCosine } from '../../src/train/optim/schedule.ts';
import { getDevice, closeDevice } from '../helpers/gpu.ts';
import { assertClose, rand } from '../helpers/ref.ts';

test('AdamW matches torch.optim.AdamW over 3 steps (lr 1e-3, betas 0.9/0.95, wd 0.05); state as exp_avg / exp_avg_sq', async () => {
  const dev = await getDevice();
  const st = await openSafetensors('test/fixtures/golden/ops.safetensors');
  const rd = async (k: string) => (await st.read(k)) as { shape: number[]; data: Float32Array };
  const p0 = await rd('adamw.p0');
  const p = fromArray(dev, p0.data, p0.shape).keep();
  p.requiresGrad = true;
  const opt = new AdamW([p], { lr: 1e-3, betas: [0.9, 0.95], eps: 1e-8, weightDecay: 0.05 });
  // The moments in f64: exp_avg = Σ (1 − β1) β1^(t−s) g_s, exp_avg_sq likewise with g².
  const m = new Float64Array(p.numel), v = new Float64Array(p.numel);
  for (const s of [1, 2, 3]) {
    const g = await rd(`adamw.g${s}`);
    p.grad = fromArray(dev, g.data, g.shape).keep();
    opt.step();
    opt.zeroGrad();
    assert.is(p.grad, null, 'zeroGrad leaves no gradient');
    assertClose(await p.toArray(), (await rd(`adamw.p${s}`)).data, `AdamW step ${s}`, 1e-7, 1e-6);
    g.data.forEach((x, i) => { m[i] = 0.9 * m[i]! + 0.1 * x; v[i] = 0.95 * v[i]! + 0.05 * x * x; });
    const st = opt.state.get(p)!;
    assert.is(st.step, s);
    assertClose(await st.exp_avg.toArray(), m, `exp_avg after step ${s}`, 1e-7, 1e-5);
    assertClose(await st.exp_avg_sq.toArray(), v, `exp_avg_sq after step ${s}`, 1e-9, 1e-5);
  }
  opt.dispose(); p.dispose();
});

test('clipGradNorm scales all grads by maxNorm/‖g‖ only when above maxNorm', async () => {
  const dev = await getDevice();
  const hs = [rand([3, 65], 1), rand([257], 2), rand([1], 3)];
  const norm = Math.sqrt(hs.reduce((s, h) => s + h.data.reduce((a, v) => a + v * v, 0), 0));
  for (const maxNorm of [norm / 4, norm * 2]) {
    const ps = hs.map((h) => { const t = fromArray(dev, new Float32Array(h.shape.reduce((a, b) => a * b, 1)), h.shape).keep(); t.grad = fromArray(dev, Float32Array.from(h.data), h.shape).keep(); return t; });
    const n = clipGradNorm(ps, maxNorm)!;
    assertClose([await n.item()], [norm], 'grad norm', 1e-5, 1e-5);
    const coef = Math.min(1, maxNorm / (norm + 1e-6));
    for (const [i, p] of ps.entries()) assertClose(await p.grad!.toArray(), hs[i]!.data.map((v) => v * coef), `clipped grad ${i}`, 1e-6, 1e-5);
    for (const p of ps) p.dispose();
    n.dispose();
  }
});

test('warmupCosine: linear warmup, cosine to the floor', () => {
  const o = { lr: 1, warmup: 10, total: 110, minLr: 0.1 };
  assert.ok(Math.abs(warmupCosine(0, o) - 0.1) < 1e-12);
  assert.ok(Math.abs(warmupCosine(9, o) - 1) < 1e-12);
  assert.ok(Math.abs(warmupCosine(60, o) - 0.55) < 1e-12);
  assert.ok(Math.abs(warmupCosine(110, o) - 0.1) < 1e-12);
  for (let s = 10; s < 110; s++) assert.ok(warmupCosine(s + 1, o) <= warmupCosine(s, o) + 1e-12, `monotone at ${s}`);
});

test.after(closeDevice);
test.run();
