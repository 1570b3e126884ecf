// layerNorm on the real adapter: f64 CPU reference + finite differences (x, w, b) on odd shapes with and without
// affine, VAR's config (C = 1024, eps 1e-6, no affine), split dispatches, and the PyTorch goldens (layer_norm.*).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ops, backward, fromArray, Device, WorkCounter, type Tensor } from '../../src/engine/index.ts';
import { openSafetensors } from '../../src/engine/io/safetensors.ts';
import { getDevice, closeDevice } from '../helpers/gpu.ts';
import { checkOp, rand, toGpu, assertClose, type Host } from '../helpers/ref.ts';

/** f64 layer norm over the last dim; also returns xhat and rstd per row for the gradient reference. */
function refLN(x: Host, w: Host | null, b: Host | null, eps: number) {
  const C = x.shape[x.shape.length - 1]!, rows = x.data.length / C;
  const y = new Float64Array(x.data.length), xhat = new Float64Array(x.data.length), rstd = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let m = 0, v = 0;
    for (let c = 0; c < C; c++) m += x.data[r * C + c]!;
    m /= C;
    for (let c = 0; c < C; c++) v += (x.data[r * C + c]! - m) ** 2;
    rstd[r] = 1 / Math.sqrt(v / C + eps);
    for (let c = 0; c < C; c++) {
      const i = r * C + c;
      xhat[i] = (x.data[i]! - m) * rstd[r]!;
      y[i] = xhat[i]! * (w ? w.data[c]! : 1) + (b ? b.data[c]! : 0);
    }
  }
  return { y: { shape: x.shape, data: y }, xhat, rstd, C, rows };
}
/** f64 gradients of layer norm for the upstream grad g. */
function refLNGrad(x: Host, w: Host | null, g: Host, eps: number) {
  const { xhat, rstd, C, rows } = refLN(x, w, null, eps);
  const dx = new Float64Array(x.data.length), dw = new Float64Array(C), db = new Float64Array(C);
  for (let r = 0; r < rows; r++) {
    let mg = 0, mgx = 0;
    for (let c = 0; c < C; c++) { const gw = g.data[r * C + c]! * (w ? w.data[c]! : 1); mg += gw / C; mgx += gw * xhat[r * C + c]! / C; }
    for (let c = 0; c < C; c++) {
      const i = r * C + c, gw = g.data[i]! * (w ? w.data[c]! : 1);
      dx[i] = rstd[r]! * (gw - mg - xhat[i]! * mgx);
      dw[c] += g.data[i]! * xhat[i]!; db[c] += g.data[i]!;
    }
  }
  return { dx, dw, db };
}

const SHAPES = [[1], [3], [65], [3, 65], [2, 5, 257], [2, 4097], [7, 1]];
for (const shape of SHAPES) for (const affine of ['none', 'w', 'wb'] as const) {
  test(`layerNorm [${shape}] affine=${affine}`, async () => {
    const dev = await getDevice();
    const C = shape[shape.length - 1]!;
    const ins = [rand(shape, 21, -2, 3), ...(affine !== 'none' ? [rand([C], 22, 0.5, 1.5)] : []), ...(affine === 'wb' ? [rand([C], 23)] : [])];
    await checkOp(dev, `layerNorm ${affine}`, ins, ([x, w, b]) => ops.layerNorm(x!, w ?? null, b ?? null, 1e-5),
      ([x, w, b]) => refLN(x!, w ?? null, b ?? null, 1e-5).y, { atol: 2e-5, rtol: 1e-4, gradAtol: 5e-4 });
  });
}

test('layerNorm, VAR config: C = 1024, eps 1e-6, no affine, rows with a large offset', async () => {
  const dev = await getDevice();
  await checkOp(dev, 'layerNorm C=1024', [rand([3, 1024], 24, 40, 44)], ([x]) => ops.layerNorm(x!, null, null, 1e-6),
    ([x]) => refLN(x!, null, null, 1e-6).y, { atol: 1e-4, rtol: 1e-4, gradAtol: 1e-3, eps: 1e-3 });
});

test('layerNorm: bias without weight; only w / b needing grads', async () => {
  const dev = await getDevice();
  await checkOp(dev, 'layerNorm b only', [rand([5, 33], 25), rand([33], 26)], ([x, b]) => ops.layerNorm(x!, null, b!),
    ([x, b]) => refLN(x!, null, b!, 1e-5).y, { atol: 2e-5, gradAtol: 5e-4 });
  const xh = rand([130, 9], 27), wh = rand([9], 28, 0.5, 1.5), gh = rand([130, 9], 29);
  const x = toGpu(dev, xh), w = toGpu(dev, wh), b = toGpu(dev, rand([9], 30)), g = toGpu(dev, gh);
  w.requiresGrad = true; b.requiresGrad = true;
  backward(ops.layerNorm(x, w, b), g);
  const want = refLNGrad(xh, wh, gh, 1e-5);
  assert.is(x.grad, null);
  assertClose(await w.grad!.toArray(), want.dw, 'dw over 130 rows (3 chunks)', 1e-4, 1e-4);
  assertClose(await b.grad!.toArray(), want.db, 'db over 130 rows (3 chunks)', 1e-4, 1e-4);
  for (const t of [x, w, b, g]) t.dispose();
});

test('layerNorm splits rows across dispatches when a tensor exceeds one storage binding', async () => {
  const dev = await getDevice();
  const saved = dev.maxBinding;
  (dev as { maxBinding: number }).maxBinding = 4096; // (4096 - 512) / 4 = 896 floats per binding
  try {
    for (const shape of [[200, 7], [3, 50, 5]]) {
      const C = shape[shape.length - 1]!;
      const xh = rand(shape, 31, -2, 2), wh = rand([C], 32, 0.5, 1.5), bh = rand([C], 33), gh = rand(shape, 34);
      const [x, w, b, g] = [xh, wh, bh, gh].map((h) => toGpu(dev, h)) as [Tensor, Tensor, Tensor, Tensor];
      for (const t of [x, w, b]) t.requiresGrad = true;
      const y = ops.layerNorm(x, w, b);
      assertClose(await y.toArray(), refLN(xh, wh, bh, 1e-5).y.data, `split layerNorm [${shape}]`, 2e-5, 1e-4);
      backward(y, g);
      const want = refLNGrad(xh, wh, gh, 1e-5);
      assertClose(await x.grad!.toArray(), want.dx, 'split dx', 1e-4, 1e-4);
      assertClose(await w.grad!.toArray(), want.dw, 'split dw', 1e-4, 1e-4);
      assertClose(await b.grad!.toArray(), want.db, 'split db', 1e-4, 1e-4);
      for (const t of [x, w, b, g, y]) t.dispose();
    }
  } finally { (dev as { maxBinding: number }).maxBinding = saved; }
});

// Both kernels on the same calls: one 64-invocation workgroup per row (perRowReductionMinRows 0) and one invocation per
// row (1), on row lengths below, at and past a multiple of 8 (the per-row kernel's 8 partial sums and their tail).
for (const [name, min, kernels] of [['workgroup', 0, ['norm/layernorm', 'norm/layernorm_bwd']], ['per-row', 1, ['norm/layernorm_rows', 'norm/layernorm_bwd_rows']]] as const) {
  test(`layerNorm ${name} kernels: f64 reference and finite differences, odd shapes`, async () => {
    const dev = await Device.create({ profile: { perRowReductionMinRows: min } });
    try {
      for (const shape of [[1, 1], [3, 3], [17, 8], [9, 65], [2, 3, 257], [19, 13]]) {
        const C = shape[shape.length - 1]!;
        const ins = [rand(shape, 41, -2, 3), rand([C], 42, 0.5, 1.5), rand([C], 43)];
        await checkOp(dev, `layerNorm ${name} [${shape}]`, ins, ([x, w, b]) => ops.layerNorm(x!, w!, b!, 1e-5),
          ([x, w, b]) => refLN(x!, w!, b!, 1e-5).y, { atol: 2e-5, rtol: 1e-4, gradAtol: 5e-4 });
      }
      const counter = new WorkCounter(); dev.counter = counter;
      const xh = rand([10, 33], 44, 40, 44), gh = rand([10, 33], 45);
      const [x, g] = [xh, gh].map((h) => toGpu(dev, h)) as [Tensor, Tensor];
      x.requiresGrad = true;
      const y = ops.layerNorm(x, null, null, 1e-6);
      assertClose(await y.toArray(), refLN(xh, null, null, 1e-6).y.data, `${name}: rows with a large offset`, 2e-5, 1e-4);
      backward(y, g);
      assertClose(await x.grad!.toArray(), refLNGrad(xh, null, gh, 1e-6).dx, `${name}: dx`, 1e-4, 1e-4);
      dev.counter = null;
      for (const k of kernels) assert.ok(counter.kernels.has(k), `${name}: ${k} dispatched (got ${[...counter.kernels.keys()].join(', ')})`);
      for (const t of [x, g, y]) t.dispose();
    } finally { dev.destroy(); }
  });
}

test('layerNorm errors name the op and the shapes', async () => {
  const dev = await getDevice();
  const x = toGpu(dev, rand([3, 4], 35)), w = toGpu(dev, rand([5], 36));
  assert.throws(() => ops.layerNorm(x, w), /layerNorm: weight Tensor\(\[5\], f32\) must have shape \[4\] to match Tensor\(\[3, 4\], f32\)/);
  const i = ops.cast(x, 'i32');
  assert.throws(() => ops.layerNorm(i), /layerNorm: expected an f32 tensor/);
  for (const t of [x, w, i]) t.dispose();
});

// ---- PyTorch goldens (F.layer_norm, eps 1e-6) -------------------------------------------------------------------
for (const shape of ['3x65', '2x5x257']) for (const kind of ['affine', 'plain']) {
  test(`golden: layer_norm ${shape} ${kind} vs PyTorch`, async () => {
    const dev = await getDevice();
    const f = await openSafetensors('test/fixtures/golden/ops.safetensors');
    const key = (k: string) => `layer_norm.${shape}.${kind}.${k}`;
    const get = async (k: string) => { const t = await f.read(key(k)); return fromArray(dev, t.data, t.shape); };
    const want = async (k: string) => (await f.read(key(k))).data;
    const x = await get('x'), dy = await get('dy');
    const w = kind === 'affine' ? await get('w') : null, b = kind === 'affine' ? await get('b') : null;
    for (const t of [x, w, b]) if (t) t.requiresGrad = true;
    const y = ops.layerNorm(x, w, b, 1e-6);
    assertClose(await y.toArray(), await want('y'), `${key('y')}`, 1e-5, 1e-5);
    backward(y, dy);
    assertClose(await x.grad!.toArray(), await want('dx'), `${key('dx')}`, 1e-5, 1e-5);
    if (w) assertClose(await w.grad!.toArray(), await want('dw'), `${key('dw')}`, 1e-5, 1e-5);
    if (b) assertClose(await b.grad!.toArray(), await want('db'), `${key('db')}`, 1e-5, 1e-5);
    for (const t of [x, dy, w, b, y]) t?.dispose();
  });
}

test.after(closeDevice);
test.run();
