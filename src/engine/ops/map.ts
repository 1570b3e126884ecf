// mapN: the launcher behind every elementwise op — broadcasting, strided views, dtype templating, and splitting
// tensors larger than one storage binding into windows along the leading (coalesced) dim.
import { Tensor, empty } from '../tensor.ts';
import { BYTES, WGSL_TYPE, type DType } from '../dtype.ts';
import type { BufferBinding } from '../runtime/device.ts';
import { broadcastShapes, broadcastStrides, coalesce, numel, type Shape } from '../shape.ts';

const KERNEL = ['elementwise/unary', 'elementwise/binary', 'elementwise/ternary'] as const;
const KERNEL4 = ['elementwise/unary4', 'elementwise/binary4', 'elementwise/ternary4'] as const;
/** Output elements per invocation of the kernels' strided path (at least; FLAT takes 4). */
const STRIDED_RUN = 32;

/**
 * The strided path's run length for a coalesced shape: a multiple of its last two dims' product where that is at most
 * 64, so that every lane of a SIMD group wraps (and decodes) at the same step (_lib/map_index.wgsl), else STRIDED_RUN.
 */
export function stridedRun(sh: readonly number[]): number {
  const period = sh[sh.length - 1]! * (sh.length >= 2 ? sh[sh.length - 2]! : 1);
  return period <= 64 ? period * Math.ceil(STRIDED_RUN / period) : STRIDED_RUN;
}

export interface MapOpts { dtype?: DType; s0?: number; s1?: number; out?: Tensor; shape?: Shape }

/**
 * out = OP(inputs...) elementwise, broadcasting inputs to a common shape (or to opts.shape).
 * `expr` is a WGSL expression over a, b, c (the loaded elements) and p.s0, p.s1.
 */
export function mapN(op: string, inputs: Tensor[], expr: string, opts: MapOpts = {}): Tensor {
  const n = inputs.length;
  if (n < 1 || n > 3) throw new Error(`${op}: mapN takes 1 to 3 inputs`);
  for (const x of inputs) x.assertLive(op);
  const dev = inputs[0]!.dev;
  for (const x of inputs) if (x.dev !== dev) throw new Error(`${op}: inputs live on different devices`);
  const shape = opts.shape ? broadcastShapes(op, opts.shape, ...inputs.map((x) => x.shape)) : broadcastShapes(op, ...inputs.map((x) => x.shape));
  if (opts.shape && shape.length !== opts.shape.length) throw new Error(`${op}: inputs cannot broadcast to [${opts.shape}]`);
  const dtype = opts.dtype ?? inputs[0]!.dtype;
  const out = opts.out ?? empty(dev, shape, dtype, op);
  const total = numel(shape);
  if (total === 0) return out;
  if (opts.out && (opts.out.shape.length !== shape.length || opts.out.shape.some((d, i) => d !== shape[i])))
    throw new Error(`${op}: output ${opts.out} does not match the broadcast shape [${shape}]`);
  const outStrides = [...out.strides];
  const { shape: sh, strides: st } = coalesce(shape, [outStrides, ...inputs.map((x) => broadcastStrides(x.shape, x.strides, shape))]);
  if (sh.length > 8) throw new Error(`${op}: rank ${sh.length} after coalescing exceeds 8`);
  const all = [out, ...inputs];
  // Work: no FLOPs counted (memory-bound); bytes: each input's own elements read once and the output written once. A plain
  // copy (expression 'a', no type change) is a copy, everything else elementwise.
  dev.counter?.op(op, expr === 'a' && inputs[0]!.dtype === dtype ? 'copy' : 'elementwise', 0,
    inputs.reduce((s, x) => s + Math.min(x.numel, total) * 4, total * 4), { n: total, inputs: n });
  const flat = sh.length === 1 && st[0]![0] === 1 && st.every((s) => s[0] === 1 || s[0] === 0);
  const defines: Record<string, string> = { OP: expr, TO: WGSL_TYPE[dtype], FLAT: String(flat) };
  const run = flat ? 4 : stridedRun(sh);
  inputs.forEach((x, i) => (defines['T' + 'ABC'[i]] = WGSL_TYPE[x.dtype]));

  // Rows of the leading dim per dispatch so that every operand's window fits one binding.
  const maxBytes = dev.maxBinding - 2 * dev.storageAlign;
  const extent = (strides: number[], rows: number) => {
    let e = (rows - 1) * strides[0]!;
    for (let d = 1; d < sh.length; d++) e += (sh[d]! - 1) * strides[d]!;
    return e + 1;
  };
  let rows = sh[0]!;
  while (rows > 1 && all.some((t, i) => extent(st[i]!, rows) * 4 > maxBytes)) rows = Math.ceil(rows / 2);

  for (let r0 = 0; r0 < sh[0]!; r0 += rows) {
    const r = Math.min(rows, sh[0]! - r0);
    const wins = all.map((t, i) => {
      const lo = t.offset + r0 * st[i]![0]!;
      return t.window(op, lo, lo + extent(st[i]!, r));
    });
    const subShape = [r, ...sh.slice(1)];
    if (!vec4Map(dev, all, st, wins, subShape, opts, defines)) scalarMap(dev, wins, st, subShape, basesOf(wins), run, opts, defines);
  }
  return out;
}

/**
 * The map of one dispatch (shape `sub`, strides `st`: output first) on the vec4 kernels (elementwise/*4) where it can
 * run in vec4s along the last dim: 4-byte dtypes, the last dim a multiple of 4 (a flat map: its whole vec4s, the rest on
 * the scalar FLAT kernel), each input streamed (stride 1, base and outer strides multiples of 4) or broadcast (stride 0)
 * along it, the output streamed, and each window rounded up to 16 bytes inside its buffer. False (nothing run) otherwise.
 */
function vec4Map(dev: Tensor['dev'], all: Tensor[], st: number[][], wins: Window[], sub: number[], opts: MapOpts, defines: Record<string, string>): boolean {
  const d = sub.length - 1, flat = d === 0, cnt = numel(sub);
  if (all.some((t) => BYTES[t.dtype] !== 4) || (flat ? cnt < 4 : sub[d]! % 4 !== 0)) return false;
  const bound: BufferBinding[] = [];
  for (let i = 0; i < all.length; i++) {
    const b = wins[i]!.binding, size = Math.ceil(b.size / 16) * 16, s = st[i]!;
    if ('view' in b || b.offset + size > b.buffer.size) return false;
    if (s[d] === 1) { if (wins[i]!.base % 4 !== 0 || s.slice(0, d).some((x) => x % 4 !== 0)) return false; }
    else if (i === 0 || s[d] !== 0) return false;
    bound.push({ ...b, size });
  }
  const n = all.length - 1, n4 = Math.floor(cnt / 4), bases = basesOf(wins);
  // Runs inside one row where the row's vec4s allow (NOWRAP): as long as the largest power of two dividing them, up to
  // 256, since each run starts with a full index decode (a division per dim, lane by lane).
  const shape4 = [...sub.slice(0, d), flat ? n4 : sub[d]! / 4], row = shape4[d]!, pow2 = row & -row;
  const run = flat ? 4 : pow2 >= 32 ? Math.min(256, pow2) : stridedRun(shape4);
  const st4 = (s: number[] | undefined) => pad8(s ? [...s.slice(0, d), s[d] === 1 ? 4 : 0] : []);
  const ones = Object.fromEntries([1, 2, 3].map((i) => ['ONE_' + 'ABC'[i - 1], String(st[i]?.[d] === 0)]).slice(0, n));
  const nowrap = !flat && row % run === 0;
  dev.run({ kernel: KERNEL4[n - 1]!, defines: { ...defines, FLAT: String(flat), NOWRAP: String(nowrap), ...ones }, bindings: [...bound.slice(1), bound[0]!],
    params: { n: n4, rank: sub.length, s0: opts.s0 ?? 0, s1: opts.s1 ?? 0, base: bases, shape: pad8(shape4), sa: st4(st[1]), sb: st4(st[2]), sc: st4(st[3]), so: st4(st[0]), run },
    workgroups: dev.grid(Math.ceil(n4 / run), 64) });
  // A flat map's last 1-3 elements: streamed operands moved past the vec4s, broadcast ones where they are.
  const tail = cnt - 4 * n4;
  if (tail) scalarMap(dev, wins, st, [tail], bases.map((b, k) => (k === 3 || st[k + 1]?.[0] !== 0 ? b + 4 * n4 : b)), 4, opts, defines);
  return true;
}

/** One dispatch of the scalar kernels (elementwise/unary, binary, ternary) over `shape` from element offsets `bases`. */
function scalarMap(dev: Tensor['dev'], wins: Window[], st: number[][], shape: number[], bases: number[], run: number, opts: MapOpts, defines: Record<string, string>) {
  dev.run({ kernel: KERNEL[wins.length - 2]!, defines, bindings: [...wins.slice(1).map((w) => w.binding), wins[0]!.binding],
    params: { n: numel(shape), rank: shape.length, s0: opts.s0 ?? 0, s1: opts.s1 ?? 0, base: bases, shape: pad8(shape),
      sa: pad8(st[1]!), sb: pad8(st[2] ?? []), sc: pad8(st[3] ?? []), so: pad8(st[0]!), run },
    workgroups: dev.grid(Math.ceil(numel(shape) / run), 64) });
}

/** An operand's bound window and the element offset of its first element in it (output first). */
type Window = { binding: BufferBinding; base: number };
/** The kernels' base offsets (a, b, c, out) of a dispatch's windows. */
const basesOf = (wins: Window[]) => [wins[1]?.base ?? 0, wins[2]?.base ?? 0, wins[3]?.base ?? 0, wins[0]!.base];
const pad8 = (v: number[]) => [...v, ...new Array(8 - v.length).fill(0)];
