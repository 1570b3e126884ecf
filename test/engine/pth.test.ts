// Tests for src/engine/io/pth.ts: torch-written fixtures decode to torch's values exactly, views, key paths, refused globals, corrupt archives.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { inspectPth, loadPthStateDict, openPth, parsePth, type PthTensor } from '../../src/engine/io/pth.ts';

const FIX = 'test/fixtures/pth';
const dir = mkdtempSync(join(tmpdir(), 'hvar-pth-'));
type Exp = Record<string, { dtype: string; shape: number[]; values: (number | string)[] }>;
const expected = JSON.parse(readFileSync(join(FIX, 'expected.json'), 'utf8')) as Record<string, unknown> & { pwned: string; torch: string };
const exp = (k: string) => expected[k] as Exp;

const num = (v: number | string) => (v === 'nan' ? NaN : v === 'inf' ? Infinity : v === '-inf' ? -Infinity : (v as number));

/** Every tensor has torch's dtype, shape and exact values (NaN and -0 included), in torch's key order. */
function matches(got: Map<string, PthTensor>, want: Exp, label: string) {
  assert.equal([...got.keys()], Object.keys(want), `${label}: names in order`);
  for (const [name, w] of Object.entries(want)) {
    const t = got.get(name)!;
    assert.is(t.dtype, w.dtype, `${label} ${name} dtype`);
    assert.equal(t.shape, w.shape, `${label} ${name} shape`);
    assert.is(t.data.length, w.values.length, `${label} ${name} length`);
    const cls = /^(float|bfloat)/.test(w.dtype) ? Float32Array : /^int/.test(w.dtype) ? Int32Array : Uint8Array;
    assert.ok(t.data instanceof cls, `${label} ${name}: ${t.data.constructor.name}`);
    w.values.forEach((v, i) => {
      if (!Object.is(t.data[i], num(v))) assert.unreachable(`${label} ${name}[${i}]: got ${t.data[i]}, torch gives ${v}`);
    });
  }
}

/** `run` rejects with exactly one line that names `file` and matches `re`. */
async function rejects(run: () => Promise<unknown>, file: string, re: RegExp) {
  try { await run(); } catch (e) {
    const msg = (e as Error).message;
    assert.not.ok(msg.includes('\n'), `one line: ${msg}`);
    assert.ok(msg.startsWith(`pth: '${file}': `), `names the file: ${msg}`);
    assert.match(msg, re);
    return;
  }
  assert.unreachable(`${file} should be refused (${re})`);
}

// ---------------------------------------------------------------- byte-level editing of zip fixtures

interface Ent { name: string; cen: number; local: number; begin: number; size: number }
/** The entries of a (non-ZIP64) zip, read independently of src/engine/io/zip.ts. */
function entries(b: Buffer): Ent[] {
  const eocd = b.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  const n = b.readUInt16LE(eocd + 10);
  let p = b.readUInt32LE(eocd + 16);
  const out: Ent[] = [];
  for (let i = 0; i < n; i++) {
    const nl = b.readUInt16LE(p + 28), xl = b.readUInt16LE(p + 30), cl = b.readUInt16LE(p + 32);
    const local = b.readUInt32LE(p + 42);
    const begin = local + 30 + b.readUInt16LE(local + 26) + b.readUInt16LE(local + 28);
    out.push({ name: b.toString('utf8', p + 46, p + 46 + nl), cen: p, local, begin, size: b.readUInt32LE(p + 24) });
    p += 46 + nl + xl + cl;
  }
  return out;
}
/** A copy of `file` with one entry's data edited in place and its CRC-32 fixed in the central directory. */
function edit(file: string, entry: RegExp, change: (data: Buffer) => void): Buffer {
  const b = Buffer.from(readFileSync(join(FIX, file)));
  const e = entries(b).find((x) => entry.test(x.name))!;
  const data = b.subarray(e.begin, e.begin + e.size);
  change(data);
  b.writeUInt32LE(crc32(data), e.cen + 16);
  return b;
}
function replaceOnce(data: Buffer, from: number[], to: number[]) {
  const i = data.indexOf(Buffer.from(from));
  assert.ok(i >= 0 && data.indexOf(Buffer.from(from), i + 1) < 0, `pattern ${from} occurs once`);
  Buffer.from(to).copy(data, i);
}
function save(name: string, bytes: Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

/** A STORED zip of `records` (torch's layout without alignment), for crafted pickles. */
function zip(records: [string, Uint8Array][]): Buffer {
  const parts: Buffer[] = [], cen: Buffer[] = [];
  let off = 0;
  for (const [name, data] of records) {
    const nb = Buffer.from(name), crc = crc32(data);
    const lh = Buffer.alloc(30);
    lh.writeUInt32LE(0x04034b50, 0); lh.writeUInt16LE(20, 4); lh.writeUInt32LE(crc, 14);
    lh.writeUInt32LE(data.length, 18); lh.writeUInt32LE(data.length, 22); lh.writeUInt16LE(nb.length, 26);
    const ch = Buffer.alloc(46);
    ch.writeUInt32LE(0x02014b50, 0); ch.writeUInt16LE(20, 4); ch.writeUInt16LE(20, 6); ch.writeUInt32LE(crc, 16);
    ch.writeUInt32LE(data.length, 20); ch.writeUInt32LE(data.length, 24); ch.writeUInt16LE(nb.length, 28); ch.writeUInt32LE(off, 42);
    parts.push(lh, nb, Buffer.from(data)); cen.push(ch, nb);
    off += 30 + nb.length + data.length;
  }
  const cd = Buffer.concat(cen), end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0); end.writeUInt16LE(records.length, 8); end.writeUInt16LE(records.length, 10);
  end.writeUInt32LE(cd.length, 12); end.writeUInt32LE(off, 16);
  return Buffer.concat([...parts, cd, end]);
}
/** Pickle bytes from opcodes and strings (strings are written as BINUNICODE / GLOBAL text). */
const P = {
  proto: [0x80, 2],
  global: (m: string, n: string) => [0x63, ...Buffer.from(`${m}\n${n}\n`)],
  str: (s: string) => { const b = Buffer.from(s); return [0x58, b.length & 255, (b.length >> 8) & 255, 0, 0, ...b]; },
  stackGlobal: (m: string, n: string) => [...P.str(m), ...P.str(n), 0x93],
  inst: (m: string, n: string) => [0x69, ...Buffer.from(`${m}\n${n}\n`)],
  mark: 0x28, tuple: 0x74, tuple1: 0x85, reduce: 0x52, stop: 0x2e, emptyDict: 0x7d, setitem: 0x73, build: 0x62,
};
const pkl = (...ops: (number | number[])[]) => Uint8Array.from(ops.flat());
const crafted = (name: string, data: Uint8Array) => save(name, zip([['archive/data.pkl', data], ['archive/version', Buffer.from('3\n')]]));

// ---------------------------------------------------------------- values

test('a torch.save state dict: every dtype decodes to the value torch gives, exactly', async () => {
  assert.match(expected.torch, /^\d+\.\d+/);
  const f = await openPth(join(FIX, 'sd.pth'));
  matches(f.tensors, exp('sd'), 'sd.pth');
  assert.is(f.tree, 'state dict: 22 tensors, 89 parameters');
  // the same file, parsed from memory, and through loadPthStateDict
  matches((await parsePth(readFileSync(join(FIX, 'sd.pth')), {}, 'sd.pth')).tensors, exp('sd'), 'parsePth');
  matches(await loadPthStateDict(join(FIX, 'sd.pth')), exp('sd'), 'loadPthStateDict');
});

test('archive variants: explicit new zipfile, byteorder little and big, ZIP64 records', async () => {
  for (const f of ['sd_newzip.pth', 'sd_byteorder_little.pth', 'sd_byteorder_big.pth', 'sd_zip64.pth'])
    matches((await openPth(join(FIX, f))).tensors, exp('sd'), f);
  // the fixtures are what they claim: the ZIP64 one has ZIP64 end records, the big one differs in its storage bytes
  const z64 = readFileSync(join(FIX, 'sd_zip64.pth'));
  assert.ok(z64.includes(Buffer.from([0x50, 0x4b, 0x06, 0x06])) && z64.includes(Buffer.from([0x50, 0x4b, 0x06, 0x07])));
  assert.ok(readFileSync(join(FIX, 'sd_byteorder_big.pth')).includes(Buffer.from('big')));
  assert.not.ok(entries(readFileSync(join(FIX, 'sd.pth'))).some((e) => e.name.endsWith('/byteorder')), 'sd.pth has no byteorder record');
});

test('views of one storage are materialised contiguous and independent', async () => {
  const t = (await openPth(join(FIX, 'sd.pth'))).tensors;
  const base = [...t.get('base')!.data];
  assert.equal(base, Array.from({ length: 12 }, (_, i) => i * 0.5 - 2));
  const at = (r: number, c: number) => base[r * 4 + c]!;
  assert.equal(t.get('base_t')!.shape, [4, 3]);
  assert.equal([...t.get('base_t')!.data], [0, 1, 2, 3].flatMap((c) => [0, 1, 2].map((r) => at(r, c))));
  assert.equal([...t.get('base_slice')!.data], [at(1, 1), at(1, 2), at(2, 1), at(2, 2)]);
  assert.equal([...t.get('base_col')!.data], [at(0, 2), at(1, 2), at(2, 2)]);
  t.get('base')!.data[0] = 99;
  assert.is(t.get('base_t')!.data[0], -2, 'no shared buffers');
  assert.equal(t.get('scalar')!.shape, []);
  assert.equal([...t.get('scalar')!.data], [42.5]);
  assert.equal(t.get('empty')!.shape, [0, 3]);
  assert.is(t.get('empty')!.data.length, 0);
});

test('nested trainer state: key paths select dicts; the tree lists the plain values', async () => {
  const p = join(FIX, 'trainer.pth');
  const all = await openPth(p);
  matches(all.tensors, exp('trainer'), 'whole file');
  matches((await openPth(p, { key: 'trainer.vae_local' })).tensors, exp('trainer.vae_local'), 'vae_local');
  const b = await loadPthStateDict(p, 'trainer.var_wo_ddp');
  matches(b, exp('trainer.var_wo_ddp'), 'var_wo_ddp');
  assert.equal([...b.get('tied')!.data], [1, 3, 2, 4], "a transposed view of vae_local's storage");
  const tree = all.tree as Record<string, Record<string, unknown>>;
  assert.equal(tree.trainer!.vae_local, 'state dict: 2 tensors, 6 parameters');
  assert.is(tree.epoch, 3);
  assert.is(tree.iter, 1000);
  assert.equal(tree.args, { pn: '1_2_3_4', lr: 1e-4, flags: [true, false, null], dtype: 'torch.float16', size: [2, 3], tags: 'set of 2', big: String(2n ** 70n), neg: -5 });
  assert.equal(tree.trainer!.var_opt, { state: { '0': { step: 3, exp_avg: 'tensor float32 [2]' } }, param_groups: [{ lr: 1e-4, params: [0] }] });
  const info = await inspectPth(p, { key: 'trainer' });
  assert.equal([...info.tensors.keys()], Object.keys(exp('trainer')).map((k) => k.slice('trainer.'.length)));
  assert.equal(info.tensors.get('vae_local.w'), { dtype: 'float32', shape: [2, 2] });
});

test('a missing key lists the keys that are there', async () => {
  const p = join(FIX, 'trainer.pth');
  await rejects(() => openPth(p, { key: 'trainer.nope' }), p, /no key 'trainer\.nope' \(at 'trainer'\); available: vae_local, var_wo_ddp, var_opt$/);
  await rejects(() => openPth(p, { key: 'model' }), p, /no key 'model'; available: trainer, epoch, iter, args$/);
  await rejects(() => loadPthStateDict(p, 'epoch.x'), p, /no key 'epoch\.x': 'epoch' is 3, not a dict/);
  await rejects(() => inspectPth(p, { key: 'trainer.vae_local.q' }), p, /no key 'trainer\.vae_local\.q' \(at 'trainer\.vae_local'\); available: w, b$/);
});

test('int64 outside Int32 is an error naming the tensor', async () => {
  const p = join(FIX, 'big_i64.pth');
  await rejects(() => openPth(p), p, /tensor 'x': int64 value 2147483648 at flat index 1 is outside the Int32 range/);
});

// ---------------------------------------------------------------- security

test('malicious pickles: the global is refused by name, nothing runs', async () => {
  const pwned = expected.pwned;
  assert.match(pwned, /^\/tmp\/hvar_pwned_[0-9a-f]{12}$/);
  rmSync(pwned, { force: true });
  const cases: [string, string][] = [
    ['evil_os_system.pth', 'os.system'], // GLOBAL os system + REDUCE
    ['evil_eval.pth', 'builtins.eval'], // protocol 4 STACK_GLOBAL
    ['evil_reduce.pth', 'posix.system'], // a __reduce__ object inside a trainer state, after valid tensors
    ['evil_namespace.pth', 'argparse.Namespace'], // any other class
  ];
  for (const [f, g] of cases) {
    const p = join(FIX, f);
    const re = new RegExp(`^pth: '${p.replace(/[.]/g, '\\.')}': refusing global '${g.replace('.', '\\.')}' \\(only state-dict contents are allowed\\)$`);
    await rejects(() => openPth(p), p, re);
    await rejects(() => inspectPth(p), p, re);
    await rejects(() => openPth(p, { key: 'trainer.vae_local' }), p, re);
  }
  const cs = join(FIX, 'evil_call_storage.pth');
  await rejects(() => openPth(cs), cs, /data\.pkl: cannot call torch\.FloatStorage$/);
  assert.not.ok(existsSync(pwned), `${pwned} must not exist`);
});

test('crafted pickles: other globals, INST, calls of allowed names with bad arguments', async () => {
  const pwned = expected.pwned;
  const refused: [string, Uint8Array, RegExp][] = [
    ['subprocess', pkl(P.proto, P.stackGlobal('subprocess', 'Popen'), P.str(`touch ${pwned}`), P.tuple1, P.reduce, P.stop), /refusing global 'subprocess\.Popen'/],
    ['inst', pkl(P.proto, P.mark, P.str(`touch ${pwned}`), P.inst('os', 'system'), P.stop), /refusing global 'os\.system'/],
    ['getattr', pkl(P.proto, P.global('builtins', 'getattr'), P.stop), /refusing global 'builtins\.getattr'/],
    ['load_bytes', pkl(P.proto, P.global('torch.storage', '_load_from_bytes'), P.stop), /refusing global 'torch\.storage\._load_from_bytes'/],
    ['numpy', pkl(P.proto, P.global('numpy.core.multiarray', '_reconstruct'), P.stop), /refusing global 'numpy\.core\.multiarray\._reconstruct'/],
    ['torch_load', pkl(P.proto, P.global('torch', 'load'), P.stop), /refusing global 'torch\.load'/],
    ['dunder', pkl(P.proto, P.global('torch', '__builtins__'), P.stop), /refusing global 'torch\.__builtins__'/],
    ['od_args', pkl(P.proto, P.global('collections', 'OrderedDict'), P.str('x'), P.tuple1, P.reduce, P.stop), /OrderedDict\(\.\.\.\) with arguments is not supported/],
    ['rebuild', pkl(P.proto, P.global('torch._utils', '_rebuild_tensor_v2'), P.mark, P.str('x'), 0x4b, 0, P.emptyDict, P.emptyDict, 0x89, P.emptyDict, P.tuple, P.reduce, P.stop),
      /tensor storage must be a persistent storage, got "x"/],
    ['dtype_call', pkl(P.proto, P.global('torch', 'float32'), P.str('x'), P.tuple1, P.reduce, P.stop), /cannot call torch\.float32/],
    ['build_dict', pkl(P.proto, P.emptyDict, P.emptyDict, P.build, P.stop), /cannot set state on dict of 0/],
    ['persid', pkl(P.proto, P.str('storage'), 0x51, P.stop), /unknown persistent id "storage"/],
    ['cycle', pkl(P.proto, 0x5d, 0x71, 0, 0x68, 0, 0x61, P.stop), /the object tree contains a cycle at '0'/], // l = []; l.append(l)
    // 40 levels of [x, x] sharing one list: 2^40 paths to the bottom
    ['dag', pkl(P.proto, 0x5d, ...Array.from({ length: 40 }, () => [0x71, 0, 0x30, 0x5d, 0x68, 0, 0x61, 0x68, 0, 0x61]).flat(), P.stop), /more than 1000000 values to walk/],
    ['deep', pkl(P.proto, new Array(100_000).fill(0x5d), new Array(99_999).fill(0x61), P.stop), /containers nested deeper than 64 levels/],
  ];
  for (const [name, data, re] of refused) {
    const p = crafted(`${name}.pth`, data);
    await rejects(() => openPth(p), p, re);
  }
  assert.not.ok(existsSync(pwned), `${pwned} must not exist`);
});

// ---------------------------------------------------------------- corrupt archives

test('format errors: wrong magic, empty, truncated, legacy, compressed, missing data.pkl', async () => {
  const one = readFileSync(join(FIX, 'one.pth'));
  const magic = Buffer.from(one); magic.write('XX', 0);
  const cases: [string, Uint8Array | string, RegExp][] = [
    ['magic.pth', magic, /not a torch\.save zip archive \(expected the zip magic 'PK\\x03\\x04' at byte 0\)$/],
    ['empty.pth', new Uint8Array(0), /empty file/],
    ['half.pth', one.subarray(0, one.length >> 1), /truncated zip: no end-of-central-directory record/],
    ['cut.pth', one.subarray(0, one.length - 1), /truncated zip: no end-of-central-directory record/],
    ['legacy.pth', join(FIX, 'legacy.pth'), /legacy \(pre-1\.6, non-zip\) torch\.save format; only the zip format is supported/],
    ['compressed.pth', join(FIX, 'compressed.pth'), /entry 'sd\/data\.pkl' is compressed \(method 8\); only STORED entries/],
    ['nopkl.pth', Buffer.from(one.toString('latin1').replaceAll('one/data.pkl', 'one/data.pkx'), 'latin1'), /missing data\.pkl \(expected '<archive>\/data\.pkl'; the zip has one\/data\.pkx, /],
    ['norecord.pth', Buffer.from(one.toString('latin1').replaceAll('one/data/0', 'one/data/7'), 'latin1'), /tensor 'w': storage record 'data\/0' is missing from the archive/],
  ];
  for (const [name, src, re] of cases) {
    const p = typeof src === 'string' ? src : save(name, src);
    await rejects(() => openPth(p), p, re);
    if (typeof src !== 'string') await rejects(() => parsePth(src, {}, name), name, re); // the same from memory
  }
  await rejects(() => openPth(join(dir, 'nothing.pth')), join(dir, 'nothing.pth'), /cannot open: no such file/);
});

test('bounds: a storage past its record, a tensor past its storage, a record past the archive, a bad opcode, a bad CRC', async () => {
  // one.pth: w = arange(12).reshape(3, 4) in storage '0' of 12 floats; its persistent id ends "'cpu' BINPUT 7 BININT1 12 TUPLE"
  const numel = (n: number) => (d: Buffer) => replaceOnce(d, [...Buffer.from('cpuq\x07K'), 12, 0x74], [...Buffer.from('cpuq\x07K'), n, 0x74]);
  const st = save('storage_oob.pth', edit('one.pth', /data\.pkl$/, numel(200)));
  await rejects(() => openPth(st), st, /storage '0' out of bounds: 200 float32 elements need 800 bytes, its record has 48$/);
  await rejects(() => inspectPth(st), st, /storage '0' out of bounds/);
  const past = save('tensor_past.pth', edit('one.pth', /data\.pkl$/, numel(6)));
  await rejects(() => openPth(past), past, /tensor 'w' \(shape \[3, 4\], stride \[4, 1\], offset 0\) reaches element 11, past its storage '0' of 6 float32 elements$/);
  // storage offset 1 (BINPERSID BININT1 0 -> 1): the view then ends one element past the 12
  const off = save('offset_past.pth', edit('one.pth', /data\.pkl$/, (d) => replaceOnce(d, [0x51, 0x4b, 0, 0x4b, 3], [0x51, 0x4b, 1, 0x4b, 3])));
  await rejects(() => openPth(off), off, /offset 1\) reaches element 12, past its storage '0' of 12 float32 elements$/);
  // the central directory claims a larger record than the archive holds
  const big = Buffer.from(readFileSync(join(FIX, 'one.pth')));
  const rec = entries(big).find((e) => e.name === 'one/data/0')!;
  big.writeUInt32LE(100000, rec.cen + 20); big.writeUInt32LE(100000, rec.cen + 24);
  const trunc = save('record_past.pth', big);
  await rejects(() => openPth(trunc), trunc, /truncated zip: entry 'one\/data\/0' data \[\d+, \d+\) runs past the entries' end at \d+$/);
  const op = save('opcode.pth', edit('one.pth', /data\.pkl$/, (d) => { d[d.length - 1] = 0xff; }));
  await rejects(() => openPth(op), op, /unknown or unsupported pickle opcode 0xff \(pickle byte \d+\)$/);
  const crc = Buffer.from(readFileSync(join(FIX, 'one.pth')));
  crc[entries(crc)[0]!.begin + 30] ^= 1;
  const bad = save('crc.pth', crc);
  await rejects(() => openPth(bad), bad, /corrupt one\/data\.pkl: CRC-32 mismatch$/);
  const shortPkl = save('short.pth', edit('one.pth', /data\.pkl$/, (d) => { d[d.length - 1] = 0x4a; })); // BININT with no operand
  await rejects(() => openPth(shortPkl), shortPkl, /truncated pickle: needs 4 more bytes/);
  // the untouched file still loads
  matches((await openPth(join(FIX, 'one.pth'))).tensors, exp('one'), 'one.pth');
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
