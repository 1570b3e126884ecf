// groupNormSiluConv2d = conv2d(silu(groupNorm(x))): against the f64 reference and bit for bit against the two ops, on
// every path the conv can take (shifted rows row-major and column-tiled, per-image windows, im2col, the direct kernels,
// prepared weights); the shifted-row path must not write the normalised tensor (no groupnorm_apply dispatch); with
// gradients it is the two ops, gradients included.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ops, backward, noGrad, Device, WorkCounter, type Tensor, type GroupNormArgs, type Conv2dOpts } from '../../src/engine/index.ts';
import { getDevice, closeDevice, testIf } from '../helpers/gpu.ts';
import { rand, toGpu, assertClose, type Host } from '../helpers/ref.ts';
import { refConv, refGroupNorm, type Pad } from '../helpers/ref_nn.ts';

const silu = (h: Host): Host => ({ shape: h.shape, data: h.data.map((v) => v / (1 + Math.exp(-v))) });
const TEX = (await getDevice()).profile.textureMatmul;
const ALL_TEX = { convTextureMin: 0, convTextureMinOut: 0, convShiftMinOut: 0, convTextureMinSmallPlanes: 0 };

interface Case { name: string; x: number[]; O: number; groups: number; affine: boolean; S?: number; pad?: Pad; eps?: number }

/** The fused op and the two ops on one device (no gradients): outputs, and the kernels the fused op dispatched. */
async function run(dev: Device, c: Case, opts: { prepared?: boolean } = {}) {
  const C = c.x[1]!, pad = c.pad ?? [1, 1, 1, 1], S = c.S ?? 1;
  const xh = rand(c.x, 11 + C), wh = rand([c.O, C, 3, 3], 12 + C, -0.3, 0.3), bh = rand([c.O], 13);
  const gwh = rand([C], 14, 0.5, 1.5), gbh = rand([C], 15, -0.5, 0.5);
  // A mean far from zero and a spread per plane, as the decoder's activations have.
  const xs = { shape: xh.shape, data: xh.data.map((v, i) => 3 + v * (1 + (Math.floor(i / (c.x[2]! * c.x[3]!)) % 3))) };
  const [x, w, b, gw, gb] = [xs, wh, bh, gwh, gbh].map((h) => toGpu(dev, h));
  const norm: GroupNormArgs = { groups: c.groups, weight: c.affine ? gw : null, bias: c.affine ? gb : null, ...(c.eps ? { eps: c.eps } : {}) };
  const prepared = opts.prepared ? ops.prepareConv(w!, b!, { stride: S, padding: pad }) : undefined;
  const convOpts: Conv2dOpts = { stride: S, padding: pad, prepared };
  const counter = new WorkCounter();
  (dev as { counter: WorkCounter | null }).counter = counter;
  const fused = noGrad(dev, () => ops.groupNormSiluConv2d(x!, norm, w!, b!, convOpts));
  (dev as { counter: WorkCounter | null }).counter = null;
  const twoOps = noGrad(dev, () => { const h = ops.groupNormSilu(x!, c.groups, norm.weight, norm.bias, c.eps ?? 1e-5); const y = ops.conv2d(h, w!, b!, convOpts); h.dispose(); return y; });
  const out = { fused: await fused.toArray() as Float32Array, twoOps: await twoOps.toArray() as Float32Array, kernels: [...counter.kernels.keys()] };
  const ref = refConv(silu(refGroupNorm(xs, c.groups, c.affine ? gwh : null, c.affine ? gbh : null, c.eps ?? 1e-5)), wh, bh, S, pad);
  prepared?.dispose();
  for (const t of [x, w, b, gw, gb, fused, twoOps]) t!.dispose();
  return { ...out, ref };
}

function same(a: Float32Array, b: Float32Array, what: string) {
  assert.is(a.length, b.length, `${what}: lengths`);
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i]) && !(a[i] === 0 && b[i] === 0)) assert.unreachable(`${what}: element ${i} is ${a[i]}, the two ops give ${b[i]}`);
}

const SHIFT: Case[] = [
  { name: 'shifted rows, row-major (W 8)', x: [2, 8, 8, 8], O: 5, groups: 4, affine: true },
  { name: 'shifted rows, column tiles (W 32)', x: [2, 4, 3, 32], O: 3, groups: 2, affine: true },
  { name: 'shifted rows, one group, no affine, eps 1e-6', x: [1, 6, 5, 12], O: 7, groups: 1, affine: false, eps: 1e-6 },
];

testIf(TEX, 'no texture matmul on this adapter')('groupNormSiluConv2d: shifted rows read x through the coefficients (no normalised tensor), the two ops bit for bit', async () => {
  const dev = await Device.create({ profile: ALL_TEX });
  for (const c of SHIFT) for (const prepared of [false, true]) {
    const r = await run(dev, c, { prepared });
    const what = `${c.name}${prepared ? ', prepared' : ''}`;
    assert.ok(r.kernels.includes('conv/shift_tex'), `${what}: takes the shifted rows (${r.kernels.join(', ')})`);
    assert.not.ok(r.kernels.includes('norm/groupnorm_apply'), `${what}: writes no normalised tensor (${r.kernels.join(', ')})`);
    assertClose(r.fused, r.ref.data, `${what} vs f64`, 2e-5, 1e-4);
    same(r.fused, r.twoOps, what);
  }
  dev.destroy();
});

testIf(TEX, 'no texture matmul on this adapter')('groupNormSiluConv2d: per-image windows (binding limit lowered) index each image\'s coefficients', async () => {
  const dev = await Device.create({ profile: ALL_TEX });
  const c: Case = { name: 'three images, one per window', x: [3, 8, 16, 16], O: 4, groups: 4, affine: true };
  const d = dev as unknown as { maxBinding: number }, saved = d.maxBinding;
  d.maxBinding = 4 * 8 * 16 * 16 + 2 * dev.storageAlign; // one image of x per binding
  let r;
  try { r = await run(dev, c); } finally { d.maxBinding = saved; }
  assert.ok(r.kernels.includes('conv/shift_tex') && !r.kernels.includes('norm/groupnorm_apply'), r.kernels.join(', '));
  assertClose(r.fused, r.ref.data, `${c.name} vs f64`, 2e-5, 1e-4);
  same(r.fused, r.twoOps, c.name);
  dev.destroy();
});

test('groupNormSiluConv2d: im2col and the direct kernels get the normalised tensor written, the same values as the two ops', async () => {
  const devs: [string, Device][] = [['direct', await Device.create({ profile: { convTextureMin: Infinity } })]];
  if (TEX) devs.push(['texture', await Device.create({ profile: ALL_TEX })]);
  const cases: Case[] = [
    { name: 'stride 2, pad [0, 1, 0, 1]', x: [2, 8, 9, 9], O: 5, groups: 2, affine: true, S: 2, pad: [0, 1, 0, 1] },
    { name: 'small planes (4²)', x: [3, 8, 4, 4], O: 6, groups: 4, affine: true },
    { name: 'W not a multiple of 4', x: [2, 4, 6, 7], O: 3, groups: 2, affine: false },
  ];
  for (const [dn, dev] of devs) for (const c of cases) for (const prepared of [false, true]) {
    const r = await run(dev, c, { prepared });
    const what = `${dn}: ${c.name}${prepared ? ', prepared' : ''}`;
    assert.not.ok(r.kernels.includes('conv/shift_tex'), `${what}: ${r.kernels.join(', ')}`);
    assert.ok(r.kernels.includes('norm/groupnorm_apply'), `${what}: ${r.kernels.join(', ')}`);
    assertClose(r.fused, r.ref.data, `${what} vs f64`, 2e-5, 1e-4);
    same(r.fused, r.twoOps, what);
  }
  for (const [, dev] of devs) dev.destroy();
});

test('groupNormSiluConv2d with gradients is the two ops: output and the gradients of x, the norm and the conv', async () => {
  const dev = await Device.create(TEX ? { profile: ALL_TEX } : {});
  const hs = [rand([2, 8, 6, 8], 21), rand([8], 22, 0.5, 1.5), rand([8], 23), rand([5, 8, 3, 3], 24, -0.3, 0.3), rand([5], 25)];
  const dy = rand([2, 5, 6, 8], 26);
  const grads = async (fused: boolean) => {
    const [x, gw, gb, w, b] = hs.map((h) => { const t = toGpu(dev, h); t.requiresGrad = true; return t; }) as Tensor[];
    const y = fused ? ops.groupNormSiluConv2d(x!, { groups: 4, weight: gw, bias: gb }, w!, b!, { padding: 1 })
      : ops.conv2d(ops.groupNormSilu(x!, 4, gw, gb), w!, b!, { padding: 1 });
    const g = toGpu(dev, dy);
    backward(y, g);
    const out = [await y.toArray() as Float32Array];
    for (const t of [x, gw, gb, w, b]) out.push(await t!.grad!.toArray() as Float32Array);
    for (const t of [x, gw, gb, w, b, y, g]) t!.dispose();
    return out;
  };
  const [a, e] = [await grads(true), await grads(false)];
  ['output', 'dx', 'd norm weight', 'd norm bias', 'dw', 'db'].forEach((n, i) => same(a[i]!, e[i]!, `with gradients: ${n}`));
  dev.destroy();
});

test('groupNormSiluConv2d: bad groups and shapes name the op', async () => {
  const dev = await getDevice();
  const x = toGpu(dev, rand([1, 6, 4, 4], 31)), w = toGpu(dev, rand([2, 6, 3, 3], 32));
  assert.throws(() => noGrad(dev, () => ops.groupNormSiluConv2d(x, { groups: 4 }, w, null, { padding: 1 })), /groupNormSiluConv2d: 4 groups do not divide 6 channels/);
  const w5 = toGpu(dev, rand([2, 5, 3, 3], 33));
  assert.throws(() => noGrad(dev, () => ops.groupNormSiluConv2d(x, { groups: 3 }, w5, null, { padding: 1 })), /conv2d/);
  for (const t of [x, w, w5]) t.dispose();
});

test.after(closeDevice);
test.run();
