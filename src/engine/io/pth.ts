// PyTorch .pth reader (torch.save zip format, torch 1.6+): a restricted unpickler that accepts only state-dict contents, strided views materialised contiguous.
import { numel } from '../shape.ts';
import { f16BitsToF32 } from '../half.ts';
import { PyDict, PyOpaque, PySet, PyTuple, describeValue, unpickle, type PyValue } from './pickle.ts';
import { bufferSource, crc32, NotZipError, openZip, type ByteSource, type ZipArchive } from './zip.ts';
// Node-only parts (node:fs/promises) are imported lazily so this module also bundles for browsers and Deno.

export type PthDtype = 'float32' | 'float16' | 'bfloat16' | 'float64' | 'int64' | 'int32' | 'int16' | 'int8' | 'uint8' | 'bool';
/** float32/float16/bfloat16/float64 -> Float32Array; int64 (range-checked)/int32/int16/int8 -> Int32Array; uint8/bool -> Uint8Array. */
export type PthData = Float32Array | Int32Array | Uint8Array;
export interface PthTensor { dtype: PthDtype; shape: number[]; data: PthData }
/** A JSON summary of the unpickled object: dicts as objects, tensors and other leaves as short strings or values. */
export type PthTree = string | number | boolean | null | PthTree[] | { [key: string]: PthTree };

export interface PthTensorInfo { dtype: PthDtype; shape: number[] }
/** What inspectPth returns: names, dtypes and shapes (checked against their storages), without reading tensor data. */
export interface PthInfo { tensors: Map<string, PthTensorInfo>; tree: PthTree }

export interface PthOptions {
  /** Dotted path of nested dict keys selecting the state dict, e.g. 'trainer.vae_local'. */
  key?: string;
}
export interface PthFile {
  /** The selected tensors, named by their dotted key path below the selection, each contiguous in its shape. */
  tensors: Map<string, PthTensor>;
  /** Summary of the whole file's object tree (not only the selection). */
  tree: PthTree;
}

const ITEM: Record<PthDtype, number> = { float32: 4, float16: 2, bfloat16: 2, float64: 8, int64: 8, int32: 4, int16: 2, int8: 1, uint8: 1, bool: 1 };

/** Storage classes that may appear in persistent ids, and the element type of each. */
const STORAGES: Record<string, PthDtype> = {
  FloatStorage: 'float32', HalfStorage: 'float16', BFloat16Storage: 'bfloat16', DoubleStorage: 'float64', LongStorage: 'int64',
  IntStorage: 'int32', ShortStorage: 'int16', CharStorage: 'int8', ByteStorage: 'uint8', BoolStorage: 'bool', UntypedStorage: 'uint8',
};
/** `torch.<name>` dtype globals (aliases included). */
const DTYPES: Record<string, PthDtype> = {
  float32: 'float32', float: 'float32', float16: 'float16', half: 'float16', bfloat16: 'bfloat16', float64: 'float64', double: 'float64',
  int64: 'int64', long: 'int64', int32: 'int32', int: 'int32', int16: 'int16', short: 'int16', int8: 'int8', uint8: 'uint8', bool: 'bool',
};

// ---------------------------------------------------------------- values the hooks create

/** An allowed global callable or class marker. */
class Global extends PyOpaque {
  constructor(readonly qualname: string) { super(); }
  describe() { return this.qualname; }
}
class StorageType extends PyOpaque {
  constructor(readonly qualname: string, readonly dtype: PthDtype, readonly untyped: boolean) { super(); }
  describe() { return this.qualname; }
}
class Dtype extends PyOpaque {
  constructor(readonly dtype: PthDtype) { super(); }
  describe() { return `torch.${this.dtype}`; }
}
class Storage extends PyOpaque {
  constructor(readonly key: string, readonly dtype: PthDtype, readonly numel: number, readonly untyped: boolean) { super(); }
  describe() { return `storage '${this.key}'`; }
}
class TensorRef extends PyOpaque {
  constructor(readonly storage: Storage, readonly dtype: PthDtype, readonly offset: number, readonly shape: number[], readonly stride: number[]) { super(); }
  describe() { return `tensor ${this.dtype} [${this.shape.join(', ')}]`; }
}

// ---------------------------------------------------------------- the restricted unpickler's hooks

const REBUILD = new Set([
  'torch._utils._rebuild_tensor', 'torch._utils._rebuild_tensor_v2', 'torch._utils._rebuild_tensor_v3',
  'torch._utils._rebuild_parameter', 'torch._utils._rebuild_parameter_with_state', 'torch._tensor._rebuild_from_type_v2',
]);
/** Pure-data constructors and type markers besides the tensor rebuilders. */
const OTHER = new Set([
  'collections.OrderedDict', 'torch.Size', 'torch.device', 'torch.Tensor', 'torch.nn.parameter.Parameter',
  'builtins.set', 'builtins.frozenset', '_codecs.encode',
]);

function hooksFor(what: string) {
  const bad = (msg: string): never => { throw new Error(`${what}: data.pkl: ${msg}`); };
  const int = (v: PyValue, field: string): number => {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) bad(`${field} must be a non-negative integer, got ${describeValue(v)}`);
    return v as number;
  };
  const ints = (v: PyValue, field: string): number[] => {
    const items = v instanceof PyTuple ? v.items : Array.isArray(v) ? v : bad(`${field} must be a tuple of integers, got ${describeValue(v)}`);
    return items.map((x, i) => int(x, `${field}[${i}]`));
  };
  const tensor = (args: PyValue[], dtypeArg?: PyValue): TensorRef => {
    const [st, off, size, stride] = args;
    if (!(st instanceof Storage)) return bad(`tensor storage must be a persistent storage, got ${describeValue(st ?? null)}`);
    const shape = ints(size ?? null, 'tensor size'), strides = ints(stride ?? null, 'tensor stride');
    if (shape.length !== strides.length) bad(`tensor size [${shape}] and stride [${strides}] differ in length`);
    let dtype = st.dtype;
    if (dtypeArg !== undefined) {
      if (!(dtypeArg instanceof Dtype)) bad(`tensor dtype must be a torch dtype, got ${describeValue(dtypeArg)}`);
      dtype = (dtypeArg as Dtype).dtype;
      if (!st.untyped && dtype !== st.dtype) bad(`tensor dtype ${dtype} does not match its ${st.dtype} storage`);
    }
    return new TensorRef(st, dtype, int(off ?? null, 'tensor storage offset'), shape, strides);
  };
  const hooks = {
    findGlobal(module: string, name: string): PyValue {
      const q = `${module}.${name}`;
      if (REBUILD.has(q) || OTHER.has(q)) return new Global(q);
      // Protocol 2 writes Python 3's builtins under their Python 2 module name.
      if (module === '__builtin__' && (name === 'set' || name === 'frozenset')) return new Global(`builtins.${name}`);
      if ((module === 'torch' || (module === 'torch.storage' && name === 'UntypedStorage')) && name in STORAGES && Object.hasOwn(STORAGES, name))
        return new StorageType(q, STORAGES[name]!, name === 'UntypedStorage');
      if (module === 'torch' && Object.hasOwn(DTYPES, name)) return new Dtype(DTYPES[name]!);
      throw new Error(`${what}: refusing global '${q}' (only state-dict contents are allowed)`);
    },
    persistentLoad(pid: PyValue): PyValue {
      const t = pid instanceof PyTuple ? pid.items : null;
      if (!t || t.length !== 5 || t[0] !== 'storage') return bad(`unknown persistent id ${describeValue(pid)} (expected ('storage', type, key, location, numel))`);
      const [, type, key, , n] = t;
      if (!(type instanceof StorageType)) return bad(`persistent id storage type is ${describeValue(type!)}, not a torch storage class`);
      if (typeof key !== 'string' || !/^[0-9A-Za-z_.-]+$/.test(key)) return bad(`persistent id storage key ${describeValue(key!)} is not a record name`);
      return new Storage(key, type.dtype, int(n!, `storage '${key}' numel`), type.untyped);
    },
    call(fn: PyValue, args: PyValue[]): PyValue {
      const q = fn instanceof Global ? fn.qualname : bad(`cannot call ${describeValue(fn)}`);
      switch (q) {
        case 'collections.OrderedDict': {
          const d = new PyDict(true);
          if (args.length === 0) return d;
          return bad('OrderedDict(...) with arguments is not supported');
        }
        case 'torch._utils._rebuild_tensor':
          if (args.length !== 4) bad(`_rebuild_tensor takes 4 arguments, got ${args.length}`);
          return tensor(args);
        case 'torch._utils._rebuild_tensor_v2': // (storage, offset, size, stride, requires_grad, backward_hooks[, metadata])
          if (args.length < 6 || args.length > 7) bad(`_rebuild_tensor_v2 takes 6 or 7 arguments, got ${args.length}`);
          return tensor(args);
        case 'torch._utils._rebuild_tensor_v3': // (storage, offset, size, stride, requires_grad, backward_hooks, dtype[, metadata])
          if (args.length < 7 || args.length > 8) bad(`_rebuild_tensor_v3 takes 7 or 8 arguments, got ${args.length}`);
          return tensor(args, args[6]);
        case 'torch._utils._rebuild_parameter': case 'torch._utils._rebuild_parameter_with_state':
          if (!(args[0] instanceof TensorRef)) bad(`${q.slice(13)} expects a tensor, got ${describeValue(args[0] ?? null)}`);
          return args[0]!;
        case 'torch._tensor._rebuild_from_type_v2': { // (func, type, args, state): func(*args), then the subclass state is dropped
          const [f, , a] = args;
          if (!(f instanceof Global) || !REBUILD.has(f.qualname) || !(a instanceof PyTuple)) bad('_rebuild_from_type_v2 with an unexpected rebuild function');
          return hooks.call(f!, (a as PyTuple).items);
        }
        case 'torch.Size':
          if (args.length !== 1) bad('torch.Size takes one argument');
          return new PyTuple(ints(args[0]!, 'torch.Size'));
        case 'torch.device':
          if (!args.every((a) => typeof a === 'string' || typeof a === 'number')) bad('torch.device with unexpected arguments');
          return args.join(':');
        case 'builtins.set': case 'builtins.frozenset': {
          const it = args.length === 0 ? [] : Array.isArray(args[0]) ? args[0] : args[0] instanceof PyTuple ? args[0].items : bad(`${q} of ${describeValue(args[0]!)}`);
          return new PySet([...it], q === 'builtins.frozenset');
        }
        case '_codecs.encode': { // how protocol 2 pickles bytes: encode(latin1 text, 'latin1')
          const [s, enc] = args;
          if (typeof s !== 'string' || (enc !== 'latin1' && enc !== 'latin-1')) bad('_codecs.encode with arguments other than (str, "latin1")');
          return Uint8Array.from(s as string, (c) => c.charCodeAt(0) & 0xff);
        }
      }
      return bad(`cannot call ${q}`);
    },
    build(obj: PyValue, state: PyValue): void {
      // OrderedDict.__reduce__ passes its instance __dict__ as state, e.g. {'_metadata': OrderedDict(...)}.
      if (obj instanceof PyDict && obj.ordered && state instanceof PyDict) {
        for (const [k, v] of state.entries()) {
          if (typeof k !== 'string') bad(`OrderedDict attribute name ${describeValue(k)} is not a string`);
          obj.attrs.set(k as string, v);
        }
        return;
      }
      bad(`cannot set state on ${describeValue(obj)}`);
    },
  };
  return hooks;
}

// ---------------------------------------------------------------- the archive

interface Parsed {
  root: PyValue;
  zip: ZipArchive;
  prefix: string;
  bigEndian: boolean;
}

/** Opens the zip, finds `<prefix>/data.pkl` and the byte order, and unpickles. */
async function parseArchive(src: ByteSource, what: string): Promise<Parsed> {
  let zip: ZipArchive;
  try {
    zip = await openZip(src, what);
  } catch (e) {
    if (!(e instanceof NotZipError)) throw e;
    const head = await src.read(0, Math.min(src.size, 16));
    // The legacy format is a bare pickle stream starting with the pickled magic number 0x1950a86a20f9469cfc6c.
    if (head[0] === 0x80 && head[2] === 0x8a && head[3] === 0x0a && head[4] === 0x6c && head[5] === 0xfc)
      throw new Error(`${what}: legacy (pre-1.6, non-zip) torch.save format; only the zip format is supported (re-save it with torch >= 1.6)`);
    if (src.size === 0) throw new Error(`${what}: empty file (expected a torch.save zip archive)`);
    throw new Error(`${what}: not a torch.save zip archive (expected the zip magic 'PK\\x03\\x04' at byte 0)`);
  }
  let pkl: string | undefined;
  for (const name of zip.entries.keys()) if (/^[^/]+\/data\.pkl$/.test(name)) { pkl = name; break; }
  if (!pkl) {
    const names = [...zip.entries.keys()];
    throw new Error(`${what}: missing data.pkl (expected '<archive>/data.pkl'; the zip has ${names.slice(0, 6).join(', ') || 'no entries'}${names.length > 6 ? ', ...' : ''})`);
  }
  const prefix = pkl.slice(0, pkl.length - 'data.pkl'.length);
  const entry = zip.entries.get(pkl)!;
  const data = await zip.read(entry);
  if (crc32(data) !== entry.crc32) throw new Error(`${what}: corrupt ${pkl}: CRC-32 mismatch`);
  let bigEndian = false;
  const bo = zip.entries.get(prefix + 'byteorder');
  if (bo) {
    const s = new TextDecoder().decode(await zip.read(bo)).trim();
    if (s !== 'little' && s !== 'big') throw new Error(`${what}: byteorder record says '${s.slice(0, 20)}' (expected 'little' or 'big')`);
    bigEndian = s === 'big';
  }
  const root = unpickle(data, what, hooksFor(what));
  return { root, zip, prefix, bigEndian };
}

// ---------------------------------------------------------------- key paths and the tree

/** Follows a dotted key path through nested dicts; a key may itself contain dots (the longest match wins). */
function select(root: PyValue, key: string | undefined, what: string): PyValue {
  if (key === undefined || key === '') return root;
  let node = root, rest = key, at = '';
  while (rest) {
    if (!(node instanceof PyDict)) throw new Error(`${what}: no key '${key}': '${at || '(root)'}' is ${describeValue(node)}, not a dict`);
    let best: string | undefined;
    for (const k of node.keys) {
      const ks = typeof k === 'string' ? k : typeof k === 'number' || typeof k === 'bigint' ? String(k) : undefined;
      if (ks !== undefined && (rest === ks || rest.startsWith(ks + '.')) && (best === undefined || ks.length > best.length)) best = ks;
    }
    if (best === undefined) {
      const keys = node.keys.map((k) => String(k));
      throw new Error(`${what}: no key '${key}'${at ? ` (at '${at}')` : ''}; available: ${keys.slice(0, 20).join(', ') || '(none)'}${keys.length > 20 ? `, ... (${keys.length} keys)` : ''}`);
    }
    const k = node.keys.find((x) => String(x) === best)!;
    node = node.get(k)!;
    at = at ? `${at}.${best}` : best;
    rest = rest.slice(best.length + 1);
  }
  return node;
}

/** Deepest container nesting accepted (state dicts nest a few levels; a crafted pickle could nest millions). */
const MAX_DEPTH = 64;
/** Most values walked when flattening (shared sub-containers are walked once per reference, so a crafted DAG could explode). */
const MAX_VISITS = 1_000_000;

/** Every tensor below `node`, named by its dotted path (dict keys and list indices). */
function flatten(node: PyValue, what: string): Map<string, TensorRef> {
  const out = new Map<string, TensorRef>();
  const path = new Set<object>(); // containers on the current path, to refuse cycles
  let visits = 0;
  const walk = (v: PyValue, name: string, depth: number) => {
    if (++visits > MAX_VISITS) throw new Error(`${what}: data.pkl: more than ${MAX_VISITS} values to walk (shared containers repeated?)`);
    if (v instanceof TensorRef) {
      const n = name || 'tensor';
      if (out.has(n)) throw new Error(`${what}: two tensors flatten to the same name '${n}'`);
      out.set(n, v);
      return;
    }
    const items: [string, PyValue][] | null = v instanceof PyDict ? v.entries().map(([k, x]) => [String(k), x])
      : Array.isArray(v) || v instanceof PyTuple ? (Array.isArray(v) ? v : v.items).map((x, i) => [String(i), x]) : null;
    if (!items) return;
    if (path.has(v as object)) throw new Error(`${what}: data.pkl: the object tree contains a cycle at '${name || '(root)'}'`);
    if (depth >= MAX_DEPTH) throw new Error(`${what}: data.pkl: containers nested deeper than ${MAX_DEPTH} levels at '${name.slice(0, 80)}...'`);
    path.add(v as object);
    for (const [k, x] of items) walk(x, name ? `${name}.${k}` : k, depth + 1);
    path.delete(v as object);
  };
  walk(node, '', 0);
  return out;
}

/** Most nodes in a tree summary; later ones are summarised as '...'. */
const MAX_TREE_NODES = 10_000;

function tree(root: PyValue): PthTree {
  let budget = MAX_TREE_NODES;
  const path = new Set<object>();
  const node = (v: PyValue, depth: number): PthTree => {
    if (v === null || typeof v === 'boolean' || typeof v === 'number' || typeof v === 'string') return v;
    if (typeof v === 'bigint') return v.toString();
    if (v instanceof Uint8Array) return `bytes of ${v.length}`;
    if (v instanceof PyOpaque) return v.describe();
    if (v instanceof PySet) return `set of ${v.items.length}`;
    if (path.has(v)) return '<cycle>';
    if (--budget < 0) return '...';
    if (v instanceof PyDict) {
      const tensors = v.values.filter((x) => x instanceof TensorRef) as TensorRef[];
      if (tensors.length > 0 && tensors.length === v.size) {
        const params = tensors.reduce((a, t) => a + numel(t.shape), 0);
        return `state dict: ${tensors.length} tensors, ${params} parameters`;
      }
      if (depth >= 8) return `dict of ${v.size}`;
      const o: { [k: string]: PthTree } = {};
      path.add(v);
      for (const [k, x] of v.entries()) o[String(k)] = node(x, depth + 1);
      path.delete(v);
      return o;
    }
    const items = Array.isArray(v) ? v : v.items;
    if (items.length > 16 || depth >= 8) return `${Array.isArray(v) ? 'list' : 'tuple'} of ${items.length}`;
    path.add(v);
    const out = items.map((x) => node(x, depth + 1));
    path.delete(v);
    return out;
  };
  return node(root, 0);
}

// ---------------------------------------------------------------- materialising tensors

/** Largest tensor materialised, in bytes (a stride-0 view could otherwise claim any size). */
const MAX_TENSOR_BYTES = 2 ** 32;

/** Checks a tensor against its storage record (present, in bounds, the view inside the storage) without reading data. */
async function locate(name: string, t: TensorRef, p: Parsed, what: string): Promise<{ begin: number; n: number; last: number }> {
  const item = ITEM[t.dtype], st = t.storage;
  const rec = p.zip.entries.get(`${p.prefix}data/${st.key}`);
  if (!rec) throw new Error(`${what}: tensor '${name}': storage record 'data/${st.key}' is missing from the archive`);
  const range = await p.zip.dataRange(rec);
  const stBytes = st.numel * ITEM[st.dtype];
  if (stBytes > rec.size)
    throw new Error(`${what}: storage '${st.key}' out of bounds: ${st.numel} ${st.dtype} elements need ${stBytes} bytes, its record has ${rec.size}`);
  const n = numel(t.shape);
  if (n * item > MAX_TENSOR_BYTES) throw new Error(`${what}: tensor '${name}' of shape [${t.shape.join(', ')}] is larger than ${MAX_TENSOR_BYTES} bytes`);
  let last = t.offset; // highest element index the view touches
  for (let i = 0; i < t.shape.length; i++) if (t.shape[i]! > 0) last += (t.shape[i]! - 1) * t.stride[i]!;
  const stElems = Math.floor(stBytes / item);
  if (n > 0 && last >= stElems)
    throw new Error(`${what}: tensor '${name}' (shape [${t.shape.join(', ')}], stride [${t.stride.join(', ')}], offset ${t.offset}) reaches element ${last}, past its storage '${st.key}' of ${stElems} ${t.dtype} elements`);
  return { begin: range.begin, n, last };
}

/** Reads one tensor's elements from its storage record and returns them contiguous in its shape. */
async function materialise(name: string, t: TensorRef, p: Parsed, src: ByteSource, what: string): Promise<PthTensor> {
  const item = ITEM[t.dtype];
  const { begin, n, last } = await locate(name, t, p, what);
  if (n === 0) return { dtype: t.dtype, shape: t.shape.slice(), data: decode(name, t.dtype, new Uint8Array(0), what) };
  const span = (await src.read(begin + t.offset * item, begin + (last + 1) * item)).slice(); // owned and aligned
  if (p.bigEndian && item > 1) for (let i = 0; i < span.length; i += item) span.subarray(i, i + item).reverse();
  // Gather the strided view into contiguous order (row-major over the shape).
  let contiguous = true;
  for (let i = t.shape.length - 1, s = 1; i >= 0; i--) {
    if (t.shape[i] !== 1 && t.stride[i] !== s) contiguous = false;
    s *= t.shape[i]!;
  }
  let raw: Uint8Array;
  if (contiguous) raw = span.subarray(0, n * item);
  else {
    raw = new Uint8Array(n * item);
    const words = item === 8 ? 2 : 1, unit = item === 8 ? 4 : item;
    const A = unit === 4 ? Uint32Array : unit === 2 ? Uint16Array : Uint8Array;
    const from = new A(span.buffer as ArrayBuffer, 0, span.length / unit), to = new A(raw.buffer as ArrayBuffer, 0, raw.length / unit);
    const rank = t.shape.length, idx = new Array<number>(rank).fill(0);
    let srcIdx = 0;
    for (let o = 0; o < n; o++) {
      for (let w = 0; w < words; w++) to[o * words + w] = from[srcIdx * words + w]!;
      for (let d = rank - 1; d >= 0; d--) { // odometer step
        if (++idx[d]! < t.shape[d]!) { srcIdx += t.stride[d]!; break; }
        srcIdx -= (t.shape[d]! - 1) * t.stride[d]!; idx[d] = 0;
      }
    }
  }
  return { dtype: t.dtype, shape: t.shape.slice(), data: decode(name, t.dtype, raw, what) };
}

/** Decodes contiguous little-endian elements (`raw` aligned, offset 0 of its buffer or a prefix of it). */
function decode(name: string, dtype: PthDtype, raw: Uint8Array, what: string): PthData {
  const buf = raw.buffer as ArrayBuffer, n = raw.length / ITEM[dtype];
  switch (dtype) {
    case 'float32': return raw.byteLength === buf.byteLength ? new Float32Array(buf) : new Float32Array(buf, 0, n).slice();
    case 'float64': return Float32Array.from(new Float64Array(buf, 0, n));
    case 'float16': return f16BitsToF32(new Uint16Array(buf, 0, n));
    case 'bfloat16': {
      const h = new Uint16Array(buf, 0, n), out = new Uint32Array(n);
      for (let i = 0; i < n; i++) out[i] = h[i]! << 16;
      return new Float32Array(out.buffer);
    }
    case 'int64': {
      const w = new Int32Array(buf, 0, 2 * n), out = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        const lo = w[2 * i]!, hi = w[2 * i + 1]!;
        if (hi !== lo >> 31)
          throw new Error(`${what}: tensor '${name}': int64 value ${(BigInt(hi) << 32n) | BigInt(lo >>> 0)} at flat index ${i} is outside the Int32 range`);
        out[i] = lo;
      }
      return out;
    }
    case 'int32': return raw.byteLength === buf.byteLength ? new Int32Array(buf) : new Int32Array(buf, 0, n).slice();
    case 'int16': return Int32Array.from(new Int16Array(buf, 0, n));
    case 'int8': return Int32Array.from(new Int8Array(buf, 0, n));
    case 'uint8': return raw.slice();
    case 'bool': return Uint8Array.from(raw, (b) => (b ? 1 : 0));
  }
}

async function load(src: ByteSource, what: string, opts: PthOptions): Promise<PthFile> {
  const p = await parseArchive(src, what);
  const refs = flatten(select(p.root, opts.key, what), what);
  const tensors = new Map<string, PthTensor>();
  for (const [name, t] of refs) tensors.set(name, await materialise(name, t, p, src, what));
  return { tensors, tree: tree(p.root) };
}

async function describeArchive(src: ByteSource, what: string, opts: PthOptions): Promise<PthInfo> {
  const p = await parseArchive(src, what);
  const refs = flatten(select(p.root, opts.key, what), what);
  const tensors = new Map<string, PthTensorInfo>();
  for (const [name, t] of refs) {
    await locate(name, t, p, what);
    tensors.set(name, { dtype: t.dtype, shape: t.shape.slice() });
  }
  return { tensors, tree: tree(p.root) };
}

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

// ---------------------------------------------------------------- public API

/** Parses a whole .pth buffer (browser-friendly); `name` names it in errors. */
export async function parsePth(bytes: Uint8Array, opts: PthOptions = {}, name = 'buffer'): Promise<PthFile> {
  if (!LITTLE_ENDIAN_HOST) throw new Error('pth: big-endian hosts are not supported');
  return load(bufferSource(bytes), `pth: '${name}'`, opts);
}

/** Runs `body` on a Node file byte source (one open handle, reads by range). */
async function withFile<T>(path: string, body: (src: ByteSource, what: string) => Promise<T>): Promise<T> {
  if (!LITTLE_ENDIAN_HOST) throw new Error('pth: big-endian hosts are not supported');
  const fs = await import('node:fs/promises');
  const what = `pth: '${path}'`;
  let fh;
  try { fh = await fs.open(path, 'r'); } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(`${what}: cannot open: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (e as Error).message}`);
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new Error(`${what}: not a regular file`);
    const size = st.size;
    const CHUNK = 1 << 28;
    const src: ByteSource = {
      size,
      read: async (begin, end) => {
        if (begin < 0 || end > size || end < begin) throw new Error(`${what}: read [${begin}, ${end}) is outside the file's ${size} bytes`);
        const out = new Uint8Array(end - begin);
        for (let o = 0; o < out.length;) {
          const { bytesRead } = await fh.read(out, o, Math.min(CHUNK, out.length - o), begin + o);
          if (bytesRead === 0) throw new Error(`${what}: truncated file: expected bytes up to ${end}, file ended at ${begin + o}`);
          o += bytesRead;
        }
        return out;
      },
    };
    return await body(src, what);
  } finally {
    await fh.close();
  }
}

/** Opens a .pth file, reading the zip directory, data.pkl and then only the byte ranges the selected tensors use. */
export async function openPth(path: string, opts: PthOptions = {}): Promise<PthFile> {
  return withFile(path, (src, what) => load(src, what, opts));
}

/** Names, dtypes and shapes of the selected tensors and the file's tree, without reading tensor data. */
export async function inspectPth(path: string, opts: PthOptions = {}): Promise<PthInfo> {
  return withFile(path, (src, what) => describeArchive(src, what, opts));
}

/** The tensors of a state dict in a .pth file; `keyPath` selects a nested dict ('trainer.vae_local'). */
export async function loadPthStateDict(path: string, keyPath?: string): Promise<Map<string, PthTensor>> {
  return (await openPth(path, { key: keyPath })).tensors;
}
