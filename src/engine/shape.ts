// Shapes: broadcasting, strides, coalescing and axis normalisation. Pure functions, no GPU.
export type Shape = readonly number[];
export const numel = (s: Shape) => s.reduce((a, b) => a * b, 1);
export function contiguousStrides(s: Shape): number[] {
  const st = new Array<number>(s.length); let acc = 1;
  for (let i = s.length - 1; i >= 0; i--) { st[i] = acc; acc *= s[i]!; }
  return st;
}
export const fmt = (s: Shape) => `[${s.join(', ')}]`;
export function broadcastShapes(op: string, ...shapes: Shape[]): number[] {
  const r = Math.max(...shapes.map((s) => s.length));
  const out = new Array<number>(r).fill(1);
  for (const s of shapes) for (let i = 0; i < s.length; i++) {
    const d = s[s.length - 1 - i]!, j = r - 1 - i;
    if (d === out[j] || d === 1) continue;
    if (out[j] === 1) { out[j] = d; continue; }
    throw new Error(`${op}: shapes ${shapes.map(fmt).join(' and ')} cannot be broadcast together (dim ${j}: ${out[j]} vs ${d})`);
  }
  return out;
}
/** Strides of `shape`/`strides` viewed as broadcast to `out` (0 on broadcast dims). */
export function broadcastStrides(shape: Shape, strides: readonly number[], out: Shape): number[] {
  const r = out.length, off = r - shape.length;
  return out.map((_, j) => (j < off || shape[j - off] === 1 ? 0 : strides[j - off]!));
}
export function normAxis(op: string, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= Math.max(rank, 1)) throw new Error(`${op}: axis ${axis} is out of range for a tensor of rank ${rank}`);
  return a;
}
export function sameShape(a: Shape, b: Shape) { return a.length === b.length && a.every((d, i) => d === b[i]); }
/**
 * Merges adjacent dims that are contiguous with each other in every operand (and drops size-1 dims), so kernels
 * index fewer dims and big tensors split along one leading dim. Returns the new shape and per-operand strides.
 */
export function coalesce(shape: Shape, strides: number[][]): { shape: number[]; strides: number[][] } {
  const keep = shape.map((d, i) => i).filter((i) => shape[i] !== 1);
  let sh: number[] = keep.map((i) => shape[i]!);
  let st: number[][] = strides.map((s) => keep.map((i) => s[i]!));
  if (sh.length === 0) return { shape: [1], strides: strides.map(() => [0]) };
  for (let i = sh.length - 2; i >= 0; i--) {
    if (st.every((s) => s[i] === s[i + 1]! * sh[i + 1]!)) {
      sh = [...sh.slice(0, i), sh[i]! * sh[i + 1]!, ...sh.slice(i + 2)];
      st = st.map((s) => [...s.slice(0, i), s[i + 1]!, ...s.slice(i + 2)]);
    }
  }
  return { shape: sh, strides: st };
}
