// Tests for src/engine/io/safetensors.ts: dtype round trips, PyTorch-written goldens, error messages, per-tensor streamed reads, atomic writes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync, readFileSync, readdirSync, existsSync, statSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  openSafetensors, parseSafetensors, serializeSafetensors, writeSafetensors, loadSafetensors,
  type StInput,
} from '../../src/engine/io/safetensors.ts';
import { f32ToF16Bits, f32ToBf16Bits } from '../../src/engine/half.ts';

const dir = mkdtempSync(join(tmpdir(), 'hvar-st-'));
const VALS = [-2.5, -1, 0, 0.1, 1 / 3, 65504, 1e-5, 3];

/** Hand-built file: header object + data bytes (for corrupt-file tests). */
function rawFile(header: unknown, dataBytes: number, headerText?: string): Uint8Array {
  const json = new TextEncoder().encode(headerText ?? JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + dataBytes);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  return out;
}

test('round trip of every dtype, in memory and through a file', async () => {
  const inputs: Record<string, StInput> = {
    f32: { dtype: 'F32', shape: [2, 4], data: Float32Array.from(VALS) },
    f64: { dtype: 'F64', shape: [8], data: Float64Array.from(VALS) },
    f16: { dtype: 'F16', shape: [8], data: Float32Array.from(VALS) },
    bf16: { dtype: 'BF16', shape: [4, 2], data: Float32Array.from(VALS) },
    i64: { dtype: 'I64', shape: [3], data: Int32Array.from([-2147483648, -1, 2147483647]) },
    i64big: { dtype: 'I64', shape: [2], data: BigInt64Array.from([-5n, 9n]) },
    i32: { dtype: 'I32', shape: [3], data: Int32Array.from([-7, 0, 123456789]) },
    u8: { dtype: 'U8', shape: [1, 3], data: Uint8Array.from([0, 128, 255]) },
    empty: { dtype: 'F32', shape: [0, 5], data: new Float32Array(0) },
    scalar: { dtype: 'F32', shape: [], data: Float32Array.from([42]) },
  };
  const meta = { format: 'pt', note: 'hello' };
  const path = join(dir, 'all.safetensors');
  await writeSafetensors(path, inputs, meta);
  const mem = parseSafetensors(serializeSafetensors(inputs, meta));
  const file = await loadSafetensors(path);
  assert.equal(mem.metadata, meta);
  assert.equal((await openSafetensors(path)).metadata, meta);
  for (const got of [mem.tensors, file]) {
    assert.equal([...got.keys()], Object.keys(inputs));
    for (const [k, t] of Object.entries(inputs)) {
      const r = got.get(k)!;
      assert.is(r.dtype, t.dtype, k);
      assert.equal(r.shape, t.shape, k);
    }
    assert.equal([...got.get('f32')!.data], [...Float32Array.from(VALS)]);
    assert.ok(got.get('f32')!.data instanceof Float32Array);
    assert.equal([...got.get('f64')!.data], [...Float32Array.from(VALS)]);
    assert.equal([...got.get('f16')!.data], [...Float32Array.from(VALS.map((v) => f16Value(v)))]);
    assert.equal([...got.get('i64')!.data], [-2147483648, -1, 2147483647]);
    assert.ok(got.get('i64')!.data instanceof Int32Array);
    assert.equal([...got.get('i64big')!.data], [-5, 9]);
    assert.equal([...got.get('i32')!.data], [-7, 0, 123456789]);
    assert.equal([...got.get('u8')!.data], [0, 128, 255]);
    assert.ok(got.get('u8')!.data instanceof Uint8Array);
    assert.is(got.get('empty')!.data.length, 0);
    assert.equal([...got.get('scalar')!.data], [42]);
    // bf16 keeps 7 explicit mantissa bits: relative error <= half an ulp = 2^-8
    got.get('bf16')!.data.forEach((v, i) => assert.ok(Math.abs(v - VALS[i]) <= Math.abs(VALS[i]) * 2 ** -8, `bf16[${i}]`));
  }
  assert.equal(readdirSync(dir).filter((n) => n.includes('.tmp-')), [], 'no temp file left behind');
});

/** Independent f16 rounding: nearest representable half (ties to even mantissa), by exhaustive neighbour search. */
function f16Value(v: number): number {
  const e = Math.max(Math.floor(Math.log2(Math.abs(v) || 1)), -14), ulp = 2 ** (e - 10);
  const lo = Math.floor(v / ulp) * ulp, hi = lo + ulp;
  if (v - lo !== hi - v) return v - lo < hi - v ? lo : hi;
  return (lo / ulp) % 2 === 0 ? lo : hi;
}

test('parseSafetensors of a Node Buffer (readFileSync) gives each tensor its own data, not a view of the whole buffer', () => {
  const bytes = serializeSafetensors({ a: { dtype: 'F32', shape: [2], data: new Float32Array([1, 2]) }, b: { dtype: 'I32', shape: [3], data: new Int32Array([7, 8, 9]) } });
  const p = join(mkdtempSync(join(tmpdir(), 'hvar-st-buf-')), 'x.safetensors');
  writeFileSync(p, bytes);
  const buf = readFileSync(p);
  for (const src of [buf, buf.subarray(0)]) {
    const { tensors } = parseSafetensors(src);
    assert.equal(Array.from(tensors.get('a')!.data), [1, 2]);
    assert.equal(Array.from(tensors.get('b')!.data), [7, 8, 9]);
  }
  rmSync(p);
});

test('f16 / bf16 conversion: IEEE edge cases', () => {
  assert.is(f32ToF16Bits(1), 0x3c00);
  assert.is(f32ToF16Bits(-2), 0xc000);
  assert.is(f32ToF16Bits(65504), 0x7bff);
  assert.is(f32ToF16Bits(65519), 0x7bff); // below the midpoint to 65536 -> stays finite
  assert.is(f32ToF16Bits(65520), 0x7c00); // the midpoint rounds to even = infinity
  assert.is(f32ToF16Bits(Infinity), 0x7c00);
  assert.is(f32ToF16Bits(-Infinity), 0xfc00);
  assert.ok((f32ToF16Bits(NaN) & 0x7c00) === 0x7c00 && (f32ToF16Bits(NaN) & 0x3ff) !== 0);
  assert.is(f32ToF16Bits(2 ** -24), 0x0001); // smallest subnormal
  assert.is(f32ToF16Bits(2 ** -25), 0x0000); // tie -> even (zero)
  assert.is(f32ToF16Bits(1.5 * 2 ** -25), 0x0001);
  assert.is(f32ToF16Bits(2 ** -14), 0x0400); // smallest normal
  assert.is(f32ToF16Bits(1 + 2 ** -11), 0x3c00); // tie -> even
  assert.is(f32ToF16Bits(1 + 3 * 2 ** -11), 0x3c02); // tie -> even (up)
  assert.is(f32ToF16Bits(-0), 0x8000);
  assert.is(f32ToBf16Bits(1), 0x3f80);
  assert.is(f32ToBf16Bits(1 + 2 ** -8), 0x3f80); // tie -> even
  assert.is(f32ToBf16Bits(1 + 3 * 2 ** -8), 0x3f82);
  assert.is(f32ToBf16Bits(NaN) & 0x7fc0, 0x7fc0);
});

test('PyTorch-written dtypes golden decodes to the values torch gives', async () => {
  const f = await openSafetensors('test/fixtures/golden/dtypes.safetensors');
  const g = async (k: string) => [...(await f.read(k)).data];
  assert.equal(await g('f16'), await g('f16_as_f32'));
  assert.equal(await g('bf16'), await g('bf16_as_f32'));
  assert.equal(await g('f64'), await g('f32'));
  assert.equal(await g('i64'), [-3, 0, 7, 2147483647, -2147483648]);
  assert.equal(await g('i32'), [-3, 0, 7, 2147483647, -2147483648]);
  assert.equal(await g('u8'), [0, 1, 200, 255]);
  // our encoders agree with torch's .half() / .bfloat16() rounding
  const f32 = (await f.read('f32')).data as Float32Array;
  const back = parseSafetensors(serializeSafetensors({ h: { dtype: 'F16', shape: [8], data: f32 }, b: { dtype: 'BF16', shape: [8], data: f32 } }));
  assert.equal([...back.tensors.get('h')!.data], await g('f16_as_f32'));
  assert.equal([...back.tensors.get('b')!.data], await g('bf16_as_f32'));
  await assert.not.throws(() => f.info('big_i64'));
  try { await f.read('big_i64'); assert.unreachable('should throw'); } catch (e) {
    assert.match((e as Error).message, /dtypes\.safetensors: tensor 'big_i64': I64 value 2147483648 at flat index 1 is outside the Int32 range/);
  }
});

test('golden attention file: shapes, dtypes, metadata', async () => {
  const f = await openSafetensors('test/fixtures/golden/attention.safetensors');
  assert.equal(f.info('q').shape, [2, 2, 7, 64]);
  assert.is(f.info('q').dtype, 'F32');
  assert.is(f.info('q').end - f.info('q').begin, 2 * 2 * 7 * 64 * 4);
  const lv = await f.read('levels');
  assert.is(lv.dtype, 'I64');
  assert.equal([...lv.data], [0, 1, 1, 1, 1, 2, 2]);
  assert.ok(lv.data instanceof Int32Array);
  assert.match(f.metadata?.torch ?? '', /^\d+\.\d+/);
  assert.throws(() => f.info('nope'), /no tensor named 'nope'/);
});

test('read() fetches only that tensor\'s byte range', async () => {
  const n = 50_000, path = join(dir, 'big.safetensors');
  const mk = (k: number) => Float32Array.from({ length: n }, (_, i) => i * 0.5 + k);
  await writeSafetensors(path, { a: { dtype: 'F32', shape: [n], data: mk(1) }, b: { dtype: 'F32', shape: [n], data: mk(2) }, c: { dtype: 'F32', shape: [n], data: mk(3) } });
  const f = await openSafetensors(path);
  const afterHeader = f.bytesRead;
  const c = await f.read('c');
  assert.is(f.bytesRead - afterHeader, n * 4, 'read exactly the last tensor');
  assert.is(afterHeader, f.info('a').begin, 'open() read only the 8-byte length and the header');
  assert.ok(f.bytesRead < statSync(path).size / 2, `read ${f.bytesRead} of ${statSync(path).size} bytes`);
  assert.equal(c.data.subarray(0, 3), Float32Array.from([3, 3.5, 4]));
  assert.is(c.data[n - 1], (n - 1) * 0.5 + 3);
});

test('truncated and corrupt files give errors naming the file and the problem', async () => {
  const good = serializeSafetensors({ a: { dtype: 'F32', shape: [4], data: new Float32Array(4) }, b: { dtype: 'F32', shape: [2], data: new Float32Array(2) } });
  const cases: [string, Uint8Array, RegExp][] = [
    ['tiny', good.subarray(0, 5), /tiny\.st: truncated file: 5 bytes, too short for the 8-byte header length/],
    ['cuthead', good.subarray(0, 20), new RegExp(`cuthead\\.st: truncated file: header says ${good.length - 24} bytes of header, file has 20 bytes`)],
    ['cutdata', good.subarray(0, good.length - 3), new RegExp(`cutdata\\.st: truncated file: header says ${good.length} bytes \\(tensor 'b' ends at data byte 24\\), file has ${good.length - 3} bytes`)],
    ['badjson', rawFile(null, 0, '{"a": {"dtype": "F32",'), /badjson\.st: bad header JSON: /],
    ['notobj', rawFile(null, 0, '[1,2]'), /notobj\.st: bad header JSON: not an object/],
    ['dtype', rawFile({ a: { dtype: 'Q8', shape: [2], data_offsets: [0, 2] } }, 2), /dtype\.st: tensor 'a': unknown dtype "Q8"/],
    ['mismatch', rawFile({ a: { dtype: 'F32', shape: [2, 3], data_offsets: [0, 20] } }, 24), /mismatch\.st: tensor 'a': shape \[2,3\] of F32 needs 24 bytes, data_offsets \[0, 20\] give 20/],
    ['overlap', rawFile({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, 12), /overlap\.st: bad header: tensors 'a' and 'b' overlap/],
    ['offsets', rawFile({ a: { dtype: 'F32', shape: [1], data_offsets: [8, 4] } }, 8), /offsets\.st: tensor 'a': bad data_offsets \[8,4\]/],
    ['range', rawFile({ a: { dtype: 'F32', shape: [4], data_offsets: [8, 24] } }, 16), /range\.st: truncated file: .*tensor 'a' ends at data byte 24/],
    ['meta', rawFile({ __metadata__: { x: 1 } }, 0), /meta\.st: bad header: __metadata__ must map strings to strings/],
  ];
  for (const [name, bytes, re] of cases) {
    const path = join(dir, `${name}.st`);
    writeFileSync(path, bytes);
    try { await openSafetensors(path); assert.unreachable(`${name} should throw`); } catch (e) {
      assert.match((e as Error).message, re, `${name}: ${(e as Error).message}`);
    }
    assert.throws(() => parseSafetensors(bytes, `${name}.st`), re, `${name} (in memory)`);
  }
});

test('writer: validation errors, nothing written, previous file intact', async () => {
  const path = join(dir, 'keep.safetensors');
  await writeSafetensors(path, { a: { dtype: 'I32', shape: [2], data: Int32Array.from([1, 2]) } });
  const before = readFileSync(path);
  const bad: [Record<string, StInput>, RegExp][] = [
    [{ a: { dtype: 'F32', shape: [3], data: new Float32Array(2) } }, /tensor 'a': shape \[3\] has 3 elements, data has 2/],
    [{ a: { dtype: 'I32', shape: [2], data: new Float32Array(2) } }, /tensor 'a': Float32Array cannot be written as I32/],
    [{ a: { dtype: 'X1' as 'F32', shape: [1], data: new Float32Array(1) } }, /tensor 'a': unknown dtype "X1"/],
  ];
  for (const [t, re] of bad) {
    try { await writeSafetensors(path, { ok: { dtype: 'U8', shape: [1], data: new Uint8Array(1) }, ...t }); assert.unreachable('should throw'); } catch (e) {
      assert.match((e as Error).message, re);
    }
    assert.throws(() => serializeSafetensors(t), re);
  }
  assert.equal(readFileSync(path), before, 'previous file untouched');
  assert.not.ok(existsSync(`${path}.tmp-${process.pid}`));
  // header is 8-byte aligned as the format recommends
  assert.is(Number(new DataView(before.buffer, before.byteOffset).getBigUint64(0, true)) % 8, 0);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
