// The work counter (runtime/counter.ts): each op's FLOPs and bytes against formulas computed here on odd shapes, visible pairs
// of masked attention against a host count, dispatches against dev.stats, scoping, no effect when off, GPU timestamps.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ops, fromArray, noGrad, backward, countWork, visibleLevelPairs, Rng, type Device, type Tensor } from '../../src/engine/index.ts';
import { getDevice, closeDevice, testIf } from '../helpers/gpu.ts';

const rand = (dev: Device, shape: number[], seed: number) => new Rng(seed).uniform(dev, shape, -1, 1);
const entry = (c: { ops: Map<string, { flops: number; bytes: number; calls: number; dispatches: number }> }, op: string) => {
  const e = c.ops.get(op);
  if (!e) throw new Error(`no entry '${op}' (have ${[...c.ops.keys()].join(', ')})`);
  return e;
};

test('matmul and linear: 2·batch·M·N·K FLOPs; bytes of both operands (broadcast once), bias and output', async () => {
  const dev = await getDevice();
  for (const [B, M, K, N] of [[1, 1, 1, 1], [3, 65, 257, 3], [2, 3, 65, 257]]) {
    const a = rand(dev, [B, M, K], 1), b = rand(dev, [K, N], 2);
    const { counter } = await countWork(dev, () => { ops.matmul(a, b).dispose(); });
    const e = entry(counter, 'matmul');
    assert.is(e.flops, 2 * B * M * N * K, `matmul ${B}×${M}×${K}×${N}`);
    assert.is(e.bytes, 4 * (B * M * K + K * N + B * M * N));
    assert.is(e.calls, 1);
    const w = rand(dev, [N, K], 3), bias = rand(dev, [N], 4);
    const { counter: c2 } = await countWork(dev, () => { ops.linear(a, w, bias).dispose(); });
    assert.is(entry(c2, 'linear').flops, 2 * B * M * N * K, `linear ${B}×${M}×${K}×${N}`);
    assert.is(entry(c2, 'linear').bytes, 4 * (B * M * K + K * N + B * M * N + N));
    for (const t of [a, b, w, bias]) t.dispose();
  }
});

test('linear backward: the dx and dw products and the db sum counted under their own names', async () => {
  const dev = await getDevice();
  const [M, K, N] = [65, 3, 257];
  const x = rand(dev, [M, K], 1), w = rand(dev, [N, K], 2), b = rand(dev, [N], 3);
  for (const t of [x, w, b]) t.requiresGrad = true;
  const { counter } = await countWork(dev, () => { const y = ops.sum(ops.linear(x, w, b)); backward(y); });
  assert.is(entry(counter, 'linear').flops, 2 * M * N * K);
  assert.is(entry(counter, 'linear.gradX').flops, 2 * M * N * K);
  assert.is(entry(counter, 'linear.gradW').flops, 2 * M * N * K);
  // db is a column sum (a reduction: bytes read and written, no multiply-adds), where dy fits one binding.
  assert.is(entry(counter, 'linear.gradB').bytes, 4 * (M * N + N));
  for (const t of [x, w, b]) { t.grad?.dispose(); t.dispose(); }
});

test('conv2d: 2·B·O·C·KH·KW·OH·OW FLOPs for odd shapes, strides and asymmetric padding; dx and dw the same', async () => {
  const dev = await getDevice();
  const cases: [number[], number[], number, [number, number, number, number]][] = [
    [[1, 3, 7, 7], [5, 3, 3, 3], 1, [1, 1, 1, 1]], [[2, 3, 9, 5], [4, 3, 3, 3], 2, [0, 1, 0, 1]], [[1, 65, 3, 3], [1, 65, 1, 1], 1, [0, 0, 0, 0]],
  ];
  for (const [xs, ws, stride, padding] of cases) {
    const x = rand(dev, xs, 1), w = rand(dev, ws, 2), b = rand(dev, [ws[0]!], 3);
    x.requiresGrad = true; w.requiresGrad = true;
    const OH = Math.floor((xs[2]! + padding[0] + padding[1] - ws[2]!) / stride) + 1, OW = Math.floor((xs[3]! + padding[2] + padding[3] - ws[3]!) / stride) + 1;
    const want = 2 * xs[0]! * ws[0]! * xs[1]! * ws[2]! * ws[3]! * OH * OW;
    const { counter } = await countWork(dev, () => { const y = ops.conv2d(x, w, b, { stride, padding }); assert.equal(y.shape, [xs[0], ws[0], OH, OW]); backward(ops.sum(y)); });
    assert.is(entry(counter, 'conv2d').flops, want, `conv2d x [${xs}] w [${ws}] stride ${stride}`);
    assert.is(entry(counter, 'conv2d').bytes, 4 * (x.numel + w.numel + xs[0]! * ws[0]! * OH * OW + ws[0]!));
    assert.is(entry(counter, 'conv2d.dx').flops, want);
    assert.is(entry(counter, 'conv2d.dw').flops, want);
    for (const t of [x, w, b]) { t.grad?.dispose(); t.dispose(); }
  }
});

test('attention: 4·D per visible pair and head forward (6·D dQ, 8·D dK/dV); masked pairs counted from the level ids', async () => {
  const dev = await getDevice();
  const [B, H, L, D] = [2, 3, 65, 8];
  const host = Int32Array.from({ length: L }, (_, i) => (i < 1 ? 0 : i < 5 ? 1 : i < 14 ? 2 : 3));
  let brute = 0;
  for (let i = 0; i < L; i++) for (let j = 0; j < L; j++) if (host[j]! <= host[i]!) brute++;
  assert.is(visibleLevelPairs(host, host), brute, 'host pair count');
  const q = rand(dev, [B, H, L, D], 1), k = rand(dev, [B, H, L, D], 2), v = rand(dev, [B, H, L, D], 3);
  for (const t of [q, k, v]) t.requiresGrad = true;
  let levels: Tensor | null = fromArray(dev, host, [L], 'i32');
  const { counter } = await countWork(dev, () => {
    const o = ops.attention(q, k, v, { levels: levels! });
    levels!.dispose(); levels = null; // the ids were read when the op was counted: disposing them later is safe
    backward(ops.sum(o));
  });
  assert.is(entry(counter, 'attention').flops, 4 * D * B * H * brute);
  assert.is(entry(counter, 'attention.backward_dq').flops, 6 * D * B * H * brute);
  assert.is(entry(counter, 'attention.backward_dkdv').flops, 8 * D * B * H * brute);
  assert.is(entry(counter, 'attention').bytes, 4 * B * H * D * 4 * L);
  // unmasked, cached keys: every pair of Lq × Lk
  const [Lq, Lk] = [3, 257], L4 = Math.ceil(Lk / 4) * 4;
  const q2 = rand(dev, [1, 2, Lq, D], 4), kT = rand(dev, [1, 2, D, L4], 5), v2 = rand(dev, [1, 2, Lk, D], 6);
  const { counter: c2 } = await countWork(dev, () => { ops.attentionKT(q2, kT, v2, Lk).dispose(); });
  assert.is(entry(c2, 'attention (cached keys)').flops, 4 * D * 2 * Lq * Lk);
  for (const t of [q, k, v]) { t.grad?.dispose(); t.dispose(); }
  for (const t of [q2, kT, v2]) t.dispose();
});

test('dispatches: every kernel of a mixed op sequence is counted under the op that reported it (none unreported)', async () => {
  const dev = await getDevice();
  const x = rand(dev, [3, 65], 1), w = rand(dev, [257, 65], 2);
  const d0 = dev.stats.dispatches;
  const { counter } = await countWork(dev, () => noGrad(dev, () => {
    const y = ops.layerNorm(ops.gelu(ops.linear(x, w)), null, null, 1e-6);
    const s = ops.softmax(ops.mulScalar(y, 0.5), -1);
    const r = ops.sum(ops.concat([s, s], 0), [1]);
    for (const t of [y, s, r]) t.dispose();
  }));
  const t = counter.totals();
  assert.is(t.dispatches, dev.stats.dispatches - d0, 'dispatches counted = dispatches run');
  assert.is([...counter.kernels.values()].reduce((a, k) => a + k.dispatches, 0), t.dispatches);
  assert.not.ok(counter.ops.has('unreported'), `unreported dispatches: ${[...counter.kernels.keys()].join(', ')}`);
  assert.ok(t.byFamily.matmul.dispatches >= 1 && t.byFamily.norm.dispatches >= 2 && t.byFamily.elementwise.dispatches >= 2 && t.byFamily.copy.dispatches >= 1,
    JSON.stringify(t.byFamily));
  assert.is(t.flops, 2 * 3 * 257 * 65, 'only the product has FLOPs');
  for (const z of [x, w]) z.dispose();
});

test('off by default, scoped by countWork (the previous counter comes back), results unchanged by counting', async () => {
  const dev = await getDevice();
  assert.is(dev.counter, null);
  const a = rand(dev, [5, 7], 1), b = rand(dev, [7, 3], 2);
  const plain = await ops.matmul(a, b).toArray();
  const outer = await countWork(dev, async () => {
    const inner = await countWork(dev, () => { ops.matmul(a, b).dispose(); });
    assert.is(inner.counter.ops.get('matmul')!.calls, 1);
    const y = ops.matmul(a, b); const r = await y.toArray(); y.dispose(); return r;
  });
  assert.is(dev.counter, null);
  assert.is(outer.counter.ops.get('matmul')!.calls, 1, 'the inner scope took its own call');
  assert.equal(Array.from(outer.result), Array.from(plain));
  a.dispose(); b.dispose();
});

testIf((await getDevice()).hasTimestamps, 'no timestamp-query on this adapter')('GPU timestamps: every dispatch timed, per op and per kernel alike; the product takes time', async () => {
  const dev = await getDevice();
  const a = rand(dev, [257, 129], 1), b = rand(dev, [129, 65], 2);
  const { counter, timestampsUsed, result } = await countWork(dev, async () => {
    const y = ops.gelu(ops.matmul(a, b)); const r = await y.toArray(); y.dispose(); return r;
  }, { timestamps: true });
  assert.ok(timestampsUsed);
  assert.is(result.length, 257 * 65);
  const t = counter.totals();
  const perKernel = [...counter.kernels.values()].reduce((s, k) => s + k.gpuMs, 0);
  assert.ok(counter.ops.get('matmul')!.gpuMs > 0, 'the product took GPU time');
  assert.ok(Math.abs(perKernel - t.gpuMs) <= 1e-9 * Math.max(1, t.gpuMs), `per kernel ${perKernel} = per op ${t.gpuMs}`);
  // a counter without timestamps leaves the times at 0
  const { counter: c0 } = await countWork(dev, () => { ops.matmul(a, b).dispose(); });
  assert.is(c0.totals().gpuMs, 0);
  a.dispose(); b.dispose();
});

test.after(closeDevice);
test.run();
