// conv2d and upsampleNearest2x on the real adapter: forward vs f64 CPU references on odd shapes, strides and paddings,
// backward vs finite differences, PyTorch goldens, channel-chunked paths (binding limit lowered; the texture path's
// windows and chunks), prepared weights (prepareConv, nn.Conv2d.prepare) against repacked ones bit for bit, texture packs
// staged in row chunks against whole ones bit for bit, error messages.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ops, backward, noGrad, Rng, Device, WorkCounter, countWork, type Tensor } from '../../src/engine/index.ts';
import * as nn from '../../src/engine/nn/index.ts';
import { openSafetensors } from '../../src/engine/io/safetensors.ts';
import { getDevice, closeDevice, testIf } from '../helpers/gpu.ts';
import { checkOp, chunkedAgrees, rand, toGpu, swapCB, assertClose, type Host } from '../helpers/ref.ts';
import { refConv, type Pad } from '../helpers/ref_nn.ts';

function refUp2(x: Host): Host {
  const [B, C, H, W] = x.shape as [number, number, number, number];
  const y = new Float64Array(B * C * 4 * H * W);
  for (let p = 0; p < B * C; p++) for (let i = 0; i < 2 * H; i++) for (let j = 0; j < 2 * W; j++)
    y[(p * 2 * H + i) * 2 * W + j] = x.data[(p * H + (i >> 1)) * W + (j >> 1)]!;
  return { shape: [B, C, 2 * H, 2 * W], data: y };
}

// [x shape, w shape, bias?, stride, padding]
const CASES: [number[], number[], boolean, number, Pad][] = [
  [[1, 1, 1, 1], [1, 1, 1, 1], true, 1, [0, 0, 0, 0]],
  [[2, 3, 5, 7], [4, 3, 3, 3], true, 1, [1, 1, 1, 1]],
  [[1, 3, 7, 9], [5, 3, 3, 3], true, 2, [0, 1, 0, 1]], // VAR Downsample2x
  [[1, 65, 3, 5], [3, 65, 3, 3], false, 1, [1, 1, 1, 1]],
  [[1, 3, 5, 6], [65, 3, 1, 1], true, 1, [0, 0, 0, 0]],
  [[2, 2, 9, 7], [3, 2, 3, 3], true, 2, [1, 1, 1, 1]],
  [[1, 2, 4, 5], [3, 2, 3, 3], false, 1, [2, 0, 1, 0]],
  [[1, 3, 5, 5], [4, 3, 1, 1], true, 2, [0, 0, 0, 0]],
  [[1, 2, 6, 6], [2, 2, 5, 5], true, 2, [2, 2, 2, 2]],
  [[1, 1, 3, 257], [2, 1, 3, 3], true, 1, [1, 1, 1, 1]],
  [[1, 9, 1, 1], [7, 9, 3, 3], true, 1, [1, 1, 1, 1]],
  [[1, 2, 3, 4], [2, 2, 3, 3], true, 1, [3, 3, 3, 3]], // padding past the kernel (negative padding in dx)
  [[1, 2, 3, 3], [3, 2, 1, 1], false, 1, [1, 0, 0, 1]],
  [[2, 4, 6, 10], [40, 4, 3, 3], true, 1, [1, 1, 1, 1]], // two weight windows of 32 output channels
];
for (const [xs, ws, bias, S, pad] of CASES) {
  test(`conv2d x${JSON.stringify(xs)} w${JSON.stringify(ws)}${bias ? ' +b' : ''} stride ${S} pad ${JSON.stringify(pad)}`, async () => {
    const dev = await getDevice();
    const inputs = [rand(xs, 1), rand(ws, 2), ...(bias ? [rand([ws[0]!], 3)] : [])];
    await checkOp(dev, 'conv2d', inputs, ([x, w, b]) => ops.conv2d(x!, w!, b ?? null, { stride: S, padding: pad }),
      ([x, w, b]) => refConv(x!, w!, b ?? null, S, pad), { atol: 2e-5, rtol: 1e-4 });
  });
}

const TEX = (await getDevice()).profile;
/** Every texture path of conv2d on from the first multiply-add: forward, dx (stride 1) and dw. */
const ALL_TEX = { convTextureMin: 0, convTextureMinOut: 0, convShiftMinOut: 0, convWeightGradTextureMin: 0, convWeightGradMinOut: 0, matmulNarrowMin: 0 };

testIf(TEX.textureMatmul, 'no texture matmul on this adapter')('conv2d as an implicit GEMM on the texture matmul (thresholds 0): odd shapes, strides, bias, splits past maxTextureDimension2D; dx and dw as products too', async () => {
  const { Device } = await import('../../src/engine/index.ts');
  const dev = await Device.create({ profile: ALL_TEX });
  try {
    const tex: [number[], number[], boolean, number, Pad][] = [
      [[2, 3, 1, 1], [5, 3, 3, 3], true, 1, [1, 1, 1, 1]],
      [[2, 5, 3, 7], [17, 5, 3, 3], false, 1, [1, 1, 1, 1]],
      [[1, 17, 7, 3], [3, 17, 3, 3], true, 1, [1, 1, 1, 1]],
      [[2, 3, 65, 7], [5, 3, 3, 3], true, 1, [1, 1, 1, 1]],
      [[1, 5, 65, 65], [3, 5, 3, 3], false, 1, [1, 1, 1, 1]],
      [[2, 40, 7, 9], [40, 40, 3, 3], true, 1, [1, 1, 1, 1]], // two 32-row tiles of output channels
      [[1, 3, 7, 9], [5, 3, 3, 3], true, 2, [0, 1, 0, 1]], // stride 2, asymmetric padding
      [[2, 3, 5, 6], [7, 3, 1, 1], false, 1, [0, 0, 0, 0]],
      [[1, 2, 6, 6], [2, 2, 5, 5], true, 2, [2, 2, 2, 2]],
      // W a multiple of 4: the shifted-rows layout (conv/shift_tex, conv/pack_wtex)
      [[1, 3, 1, 4], [5, 3, 3, 3], true, 1, [1, 1, 1, 1]],
      [[2, 5, 7, 4], [17, 5, 3, 3], true, 1, [1, 1, 1, 1]],
      [[1, 17, 3, 8], [3, 17, 3, 3], false, 1, [1, 1, 1, 1]],
      [[2, 40, 5, 12], [40, 40, 3, 3], true, 1, [1, 1, 1, 1]],
      [[1, 3, 33, 64], [5, 3, 3, 3], true, 1, [1, 1, 1, 1]],
      // W a multiple of 32: B in column tiles stored every gcd(W, 64) pixels, each ky shift a whole number of them
      // (W 128: two images as batch items of the tiled layout, k = 210 with steps past the last whole texture row,
      // 2 tiles of output channels; W 32: overlapping tiles every 32 pixels, three images); W 48: row-major again
      [[2, 70, 3, 128], [33, 70, 3, 3], true, 1, [1, 1, 1, 1]],
      [[3, 6, 5, 32], [9, 6, 3, 3], true, 1, [1, 1, 1, 1]],
      [[2, 5, 4, 48], [7, 5, 3, 3], false, 1, [1, 1, 1, 1]],
      // Planes below a 64-column tile with several images: folded side by side into shared tiles (im2col_tex and
      // matmul_tex FOLD): 8 pixels per image (a lane's 8 columns in one image: the unchecked stores), 16 with two
      // 32-row tiles of output channels, 9 (a lane's columns straddle images), each with a partial last tile
      [[9, 5, 2, 4], [17, 5, 3, 3], true, 1, [1, 1, 1, 1]],
      [[5, 3, 4, 4], [40, 3, 3, 3], true, 1, [1, 1, 1, 1]],
      [[7, 4, 3, 3], [6, 4, 1, 1], false, 1, [0, 0, 0, 0]],
    ];
    for (const [xs, ws, bias, S, pad] of tex) {
      const inputs = [rand(xs, 40), rand(ws, 41), ...(bias ? [rand([ws[0]!], 42)] : [])];
      // dw on the texture matmul (shifted rows for 3×3 stride 1 pad 1 with W % 4 = 0, else im2col) for every case, and
      // for stride 1 with padding below the kernel size dx too (flipped weight): checked against differences
      const dxTex = S === 1 && pad.every((v, i) => v < ws[i < 2 ? 2 : 3]!);
      await checkOp(dev, `conv2d tex x${JSON.stringify(xs)} w${JSON.stringify(ws)}`, inputs, ([x, w, b]) => ops.conv2d(x!, w!, b ?? null, { stride: S, padding: pad }),
        ([x, w, b]) => refConv(x!, w!, b ?? null, S, pad), { atol: 2e-5, rtol: 1e-4, grad: dxTex ? [0, 1] : [1] });
    }
    // dx of a strided 3×3 forward (VAR's Downsample2x and a pad-1 stride 2) through the zero canvas: a stride-1
    // convolution on the shifted-row texture path, no direct kernel; checked against differences. Bottom padding 2
    // puts dy's last row past the canvas: that one stays on the direct kernel.
    for (const [xs, ws, pad, canvas] of [[[2, 5, 8, 8], [6, 5, 3, 3], [0, 1, 0, 1], true], [[1, 3, 8, 12], [4, 3, 3, 3], [1, 1, 1, 1], true],
      [[1, 2, 7, 8], [3, 2, 3, 3], [0, 1, 0, 1], true], [[1, 2, 8, 8], [3, 2, 3, 3], [1, 2, 1, 2], false]] as [number[], number[], Pad, boolean][]) {
      const inputs = [rand(xs, 52), rand(ws, 53)];
      const c = new WorkCounter();
      dev.counter = c;
      await checkOp(dev, `conv2d tex stride 2 dx x${JSON.stringify(xs)} pad ${JSON.stringify(pad)}`, inputs, ([x, w]) => ops.conv2d(x!, w!, null, { stride: 2, padding: pad }),
        ([x, w]) => refConv(x!, w!, null, 2, pad), { atol: 2e-5, rtol: 1e-4, grad: [0, 1] });
      dev.counter = null;
      assert.is(c.kernels.has('conv/shift_tex') && !c.kernels.has('conv/conv2d') && !c.kernels.has('conv/conv2d_3x3'), canvas, `stride-2 dx ran ${[...c.kernels.keys()]}`);
    }
    // every element of dx on the texture path against the direct kernel's (the default device keeps it for these sizes)
    {
      const base = await getDevice(), xh = rand([2, 17, 6, 8], 49), wh = rand([40, 17, 3, 3], 50), gh = rand([2, 40, 6, 8], 51);
      const dxOn = async (d: typeof dev) => {
        const x = toGpu(d, xh), w = toGpu(d, wh), gy = toGpu(d, gh);
        x.requiresGrad = true;
        const y = ops.conv2d(x, w, null, { padding: 1 });
        backward(y, gy);
        const r = await x.grad!.toArray();
        for (const t of [x, w, gy, y]) t.dispose();
        return r;
      };
      assertClose(await dxOn(dev), Array.from(await dxOn(base)), 'conv2d tex dx vs direct dx', 1e-5, 1e-4);
    }
    // dw on the texture path against the direct kernel's, every element (a 4-image batch accumulates over images)
    {
      const base = await getDevice(), xh = rand([4, 17, 6, 8], 52), wh = rand([40, 17, 3, 3], 53);
      const dwOn = async (d: typeof dev, S: number, pad: Pad) => {
        const x = toGpu(d, xh), w = toGpu(d, wh);
        w.requiresGrad = true;
        const y = ops.conv2d(x, w, null, { stride: S, padding: pad }), gy = toGpu(d, rand([...y.shape], 55));
        backward(y, gy);
        const r = await w.grad!.toArray();
        for (const t of [x, w, gy, y]) t.dispose();
        return r;
      };
      for (const [S, pad] of [[1, [1, 1, 1, 1]], [2, [0, 1, 0, 1]]] as [number, Pad][])
        assertClose(await dwOn(dev, S, pad), Array.from(await dwOn(base, S, pad)), `conv2d tex dw vs direct dw (stride ${S})`, 1e-4, 1e-4);
    }
    // maxTextureDimension2D 64: K = 153 in three k chunks (the first adds the bias), 300 pixels in two chunks, one image each
    (dev as any).maxTexture2D = 64;
    await checkOp(dev, 'conv2d tex split', [rand([2, 17, 20, 15], 43), rand([5, 17, 3, 3], 44), rand([5], 45)],
      ([x, w, b]) => ops.conv2d(x!, w!, b!, { padding: 1 }), ([x, w, b]) => refConv(x!, w!, b!, 1, [1, 1, 1, 1]), { atol: 2e-5, rtol: 1e-4, grad: false });
    // shifted rows: 52 texture rows per image, so one image per dispatch
    await checkOp(dev, 'conv2d tex shift split', [rand([2, 17, 6, 8], 46), rand([5, 17, 3, 3], 47), rand([5], 48)],
      ([x, w, b]) => ops.conv2d(x!, w!, b!, { padding: 1 }), ([x, w, b]) => refConv(x!, w!, b!, 1, [1, 1, 1, 1]), { atol: 2e-5, rtol: 1e-4, grad: false });
    assert.ok(dev.poolStats().textureBytes > 0, 'the im2col path ran');
  } finally { dev.destroy(); }
});

testIf(TEX.textureMatmul, 'no texture matmul on this adapter')('conv2d texture path split over input-channel windows, output-channel windows, row chunks and k chunks (binding 256 KiB, textures 128 texels)', async () => {
  const { Device } = await import('../../src/engine/index.ts');
  const dev = await Device.create({ profile: ALL_TEX });
  try {
    (dev as any).maxTexture2D = 128;
    // Forward, dx and dw (db runs on the direct kernel, checked chunked above). x [2, 30, 48, 64]: 21 of its 3,072-element
    // planes per 256 KiB window; shifted rows: 92 texture rows, 6 output rows per chunk; y windows of 22 output channels;
    // dw's shifted rows: 96 rows per block, pixel chunks of 2 output rows
    await chunkedAgrees(dev, 'conv2d tex chunked shift', 262144, [rand([2, 30, 48, 64], 70), rand([40, 30, 3, 3], 71, -0.2, 0.2), rand([40], 72)],
      ([x, w, b]) => ops.conv2d(x!, w!, b!, { padding: 1 }), ([x, w, b]) => refConv(x!, w!, b!, 1, [1, 1, 1, 1]), { grads: [0, 1] });
    // im2col (W % 4 != 0): 276 k rows in chunks of 128, pixel chunks, channel and output windows
    await chunkedAgrees(dev, 'conv2d tex chunked im2col', 262144, [rand([2, 30, 48, 63], 73), rand([40, 30, 3, 3], 74, -0.2, 0.2), rand([40], 75)],
      ([x, w, b]) => ops.conv2d(x!, w!, b!, { padding: 1 }), ([x, w, b]) => refConv(x!, w!, b!, 1, [1, 1, 1, 1]), { grads: [0] });
    await chunkedAgrees(dev, 'conv2d tex chunked down2x', 262144, [rand([2, 30, 48, 64], 76), rand([33, 30, 3, 3], 77, -0.2, 0.2)],
      ([x, w]) => ops.conv2d(x!, w!, null, { stride: 2, padding: [0, 1, 0, 1] }), ([x, w]) => refConv(x!, w!, null, 2, [0, 1, 0, 1]), { grads: [0] });
    // dw over im2col (276 patch rows are above 128: dw of the two cases above runs on the direct kernel): 12 channels, 108
    // rows; 5 planes per 64 KiB window
    await chunkedAgrees(dev, 'conv2d tex chunked down2x dw', 65536, [rand([2, 12, 48, 64], 81), rand([33, 12, 3, 3], 82, -0.2, 0.2)],
      ([x, w]) => ops.conv2d(x!, w!, null, { stride: 2, padding: [0, 1, 0, 1] }), ([x, w]) => refConv(x!, w!, null, 2, [0, 1, 0, 1]), { grads: [1] });
    await chunkedAgrees(dev, 'conv2d tex chunked 1x1', 262144, [rand([2, 30, 48, 64], 78), rand([40, 30, 1, 1], 79), rand([40], 80)],
      ([x, w, b]) => ops.conv2d(x!, w!, b!), ([x, w, b]) => refConv(x!, w!, b!, 1, [0, 0, 0, 0]), { grads: [0, 1] });
    // small planes: dw folds 12 images' 25 pixels along k (80 texels of A), but not 24 (160 > 128: one product per image)
    for (const B of [12, 24])
      await checkOp(dev, `small planes, ${B} images`, [rand([B, 8, 5, 5], 83), rand([16, 8, 3, 3], 84), rand([16], 85)],
        ([x, w, b]) => ops.conv2d(x!, w!, b!, { padding: 1 }), ([x, w, b]) => refConv(x!, w!, b!, 1, [1, 1, 1, 1]), { grad: [0, 1] });
  } finally { dev.destroy(); }
});

/** The first index where two arrays differ bit for bit, or -1. */
const firstDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  if (a.length !== b.length) return 0;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return i;
  return -1;
};

test('prepareConv: prepared and unprepared forwards agree bit for bit on each forced path, one prepared weight reused across calls and input sizes', async () => {
  const { Device } = await import('../../src/engine/index.ts');
  const base = await getDevice();
  const tex = base.profile.textureMatmul;
  const devs: [string, Awaited<ReturnType<typeof Device.create>>][] = [['direct', await Device.create({ profile: { convTextureMin: Infinity } })]];
  if (tex) devs.push(['texture', await Device.create({ profile: { convTextureMin: 0, convTextureMinOut: 0, convShiftMinOut: 0 } })]);
  else console.log('  (no texture matmul on this adapter: the direct path only)');
  // [w shape, stride, padding, input shapes]: 3×3 stride 1 pad 1 (W % 4 = 0: shifted rows, else im2col), the
  // downsample (stride 2, pad right/bottom), 1×1
  const cases: [number[], number, Pad, number[][]][] = [
    [[17, 5, 3, 3], 1, [1, 1, 1, 1], [[1, 5, 7, 8], [2, 5, 4, 12], [1, 5, 5, 7], [1, 5, 1, 1]]],
    [[5, 3, 3, 3], 2, [0, 1, 0, 1], [[1, 3, 7, 9], [2, 3, 8, 8], [1, 3, 2, 2]]],
    [[65, 33, 1, 1], 1, [0, 0, 0, 0], [[1, 33, 3, 5], [2, 33, 8, 4]]],
  ];
  try {
    for (const [path, dev] of devs) for (const [ws, S, pad, xss] of cases) {
      const wh = rand(ws, 60), bh = rand([ws[0]!], 61), w = toGpu(dev, wh), b = toGpu(dev, bh);
      const prep = ops.prepareConv(w, b, { stride: S, padding: pad });
      assert.is(prep.path, path, `w ${JSON.stringify(ws)}: prepared for the ${path} path`);
      for (const [i, xs] of xss.entries()) {
        const xh = rand(xs, 62 + i), x = toGpu(dev, xh);
        const a = ops.conv2d(x, w, b, { stride: S, padding: pad, prepared: prep }), u = ops.conv2d(x, w, b, { stride: S, padding: pad });
        const av = await a.toArray(), uv = await u.toArray(), at = firstDiff(av, uv);
        const what = `${path} w ${JSON.stringify(ws)} x ${JSON.stringify(xs)}`;
        assert.is(at, -1, `${what}: prepared ${av[at]} vs unprepared ${uv[at]} at ${at}`);
        assertClose(av, refConv(xh, wh, bh, S, pad).data, `${what} vs reference`, 2e-5, 1e-4);
        for (const t of [x, a, u]) t.dispose();
      }
      prep.dispose();
      assert.ok(prep.disposed);
      for (const t of [w, b]) t.dispose();
    }
    if (tex) assert.is(devs[1]![1].poolStats().ownedTextureBytes, 0, 'dispose() freed the prepared textures');
  } finally { for (const [, d] of devs) d.destroy(); }
});

test('prepareConv: the path follows the weight and the profile; x may require grad (dx as without it)', async () => {
  const dev = await getDevice();
  const p = dev.profile, tex = p.textureMatmul;
  const small = toGpu(dev, rand([p.convShiftMinOut - 1, 4, 3, 3], 81)), big = toGpu(dev, rand([p.convShiftMinOut, 4, 3, 3], 82));
  const p1 = ops.prepareConv(small, null, { padding: 1 }), p2 = ops.prepareConv(big, null, { padding: 1 });
  assert.is(p1.path, 'direct');
  // auto follows the profile: the texture path where the adapter has one and convTextureMin is finite (not without subgroups).
  assert.is(p2.path, tex && p.convTextureMin !== Infinity ? 'texture' : 'direct');
  // x requires grad, w does not: the forward uses the prepared weight, dx is the usual one.
  const xh = rand([1, 4, 6, 8], 83), gh = rand([1, p.convShiftMinOut, 6, 8], 84);
  const dxOf = async (prepared?: typeof p2) => {
    const x = toGpu(dev, xh), gy = toGpu(dev, gh);
    x.requiresGrad = true;
    const y = ops.conv2d(x, big, null, { padding: 1, prepared });
    backward(y, gy);
    const r = [await y.toArray(), await x.grad!.toArray()];
    for (const t of [x, gy, y]) t.dispose();
    return r;
  };
  const [yp, dxp] = await dxOf(p2), [yu, dxu] = await dxOf();
  assert.is(firstDiff(yp!, yu!), -1, 'y with and without the prepared weight');
  assert.is(firstDiff(dxp!, dxu!), -1, 'dx with and without the prepared weight');
  for (const t of [p1, p2, small, big]) t.dispose();
});

testIf(TEX.textureMatmul && TEX.convShiftMinOut < TEX.convTextureMinOut, 'the two output-channel thresholds coincide on this adapter')('conv2d and prepareConv: kernels of several taps (strided too) take the texture path from convShiftMinOut output channels, 1×1 kernels from convTextureMinOut', async () => {
  const dev = await Device.create({ profile: { convTextureMin: 0 } });
  const O = dev.profile.convShiftMinOut;
  const cases: [string, number, number, Pad, boolean][] = [
    ['3×3 stride 2, pad [0, 1, 0, 1]', 3, 2, [0, 1, 0, 1], true], ['3×3 stride 1, odd width', 3, 1, [1, 1, 1, 1], true],
    ['1×1', 1, 1, [0, 0, 0, 0], false],
  ];
  for (const [name, k, S, pad, tex] of cases) {
    const xh = rand([2, 8, 9, 9], 95), wh = rand([O, 8, k, k], 96, -0.3, 0.3);
    const [x, w] = [xh, wh].map((h) => toGpu(dev, h)) as [Tensor, Tensor];
    const { result: y, counter } = await countWork(dev, () => noGrad(dev, () => ops.conv2d(x, w, null, { stride: S, padding: pad })));
    assert.is([...counter.kernels.keys()].some((n) => n.startsWith('matmul/matmul_tex')), tex, `${name}, ${O} output channels: ${[...counter.kernels.keys()].join(', ')}`);
    assertClose(await y.toArray(), refConv(xh, wh, null, S, pad).data, name, 2e-5, 1e-4);
    const p = ops.prepareConv(w, null, { stride: S, padding: pad });
    assert.is(p.path, tex ? 'texture' : 'direct', `${name}: prepareConv's path`);
    for (const t of [x, w, y, p]) t.dispose();
  }
  dev.destroy();
});

testIf(TEX.textureMatmul && TEX.convTextureMin !== Infinity, 'the forward conv keeps the direct kernels on this adapter')('conv2d: small planes in a batch take the folded texture path from convTextureMinSmallPlanes multiply-adds (forward, dx and dw); one image, fewer multiply-adds or fewer output channels the direct kernels', async () => {
  // x [B, C, 3, 5] ⊛ w [O, C, 3, 3], pad 1: B·O·15·C·9 multiply-adds, the same for dx (C output channels).
  const C = TEX.convTextureMinOut, macs = (B: number, O: number) => B * O * 15 * C * 9;
  const run = async (B: number, O: number, threshold: number, grad: boolean) => {
    const dev = await Device.create({ profile: { convTextureMinSmallPlanes: threshold } });
    try {
      const { counter } = await countWork(dev, () => checkOp(dev, `conv ${B}×${C}→${O} @3×5, threshold ${threshold}`, [rand([B, C, 3, 5], 91), rand([O, C, 3, 3], 92), rand([O], 93)],
        ([x, w, b]) => ops.conv2d(x!, w!, b, { padding: 1 }), ([x, w, b]) => refConv(x!, w!, b!, 1, [1, 1, 1, 1]), { grad: grad ? [0, 1] : false }));
      const ks = [...counter.kernels.keys()];
      return { tex: ks.some((k) => k.startsWith('matmul/matmul_tex')), direct: ks.some((k) => k === 'conv/conv2d_3x3' || k.startsWith('conv/conv2d_dw')) };
    } finally { dev.destroy(); }
  };
  const at = await run(3, C, macs(3, C), true);
  assert.ok(at.tex && !at.direct, 'at the threshold: forward, dx and dw on the texture product');
  const below = await run(3, C, macs(3, C) + 1, true);
  assert.ok(below.direct && !below.tex, 'one multiply-add short: the direct kernels');
  const one = await run(1, C, 0, false);
  assert.ok(one.direct && !one.tex, 'one image: the direct kernels');
  const narrow = await run(3, C - 1, 0, false);
  assert.ok(narrow.direct && !narrow.tex, 'fewer than convTextureMinOut output channels: the direct kernels');
});

test('nn.Conv2d.prepare(): forward with the prepared weight matches the plain forward', async () => {
  const dev = await getDevice();
  const layer = new nn.Conv2d(dev, new Rng(3), 5, 7, 3, { stride: 2, padding: [0, 1, 0, 1] });
  const prep = layer.prepare(), x = toGpu(dev, rand([2, 5, 9, 8], 90));
  const a = noGrad(dev, () => layer.forward(x, prep)), u = noGrad(dev, () => layer.forward(x));
  assert.is(firstDiff(await a.toArray(), await u.toArray()), -1);
  assert.throws(() => layer.forward(x, prep), /a prepared weight is for inference, but w \[7, 5, 3, 3\] requires grad here/);
  for (const t of [prep, x, a, u, layer.weight, layer.bias!]) t.dispose();
});

test('prepareConv / conv2d: a prepared weight for other arguments, a disposed one, or one whose weight needs a gradient is refused by name', async () => {
  const dev = await getDevice();
  const t = (s: number[], seed = 1) => toGpu(dev, rand(s, seed));
  const x = t([1, 3, 6, 8]), w = t([4, 3, 3, 3]), w2 = t([4, 3, 3, 3], 2), b = t([4]);
  const prep = ops.prepareConv(w, b, { padding: 1 });
  assert.throws(() => ops.conv2d(x, w2, b, { padding: 1, prepared: prep }), /conv2d: the prepared weight was made for w \[4, 3, 3, 3\], b \[4\], stride 1, padding \[1,1,1,1\] \(tensors \d+, \d+\), not for this call's w \[4, 3, 3, 3\], b \[4\], stride 1, padding \[1,1,1,1\]/);
  assert.throws(() => ops.conv2d(x, w, null, { padding: 1, prepared: prep }), /made for .*b \[4\].*not for this call's w \[4, 3, 3, 3\], no bias/);
  assert.throws(() => ops.conv2d(x, w, b, { stride: 2, padding: 1, prepared: prep }), /not for this call's .*stride 2/);
  assert.throws(() => ops.conv2d(x, w, b, { padding: [0, 1, 0, 1], prepared: prep }), /not for this call's .*padding \[0,1,0,1\]/);
  w.requiresGrad = true;
  assert.throws(() => ops.conv2d(x, w, b, { padding: 1, prepared: prep }), /conv2d: a prepared weight is for inference, but w \[4, 3, 3, 3\] requires grad here; run under noGrad\(\)/);
  const y = noGrad(dev, () => ops.conv2d(x, w, b, { padding: 1, prepared: prep }));
  assert.equal([...y.shape], [1, 4, 6, 8]);
  w.requiresGrad = false;
  prep.dispose();
  assert.throws(() => ops.conv2d(x, w, b, { padding: 1, prepared: prep }), /conv2d: the prepared weight \(w \[4, 3, 3, 3\], b \[4\], stride 1, padding \[1,1,1,1\]\) was disposed/);
  assert.throws(() => ops.prepareConv(x.shape.length === 4 ? t([4, 3, 3]) : x), /prepareConv: w must be an f32 \[O, C, KH, KW\] tensor/);
  assert.throws(() => ops.prepareConv(w, t([5])), /prepareConv: b must be an f32 \[4\] tensor/);
  assert.throws(() => ops.prepareConv(w, b, { path: 'fast' as 'auto' }), /prepareConv: path must be 'auto', 'texture' or 'direct'/);
  for (const v of [x, w, w2, b, y]) v.dispose();
});

test('conv2d: a numeric padding, and a non-contiguous x', async () => {
  const dev = await getDevice();
  // x arrives as [C, B, H, W] and is permuted to [B, C, H, W] (a strided view).
  await checkOp(dev, 'conv2d strided x', [rand([3, 2, 4, 5], 4), rand([2, 3, 3, 3], 5)],
    ([x, w]) => ops.conv2d(ops.permute(x!, [1, 0, 2, 3]), w!, null, { padding: 1 }), ([x, w]) => refConv(swapCB(x!), w!, null, 1, [1, 1, 1, 1]));
});

test('conv2d matches PyTorch goldens (s1p1, down2x, k1): y, dx, dw, db', async () => {
  const dev = await getDevice();
  const f = await openSafetensors('test/fixtures/golden/ops.safetensors');
  const cfg: Record<string, { stride: number; padding: Pad }> = {
    s1p1: { stride: 1, padding: [1, 1, 1, 1] }, down2x: { stride: 2, padding: [0, 1, 0, 1] }, k1: { stride: 1, padding: [0, 0, 0, 0] },
  };
  for (const [name, opts] of Object.entries(cfg)) {
    const get = async (k: string) => { const t = await f.read(`conv2d.${name}.${k}`); return { t, g: toGpu(dev, { shape: t.shape, data: Float64Array.from(t.data) }) }; };
    const [x, w, b, y, dy, dx, dw, db] = await Promise.all(['x', 'w', 'b', 'y', 'dy', 'dx', 'dw', 'db'].map(get));
    for (const p of [x!, w!, b!]) p.g.requiresGrad = true;
    const out = ops.conv2d(x!.g, w!.g, b!.g, opts);
    assert.equal([...out.shape], y!.t.shape, `${name}: shape`);
    assertClose(await out.toArray(), y!.t.data, `conv2d.${name}.y`, 1e-5, 1e-4);
    backward(out, dy!.g);
    assertClose(await x!.g.grad!.toArray(), dx!.t.data, `conv2d.${name}.dx`, 1e-5, 1e-4);
    assertClose(await w!.g.grad!.toArray(), dw!.t.data, `conv2d.${name}.dw`, 1e-5, 1e-4);
    assertClose(await b!.g.grad!.toArray(), db!.t.data, `conv2d.${name}.db`, 1e-5, 1e-4);
    for (const t of [x, w, b, y, dy, dx, dw, db]) t!.g.dispose();
    out.dispose();
  }
});

test('conv2d and upsample split over channel chunks above the binding limit (limit lowered to 256 KiB)', async () => {
  const dev = await getDevice();
  // x [1, 40, 48, 48] is 360 KiB: input channels in chunks of 28, output channels in dispatches of 16 (not 32).
  await chunkedAgrees(dev, 'conv2d chunked', 262144, [rand([1, 40, 48, 48], 6), rand([40, 40, 3, 3], 7, -0.2, 0.2), rand([40], 8)],
    ([x, w, b]) => ops.conv2d(x!, w!, b!, { padding: 1 }), ([x, w, b]) => refConv(x!, w!, b!, 1, [1, 1, 1, 1]));
  await chunkedAgrees(dev, 'conv2d chunked stride 2', 262144, [rand([2, 40, 47, 46], 9), rand([33, 40, 3, 3], 10, -0.2, 0.2)],
    ([x, w]) => ops.conv2d(x!, w!, null, { stride: 2, padding: [0, 1, 0, 1] }), ([x, w]) => refConv(x!, w!, null, 2, [0, 1, 0, 1]));
  await chunkedAgrees(dev, 'upsample chunked', 262144, [rand([2, 9, 31, 32], 11)], ([x]) => ops.upsampleNearest2x(x!), ([x]) => refUp2(x!));
});

for (const shape of [[1, 1, 1, 1], [2, 3, 5, 7], [1, 65, 3, 1], [2, 3, 3, 8]]) { // W % 4 == 0: the vec4 kernel
  test(`upsampleNearest2x [${shape}]`, async () => {
    const dev = await getDevice();
    await checkOp(dev, 'upsampleNearest2x', [rand(shape, 12)], ([x]) => ops.upsampleNearest2x(x!), ([x]) => refUp2(x!));
  });
}

// The direct weight-gradient kernels (below the texture thresholds): x read through a 64 KiB uniform window
// (conv/conv2d_dw_sgu, x's window at most 16,384 values; whole batches and per-image channel windows) and through
// storage (conv/conv2d_dw_sg, a larger x), each checked to run its kernel, against f64 sums of dy · x.
testIf(TEX.convWeightGradUniformX, 'the profile keeps x in storage on this adapter')('conv2d weight gradient on the direct kernels: x as a uniform window and as storage, f64 sums', async () => {
  const dev = await getDevice();
  for (const [B, C, O, H, W, S, pad, kernel] of [[4, 16, 8, 6, 5, 1, [1, 1, 1, 1], 'conv/conv2d_dw_sgu'], [2, 3, 5, 9, 8, 2, [0, 1, 0, 1], 'conv/conv2d_dw_sgu'],
    [1, 5, 3, 70, 60, 1, [1, 1, 1, 1], 'conv/conv2d_dw_sg']] as [number, number, number, number, number, number, Pad, string][]) {
    const xh = rand([B, C, H, W], 61), wh = rand([O, C, 3, 3], 62);
    const x = toGpu(dev, xh), w = toGpu(dev, wh);
    w.requiresGrad = true;
    const counter = new WorkCounter(); dev.counter = counter;
    const y = ops.conv2d(x, w, null, { stride: S, padding: pad });
    const [, , OH, OW] = y.shape as [number, number, number, number];
    const gh = rand([B, O, OH, OW], 63);
    backward(y, toGpu(dev, gh));
    const got = await w.grad!.toArray();
    dev.counter = null;
    assert.ok(counter.kernels.has(kernel), `[${B}, ${C}, ${H}, ${W}] -> ${O}: dw ran ${[...counter.kernels.keys()]}, expected ${kernel}`);
    const want = new Float64Array(O * C * 9);
    for (let b = 0; b < B; b++) for (let o = 0; o < O; o++) for (let c = 0; c < C; c++) for (let ky = 0; ky < 3; ky++) for (let kx = 0; kx < 3; kx++) {
      let acc = 0;
      for (let oy = 0; oy < OH; oy++) for (let ox = 0; ox < OW; ox++) {
        const iy = oy * S + ky - pad[0], ix = ox * S + kx - pad[2];
        if (iy >= 0 && iy < H && ix >= 0 && ix < W) acc += gh.data[((b * O + o) * OH + oy) * OW + ox]! * Math.fround(xh.data[((b * C + c) * H + iy) * W + ix]!);
      }
      want[((o * C + c) * 3 + ky) * 3 + kx]! += acc;
    }
    assertClose(got, want, `dw [${B}, ${C}, ${H}, ${W}] -> ${O} (${kernel})`, 1e-4, 1e-4);
    for (const t of [x, w, y]) t.dispose();
  }
});

// The bias gradient on both kernels: one 64-invocation workgroup per output channel (perRowReductionMinRows 0) and one
// invocation per channel (1), against an f64 sum of dy over images and pixels; odd pixel counts, one and 17 channels,
// and a run of more than 64 pixels per block.
for (const [name, min, kernel] of [['workgroup', 0, 'conv/conv2d_db'], ['per-channel', 1, 'conv/conv2d_db_per_channel']] as const) {
  test(`conv2d bias gradient, ${name} kernel: f64 sums of dy`, async () => {
    const dev = await Device.create({ profile: { perRowReductionMinRows: min } });
    try {
      const counter = new WorkCounter(); dev.counter = counter;
      for (const [B, C, O, H, W] of [[1, 2, 1, 1, 1], [2, 3, 17, 5, 7], [3, 2, 5, 13, 11]] as const) {
        const xh = rand([B, C, H, W], 51), wh = rand([O, C, 3, 3], 52), bh = rand([O], 53), gh = rand([B, O, H, W], 54, -2, 2);
        const [x, w, b, g] = [xh, wh, bh, gh].map((h) => toGpu(dev, h)) as [Tensor, Tensor, Tensor, Tensor];
        b.requiresGrad = true;
        const y = ops.conv2d(x, w, b, { padding: 1 });
        backward(y, g);
        const want = new Float64Array(O);
        for (let i = 0; i < B; i++) for (let o = 0; o < O; o++) for (let k = 0; k < H * W; k++) want[o]! += gh.data[(i * O + o) * H * W + k]!;
        assertClose(await b.grad!.toArray(), want, `${name}: db [${B}, ${O}, ${H}, ${W}]`, 1e-5, 1e-5);
        for (const t of [x, w, b, g, y]) t.dispose();
      }
      dev.counter = null;
      assert.ok(counter.kernels.has(kernel), `${name}: ${kernel} dispatched (got ${[...counter.kernels.keys()].join(', ')})`);
    } finally { dev.destroy(); }
  });
}

test('conv2d / upsample errors name the op and the shapes', async () => {
  const dev = await getDevice();
  const t = (s: number[]) => toGpu(dev, rand(s, 1));
  const x = t([1, 3, 5, 5]), w = t([4, 2, 3, 3]), w3 = t([4, 3, 3, 3]), x3 = t([3, 5, 5]), b = t([5]);
  assert.throws(() => ops.conv2d(x, w), /conv2d: w expects 2 input channels but x has 3 \(x \[1, 3, 5, 5\], w \[4, 2, 3, 3\]\)/);
  assert.throws(() => ops.conv2d(x3, w3), /conv2d: x must be \[B, C, H, W\], got x \[3, 5, 5\]/);
  assert.throws(() => ops.conv2d(x, w3, b), /conv2d: b must be \[4\]/);
  assert.throws(() => ops.conv2d(x, w3, null, { stride: 0 }), /conv2d: stride must be a positive integer/);
  assert.throws(() => ops.conv2d(x, t([1, 3, 7, 7])), /conv2d: empty output \[1, 1, -1, -1\]/);
  assert.throws(() => ops.upsampleNearest2x(x3), /upsampleNearest2x: x must be an f32 \[B, C, H, W\] tensor, got Tensor\(\[3, 5, 5\]/);
  for (const v of [x, w, w3, x3, b] as Tensor[]) v.dispose();
});

testIf(TEX.textureMatmul, 'no texture matmul on this adapter')('conv2d texture path: packs staged in row chunks (binding lowered to 4 KiB) agree bit for bit with whole-texture staging (forward; dx of the shifted rows)', async () => {
  const { Device } = await import('../../src/engine/index.ts');
  const dev = await Device.create({ profile: ALL_TEX });
  // Every tensor window fits 4 KiB, the textures' staging buffers do not (B 24-72 rows, the weight 32 rows of 512 B),
  // so only fillTexture's row chunks change: the outputs must not.
  // (dx of the other two runs on the direct kernel, whose packed weight would exceed the lowered limit.)
  const cases: [string, number[], number[], number, Pad, boolean][] = [
    ['shifted rows', [1, 8, 8, 8], [8, 8, 3, 3], 1, [1, 1, 1, 1], true],
    ['im2col', [1, 8, 8, 7], [8, 8, 3, 3], 1, [1, 1, 1, 1], false],
    ['im2col stride 2', [1, 8, 8, 8], [6, 8, 3, 3], 2, [0, 1, 0, 1], false],
  ];
  const run = async (xh: Host, wh: Host, bh: Host, S: number, pad: Pad, dx: boolean) => {
    const x = toGpu(dev, xh), w = toGpu(dev, wh), b = toGpu(dev, bh);
    x.requiresGrad = dx;
    const y = ops.conv2d(x, w, b, { stride: S, padding: pad }), gy = toGpu(dev, rand([...y.shape], 93));
    const out = [await y.toArray()];
    if (dx) { backward(y, gy); out.push(await x.grad!.toArray()); }
    for (const t of [x, w, b, y, gy]) t.dispose();
    return out;
  };
  try {
    for (const [name, xs, ws, S, pad, dx] of cases) {
      const xh = rand(xs, 90), wh = rand(ws, 91, -0.3, 0.3), bh = rand([ws[0]!], 92);
      const c0 = dev.stats.textureCopies, whole = await run(xh, wh, bh, S, pad, dx);
      assertClose(whole[0]!, refConv(xh, wh, bh, S, pad).data, `${name}: forward vs reference`, 2e-5, 1e-4);
      const d = dev as unknown as { maxBinding: number }, saved = d.maxBinding;
      d.maxBinding = 4096;
      let split: (Float32Array | Int32Array | Uint32Array)[];
      const c1 = dev.stats.textureCopies;
      try { split = await run(xh, wh, bh, S, pad, dx); } finally { d.maxBinding = saved; }
      assert.ok(dev.stats.textureCopies - c1 > c1 - c0, `${name}: the lowered limit did not split the staging (${dev.stats.textureCopies - c1} vs ${c1 - c0} copies)`);
      whole.forEach((_, i) => {
        const n = ['y', 'dx'][i];
        const at = firstDiff(split[i]!, whole[i]!);
        assert.is(at, -1, `${name}: ${n} with chunked staging ${split[i]![at]} vs whole ${whole[i]![at]} at ${at}`);
      });
    }
  } finally { dev.destroy(); }
});

test.after(closeDevice);
test.run();
