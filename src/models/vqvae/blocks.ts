// VQVAE building blocks of VAR's basic_vae.py (VAR_FACTS §1.2): ResnetBlock, AttnBlock, Downsample, Upsample.
import { Tensor, Module, ops } from '../../engine/index.ts';
import { Conv, Flow, Norm, type ParamMaker } from './layers.ts';

/** GN, SiLU, 3×3 conv i→o, GN, SiLU, 3×3 conv o→o, added to x (through a 1×1 nin_shortcut when i ≠ o). */
export class ResnetBlock extends Module {
  norm1: Norm; conv1: Conv; norm2: Norm; conv2: Conv; nin_shortcut?: Conv;
  constructor(mk: ParamMaker, readonly inCh: number, readonly outCh: number) {
    super();
    this.norm1 = new Norm(mk, inCh);
    this.conv1 = new Conv(mk, inCh, outCh, 3, 1, 1);
    this.norm2 = new Norm(mk, outCh);
    this.conv2 = new Conv(mk, outCh, outCh, 3, 1, 1);
    if (inCh !== outCh) this.nin_shortcut = new Conv(mk, inCh, outCh, 1);
  }
  forward(x: Tensor, flow: Flow): Tensor {
    const c1 = this.conv1.forwardAfter(this.norm1, x);
    const h = flow.then(c1, (t) => this.conv2.forwardAfter(this.norm2, t));
    const s = this.nin_shortcut ? this.nin_shortcut.forward(x) : x;
    const y = ops.add(s, h);
    flow.drop(h);
    if (s !== x) flow.drop(s);
    return y;
  }
}

/**
 * Single-head self-attention over the H·W positions with head dim = C (VAR's AttnBlock): qkv = 1×1 conv of GN(x),
 * ordered q, k, v along channels; softmax(qᵀk · C^−½) weights v; 1×1 proj_out; residual add. Matmul + softmax (the
 * fused attention kernel takes head dims up to 128 only); the scores are [B, HW, HW].
 */
export class AttnBlock extends Module {
  norm: Norm; qkv: Conv; proj_out: Conv;
  constructor(mk: ParamMaker, readonly C: number) {
    super();
    this.norm = new Norm(mk, C);
    this.qkv = new Conv(mk, C, 3 * C, 1);
    this.proj_out = new Conv(mk, C, C, 1);
  }
  forward(x: Tensor, flow: Flow): Tensor {
    const [B, C, H, W] = x.shape as [number, number, number, number];
    const qkv = flow.then(this.norm.forward(x), (t) => this.qkv.forward(t));
    const qkv4 = ops.reshape(qkv, [B, 3, C, H * W]);
    const q = ops.slice(qkv4, 1, 0, 1), k = ops.slice(qkv4, 1, 1, 2), v = ops.slice(qkv4, 1, 2, 3); // [B, 1, C, HW]
    const s = ops.matmul(q, k, { transA: true }); // s[i, j] = Σ_c q[c, i] k[c, j]
    const w = flow.then(flow.then(s, (t) => ops.mulScalar(t, C ** -0.5)), (t) => ops.softmax(t, -1));
    const h = ops.matmul(v, w, { transB: true }); // h[c, i] = Σ_j v[c, j] w[i, j]
    flow.drop(w, q, k, v, qkv4);
    if (qkv4 !== qkv) flow.drop(qkv);
    const o = flow.then(flow.then(h, (t) => ops.reshape(t, [B, C, H, W])), (t) => this.proj_out.forward(t));
    const y = ops.add(x, o);
    flow.drop(o);
    return y;
  }
}

/** Zero-pad one column right and one row bottom, then a 3×3 conv with stride 2 (VAR's Downsample2x). */
export class Downsample extends Module {
  conv: Conv;
  constructor(mk: ParamMaker, C: number) { super(); this.conv = new Conv(mk, C, C, 3, 2, [0, 1, 0, 1]); }
  forward(x: Tensor): Tensor { return this.conv.forward(x); }
}

/** Nearest ×2, then a 3×3 conv (VAR's Upsample2x). */
export class Upsample extends Module {
  conv: Conv;
  constructor(mk: ParamMaker, C: number) { super(); this.conv = new Conv(mk, C, C, 3, 1, 1); }
  forward(x: Tensor, flow: Flow): Tensor { return flow.then(ops.upsampleNearest2x(x), (t) => this.conv.forward(t)); }
}
