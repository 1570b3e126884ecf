// embedding: a row gather weight[idx] and its deterministic scatter-add backward; index arguments (GPU or host, range-checked).
import { Tensor, empty, fromArray } from '../tensor.ts';
import { record } from '../autograd.ts';
import type { Device } from '../runtime/device.ts';
import { numel, fmt } from '../shape.ts';
import { fill } from './elementwise.ts';
import { slabRanges, dense, assertF32 } from './rows.ts';

/** An index argument: a GPU i32 tensor, or host integers (checked on the host, then uploaded). */
export type Indices = Tensor | Int32Array | readonly number[];

/**
 * Resolves an index argument to an i32 tensor. Host data must fill `shape` and lie in [0, limit) (or equal `except`,
 * e.g. an ignore index); it is checked here with an error naming the bad entry. A GPU tensor cannot be checked
 * without a read back: the kernels that take one write NaN where an index is out of range instead.
 * `owned` says the tensor was uploaded here (the caller disposes it).
 */
export function indexTensor(op: string, dev: Device, idx: Indices, shape: readonly number[], limit: number, except?: number): { t: Tensor; owned: boolean } {
  if (idx instanceof Tensor) {
    idx.assertLive(op);
    if (idx.dtype !== 'i32') throw new Error(`${op}: indices must be an i32 tensor, got ${idx}`);
    return { t: idx, owned: false };
  }
  if (idx.length !== numel(shape)) throw new Error(`${op}: ${idx.length} host indices do not fill shape ${fmt(shape)}`);
  for (let i = 0; i < idx.length; i++) {
    const v = idx[i]!;
    if (!(Number.isInteger(v) && ((v >= 0 && v < limit) || v === except)))
      throw new RangeError(`${op}: index ${v} at position ${i} is outside [0, ${limit})${except !== undefined ? ` and is not the ignore index ${except}` : ''}`);
  }
  return { t: fromArray(dev, idx, shape, 'i32'), owned: true };
}

/**
 * out[..., c] = weight[idx[...], c] for weight [V, C] and i32 indices of any shape (host indices: a flat list).
 * Out-of-range host indices throw; out-of-range GPU indices give NaN rows (and no gradient).
 * Backward: dweight[v] = Σ_{n: idx[n] = v} g[n], summed in ascending n after a stable counting sort of the indices
 * (2·V·N integer compares, then N·C adds): deterministic (bit-identical from run to run), no atomics.
 */
export function embedding(weight: Tensor, idx: Indices): Tensor {
  const op = 'embedding';
  weight.assertLive(op);
  assertF32(op, weight);
  if (weight.ndim !== 2) throw new Error(`${op}: weight must be [V, C], got ${weight}`);
  const [V, C] = weight.shape as [number, number];
  const dev = weight.dev;
  const { t: it, owned } = indexTensor(op, dev, idx, idx instanceof Tensor ? idx.shape : [idx.length], V);
  const ic = dense(op, it), N = ic.numel;
  const wc = dense(op, weight);
  const out = empty(dev, [...ic.shape, C], 'f32', op);
  dev.counter?.op(op, 'other', 0, 4 * (N + 2 * N * C), { N, C, V });
  if (N > 0 && C > 0) {
    const ww = wc.window(op, wc.offset, wc.offset + V * C);
    for (const [n0, n1] of slabRanges(op, dev, N, C)) {
      const iw = ic.window(op, ic.offset + n0, ic.offset + n1), ow = out.window(op, n0 * C, n1 * C);
      const p = { rows: n1 - n0, C, V, nan: NaN, w_base: ww.base, i_base: iw.base, o_base: ow.base };
      dev.run({ kernel: 'embed/embedding', bindings: [ww.binding, iw.binding, ow.binding], params: p, workgroups: dev.grid((n1 - n0) * C, 64) });
    }
  }
  if (wc !== weight) wc.dispose();
  const y = record(out, op, [weight], (g) => {
    const dw = embeddingBackward(g, ic, V, C);
    if (ic !== it) ic.dispose();
    if (owned) it.dispose();
    return [dw];
  });
  if (!y.node) { if (ic !== it) ic.dispose(); if (owned) it.dispose(); }
  return y;
}

function embeddingBackward(g: Tensor, ic: Tensor, V: number, C: number): Tensor {
  const op = 'embedding.grad', dev = g.dev, N = ic.numel;
  if (N === 0 || C === 0 || V === 0) return fill(dev, [V, C], 0);
  const gc = dense(op, g);
  const dw = empty(dev, [V, C], 'f32', op);
  const ranges = slabRanges(op, dev, N, C); // g may need several bindings: each range adds on to dw, in order
  dev.counter?.op(op, 'other', 0, 4 * (N + N * C + V * C), { N, C, V });
  const seg = empty(dev, [2 * V], 'u32', op), pos = empty(dev, [Math.max(...ranges.map(([a, b]) => b - a))], 'u32', op);
  for (const [n0, n1] of ranges) {
    const iw = ic.window(op, ic.offset + n0, ic.offset + n1), gw = gc.window(op, gc.offset + n0 * C, gc.offset + n1 * C);
    dev.run({ kernel: 'embed/embedding_csr', bindings: [iw.binding, seg.binding(op), pos.binding(op)], params: { V, N: n1 - n0, i_base: iw.base }, workgroups: dev.grid(V, 64) });
    dev.run({ kernel: 'embed/embedding_bwd', bindings: [gw.binding, seg.binding(op), pos.binding(op), dw.binding(op)],
      params: { V, C, g_base: gw.base, accumulate: n0 > 0 ? 1 : 0 }, workgroups: dev.grid(V * C, 64) });
  }
  for (const t of [seg, pos]) t.dispose();
  if (gc !== g) gc.dispose();
  return dw;
}
