// maxPool2d over NCHW (F.max_pool2d, floor mode): forward saves the argmax, backward routes dy to it (per output tile
// when windows tile the input, else a deterministic gather per input); split over plane ranges above one binding.
import { Tensor, empty } from '../tensor.ts';
import { record } from '../autograd.ts';
import { fmt } from '../shape.ts';
import { contiguous } from './movement.ts';

interface PoolGeom { planes: number; H: number; W: number; OH: number; OW: number; K: number; S: number; pad: number }

/**
 * y_BCoo = F.max_pool2d(x_BCHW, kernel, stride, padding) (dilation 1, ceil_mode False). The gradient goes to the
 * first maximum of each window in row-major order, as PyTorch's; overlapping windows (stride < kernel) add up.
 */
export function maxPool2d(x_BCHW: Tensor, kernel: number, stride = kernel, padding = 0): Tensor {
  const [y, idx] = maxPool2dWithIndices(x_BCHW, kernel, stride, padding);
  const out = record(y, 'maxPool2d', [x_BCHW], (gy) => {
    const dx = maxPool2dBackward(gy, idx, x_BCHW.shape as number[], kernel, stride, padding);
    idx.dispose();
    return [dx];
  });
  if (!out.node) idx.dispose();
  return out;
}

/**
 * The forward without autograd: y and idx_BCoo (i32), the flat index iy·W + ix of each window's maximum within its
 * input plane (PyTorch's return_indices=True). The caller owns both.
 */
export function maxPool2dWithIndices(x_BCHW: Tensor, kernel: number, stride = kernel, padding = 0): [Tensor, Tensor] {
  const op = 'maxPool2d';
  x_BCHW.assertLive(op);
  if (x_BCHW.dtype !== 'f32') throw new Error(`${op}: x must be f32, got ${x_BCHW}`);
  const g = geometry(op, x_BCHW.shape, kernel, stride, padding);
  const [B, C] = x_BCHW.shape as [number, number];
  const x = contiguous(x_BCHW);
  const y = empty(x.dev, [B, C, g.OH, g.OW], 'f32', op), idx = empty(x.dev, [B, C, g.OH, g.OW], 'i32', `${op}.idx`);
  x.dev.counter?.op(op, 'other', 0, 4 * (x.numel + 2 * y.numel), { B, C, H: g.H, W: g.W, K: g.K, S: g.S });
  for (const [p0, n] of planeChunks(op, x, g)) {
    const hw = g.H * g.W, ohw = g.OH * g.OW;
    const xw = x.window(op, x.offset + p0 * hw, x.offset + (p0 + n) * hw);
    const yw = y.window(op, p0 * ohw, (p0 + n) * ohw), iw = idx.window(op, p0 * ohw, (p0 + n) * ohw);
    const p = { n: n * ohw, H: g.H, W: g.W, OH: g.OH, OW: g.OW, K: g.K, S: g.S, pad: g.pad, x_base: xw.base, y_base: yw.base, i_base: iw.base };
    x.dev.run({ kernel: 'pool/maxpool2d', bindings: [xw.binding, yw.binding, iw.binding], params: p, workgroups: x.dev.grid(n * ohw, 64) });
  }
  if (x !== x_BCHW) x.dispose();
  return [y, idx];
}

/** dx_BCHW[.., i] = Σ dy over the outputs whose argmax is i (shape of x given). */
export function maxPool2dBackward(dy_BCoo: Tensor, idx_BCoo: Tensor, xShape: readonly number[], kernel: number, stride = kernel, padding = 0): Tensor {
  const op = 'maxPool2d.grad';
  const dev = dy_BCoo.dev;
  const g = geometry(op, xShape, kernel, stride, padding);
  const want = [xShape[0]!, xShape[1]!, g.OH, g.OW];
  for (const t of [dy_BCoo, idx_BCoo]) {
    t.assertLive(op);
    if (t.ndim !== 4 || t.shape.some((d, i) => d !== want[i])) throw new Error(`${op}: ${t} must have shape ${fmt(want)} for x ${fmt(xShape)}`);
  }
  if (idx_BCoo.dtype !== 'i32' || dy_BCoo.dtype !== 'f32') throw new Error(`${op}: expected f32 dy and i32 indices, got ${dy_BCoo} and ${idx_BCoo}`);
  const dy = contiguous(dy_BCoo), idx = contiguous(idx_BCoo);
  // Tiling windows (VGG's 2/2): each output writes its tile; others (AlexNet's overlapping 3/2): a gather per input.
  const tiles = g.K === g.S && g.pad === 0;
  const dx = empty(dev, xShape, 'f32', op);
  dev.counter?.op(op, 'other', 0, 4 * (2 * dy.numel + dx.numel));
  for (const [p0, n] of planeChunks(op, dx, g)) {
    const hw = g.H * g.W, ohw = g.OH * g.OW;
    const gw = dy.window(op, dy.offset + p0 * ohw, dy.offset + (p0 + n) * ohw), iw = idx.window(op, idx.offset + p0 * ohw, idx.offset + (p0 + n) * ohw);
    const dw = dx.window(op, p0 * hw, (p0 + n) * hw);
    if (tiles) {
      const p = { n: n * ohw, H: g.H, W: g.W, OH: g.OH, OW: g.OW, S: g.S, g_base: gw.base, i_base: iw.base, d_base: dw.base };
      dev.run({ kernel: 'pool/maxpool2d_bwd_tiles', bindings: [gw.binding, iw.binding, dw.binding], params: p, workgroups: dev.grid(n * ohw, 64) });
    } else {
      const p = { n: n * hw, H: g.H, W: g.W, OH: g.OH, OW: g.OW, K: g.K, S: g.S, pad: g.pad, g_base: gw.base, i_base: iw.base, d_base: dw.base };
      dev.run({ kernel: 'pool/maxpool2d_bwd', bindings: [gw.binding, iw.binding, dw.binding], params: p, workgroups: dev.grid(n * hw, 64) });
    }
  }
  if (dy !== dy_BCoo) dy.dispose();
  if (idx !== idx_BCoo) idx.dispose();
  return dx;
}

function geometry(op: string, xShape: readonly number[], K: number, S: number, pad: number): PoolGeom {
  const what = `x ${fmt(xShape)}, kernel ${K}, stride ${S}, padding ${pad}`;
  if (xShape.length !== 4) throw new Error(`${op}: x must be [B, C, H, W], got ${fmt(xShape)}`);
  if (![K, S].every((v) => Number.isInteger(v) && v >= 1) || !Number.isInteger(pad) || pad < 0)
    throw new Error(`${op}: kernel and stride must be positive integers and padding a non-negative integer (${what})`);
  if (2 * pad > K) throw new Error(`${op}: padding should be at most half the kernel size, as in PyTorch (${what})`);
  const [B, C, H, W] = xShape as [number, number, number, number];
  const OH = Math.floor((H + 2 * pad - K) / S) + 1, OW = Math.floor((W + 2 * pad - K) / S) + 1;
  if (OH < 1 || OW < 1) throw new Error(`${op}: output size ${fmt([OH, OW])} is too small (${what})`);
  return { planes: B * C, H, W, OH, OW, K, S, pad };
}

/** [first plane, plane count] ranges such that a range's input and output planes both fit one storage binding. */
function planeChunks(op: string, t: Tensor, g: PoolGeom): [number, number][] {
  const maxElems = Math.floor((t.dev.maxBinding - 2 * t.dev.storageAlign) / 4);
  const plane = Math.max(g.H * g.W, g.OH * g.OW);
  if (plane > maxElems) throw new Error(`${op}: one ${fmt([g.H, g.W])} plane exceeds a storage binding`);
  const step = Math.max(1, Math.min(g.planes, Math.floor(maxElems / plane)));
  const out: [number, number][] = [];
  for (let p0 = 0; p0 < g.planes; p0 += step) out.push([p0, Math.min(step, g.planes - p0)]);
  return out;
}
