// upsampleNearest2x: F.interpolate(x_BCHW, scale_factor=2, mode='nearest') forward and backward (2×2 block sums),
// split over plane ranges for tensors above one storage binding.
import { Tensor, empty } from '../tensor.ts';
import { record } from '../autograd.ts';
import { fmt } from '../shape.ts';
import { contiguous } from './movement.ts';

/** y_BC(2H)(2W)[.., 2i+di, 2j+dj] = x_BCHW[.., i, j]; the gradient sums each 2×2 block of dy. */
export function upsampleNearest2x(x_BCHW: Tensor): Tensor {
  const op = 'upsampleNearest2x';
  x_BCHW.assertLive(op);
  if (x_BCHW.ndim !== 4 || x_BCHW.dtype !== 'f32') throw new Error(`${op}: x must be an f32 [B, C, H, W] tensor, got ${x_BCHW}`);
  const [B, C, H, W] = x_BCHW.shape as [number, number, number, number];
  const y = nearest2x(op, x_BCHW, [B, C, 2 * H, 2 * W], false);
  return record(y, op, [x_BCHW], (gy) => [nearest2x(`${op}.grad`, gy, [B, C, H, W], true)]);
}

/** Forward (small -> large) or backward (large -> small), one invocation per small-plane element, windowed over planes. */
function nearest2x(op: string, src_: Tensor, outShape: number[], bwd: boolean): Tensor {
  const src = contiguous(src_);
  const out = empty(src.dev, outShape, 'f32', op);
  const [B, C] = outShape as [number, number];
  const [H, W] = bwd ? [outShape[2]!, outShape[3]!] : [src.shape[2]!, src.shape[3]!];
  const planes = B * C, small = H * W;
  const maxElems = Math.floor((src.dev.maxBinding - 2 * src.dev.storageAlign) / 4);
  if (4 * small > maxElems) throw new Error(`${op}: one ${fmt([2 * H, 2 * W])} plane exceeds a storage binding`);
  const step = Math.max(1, Math.min(planes, Math.floor(maxElems / (4 * small))));
  const [sp, dp] = bwd ? [4 * small, small] : [small, 4 * small];
  src.dev.counter?.op(op, 'elementwise', 0, 4 * 5 * planes * small, { planes, H, W });
  for (let p0 = 0; p0 < planes; p0 += step) {
    const n = Math.min(step, planes - p0);
    const sw = src.window(op, src.offset + p0 * sp, src.offset + (p0 + n) * sp), dw = out.window(op, p0 * dp, (p0 + n) * dp);
    const p = { n: n * small, H, W, src_base: sw.base, dst_base: dw.base };
    const v4 = W % 4 === 0 && sw.base % 4 === 0 && dw.base % 4 === 0; // 4 columns per invocation, vec4 accesses
    src.dev.run({ kernel: v4 ? 'resample/nearest2x_vec4' : 'resample/nearest2x', defines: { BWD: String(bwd) }, bindings: [sw.binding, dw.binding],
      params: p, workgroups: src.dev.grid((n * small) / (v4 ? 4 : 1), 64) });
  }
  if (src !== src_) src.dispose();
  return out;
}
