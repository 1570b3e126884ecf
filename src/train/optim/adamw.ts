// AdamW with parameter groups and a fused per-tensor kernel (kernels/optim/adamw.wgsl); state is explicit.
import { Tensor, fromArray, launch, ops } from '../../engine/index.ts';

export interface ParamGroup { params: Tensor[]; lr?: number; weightDecay?: number }
/** Per-parameter state, named as torch.optim.AdamW's `state[p]`: steps taken and both moment estimates. */
export interface AdamWState { step: number; exp_avg: Tensor; exp_avg_sq: Tensor }
export interface AdamWOpts { lr: number; betas?: [number, number]; eps?: number; weightDecay?: number }

export class AdamW {
  readonly groups: Required<ParamGroup>[];
  readonly betas: [number, number];
  readonly eps: number;
  /** State per parameter (created at its first update), as PyTorch's `optimizer.state[p]`. */
  readonly state = new Map<Tensor, AdamWState>();

  constructor(groups: ParamGroup[] | Tensor[], opts: AdamWOpts) {
    const gs: ParamGroup[] = groups.length && groups[0] instanceof Tensor ? [{ params: groups as Tensor[] }] : (groups as ParamGroup[]);
    this.groups = gs.map((g) => ({ params: g.params, lr: g.lr ?? opts.lr, weightDecay: g.weightDecay ?? opts.weightDecay ?? 0.01 }));
    this.betas = opts.betas ?? [0.9, 0.999];
    this.eps = opts.eps ?? 1e-8;
  }

  /** nanoGPT's rule: weight decay on tensors with 2 or more dims only (matmul/conv weights, embeddings). */
  static decayGroups(named: [string, Tensor][], weightDecay: number): ParamGroup[] {
    return [
      { params: named.filter(([, t]) => t.ndim >= 2).map(([, t]) => t), weightDecay },
      { params: named.filter(([, t]) => t.ndim < 2).map(([, t]) => t), weightDecay: 0 },
    ];
  }

  /** Sets every group's learning rate (e.g. from a schedule). */
  setLr(lr: number) { for (const g of this.groups) g.lr = lr; }

  /** One update of every parameter that has a gradient (torch's `optimizer.step()`). One dispatch per tensor; no readback. */
  step() {
    const [b1, b2] = this.betas;
    for (const g of this.groups) for (const p of g.params) {
      if (!p.grad) continue;
      if (!p.isContiguous || !p.grad.isContiguous) throw new Error(`AdamW: ${p} and its grad must be contiguous`);
      let s = this.state.get(p);
      if (!s) { s = { step: 0, exp_avg: ops.fill(p.dev, p.shape, 0).keep(), exp_avg_sq: ops.fill(p.dev, p.shape, 0).keep() }; this.state.set(p, s); }
      s.step++;
      const bc1 = 1 - b1 ** s.step, bc2 = 1 - b2 ** s.step;
      const n = p.numel;
      launch(p.dev, {
        kernel: 'optim/adamw',
        bindings: [p, p.grad, s.exp_avg, s.exp_avg_sq],
        params: { n, lr: g.lr, beta1: b1, beta2: b2, eps: this.eps, wd: g.weightDecay, bc1, sqrt_bc2: Math.sqrt(bc2) },
        workgroups: p.dev.grid(n, 64),
      });
    }
  }

  /**
   * Zeroes rows `rows` (indices along the first dimension) of `p`'s exp_avg and exp_avg_sq, leaving its step count and
   * every other row as they are; for a parameter whose rows were re-initialised (dead-code restart of a codebook). A
   * parameter with no state yet has nothing to reset. Host round trip: meant for occasional use, not every step.
   */
  async resetRows(p: Tensor, rows: readonly number[]): Promise<void> {
    const s = this.state.get(p);
    if (!s || rows.length === 0) return;
    const R = p.shape[0] ?? 1, W = p.numel / R;
    for (const r of rows) if (!Number.isInteger(r) || r < 0 || r >= R) throw new RangeError(`AdamW.resetRows: row ${r} is outside ${p}'s ${R} rows`);
    for (const m of [s.exp_avg, s.exp_avg_sq]) {
      const a = (await m.toArray()) as Float32Array;
      for (const r of rows) a.fill(0, r * W, (r + 1) * W);
      const t = fromArray(p.dev, a, m.shape);
      ops.assign(m, t);
      t.dispose();
    }
  }

  /** Clears gradients (disposes them; torch's `zero_grad(set_to_none=True)`). */
  zeroGrad() { for (const g of this.groups) for (const p of g.params) if (p.grad) { p.grad.dispose(); p.grad = null; } }

  dispose() { for (const s of this.state.values()) { s.exp_avg.dispose(); s.exp_avg_sq.dispose(); } this.state.clear(); }
}
