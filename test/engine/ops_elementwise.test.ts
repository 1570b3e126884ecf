// Elementwise ops on the real adapter: forward vs an f64 CPU reference on odd shapes with broadcasting,
// backward vs finite differences.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fromArray, ops, WorkCounter } from '../../src/engine/index.ts';
import { stridedRun } from '../../src/engine/ops/map.ts';
import { getDevice, closeDevice } from '../helpers/gpu.ts';
import { checkOp, rand, refMap, toGpu, assertClose, host } from '../helpers/ref.ts';

const SHAPES: [number[], number[]][] = [[[1], [1]], [[3], [1]], [[65], [65]], [[257], [3, 257]], [[3, 1, 65], [1, 5, 1]], [[2, 3, 4], [4]]];
const gelu = (x: number) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
const sig = (x: number) => 1 / (1 + Math.exp(-x));

const BIN: [string, (a: number, b: number) => number, number, number][] = [
  ['add', (a, b) => a + b, -2, 2], ['sub', (a, b) => a - b, -2, 2], ['mul', (a, b) => a * b, -2, 2],
  ['div', (a, b) => a / b, 0.5, 2], ['pow', (a, b) => a ** b, 0.5, 2], ['maximum', Math.max, -2, 2], ['minimum', Math.min, -2, 2],
];
for (const [name, f, lo, hi] of BIN) for (const [sa, sb] of SHAPES) {
  test(`${name} ${JSON.stringify(sa)} ${JSON.stringify(sb)}`, async () => {
    const dev = await getDevice();
    await checkOp(dev, name, [rand(sa, 1, lo, hi), rand(sb, 2, lo, hi)], ([a, b]) => (ops as any)[name](a, b), ([a, b]) => refMap(f, a!, b!), { atol: 1e-5, rtol: 1e-5 });
  });
}

const UN: [string, (x: number) => number, number, number][] = [
  ['neg', (x) => -x, -2, 2], ['exp', Math.exp, -3, 3], ['log', Math.log, 0.1, 3], ['sqrt', Math.sqrt, 0.1, 3],
  ['rsqrt', (x) => 1 / Math.sqrt(x), 0.2, 3], ['abs', Math.abs, -2, 2], ['tanh', Math.tanh, -3, 3], ['sigmoid', sig, -6, 6],
  ['silu', (x) => x * sig(x), -6, 6], ['gelu', gelu, -4, 4], ['relu', (x) => Math.max(x, 0), -2, 2], ['square', (x) => x * x, -2, 2],
];
for (const [name, f, lo, hi] of UN) for (const shape of [[1], [3], [65], [257], [3, 65]]) {
  test(`${name} [${shape}]`, async () => {
    const dev = await getDevice();
    await checkOp(dev, name, [rand(shape, 3, lo, hi)], ([x]) => (ops as any)[name](x), ([x]) => refMap(f, x!), { atol: 2e-6, rtol: 2e-5 });
  });
}

test('clamp, affine, powScalar', async () => {
  const dev = await getDevice();
  await checkOp(dev, 'clamp', [rand([257], 4, -2, 2)], ([x]) => ops.clamp(x!, -0.5, 0.75), ([x]) => refMap((v) => Math.min(Math.max(v, -0.5), 0.75), x!));
  await checkOp(dev, 'affine', [rand([3, 65], 5)], ([x]) => ops.affine(x!, 2.5, -1), ([x]) => refMap((v) => 2.5 * v - 1, x!));
  await checkOp(dev, 'powScalar', [rand([65], 6, -2, 2)], ([x]) => ops.powScalar(x!, 3), ([x]) => refMap((v) => v ** 3, x!), { rtol: 1e-5 });
  await checkOp(dev, 'powScalar.5', [rand([65], 7, 0.1, 2)], ([x]) => ops.powScalar(x!, 0.5), ([x]) => refMap(Math.sqrt, x!), { rtol: 1e-5 });
});

// The strided path (elementwise/*: p.run consecutive outputs per invocation, one index decode per run, steps along the
// last dim, a carry into the dim before it, a fresh decode where both wrap): permuted, sliced and broadcast operands
// whose last dims are odd (the runs wrap mid-way), element counts that are no multiple of the run, and a rank-4 gather,
// every element against a CPU one.
test('strided operands: permuted, sliced and broadcast views on odd shapes, every element against a CPU gather', async () => {
  const dev = await getDevice();
  const shape = [3, 5, 7, 65], perm = [3, 1, 0, 2];
  const x = rand(shape, 11), y = rand([7], 12), z = rand(shape, 13);
  const pshape = perm.map((d) => shape[d]!);
  const strides = [5 * 7 * 65, 7 * 65, 65, 1];
  // Element i of permute(x, perm) (row-major over pshape) on the CPU.
  const gather = (h: { data: Float64Array }, i: number) => {
    let rem = i, off = 0;
    for (let d = 3; d >= 0; d--) { const k = rem % pshape[d]!; rem = Math.floor(rem / pshape[d]!); off += k * strides[perm[d]!]!; }
    return Math.fround(h.data[off]!);
  };
  const n = pshape.reduce((a, b) => a * b, 1);
  const [gx, gy, gz] = [toGpu(dev, x), toGpu(dev, y), toGpu(dev, z)];
  const px = ops.permute(gx, perm), pz = ops.permute(gz, perm);
  assertClose(await ops.contiguous(px).toArray(), Float64Array.from({ length: n }, (_, i) => gather(x, i)), 'contiguous(permute)', 0, 0);
  // binary: permuted + broadcast along the last dim (7)
  assertClose(await ops.add(px, gy).toArray(), Float64Array.from({ length: n }, (_, i) => gather(x, i) + Math.fround(y.data[i % 7]!)), 'add(permute, [7])', 1e-6, 1e-6);
  // ternary: where over two permuted views and a broadcast condition
  const cond = ops.compare('gt', gy, toGpu(dev, host([1], [0])));
  const w = await ops.where(cond, px, pz).toArray();
  assertClose(w, Float64Array.from({ length: n }, (_, i) => (y.data[i % 7]! > 0 ? gather(x, i) : gather(z, i))), 'where(permute, permute)', 0, 0);
  // a slice with a ragged last dim: x[:, 1:4, :, 2:63] (61 of 65), 3·3·7·61 = 3,843 elements
  const s = ops.slice(ops.slice(gx, 1, 1, 4), 3, 2, 63);
  const want = Float64Array.from({ length: 3 * 3 * 7 * 61 }, (_, i) => {
    const c = i % 61, b = Math.floor(i / 61) % 7, a = Math.floor(i / (61 * 7)) % 3, o = Math.floor(i / (61 * 7 * 3));
    return Math.fround(x.data[o * strides[0]! + (a + 1) * strides[1]! + b * strides[2]! + c + 2]!);
  });
  assertClose(await ops.neg(ops.neg(s)).toArray(), want, 'neg(neg(slice))', 0, 0);
});

// Runs a multiple of the last two dims' product (stridedRun): a [O, C, 3, 3] weight unblocked from [3, C, 3, O] (the
// conv weight gradient's permuted copy) decodes only where the 3 × 3 block wraps, on every lane at once.
test('strided copies with small last dims: run lengths, a [5, 4, 3, 3] permuted copy, a rank-1 strided copy', async () => {
  const dev = await getDevice();
  assert.is(stridedRun([5, 4, 3, 3]), 36);
  assert.is(stridedRun([4, 65]), 32);
  assert.is(stridedRun([2, 64]), 32);
  assert.is(stridedRun([7]), 35);
  assert.is(stridedRun([3, 5, 7]), 35);
  const KH = 3, C = 4, KW = 3, O = 5, x = rand([KH, C, KW, O], 21);
  const got = await ops.contiguous(ops.permute(toGpu(dev, x), [3, 1, 0, 2])).toArray();
  const want = Float64Array.from({ length: O * C * KH * KW }, (_, i) => {
    const kx = i % KW, ky = Math.floor(i / KW) % KH, c = Math.floor(i / (KW * KH)) % C, o = Math.floor(i / (KW * KH * C));
    return Math.fround(x.data[((ky * C + c) * KW + kx) * O + o]!);
  });
  assertClose(got, want, 'contiguous(permute [3, C, 3, O] -> [O, C, 3, 3])', 0, 0);
  const v = rand([77], 22);
  const every3 = await ops.contiguous(ops.asStrided(toGpu(dev, v), [26], [3], 0)).toArray();
  assertClose(every3, Float64Array.from({ length: 26 }, (_, i) => Math.fround(v.data[3 * i]!)), 'x[::3]', 0, 0);
});

test('where with broadcasting; compare', async () => {
  const dev = await getDevice();
  const c = host([3, 1], [1, 0, 1]);
  const ct = toGpu(dev, c);
  await checkOp(dev, 'where', [rand([3, 65], 8), rand([65], 9)], ([a, b]) => ops.where(ct, a!, b!), ([a, b]) => refMap((k, x, y) => (k ? x : y), c, a!, b!));
  const a = toGpu(dev, host([4], [1, 2, 3, 4])), b = toGpu(dev, host([1], [2]));
  assert.equal([...(await ops.compare('ge', a, b).toArray())], [0, 1, 1, 1]);
  ct.dispose();
});

test('chained graph: grads accumulate through shared inputs', async () => {
  const dev = await getDevice();
  // y = x*x + exp(x) * x  (x used three times)
  await checkOp(dev, 'chain', [rand([3, 65], 10)], ([x]) => ops.add(ops.mul(x!, x!), ops.mul(ops.exp(x!), x!)),
    ([x]) => refMap((v) => v * v + Math.exp(v) * v, x!));
});

// The vec4 kernels (elementwise/*4) of flat maps: streamed and broadcast operands, 0-3 elements past the last whole
// vec4 (the scalar FLAT kernel's), an integer dtype, a misaligned slice (scalar kernel only), and a write into the
// middle of a larger tensor that must leave its neighbours alone; every element against the CPU.
test('flat maps on the vec4 kernels: tails, broadcasts, misaligned views, writes into a sub-range', async () => {
  const dev = await getDevice();
  const ran = async (fn: () => Promise<void>) => { const c = new WorkCounter(); dev.counter = c; await fn(); dev.counter = null; return [...c.kernels.keys()]; };
  for (const n of [4, 5, 6, 7, 8, 65, 1027]) {
    const x = rand([n], 70 + n), y = rand([n], 80 + n), z = rand([n], 90 + n), one = rand([1], 99);
    const [gx, gy, gz, g1] = [x, y, z, one].map((h) => toGpu(dev, h));
    let sum: Float32Array | undefined, fma: Float32Array | undefined, sc: Float32Array | undefined;
    const k = await ran(async () => {
      sum = (await ops.add(gx!, gy!).toArray()) as Float32Array;
      fma = (await ops.where(ops.compare('gt', gx!, g1!), gy!, gz!).toArray()) as Float32Array;
      sc = (await ops.mul(g1!, gx!).toArray()) as Float32Array;
    });
    const f = Math.fround;
    assertClose(sum!, Float64Array.from({ length: n }, (_, i) => f(x.data[i]!) + f(y.data[i]!)), `add [${n}]`, 1e-7, 1e-7);
    assertClose(fma!, Float64Array.from({ length: n }, (_, i) => (f(x.data[i]!) > f(one.data[0]!) ? f(y.data[i]!) : f(z.data[i]!))), `where [${n}]`, 0, 0);
    assertClose(sc!, Float64Array.from({ length: n }, (_, i) => f(one.data[0]!) * f(x.data[i]!)), `mul([1], x) [${n}]`, 1e-7, 1e-7);
    assert.ok(k.includes('elementwise/binary4') && k.includes('elementwise/ternary4'), `[${n}] ran ${k}`);
    assert.is(k.includes('elementwise/binary'), n % 4 !== 0, `[${n}]: the scalar kernel runs exactly where a tail is left`);
  }
  // an i32 map (vec4<i32>)
  const iv = fromArray(dev, Int32Array.from([1, -2, 3, -4, 5, -6, 7, -8, 9]), [9], 'i32');
  assert.equal([...(await ops.add(iv, iv).toArray())], [2, -4, 6, -8, 10, -12, 14, -16, 18]);
  // a slice starting at element 1: no whole vec4s at aligned bases, so the scalar kernel alone
  const base = rand([12], 101), gb = toGpu(dev, base);
  const k2 = await ran(async () => { assertClose(await ops.neg(ops.slice(gb, 0, 1, 10)).toArray(), Float64Array.from({ length: 9 }, (_, i) => -Math.fround(base.data[i + 1]!)), 'neg(x[1:10])', 0, 0); });
  assert.not.ok(k2.some((k) => k.endsWith('4')), `misaligned: ran ${k2}`);
  // assign into elements 4 .. 10 of a 16-element tensor: one vec4 and a tail of 3; elements outside keep their values
  const dst = toGpu(dev, host([16], Array.from({ length: 16 }, (_, i) => 100 + i)));
  const src = toGpu(dev, host([7], [1, 2, 3, 4, 5, 6, 7]));
  ops.assign(ops.slice(dst, 0, 4, 11), src);
  assert.equal([...(await dst.toArray())], [100, 101, 102, 103, 1, 2, 3, 4, 5, 6, 7, 111, 112, 113, 114, 115]);
});

// The vec4 kernels on strided maps: along a last dim that is a multiple of 4, inputs streamed (permuted outer dims
// included) or broadcast along it; a last dim of 6, or a slice whose rows start at odd elements, stay scalar.
test('strided maps on the vec4 kernels: broadcasts along middle and last dims, permuted outer dims, fallbacks', async () => {
  const dev = await getDevice();
  const ran = async (fn: () => Promise<void>) => { const c = new WorkCounter(); dev.counter = c; await fn(); dev.counter = null; return [...c.kernels.keys()]; };
  const f = Math.fround;
  const x = rand([3, 5, 8], 111), rowB = rand([3, 1, 8], 112), colB = rand([3, 5, 1], 113), w = rand([5, 3, 8], 114);
  const [gx, gr, gc, gw] = [x, rowB, colB, w].map((h) => toGpu(dev, h));
  const at = (h: { data: Float64Array }, i: number) => f(h.data[i]!);
  const k1 = await ran(async () => {
    // x + row (broadcast over the middle dim), x * col (broadcast along the last dim), x − permute(w) (outer dims permuted)
    assertClose(await ops.add(gx!, gr!).toArray(), Float64Array.from({ length: 120 }, (_, i) => at(x, i) + at(rowB, Math.floor(i / 40) * 8 + (i % 8))), 'x + row', 1e-7, 1e-7);
    assertClose(await ops.mul(gx!, gc!).toArray(), Float64Array.from({ length: 120 }, (_, i) => at(x, i) * at(colB, Math.floor(i / 8))), 'x * col', 1e-7, 1e-7);
    const pw = ops.permute(gw!, [1, 0, 2]);
    assertClose(await ops.sub(gx!, pw).toArray(), Float64Array.from({ length: 120 }, (_, i) => {
      const a = Math.floor(i / 40), b = Math.floor(i / 8) % 5, c = i % 8;
      return at(x, i) - at(w, (b * 3 + a) * 8 + c);
    }), 'x - permute(w)', 1e-7, 1e-7);
  });
  // rows of 256 (64 vec4s, runs of 32 that never leave their row: NOWRAP), a per-sample row broadcast over 3 tokens
  const big = rand([2, 3, 256], 118), brow = rand([2, 1, 256], 119), [gbig, gbrow] = [big, brow].map((h) => toGpu(dev, h));
  const k3 = await ran(async () => {
    assertClose(await ops.mul(gbig!, gbrow!).toArray(), Float64Array.from({ length: 1536 }, (_, i) => at(big, i) * at(brow, Math.floor(i / 768) * 256 + (i % 256))), 'rows of 256 * row', 1e-7, 1e-7);
  });
  assert.ok(k1.includes('elementwise/binary4') && !k1.includes('elementwise/binary'), `strided vec4: ran ${k1}`);
  assert.equal(k3, ['elementwise/binary4'], `rows of 256: ran ${k3}`);
  // a last dim of 6, and rows of a slice starting at element 1 of 12: the scalar strided kernel
  const y6 = rand([4, 6], 115), g6 = toGpu(dev, y6), r6 = rand([1, 6], 117), gr6 = toGpu(dev, r6), s12 = rand([4, 12], 116), g12 = toGpu(dev, s12);
  const k2 = await ran(async () => {
    assertClose(await ops.add(g6, gr6).toArray(), Float64Array.from({ length: 24 }, (_, i) => at(y6, i) + at(r6, i % 6)), 'last dim 6', 1e-7, 1e-7);
    assertClose(await ops.neg(ops.slice(g12, 1, 1, 9)).toArray(), Float64Array.from({ length: 32 }, (_, i) => -at(s12, Math.floor(i / 8) * 12 + 1 + (i % 8))), 'rows from element 1', 0, 0);
  });
  assert.not.ok(k2.some((k) => k.endsWith('4')), `fallbacks: ran ${k2}`);
});

test('errors name the op and both shapes', async () => {
  const dev = await getDevice();
  const a = toGpu(dev, rand([3, 4], 1)), b = toGpu(dev, rand([5], 2));
  assert.throws(() => ops.add(a, b), /add: shapes \[3, 4\] and \[5\] cannot be broadcast/);
  const i = ops.cast(a, 'i32');
  assert.throws(() => ops.mul(a, i), /mul: dtype mismatch/);
  a.dispose();
  assert.throws(() => ops.exp(a), /disposed/);
  try { await a.toArray(); assert.unreachable('read of a disposed tensor'); } catch (e) { assert.match(String(e), /disposed/); }
  const big = toGpu(dev, rand([2], 3));
  assertClose(await ops.fill(dev, [2, 3], 7).toArray(), [7, 7, 7, 7, 7, 7], 'fill');
  big.dispose(); b.dispose();
});

test.after(closeDevice);
test.run();
