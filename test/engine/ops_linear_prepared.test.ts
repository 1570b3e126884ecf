// linear with weights laid out once for inference (ops.prepareLinear): the same values bit for bit as the texture path
// without it, against an f64 reference on odd shapes, strided weights (a row block, a transpose) and inputs, row chunks
// past the texture and binding limits, the profile's row threshold, dx unchanged, memory freed, errors by name.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ops, backward, noGrad, type Tensor } from '../../src/engine/index.ts';
import { getDevice, closeDevice, testIf } from '../helpers/gpu.ts';
import { rand, toGpu, assertClose, type Host } from '../helpers/ref.ts';

/** x [..., K] · wᵀ + b in f64 (w [N, K]). */
function refLinear(x: Host, w: Host, b: Host | null): Float64Array {
  const [N, K] = w.shape as [number, number], M = x.data.length / K, y = new Float64Array(M * N);
  for (let m = 0; m < M; m++) for (let n = 0; n < N; n++) {
    let s = b ? b.data[n]! : 0;
    for (let k = 0; k < K; k++) s += x.data[m * K + k]! * w.data[n * K + k]!;
    y[m * N + n] = s;
  }
  return y;
}
const firstDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  if (a.length !== b.length) return 0;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return i;
  return -1;
};
const TEX = (await getDevice()).profile.matmul.includes('texture-32x64');

testIf(TEX, 'no texture matmul on this adapter')('prepareLinear: bit for bit the texture path without it, and the f64 reference, on odd shapes and strided views', async () => {
  const { Device } = await import('../../src/engine/index.ts');
  // Every product on the texture kernel, with or without the prepared weight.
  const dev = await Device.create({ profile: { matmulTextureMin: 0, matmulTextureMinRows: 0, matmulTextureMinRowsContiguousB: 0, linearPreparedMinRows: 0 } });
  try {
    // [x shape, N, bias]: one row, odd K and N (not multiples of 4 or of the 64-column tile), leading batch dims.
    const cases: [number[], number, boolean][] = [[[1, 3], 5, true], [[3, 65], 257, false], [[2, 33, 257], 65, true], [[65, 1], 3, true], [[1, 130], 1, false]];
    for (const [xs, N, withBias] of cases) {
      const K = xs.at(-1)!, xh = rand(xs, 1), wh = rand([N, K], 2), bh = withBias ? rand([N], 3) : null;
      const x = toGpu(dev, xh), w = toGpu(dev, wh), b = bh ? toGpu(dev, bh) : null;
      const prep = ops.prepareLinear(w);
      assert.ok(prep.tex, `w [${N}, ${K}] is laid out as a texture`);
      const [p, u] = noGrad(dev, () => [ops.linear(x, w, b, { prepared: prep }), ops.linear(x, w, b)]);
      assert.equal(p!.shape, [...xs.slice(0, -1), N]);
      const pv = await p!.toArray(), uv = await u!.toArray(), at = firstDiff(pv, uv);
      const what = `x ${JSON.stringify(xs)} · w [${N}, ${K}]ᵀ${bh ? ' + b' : ''}`;
      assert.is(at, -1, `${what}: prepared ${pv[at]} vs unprepared ${uv[at]} at ${at}`);
      assertClose(pv, refLinear(xh, wh, bh), `${what} vs reference`);
      prep.dispose();
      for (const t of [x, w, b, p!, u!]) t?.dispose();
    }
    // The weight as a row block of a larger one (VAR's mat_qkv split into q, k, v) and as a transposed view; x strided.
    const Wh = rand([3 * 20, 37], 4), W = toGpu(dev, Wh), xh = rand([37, 9], 5), xT = ops.permute(toGpu(dev, xh), [1, 0]);
    const xRows: Host = { shape: [9, 37], data: Float64Array.from({ length: 9 * 37 }, (_, i) => xh.data[(i % 37) * 9 + Math.floor(i / 37)]!) };
    for (let j = 0; j < 3; j++) {
      const wj = ops.slice(W, 0, 20 * j, 20 * (j + 1)), prep = ops.prepareLinear(wj);
      const y = noGrad(dev, () => ops.linear(xT, ops.slice(W, 0, 20 * j, 20 * (j + 1)), null, { prepared: prep }));
      const whj: Host = { shape: [20, 37], data: Wh.data.slice(20 * 37 * j, 20 * 37 * (j + 1)) };
      assertClose(await y.toArray(), refLinear(xRows, whj, null), `row block ${j} of W with a transposed x`);
      prep.dispose(); y.dispose(); wj.dispose();
    }
    const vh = rand([37, 11], 6), v = toGpu(dev, vh), vT = ops.permute(v, [1, 0]), prep = ops.prepareLinear(vT);
    const y = noGrad(dev, () => ops.linear(xT, vT, null, { prepared: prep }));
    const vTh: Host = { shape: [11, 37], data: Float64Array.from({ length: 11 * 37 }, (_, i) => vh.data[(i % 37) * 11 + Math.floor(i / 37)]!) };
    assertClose(await y.toArray(), refLinear(xRows, vTh, null), 'w as a transposed view');
    for (const t of [prep, y, v, vT, W, xT]) t.dispose();
    assert.is(dev.poolStats().ownedTextureBytes, 0, 'dispose() freed every prepared texture');
  } finally { dev.destroy(); }
});

testIf(TEX, 'no texture matmul on this adapter')('prepareLinear: rows in chunks past maxTextureDimension2D and the binding limit; no texture for a K past it', async () => {
  const { Device } = await import('../../src/engine/index.ts');
  const dev = await Device.create({ profile: { linearPreparedMinRows: 0 } });
  try {
    (dev as any).maxTexture2D = 64;
    // 150 rows need 3 chunks of 64 texture rows (the last of 22 rows); K = 20 and N = 70 fit the texture (5 and 32 texels).
    const xh = rand([3, 50, 20], 7), wh = rand([70, 20], 8), bh = rand([70], 9);
    const x = toGpu(dev, xh), w = toGpu(dev, wh), b = toGpu(dev, bh), prep = ops.prepareLinear(w);
    assert.ok(prep.tex);
    const before = dev.stats.dispatches;
    const y = noGrad(dev, () => ops.linear(x, w, b, { prepared: prep }));
    assert.is(dev.stats.dispatches - before, 6, 'three chunks of rows: a pack and a product each');
    assertClose(await y.toArray(), refLinear(xh, wh, bh), 'row chunks past the texture height');
    // Binding limit: x's rows split so that each window stays within it (a 64 KiB limit holds 819 rows of K = 20).
    const saved = { maxBinding: dev.maxBinding };
    (dev as any).maxTexture2D = 8192; (dev as any).maxBinding = 64 * 1024;
    const xh2 = rand([2000, 20], 10), x2 = toGpu(dev, xh2);
    const y2 = noGrad(dev, () => ops.linear(x2, w, b, { prepared: prep }));
    assertClose(await y2.toArray(), refLinear(xh2, wh, bh), 'row chunks past the binding limit');
    Object.assign(dev, saved); (dev as any).maxTexture2D = 64;
    // w [130, 400] under a 256-texel limit: 3 column tiles of 100 steps are 300 texture rows at 1 step per row (64
    // texels), 150 at 2 (128 texels): two steps per row.
    (dev as any).maxTexture2D = 256;
    const wh4 = rand([130, 400], 13), w4 = toGpu(dev, wh4), p4 = ops.prepareLinear(w4), xh4 = rand([33, 400], 14), x4 = toGpu(dev, xh4);
    assert.equal(p4.tiled, { q: 2, ts: 50 });
    assert.is(p4.bytes, 128 * 150 * 16);
    const y4 = noGrad(dev, () => ops.linear(x4, w4, null, { prepared: p4 }));
    assertClose(await y4.toArray(), refLinear(xh4, wh4, null), 'two steps per texture row');
    for (const t of [p4, w4, x4, y4]) t.dispose();
    (dev as any).maxTexture2D = 64;
    // K = 300 is 75 steps: more than 64 texture rows even at 1 step per row (the most a 64-texel row holds): no
    // texture, and linear runs as without the prepared weight.
    const wh3 = rand([6, 300], 11), w3 = toGpu(dev, wh3), p3 = ops.prepareLinear(w3), xh3 = rand([40, 300], 12), x3 = toGpu(dev, xh3);
    assert.is(p3.tex, null);
    assert.is(p3.bytes, 0);
    const y3 = noGrad(dev, () => ops.linear(x3, w3, null, { prepared: p3 }));
    assertClose(await y3.toArray(), refLinear(xh3, wh3, null), 'no texture: the plain product');
    for (const t of [prep, p3, x, w, b, y, x2, y2, w3, x3, y3]) t.dispose();
  } finally { dev.destroy(); }
});

test('prepareLinear: below linearPreparedMinRows the plain product runs; x may require grad (dx as without it); errors by name', async () => {
  const dev = await getDevice();
  const K = 40, N = 66, R = dev.profile.linearPreparedMinRows;
  const wh = rand([N, K], 13), bh = rand([N], 14), w = toGpu(dev, wh), b = toGpu(dev, bh), prep = ops.prepareLinear(w);
  assert.is(!!prep.tex, TEX, 'a texture exactly where the adapter has the texture matmul');
  assert.is(prep.bytes, prep.tex ? 16 * (16 * Math.ceil(N / 64)) * (4 * Math.ceil(K / 4)) : 0, 'texels: N padded to 64 columns / 4 wide, 4·ceil(K/4) rows');
  for (const M of [1, Math.max(R - 1, 1), R, R + 9]) {
    const xh = rand([M, K], 15 + M), gh = rand([M, N], 16 + M);
    const run = async (prepared?: typeof prep) => {
      const x = toGpu(dev, xh), gy = toGpu(dev, gh);
      x.requiresGrad = true;
      const y = ops.linear(x, w, b, { prepared });
      backward(y, gy);
      const r = [await y.toArray(), await x.grad!.toArray()];
      for (const t of [x, gy, y]) t.dispose();
      return r;
    };
    const [yp, dxp] = await run(prep), [yu, dxu] = await run();
    assertClose(yp!, refLinear(xh, wh, bh), `M ${M}: y with the prepared weight vs reference`);
    assertClose(yp!, yu!, `M ${M}: y with and without the prepared weight`, 1e-6, 1e-6);
    assert.is(firstDiff(dxp!, dxu!), -1, `M ${M}: dx with and without the prepared weight`);
  }
  // A prepared weight for another w, a disposed one, or a w that needs a gradient is refused by name.
  const x = toGpu(dev, rand([3, K], 17)), w2 = toGpu(dev, wh);
  assert.throws(() => ops.linear(x, w2, b, { prepared: prep }), /linear: the prepared weight was made for w \[66, 40\] \(tensor \d+\), not for this call's w \[66, 40\] \(tensor \d+\); call prepareLinear\(w\)/);
  w.requiresGrad = true;
  assert.throws(() => ops.linear(x, w, b, { prepared: prep }), /linear: a prepared weight is for inference, but w \[66, 40\] requires grad here/);
  const y = noGrad(dev, () => ops.linear(x, w, b, { prepared: prep }));
  w.requiresGrad = false;
  prep.dispose();
  assert.throws(() => ops.linear(x, w, b, { prepared: prep }), /linear: the prepared weight \(w \[66, 40\]\) was disposed/);
  assert.throws(() => ops.prepareLinear(toGpu(dev, rand([4], 18))), /prepareLinear: w must be an f32 \[out, in\] tensor/);
  for (const t of [x, w, w2, b, y]) t.dispose();
});

test.after(closeDevice);
test.run();
