// Reads a kernel's `struct Params` (after includes) into a uniform-buffer layout, with WGSL's alignment rules.
// Field types: u32/i32/f32, vec2/vec3/vec4 of those, arrays of 16-byte-stride elements; member @align/@size honoured.

const SCALAR = { u32: 'u', i32: 'i', f32: 'f' };
const SUFFIX = { u: 'u', i: 'i', f: 'f' };
const roundUp = (a, n) => Math.ceil(n / a) * a;

/** Element type: kind ('u' | 'i' | 'f'), lanes (numbers per element), align and size in bytes; null if unsupported. */
function elemType(t) {
  if (SCALAR[t]) return { kind: SCALAR[t], lanes: 1, align: 4, size: 4 };
  const m = /^vec([234])(?:([uif])|<\s*(u32|i32|f32)\s*>)$/.exec(t);
  if (!m) return null;
  const lanes = +m[1];
  return { kind: m[2] ? SUFFIX[m[2]] : SCALAR[m[3]], lanes, align: lanes === 2 ? 8 : 16, size: 4 * lanes };
}

/** Splits on commas outside `<...>` and `(...)`. */
function splitTop(s) {
  const out = [];
  let depth = 0, cur = '';
  for (const ch of s) {
    if (ch === '<' || ch === '(') depth++;
    else if (ch === '>' || ch === ')') depth--;
    if (ch === ',' && depth === 0) { out.push(cur); cur = ''; } else cur += ch;
  }
  out.push(cur);
  return out.map((x) => x.trim()).filter((x) => x.length > 0);
}

/** Integer array count: a literal (`7`, `7u`) or a module-scope `const NAME = 7u;` of the same source. */
function arrayCount(text, src, fail) {
  const lit = /^(\d+)[ui]?$/.exec(text);
  if (lit) return +lit[1];
  if (/^\w+$/.test(text)) {
    const c = new RegExp(`^\\s*const\\s+${text}\\s*(?::\\s*\\w+\\s*)?=\\s*(\\d+)[ui]?\\s*;`, 'm').exec(src);
    if (c) return +c[1];
  }
  fail(`array count '${text}' is neither an integer literal nor a module-scope integer const`);
}

/**
 * Layout of the `struct Params` in `src` (a resolved kernel source). Returns { bytes, fields } with fields
 * { name, type, kind, offset, lanes, count, stride }: `lanes * count` numbers are written, element e at
 * offset + e * stride. `bytes` is the struct size rounded up to 16 (the size bound as the uniform).
 */
export function paramsLayout(kernel, src) {
  const fail = (msg) => { throw new Error(`kernels/bundle: ${kernel}: struct Params: ${msg}`); };
  const heads = [...src.matchAll(/\bstruct\s+Params\s*\{/g)];
  if (heads.length === 0) fail('not found (every kernel takes a Params uniform at its last binding)');
  if (heads.length > 1) fail('declared more than once');
  const start = heads[0].index + heads[0][0].length, end = src.indexOf('}', start);
  const body = src.slice(start, end).replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/\/\/[^\n]*/g, ' ');
  const dep = /\{\{(\w*)/.exec(body);
  if (dep) fail(`depends on the define {{${dep[1]}}}; Params must be static so its layout and TS type are known at build time (pass the value as a field)`);
  let off = 0, maxAlign = 4;
  const fields = [], seen = new Set();
  for (const member of splitTop(body)) {
    let rest = member, align = null, size = null;
    for (let a; (a = /^@(align|size)\s*\(\s*(\d+)\s*\)\s*/.exec(rest)); rest = rest.slice(a[0].length)) {
      if (a[1] === 'align') align = +a[2]; else size = +a[2];
    }
    const m = /^(\w+)\s*:\s*(.+)$/s.exec(rest);
    if (!m) fail(`cannot read member '${member}'`);
    const name = m[1], type = m[2].replace(/\s+/g, ' ').trim();
    if (seen.has(name)) fail(`field '${name}' declared twice`);
    seen.add(name);
    let f;
    const arr = /^array\s*<(.+)>$/.exec(type);
    if (arr) {
      const parts = splitTop(arr[1]);
      if (parts.length !== 2) fail(`field '${name}': runtime-sized arrays cannot live in a uniform`);
      const e = elemType(parts[0]);
      if (!e) fail(`field '${name}': unsupported array element type '${parts[0]}'`);
      const stride = roundUp(e.align, e.size);
      if (stride % 16) fail(`field '${name}': ${type} has a ${stride}-byte stride; uniform arrays need a multiple of 16 (use vec4 elements)`);
      const count = arrayCount(parts[1], src, (msg) => fail(`field '${name}': ${msg}`));
      f = { kind: e.kind, lanes: e.lanes, count, stride, align: Math.max(16, e.align), size: count * stride };
    } else {
      const e = elemType(type);
      if (!e) fail(`field '${name}': unsupported type '${type}' (use u32, i32, f32, vec2/3/4 of those, or array<vec4*, N>)`);
      f = { kind: e.kind, lanes: e.lanes, count: 1, stride: 0, align: e.align, size: e.size };
    }
    if (align !== null) f.align = align;
    if (size !== null) f.size = size;
    off = roundUp(f.align, off);
    fields.push({ name, type, kind: f.kind, offset: off, lanes: f.lanes, count: f.count, stride: f.stride });
    off += f.size;
    maxAlign = Math.max(maxAlign, f.align);
  }
  if (fields.length === 0) fail('has no fields');
  return { bytes: Math.max(16, roundUp(16, roundUp(maxAlign, off))), fields };
}

/** The TS type of a field's value: a number, or a flat list of `lanes * count` numbers. */
export function fieldTsType(f) {
  return f.lanes * f.count === 1 ? 'number' : 'readonly number[]';
}
