// Restricted pickle reader: decodes opcodes into plain data; every global, persistent id and call goes through caller hooks, so nothing is executed.

/** Base of values only the hooks create (globals they allow, tensors, storages, dtypes). */
export abstract class PyOpaque {
  abstract describe(): string;
}
export class PyTuple { constructor(readonly items: PyValue[]) {} }
export class PySet { constructor(readonly items: PyValue[], readonly frozen: boolean) {} }

/** A Python dict (insertion-ordered, as Python's are); keys must be hashable plain values. */
export class PyDict {
  readonly keys: PyValue[] = [];
  readonly values: PyValue[] = [];
  private readonly index = new Map<string, number>();
  /** Attributes set by BUILD (e.g. `_metadata` on a state dict's OrderedDict). */
  readonly attrs = new Map<string, PyValue>();
  constructor(readonly ordered = false) {}
  get size(): number { return this.keys.length; }
  set(k: PyValue, v: PyValue): void {
    const h = hashKey(k);
    const i = this.index.get(h);
    if (i !== undefined) { this.values[i] = v; return; }
    this.index.set(h, this.keys.length);
    this.keys.push(k); this.values.push(v);
  }
  get(k: PyValue): PyValue | undefined {
    const i = this.index.get(hashKey(k));
    return i === undefined ? undefined : this.values[i];
  }
  entries(): [PyValue, PyValue][] { return this.keys.map((k, i) => [k, this.values[i]!]); }
}

export type PyValue = null | boolean | number | bigint | string | Uint8Array | PyValue[] | PyTuple | PyDict | PySet | PyOpaque;

/** Thrown for a key Python could not hash either (a list, a dict). */
class UnhashableError extends Error {}
function hashKey(k: PyValue): string {
  if (k === null) return 'N';
  switch (typeof k) {
    case 'string': return 's' + k;
    case 'number': return 'n' + (Object.is(k, -0) ? 0 : k); // 1 == 1.0 == True in Python
    case 'bigint': return 'n' + k;
    case 'boolean': return 'n' + (k ? 1 : 0);
  }
  if (k instanceof PyTuple) return 't(' + k.items.map(hashKey).join(',') + ')';
  if (k instanceof Uint8Array) return 'b' + Array.from(k).join(',');
  throw new UnhashableError(`unhashable dict key (${describeValue(k)})`);
}

/** A short description of a value for error messages. */
export function describeValue(v: PyValue): string {
  if (v === null) return 'None';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? v.slice(0, 40) + '...' : v);
  if (typeof v !== 'object') return String(v);
  if (v instanceof PyOpaque) return v.describe();
  if (v instanceof PyTuple) return `tuple of ${v.items.length}`;
  if (v instanceof PyDict) return `dict of ${v.size}`;
  if (v instanceof PySet) return `set of ${v.items.length}`;
  if (v instanceof Uint8Array) return `bytes of ${v.length}`;
  return `list of ${v.length}`;
}

export interface UnpickleHooks {
  /** Returns the value a GLOBAL stands for, or throws to refuse it. */
  findGlobal(module: string, name: string): PyValue;
  /** Resolves a BINPERSID id (torch: storages). */
  persistentLoad(pid: PyValue): PyValue;
  /** Applies an allowed callable (REDUCE, NEWOBJ, INST, OBJ); throws for anything it does not know. */
  call(fn: PyValue, args: PyValue[]): PyValue;
  /** Applies BUILD state to an object; throws for anything it does not know. */
  build(obj: PyValue, state: PyValue): void;
}

const MARK = Symbol('mark');
type Slot = PyValue | typeof MARK;

/**
 * Decodes one pickle (protocols 0-5, the opcodes that data pickles use). `what` prefixes every error (it names the
 * file and the record). Opcodes that would run code go through `hooks`; unknown opcodes are errors.
 */
export function unpickle(data: Uint8Array, what: string, hooks: UnpickleHooks): PyValue {
  let pos = 0;
  const stack: Slot[] = [];
  const marks: number[] = [];
  const memo = new Map<number, PyValue>();
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const latin1 = new TextDecoder('latin1'), utf8 = new TextDecoder('utf-8', { fatal: true });
  let opAt = 0;
  const fail = (msg: string): never => { throw new Error(`${what}: ${msg} (pickle byte ${opAt})`); };

  const need = (n: number) => {
    if (n < 0 || pos + n > data.length) fail(`truncated pickle: needs ${n} more bytes at byte ${pos}, has ${data.length - pos}`);
  };
  const bytes = (n: number) => { need(n); const b = data.subarray(pos, pos + n); pos += n; return b; };
  const u8 = () => { need(1); return data[pos++]!; };
  const u16 = () => { need(2); const v = dv.getUint16(pos, true); pos += 2; return v; };
  const u32 = () => { need(4); const v = dv.getUint32(pos, true); pos += 4; return v; };
  const i32 = () => { need(4); const v = dv.getInt32(pos, true); pos += 4; return v; };
  const u64 = () => {
    need(8);
    const v = Number(dv.getBigUint64(pos, true)); pos += 8;
    if (v > data.length) fail(`length ${v} exceeds the pickle's ${data.length} bytes`);
    return v;
  };
  const line = () => {
    const e = data.indexOf(0x0a, pos);
    if (e < 0) fail('truncated pickle: unterminated text argument');
    const s = latin1.decode(data.subarray(pos, e)); pos = e + 1; return s;
  };
  const str = (b: Uint8Array) => {
    try { return utf8.decode(b); } catch { return fail('bad pickle: string is not valid UTF-8'); }
  };
  const pop = (): PyValue => {
    if (stack.length === 0 || (marks.length > 0 && stack.length <= marks[marks.length - 1]! + 1)) fail('bad pickle: stack underflow');
    return stack.pop() as PyValue;
  };
  const top = (): PyValue => {
    if (stack.length === 0 || (marks.length > 0 && stack.length <= marks[marks.length - 1]! + 1)) fail('bad pickle: stack underflow');
    return stack[stack.length - 1] as PyValue;
  };
  const popMark = (): PyValue[] => {
    const m = marks.pop();
    if (m === undefined) return fail('bad pickle: no MARK on the stack');
    const items = stack.splice(m + 1) as PyValue[];
    stack.pop(); // the MARK itself
    return items;
  };
  const getMemo = (i: number): PyValue => {
    const v = memo.get(i);
    if (v === undefined) fail(`bad pickle: memo entry ${i} is not set`);
    return v as PyValue;
  };
  const putMemo = (i: number) => { memo.set(i, top()); };
  const setItems = (d: PyValue, kv: PyValue[]) => {
    if (!(d instanceof PyDict)) fail(`bad pickle: SETITEM(S) on ${describeValue(d)}, not a dict`);
    if (kv.length % 2) fail('bad pickle: SETITEMS with an odd number of items');
    try { for (let i = 0; i < kv.length; i += 2) (d as PyDict).set(kv[i]!, kv[i + 1]!); } catch (e) {
      if (e instanceof UnhashableError) fail(`bad pickle: ${e.message}`);
      throw e;
    }
  };
  const appendItems = (l: PyValue, items: PyValue[]) => {
    if (!Array.isArray(l)) fail(`bad pickle: APPEND(S) on ${describeValue(l)}, not a list`);
    (l as PyValue[]).push(...items);
  };
  const long = (b: Uint8Array): number | bigint => {
    if (b.length === 0) return 0;
    let v = 0n;
    for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
    if (b[b.length - 1]! & 0x80) v -= 1n << BigInt(8 * b.length);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  };
  const asString = (v: PyValue, op: string) => {
    if (typeof v !== 'string') fail(`bad pickle: ${op} needs strings, got ${describeValue(v)}`);
    return v as string;
  };

  for (;;) {
    opAt = pos;
    const op = u8();
    switch (op) {
      case 0x80: { const p = u8(); if (p > 5) fail(`unsupported pickle protocol ${p}`); break; } // PROTO
      case 0x95: u64(); break; // FRAME (framing is only a buffering hint)
      case 0x2e: { // STOP
        if (stack.length !== 1 || marks.length) fail(`bad pickle: STOP with ${stack.length} values on the stack`);
        return stack[0] as PyValue;
      }
      case 0x28: marks.push(stack.length); stack.push(MARK); break; // MARK
      case 0x30: { // POP
        if (stack.length && stack[stack.length - 1] === MARK) { stack.pop(); marks.pop(); } else pop();
        break;
      }
      case 0x31: popMark(); break; // POP_MARK
      case 0x32: stack.push(top()); break; // DUP
      case 0x4e: stack.push(null); break; // NONE
      case 0x88: stack.push(true); break; // NEWTRUE
      case 0x89: stack.push(false); break; // NEWFALSE
      case 0x4a: stack.push(i32()); break; // BININT
      case 0x4b: stack.push(u8()); break; // BININT1
      case 0x4d: stack.push(u16()); break; // BININT2
      case 0x8a: stack.push(long(bytes(u8()))); break; // LONG1
      case 0x8b: { const n = i32(); if (n < 0) fail('bad pickle: negative LONG4 length'); stack.push(long(bytes(n))); break; } // LONG4
      case 0x49: { // INT (text)
        const s = line();
        if (s === '01') stack.push(true); else if (s === '00') stack.push(false);
        else if (/^-?\d+$/.test(s) && Number.isSafeInteger(Number(s))) stack.push(Number(s));
        else fail(`bad pickle: INT argument '${s.slice(0, 20)}'`);
        break;
      }
      case 0x47: { need(8); stack.push(dv.getFloat64(pos, false)); pos += 8; break; } // BINFLOAT (big-endian)
      case 0x8c: stack.push(str(bytes(u8()))); break; // SHORT_BINUNICODE
      case 0x58: stack.push(str(bytes(u32()))); break; // BINUNICODE
      case 0x8d: stack.push(str(bytes(u64()))); break; // BINUNICODE8
      case 0x55: stack.push(latin1.decode(bytes(u8()))); break; // SHORT_BINSTRING (Python 2 str)
      case 0x54: { const n = i32(); if (n < 0) fail('bad pickle: negative BINSTRING length'); stack.push(latin1.decode(bytes(n))); break; }
      case 0x43: stack.push(bytes(u8()).slice()); break; // SHORT_BINBYTES
      case 0x42: stack.push(bytes(u32()).slice()); break; // BINBYTES
      case 0x8e: stack.push(bytes(u64()).slice()); break; // BINBYTES8
      case 0x7d: stack.push(new PyDict()); break; // EMPTY_DICT
      case 0x5d: stack.push([]); break; // EMPTY_LIST
      case 0x29: stack.push(new PyTuple([])); break; // EMPTY_TUPLE
      case 0x8f: stack.push(new PySet([], false)); break; // EMPTY_SET
      case 0x64: { const d = new PyDict(); setItems(d, popMark()); stack.push(d); break; } // DICT
      case 0x6c: stack.push(popMark()); break; // LIST
      case 0x74: stack.push(new PyTuple(popMark())); break; // TUPLE
      case 0x91: stack.push(new PySet(popMark(), true)); break; // FROZENSET
      case 0x85: stack.push(new PyTuple([pop()])); break; // TUPLE1
      case 0x86: { const b = pop(), a = pop(); stack.push(new PyTuple([a, b])); break; } // TUPLE2
      case 0x87: { const c = pop(), b = pop(), a = pop(); stack.push(new PyTuple([a, b, c])); break; } // TUPLE3
      case 0x73: { const v = pop(), k = pop(); setItems(top(), [k, v]); break; } // SETITEM
      case 0x75: { const kv = popMark(); setItems(top(), kv); break; } // SETITEMS
      case 0x61: { const v = pop(); appendItems(top(), [v]); break; } // APPEND
      case 0x65: { const items = popMark(); appendItems(top(), items); break; } // APPENDS
      case 0x90: { // ADDITEMS
        const items = popMark(), s = top();
        if (!(s instanceof PySet) || s.frozen) fail(`bad pickle: ADDITEMS on ${describeValue(s)}, not a set`);
        (s as PySet).items.push(...items);
        break;
      }
      case 0x71: putMemo(u8()); break; // BINPUT
      case 0x72: putMemo(u32()); break; // LONG_BINPUT
      case 0x94: putMemo(memo.size); break; // MEMOIZE
      case 0x70: { const s = line(); if (!/^\d+$/.test(s)) fail('bad pickle: PUT argument'); putMemo(Number(s)); break; } // PUT
      case 0x68: stack.push(getMemo(u8())); break; // BINGET
      case 0x6a: stack.push(getMemo(u32())); break; // LONG_BINGET
      case 0x67: { const s = line(); if (!/^\d+$/.test(s)) fail('bad pickle: GET argument'); stack.push(getMemo(Number(s))); break; } // GET
      case 0x63: { const module = line(), name = line(); stack.push(hooks.findGlobal(module, name)); break; } // GLOBAL
      case 0x93: { // STACK_GLOBAL
        const name = asString(pop(), 'STACK_GLOBAL'), module = asString(pop(), 'STACK_GLOBAL');
        stack.push(hooks.findGlobal(module, name));
        break;
      }
      case 0x69: { // INST: module and name as text, arguments since MARK
        const module = line(), name = line();
        const fn = hooks.findGlobal(module, name);
        stack.push(hooks.call(fn, popMark()));
        break;
      }
      case 0x6f: { // OBJ: class and arguments since MARK
        const items = popMark();
        if (items.length === 0) fail('bad pickle: OBJ without a class');
        stack.push(hooks.call(items[0]!, items.slice(1)));
        break;
      }
      case 0x52: { // REDUCE
        const args = pop(), fn = pop();
        if (!(args instanceof PyTuple)) fail(`bad pickle: REDUCE arguments are ${describeValue(args)}, not a tuple`);
        stack.push(hooks.call(fn, (args as PyTuple).items));
        break;
      }
      case 0x81: { // NEWOBJ: cls.__new__(cls, *args); the allowed classes build the same way as when called
        const args = pop(), cls = pop();
        if (!(args instanceof PyTuple)) fail(`bad pickle: NEWOBJ arguments are ${describeValue(args)}, not a tuple`);
        stack.push(hooks.call(cls, (args as PyTuple).items));
        break;
      }
      case 0x62: { const state = pop(); hooks.build(top(), state); break; } // BUILD
      case 0x51: stack.push(hooks.persistentLoad(pop())); break; // BINPERSID
      default:
        fail(`unknown or unsupported pickle opcode 0x${op.toString(16).padStart(2, '0')}`);
    }
  }
}
