// embedding on the real adapter: gather forward and scatter-add backward vs an f64 reference + finite differences,
// repeated indices, any index shape, host / GPU indices, out-of-range handling, determinism and split dispatches.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ops, backward, fromArray } from '../../src/engine/index.ts';
import { getDevice, closeDevice } from '../helpers/gpu.ts';
import { checkOp, rand, toGpu, assertClose, type Host } from '../helpers/ref.ts';

/** f64 gather: out[..., c] = w[idx[...], c]. */
function refEmbed(w: Host, idx: ArrayLike<number>, idxShape: number[]): Host {
  const C = w.shape[1]!, out = new Float64Array(idx.length * C);
  for (let n = 0; n < idx.length; n++) for (let c = 0; c < C; c++) out[n * C + c] = w.data[idx[n]! * C + c]!;
  return { shape: [...idxShape, C], data: out };
}
/** f64 scatter-add: dw[v, c] = Σ_{n: idx[n] = v} g[n, c]. */
function refEmbedGrad(V: number, C: number, idx: ArrayLike<number>, g: Host): Float64Array {
  const dw = new Float64Array(V * C);
  for (let n = 0; n < idx.length; n++) if (idx[n]! >= 0 && idx[n]! < V) for (let c = 0; c < C; c++) dw[idx[n]! * C + c] += g.data[n * C + c]!;
  return dw;
}
/** Deterministic indices in [0, V) with repeats. */
const indices = (n: number, V: number) => Int32Array.from({ length: n }, (_, i) => (i * i * 31 + 7 * i + 3) % V);

const CASES: [number, number, number[]][] = [[1, 1, [1]], [5, 3, [7]], [3, 65, [2, 3]], [65, 257, [3]], [257, 3, [4, 65]], [10, 1030, [5]]];
for (const [V, C, idxShape] of CASES) {
  test(`embedding [${V}, ${C}] idx [${idxShape}]`, async () => {
    const dev = await getDevice();
    const idx = indices(idxShape.reduce((a, b) => a * b, 1), V);
    const it = fromArray(dev, idx, idxShape, 'i32');
    await checkOp(dev, 'embedding', [rand([V, C], 51)], ([w]) => ops.embedding(w!, it), ([w]) => refEmbed(w!, idx, idxShape), { atol: 0, rtol: 1e-7 }); // exact up to the f32 rounding of the f64 inputs
    it.dispose();
  });
}

test('embedding backward: many repeats (VAR lvl_embed-like: V = 10, N = 1000), deterministic', async () => {
  const dev = await getDevice();
  const V = 10, C = 33, N = 1000, idx = indices(N, V), gh = rand([N, C], 52);
  const runs: Float32Array[] = [];
  for (let k = 0; k < 2; k++) {
    const w = toGpu(dev, rand([V, C], 53)), g = toGpu(dev, gh);
    w.requiresGrad = true;
    backward(ops.embedding(w, idx), g);
    runs.push((await w.grad!.toArray()) as Float32Array);
    w.dispose(); g.dispose();
  }
  assertClose(runs[0]!, refEmbedGrad(V, C, idx, gh), 'scatter-add vs f64', 1e-5, 1e-5);
  assert.equal([...new Uint32Array(runs[1]!.buffer)], [...new Uint32Array(runs[0]!.buffer)], 'two runs are bit-identical');
});

test('embedding: host indices are range-checked; GPU indices out of range give NaN rows and no gradient', async () => {
  const dev = await getDevice();
  const w = toGpu(dev, rand([4, 3], 54));
  w.requiresGrad = true;
  assert.throws(() => ops.embedding(w, [0, 4]), /embedding: index 4 at position 1 is outside \[0, 4\)/);
  assert.throws(() => ops.embedding(w, [-1]), /embedding: index -1 at position 0 is outside \[0, 4\)/);
  const f = fromArray(dev, [0, 1], [2]);
  assert.throws(() => ops.embedding(w, f), /embedding: indices must be an i32 tensor/);
  assert.throws(() => ops.embedding(f, [0]), /embedding: weight must be \[V, C\]/);
  const bad = fromArray(dev, [1, 4, -2, 3], [4], 'i32');
  const y = ops.embedding(w, bad);
  const out = await y.toArray();
  assert.ok(out.slice(3, 9).every(Number.isNaN) && out.slice(0, 3).every(Number.isFinite) && out.slice(9).every(Number.isFinite), `rows ${[...out]}`);
  const gh = rand([4, 3], 55);
  backward(y, toGpu(dev, gh));
  assertClose(await w.grad!.toArray(), Float32Array.from(refEmbedGrad(4, 3, [1, 4, -2, 3], gh)), 'grad skips out-of-range rows', 0, 0);
  for (const t of [w, f, bad]) t.dispose();
});

test('embedding: strided weight and an index view with an offset', async () => {
  const dev = await getDevice();
  const wh = rand([3, 5], 56), w = toGpu(dev, wh); // weight = w^T: [5, 3]
  const all = fromArray(dev, [9, 4, 0, 2, 2, 1], [6], 'i32'), iv = ops.slice(all, 0, 1, 6);
  const wT: Host = { shape: [5, 3], data: Float64Array.from({ length: 15 }, (_, i) => wh.data[(i % 3) * 5 + Math.floor(i / 3)]!) };
  assertClose(await ops.embedding(ops.transpose(w), iv).toArray(), Float32Array.from(refEmbed(wT, [4, 0, 2, 2, 1], [5]).data), 'gather', 0, 0);
  for (const t of [w, all, iv]) t.dispose();
});

test('embedding splits dispatches when tensors exceed one storage binding', async () => {
  const dev = await getDevice();
  const saved = dev.maxBinding;
  (dev as { maxBinding: number }).maxBinding = 4096; // 896 floats per binding
  try {
    const V = 6, C = 7, N = 300, idx = indices(N, V), gh = rand([N, C], 57), wh = rand([V, C], 58);
    const w = toGpu(dev, wh), g = toGpu(dev, gh);
    w.requiresGrad = true;
    const y = ops.embedding(w, idx);
    assertClose(await y.toArray(), Float32Array.from(refEmbed(wh, idx, [N]).data), 'split gather', 0, 0);
    backward(y, g);
    assertClose(await w.grad!.toArray(), refEmbedGrad(V, C, idx, gh), 'split scatter-add', 1e-5, 1e-5);
    for (const t of [w, g, y]) t.dispose();
  } finally { (dev as { maxBinding: number }).maxBinding = saved; }
});

test.after(closeDevice);
test.run();
