// resample (area / bilinear / bicubic) on the real adapter: PyTorch goldens, the f64 tap reference of
// src/engine/cpu/resample.ts on odd shapes both ways, backward vs finite differences, errors.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ops, backward, fromArray } from '../../src/engine/index.ts';
import { resampleTaps1d } from '../../src/engine/cpu/resample.ts';
import { openSafetensors } from '../../src/engine/io/safetensors.ts';
import { resampleRaw, type ResampleMode } from '../../src/engine/ops/resample.ts';
import { view } from '../../src/engine/tensor.ts';
import { getDevice, closeDevice } from '../helpers/gpu.ts';
import { checkOp, rand, toGpu, assertClose, type Host } from '../helpers/ref.ts';

const GOLDEN = 'test/fixtures/golden/resample.safetensors';
const MODES: ResampleMode[] = ['area', 'bilinear', 'bicubic'];

/** f64 reference: y = Wy · x · Wxᵀ per plane with the CPU reference's 1-D tap tables. */
function ref(x: Host, oh: number, ow: number, mode: ResampleMode): Host {
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const ty = resampleTaps1d(H, oh, mode), tx = resampleTaps1d(W, ow, mode);
  const y = new Float64Array(N * C * oh * ow);
  for (let p = 0; p < N * C; p++)
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++) {
        let s = 0;
        for (let ky = 0; ky < ty.taps; ky++)
          for (let kx = 0; kx < tx.taps; kx++)
            s += ty.w[oy * ty.taps + ky]! * tx.w[ox * tx.taps + kx]! * x.data[p * H * W + ty.idx[oy * ty.taps + ky]! * W + tx.idx[ox * tx.taps + kx]!]!;
        y[(p * oh + oy) * ow + ox] = s;
      }
  return { shape: [N, C, oh, ow], data: y };
}

test('goldens: forward and backward match torch F.interpolate (area, bilinear, bicubic)', async () => {
  const dev = await getDevice();
  const f = await openSafetensors(GOLDEN);
  const cases = f.keys().filter((k) => k.endsWith('.x') && !k.startsWith('nearest')).map((k) => k.slice(0, -2));
  assert.ok(cases.length >= 25, `expected >= 25 golden cases, found ${cases.length}`);
  for (const key of cases) {
    const mode = key.split('.')[0] as ResampleMode;
    const [x, y, dy, dx] = await Promise.all(['x', 'y', 'dy', 'dx'].map((s) => f.read(`${key}.${s}`)));
    const xt = fromArray(dev, x!.data, x!.shape); xt.requiresGrad = true;
    const yt = ops.resample(xt, y!.shape[2]!, y!.shape[3]!, mode);
    assert.equal([...yt.shape], y!.shape, `${key}: shape`);
    assertClose(await yt.toArray(), y!.data, `${key} forward`, 1e-5, 0);
    const g = fromArray(dev, dy!.data, dy!.shape);
    backward(yt, g);
    assertClose(await xt.grad!.toArray(), dx!.data, `${key} backward`, 1e-5, 0);
    for (const t of [xt, yt, g]) t.dispose();
  }
});

// Odd sizes in both directions, incl. 1, 3, 65, 257, non-square, and the quantizer's 2 -> 32 / 32 -> 9 cases.
const SIZES: [number[], number, number][] = [
  [[1, 1, 1, 1], 3, 5], [[1, 3, 3, 1], 1, 4], [[2, 3, 7, 9], 4, 13], [[1, 1, 3, 257], 2, 65], [[1, 2, 65, 3], 257, 1],
  [[1, 1, 2, 2], 32, 32], [[1, 2, 32, 32], 9, 9], [[2, 1, 13, 6], 13, 6],
];
for (const mode of MODES) for (const [shape, oh, ow] of SIZES) {
  test(`${mode} [${shape}] -> ${oh}x${ow} vs f64 taps and finite differences`, async () => {
    const dev = await getDevice();
    await checkOp(dev, `resample.${mode}`, [rand(shape, 7 + oh)], ([x]) => ops.resample(x!, oh, ow, mode), ([x]) => ref(x!, oh, ow, mode),
      { atol: 2e-6, rtol: 1e-5, gradAtol: 1e-4, gradRtol: 1e-4, eps: 1e-3 });
  });
}

test('bilinear on an RGB image-sized batch, 128 -> 512 rows spot-checked against the reference', async () => {
  const dev = await getDevice();
  const x = rand([1, 3, 16, 24], 99, 0, 1);
  const y = ops.resample(toGpu(dev, x), 64, 96, 'bilinear');
  assertClose(await y.toArray(), ref(x, 64, 96, 'bilinear').data, 'bilinear 16x24 -> 64x96', 2e-6, 1e-5);
  y.dispose();
});

test('strided input (a permuted [B, H, W, C] view) and a strided output view', async () => {
  const dev = await getDevice();
  const x = rand([2, 3, 5, 7], 31);
  const xt = toGpu(dev, x);
  const nhwc = ops.contiguous(ops.permute(xt, [0, 2, 3, 1]));
  const y = ops.resample(ops.permute(nhwc, [0, 3, 1, 2]), 4, 9, 'bicubic');
  assertClose(await y.toArray(), ref(x, 4, 9, 'bicubic').data, 'bicubic of a permuted view', 2e-6, 1e-5);
  // Output written as rows 1..1+4·9 of a [2, 40, 3] buffer seen channel-first.
  const buf = ops.fill(dev, [2, 40, 3], 5);
  const dst = view(buf, [2, 3, 4, 9], [120, 1, 27, 3], 3);
  resampleRaw(xt, [2, 3, 4, 9], 'area', false, dst);
  const got = await buf.toArray(), want = ref(x, 4, 9, 'area').data;
  for (let b = 0; b < 2; b++) for (let r = 0; r < 40; r++) for (let c = 0; c < 3; c++) {
    const v = got[(b * 40 + r) * 3 + c]!;
    if (r === 0 || r > 36) assert.is(v, 5, 'rows outside the view untouched');
    else assert.ok(Math.abs(v - want[(b * 3 + c) * 36 + r - 1]!) < 2e-6, `area into a strided view at b=${b} r=${r} c=${c}`);
  }
});

test('errors name the op and the shapes', async () => {
  const dev = await getDevice();
  const x = toGpu(dev, rand([2, 3, 4], 1));
  assert.throws(() => ops.resample(x, 2, 2, 'bilinear'), /resample: expected an \[B, C, H, W\] tensor, got Tensor\(\[2, 3, 4\]/);
  const x4 = toGpu(dev, rand([1, 1, 4, 4], 2));
  assert.throws(() => ops.resample(x4, 0, 2, 'area'), /resample: outH must be a positive integer, got 0/);
  assert.throws(() => ops.resample(x4, 2, 2, 'lanczos' as ResampleMode), /resample: unknown mode 'lanczos'/);
  const xi = ops.cast(x4, 'i32');
  assert.throws(() => ops.resample(xi, 2, 2, 'area'), /resample: expected f32/);
  for (const t of [x, x4, xi]) t.dispose();
});

test.after(closeDevice);
test.run();
