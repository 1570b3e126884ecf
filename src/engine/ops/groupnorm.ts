// groupNorm over NCHW (PyTorch F.group_norm): one-read f32 statistics per plane (Welford, Chan's merge), PyTorch's affine and backward
// formulas, split over plane ranges for tensors above one storage binding.
import { Tensor, empty, view } from '../tensor.ts';
import { record, noGrad, needsGrad } from '../autograd.ts';
import { fmt } from '../shape.ts';
import { sum } from './reduce.ts';
import { contiguous, reshape } from './movement.ts';
import { silu } from './elementwise.ts';
import { perRowReduction, rowWorkgroups } from './rows.ts';

/**
 * y_BCHW = F.group_norm(x_BCHW, groups, w_C, b_C, eps): each (image, group) normalised by its biased variance,
 * then scaled per channel. Any trailing spatial size (x may be [B, C] or [B, C, ...]). Gradients flow to x, w and b.
 * eps defaults to PyTorch's 1e-5; VAR-style callers (its VQVAE uses 1e-6) pass eps explicitly.
 */
export function groupNorm(x_BCHW: Tensor, groups: number, w_C: Tensor | null = null, b_C: Tensor | null = null, eps = 1e-5): Tensor {
  return groupNormAct('groupNorm', x_BCHW, groups, w_C, b_C, eps, false);
}

/**
 * silu(groupNorm(x_BCHW, groups, w_C, b_C, eps)), VAR's `F.silu(norm(x))`. Without gradients to record the SiLU runs inside
 * the normalising pass (one read and one write of x fewer, same values bit for bit); with them it is the two ops.
 */
export function groupNormSilu(x_BCHW: Tensor, groups: number, w_C: Tensor | null = null, b_C: Tensor | null = null, eps = 1e-5): Tensor {
  if (needsGrad(x_BCHW, w_C, b_C)) return silu(groupNorm(x_BCHW, groups, w_C, b_C, eps));
  return groupNormAct('groupNormSilu', x_BCHW, groups, w_C, b_C, eps, true);
}

/** Checks groupNorm's arguments; returns B, C and the group size Cg. */
function checkArgs(op: string, x_BCHW: Tensor, groups: number, w_C: Tensor | null, b_C: Tensor | null) {
  const what = () => `x ${fmt(x_BCHW.shape)}, groups ${groups}${w_C ? `, w ${fmt(w_C.shape)}` : ''}${b_C ? `, b ${fmt(b_C.shape)}` : ''}`;
  for (const t of [x_BCHW, w_C, b_C]) if (t) { t.assertLive(op); if (t.dtype !== 'f32') throw new Error(`${op}: expected f32 tensors, got ${t} (${what()})`); }
  if (x_BCHW.ndim < 2) throw new Error(`${op}: x must be [B, C, ...], got ${what()}`);
  const [B, C] = x_BCHW.shape as [number, number];
  if (!Number.isInteger(groups) || groups < 1 || C % groups !== 0) throw new Error(`${op}: ${groups} groups do not divide ${C} channels (${what()})`);
  for (const t of [w_C, b_C]) if (t && (t.ndim !== 1 || t.shape[0] !== C)) throw new Error(`${op}: weight and bias must be [${C}] (${what()})`);
  return { B, C, Cg: C / groups };
}

/**
 * groupNorm's per-plane coefficients [B·C·4] of x (no gradients): what norm/groupnorm_apply (and conv/shift_tex's PRE)
 * read to normalise each (image, channel) plane; applyGroupNormSilu(x, coef) is groupNormSilu(x, ...), bit for bit.
 */
export function groupNormCoef(op: string, x_BCHW: Tensor, groups: number, w_C: Tensor | null, b_C: Tensor | null, eps: number): Tensor {
  const { B, Cg } = checkArgs(op, x_BCHW, groups, w_C, b_C);
  const x = contiguous(x_BCHW);
  const coef = noGrad(x.dev, () => {
    const s = planeMoments(op, x);
    const c = groupCoefficients(op, s, w_C, b_C, B, groups, Cg, planeSize(x), eps);
    for (const t of [s, c.m0, c.corr, c.rstd]) t.dispose();
    return c.coef;
  });
  if (x !== x_BCHW) x.dispose();
  return coef;
}

/** silu(x normalised by groupNormCoef's coefficients): the normalised tensor, for kernels that read one. */
export function applyGroupNormSilu(op: string, x_BCHW: Tensor, coef: Tensor): Tensor {
  const x = contiguous(x_BCHW);
  const y = noGrad(x.dev, () => applyCoef(op, x, x, coef, x_BCHW.shape, true));
  if (x !== x_BCHW) x.dispose();
  return y;
}

function groupNormAct(op: string, x_BCHW: Tensor, groups: number, w_C: Tensor | null, b_C: Tensor | null, eps: number, fusedSilu: boolean): Tensor {
  const { B, Cg } = checkArgs(op, x_BCHW, groups, w_C, b_C);
  const G = groups;
  const x = contiguous(x_BCHW);
  const { y, stats } = noGrad(x.dev, () => {
    const tmp = new Temps();
    // One read of x for the statistics: per plane its first element K and the mean and M2 of x − K (Welford per stream,
    // Chan's merge: norm/groupnorm_moments), then per group m0 = K of its first plane, the mean m0 + corr with corr
    // small, rstd, and the per-plane coefficients (norm/groupnorm_coef). m0 and corr are kept apart so that x − m0 stays
    // exact and the mean keeps the precision of the spread; no sum of squares is differenced.
    // y = (x − m0)·scale + (b − corr·scale) with scale = rstd·w. (PyTorch evaluates x·scale + (b − mean·scale), which
    // cancels catastrophically when |mean| ≫ σ.)
    const s = tmp.add(planeMoments(op, x));
    const { m0, corr, rstd, coef } = groupCoefficients(op, s, w_C, b_C, B, G, Cg, planeSize(x), eps);
    tmp.add(coef);
    const y = applyCoef(op, x, x, coef, x_BCHW.shape, fusedSilu);
    tmp.dispose();
    return { y, stats: { m0, corr, rstd } };
  });
  if (x !== x_BCHW) x.dispose();
  const inputs = [x_BCHW, ...(w_C ? [w_C] : []), ...(b_C ? [b_C] : [])];
  const freeStats = () => { for (const t of Object.values(stats)) t.dispose(); };
  const out = record(y, op, inputs, (gy) => {
    const g = groupNormBackward(gy, x_BCHW, w_C, b_C, stats, G);
    freeStats();
    return [g.dx, ...(w_C ? [g.dw] : []), ...(b_C ? [g.db] : [])];
  });
  if (!out.node) freeStats();
  return out;
}

interface Stats { m0: Tensor; corr: Tensor; rstd: Tensor }

/**
 * dx, dw, db by PyTorch's GroupNorm backward, with x centred on m0 (mean = m0 + corr): per plane db = Σdy and
 * e = Σdy·(x − mean) = Σdy·(x − m0) − corr·db; dbias = Σ_b db, dw = Σ_b e·rstd; per group e_g = Σ_c w·e,
 * db_g = Σ_c w·db, c2 = −e_g·rstd³/N; dx = rstd·w·dy + c2·(x − m0) − c2·corr − db_g·rstd/N.
 */
function groupNormBackward(gy: Tensor, x_BCHW: Tensor, w_C: Tensor | null, b_C: Tensor | null, st: Stats, G: number) {
  const op = 'groupNorm.grad';
  const [B, C] = x_BCHW.shape as [number, number];
  const Cg = C / G, N = Cg * planeSize(x_BCHW);
  const tmp = new Temps();
  const x = contiguous(x_BCHW), dy = contiguous(gy);
  if (x !== x_BCHW) tmp.add(x);
  if (dy !== gy) tmp.add(dy);
  const s = tmp.add(planeSums(op, dy, x, st.m0, G));
  // e, the weighted group sums, c2, rest and the per-plane coefficients in one small kernel (norm/groupnorm_bwd_coef),
  // the same values as the maps and reductions it replaces; dw and db stay sums over the images.
  const { coef, er } = groupBackwardCoefficients(op, s, st, w_C, B, G, Cg, N);
  tmp.add(coef); tmp.add(er);
  const db = b_C ? tmp.reshape(tmp.add(sum(tmp.add(view(s, [B, G, Cg], [C * 2, Cg * 2, 2], s.offset)), 0)), [C], true) : null;
  const dw = w_C ? tmp.reshape(tmp.add(sum(tmp.reshape(er, [B, G, Cg]), 0)), [C], true) : null;
  const dx = applyCoef(op, dy, x, coef, x_BCHW.shape);
  tmp.dispose();
  return { dx, dw, db };
}

/** Temporaries of one op, disposed together (reshape views only when they are new handles). */
class Temps {
  private list: Tensor[] = [];
  add(t: Tensor): Tensor { this.list.push(t); return t; }
  /** reshape(t) tracked as a temporary; with `keep` the view is returned untracked (t itself stays tracked). */
  reshape(t: Tensor, shape: number[], keep = false): Tensor {
    const r = reshape(t, shape);
    if (r !== t && !keep) this.list.push(r);
    if (r === t && keep) this.list.splice(this.list.indexOf(t), 1);
    return r;
  }
  dispose() { for (const t of this.list) t.dispose(); this.list = []; }
}

/** Elements per (image, channel) plane. */
const planeSize = (x: Tensor) => x.shape.slice(2).reduce((a, b) => a * b, 1);

/**
 * From the per-plane moments s [B*C, 4] = (K, mean of x − K, M2, 0): m0 (K of each group's first plane), corr (the
 * group mean − m0) and rstd [B, G], and the per-plane coefficients [B*C, 4] = (0, scale, shift, m0) with scale = rstd·w,
 * shift = b − corr·scale (norm/groupnorm_coef).
 */
function groupCoefficients(op: string, s: Tensor, w_C: Tensor | null, b_C: Tensor | null, B: number, G: number, Cg: number, hw: number, eps: number) {
  const dev = s.dev, C = G * Cg;
  const m0 = empty(dev, [B, G], 'f32', op), corr = empty(dev, [B, G], 'f32', op), rstd = empty(dev, [B, G], 'f32', op), coef = empty(dev, [B * C * 4], 'f32', op);
  const wc = w_C ? contiguous(w_C) : null, bc = b_C ? contiguous(b_C) : null;
  const ww = wc ? wc.window(op, wc.offset, wc.offset + C) : null, bw = bc ? bc.window(op, bc.offset, bc.offset + C) : null;
  dev.counter?.op(`${op}.stats`, 'norm', 0, 4 * (s.numel + 2 * C + m0.numel + corr.numel + rstd.numel + coef.numel), { groups: B * G, cg: Cg });
  dev.run({ kernel: 'norm/groupnorm_coef',
    bindings: [s.binding(op), m0.binding(op), ww?.binding ?? s.binding(op), bw?.binding ?? s.binding(op), corr.binding(op), rstd.binding(op), coef.binding(op)],
    params: { groups: B * G, cg: Cg, G, flags: (wc ? 1 : 0) | (bc ? 2 : 0), inv_n: 1 / (Cg * hw), eps, w_base: ww?.base ?? 0, b_base: bw?.base ?? 0, hw, pad0: 0, pad1: 0, pad2: 0 },
    workgroups: [Math.ceil((B * G) / 64), 1] });
  if (wc && wc !== w_C) wc.dispose();
  if (bc && bc !== b_C) bc.dispose();
  return { m0, corr, rstd, coef };
}

/**
 * groupNorm's backward coefficients [B*C, 4] = (rstd·w, c2, rest, m0) for dx, and e·rstd per plane [B*C] for dw, from
 * the plane sums s of dy and dy·(x − m0) (norm/groupnorm_bwd_coef).
 */
function groupBackwardCoefficients(op: string, s: Tensor, st: Stats, w_C: Tensor | null, B: number, G: number, Cg: number, N: number) {
  const dev = s.dev, C = G * Cg;
  const coef = empty(dev, [B * C * 4], 'f32', op), er = empty(dev, [B * C], 'f32', op);
  const wc = w_C ? contiguous(w_C) : null, ww = wc ? wc.window(op, wc.offset, wc.offset + C) : null;
  dev.counter?.op(`${op}.coef`, 'norm', 0, 4 * (s.numel + 3 * B * G + C + coef.numel + er.numel), { groups: B * G, cg: Cg });
  dev.run({ kernel: 'norm/groupnorm_bwd_coef',
    bindings: [s.binding(op), st.m0.binding(op), st.corr.binding(op), st.rstd.binding(op), ww?.binding ?? s.binding(op), coef.binding(op), er.binding(op)],
    params: { groups: B * G, cg: Cg, G, flags: wc ? 1 : 0, inv_n: 1 / N, w_base: ww?.base ?? 0, pad0: 0, pad1: 0 },
    workgroups: [Math.ceil((B * G) / 64), 1] });
  if (wc && wc !== w_C) wc.dispose();
  return { coef, er };
}

/** Per-plane (K, mean of x − K, M2, 0) of x [B, C, ...] in one read (norm/groupnorm_moments), windowed over plane ranges. */
function planeMoments(op: string, x: Tensor): Tensor {
  const [B, C] = x.shape as [number, number];
  const rows = B * C, hw = planeSize(x);
  const s = empty(x.dev, [rows * 4], 'f32', op);
  x.dev.counter?.op(`${op}.sums`, 'norm', 0, 4 * x.numel, { rows, hw });
  const step = planesPerWindow(op, x, hw, rows);
  const perPlane = perRowReduction(x.dev, rows);
  for (let r0 = 0; r0 < rows; r0 += step) {
    const n = Math.min(step, rows - r0);
    const xw = x.window(op, x.offset + r0 * hw, x.offset + (r0 + n) * hw);
    const v = vec(hw, xw.base);
    x.dev.run({ kernel: perPlane ? 'norm/groupnorm_moments_rows' : 'norm/groupnorm_moments', defines: { ...v, HSUM: laneSum(v), FIRST: v.WIDTH === 4 ? 'v.x' : 'v' },
      bindings: [xw.binding, s.binding(op)], params: { rows: n, hw, r0, x_base: xw.base }, workgroups: rowWorkgroups(x.dev, perPlane, n) });
  }
  return s;
}

/** Per-plane Σa and Σa·(b − m) (the group's m), windowed over plane ranges (norm/groupnorm_rows): the backward's sums. */
function planeSums(op: string, a: Tensor, b: Tensor, m: Tensor, G: number): Tensor {
  const [B, C] = a.shape as [number, number];
  const rows = B * C, hw = planeSize(a);
  const s = empty(a.dev, [rows * 2], 'f32', op);
  a.dev.counter?.op(`${op}.sums`, 'norm', 0, 4 * 2 * a.numel, { rows, hw });
  const step = planesPerWindow(op, a, hw, rows), perPlane = perRowReduction(a.dev, rows);
  for (let r0 = 0; r0 < rows; r0 += step) {
    const n = Math.min(step, rows - r0);
    const aw = a.window(op, a.offset + r0 * hw, a.offset + (r0 + n) * hw), bw = b.window(op, b.offset + r0 * hw, b.offset + (r0 + n) * hw);
    const p = { rows: n, hw, r0, C, cg: C / G, G, a_base: aw.base, b_base: bw.base };
    const v = vec(hw, aw.base, bw.base);
    const defines = { ...v, HSUM: laneSum(v) };
    a.dev.run({ kernel: perPlane ? 'norm/groupnorm_rows_per_plane' : 'norm/groupnorm_rows', defines, bindings: [aw.binding, bw.binding, m.binding(op), s.binding(op)], params: p, workgroups: rowWorkgroups(a.dev, perPlane, n) });
  }
  return s;
}

/** Lane type of the norm kernels: vec4f when the plane size and every window base allow it, else f32. */
function vec(hw: number, ...bases: number[]) {
  const v4 = hw % 4 === 0 && bases.every((b) => b % 4 === 0);
  return { V: v4 ? 'vec4f' : 'f32', WIDTH: v4 ? 4 : 1 };
}

/** The WGSL expression summing the lanes of a value `v` of the lane type `vec` picked. */
const laneSum = (v: { WIDTH: number }) => (v.WIDTH === 4 ? 'v.x + v.y + v.z + v.w' : 'v');

/** V-elements per invocation of norm/groupnorm_apply: 8 or 4 where they divide a plane's `lanes` V-elements, else 1. */
export const applyRun = (lanes: number) => (lanes % 8 === 0 ? 8 : lanes % 4 === 0 ? 4 : 1);

/** out = a·P + (b − M)·Q + R per plane, windowed over plane ranges. */
function applyCoef(op: string, a: Tensor, b: Tensor, coef: Tensor, shape: readonly number[], fusedSilu = false): Tensor {
  const [B, C] = shape as [number, number];
  const rows = B * C, hw = planeSize(a);
  const out = empty(a.dev, shape, 'f32', op);
  const step = planesPerWindow(op, a, hw, rows);
  a.dev.counter?.op(`${op}.apply`, 'norm', 0, 4 * ((a === b ? 1 : 2) + 1) * a.numel, { rows, hw });
  for (let r0 = 0; r0 < rows; r0 += step) {
    const n = Math.min(step, rows - r0), lo = r0 * hw, hi = (r0 + n) * hw;
    const aw = a.window(op, a.offset + lo, a.offset + hi), bw = b.window(op, b.offset + lo, b.offset + hi), ow = out.window(op, lo, hi);
    const v = vec(hw, aw.base, bw.base, ow.base);
    const p = { n: n * hw, hw, r0, a_base: aw.base, b_base: bw.base, o_base: ow.base };
    const act = !fusedSilu ? 'o' : v.WIDTH === 4 ? 'vec4f(silu_safe(o.x), silu_safe(o.y), silu_safe(o.z), silu_safe(o.w))' : 'silu_safe(o)';
    const run = applyRun(hw / v.WIDTH);
    a.dev.run({ kernel: 'norm/groupnorm_apply', defines: { ...v, SAME: String(a === b), ACT: act, RUN: String(run) }, bindings: [aw.binding, bw.binding, coef.binding(op), ow.binding],
      params: p, workgroups: a.dev.grid((n * hw) / v.WIDTH / run, 64) });
  }
  return out;
}

/** Planes of `hw` elements per dispatch so that every window fits one storage binding. */
function planesPerWindow(op: string, t: Tensor, hw: number, rows: number): number {
  const maxElems = Math.floor((t.dev.maxBinding - 2 * t.dev.storageAlign) / 4); // less a window's alignment slack
  if (hw > maxElems) throw new Error(`${op}: one plane of ${hw} elements of ${t} exceeds a ${t.dev.maxBinding / 2 ** 20} MiB storage binding`);
  return Math.max(1, Math.min(rows, Math.floor(maxElems / hw)));
}
