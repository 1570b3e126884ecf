// groupNorm on the real adapter: forward vs an f64 CPU reference on odd shapes (with and without affine, large means),
// backward vs finite differences, the PyTorch golden, plane-chunked paths (binding limit lowered), error messages.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ops, backward, noGrad, Device, WorkCounter, type Tensor } from '../../src/engine/index.ts';
import { openSafetensors } from '../../src/engine/io/safetensors.ts';
import { getDevice, closeDevice } from '../helpers/gpu.ts';
import { checkOp, chunkedAgrees, rand, toGpu, assertClose, type Host } from '../helpers/ref.ts';
import { refGroupNorm } from '../helpers/ref_nn.ts';

/** Values rounded to f32, so that the f64 reference sees exactly what the GPU sees. */
const f32 = (h: Host): Host => ({ shape: h.shape, data: Float64Array.from(Float32Array.from(h.data)) });

// [shape, groups, affine: 'wb' | 'w' | 'b' | '']; planes of a multiple of 4 elements take the vec4 kernels
const CASES: [number[], number, string][] = [
  [[1, 3, 5, 7], 3, 'wb'], [[2, 4, 3, 5], 2, 'wb'], [[1, 6, 7, 9], 3, ''], [[2, 65, 1, 3], 65, 'wb'], [[3, 65, 1, 1], 5, 'w'],
  [[1, 32, 2, 2], 32, 'b'], [[3, 6], 2, 'wb'], [[1, 2, 1, 257], 1, 'wb'], [[2, 8, 3, 3, 2], 4, 'wb'], [[2, 6, 4, 6], 3, 'wb'],
  // more than 64 channels per group: the forward merges 130 planes per group, the backward's running sums take two or
  // three planes each
  [[2, 130, 1, 3], 1, 'wb'],
];
for (const [shape, G, affine] of CASES) {
  test(`groupNorm [${shape}] groups ${G} ${affine || 'plain'}`, async () => {
    const dev = await getDevice();
    const C = shape[1]!;
    const inputs = [rand(shape, 1, -2, 2), ...(affine.includes('w') ? [rand([C], 2, 0.5, 1.5)] : []), ...(affine.includes('b') ? [rand([C], 3)] : [])];
    const split = <T>(xs: T[]): [T, T | null, T | null] => [xs[0]!, affine.includes('w') ? xs[1]! : null, affine.includes('b') ? xs[affine.includes('w') ? 2 : 1]! : null];
    await checkOp(dev, 'groupNorm', inputs, (xs) => { const [x, w, b] = split(xs); return ops.groupNorm(x, G, w, b); },
      (xs) => { const [x, w, b] = split(xs); return refGroupNorm(x, G, w, b); }, { atol: 2e-5, rtol: 1e-4, gradAtol: 5e-4 });
  });
}

test('groupNorm: large mean, small spread (statistics and gradients keep their precision)', async () => {
  const dev = await getDevice();
  // One f32 ulp of 1000 is 6e-5, 2e-4 of the spread (σ ≈ 0.29): no step may round a value of the size of the mean.
  await checkOp(dev, 'groupNorm large mean', [f32(rand([2, 4, 8, 8], 4, 1000, 1001)), rand([4], 5, 0.5, 1.5), rand([4], 6)],
    ([x, w, b]) => ops.groupNorm(x!, 2, w!, b!), ([x, w, b]) => refGroupNorm(x!, 2, w!, b!), { atol: 3e-5, rtol: 1e-4, gradAtol: 5e-4 });
});

// The forward shifts each plane by its first element and rebuilds the group mean as the first plane's shift plus a
// correction: planes of one group at very different levels (±1000 apart, σ within a plane ≈ 0.3) and a plane whose
// first element is far from the rest must still give the f64 statistics.
test('groupNorm: planes of a group at very different levels, an outlying first element', async () => {
  const dev = await getDevice();
  const x = rand([2, 6, 5, 8], 7, 0, 1);
  for (let i = 0; i < x.data.length; i++) x.data[i] = x.data[i]! + 1000 * ((Math.floor(i / 40) % 6) - 2.5);
  x.data[80] = x.data[80]! + 50;
  await checkOp(dev, 'groupNorm levels', [f32(x), rand([6], 8, 0.5, 1.5), rand([6], 9)],
    ([x, w, b]) => ops.groupNorm(x!, 2, w!, b!), ([x, w, b]) => refGroupNorm(x!, 2, w!, b!), { atol: 3e-5, rtol: 1e-4, gradAtol: 5e-4 });
});

// Both kernels of the per-plane sums (forward statistics, backward sums) on the same calls: one 64-invocation workgroup
// per plane (perRowReductionMinRows 0) and one invocation per plane (1): odd planes (scalar kernel), vec4 planes, a large mean and planes at different levels.
for (const [name, min, kernels] of [['workgroup', 0, ['norm/groupnorm_moments', 'norm/groupnorm_rows']],
  ['per-plane', 1, ['norm/groupnorm_moments_rows', 'norm/groupnorm_rows_per_plane']]] as const) {
  test(`groupNorm ${name} plane sums: f64 reference and finite differences`, async () => {
    const dev = await Device.create({ profile: { perRowReductionMinRows: min } });
    try {
      const counter = new WorkCounter(); dev.counter = counter;
      for (const [shape, G] of [[[1, 3, 5, 7], 3], [[2, 6, 4, 6], 3], [[1, 2, 1, 257], 1], [[3, 8, 1, 1], 4]] as [number[], number][]) {
        const C = shape[1]!;
        await checkOp(dev, `groupNorm ${name} [${shape}]`, [rand(shape, 11, -2, 2), rand([C], 12, 0.5, 1.5), rand([C], 13)],
          ([x, w, b]) => ops.groupNorm(x!, G, w!, b!), ([x, w, b]) => refGroupNorm(x!, G, w!, b!), { atol: 2e-5, rtol: 1e-4, gradAtol: 5e-4 });
      }
      await checkOp(dev, `groupNorm ${name} large mean`, [f32(rand([2, 4, 8, 8], 14, 1000, 1001)), rand([4], 15, 0.5, 1.5), rand([4], 16)],
        ([x, w, b]) => ops.groupNorm(x!, 2, w!, b!), ([x, w, b]) => refGroupNorm(x!, 2, w!, b!), { atol: 3e-5, rtol: 1e-4, gradAtol: 5e-4 });
      const x = rand([2, 6, 5, 8], 17, 0, 1);
      for (let i = 0; i < x.data.length; i++) x.data[i] = x.data[i]! + 1000 * ((Math.floor(i / 40) % 6) - 2.5);
      x.data[80] = x.data[80]! + 50;
      await checkOp(dev, `groupNorm ${name} levels`, [f32(x), rand([6], 18, 0.5, 1.5), rand([6], 19)],
        ([x, w, b]) => ops.groupNorm(x!, 2, w!, b!), ([x, w, b]) => refGroupNorm(x!, 2, w!, b!), { atol: 3e-5, rtol: 1e-4, gradAtol: 5e-4 });
      dev.counter = null;
      for (const k of kernels) assert.ok(counter.kernels.has(k), `${name}: ${k} dispatched (got ${[...counter.kernels.keys()].join(', ')})`);
    } finally { dev.destroy(); }
  });
}

test('groupNorm matches the PyTorch golden (4 groups on [2, 8, 5, 3]): y, dx, dw, db', async () => {
  const dev = await getDevice();
  const f = await openSafetensors('test/fixtures/golden/ops.safetensors');
  const get = async (k: string) => { const t = await f.read(`group_norm.${k}`); return { t, g: toGpu(dev, { shape: t.shape, data: Float64Array.from(t.data) }) }; };
  const [x, w, b, y, dy, dx, dw, db] = await Promise.all(['x', 'w', 'b', 'y', 'dy', 'dx', 'dw', 'db'].map(get));
  for (const p of [x!, w!, b!]) p.g.requiresGrad = true;
  const out = ops.groupNorm(x!.g, 4, w!.g, b!.g, 1e-6);
  assertClose(await out.toArray(), y!.t.data, 'group_norm.y', 1e-5, 1e-4);
  backward(out, dy!.g);
  assertClose(await x!.g.grad!.toArray(), dx!.t.data, 'group_norm.dx', 1e-5, 1e-4);
  assertClose(await w!.g.grad!.toArray(), dw!.t.data, 'group_norm.dw', 1e-5, 1e-4);
  assertClose(await b!.g.grad!.toArray(), db!.t.data, 'group_norm.db', 1e-5, 1e-4);
  for (const t of [x, w, b, y, dy, dx, dw, db]) t!.g.dispose();
  out.dispose();
});

test('groupNorm splits over plane ranges above the binding limit (limit lowered to 16 KiB)', async () => {
  const dev = await getDevice();
  // x [2, 12, 20, 20] is 38 KiB: 9 planes of 400 elements per window.
  await chunkedAgrees(dev, 'groupNorm chunked', 16384, [rand([2, 12, 20, 20], 7, -2, 2), rand([12], 8, 0.5, 1.5), rand([12], 9)],
    ([x, w, b]) => ops.groupNorm(x!, 4, w!, b!), ([x, w, b]) => refGroupNorm(x!, 4, w!, b!));
});

const silu = (h: Host): Host => ({ shape: h.shape, data: h.data.map((v) => v / (1 + Math.exp(-v))) });
test('groupNormSilu: fused without gradients, bit for bit silu(groupNorm) on every case (vec4, scalar, split windows); with gradients the two ops', async () => {
  const dev = await getDevice();
  const d = dev as unknown as { maxBinding: number }, saved = d.maxBinding;
  const cases: [number[], number, number][] = [...CASES.map(([sh, G]) => [sh, G, saved] as [number[], number, number]), [[2, 12, 20, 20], 4, 16384]];
  for (const [shape, G, limit] of cases) {
    const C = shape[1]!, hx = rand(shape, 11, -3, 3), hw = rand([C], 12, 0.5, 1.5), hb = rand([C], 13);
    const [x, w, b] = [hx, hw, hb].map((h) => toGpu(dev, h)) as [Tensor, Tensor, Tensor];
    d.maxBinding = limit;
    const n0 = dev.stats.dispatches;
    let fused: ArrayLike<number>, composed: ArrayLike<number>, nFused: number;
    try {
      fused = await noGrad(dev, () => ops.groupNormSilu(x, G, w, b, 1e-6)).toArray();
      nFused = dev.stats.dispatches - n0;
      composed = await noGrad(dev, () => ops.silu(ops.groupNorm(x, G, w, b, 1e-6))).toArray();
    } finally { d.maxBinding = saved; }
    const nComposed = dev.stats.dispatches - n0 - nFused;
    assert.ok(nFused < nComposed, `[${shape}]: the fused op saves a dispatch (${nFused} vs ${nComposed})`);
    const bad = Array.from(fused).findIndex((v, i) => !Object.is(v, composed[i]));
    assert.is(bad, -1, `[${shape}] limit ${limit}: fused ${fused[bad]} vs composed ${composed[bad]} at ${bad}`);
    assertClose(fused, silu(refGroupNorm(hx, G, hw, hb, 1e-6)).data, `groupNormSilu [${shape}]`, 3e-5, 1e-4);
    for (const t of [x, w, b]) t.dispose();
  }
  await checkOp(dev, 'groupNormSilu with gradients', [rand([2, 6, 3, 5], 14, -2, 2), rand([6], 15, 0.5, 1.5), rand([6], 16)],
    ([x, w, b]) => ops.groupNormSilu(x!, 3, w!, b!), ([x, w, b]) => silu(refGroupNorm(x!, 3, w!, b!)), { atol: 2e-5, rtol: 1e-4, gradAtol: 5e-4 });
});

test('groupNorm errors name the op and the shapes', async () => {
  const dev = await getDevice();
  const t = (s: number[]) => toGpu(dev, rand(s, 1));
  const x = t([2, 6, 3, 3]), w = t([5]), x1 = t([6]);
  assert.throws(() => ops.groupNorm(x, 4), /groupNorm: 4 groups do not divide 6 channels \(x \[2, 6, 3, 3\], groups 4\)/);
  assert.throws(() => ops.groupNorm(x, 3, w), /groupNorm: weight and bias must be \[6\] \(x \[2, 6, 3, 3\], groups 3, w \[5\]\)/);
  assert.throws(() => ops.groupNorm(x1, 1), /groupNorm: x must be \[B, C, \.\.\.\], got x \[6\]/);
  for (const v of [x, w, x1] as Tensor[]) v.dispose();
});

test.after(closeDevice);
test.run();
