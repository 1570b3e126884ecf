// Tests for the CPU resampling reference: PyTorch goldens (test/fixtures/golden/resample.safetensors), adjointness, finite differences.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { resampleCpu, resampleCpuBackward, bicubicWeights, resampleTaps1d, type ResampleMode } from '../../src/engine/cpu/resample.ts';
import { openSafetensors, type StTensor } from '../../src/engine/io/safetensors.ts';

const GOLDEN = 'test/fixtures/golden/resample.safetensors';

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.is(a.length, b.length, 'length');
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function rand(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; out[i] = s / 2 ** 32 - 0.5; }
  return out;
}

test('goldens: forward and backward match torch F.interpolate (max abs err < 1e-5)', async () => {
  const f = await openSafetensors(GOLDEN);
  const cases = f.keys().filter((k) => k.endsWith('.x')).map((k) => k.slice(0, -2));
  assert.ok(cases.length >= 33, `expected >= 33 golden cases, found ${cases.length}`);
  const modes = new Set<string>();
  for (const key of cases) {
    const mode = key.split('.')[0] as ResampleMode;
    modes.add(mode);
    const get = async (s: string): Promise<StTensor> => f.read(`${key}.${s}`);
    const [x, y, dy, dx] = [await get('x'), await get('y'), await get('dy'), await get('dx')];
    const [N, C, H, W] = x.shape, [oh, ow] = y.shape.slice(2);
    const yy = resampleCpu(x.data as Float32Array, N, C, H, W, oh, ow, mode);
    const ey = maxAbsDiff(yy, y.data);
    assert.ok(ey < 1e-5, `${key}: forward max abs err ${ey}`);
    const gx = resampleCpuBackward(dy.data as Float32Array, N, C, H, W, oh, ow, mode);
    const ex = maxAbsDiff(gx, dx.data);
    assert.ok(ex < 1e-5, `${key}: backward max abs err ${ex}`);
  }
  assert.equal([...modes].sort(), ['area', 'bicubic', 'bilinear', 'nearest']);
});

test('bicubic weights: partition of unity, interpolating at t=0, symmetric', () => {
  for (const t of [0, 0.1, 0.25, 0.5, 0.9, 1]) {
    const w = bicubicWeights(t);
    assert.ok(Math.abs(w.reduce((a, b) => a + b, 0) - 1) < 1e-12, `sum at t=${t}`);
    const m = bicubicWeights(1 - t);
    for (let k = 0; k < 4; k++) assert.ok(Math.abs(w[k] - m[3 - k]) < 1e-12, `symmetry at t=${t}`);
  }
  assert.equal(bicubicWeights(0), [0, 1, 0, 0]);
});

test('taps: every mode preserves constants (weights per output sum to 1)', () => {
  for (const mode of ['nearest', 'area', 'bilinear', 'bicubic'] as ResampleMode[])
    for (const [i, o] of [[16, 13], [5, 13], [3, 1], [1, 4], [7, 7], [31, 8]]) {
      const t = resampleTaps1d(i, o, mode);
      for (let r = 0; r < o; r++) {
        let s = 0;
        for (let k = 0; k < t.taps; k++) { s += t.w[r * t.taps + k]; assert.ok(t.idx[r * t.taps + k] >= 0 && t.idx[r * t.taps + k] < i); }
        assert.ok(Math.abs(s - 1) < 1e-12, `${mode} ${i}->${o} row ${r} sums to ${s}`);
      }
    }
});

test('backward is the adjoint of forward: <A x, dy> == <x, Aᵀ dy> on sizes not in the goldens', () => {
  for (const mode of ['nearest', 'area', 'bilinear', 'bicubic'] as ResampleMode[])
    for (const [H, W, oh, ow] of [[11, 4, 3, 17], [2, 9, 5, 5], [17, 17, 16, 18], [6, 1, 1, 6]]) {
      const x = rand(2 * H * W, 7 + H), dy = rand(2 * oh * ow, 11 + ow);
      const y = resampleCpu(x, 1, 2, H, W, oh, ow, mode), dx = resampleCpuBackward(dy, 1, 2, H, W, oh, ow, mode);
      let a = 0, b = 0;
      for (let i = 0; i < y.length; i++) a += y[i] * dy[i];
      for (let i = 0; i < x.length; i++) b += x[i] * dx[i];
      assert.ok(Math.abs(a - b) < 1e-5 * (1 + Math.abs(a)), `${mode} ${H}x${W}->${oh}x${ow}: ${a} vs ${b}`);
    }
});

test('finite differences: d sum(y*dy)/dx matches resampleCpuBackward', () => {
  const [N, C, H, W, oh, ow] = [1, 2, 5, 4, 7, 3];
  for (const mode of ['area', 'bilinear', 'bicubic', 'nearest'] as ResampleMode[]) {
    const x = rand(N * C * H * W, 3), dy = rand(N * C * oh * ow, 5);
    const loss = (xx: Float32Array) => resampleCpu(xx, N, C, H, W, oh, ow, mode).reduce((s, v, i) => s + v * dy[i], 0);
    const g = resampleCpuBackward(dy, N, C, H, W, oh, ow, mode);
    const eps = 0.25; // the op is linear in x, so a large step has no truncation error and small float32 rounding error
    for (let i = 0; i < x.length; i++) {
      const xp = x.slice(), xm = x.slice();
      xp[i] += eps; xm[i] -= eps;
      const fd = (loss(xp) - loss(xm)) / (2 * eps);
      assert.ok(Math.abs(fd - g[i]) < 1e-5, `${mode} x[${i}]: fd ${fd} vs backward ${g[i]}`);
    }
  }
});

test('argument checks name the problem', () => {
  assert.throws(() => resampleCpu(new Float32Array(5), 1, 1, 2, 2, 3, 3, 'bilinear'), /x has 5 elements, expected 1\*1\*2\*2 = 4/);
  assert.throws(() => resampleCpu(new Float32Array(4), 1, 1, 2, 2, 0, 3, 'bilinear'), /sizes must be positive/);
  assert.throws(() => resampleCpu(new Float32Array(4), 1, 1, 2, 2, 3, 3, 'lanczos' as ResampleMode), /unknown mode 'lanczos'/);
});

test.run();
