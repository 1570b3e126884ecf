// Fused attention (flash-style online softmax, never an L×L matrix), forward and backward side by side, on texture-fed
// kernels (operands packed into storage textures) or buffer kernels as attentionPlan picks; block-causal masks from
// per-token level ids; VAR's per-head L2 normalisation with a learnable, clamped temperature.
import { Tensor, empty, fromArray, view } from '../tensor.ts';
import { record, needsGrad } from '../autograd.ts';
import { fmt, contiguousStrides } from '../shape.ts';
import type { Device, Binding, BufferBinding, TextureBinding } from '../runtime/device.ts';
import type { AttentionTuning } from '../runtime/profile.ts';
import type { KernelParams } from '../runtime/params.ts';
import { sum } from './reduce.ts';
import { mapN } from './map.ts';
import { visibleLevelPairs } from '../runtime/counter.ts';
import { fillTexture, zeroTexture } from './stage_tex.ts';

/** ln 100: VAR caps the per-head temperature exp(s) at 100. */
export const LN100 = Math.log(100);

export interface AttentionOpts {
  /** Softmax scale; default 1/sqrt(head dim). */
  scale?: number;
  /** Level ids (i32 [L]) for self-attention: query i sees key j iff levels[j] <= levels[i]. */
  levels?: Tensor;
  /** Separate level ids for queries (i32 [Lq]) and keys (i32 [Lk]); same rule. */
  levelsQ?: Tensor;
  levelsK?: Tensor;
  /** Kernel tiles for this call on top of the adapter profile's (benchmarks and tests; the backward uses them too). */
  tuning?: Partial<AttentionTuning>;
}

/**
 * The kernel, its rows per workgroup and its defines for one attention kernel at head dim D, from the adapter profile's
 * attention tiles (runtime/profile.ts) with the call's `tuning` on top. Subgroup kernels (*_sg, CPU adapters with
 * subgroups of at least 8): 8 lanes share rows and probabilities by subgroupBroadcast, 8·rowsPerLane rows per
 * workgroup. Portable kernels: `lanes` per workgroup, each owning 4 keys of a key block and every lanes-th vec4 column
 * of the head dim, `rows` query rows forward and `rowsBackward` backward. Measurements: docs/LAVAPIPE_FINDINGS.md.
 */
function tuningFor(dev: Device, D: number, forward: boolean, over: Partial<AttentionTuning> = {}): { sg: boolean; R: number; defines: Record<string, number> } {
  const d4 = D / 4, a = { ...dev.profile.attention, ...over };
  const sg = a.subgroups;
  if (sg && !dev.profile.subgroups8) throw new Error('attention: tuning.subgroups needs subgroups of at least 8 invocations, which this adapter lacks');
  if (sg) {
    const own = forward ? over.rowsPerLane : over.rowsPerLaneBackward;
    const rpl = own ?? (D > 64 ? a.rowsPerLaneWide : forward ? a.rowsPerLane : a.rowsPerLaneBackward);
    return { sg, R: 8 * rpl, defines: { RPL: rpl, HD4: d4 } };
  }
  const R = forward ? a.rows : a.rowsBackward;
  return { sg, R, defines: { WG: a.lanes, BQ: R, NC: Math.ceil(d4 / a.lanes) } };
}

/** Which kernel runs for each of the three attention kernels of a call. */
export interface AttentionPlan { forward: KernelPath; dq: KernelPath; dkdv: KernelPath }
export type KernelPath = 'texture' | 'subgroup' | 'portable';
/** Rows per workgroup and keys (or queries) per block of the texture kernels (their literal 32 × 64 tiles). */
export const TEX_ROWS = 32, TEX_BLOCK = 64;
const roundUp = (x: number, q: number) => Math.ceil(x / q) * q;

/**
 * The kernels a call of these sizes runs: the texture kernels (*_tex) where the profile's attention tiles (with the
 * call's `tuning` on top) allow them, the product has at least textureMin multiply-adds and the packed operands fit
 * maxTextureDimension2D; otherwise the subgroup or portable buffer kernels. The texture kernels are subgroup kernels:
 * `subgroups: false` turns them off too. Ops pick kernels here, nowhere else.
 */
export function attentionPlan(dev: Device, s: { B: number; H: number; Lq: number; Lk: number; D: number }, over: Partial<AttentionTuning> = {}): AttentionPlan {
  const a = { ...dev.profile.attention, ...over }, p = dev.profile;
  const canTex = p.subgroups8 && p.storageTextures && a.subgroups;
  for (const k of ['textureForward', 'textureDq', 'textureDkdv'] as const)
    if (over[k] && !canTex) throw new Error(`attention: tuning.${k} needs subgroups of at least 8 invocations (and tuning.subgroups) and read-only storage textures, which this adapter or call lacks`);
  const buffer: KernelPath = a.subgroups ? 'subgroup' : 'portable';
  const T = dev.maxTexture2D, big = s.B * s.H * s.Lq * s.Lk * s.D >= a.textureMin;
  // Rows texture: the workgroups' rows padded to 32 and the looped side to 64 (one head's operands side by side);
  // columns texture: the looped side / 4 texels wide, 2 operands × D rows per head.
  const fits = (rowsL: number, loopL: number) => Math.max(roundUp(rowsL, TEX_ROWS), roundUp(loopL, TEX_BLOCK)) <= T
    && roundUp(loopL, TEX_BLOCK) / 4 <= T && 4 * s.D <= T && 2 * s.D <= T;
  const tex = (on: boolean, rowsL: number, loopL: number): KernelPath => (canTex && on && big && fits(rowsL, loopL) ? 'texture' : buffer);
  return { forward: tex(a.textureForward, s.Lq, s.Lk), dq: tex(a.textureDq, s.Lq, s.Lk), dkdv: tex(a.textureDkdv, s.Lk, s.Lq) };
}

/**
 * softmax(scale · q kᵀ + mask) v for q [B, H, Lq, D], k and v [B, H, Lk, D] (D a multiple of 4, at most 128), with the
 * block-causal mask of `levels` (or `levelsQ`/`levelsK`) or no mask. Views with any batch/head/row strides are read in
 * place (the head dim must be contiguous). Differentiable in q, k and v.
 */
export function attention(q: Tensor, k: Tensor, v: Tensor, opts: AttentionOpts = {}): Tensor {
  const op = 'attention';
  const { B, H, Lq, Lk, D } = checkQKV(op, q, k, v);
  const scale = opts.scale ?? 1 / Math.sqrt(D);
  const { lq, lk } = levelsOf(op, opts, Lq, Lk);
  const [qs, ks, vs] = [q, k, v].map(readable) as [Tensor, Tensor, Tensor];
  const dev = q.dev;
  const out = emptyRowsLike(q, [B, H, Lq, D], op);
  const lse = empty(dev, [B, H, Lq], 'f32', 'attention.lse');
  const plan = attentionPlan(dev, { B, H, Lq, Lk, D }, opts.tuning);
  const lv = levelSlots(dev, lq, lk);
  countAttention(op, dev, { B, H, Lq, Lk, D }, lq, lk, FORWARD_PER_PAIR);
  const shape0 = { B, H, Lq, Lk, D, scale, masked: lv.masked, tuning: opts.tuning };
  if (plan.forward === 'texture') forwardTex(op, shape0, rowsOf(qs), rowsOf(ks), rowsOf(vs), lv, rows(out), rows(lse));
  else {
    const kT = transposeRows(ks);
    launch(op, 'attention/forward', { ...shape0, nRows: Lq }, [rows(qs), rows(kT), rows(vs), lv.q, lv.k, rows(out), rows(lse)]);
    kT.dispose();
  }
  lv.dispose();
  const copies = [qs, ks, vs].filter((t, i) => t !== [q, k, v][i]);
  if (!needsGrad(q, k, v)) { for (const t of [...copies, lse]) t.dispose(); return out; }
  return record(out, op, [q, k, v], (g) => {
    const gs = readable(g);
    const dq = emptyRowsLike(q, [B, H, Lq, D], 'attention.dq');
    const dk = emptyRowsLike(k, [B, H, Lk, D], 'attention.dk');
    const dv = emptyRowsLike(v, [B, H, Lk, D], 'attention.dv');
    const delta = empty(dev, [B, H, Lq], 'f32', 'attention.delta');
    const lv2 = levelSlots(dev, lq, lk);
    const shape = { B, H, Lq, Lk, D, scale, masked: lv2.masked, tuning: opts.tuning };
    const d4 = D / 4, bop = 'attention.backward', T = rowsOf;
    countAttention('attention.backward_dq', dev, shape, lq, lk, 6);
    if (plan.dq === 'texture')
      runTex(bop, 'attention/backward_dq_tex', shape, Lq, Lk, [[T(qs), Lq], [T(gs), Lq], [T(out), Lq], [T(ks), Lk]], [[T(ks), Lk], [T(vs), Lk]],
        [rows(lse), lv2.q, lv2.k, rows(dq), rows(delta)], (c, nbh) => ({ ...c, gx: nbh * d4, ox: 2 * nbh * d4, kx: 3 * nbh * d4, vy: nbh * D, sides: 2, pad0: 0 }));
    else {
      const [kT, vT] = [ks, vs].map(transposeRows) as [Tensor, Tensor];
      launch(bop, 'attention/backward_dq', { ...shape, nRows: Lq },
        [rows(qs), rows(kT), rows(ks), rows(vT), rows(out), rows(gs), rows(lse), lv2.q, lv2.k, rows(dq), rows(delta)]);
      kT.dispose(); vT.dispose();
    }
    countAttention('attention.backward_dkdv', dev, shape, lq, lk, 8);
    if (plan.dkdv === 'texture')
      runTex(bop, 'attention/backward_dkdv_tex', shape, Lk, Lq, [[T(ks), Lk], [T(vs), Lk], [T(gs), Lq], [T(qs), Lq]], [[T(qs), Lq], [T(gs), Lq]],
        [rows(lse), rows(delta), lv2.q, lv2.k, rows(dk), rows(dv)], (c, nbh) => ({ ...c, vx: nbh * d4, gx: 2 * nbh * d4, qx: 3 * nbh * d4, gy: nbh * D, sides: 2, pad0: 0 }));
    else {
      const [qT, gT] = [qs, gs].map(transposeRows) as [Tensor, Tensor];
      launch(bop, 'attention/backward_dkdv', { ...shape, nRows: Lk },
        [rows(ks), rows(vs), rows(qT), rows(gT), rows(qs), rows(gs), rows(lse), rows(delta), lv2.q, lv2.k, rows(dk), rows(dv)]);
      qT.dispose(); gT.dispose();
    }
    lv2.dispose();
    delta.dispose();
    if (gs !== g) gs.dispose();
    return [dq, dk, dv];
  });
}

/**
 * Forward only (no autograd) against keys already transposed: kT [B, H, D, ≥ ceil(Lk / 4)·4] and v [B, H, ≥ Lk, D], of
 * which the first Lk keys are used; q [B, H, Lq, D]. The KV cache's entry point (it keeps keys transposed).
 */
export function attentionKT(q: Tensor, kT: Tensor, v: Tensor, Lk: number, opts: AttentionOpts = {}): Tensor {
  const op = 'attention (cached keys)';
  for (const t of [q, kT, v]) t.assertLive(op);
  const desc = `q ${fmt(q.shape)}, kT ${fmt(kT.shape)}, v ${fmt(v.shape)}, Lk ${Lk}`;
  if (q.ndim !== 4 || kT.ndim !== 4 || v.ndim !== 4 || [q, kT, v].some((t) => t.dtype !== 'f32')) throw new Error(`${op}: expected f32 [B, H, *, *] tensors, got ${desc}`);
  const [B, H, Lq, D] = q.shape as [number, number, number, number];
  if (kT.shape[0] !== B || kT.shape[1] !== H || kT.shape[2] !== D || kT.shape[3]! < Math.ceil(Lk / 4) * 4 || kT.shape[3]! % 4 !== 0 ||
      v.shape[0] !== B || v.shape[1] !== H || v.shape[2]! < Lk || v.shape[3] !== D || Lk < 1)
    throw new Error(`${op}: shapes do not match: ${desc}`);
  checkHeadDim(op, D, desc);
  const { lq, lk } = levelsOf(op, opts, Lq, Lk);
  const [qs, ks, vs] = [q, kT, v].map(readable) as [Tensor, Tensor, Tensor];
  const out = emptyRowsLike(q, [B, H, Lq, D], op);
  const lse = empty(q.dev, [B, H, Lq], 'f32', 'attention.lse');
  const lv = levelSlots(q.dev, lq, lk);
  countAttention(op, q.dev, { B, H, Lq, Lk, D }, lq, lk, FORWARD_PER_PAIR);
  const shape = { B, H, Lq, Lk, D, scale: opts.scale ?? 1 / Math.sqrt(D), masked: lv.masked, tuning: opts.tuning };
  if (attentionPlan(q.dev, shape, opts.tuning).forward === 'texture') forwardTex(op, shape, rowsOf(qs), transposedKeys(ks), rowsOf(vs), lv, rows(out), rows(lse));
  else launch(op, 'attention/forward', { ...shape, nRows: Lq }, [rows(qs), rows(ks), rows(vs), lv.q, lv.k, rows(out), rows(lse)]);
  lv.dispose();
  for (const [t, o] of [[qs, q], [ks, kT], [vs, v], [lse, null]] as [Tensor, Tensor | null][]) if (t !== o) t.dispose();
  return out;
}

/** [B, H, L, D] → [B, H, D, L4], L4 = L rounded up to 4: keys (or queries) as vec4 of 4 rows per head-dim row. */
export function transposeRows(x: Tensor): Tensor {
  const [B, H, L, D] = x.shape as [number, number, number, number];
  const L4 = Math.ceil(L / 4) * 4;
  const xT = empty(x.dev, [B, H, D, L4], 'f32', 'attention.transpose');
  const dst = view(xT, [B, H, L, D], [H * D * L4, D * L4, 1, L4], 0);
  mapN('attention.transpose', [x], 'a', { out: dst });
  dst.dispose();
  return xT;
}

/**
 * VAR's attention (attn_l2_norm=True): q and k L2-normalised over the head dim, q times exp(min(s_h, ln 100)) with a
 * learnable per-head s ([1, H, 1, 1] or [H]), softmax scale 1. Differentiable in q, k, v and s.
 */
export function varAttention(q: Tensor, k: Tensor, v: Tensor, s: Tensor, opts: Omit<AttentionOpts, 'scale'> = {}): Tensor {
  checkQKV('varAttention', q, k, v);
  const qn = headNorm(q, s), kn = headNorm(k);
  const out = attention(qn, kn, v, { ...opts, scale: 1 });
  if (!needsGrad(q, k, v, s)) { qn.dispose(); kn.dispose(); }
  return out;
}

/**
 * x / max(‖x‖₂, 1e-12) over the last dim of x [B, H, L, D], times exp(min(s_h, ln 100)) per head when s is given
 * (VAR's q and k normalisation). Differentiable in x and s (ds = 0 where s > ln 100).
 */
export function headNorm(x: Tensor, s?: Tensor): Tensor {
  const op = 'headNorm';
  x.assertLive(op);
  if (x.ndim !== 4 || x.dtype !== 'f32') throw new Error(`${op}: expected an f32 tensor [B, H, L, D], got ${x}`);
  const [B, H, L, D] = x.shape as [number, number, number, number];
  checkHeadDim(op, D, `${x}`);
  if (s) checkS(op, s, H);
  const dev = x.dev;
  const xs = readable(x);
  const y = emptyRowsLike(x, [B, H, L, D], op);
  const sDummy = s ? null : fromArray(dev, [0], [1]);
  const sSlot: Slot = { t: s ?? sDummy!, unit: 1, bhl: [0, 1, 0], batched: false };
  dev.counter?.op(op, 'norm', 0, 4 * 2 * x.numel);
  launchRows(op, 'attention/head_norm', D, B, H, L, !!s, [rows(xs), sSlot, rows(y)]);
  const inputs = s ? [x, s] : [x];
  if (!needsGrad(...inputs)) { sDummy?.dispose(); if (xs !== x) xs.dispose(); return y; }
  return record(y, op, inputs, (g) => {
    const gs = readable(g);
    const dx = emptyRowsLike(x, [B, H, L, D], 'headNorm.dx');
    const rd = empty(dev, [B, H, L], 'f32', 'headNorm.rowdot');
    dev.counter?.op('headNorm.backward', 'norm', 0, 4 * 3 * x.numel);
    launchRows('headNorm.backward', 'attention/head_norm_grad', D, B, H, L, !!s, [rows(xs), rows(gs), sSlot, rows(dx), rows(rd)]);
    if (gs !== g) gs.dispose();
    if (!s) { rd.dispose(); return [dx]; }
    // dS_h = Σ_{b,l} G·Y, passed where s_h <= ln 100 (PyTorch's clamp rule: the bound itself passes).
    const perHead = sum(rd, [0, 2]);
    rd.dispose();
    const sFlat = view(s, [H], [1], s.offset);
    const ds = mapN('headNorm.ds', [perHead, sFlat], `select(0.0, a, b <= ${LN100.toFixed(9)})`);
    const dsShaped = view(ds, s.shape, contiguousStrides(s.shape), 0);
    for (const t of [perHead, sFlat, ds]) t.dispose();
    return [dx, dsShaped];
  });
}

// ---- work counting -------------------------------------------------------------------------------------------------
/** Multiply-adds per visible (query, key) pair and head dim, ×2 FLOPs: q·k and p·v in the forward. */
const FORWARD_PER_PAIR = 4;
/**
 * Reports one attention kernel to the device's counter: perPair·D FLOPs per visible (query, key) pair and head (forward 4:
 * q·k, p·v; dQ 6: q·k, dO·v, dS·k; dK/dV 8: q·k, dO·v, p·dO, dS·q); under a mask the pairs are counted on the host from the
 * level ids (read once per level tensor). Bytes: q, k, v read and the output written once.
 */
function countAttention(op: string, dev: Device, s: { B: number; H: number; Lq: number; Lk: number; D: number }, lq: Tensor | null, lk: Tensor | null, perPair: number) {
  const c = dev.counter;
  if (!c) return;
  const per = s.B * s.H * perPair * s.D;
  c.op(op, 'attention', lq ? 0 : per * s.Lq * s.Lk, 4 * s.B * s.H * s.D * (2 * s.Lq + 2 * s.Lk),
    { B: s.B, H: s.H, Lq: s.Lq, Lk: s.Lk, D: s.D, masked: lq ? 1 : 0, perPair });
  if (lq && lk) c.later(Promise.all([c.levels(dev, lq), c.levels(dev, lk)]).then(([a, b]) => per * visibleLevelPairs(a, b)));
}

// ---- validation ----------------------------------------------------------------------------------------------------
function checkHeadDim(op: string, D: number, what: string) {
  if (D % 4 !== 0 || D < 4 || D > 128) throw new Error(`${op}: head dim ${D} of ${what} must be a multiple of 4 in [4, 128]`);
}
function checkQKV(op: string, q: Tensor, k: Tensor, v: Tensor) {
  for (const t of [q, k, v]) t.assertLive(op);
  const desc = `q ${fmt(q.shape)}, k ${fmt(k.shape)}, v ${fmt(v.shape)}`;
  for (const t of [q, k, v]) if (t.dtype !== 'f32') throw new Error(`${op}: expected f32 q, k, v, got ${q.dtype}, ${k.dtype}, ${v.dtype} (${desc})`);
  if (q.ndim !== 4 || k.ndim !== 4 || v.ndim !== 4) throw new Error(`${op}: expected q, k, v as [B, H, L, D], got ${desc}`);
  const [B, H, Lq, D] = q.shape as [number, number, number, number];
  const Lk = k.shape[2]!;
  if (k.shape[0] !== B || k.shape[1] !== H || k.shape[3] !== D || v.shape[0] !== B || v.shape[1] !== H || v.shape[2] !== Lk || v.shape[3] !== D)
    throw new Error(`${op}: shapes do not match: ${desc} (need k, v = [B, H, Lk, D] with q's B, H, D)`);
  checkHeadDim(op, D, desc);
  if (Lq === 0 || Lk === 0) throw new Error(`${op}: empty sequence: ${desc}`);
  for (const t of [q, k, v]) if (t.dev !== q.dev) throw new Error(`${op}: q, k, v live on different devices`);
  return { B, H, Lq, Lk, D };
}
function checkS(op: string, s: Tensor, H: number) {
  s.assertLive(op);
  const ok = s.dtype === 'f32' && s.numel === H && s.isContiguous && (s.ndim === 1 || (s.ndim === 4 && s.shape[1] === H));
  if (!ok) throw new Error(`${op}: per-head scale s must be f32 [1, ${H}, 1, 1] or [${H}], got ${s}`);
}
function levelsOf(op: string, o: AttentionOpts, Lq: number, Lk: number): { lq: Tensor | null; lk: Tensor | null } {
  if (o.levels && (o.levelsQ || o.levelsK)) throw new Error(`${op}: give either levels or levelsQ/levelsK, not both`);
  const lq = o.levels ?? o.levelsQ ?? null, lk = o.levels ?? o.levelsK ?? null;
  if (!lq !== !lk) throw new Error(`${op}: levelsQ and levelsK must be given together`);
  for (const [t, n, name] of [[lq, Lq, 'query'], [lk, Lk, 'key']] as const) {
    if (!t) continue;
    t.assertLive(op);
    if (t.dtype !== 'i32' || t.ndim !== 1 || !t.isContiguous)
      throw new Error(`${op}: ${name} level ids must be a contiguous i32 [${n}] tensor, got ${t}`);
    if (t.shape[0] !== n)
      throw new Error(`${op}: ${o.levels ? 'levels' : name === 'query' ? 'levelsQ' : 'levelsK'} has ${t.shape[0]} ids but there are ${n} ${name} rows${o.levels ? ` (levels needs Lq = Lk; got Lq ${Lq}, Lk ${Lk})` : ''}`);
  }
  return { lq, lk };
}

// ---- launching -----------------------------------------------------------------------------------------------------
/**
 * A kernel operand: its tensor, its array's element unit (4 = vec4 rows of D, 1 = scalars) and its (batch, head, row)
 * strides in elements; `batched` operands are split with the batch when one binding cannot hold them.
 */
interface Slot { t: Tensor; unit: 1 | 4; bhl: [number, number, number]; batched: boolean }
/** A [B, H, L, D] tensor (vec4 rows) or a [B, H, L] one (scalars). */
function rows(t: Tensor): Slot {
  const st = (d: number) => (t.shape[d] === 1 ? 0 : t.strides[d]!); // a size-1 dim's stride is never used
  return { t, unit: t.ndim === 4 ? 4 : 1, bhl: [st(0), st(1), st(2)], batched: true };
}
/** t itself when its rows can be read as vec4 in place (contiguous head dim, strides and offset multiples of 4), else a copy. */
function readable(t: Tensor): Tensor {
  const ok = t.strides[3] === 1 && t.offset % 4 === 0 && t.strides.slice(0, 3).every((s, i) => s % 4 === 0 || t.shape[i] === 1);
  return ok ? t : mapN('attention.copy', [t], 'a');
}

/**
 * An empty [B, H, L, D] tensor laid out in memory like `like`: token-major ([B, L, H, D], viewed with strides
 * (L·H·D, D, H·D, 1)) where like's rows lie further apart than its heads, as q, k and v viewed out of a projection
 * [B, L, H·D] do, so that the model's permute(0, 2, 1, 3) + reshape back to [B, L, H·D] stays a view instead of a copy
 * (forward outputs and the gradients that flow back into the projections); else contiguous. The kernels take any
 * row and head strides.
 */
function emptyRowsLike(like: Tensor, shape: [number, number, number, number], label: string): Tensor {
  const [B, H, L, D] = shape;
  const tokenMajor = H > 1 && L > 1 && like.strides[2]! > like.strides[1]!;
  if (!tokenMajor) return empty(like.dev, shape, 'f32', label);
  const t = empty(like.dev, [B, L, H, D], 'f32', label);
  const v = view(t, shape, [L * H * D, D, H * D, 1], t.offset);
  t.dispose();
  return v;
}

/** Level-id operands (a 1-element dummy when unmasked: every declared binding must be bound). */
function levelSlots(dev: Device, lq: Tensor | null, lk: Tensor | null) {
  const dummy = lq ? null : fromArray(dev, [0], [1], 'i32');
  const slot = (t: Tensor): Slot => ({ t, unit: 1, bhl: [0, 0, 1], batched: false });
  return { masked: !!lq, q: slot(lq ?? dummy!), k: slot(lk ?? dummy!), dispose: () => dummy?.dispose() };
}

function extentOf(t: Tensor, fromDim: number): number {
  let e = 1;
  for (let d = fromDim; d < t.ndim; d++) e += (t.shape[d]! - 1) * t.strides[d]!;
  return e;
}
/** Batches per dispatch so that every batched operand's window fits one storage binding. */
function batchChunk(op: string, dev: Device, B: number, slots: Slot[]): number {
  const max = dev.maxBinding - dev.storageAlign;
  const bytes = (s: Slot, nb: number) => 4 * ((nb - 1) * s.bhl[0] + extentOf(s.t, 1));
  let nb = B;
  while (nb > 1 && slots.some((s) => s.batched && bytes(s, nb) > max)) nb = Math.ceil(nb / 2);
  const big = slots.find((s) => s.batched && bytes(s, 1) > max);
  if (big) throw new RangeError(`${op}: one batch of ${big.t} needs ${(bytes(big, 1) / 2 ** 20).toFixed(1)} MiB, above this adapter's maxStorageBufferBindingSize (${dev.maxBinding / 2 ** 20} MiB)`);
  return nb;
}
/** Binds each slot for batches [b0, b0 + nb) and returns the bindings and the Params layout words. */
function bindSlots(op: string, slots: Slot[], b0: number, nb: number): { bindings: Binding[]; lay: number[] } {
  const bindings: Binding[] = [], lay: number[] = [];
  for (const s of slots) {
    const t = s.t;
    const lo = s.batched ? t.offset + b0 * s.bhl[0] : t.offset;
    const hi = s.batched ? lo + (nb - 1) * s.bhl[0] + extentOf(t, 1) : t.offset + extentOf(t, 0);
    const w = t.window(op, lo, hi);
    bindings.push(w.binding);
    lay.push(w.base / s.unit, s.bhl[0] / s.unit, s.bhl[1] / s.unit, s.bhl[2] / s.unit);
  }
  return { bindings, lay };
}

interface LaunchShape { B: number; H: number; Lq: number; Lk: number; D: number; nRows: number; scale: number; masked: boolean; tuning?: Partial<AttentionTuning> }
/** Launches one attention kernel: workgroups of `rows` rows (queries, or keys for dK/dV) per (b, h), batches chunked. */
function launch(op: string, kernel: 'attention/forward' | 'attention/backward_dq' | 'attention/backward_dkdv', s: LaunchShape, slots: Slot[]) {
  const dev = slots[0]!.t.dev;
  const d4 = s.D / 4, { sg, R, defines } = tuningFor(dev, s.D, kernel === 'attention/forward', s.tuning);
  const nblk = Math.ceil(s.nRows / R);
  const nb = batchChunk(op, dev, s.B, slots);
  for (let b0 = 0; b0 < s.B; b0 += nb) {
    const n = Math.min(nb, s.B - b0);
    const { bindings, lay } = bindSlots(op, slots, b0, n);
    const groups = n * s.H * nblk;
    const p = { H: s.H, Lq: s.Lq, Lk: s.Lk, d4, nblk, n_groups: groups, masked: s.masked ? 1 : 0, scale: s.scale, lay };
    dev.run({ kernel: sg ? (`${kernel}_sg` as const) : kernel, defines, bindings, params: p, workgroups: dev.grid(groups, 1) });
  }
}

/** Launches a one-invocation-per-row kernel (head_norm and its gradient). */
function launchRows(op: string, kernel: 'attention/head_norm' | 'attention/head_norm_grad', D: number, B: number, H: number, L: number, hasS: boolean, slots: Slot[]) {
  const dev = slots[0]!.t.dev;
  const nb = batchChunk(op, dev, B, slots);
  for (let b0 = 0; b0 < B; b0 += nb) {
    const n = Math.min(nb, B - b0);
    const { bindings, lay } = bindSlots(op, slots, b0, n);
    const p = { n: n * H * L, H, L, has_s: hasS ? 1 : 0, d4: D / 4, pad0: 0, pad1: 0, pad2: 0, lay };
    dev.run({ kernel, bindings, params: p, workgroups: dev.grid(n * H * L, 64) });
  }
}

// ---- texture-fed kernels (*_tex) -----------------------------------------------------------------------------------
/**
 * An operand of a texture kernel as attention/pack_tex reads it: element (b, h, row, d) at st·(b, h, row, d) from the
 * tensor's offset (rows: queries or keys; d: the head dim). `slot` gives its window (batched).
 */
interface TexOperand { slot: Slot; st: [number, number, number, number] }
/** A [B, H, L, D] tensor's rows (q, k, v, o or dO). */
function rowsOf(t: Tensor): TexOperand {
  const sl = rows(t);
  return { slot: sl, st: [sl.bhl[0], sl.bhl[1], sl.bhl[2], 1] };
}
/** Keys kept transposed, kT [B, H, D, L4] (the KV cache's layout): element (b, h, key j, d) at kT[b, h, d, j]. */
function transposedKeys(kT: Tensor): TexOperand {
  const st = (d: number) => (kT.shape[d] === 1 ? 0 : kT.strides[d]!);
  return { slot: { t: kT, unit: 1, bhl: [st(0), st(1), 1], batched: true }, st: [st(0), st(1), 1, st(2)] };
}
/** Texels per invocation of attention/pack_tex (its TPI); bytes one scratch texture may take. */
const PACK_TPI = 4, TEX_BYTES = 64 * 2 ** 20;

/**
 * Packs heads [bh0, bh0 + nbh) of an operand (a window over batches [b0, b0 + nb)) into a texture's staging at (x0, y0):
 * mode 0 as rows (nbh·d4 texels wide, `height` rows), mode 1 as columns (`width` texels of 4 rows, nbh·D rows); only
 * its rows that fall within the staging's texture rows ys .. ye − 1; layouts in the kernel.
 */
function packOperand(op: string, dev: Device, o: TexOperand, b0: number, nb: number, dst: Staging, mode: 0 | 1,
  g: { L: number; d4: number; H: number; bh0: number; nbh: number; x0: number; y0: number; width: number; height: number }) {
  const { bindings, lay } = bindSlots(op, [o.slot], b0, nb);
  const r0 = Math.max(0, dst.ys - g.y0), r1 = Math.min(g.height, dst.ye - g.y0);
  if (r1 <= r0) return;
  dev.run({
    kernel: 'attention/pack_tex', bindings: [bindings[0]!, dst.binding],
    params: { mode, L: g.L, d4: g.d4, H: g.H, bh0: g.bh0, nbh: g.nbh, x0: g.x0, y0: g.y0, width: g.width, height: r1,
      base: lay[0]! * o.slot.unit, pitch: dst.pitch, st: o.st, r0, ys: dst.ys, pad0: 0, pad1: 0 },
    workgroups: [Math.ceil(g.width / (8 * PACK_TPI)), Math.ceil((r1 - r0) / 8)],
  });
}
/**
 * Whether a rows-layout operand can be copied straight into the rows texture (copyRows): head dim contiguous, row stride
 * a multiple of 64 elements (whole 256-byte row pitches) and every head's first element 16-byte aligned. The rows of
 * q, k or v sliced from a fused projection, of a KV cache, of O or dO usually are.
 */
function copyable(o: TexOperand, D: number): boolean {
  const [sb, sh, sr, sd] = o.st;
  return sd === 1 && sr % 64 === 0 && sr >= D && o.slot.t.offset % 4 === 0 && sb % 4 === 0 && sh % 4 === 0;
}
/**
 * Copies heads [bh0, bh0 + nbh) of a copyable rows-layout operand (L rows each) into tex at texel column x0 on, one
 * copyBufferToTexture per head. Rows L .. height − 1 are the caller's (zeroTexture).
 */
function copyRows(op: string, dev: Device, o: TexOperand, L: number, b0: number, tex: TextureBinding,
  g: { d4: number; H: number; bh0: number; nbh: number; x0: number }) {
  const [sb, sh, sr] = o.st, t = o.slot.t, D = 4 * g.d4;
  for (let i = 0; i < g.nbh && L > 0; i++) {
    const bh = g.bh0 + i, lo = t.offset + (b0 + Math.floor(bh / g.H)) * sb + (bh % g.H) * sh;
    const w = t.window(op, lo, lo + (L - 1) * sr + D), b = w.binding;
    if ('view' in b) throw new Error(`${op}: ${t} is not a buffer`);
    dev.copyToTexture(b.buffer, b.offset + 4 * w.base, 4 * sr, tex, 0, g.d4, L, g.x0 + i * g.d4);
  }
}
/** A staging buffer holding texture rows ys .. ye − 1, pitch texels each. */
interface Staging { binding: BufferBinding; pitch: number; ys: number; ye: number }

/**
 * Packs operands into tex (width × height texels): `pack(dst)` runs packOperand for each into dst, a staging buffer
 * in the texture's layout that is then copied in (fillTexture, in chunks of rows within one binding).
 */
function packInto(op: string, dev: Device, tex: TextureBinding, width: number, height: number,
  pack: (dst: Staging) => void) {
  fillTexture(op, dev, tex, width, height, (binding, ys, ye, pitch) => pack({ binding, pitch, ys, ye }));
}

/**
 * Heads per texture dispatch: every head of a batch chunk where the rows texture (nRowOps operands of d4 texels per
 * head) and the columns texture (nColOps operands of D rows per head) fit maxTextureDimension2D and TEX_BYTES each.
 */
function headsPerDispatch(dev: Device, heads: number, d4: number, nRowOps: number, rowsHeight: number, nColOps: number, colsWidth: number): number {
  const T = dev.maxTexture2D, D = 4 * d4;
  return Math.max(1, Math.min(heads, Math.floor(T / (nRowOps * d4)), Math.floor(T / (nColOps * D)),
    Math.floor(TEX_BYTES / (16 * nRowOps * d4 * rowsHeight)), Math.floor(TEX_BYTES / (16 * nColOps * D * colsWidth))));
}

interface TexShape { B: number; H: number; Lq: number; Lk: number; D: number; scale: number; masked: boolean }
type TexKernel = 'attention/forward_tex' | 'attention/backward_dq_tex' | 'attention/backward_dkdv_tex';
/** Params fields every texture kernel shares. */
interface TexCommon { H: number; Lq: number; Lk: number; d4: number; nblk: number; n_groups: number; scale: number; bh0: number; rounds: number; lay: number[] }
/**
 * One texture kernel over all heads: per batch chunk (windows within the binding limit) and head chunk (textures within
 * their limits), packs `rowOps` side by side into the rows texture (nbh·d4 texels each; rows padded to whole tiles)
 * and `colOps` one above the other into the columns texture (nbh·D rows each), then dispatches `kernel` with
 * `params(nbh)` plus the shared fields; `rowsL` rows per head go to workgroups of 32, the loop runs over `loopL`.
 */
function runTex<K extends TexKernel>(op: string, kernel: K, s: TexShape, rowsL: number, loopL: number, rowOps: [TexOperand, number][],
  colOps: [TexOperand, number][], slots: Slot[], params: (c: TexCommon, nbh: number) => KernelParams[K]) {
  const dev = slots[0]!.t.dev, d4 = s.D / 4;
  const nblk = roundUp(rowsL, TEX_ROWS) / TEX_ROWS, lh = roundUp(loopL, TEX_BLOCK), height = Math.max(nblk * TEX_ROWS, lh);
  const nb = batchChunk(op, dev, s.B, [...rowOps, ...colOps].map(([o]) => o.slot).concat(slots));
  for (let b0 = 0; b0 < s.B; b0 += nb) {
    const n = Math.min(nb, s.B - b0), heads = n * s.H;
    const per = headsPerDispatch(dev, heads, d4, rowOps.length, height, colOps.length, lh / 4);
    const { bindings, lay } = bindSlots(op, slots, b0, n);
    for (let bh0 = 0; bh0 < heads; bh0 += per) {
      const nbh = Math.min(per, heads - bh0);
      const tr = dev.scratchTexture('attention.rows', rowOps.length * nbh * d4, height);
      const tc = dev.scratchTexture('attention.cols', lh / 4, colOps.length * nbh * s.D);
      const g = { d4, H: s.H, bh0, nbh };
      // Row operands whose layout allows it are copied in per head (after the staging's copy, which covers the whole
      // width), their padding rows zeroed; the rest go through the staging and attention/pack_tex.
      const direct = rowOps.map(([o]) => copyable(o, s.D));
      if (direct.some((d) => !d)) packInto(op, dev, tr, rowOps.length * nbh * d4, height,
        (dst) => rowOps.forEach(([o, L], i) => { if (!direct[i]) packOperand(op, dev, o, b0, n, dst, 0, { ...g, L, x0: i * nbh * d4, y0: 0, width: nbh * d4, height }); }));
      rowOps.forEach(([o, L], i) => {
        if (!direct[i]) return;
        copyRows(op, dev, o, L, b0, tr, { ...g, x0: i * nbh * d4 });
        zeroTexture(op, dev, tr, i * nbh * d4, nbh * d4, L, height);
      });
      packInto(op, dev, tc, lh / 4, colOps.length * nbh * s.D,
        (dst) => colOps.forEach(([o, L], i) => packOperand(op, dev, o, b0, n, dst, 1, { ...g, L, x0: 0, y0: i * nbh * s.D, width: lh / 4, height: nbh * s.D })));
      const groups = nbh * nblk;
      const common = { H: s.H, Lq: s.Lq, Lk: s.Lk, d4, nblk, n_groups: groups, scale: s.scale, bh0, rounds: 8, lay };
      dev.run({ kernel, defines: { NC: Math.ceil(d4 / 8), MASKED: String(s.masked) }, bindings: [tr, tc, ...bindings], workgroups: dev.grid(groups, 1), params: params(common, nbh) });
    }
  }
}
/** The forward on attention/forward_tex: q and v as rows, k as columns. */
function forwardTex(op: string, s: TexShape, q: TexOperand, k: TexOperand, v: TexOperand, lv: ReturnType<typeof levelSlots>, out: Slot, lse: Slot) {
  const d4 = s.D / 4;
  runTex(op, 'attention/forward_tex', s, s.Lq, s.Lk, [[q, s.Lq], [v, s.Lk]], [[k, s.Lk]], [lv.q, lv.k, out, lse], (c, nbh) => ({ ...c, vx: nbh * d4, pad0: 0 }));
}
