// resample: PyTorch F.interpolate(x, size, mode, align_corners=False) for area / bilinear / bicubic, forward and backward.
import { Tensor, empty } from '../tensor.ts';
import { record, needsGrad } from '../autograd.ts';
import { fmt } from '../shape.ts';

export type ResampleMode = 'area' | 'bilinear' | 'bicubic';
const MODE: Record<ResampleMode, number> = { area: 0, bilinear: 1, bicubic: 2 };

/**
 * y_BCHW = F.interpolate(x_BCHW, size=(outH, outW), mode, align_corners=False), no antialias: area = adaptive average
 * pooling bins, bilinear / bicubic (A = −0.75) with half-pixel centres and border-clamped taps. Any sizes, up or down.
 * The backward is the exact adjoint, gathered per input pixel (deterministic). `out` (torch's out=): write the result
 * into this [B, C, outH, outW] tensor or strided view instead of a fresh one; not differentiable.
 */
export function resample(x_BCHW: Tensor, outH: number, outW: number, mode: ResampleMode, opts: { out?: Tensor } = {}): Tensor {
  checkArgs(x_BCHW, outH, outW, mode);
  const [B, C, H, W] = x_BCHW.shape as [number, number, number, number];
  if (opts.out && needsGrad(x_BCHW)) throw new Error(`resample: out= is not differentiable, but ${x_BCHW} needs a gradient (use it under noGrad)`);
  const y = resampleRaw(x_BCHW, [B, C, outH, outW], mode, false, opts.out);
  if (opts.out) return y;
  return record(y, `resample.${mode}`, [x_BCHW], (g) => [resampleRaw(g, [B, C, H, W], mode, true)]);
}

function checkArgs(x: Tensor, outH: number, outW: number, mode: string) {
  x.assertLive('resample');
  if (!(mode in MODE)) throw new Error(`resample: unknown mode '${mode}' (area, bilinear, bicubic; nearest lives in its own op)`);
  if (x.ndim !== 4) throw new Error(`resample: expected an [B, C, H, W] tensor, got ${x}`);
  if (x.dtype !== 'f32') throw new Error(`resample: expected f32, got ${x}`);
  for (const [k, v] of [['outH', outH], ['outW', outW]] as const)
    if (!(Number.isInteger(v) && v > 0)) throw new Error(`resample: ${k} must be a positive integer, got ${v} (input ${x})`);
  if (x.shape.some((d) => d === 0)) throw new Error(`resample: empty input ${x}`);
}

/**
 * Launches the kernel. Forward: src = x, `shape` = output shape. Backward: src = dy (output-shaped), `shape` = the
 * input shape, which the result takes. `out`, when given, is written instead of a fresh tensor: any [B, C, h, w] view
 * (e.g. rows of a [B, L, C] buffer seen channel-first). src may be strided too.
 */
export function resampleRaw(src: Tensor, shape: readonly number[], mode: ResampleMode, backward: boolean, out?: Tensor): Tensor {
  const op = `resample.${mode}${backward ? '.backward' : ''}`;
  src.assertLive(op);
  const dst = out ?? empty(src.dev, shape, 'f32', op);
  if (dst.ndim !== 4 || dst.shape.some((d, i) => d !== shape[i])) throw new Error(`${op}: output ${dst} does not match ${fmt(shape)}`);
  if (src.shape[0] !== shape[0] || src.shape[1] !== shape[1]) throw new Error(`${op}: ${src} does not match the planes of ${fmt(shape)}`);
  // Sizes of the interpolation (not of src/dst): in = the x side, out = the y side.
  const [inH, inW, outH, outW] = backward
    ? [shape[2]!, shape[3]!, src.shape[2]!, src.shape[3]!]
    : [src.shape[2]!, src.shape[3]!, shape[2]!, shape[3]!];
  // Contiguous planes fold (B, C) into one dim so that even a single huge image splits across dispatches.
  const fold = src.isContiguous && dst.isContiguous;
  const [B, C] = fold ? [shape[0]! * shape[1]!, 1] : [shape[0]!, shape[1]!];
  const strides = (t: Tensor) => fold ? [t.shape[2]! * t.shape[3]!, 0, t.shape[3]!, 1] : [...t.strides];
  const [ss, ds] = [strides(src), strides(dst)];
  const extent = (t: Tensor, st: number[], rows: number) => 1 + (rows - 1) * st[0]! + (C - 1) * st[1]! + (t.shape[2]! - 1) * st[2]! + (t.shape[3]! - 1) * st[3]!;
  const maxElems = Math.floor((src.dev.maxBinding - 2 * src.dev.storageAlign) / 4);
  let rows = B;
  while (rows > 1 && (extent(src, ss, rows) > maxElems || extent(dst, ds, rows) > maxElems)) rows = Math.ceil(rows / 2);
  const sh = Math.fround(inH / outH), sw = Math.fround(inW / outW);
  const perRow = C * shape[2]! * shape[3]!;
  src.dev.counter?.op(op, 'elementwise', 0, 4 * (src.numel + dst.numel), { B: shape[0]!, C: shape[1]!, inH, inW, outH, outW });
  for (let r0 = 0; r0 < B; r0 += rows) {
    const r = Math.min(rows, B - r0);
    const a = src.window(op, src.offset + r0 * ss[0]!, src.offset + r0 * ss[0]! + extent(src, ss, r));
    const d = dst.window(op, dst.offset + r0 * ds[0]!, dst.offset + r0 * ds[0]! + extent(dst, ds, r));
    const n = r * perRow;
    const pr = { n, C, in_h: inH, in_w: inW, out_h: outH, out_w: outW, src_base: a.base, dst_base: d.base, ss, ds, scale_h: sh, scale_w: sw };
    src.dev.run({ kernel: 'resample/resample', defines: { MODE: MODE[mode], BACKWARD: String(backward) },
      bindings: [a.binding, d.binding], params: pr, workgroups: src.dev.grid(n, 64) });
  }
  return dst;
}
