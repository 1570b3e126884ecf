// Kernel Params by name: checks a call's values against the kernel's generated `struct Params` layout and packs them.
import { PARAM_LAYOUTS, type KernelParams, type ParamField } from '../kernels.gen.ts';

export type { KernelParams, ParamField };
/** A kernel path under kernels/ without `.wgsl`, e.g. 'elementwise/binary'. */
export type KernelName = keyof KernelParams;

/**
 * f32 fields that may hold NaN or ±Infinity. The `nan` fields carry a NaN into kernels (WGSL has no NaN literal);
 * the elementwise scalars carry user values (fill(shape, -Infinity), affine by a NaN scale). Every other f32 field
 * must be a finite number that stays finite in f32.
 */
export const NON_FINITE_OK: Readonly<Record<string, readonly string[]>> = {
  'loss/cross_entropy': ['nan'],
  'loss/cross_entropy_bwd': ['nan'],
  'embed/embedding': ['nan'],
  'elementwise/unary': ['s0', 's1'],
  'elementwise/binary': ['s0', 's1'],
  'elementwise/ternary': ['s0', 's1'],
};

/** A kernel's Params layout, as the packer uses it. */
export interface ParamLayout {
  kernel: string;
  /** Bytes bound as the uniform (struct size rounded up to 16). */
  bytes: number;
  fields: readonly Field[];
  /** Byte offsets of the 4-byte words no field covers (padding, zeroed on every write). */
  gaps: readonly number[];
  byName: ReadonlyMap<string, Field>;
  /** The key order of the last call and its fields: a call with the same order skips the name lookups. */
  lastKeys: string[];
  lastFields: Field[];
}
/** A field and whether it may hold NaN / ±Infinity. */
export type Field = ParamField & { anyF32: boolean };

const cache = new Map<string, ParamLayout>();

/** The Params layout of `kernel` (cached after the first lookup); throws for an unknown kernel. */
export function paramLayout(kernel: string): ParamLayout {
  let l = cache.get(kernel);
  if (l) return l;
  const g = Object.hasOwn(PARAM_LAYOUTS, kernel) ? PARAM_LAYOUTS[kernel] : undefined;
  if (!g) throw new Error(`unknown kernel '${kernel}' (not in kernels/; run npm run kernels)`);
  const loose = NON_FINITE_OK[kernel] ?? [];
  const covered = new Set<number>();
  for (const f of g.fields) for (let e = 0; e < f.count; e++) for (let j = 0; j < f.lanes; j++) covered.add(f.offset + e * f.stride + 4 * j);
  const gaps: number[] = [];
  for (let o = 0; o < g.bytes; o += 4) if (!covered.has(o)) gaps.push(o);
  const fields = g.fields.map((f) => ({ ...f, anyF32: loose.includes(f.name) }));
  l = { kernel, bytes: g.bytes, fields, gaps, byName: new Map(fields.map((f) => [f.name, f])), lastKeys: [], lastFields: [] };
  cache.set(kernel, l);
  return l;
}

/**
 * Checks `values` against the layout and writes them at `byteOffset` (padding zeroed); returns the bytes written.
 * Every field must be given, no other names. u32: an integer in [0, 2^32); i32: an integer in [-2^31, 2^31);
 * f32: a number finite in f32 (NaN and ±Infinity only where NON_FINITE_OK allows). Vector and array fields take a
 * flat list of exactly lanes × count numbers (no implicit zero padding: callers pad, e.g. unused rank slots).
 * Errors name the kernel and the field.
 */
export function packParams(l: ParamLayout, values: object, dv: DataView, byteOffset: number): number {
  if (typeof values !== 'object' || values === null) throw new TypeError(`kernel '${l.kernel}': Params must be an object of named fields, got ${describe(values)}`);
  const rec = values as Record<string, unknown>;
  for (const o of l.gaps) dv.setUint32(byteOffset + o, 0);
  const keys = l.lastKeys, known = l.lastFields;
  let i = 0;
  for (const k in rec) {
    let f = keys[i] === k ? known[i] : undefined;
    if (f === undefined) {
      f = l.byName.get(k);
      if (f === undefined) throw namesError(l, rec);
      keys[i] = k; known[i] = f;
    }
    const v = rec[k];
    if (v === undefined) throw namesError(l, rec);
    if (f.lanes === 1 && f.count === 1) put(l, f, dv, byteOffset + f.offset, v, -1);
    else putList(l, f, dv, byteOffset, v);
    i++;
  }
  // Every name is a field and names are unique: as many names as fields means each field was given once.
  if (i !== l.fields.length) throw namesError(l, rec);
  return l.bytes;
}

function putList(l: ParamLayout, f: Field, dv: DataView, byteOffset: number, v: unknown) {
  const want = f.lanes * f.count;
  if (!Array.isArray(v) && !ArrayBuffer.isView(v))
    throw new TypeError(`kernel '${l.kernel}': Params field '${f.name}' (${f.type}) needs a list of ${want} numbers, got ${describe(v)}`);
  const a = v as ArrayLike<unknown>;
  if (a.length !== want) throw new RangeError(`kernel '${l.kernel}': Params field '${f.name}' (${f.type}) needs ${want} numbers, got ${a.length}`);
  const step = f.count > 1 ? f.stride : 0;
  for (let e = 0, k = 0; e < f.count; e++) for (let j = 0; j < f.lanes; j++, k++) put(l, f, dv, byteOffset + f.offset + e * step + 4 * j, a[k], k);
}

function put(l: ParamLayout, f: Field, dv: DataView, at: number, v: unknown, k: number) {
  if (f.kind === 'u') {
    if (typeof v !== 'number' || v >>> 0 !== v) throw valueError(l, f, k, v, 'an integer in [0, 2^32)');
    dv.setUint32(at, v, true);
  } else if (f.kind === 'i') {
    if (typeof v !== 'number' || (v | 0) !== v) throw valueError(l, f, k, v, 'an integer in [-2^31, 2^31)');
    dv.setInt32(at, v, true);
  } else {
    const r = Math.fround(v as number);
    if (typeof v !== 'number' || (r - r !== 0 && !f.anyF32)) throw valueError(l, f, k, v, 'a number that is finite in f32');
    dv.setFloat32(at, r, true);
  }
}

function valueError(l: ParamLayout, f: Field, k: number, v: unknown, want: string): Error {
  const at = k < 0 ? `'${f.name}' (${f.type})` : `'${f.name}' (${f.type}), number ${k},`;
  return new RangeError(`kernel '${l.kernel}': Params field ${at} must be ${want}, got ${describe(v)}`);
}

function namesError(l: ParamLayout, rec: Record<string, unknown>): Error {
  const all = l.fields.map((f) => f.name).join(', ');
  const unknown = Object.keys(rec).filter((k) => !l.byName.has(k));
  if (unknown.length) return new TypeError(`kernel '${l.kernel}': Params field${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `'${k}'`).join(', ')} ${unknown.length > 1 ? 'are' : 'is'} not in struct Params (fields: ${all})`);
  const missing = l.fields.filter((f) => rec[f.name] === undefined).map((f) => `'${f.name}' (${f.type})`);
  return new TypeError(`kernel '${l.kernel}': Params field${missing.length > 1 ? 's' : ''} ${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} missing (fields: ${all})`);
}

function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint' || v === undefined || v === null) return String(v);
  return Array.isArray(v) ? `an array of ${v.length}` : typeof v;
}
