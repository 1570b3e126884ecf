// Reductions on the real adapter (sum, mean, max, min, argmax, variance, sumTo): forward vs an f64 CPU reference over
// every axis set of odd shapes, keepdim or not, backward vs finite differences; the blocked sum (reduce/reduce_blocks:
// contiguous input, kept dims consecutive or kept leading dims before them) in one and several passes, and the generic
// kernel on strided views.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ops, WorkCounter } from '../../src/engine/index.ts';
import { getDevice, closeDevice } from '../helpers/gpu.ts';
import { checkOp, rand, toGpu, assertClose, numel, type Host } from '../helpers/ref.ts';

type Mode = 'sum' | 'mean' | 'max' | 'min' | 'argmax' | 'var';
/** f64 reduction of h over `axes` (keepdim keeps them as 1); var with Bessel's correction; argmax: first maximum. */
function refReduce(h: Host, axes: number[], mode: Mode, keepdim: boolean): Host {
  const shape = h.shape, kept = shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const outShape = keepdim ? shape.map((d, i) => (axes.includes(i) ? 1 : d)) : kept.map((i) => shape[i]!);
  const nOut = numel(kept.map((i) => shape[i]!)), groups: number[][] = Array.from({ length: nOut }, () => []);
  const idx = new Array(shape.length).fill(0);
  for (let e = 0; e < h.data.length; e++) {
    let rem = e;
    for (let d = shape.length - 1; d >= 0; d--) { idx[d] = rem % shape[d]!; rem = Math.floor(rem / shape[d]!); }
    let j = 0;
    for (const d of kept) j = j * shape[d]! + idx[d]!;
    groups[j]!.push(h.data[e]!);
  }
  const data = Float64Array.from(groups, (g) => {
    const s = g.reduce((a, b) => a + b, 0), m = s / g.length;
    if (mode === 'sum') return s;
    if (mode === 'mean') return m;
    if (mode === 'max') return Math.max(...g);
    if (mode === 'min') return Math.min(...g);
    if (mode === 'argmax') return g.indexOf(Math.max(...g));
    return g.reduce((a, v) => a + (v - m) ** 2, 0) / (g.length - 1);
  });
  return { shape: outShape, data };
}
/** Every non-empty subset of the axes of a rank-r shape. */
const subsets = (r: number) => Array.from({ length: 2 ** r - 1 }, (_, m) => [...Array(r).keys()].filter((i) => ((m + 1) >> i) & 1));

const SHAPES = [[1], [3], [65], [257], [3, 65], [3, 5, 7], [2, 3, 1, 5]];
for (const shape of SHAPES) for (const mode of ['sum', 'mean', 'max', 'min', 'var'] as const) {
  test(`${mode} ${JSON.stringify(shape)}: every axis set, keepdim and not, gradients`, async () => {
    const dev = await getDevice();
    const x = rand(shape, 7 + shape.length);
    const sets = subsets(shape.length);
    for (const axes of sets) for (const keepdim of [false, true]) {
      if (mode === 'var' && numel(axes.map((a) => shape[a]!)) < 2) continue;
      const f = mode === 'var' ? (t: any) => ops.variance(t, axes, keepdim) : (t: any) => (ops as any)[mode](t, axes, keepdim);
      // Gradients on the rank ≤ 2 shapes and the first axis set of the others (finite differences are slow).
      const grad = shape.length <= 2 || axes === sets[0];
      await checkOp(dev, `${mode} ${JSON.stringify(shape)} axes ${axes} keepdim ${keepdim}`, [x], ([t]) => f(t!), ([h]) => refReduce(h!, axes, mode, keepdim),
        { atol: 2e-5, rtol: 1e-4, grad, gradAtol: 2e-3, gradRtol: 2e-2 });
    }
  });
}

test('argmax along each axis (first maximum, ties included)', async () => {
  const dev = await getDevice();
  for (const shape of [[1], [65], [3, 65], [3, 5, 7]]) {
    const x = rand(shape, 3);
    // Ties: every fourth value rounded so that equal maxima occur; the first one must win.
    const tied: Host = { shape, data: x.data.map((v, i) => (i % 4 === 0 ? Math.round(v) : v)) };
    for (const h of [x, tied]) for (let axis = 0; axis < shape.length; axis++) for (const keepdim of [false, true]) {
      const got = await ops.argmax(toGpu(dev, h), axis, keepdim).toArray();
      const want = refReduce({ shape, data: h.data.map((v) => Math.fround(v)) }, [axis], 'argmax', keepdim);
      assert.equal(Array.from(got), Array.from(want.data), `argmax ${JSON.stringify(shape)} axis ${axis}`);
    }
  }
});

// The blocked sum splits long reductions into partial sums and sums those again: whole tensors of several passes,
// columns (inner 1) of many rows, a kept dim in the middle (a conv bias gradient's N, H, W) with runs that end
// mid-chunk, and an input at an unaligned offset within its buffer.
test('sum: long reductions in several passes, columns, a kept middle dim, an offset view', async () => {
  const dev = await getDevice();
  const cases: [number[], number[]][] = [[[300_001], [0]], [[257, 1031], [0, 1]], [[4097, 3], [0]], [[4097, 65], [0]],
    [[5, 7, 1031], [0, 2]], [[3, 65, 33, 17], [0, 2, 3]], [[2, 1, 70_001], [2]], [[1, 1], [0, 1]]];
  for (const [shape, axes] of cases) {
    const x = rand(shape, 11);
    const got = await ops.sum(toGpu(dev, x), axes).toArray();
    assertClose(got, refReduce(x, axes, 'sum', false).data, `sum ${JSON.stringify(shape)} over ${axes}`, 2e-3, 1e-5);
  }
  // A contiguous view that starts at element 3 of its storage (x_base), and a permuted view (the generic kernel).
  const full = rand([3 + 257 * 65], 12), xh: Host = { shape: [257, 65], data: full.data.slice(3) };
  const xv = ops.reshape(ops.slice(toGpu(dev, full), 0, 3, 3 + 257 * 65), [257, 65]);
  for (const axes of [[0], [1], [0, 1]]) assertClose(await ops.sum(xv, axes).toArray(), refReduce(xh, axes, 'sum', false).data, `offset view over ${axes}`, 1e-4, 1e-5);
  const p = ops.permute(toGpu(dev, rand([7, 65, 3], 13)), [2, 0, 1]), ph = refPermute(rand([7, 65, 3], 13), [2, 0, 1]);
  for (const axes of [[0], [2], [1, 2], [0, 1, 2]]) assertClose(await ops.sum(p, axes).toArray(), refReduce(ph, axes, 'sum', false).data, `permuted view over ${axes}`, 1e-4, 1e-5);
});

// Kept leading dims before reduced, kept and reduced ones ([batch, outer, nOut, inner]): a [B, L, C] gradient summed
// over L (AdaLN's per-sample rows), in one pass and in several (few outputs, long reductions), with a trailing reduced
// run, all on reduce/reduce_blocks (the generic kernel would decode every index).
test('sum: kept leading dims, then reduced, kept and reduced runs, on the blocked kernel', async () => {
  const dev = await getDevice();
  const counter = new WorkCounter(); dev.counter = counter;
  try {
    const cases: [number[], number[]][] = [[[2, 799, 256], [1]], [[2, 3001, 3], [1]], [[3, 5, 7], [1]], [[2, 3, 1, 5], [1]],
      [[2, 70_001, 2, 3], [1, 3]], [[4, 3, 65, 33], [1, 3]], [[2, 5, 3, 2, 7], [2, 4]]];
    for (const [shape, axes] of cases) {
      const x = rand(shape, 13);
      const got = await ops.sum(toGpu(dev, x), axes).toArray();
      assertClose(got, refReduce(x, axes, 'sum', false).data, `sum ${JSON.stringify(shape)} over ${axes}`, 2e-3, 1e-5);
    }
  } finally { dev.counter = null; }
  assert.ok(counter.kernels.has('reduce/reduce_blocks') && !counter.kernels.has('reduce/reduce'), `blocked kernel only (got ${[...counter.kernels.keys()].join(', ')})`);
});

test('sumTo: the reverse of broadcasting, against the f64 sums', async () => {
  const dev = await getDevice();
  for (const [shape, to, axes] of [[[4, 3, 65], [65], [0, 1]], [[4, 3, 65], [3, 1], [0, 2]], [[5, 1, 7], [1, 7], [0]], [[65], [65], []]] as [number[], number[], number[]][]) {
    const x = rand(shape, 14);
    const y = ops.sumTo(toGpu(dev, x), to);
    assert.equal([...y.shape], to);
    const want = axes.length ? refReduce(x, axes, 'sum', false).data : x.data;
    assertClose(await y.toArray(), want, `sumTo ${JSON.stringify(shape)} → ${JSON.stringify(to)}`, 1e-4, 1e-5);
  }
});

/** Host permute (the reference for ops.permute). */
function refPermute(h: Host, perm: number[]): Host {
  const shape = perm.map((p) => h.shape[p]!), strides = h.shape.map((_, i) => numel(h.shape.slice(i + 1)));
  const data = new Float64Array(h.data.length), idx = new Array(shape.length).fill(0);
  for (let e = 0; e < data.length; e++) {
    let rem = e, off = 0;
    for (let d = shape.length - 1; d >= 0; d--) { idx[d] = rem % shape[d]!; rem = Math.floor(rem / shape[d]!); }
    for (let d = 0; d < shape.length; d++) off += idx[d]! * strides[perm[d]!]!;
    data[e] = h.data[off]!;
  }
  return { shape, data };
}

test.after(closeDevice);
test.run();
