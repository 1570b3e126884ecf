// f64 references of the convolution and group norm (PyTorch's F.conv2d after F.pad, F.group_norm), shared by the op tests.
import type { Host } from './ref.ts';

/** Zero padding [top, bottom, left, right]. */
export type Pad = [number, number, number, number];

/** F.conv2d(F.pad(x, (l, r, t, b)), w, b, stride) in f64. */
export function refConv(x: Host, w: Host, b: Host | null, S: number, [pT, pB, pL, pR]: Pad): Host {
  const [B, C, H, W] = x.shape as [number, number, number, number];
  const [O, , KH, KW] = w.shape as [number, number, number, number];
  const OH = Math.floor((H + pT + pB - KH) / S) + 1, OW = Math.floor((W + pL + pR - KW) / S) + 1;
  const y = new Float64Array(B * O * OH * OW);
  let i = 0;
  for (let n = 0; n < B; n++) for (let o = 0; o < O; o++) for (let oy = 0; oy < OH; oy++) for (let ox = 0; ox < OW; ox++) {
    let s = b ? b.data[o]! : 0;
    for (let c = 0; c < C; c++) for (let ky = 0; ky < KH; ky++) for (let kx = 0; kx < KW; kx++) {
      const iy = oy * S + ky - pT, ix = ox * S + kx - pL;
      if (iy >= 0 && iy < H && ix >= 0 && ix < W) s += x.data[((n * C + c) * H + iy) * W + ix]! * w.data[((o * C + c) * KH + ky) * KW + kx]!;
    }
    y[i++] = s;
  }
  return { shape: [B, O, OH, OW], data: y };
}

/** F.group_norm in f64: biased variance per (image, group), then y = (x − mean)/sqrt(var + eps)·w + b. */
export function refGroupNorm(x: Host, G: number, w: Host | null, b: Host | null, eps = 1e-5): Host {
  const [B, C] = x.shape as [number, number];
  const hw = x.data.length / (B * C), Cg = C / G, n = Cg * hw;
  const y = new Float64Array(x.data.length);
  for (let i = 0; i < B * G; i++) {
    const lo = i * n;
    let m = 0; for (let k = 0; k < n; k++) m += x.data[lo + k]!;
    m /= n;
    let v = 0; for (let k = 0; k < n; k++) v += (x.data[lo + k]! - m) ** 2;
    const r = 1 / Math.sqrt(v / n + eps);
    for (let k = 0; k < n; k++) {
      const c = ((i % G) * Cg) + Math.floor(k / hw);
      y[lo + k] = (x.data[lo + k]! - m) * r * (w ? w.data[c]! : 1) + (b ? b.data[c]! : 0);
    }
  }
  return { shape: x.shape, data: y };
}
