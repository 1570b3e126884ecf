// Device and memory behaviour: pool reuse only after submit, memory peaks, scopes, dispose, compile errors, out-of-memory, views.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { empty, fromArray, scope, ops, backward } from '../../src/engine/index.ts';
import { getDevice, closeDevice, testIf } from '../helpers/gpu.ts';

test('a released buffer is reused only after the submit that used it', async () => {
  const dev = await getDevice();
  await dev.sync();
  const a = empty(dev, [1000]);
  const buf = a.storage.buffer;
  a.dispose();
  const b = empty(dev, [1000]);
  assert.not.ok(b.storage.buffer === buf, 'reused before submit');
  dev.flush();
  const c = empty(dev, [1000]);
  assert.ok(c.storage.buffer === buf, 'not reused after submit');
  b.dispose(); c.dispose();
});

test('released buffers past flushPendingBytes trigger a submit, so a chain of big temporaries reuses them', async () => {
  const dev = await getDevice();
  const MiB = 2 ** 20, n = 12; // 12 steps of a 4 MiB temporary, far fewer dispatches than flushEvery
  const chain = () => {
    let x = fromArray(dev, new Float32Array(MiB), [MiB]);
    for (let i = 0; i < n; i++) { const y = ops.mulScalar(x, 0.5); x.dispose(); x = y; }
    x.dispose();
  };
  const run = async (pending: number) => {
    const keep = dev.flushPendingBytes;
    dev.flushPendingBytes = pending;
    try {
      await dev.sync();
      dev.resetPeakMemory({ trim: true });
      const base = dev.poolStats().createdBytes, submits = dev.stats.submits;
      chain();
      const s = dev.poolStats();
      await dev.sync();
      return { created: (s.peakCreatedBytes - base) / MiB, submits: dev.stats.submits - submits };
    } finally { dev.flushPendingBytes = keep; }
  };
  const none = await run(Infinity), capped = await run(8 * MiB);
  assert.ok(none.created >= 4 * (n + 1), `without the byte limit every temporary is a new buffer (${none.created} MiB)`);
  assert.ok(capped.created <= 4 * 5, `with an 8 MiB limit at most ~4 temporaries exist at once (${capped.created} MiB)`);
  assert.ok(capped.submits > none.submits, 'the limit submitted sooner');
});

test('memory peaks: live, created and total (with textures) since resetPeakMemory; trim drops the cache', async () => {
  const dev = await getDevice();
  const MiB = 2 ** 20; // bucket sizes: a power of two is its own bucket
  const warm = empty(dev, [MiB / 4]); warm.dispose();
  await dev.sync();
  dev.resetPeakMemory({ trim: true });
  let s = dev.poolStats();
  assert.is(s.pooledBytes, 0, 'trim destroyed the cached buffers');
  assert.is(s.textureBytes, 0, 'trim destroyed the scratch textures');
  assert.is(s.createdBytes, s.liveBytes);
  assert.equal([s.peakLiveBytes, s.peakCreatedBytes, s.peakTotalBytes], [s.liveBytes, s.createdBytes, s.createdBytes + s.ownedTextureBytes]);
  const base = s.liveBytes;
  const a = empty(dev, [MiB / 4]), b = empty(dev, [MiB / 2]); // 1 MiB and 2 MiB at once
  a.dispose(); b.dispose();
  const c = empty(dev, [MiB / 4]); // a fresh buffer: a's is not reusable before the submit
  c.dispose();
  await dev.sync();
  s = dev.poolStats();
  assert.is(s.peakLiveBytes - base, 3 * MiB, 'peak live: a and b together');
  assert.is(s.peakCreatedBytes - base, 4 * MiB, 'peak created: a, b and c');
  assert.is(s.liveBytes, base);
  dev.resetPeakMemory();
  s = dev.poolStats();
  assert.is(s.peakLiveBytes, base, 'reset to the live bytes now');
  assert.is(s.peakCreatedBytes, base + 4 * MiB, 'reset to the cached bytes now (no trim)');
  const d = empty(dev, [MiB / 2]); // from the pool: live grows, created does not
  s = dev.poolStats();
  assert.is(s.peakLiveBytes - base, 2 * MiB);
  assert.is(s.peakCreatedBytes - base, 4 * MiB);
  d.dispose();
  const tex = dev.createTexture('peak test', 64, 32); // 64·32 texels × 16 bytes
  const total = dev.poolStats().peakTotalBytes;
  dev.destroyTexture(tex);
  assert.is(total - dev.poolStats().createdBytes - dev.poolStats().ownedTextureBytes, 64 * 32 * 16, 'textures count in the total peak');
  dev.resetPeakMemory({ trim: true });
  s = dev.poolStats();
  assert.equal([s.peakLiveBytes, s.peakCreatedBytes, s.peakTotalBytes], [base, base, base + s.ownedTextureBytes]);
});

test('scope disposes what it does not return; views keep storage alive', async () => {
  const dev = await getDevice();
  const x = fromArray(dev, [1, 2, 3, 4, 5, 6], [2, 3]);
  let tmp: any;
  const y = scope(dev, () => {
    tmp = ops.exp(x);
    const t = ops.transpose(ops.mul(tmp, x));
    return ops.reshape(ops.copy(t), [6]);
  });
  assert.ok(tmp.isDisposed, 'intermediate not disposed');
  assert.not.ok(y.isDisposed);
  const want = [1, 4, 2, 5, 3, 6].map((v) => Math.fround(Math.exp(v)) * v);
  const got = await y.toArray();
  want.forEach((v, i) => assert.ok(Math.abs(got[i]! - v) <= 1e-5 * v, `value ${i}`));
  const s = ops.slice(y, 0, 2, 4);
  y.dispose();
  assert.equal([...(await s.toArray())].map((v) => +v.toFixed(2)), [2, 5].map((v) => +(Math.fround(Math.exp(v)) * v).toFixed(2)));
  s.dispose(); x.dispose();
});

test('movement ops: permute/slice/concat/pad forward and backward', async () => {
  const dev = await getDevice();
  const x = fromArray(dev, [...Array(24).keys()], [2, 3, 4]); x.requiresGrad = true;
  const p = ops.permute(x, [2, 0, 1]);
  assert.equal([...(await ops.contiguous(p).toArray())].slice(0, 6), [0, 4, 8, 12, 16, 20]);
  const c = ops.concat([ops.slice(x, 2, 1, 3), x], 2);
  assert.equal(c.shape, [2, 3, 6]);
  assert.equal([...(await c.toArray())].slice(0, 6), [1, 2, 0, 1, 2, 3]);
  const q = ops.pad(x, [[0, 0], [1, 0], [0, 2]], -1);
  assert.equal(q.shape, [2, 4, 6]);
  assert.equal([...(await q.toArray())].slice(0, 8), [-1, -1, -1, -1, -1, -1, 0, 1]);
  backward(ops.add(ops.sum(c), ops.sum(ops.mul(q, q))));
  // d/dx: concat counts x once plus the slice [1:3] once more; pad contributes 2x.
  const g = await x.grad!.toArray();
  for (let i = 0; i < 24; i++) { const k = i % 4; assert.is(g[i], 1 + (k === 1 || k === 2 ? 1 : 0) + 2 * i, `grad ${i}`); }
  x.dispose();
});

test('a kernel compile error is reported with the kernel name and line', async () => {
  const dev = await getDevice();
  const { KERNELS } = await import('../../src/engine/kernels.gen.ts');
  KERNELS['test/broken'] = '@compute @workgroup_size(1) fn main() { let x: f32 = undefined_thing; }';
  try { dev.pipeline('test/broken'); await dev.checkErrors(); assert.unreachable('no error'); }
  catch (e) { assert.match(String(e), /kernel 'test\/broken' failed to compile/); assert.match(String(e), /undefined_thing|unresolved/); }
  // Using it again throws at once instead of hanging.
  assert.throws(() => dev.pipeline('test/broken'), /failed to compile/);
  // The device still works.
  assert.equal([...(await ops.add(fromArray(dev, [1], [1]), fromArray(dev, [2], [1])).toArray())], [3]);
});

test('allocations above the adapter limit give a clear out-of-memory error', async () => {
  const dev = await getDevice();
  const limit = dev.dev.limits.maxBufferSize;
  const n = Math.ceil(limit / 4) + 1024;
  assert.throws(() => empty(dev, [n]), /out of memory: .*maxBufferSize/);
  assert.throws(() => empty(dev, [2, -1]), /invalid shape/);
});

test('reading a disposed tensor fails clearly', async () => {
  const dev = await getDevice();
  const t = fromArray(dev, [1, 2], [2]);
  t.dispose();
  try { await t.toArray(); assert.unreachable(); } catch (e) { assert.match(String(e), /disposed/); }
});

testIf((await getDevice()).hasF16, 'no shader-f16 on this adapter')('f16 storage: cast f32 -> f16 -> f32 rounds like IEEE half', async () => {
  const dev = await getDevice();
  const { f32ToF16Bits: f32ToF16, f16ToF32 } = await import('../../src/engine/half.ts');
  const vals = [0, 1, -2.5, 65504, 1e-5, 3.14159, -0.1, 7];
  const h = ops.cast(fromArray(dev, vals, [vals.length]), 'f16');
  assert.is(h.dtype, 'f16');
  const back = await ops.cast(h, 'f32').toArray();
  assert.equal([...back], vals.map((v) => f16ToF32(f32ToF16(v))));
  assert.equal([...(await h.toArray())], vals.map((v) => f16ToF32(f32ToF16(v))));
});

test('gradcheck passes a correct composite and catches a wrong gradient', async () => {
  const dev = await getDevice();
  const { gradcheck } = await import('../../src/engine/gradcheck.ts');
  const { record } = await import('../../src/engine/autograd.ts');
  const { mapN } = await import('../../src/engine/ops/map.ts');
  const data = Float32Array.from({ length: 7 }, (_, i) => (i - 3) * 0.4);
  const good = await gradcheck(dev, ([x]) => ops.mul(ops.tanh(x!), ops.exp(x!)), [{ shape: [7], data }]);
  assert.ok(good.ok, good.worst);
  // An op whose backward is off by a factor of 2.
  const bad = await gradcheck(dev, ([x]) => { const y = mapN('bad', [x!], 'a * a'); return record(y, 'bad', [x!], (g) => [mapN('bad.grad', [g, x!], 'a * b')]); }, [{ shape: [7], data }]);
  assert.not.ok(bad.ok, 'wrong gradient not caught');
});

test('asStrided checks its reach; assign writes into a strided view and refuses tensors that need gradients', async () => {
  const dev = await getDevice();
  const buf = ops.fill(dev, [2, 5], 0);
  // Column 1 of every row, seen as [2, 1]: offset 1, stride 5.
  const col = ops.asStrided(buf, [2, 1], [5, 1], 1);
  ops.assign(col, fromArray(dev, [7, 9], [2, 1]));
  assert.equal([...(await buf.toArray())], [0, 7, 0, 0, 0, 0, 9, 0, 0, 0]);
  assert.throws(() => ops.asStrided(buf, [2, 1], [5, 1], 5), /reach past/);
  assert.throws(() => ops.asStrided(buf, [3], [-1], 2), /reach past/);
  const w = fromArray(dev, [1, 2], [2, 1]);
  w.requiresGrad = true;
  assert.throws(() => ops.assign(col, w), /not differentiable/);
  for (const t of [buf, col, w]) t.dispose();
});

test.after(closeDevice);
test.run();
