// Rng on the real adapter: Philox known-answer vectors, GPU stream == CPU mirror (uniform / randint bitwise, normal
// to 1e-6), counter bookkeeping, seeds, split dispatches, and distribution statistics on 1e5 samples.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Rng } from '../../src/engine/index.ts';
import { philoxBlock } from '../../src/engine/rng.ts';
import { getDevice, closeDevice } from '../helpers/gpu.ts';
import { assertClose } from '../helpers/ref.ts';

const hex = (u: Uint32Array) => [...u].map((v) => v.toString(16).padStart(8, '0')).join(' ');
const bits = (a: ArrayLike<number> & { buffer: ArrayBufferLike }) => [...new Uint32Array(a.buffer)];

test('philox4x32-10 CPU mirror matches the Random123 known-answer vectors', () => {
  assert.is(hex(philoxBlock(0, 0, 0, 0, 0, 0)), '6627e8d5 e169c58d bc57ac4c 9b00dbd8');
  assert.is(hex(philoxBlock(0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff)), '408f276d 41c83b0e a20bc7c6 6d5451fd');
  assert.is(hex(philoxBlock(0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0)), 'd16cfe09 94fdcceb 5001e420 24126ea1');
});

for (const n of [1, 3, 65, 257, 4099]) {
  test(`uniform / randint: GPU values are bit-identical to the CPU mirror (n = ${n}), and the counter advances by ceil(n / 4)`, async () => {
    const dev = await getDevice();
    const g = new Rng(1234), h = new Rng(1234);
    const u = await g.uniform(dev, [n]).toArray();
    assert.equal(bits(u as Float32Array), bits(h.uniformHost(n)), 'uniform [0, 1)');
    assert.is(g.counter, BigInt(Math.ceil(n / 4)));
    const v = await g.uniform(dev, [n], -3, 5.5).toArray(); // the second draw continues the stream
    assert.equal(bits(v as Float32Array), bits(h.uniformHost(n, -3, 5.5)), 'uniform [-3, 5.5)');
    const r = await g.randint(dev, [n], -7, 4096).toArray();
    assert.equal([...r], [...h.randintHost(n, -7, 4096)], 'randint');
    assert.ok([...r].every((x) => x >= -7 && x < 4096));
    assert.is(g.counter, h.counter);
    assert.is(h.counter, BigInt(3 * Math.ceil(n / 4)));
  });
}

test('normal: GPU values match the CPU mirror within 1e-6 (odd lengths use the pair\'s second word)', async () => {
  const dev = await getDevice();
  for (const n of [1, 3, 65, 4097]) {
    const g = new Rng(99n), h = new Rng(99n);
    assertClose(await g.normal(dev, [n]).toArray(), h.normalHost(n), `normal n=${n}`, 1e-6, 1e-6);
    assertClose(await g.normal(dev, [n], 2, 0.5).toArray(), h.normalHost(n, 2, 0.5), `normal(2, 0.5) n=${n}`, 1e-6, 1e-6);
  }
});

test('seeds: same seed → same stream; different seeds or later draws → different values; 64-bit seeds; full i32 range', async () => {
  const dev = await getDevice();
  const a = await new Rng(7).uniform(dev, [64]).toArray(), b = await new Rng(7).uniform(dev, [64]).toArray();
  assert.equal([...a], [...b]);
  const c = await new Rng(8).uniform(dev, [64]).toArray();
  assert.ok([...a].filter((x, i) => x === c[i]).length < 2, 'seed 8 differs from seed 7');
  const big = new Rng(2n ** 63n + 5n), bigH = new Rng(2n ** 63n + 5n);
  assert.equal(bits(await big.uniform(dev, [9]).toArray() as Float32Array), bits(bigH.uniformHost(9)));
  assert.ok(bigH.uniformHost(4).some((x, i) => x !== new Rng(5).uniformHost(4)[i]), 'the high seed word matters');
  const full = new Rng(3), fullH = new Rng(3);
  assert.equal([...await full.randint(dev, [33], -(2 ** 31), 2 ** 31).toArray()], [...fullH.randintHost(33, -(2 ** 31), 2 ** 31)]);
  assert.throws(() => new Rng(1.5), /Rng: seed must be an integer/);
  assert.throws(() => new Rng(1).randint(dev, [2], 3, 3), /Rng.randint: need integers/);
});

test('draws split across dispatches (outputs above one storage binding) give the same stream', async () => {
  const dev = await getDevice();
  const saved = dev.maxBinding;
  (dev as { maxBinding: number }).maxBinding = 4096; // 896 floats = 224 blocks per dispatch
  try {
    const g = new Rng(5), h = new Rng(5);
    assert.equal(bits(await g.uniform(dev, [2, 1001]).toArray() as Float32Array), bits(h.uniformHost(2002)));
    assert.equal([...await g.randint(dev, [999], 0, 10).toArray()], [...h.randintHost(999, 0, 10)]);
  } finally { (dev as { maxBinding: number }).maxBinding = saved; }
});

test('statistics on 1e5 samples: uniform, normal, randint', async () => {
  const dev = await getDevice();
  const n = 100_000, rng = new Rng(2024);
  const moments = (x: ArrayLike<number>) => {
    let m = 0, v = 0;
    for (let i = 0; i < x.length; i++) m += x[i]!;
    m /= x.length;
    for (let i = 0; i < x.length; i++) v += (x[i]! - m) ** 2;
    return [m, v / (x.length - 1)] as const;
  };
  // Bounds are ~5 standard errors of the estimates.
  const u = await rng.uniform(dev, [n]).toArray();
  const [um, uv] = moments(u);
  assert.ok(Math.abs(um - 0.5) < 0.0046 && Math.abs(uv - 1 / 12) < 0.0013, `uniform mean ${um} var ${uv}`);
  assert.ok([...u].every((x) => x >= 0 && x < 1));
  const z = await rng.normal(dev, [n], 1, 2).toArray();
  const [zm, zv] = moments(z);
  assert.ok(Math.abs(zm - 1) < 0.032 && Math.abs(zv - 4) < 0.09, `normal mean ${zm} var ${zv}`);
  let tail = 0;
  for (const x of z) if (Math.abs(x - 1) > 2 * 1.96) tail++;
  assert.ok(Math.abs(tail / n - 0.05) < 0.0035, `normal two-sided 5% tail: ${tail / n}`);
  const r = await rng.randint(dev, [n], 0, 10).toArray();
  const counts = new Array(10).fill(0);
  for (const x of r) counts[x]++;
  const chi2 = counts.reduce((s, c) => s + (c - n / 10) ** 2 / (n / 10), 0);
  assert.ok(chi2 < 33.7, `randint chi² over 10 bins (9 dof, p = 1e-4 at 33.7): ${chi2} from ${counts}`);
});

test.after(closeDevice);
test.run();
