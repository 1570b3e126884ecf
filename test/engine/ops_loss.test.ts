// Losses on the real adapter: crossEntropy (reductions, label smoothing, ignore index, host / GPU targets, split
// dispatches) against an f64 reference + finite differences and the PyTorch goldens; mseLoss and l1Loss.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ops, backward, fromArray, type Tensor } from '../../src/engine/index.ts';
import { openSafetensors } from '../../src/engine/io/safetensors.ts';
import type { Reduction } from '../../src/engine/ops/loss.ts';
import { getDevice, closeDevice } from '../helpers/gpu.ts';
import { checkOp, rand, toGpu, assertClose, refMap, type Host } from '../helpers/ref.ts';

/** f64 F.cross_entropy over the last dim (label smoothing as PyTorch, ignored rows left out of the mean). */
function refCE(x: Host, target: ArrayLike<number>, o: { eps?: number; ignore?: number; reduction?: Reduction } = {}): Host {
  const { eps = 0, ignore = -100, reduction = 'mean' } = o;
  const V = x.shape[x.shape.length - 1]!, N = x.data.length / V;
  const rows = new Float64Array(N);
  let count = 0;
  for (let r = 0; r < N; r++) {
    if (target[r] === ignore) continue;
    count++;
    let m = -Infinity, s = 0, sx = 0;
    for (let j = 0; j < V; j++) m = Math.max(m, x.data[r * V + j]!);
    for (let j = 0; j < V; j++) { s += Math.exp(x.data[r * V + j]! - m); sx += x.data[r * V + j]!; }
    const lse = m + Math.log(s);
    rows[r] = (1 - eps) * (lse - x.data[r * V + target[r]!]!) + eps * (lse - sx / V);
  }
  if (reduction === 'none') return { shape: x.shape.slice(0, -1), data: rows };
  const total = rows.reduce((a, b) => a + b, 0);
  return { shape: [], data: Float64Array.of(reduction === 'mean' ? total / count : total) };
}
/** Deterministic targets in [0, V) with every `ignoreEvery`-th entry set to -100. */
const targets = (n: number, V: number, ignoreEvery = 0) => Int32Array.from({ length: n }, (_, i) => (ignoreEvery && i % ignoreEvery === 1 ? -100 : (i * 7919 + 3) % V));

const CASES: [number[], number, number][] = [[[1, 1], 0, 0], [[3, 5], 0, 0], [[3, 5], 0.1, 2], [[65, 3], 0.25, 3], [[4, 257], 0, 3], [[2, 4097], 0.1, 0], [[2, 3, 7], 0.1, 4]];
for (const [shape, eps, ignoreEvery] of CASES) for (const reduction of ['mean', 'sum', 'none'] as const) {
  test(`crossEntropy [${shape}] ε=${eps} ignore every ${ignoreEvery || '-'} reduction=${reduction}`, async () => {
    const dev = await getDevice();
    const V = shape[shape.length - 1]!, rowShape = shape.slice(0, -1);
    const t = targets(rowShape.reduce((a, b) => a * b, 1), V, ignoreEvery);
    const tg = fromArray(dev, t, rowShape, 'i32');
    await checkOp(dev, 'crossEntropy', [rand(shape, 41, -4, 4)], ([x]) => ops.crossEntropy(x!, tg, { labelSmoothing: eps, reduction }),
      ([x]) => refCE(x!, t, { eps, reduction }), { atol: 1e-5, rtol: 2e-5, gradAtol: 1e-4 });
    tg.dispose();
  });
}

test('crossEntropy: host targets (checked) equal GPU targets; custom ignoreIndex', async () => {
  const dev = await getDevice();
  const xh = rand([6, 9], 42, -3, 3), t = [0, 8, 3, 5, 5, 2];
  await checkOp(dev, 'crossEntropy host targets', [xh], ([x]) => ops.crossEntropy(x!, t, { ignoreIndex: 5 }), ([x]) => refCE(x!, t, { ignore: 5 }));
  const x = toGpu(dev, xh);
  assert.throws(() => ops.crossEntropy(x, [0, 9, 0, 0, 0, 0]), /crossEntropy: index 9 at position 1 is outside \[0, 9\) and is not the ignore index -100/);
  assert.throws(() => ops.crossEntropy(x, [0, 1]), /crossEntropy: 2 host indices do not fill shape \[6\]/);
  const ti = fromArray(dev, [1, 2, 3], [3], 'i32');
  assert.throws(() => ops.crossEntropy(x, ti), /crossEntropy: target Tensor\(\[3\], i32\) must have shape \[6\] to match logits Tensor\(\[6, 9\], f32\)/);
  const tf = fromArray(dev, [1, 2, 3, 4, 5, 6], [6]);
  assert.throws(() => ops.crossEntropy(x, tf), /crossEntropy: indices must be an i32 tensor/);
  assert.throws(() => ops.crossEntropy(x, t, { labelSmoothing: 1.5 }), /labelSmoothing must be in \[0, 1\]/);
  for (const u of [x, ti, tf]) u.dispose();
});

test('crossEntropy: GPU targets out of range give NaN (loss and that row of the gradient); all ignored → NaN mean', async () => {
  const dev = await getDevice();
  const x = toGpu(dev, rand([3, 4], 43));
  x.requiresGrad = true;
  const tg = fromArray(dev, [1, 7, 2], [3], 'i32');
  const none = await ops.crossEntropy(x, tg, { reduction: 'none' }).toArray();
  assert.ok(Number.isNaN(none[1]!) && Number.isFinite(none[0]!) && Number.isFinite(none[2]!), `per-row losses ${[...none]}`);
  const loss = ops.crossEntropy(x, tg);
  assert.ok(Number.isNaN(await loss.item()));
  backward(loss);
  const g = await x.grad!.toArray();
  assert.ok(g.slice(4, 8).every(Number.isNaN) && g.slice(0, 4).every(Number.isFinite), `grad ${[...g]}`);
  const all = fromArray(dev, [-100, -100, -100], [3], 'i32');
  assert.ok(Number.isNaN(await ops.crossEntropy(x, all).item()));
  assert.is(await ops.crossEntropy(x, all, { reduction: 'sum' }).item(), 0);
  for (const t of [x, tg, all]) t.dispose();
});

test('crossEntropy: strided logits and a target view with an offset', async () => {
  const dev = await getDevice();
  const xh = rand([7, 5], 44, -2, 2), t = [1, 4, 0, 6, 2, 3];
  const tAll = fromArray(dev, t, [6], 'i32'), tv = ops.slice(tAll, 0, 1, 6); // element offset 1: not binding-aligned
  const want = refCE({ shape: [5, 7], data: Float64Array.from({ length: 35 }, (_, i) => xh.data[(i % 7) * 5 + Math.floor(i / 7)]!) }, t.slice(1));
  const x = toGpu(dev, xh);
  assertClose([await ops.crossEntropy(ops.transpose(x), tv).item()], want.data, 'CE of transposed logits, sliced targets', 1e-5, 1e-5);
  for (const u of [x, tAll, tv]) u.dispose();
});

test('crossEntropy splits rows across dispatches when logits exceed one storage binding', async () => {
  const dev = await getDevice();
  const saved = dev.maxBinding;
  (dev as { maxBinding: number }).maxBinding = 4096; // 896 floats per binding
  try {
    for (const reduction of ['mean', 'none'] as const) {
      const xh = rand([40, 65], 45, -3, 3), t = targets(40, 65, 3), gh = rand(reduction === 'none' ? [40] : [], 46);
      const x = toGpu(dev, xh), g = toGpu(dev, gh);
      x.requiresGrad = true;
      const y = ops.crossEntropy(x, t, { labelSmoothing: 0.1, reduction });
      assertClose(await y.toArray(), refCE(xh, t, { eps: 0.1, reduction }).data, `split CE ${reduction}`, 1e-5, 1e-5);
      backward(y, g);
      // d/dx of Σ g·loss against finite differences of the f64 reference
      const got = await x.grad!.toArray(), h = 1e-4;
      for (const i of [0, 64, 65, 1000, 1300, 2599]) {
        const f = (d: number) => { const xx = { shape: xh.shape, data: Float64Array.from(xh.data) }; xx.data[i] += d; return refCE(xx, t, { eps: 0.1, reduction }).data.reduce((a, v, k) => a + v * gh.data[k]!, 0); };
        assertClose([got[i]!], [(f(h) - f(-h)) / (2 * h)], `split CE ${reduction} grad [${i}]`, 1e-4, 1e-3);
      }
      for (const u of [x, g, y]) u.dispose();
    }
  } finally { (dev as { maxBinding: number }).maxBinding = saved; }
});

test('golden: cross_entropy (label smoothing 0.1, ignore_index -100) vs PyTorch', async () => {
  const dev = await getDevice();
  const f = await openSafetensors('test/fixtures/golden/ops.safetensors');
  const rd = (k: string) => f.read(`cross_entropy.${k}`);
  const lg = await rd('logits'), tg = await rd('target');
  assert.ok([...tg.data].filter((v) => v === -100).length === 2, 'the golden has two ignored targets');
  const x = fromArray(dev, lg.data, lg.shape), t = fromArray(dev, tg.data, tg.shape, 'i32');
  x.requiresGrad = true;
  const loss = ops.crossEntropy(x, t, { labelSmoothing: 0.1 });
  assertClose([await loss.item()], (await rd('loss')).data, 'cross_entropy.loss', 1e-6, 1e-6);
  backward(loss);
  assertClose(await x.grad!.toArray(), (await rd('dlogits')).data, 'cross_entropy.dlogits', 1e-7, 1e-5);
  const none = ops.crossEntropy(x, t, { labelSmoothing: 0.1, reduction: 'none' });
  assertClose(await none.toArray(), (await rd('loss_none')).data, 'cross_entropy.loss_none', 1e-6, 1e-6);
  for (const u of [x, t, loss, none]) u.dispose();
});

// ---- mseLoss, l1Loss ---------------------------------------------------------------------------------------------
const reduce = (h: Host, r: Reduction): Host => r === 'none' ? h : { shape: [], data: Float64Array.of(h.data.reduce((a, b) => a + b, 0) / (r === 'mean' ? h.data.length : 1)) };
for (const shape of [[1], [3], [65], [3, 257]]) for (const reduction of ['mean', 'sum', 'none'] as const) {
  test(`mseLoss / l1Loss [${shape}] ${reduction}`, async () => {
    const dev = await getDevice();
    const ins = [rand(shape, 47, -2, 2), rand(shape, 48, -2, 2)];
    await checkOp(dev, 'mseLoss', ins, ([a, b]) => ops.mseLoss(a!, b!, reduction), ([a, b]) => reduce(refMap((x, y) => (x - y) ** 2, a!, b!), reduction), { rtol: 2e-5 });
    await checkOp(dev, 'l1Loss', ins, ([a, b]) => ops.l1Loss(a!, b!, reduction), ([a, b]) => reduce(refMap((x, y) => Math.abs(x - y), a!, b!), reduction), { rtol: 2e-5 });
  });
}

test('l1Loss gradient is 0 where input == target (sign(0), as PyTorch); shape mismatch is an error', async () => {
  const dev = await getDevice();
  const a = fromArray(dev, [1, 2, 3, 4], [4]), b = fromArray(dev, [1, 0, 3, 5], [4]);
  a.requiresGrad = true; b.requiresGrad = true;
  backward(ops.l1Loss(a, b));
  assertClose(await a.grad!.toArray(), [0, 0.25, 0, -0.25], 'dl1/da', 0, 0);
  assertClose(await b.grad!.toArray(), [0, -0.25, 0, 0.25], 'dl1/db', 0, 0);
  const c = fromArray(dev, [1, 2], [2]);
  assert.throws(() => ops.mseLoss(a, c), /mseLoss: input Tensor\(\[4\], f32\) and target Tensor\(\[2\], f32\) must have the same shape/);
  for (const t of [a, b, c] as Tensor[]) t.dispose();
});

test.after(closeDevice);
test.run();
