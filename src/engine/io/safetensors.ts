// safetensors read/write: header validation, dtype decoding (F32/F16/BF16/F64 -> f32, I64/I32 -> i32, U8), streamed per-tensor file reads, atomic streamed writes.
import { numel } from '../shape.ts';
import { f16BitsToF32, f32ToF16Bits, f32ToBf16Bits } from '../half.ts';
// Node-only parts (node:fs/promises) are imported lazily so this module also bundles for browsers and Deno.

export type StDtype = 'F32' | 'F16' | 'BF16' | 'F64' | 'I64' | 'I32' | 'U8';
export type StData = Float32Array | Int32Array | Uint8Array;
/** Data accepted by the writers. F16/BF16 take Float32Array (converted, round-to-nearest-even) or Uint16Array (raw bits);
 * I64 takes Int32Array (sign-extended) or BigInt64Array; F64 takes Float64Array or Float32Array. */
export type StWritable = Float32Array | Float64Array | Int32Array | Uint8Array | Uint16Array | BigInt64Array;

export interface StTensorInfo {
  dtype: StDtype;
  shape: number[];
  /** Absolute byte range [begin, end) within the file (or buffer). */
  begin: number;
  end: number;
}
export interface StTensor { dtype: StDtype; shape: number[]; data: StData }
export interface StInput { dtype: StDtype; shape: number[]; data: StWritable }

const ITEM: Record<StDtype, number> = { F32: 4, F16: 2, BF16: 2, F64: 8, I64: 8, I32: 4, U8: 1 };
const MAX_HEADER = 100 * 1024 * 1024; // the format's own limit
const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

// ---------------------------------------------------------------- header

export interface StHeader {
  tensors: Map<string, StTensorInfo>;
  metadata: Record<string, string> | undefined;
  /** Absolute offset of the data section (8 + header length). */
  dataStart: number;
}

/** Reads the u64 header length from the first 8 bytes; `what` names the file in errors. */
function headerLength(first8: Uint8Array, fileSize: number, what: string): number {
  if (fileSize < 8) throw new Error(`${what}: truncated file: ${fileSize} bytes, too short for the 8-byte header length`);
  const dv = new DataView(first8.buffer, first8.byteOffset, 8);
  const n = Number(dv.getBigUint64(0, true));
  if (n > MAX_HEADER) throw new Error(`${what}: bad header: header length ${n} exceeds the ${MAX_HEADER}-byte limit (not a safetensors file?)`);
  if (8 + n > fileSize) throw new Error(`${what}: truncated file: header says ${8 + n} bytes of header, file has ${fileSize} bytes`);
  return n;
}

/** Parses and validates the JSON header against the file size. */
function parseHeader(json: Uint8Array, fileSize: number, what: string): StHeader {
  let obj: unknown;
  try {
    obj = JSON.parse(new TextDecoder().decode(json));
  } catch (e) {
    throw new Error(`${what}: bad header JSON: ${(e as Error).message}`);
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw new Error(`${what}: bad header JSON: not an object`);
  const dataStart = 8 + json.length;
  const dataLen = fileSize - dataStart;
  const tensors = new Map<string, StTensorInfo>();
  let metadata: Record<string, string> | undefined;
  let maxEnd = 0, maxName = '';
  for (const [name, v] of Object.entries(obj as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof v !== 'object' || v === null || Array.isArray(v) || Object.values(v).some((s) => typeof s !== 'string'))
        throw new Error(`${what}: bad header: __metadata__ must map strings to strings`);
      metadata = v as Record<string, string>;
      continue;
    }
    const e = v as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof e !== 'object' || e === null) throw new Error(`${what}: bad header: entry '${name}' is not an object`);
    if (typeof e.dtype !== 'string' || !(e.dtype in ITEM)) throw new Error(`${what}: tensor '${name}': unknown dtype ${JSON.stringify(e.dtype)}`);
    const dtype = e.dtype as StDtype;
    if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isSafeInteger(d) && d >= 0))
      throw new Error(`${what}: tensor '${name}': bad shape ${JSON.stringify(e.shape)}`);
    const off = e.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every((d) => Number.isSafeInteger(d) && d >= 0) || off[1] < off[0])
      throw new Error(`${what}: tensor '${name}': bad data_offsets ${JSON.stringify(off)}`);
    const shape = e.shape as number[];
    const [b, en] = off as [number, number];
    const need = numel(shape) * ITEM[dtype];
    if (en - b !== need)
      throw new Error(`${what}: tensor '${name}': shape [${shape}] of ${dtype} needs ${need} bytes, data_offsets [${b}, ${en}] give ${en - b}`);
    if (en > maxEnd) { maxEnd = en; maxName = name; }
    tensors.set(name, { dtype, shape, begin: dataStart + b, end: dataStart + en });
  }
  if (maxEnd > dataLen)
    throw new Error(`${what}: truncated file: header says ${dataStart + maxEnd} bytes (tensor '${maxName}' ends at data byte ${maxEnd}), file has ${fileSize} bytes`);
  const sorted = [...tensors.entries()].filter(([, t]) => t.end > t.begin).sort((x, y) => x[1].begin - y[1].begin);
  for (let i = 1; i < sorted.length; i++)
    if (sorted[i][1].begin < sorted[i - 1][1].end)
      throw new Error(`${what}: bad header: tensors '${sorted[i - 1][0]}' and '${sorted[i][0]}' overlap`);
  return { tensors, metadata, dataStart };
}

// ---------------------------------------------------------------- dtype conversion

/** Copies `bytes` into a fresh, aligned buffer unless `owned` (already a fresh buffer at offset 0). */
function aligned(bytes: Uint8Array, owned: boolean): ArrayBuffer {
  if (owned && bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength) return bytes.buffer as ArrayBuffer;
  // Not bytes.slice(): on a Node Buffer that is a view of the same memory (its .buffer is the whole file or pool).
  return new Uint8Array(bytes).buffer as ArrayBuffer;
}

/** Decodes raw little-endian bytes of one tensor. */
function decode(name: string, dtype: StDtype, bytes: Uint8Array, owned: boolean, what: string): StData {
  if (!LITTLE_ENDIAN_HOST) throw new Error('safetensors: big-endian hosts are not supported');
  const buf = aligned(bytes, owned);
  switch (dtype) {
    case 'F32': return new Float32Array(buf);
    case 'I32': return new Int32Array(buf);
    case 'U8': return new Uint8Array(buf);
    case 'F64': return Float32Array.from(new Float64Array(buf));
    case 'F16': {
      return f16BitsToF32(new Uint16Array(buf));
    }
    case 'BF16': {
      const h = new Uint16Array(buf), out = new Uint32Array(h.length);
      for (let i = 0; i < h.length; i++) out[i] = h[i] << 16;
      return new Float32Array(out.buffer);
    }
    case 'I64': {
      const w = new Int32Array(buf), out = new Int32Array(w.length / 2);
      for (let i = 0; i < out.length; i++) {
        const lo = w[2 * i], hi = w[2 * i + 1];
        if (hi !== lo >> 31) {
          const v = (BigInt(hi) << 32n) | BigInt(lo >>> 0);
          throw new Error(`${what}: tensor '${name}': I64 value ${v} at flat index ${i} is outside the Int32 range`);
        }
        out[i] = lo;
      }
      return out;
    }
  }
}

/** Validates one writer input: dtype known, shape sane, element count and array type compatible with the dtype. */
function check(name: string, t: StInput): void {
  if (!(t.dtype in ITEM)) throw new Error(`safetensors: tensor '${name}': unknown dtype ${JSON.stringify(t.dtype)}`);
  if (!Array.isArray(t.shape) || !t.shape.every((s) => Number.isSafeInteger(s) && s >= 0)) throw new Error(`safetensors: tensor '${name}': bad shape [${t.shape}]`);
  const n = numel(t.shape), d = t.data;
  if (d.length !== n) throw new Error(`safetensors: tensor '${name}': shape [${t.shape}] has ${n} elements, data has ${d.length}`);
  const ok: Record<StDtype, Function[]> = {
    F32: [Float32Array, Float64Array], F64: [Float64Array, Float32Array], I32: [Int32Array], U8: [Uint8Array],
    F16: [Uint16Array, Float32Array, Float64Array], BF16: [Uint16Array, Float32Array, Float64Array], I64: [BigInt64Array, Int32Array],
  };
  if (!ok[t.dtype].some((c) => d instanceof c)) throw new Error(`safetensors: tensor '${name}': ${d.constructor.name} cannot be written as ${t.dtype}`);
}

/** Encodes one tensor's data to little-endian bytes in its dtype (a view, without copying, where possible). */
function encode(name: string, t: StInput): Uint8Array {
  if (!LITTLE_ENDIAN_HOST) throw new Error('safetensors: big-endian hosts are not supported');
  check(name, t);
  const n = numel(t.shape), d = t.data;
  const view = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const bad = () => new Error(`safetensors: tensor '${name}': ${d.constructor.name} cannot be written as ${t.dtype}`);
  switch (t.dtype) {
    case 'F32': if (d instanceof Float32Array) return view(d); if (d instanceof Float64Array) return view(Float32Array.from(d)); throw bad();
    case 'F64': if (d instanceof Float64Array) return view(d); if (d instanceof Float32Array) return view(Float64Array.from(d)); throw bad();
    case 'I32': if (d instanceof Int32Array) return view(d); throw bad();
    case 'U8': if (d instanceof Uint8Array) return view(d); throw bad();
    case 'F16': case 'BF16': {
      if (d instanceof Uint16Array) return view(d);
      if (!(d instanceof Float32Array || d instanceof Float64Array)) throw bad();
      const out = new Uint16Array(n), f = t.dtype === 'F16' ? f32ToF16Bits : f32ToBf16Bits;
      for (let i = 0; i < n; i++) out[i] = f(d[i]);
      return view(out);
    }
    case 'I64': {
      if (d instanceof BigInt64Array) return view(d);
      if (!(d instanceof Int32Array)) throw bad();
      const out = new Int32Array(2 * n);
      for (let i = 0; i < n; i++) { out[2 * i] = d[i]; out[2 * i + 1] = d[i] >> 31; }
      return view(out);
    }
  }
}

/** Builds the padded header bytes (8-byte length prefix + JSON padded with spaces to a multiple of 8) and the tensor order. */
function buildHeader(tensors: Record<string, StInput>, metadata?: Record<string, string>): { head: Uint8Array; names: string[] } {
  const obj: Record<string, unknown> = {};
  if (metadata) obj.__metadata__ = metadata;
  let off = 0;
  const names = Object.keys(tensors);
  for (const name of names) {
    if (name === '__metadata__') throw new Error(`safetensors: '__metadata__' is not a valid tensor name`);
    const t = tensors[name];
    check(name, t); // every input is validated before anything is written
    const bytes = numel(t.shape) * ITEM[t.dtype];
    obj[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [off, off + bytes] };
    off += bytes;
  }
  let json = JSON.stringify(obj);
  json += ' '.repeat((8 - (new TextEncoder().encode(json).length % 8)) % 8);
  const jb = new TextEncoder().encode(json);
  const head = new Uint8Array(8 + jb.length);
  new DataView(head.buffer).setBigUint64(0, BigInt(jb.length), true);
  head.set(jb, 8);
  return { head, names };
}

// ---------------------------------------------------------------- in-memory API

/** Parses a whole safetensors buffer (browser-friendly). Returned tensors own their data (copied). */
export function parseSafetensors(bytes: Uint8Array, what = 'safetensors buffer'): { tensors: Map<string, StTensor>; metadata?: Record<string, string> } {
  const n = headerLength(bytes.subarray(0, 8), bytes.length, what);
  const h = parseHeader(bytes.subarray(8, 8 + n), bytes.length, what);
  const tensors = new Map<string, StTensor>();
  for (const [name, t] of h.tensors)
    tensors.set(name, { dtype: t.dtype, shape: t.shape.slice(), data: decode(name, t.dtype, bytes.subarray(t.begin, t.end), false, what) });
  return { tensors, metadata: h.metadata };
}

/** Serializes tensors (in key order) to one buffer. */
export function serializeSafetensors(tensors: Record<string, StInput>, metadata?: Record<string, string>): Uint8Array {
  const { head, names } = buildHeader(tensors, metadata);
  const parts = names.map((name) => encode(name, tensors[name]));
  const out = new Uint8Array(head.length + parts.reduce((a, p) => a + p.length, 0));
  out.set(head, 0);
  let o = head.length;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

// ---------------------------------------------------------------- file API (Node)

export interface SafetensorsFile {
  path: string;
  fileSize: number;
  metadata: Record<string, string> | undefined;
  keys(): string[];
  info(name: string): StTensorInfo;
  /** Reads only this tensor's byte range from the file. */
  read(name: string): Promise<StTensor>;
  /** Bytes read from disk so far by this reader (header included). */
  readonly bytesRead: number;
}

const CHUNK = 1 << 28; // bytes per read call (keeps each call far below Node's 2 GiB limit)

/** Opens a safetensors file and parses its header; tensors are read on demand, one byte range at a time. */
export async function openSafetensors(path: string): Promise<SafetensorsFile> {
  const fs = await import('node:fs/promises');
  let bytesRead = 0;
  const readRange = async (begin: number, end: number): Promise<Uint8Array> => {
    const out = new Uint8Array(end - begin);
    const fh = await fs.open(path, 'r');
    try {
      for (let o = 0; o < out.length;) {
        const { bytesRead: got } = await fh.read(out, o, Math.min(CHUNK, out.length - o), begin + o);
        if (got === 0) throw new Error(`${path}: truncated file: expected bytes up to ${end}, file ended at ${begin + o}`);
        o += got; bytesRead += got;
      }
    } finally {
      await fh.close();
    }
    return out;
  };
  const fileSize = (await fs.stat(path)).size;
  const n = headerLength(fileSize >= 8 ? await readRange(0, 8) : new Uint8Array(8), fileSize, path);
  const h = parseHeader(await readRange(8, 8 + n), fileSize, path);
  const info = (name: string): StTensorInfo => {
    const t = h.tensors.get(name);
    if (!t) throw new Error(`${path}: no tensor named '${name}' (has ${[...h.tensors.keys()].slice(0, 8).join(', ')}${h.tensors.size > 8 ? ', ...' : ''})`);
    return t;
  };
  return {
    path, fileSize, metadata: h.metadata,
    keys: () => [...h.tensors.keys()],
    info: (name) => { const t = info(name); return { ...t, shape: t.shape.slice() }; },
    read: async (name) => {
      const t = info(name);
      return { dtype: t.dtype, shape: t.shape.slice(), data: decode(name, t.dtype, await readRange(t.begin, t.end), true, path) };
    },
    get bytesRead() { return bytesRead; },
  };
}

/** Reads every tensor of a file into a Map (convenience for small files). */
export async function loadSafetensors(path: string): Promise<Map<string, StTensor>> {
  const f = await openSafetensors(path);
  const out = new Map<string, StTensor>();
  for (const k of f.keys()) out.set(k, await f.read(k));
  return out;
}

/** Writes tensors tensor by tensor to `path.tmp-<pid>`, fsyncs, then renames over `path` (atomic on POSIX). */
export async function writeSafetensors(path: string, tensors: Record<string, StInput>, metadata?: Record<string, string>): Promise<void> {
  const fs = await import('node:fs/promises');
  const { head, names } = buildHeader(tensors, metadata);
  const pid = typeof process !== 'undefined' ? process.pid : 0;
  const tmp = `${path}.tmp-${pid}`;
  const fh = await fs.open(tmp, 'w');
  try {
    const writeAll = async (bytes: Uint8Array) => {
      for (let o = 0; o < bytes.length;) o += (await fh.write(bytes, o, Math.min(CHUNK, bytes.length - o))).bytesWritten;
    };
    await writeAll(head);
    for (const name of names) await writeAll(encode(name, tensors[name]));
    await fh.sync();
    await fh.close();
  } catch (e) {
    await fh.close().catch(() => {});
    await fs.unlink(tmp).catch(() => {});
    throw e;
  }
  await fs.rename(tmp, path);
}
