// Kernel Params by name: generated layouts vs hand-computed WGSL alignment, the runtime checks (names, integer
// ranges, f32, list lengths) with the kernel and field in every message, dev.run / launch on the adapter, type errors.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fromArray, launch, ops, empty, type Device } from '../../src/engine/index.ts';
import { PARAM_LAYOUTS } from '../../src/engine/kernels.gen.ts';
import { paramLayout, packParams, NON_FINITE_OK } from '../../src/engine/runtime/params.ts';
import { paramsLayout } from '../../kernels/params_layout.mjs';
import { getDevice, closeDevice } from '../helpers/gpu.ts';
import { assertClose } from '../helpers/ref.ts';

/** name -> [offset, count] of a layout's fields. */
const offsets = (l: { fields: readonly { name: string; offset: number; count: number }[] }) =>
  Object.fromEntries(l.fields.map((f) => [f.name, [f.offset, f.count]]));

/** Runs f, expects a throw whose message matches every pattern. */
function throwsAll(f: () => unknown, ...patterns: RegExp[]) {
  let msg = '';
  try { f(); } catch (e) { msg = (e as Error).message; }
  assert.ok(msg, 'did not throw');
  for (const p of patterns) assert.match(msg, p);
}

const scratch = new DataView(new ArrayBuffer(1024));
const pack = (kernel: string, values: object) => packParams(paramLayout(kernel), values, scratch, 0);

const phi = { n: 1, C: 2, S: 3, Cp8: 8, keep: 0.5, mix: 0.25, h_base: 0, w_base: 0, b_base: 0, fh_base: 0, fr_base: 0, flags: 0 };

// ---- layouts --------------------------------------------------------------------------------------------------------
test('layout: scalars, vec4u and array<vec4u, 2> fields (elementwise/binary) at 16-byte boundaries', () => {
  const l = PARAM_LAYOUTS['elementwise/binary']!;
  assert.equal(offsets(l), { n: [0, 1], rank: [4, 1], s0: [8, 1], s1: [12, 1], base: [16, 1], shape: [32, 2], sa: [64, 2], sb: [96, 2], sc: [128, 2], so: [160, 2], run: [192, 1] });
  assert.is(l.bytes, 208);
  assert.equal(l.fields.find((f) => f.name === 'shape'), { name: 'shape', type: 'array<vec4u, 2>', kind: 'u', offset: 32, lanes: 4, count: 2, stride: 16 });
});

test('layout: f32 after vec4u fields (resample/resample), array<vec4u, 7> after 8 scalars (attention/forward)', () => {
  const r = PARAM_LAYOUTS['resample/resample']!;
  assert.equal(offsets(r), { n: [0, 1], C: [4, 1], in_h: [8, 1], in_w: [12, 1], out_h: [16, 1], out_w: [20, 1], src_base: [24, 1], dst_base: [28, 1],
    ss: [32, 1], ds: [48, 1], scale_h: [64, 1], scale_w: [68, 1] });
  assert.is(r.bytes, 80);
  const a = PARAM_LAYOUTS['attention/forward']!;
  assert.equal(offsets(a).lay, [32, 7]);
  assert.is(offsets(a).scale![0], 28);
  assert.is(a.bytes, 32 + 7 * 16);
  // Every kernel has a layout; struct sizes are multiples of 16 and fields do not overlap.
  for (const [k, l] of Object.entries(PARAM_LAYOUTS)) {
    assert.ok(l.bytes % 16 === 0 && l.fields.length > 0, k);
    let end = 0;
    for (const f of l.fields) { assert.ok(f.offset >= end, `${k}.${f.name} overlaps`); end = f.offset + (f.count > 1 ? f.count * f.stride : 4 * f.lanes); }
    assert.ok(end <= l.bytes, `${k}: fields past the end`);
  }
});

test('layout reader: vec2/vec3/vec4, arrays with a const count, @align, comments (hand-computed WGSL offsets)', () => {
  const src = `const NK = 2u;
struct Params {
  a: u32,            // 0
  b: vec4f,          // 16 (align 16)
  c: f32,            // 32
  d: array<vec4i, 3>, /* 48, stride 16 */
  e: vec2u,          // 96 (align 8)
  f: vec3<f32>,      // 112 (align 16, size 12)
  g: u32,            // 124 (fills vec3's tail)
  @align(16) h: f32, // 128
  k: array<vec4u, NK>, // 144
}`;
  const l = paramsLayout('t/synthetic', src);
  assert.equal(offsets(l), { a: [0, 1], b: [16, 1], c: [32, 1], d: [48, 3], e: [96, 1], f: [112, 1], g: [124, 1], h: [128, 1], k: [144, 2] });
  assert.is(l.bytes, 176);
  assert.equal(l.fields.map((f) => [f.kind, f.lanes]), [['u', 1], ['f', 4], ['f', 1], ['i', 4], ['u', 2], ['f', 3], ['u', 1], ['f', 1], ['u', 4]]);
  assert.is(paramsLayout('t/small', 'struct Params { n: u32, a: f32 }').bytes, 16);
  throwsAll(() => paramsLayout('t/def', 'struct Params { n: u32, lay: array<vec4u, {{N}}> }'), /t\/def/, /\{\{N\}\}/);
  throwsAll(() => paramsLayout('t/stride', 'struct Params { n: array<u32, 4> }'), /t\/stride/, /field 'n'/, /multiple of 16/);
  throwsAll(() => paramsLayout('t/none', 'fn main() {}'), /t\/none/, /not found/);
  throwsAll(() => paramsLayout('t/bool', 'struct Params { b: bool }'), /t\/bool/, /field 'b'/, /unsupported type 'bool'/);
});

// ---- runtime checks (no adapter needed) ------------------------------------------------------------------------------
test('a wrong field name fails naming the kernel, the name and the struct fields', () => {
  const { keep, ...rest } = phi;
  throwsAll(() => pack('quant/phi_update', { ...rest, kep: keep }), /^kernel 'quant\/phi_update': Params field 'kep' is not in struct Params \(fields: n, C, S, Cp8, keep, mix/);
  throwsAll(() => pack('quant/phi_update', { ...phi, extra: 1 }), /kernel 'quant\/phi_update'/, /'extra' is not in struct Params/);
});

test('a missing field fails naming the kernel and the field', () => {
  const { mix: _, ...rest } = phi;
  throwsAll(() => pack('quant/phi_update', rest), /^kernel 'quant\/phi_update': Params field 'mix' \(f32\) is missing/);
  throwsAll(() => pack('quant/phi_update', { ...phi, mix: undefined }), /'mix' \(f32\) is missing/);
});

test('wrong values: u32 non-integer / negative / string / 2^32, i32 out of range, f32 non-finite or overflowing', () => {
  for (const bad of [1.5, -1, '3', 2 ** 32, NaN, true, null]) throwsAll(() => pack('quant/phi_update', { ...phi, n: bad }),
    /^kernel 'quant\/phi_update': Params field 'n' \(u32\) must be an integer in \[0, 2\^32\)/);
  const ce = { n: 4, ignore_index: -100, mean: 1, t_base: 0 };
  pack('loss/cross_entropy_reduce', ce);
  assert.is(scratch.getInt32(4, true), -100);
  for (const bad of [2 ** 31, -(2 ** 31) - 1, 0.5]) throwsAll(() => pack('loss/cross_entropy_reduce', { ...ce, ignore_index: bad }),
    /kernel 'loss\/cross_entropy_reduce': Params field 'ignore_index' \(i32\) must be an integer/);
  for (const bad of [NaN, Infinity, -Infinity, 1e39, '0.5']) throwsAll(() => pack('quant/phi_update', { ...phi, keep: bad }),
    /kernel 'quant\/phi_update': Params field 'keep' \(f32\) must be a number that is finite in f32/);
  // Fields listed in NON_FINITE_OK take NaN (WGSL has no NaN literal); it lands as a NaN.
  const emb = { rows: 1, C: 1, V: 1, nan: NaN, w_base: 0, i_base: 0, o_base: 0 };
  pack('embed/embedding', emb);
  assert.ok(Number.isNaN(scratch.getFloat32(12, true)));
  pack('elementwise/unary', { n: 1, rank: 1, s0: -Infinity, s1: 0, base: [0, 0, 0, 0], shape: [1, 0, 0, 0, 0, 0, 0, 0], sa: new Array(8).fill(0),
    sb: new Array(8).fill(0), sc: new Array(8).fill(0), so: new Array(8).fill(0), run: 32 });
  assert.is(scratch.getFloat32(8, true), -Infinity);
  for (const [k, names] of Object.entries(NON_FINITE_OK))
    for (const n of names) assert.is(PARAM_LAYOUTS[k]?.fields.find((f) => f.name === n)?.kind, 'f', `NON_FINITE_OK ${k}.${n} is not an f32 field`);
});

test('vector and array fields take exactly lanes × count numbers; values land at the layout offsets', () => {
  const base = { n: 6, C: 1, in_h: 2, in_w: 3, out_h: 4, out_w: 5, src_base: 7, dst_base: 9, ss: [10, 11, 12, 13], ds: [20, 21, 22, 23], scale_h: 0.5, scale_w: 0.75 };
  throwsAll(() => pack('resample/resample', { ...base, ss: [1, 2, 3] }), /^kernel 'resample\/resample': Params field 'ss' \(vec4u\) needs 4 numbers, got 3/);
  throwsAll(() => pack('resample/resample', { ...base, ds: 5 }), /kernel 'resample\/resample': Params field 'ds' \(vec4u\) needs a list of 4 numbers/);
  throwsAll(() => pack('resample/resample', { ...base, ss: [1, 2, -3, 4] }), /field 'ss' \(vec4u\), number 2, must be an integer in \[0, 2\^32\), got -3/);
  const lay = Array.from({ length: 28 }, (_, i) => i);
  const att = { H: 1, Lq: 1, Lk: 1, d4: 1, nblk: 1, n_groups: 1, masked: 0, scale: 1 };
  throwsAll(() => pack('attention/forward', { ...att, lay: lay.slice(0, 24) }), /kernel 'attention\/forward': Params field 'lay' \(array<vec4u, 7>\) needs 28 numbers, got 24/);
  scratch.setUint32(72, 0xdeadbeef, true); // padding after scale_w must come back zeroed
  assert.is(pack('resample/resample', base), 80);
  const u = (o: number) => scratch.getUint32(o, true);
  assert.equal([u(0), u(8), u(28), u(32), u(44), u(48), u(60), scratch.getFloat32(64, true), scratch.getFloat32(68, true), u(72)],
    [6, 2, 9, 10, 13, 20, 23, 0.5, 0.75, 0]);
  // Any key order packs the same bytes (the packer caches the last order per kernel).
  const words = () => Array.from({ length: 20 }, (_, i) => scratch.getUint32(4 * i, true));
  const inOrder = words();
  pack('resample/resample', Object.fromEntries(Object.entries(base).reverse()));
  assert.equal(words(), inOrder);
  pack('resample/resample', { ...base, n: 99 });
  assert.is(u(0), 99);
  throwsAll(() => pack('resample/resample', Object.fromEntries(Object.entries(base).reverse().map(([k, v]) => [k === 'in_w' ? 'inw' : k, v]))),
    /'inw' is not in struct Params/);
  assert.is(pack('attention/forward', { ...att, lay }), 144);
  assert.equal([u(32), u(36), u(32 + 16 * 6 + 12)], [0, 1, 27]);
  throwsAll(() => pack('no/such', {}), /unknown kernel 'no\/such'/);
  throwsAll(() => packParams(paramLayout('quant/phi_update'), 3 as unknown as object, scratch, 0), /kernel 'quant\/phi_update': Params must be an object/);
});

// ---- on the adapter -------------------------------------------------------------------------------------------------
/** AdamW step in f32 (kernels/optim/adamw.wgsl's order). */
function adamwRef(p: number[], g: number[], lr: number, b1: number, b2: number, eps: number, wd: number, bc1: number, sqrtBc2: number) {
  const f = Math.fround;
  return p.map((w, i) => {
    const m = f(f(b1 * 0) + f(f(1 - b1) * g[i]!)), v = f(f(b2 * 0) + f(f(f(1 - b2) * g[i]!) * g[i]!));
    const w1 = f(w * f(1 - f(lr * wd)));
    return f(w1 - f(f(lr / bc1) * f(m / f(f(Math.sqrt(v) / sqrtBc2) + eps))));
  });
}

test('launch runs a kernel on tensors with named Params (optim/adamw) and matches the reference', async () => {
  const dev = await getDevice();
  const p0 = [0.5, -1, 2, 0.25, -0.75], g0 = [0.1, -0.2, 0.3, 0, 1.5];
  const [p, g, m, v] = [p0, g0, [0, 0, 0, 0, 0], [0, 0, 0, 0, 0]].map((a) => fromArray(dev, a, [5]));
  const hp = { n: 5, lr: 0.01, beta1: 0.9, beta2: 0.99, eps: 1e-8, wd: 0.1, bc1: 0.1, sqrt_bc2: Math.sqrt(0.01) };
  launch(dev, { kernel: 'optim/adamw', bindings: [p!, g!, m!, v!], params: hp, workgroups: dev.grid(5, 64) });
  const want = adamwRef(p0, g0, hp.lr, hp.beta1, hp.beta2, hp.eps, hp.wd, hp.bc1, hp.sqrt_bc2);
  assertClose(await p!.toArray(), want, 'adamw p', 1e-6, 1e-5);
  assert.not.equal([...want], p0, 'the step changed nothing');
  for (const t of [p, g, m, v]) t!.dispose();
});

test('dev.run and launch reject bad Params before encoding; the device keeps working', async () => {
  const dev = await getDevice();
  const x = fromArray(dev, [1, 2, 3, 4], [4]), out = empty(dev, [1], 'u32');
  const before = dev.stats.dispatches;
  throwsAll(() => launch(dev, { kernel: 'degrade/pack8', bindings: [x, out], params: { n: 4, words: 1.5 }, workgroups: 1 }),
    /^kernel 'degrade\/pack8': Params field 'words' \(u32\) must be an integer/);
  throwsAll(() => launch(dev, { kernel: 'degrade/pack8', bindings: [x, out], params: { n: -1, words: 1 }, workgroups: 1 }), /kernel 'degrade\/pack8'/, /'n' \(u32\)/);
  // JS callers skip the types: a wrong name and a missing field reach dev.run and fail there, even with no work.
  const js = (params: object, wg: number) => dev.run({ kernel: 'degrade/pack8', bindings: [x.binding('t'), out.binding('t')], params: params as never, workgroups: [wg] });
  throwsAll(() => js({ n: 4, word: 1 }, 1), /^kernel 'degrade\/pack8': Params field 'word' is not in struct Params \(fields: n, words\)/);
  throwsAll(() => js({ n: 4 }, 0), /^kernel 'degrade\/pack8': Params field 'words' \(u32\) is missing/);
  assert.is(dev.stats.dispatches, before);
  // A view that does not start at an aligned element cannot be bound whole.
  const big = fromArray(dev, new Float32Array(128), [128]);
  throwsAll(() => launch(dev, { kernel: 'degrade/pack8', bindings: [ops.slice(big, 0, 1, 5), out], params: { n: 4, words: 1 }, workgroups: 1 }),
    /kernel 'degrade\/pack8': binding 0/, /raw Binding/);
  launch(dev, { kernel: 'degrade/pack8', bindings: [x, out], params: { n: 4, words: 1 }, workgroups: 1 });
  const word = (await out.toArray())[0]!; // levels of 1, 2, 3, 4 clamp to 255
  assert.is(word >>> 0, 0xffffffff);
  for (const t of [x, out, big]) t.dispose();
});

test('ops with vec4 and array Params still compute: batched matmul, strided sum, softmax', async () => {
  const dev = await getDevice();
  const A = Array.from({ length: 2 * 3 * 4 }, (_, i) => ((i * 7) % 5) - 2), B = Array.from({ length: 2 * 4 * 5 }, (_, i) => ((i * 3) % 7) - 3);
  const a = fromArray(dev, A, [2, 3, 4]), b = fromArray(dev, B, [2, 4, 5]);
  const c = ops.matmul(a, b);
  const want: number[] = [];
  for (let z = 0; z < 2; z++) for (let i = 0; i < 3; i++) for (let j = 0; j < 5; j++) {
    let s = 0;
    for (let k = 0; k < 4; k++) s += A[z * 12 + i * 4 + k]! * B[z * 20 + k * 5 + j]!;
    want.push(s);
  }
  assertClose(await c.toArray(), want, 'matmul', 1e-6, 1e-6);
  const s = ops.sum(ops.transpose(a, 0, 2), 1); // [4, 2]: Σ over the middle (strided) dim
  const wantS: number[] = [];
  for (let k = 0; k < 4; k++) for (let z = 0; z < 2; z++) wantS.push([0, 1, 2].reduce((acc, i) => acc + A[z * 12 + i * 4 + k]!, 0));
  assertClose(await s.toArray(), wantS, 'sum', 1e-6, 1e-6);
  const y = ops.softmax(fromArray(dev, [0, Math.log(3)], [1, 2]));
  assertClose(await y.toArray(), [0.25, 0.75], 'softmax', 1e-6, 1e-5);
  for (const t of [a, b, c, s, y]) t.dispose();
});

// ---- types: `npm run typecheck` fails if these lines stop being type errors ------------------------------------------
test('wrong or missing Params names are type errors (and still throw for JS callers)', async () => {
  const dev: Device = await getDevice();
  const x = fromArray(dev, [0.5], [1]), out = empty(dev, [1], 'u32');
  throwsAll(() => launch(dev, {
    kernel: 'degrade/pack8', bindings: [x, out], workgroups: 1,
    // @ts-expect-error: 'word' is not a field of degrade/pack8's struct Params
    params: { n: 1, word: 1 },
  }), /kernel 'degrade\/pack8'/, /'word'/);
  throwsAll(() => launch(dev, {
    kernel: 'degrade/pack8', bindings: [x, out], workgroups: 1,
    // @ts-expect-error: 'words' is missing
    params: { n: 1 },
  }), /kernel 'degrade\/pack8'/, /'words' \(u32\) is missing/);
  throwsAll(() => launch(dev, {
    kernel: 'degrade/pack8', bindings: [x, out], workgroups: 1,
    // @ts-expect-error: u32 fields take numbers
    params: { n: '1', words: 1 },
  }), /kernel 'degrade\/pack8'/, /'n' \(u32\)/);
  // @ts-expect-error: not a kernel
  throwsAll(() => launch(dev, { kernel: 'degrade/pack9', bindings: [x, out], workgroups: 1, params: { n: 1, words: 1 } }), /unknown kernel 'degrade\/pack9'/);
  x.dispose(); out.dispose();
});

test.after(closeDevice);
test.run();
