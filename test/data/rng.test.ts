// Tests for the data-side RNG: Philox4x32-10 known-answer vectors, determinism, splitting, distribution moments.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { StreamRng, philox4x32, hashString32 } from '../../src/train/data/rng.ts';

const hex = (a: Uint32Array) => Array.from(a, (v) => v.toString(16).padStart(8, '0')).join(' ');

test('philox4x32-10 matches the Random123 known-answer vectors', () => {
  const out = new Uint32Array(4);
  philox4x32(0, 0, 0, 0, 0, 0, out);
  assert.is(hex(out), '6627e8d5 e169c58d bc57ac4c 9b00dbd8');
  philox4x32(0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, out);
  assert.is(hex(out), '408f276d 41c83b0e a20bc7c6 6d5451fd');
  philox4x32(0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0, out);
  assert.is(hex(out), 'd16cfe09 94fdcceb 5001e420 24126ea1');
});

test('same seed -> same stream; different seeds and split labels -> different streams', () => {
  const a = StreamRng.fromSeed(42), b = StreamRng.fromSeed(42), c = StreamRng.fromSeed(43), d = StreamRng.fromSeed('42');
  const draw = (r: StreamRng) => Array.from({ length: 8 }, () => r.nextU32());
  const da = draw(a);
  assert.equal(da, draw(b));
  assert.not.equal(da, draw(c));
  assert.not.equal(da, draw(d));
  const p = StreamRng.fromSeed(7);
  const s1 = draw(p.split('x')), s1b = draw(p.split('x')), s2 = draw(p.split('y')), s3 = draw(p.split(3));
  assert.equal(s1, s1b, 'split is a pure function of (parent key, label)');
  assert.not.equal(s1, s2);
  assert.not.equal(s1, s3);
  // splitting does not advance the parent
  const q = StreamRng.fromSeed(7);
  assert.equal(draw(p), draw(q));
});

test('uniform, normal and int have the right moments', () => {
  const r = StreamRng.fromSeed(1), N = 200_000;
  let s = 0, s2 = 0, min = 1, max = 0;
  for (let i = 0; i < N; i++) { const u = r.uniform(); s += u; s2 += u * u; min = Math.min(min, u); max = Math.max(max, u); }
  assert.ok(min >= 0 && max < 1);
  assert.ok(Math.abs(s / N - 0.5) < 0.005, `mean ${s / N}`);
  assert.ok(Math.abs(s2 / N - (s / N) ** 2 - 1 / 12) < 0.002);
  let m = 0, v = 0;
  for (let i = 0; i < N; i++) { const z = r.normal(); m += z; v += z * z; }
  assert.ok(Math.abs(m / N) < 0.01, `normal mean ${m / N}`);
  assert.ok(Math.abs(v / N - 1) < 0.015, `normal var ${v / N}`);
  const buf = r.fillNormal(new Float32Array(N + 1), 2);
  let fv = 0;
  for (const z of buf) fv += z * z;
  assert.ok(Math.abs(fv / buf.length - 4) < 0.06, `fillNormal var ${fv / buf.length}`);
  const counts = new Array(7).fill(0);
  for (let i = 0; i < 70_000; i++) counts[r.int(7)]++;
  for (const c of counts) assert.ok(Math.abs(c - 10_000) < 450, `int counts ${counts}`);
});

test('poisson mean and variance equal lambda (small and large lambda branches)', () => {
  const r = StreamRng.fromSeed(9);
  for (const lam of [0.7, 4, 37.5, 240]) {
    const N = 40_000;
    let s = 0, s2 = 0;
    for (let i = 0; i < N; i++) { const k = r.poisson(lam); assert.ok(Number.isInteger(k) && k >= 0); s += k; s2 += k * k; }
    const mean = s / N, variance = s2 / N - mean * mean;
    assert.ok(Math.abs(mean - lam) < 4 * Math.sqrt(lam / N) + 1e-9, `lambda ${lam}: mean ${mean}`);
    assert.ok(Math.abs(variance / lam - 1) < 0.05, `lambda ${lam}: var ${variance}`);
  }
  assert.is(r.poisson(0), 0);
});

test('shuffle is a seeded permutation', () => {
  const base = Array.from({ length: 50 }, (_, i) => i);
  const a = StreamRng.fromSeed(5).shuffle(base.slice()), b = StreamRng.fromSeed(5).shuffle(base.slice()), c = StreamRng.fromSeed(6).shuffle(base.slice());
  assert.equal(a, b);
  assert.not.equal(a, c);
  assert.equal(a.slice().sort((x, y) => x - y), base);
  assert.not.equal(a, base);
});

test('choice follows weights; hashString32 is stable', () => {
  const r = StreamRng.fromSeed(3), w = [0.45, 0.25, 0.12, 0.03, 0.12, 0.03], cnt = new Array(6).fill(0), N = 100_000;
  for (let i = 0; i < N; i++) cnt[r.choice(w)]++;
  w.forEach((p, i) => assert.ok(Math.abs(cnt[i] / N - p) < 0.006, `choice ${i}: ${cnt[i] / N} vs ${p}`));
  assert.is(hashString32('abc'), hashString32('abc'));
  assert.is.not(hashString32('abc'), hashString32('abd'));
});

test.run();
