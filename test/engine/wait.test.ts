// Waiting for the GPU: the sleeping wait resolves and rejects as the awaited promise does, keeps the thread idle,
// and a device that sleeps gives the same results as one that spins.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Device, fromArray, ops } from '../../src/engine/index.ts';
import { waitFor, defaultWaitMode } from '../../src/engine/runtime/wait.ts';
import { getDevice, closeDevice } from '../helpers/gpu.ts';

const later = <T>(ms: number, v: T, fail = false) => new Promise<T>((res, rej) => setTimeout(() => (fail ? rej(new Error(String(v))) : res(v)), ms));

test('Node waits by sleeping by default', () => {
  assert.is(defaultWaitMode(), 'sleep');
});

test('sleep-wait resolves with the value and passes rejections on', async () => {
  assert.is(await waitFor(later(20, 42), 'sleep'), 42);
  assert.is(await waitFor(Promise.resolve('now'), 'sleep'), 'now');
  try { await waitFor(later(5, 'boom', true), 'sleep'); assert.unreachable('did not reject'); }
  catch (e) { assert.is((e as Error).message, 'boom'); }
});

test('sleep-wait leaves the thread idle while it waits', async () => {
  const c0 = process.cpuUsage(), t0 = performance.now();
  await waitFor(later(300, 0), 'sleep');
  const wallMs = performance.now() - t0, cpu = process.cpuUsage(c0), cpuMs = (cpu.user + cpu.system) / 1000;
  assert.ok(wallMs >= 290, `waited only ${wallMs} ms`);
  // A busy loop would burn about the whole wall time; slices of 1 ms sleep cost a few percent of it.
  assert.ok(cpuMs < 0.3 * wallMs, `the wait took ${cpuMs.toFixed(0)} ms CPU in ${wallMs.toFixed(0)} ms`);
});

test('a sleeping and a spinning device compute the same, reads and sync included', async () => {
  const sleeping = await getDevice();
  const spinning = await Device.create({ wait: 'spin' });
  assert.is(sleeping.waitMode, 'sleep');
  assert.is(spinning.waitMode, 'spin');
  const data = Array.from({ length: 257 * 65 }, (_, i) => Math.sin(i));
  const out: Float32Array[] = [];
  for (const dev of [sleeping, spinning]) {
    const a = fromArray(dev, data, [257, 65]);
    const y = ops.matmul(a, ops.transpose(a));
    await dev.sync();
    out.push(await y.toArray() as Float32Array);
    a.dispose(); y.dispose();
  }
  assert.equal([...out[0]!], [...out[1]!]);
  spinning.destroy();
});

test.after(closeDevice);
test.run();
