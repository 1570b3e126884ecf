// maxPool2d on the real adapter: forward and argmax vs an f64 CPU reference (first maximum in row-major window order)
// on odd shapes, VGG's 2/2 and AlexNet's 3/2 windows, padding, ties; backward vs finite differences and vs exact
// gradient routing, for tiling (2/2) and overlapping (3/2) windows; the plane-chunked path (binding limit lowered); errors.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ops, backward } from '../../src/engine/index.ts';
import { getDevice, closeDevice } from '../helpers/gpu.ts';
import { checkOp, chunkedAgrees, rand, toGpu, swapCB, assertClose, numel, type Host } from '../helpers/ref.ts';

/** F.max_pool2d(x, K, S, pad) and its indices in f64; the first maximum in row-major window order wins. */
function refPool(x: Host, K: number, S: number, pad: number): { y: Host; idx: number[] } {
  const [B, C, H, W] = x.shape as [number, number, number, number];
  const OH = Math.floor((H + 2 * pad - K) / S) + 1, OW = Math.floor((W + 2 * pad - K) / S) + 1;
  const y = new Float64Array(B * C * OH * OW), idx: number[] = [];
  let o = 0;
  for (let p = 0; p < B * C; p++) for (let oy = 0; oy < OH; oy++) for (let ox = 0; ox < OW; ox++) {
    let m = -Infinity, best = -1;
    for (let ky = 0; ky < K; ky++) for (let kx = 0; kx < K; kx++) {
      const iy = oy * S + ky - pad, ix = ox * S + kx - pad;
      if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
      const v = x.data[p * H * W + iy * W + ix]!;
      if (best < 0 || v > m) { m = v; best = iy * W + ix; }
    }
    y[o++] = m; idx.push(best);
  }
  return { y: { shape: [B, C, OH, OW], data: y }, idx };
}

/** Distinct values 2^-10 apart (exact in f32) in a seeded order, so that ±1e-4 finite differences never cross a tie. */
function distinct(shape: number[], seed: number): Host {
  const n = numel(shape), r = rand([n], seed);
  const order = [...Array(n).keys()].sort((a, b) => r.data[a]! - r.data[b]!);
  const d = new Float64Array(n);
  order.forEach((i, rank) => (d[i] = (rank - Math.floor(n / 2)) / 1024));
  return { shape, data: d };
}

// [x shape, kernel, stride, padding]
const CASES: [number[], number, number, number][] = [
  [[1, 1, 2, 2], 2, 2, 0],
  [[2, 3, 5, 7], 2, 2, 0], // VGG, odd sizes: the last row and column are dropped
  [[1, 65, 4, 6], 2, 2, 0],
  [[1, 2, 7, 9], 3, 2, 0], // AlexNet
  [[2, 1, 15, 14], 3, 2, 0],
  [[1, 3, 3, 257], 3, 2, 1],
  [[1, 1, 1, 257], 1, 1, 0],
  [[1, 2, 6, 6], 3, 1, 1], // windows overlap 9-fold: one input can be the maximum of many outputs
  [[1, 1, 4, 5], 2, 1, 1], // the output plane is larger than the input plane
  [[3, 1, 1, 1], 1, 1, 0],
];
for (const [xs, K, S, pad] of CASES) {
  test(`maxPool2d x${JSON.stringify(xs)} kernel ${K} stride ${S} pad ${pad}`, async () => {
    const dev = await getDevice();
    const x = distinct(xs, 1 + K);
    await checkOp(dev, 'maxPool2d', [x], ([t]) => ops.maxPool2d(t!, K, S, pad), ([h]) => refPool(h!, K, S, pad).y, { atol: 0, rtol: 0 });
    const [y, idx] = ops.maxPool2dWithIndices(toGpu(dev, x), K, S, pad);
    assert.equal([...await idx.toArray()], refPool(x, K, S, pad).idx, 'indices');
    for (const t of [y, idx]) t.dispose();
  });
}

test('maxPool2d: ties pick the first maximum; the gradient goes there only', async () => {
  const dev = await getDevice();
  // Plane of 0s and 1s with several maxima per 3×3 window, and constant planes.
  const xs = [1, 2, 5, 6], n = numel(xs);
  const x: Host = { shape: xs, data: Float64Array.from({ length: n }, (_, i) => (i < 30 ? (i * 7) % 3 === 0 ? 1 : 0 : 0.5)) };
  for (const [K, S, pad] of [[3, 2, 1], [2, 2, 0], [3, 1, 0]] as const) {
    const ref = refPool(x, K, S, pad);
    const xt = toGpu(dev, x); xt.requiresGrad = true;
    const [, idx] = ops.maxPool2dWithIndices(xt, K, S, pad);
    assert.equal([...await idx.toArray()], ref.idx, `indices K${K} S${S} p${pad}`);
    const y = ops.maxPool2d(xt, K, S, pad);
    const dy = rand(ref.y.shape, 5);
    backward(y, toGpu(dev, dy));
    const want = new Float64Array(n), [OH, OW] = [ref.y.shape[2]!, ref.y.shape[3]!];
    ref.idx.forEach((j, o) => { want[Math.floor(o / (OH * OW)) * 30 + j] += dy.data[o]!; });
    assertClose(await xt.grad!.toArray(), want, `dx K${K} S${S} p${pad}`, 1e-6, 1e-6);
    for (const t of [xt, y, idx]) t.dispose();
  }
});

test('maxPool2d: NaN propagates, as PyTorch', async () => {
  const dev = await getDevice();
  const x = toGpu(dev, { shape: [1, 1, 2, 4], data: Float64Array.from([1, NaN, 3, 4, 5, 6, 7, 8]) });
  const y = await ops.maxPool2d(x, 2).toArray();
  assert.ok(Number.isNaN(y[0]), `window with a NaN gives NaN, got ${y[0]}`);
  assert.is(y[1], 8);
});

test('maxPool2d: a non-contiguous x, and plane-chunked dispatches when the binding limit is low', async () => {
  const dev = await getDevice();
  // x arrives as [C, B, H, W] and is permuted to [B, C, H, W].
  await checkOp(dev, 'maxPool2d strided x', [distinct([3, 2, 7, 6], 9)], ([x]) => ops.maxPool2d(ops.permute(x!, [1, 0, 2, 3]), 3, 2),
    ([x]) => refPool(swapCB(x!), 3, 2, 0).y, { atol: 0, rtol: 0 });
  await chunkedAgrees(dev, 'maxPool2d chunked', 4096, [distinct([2, 5, 13, 11], 4)], ([x]) => ops.maxPool2d(x!, 2), ([x]) => refPool(x!, 2, 2, 0).y);
});

test('maxPool2d: errors name the op and the shapes', async () => {
  const dev = await getDevice();
  const x = toGpu(dev, rand([1, 2, 3, 3], 1));
  assert.throws(() => ops.maxPool2d(x, 3, 1, 2), /maxPool2d: padding should be at most half the kernel size.*\[1, 2, 3, 3\]/);
  assert.throws(() => ops.maxPool2d(x, 4, 2), /maxPool2d: output size .* too small/);
  assert.throws(() => ops.maxPool2d(ops.reshape(x, [2, 9]), 2), /maxPool2d: x must be \[B, C, H, W\]/);
  assert.throws(() => ops.maxPool2d(x, 0), /positive integers/);
  x.dispose();
});

test.after(closeDevice);
test.run();
