// Vector-quantisation ops: nearest codebook entry (fused distance + argmin, optional area pooling and lookup), codebook
// lookup (embedding) with its deterministic gradient, per-code usage histograms, the fused φ residual update, and the
// training pieces: the multi-scale VQ loss and the straight-through estimator.
import { Tensor, empty, view } from '../tensor.ts';
import { record, noGrad } from '../autograd.ts';
import { fmt } from '../shape.ts';
import { contiguous } from './movement.ts';
import { sum } from './reduce.ts';
import { square, fill, add } from './elementwise.ts';
import { mapN } from './map.ts';
import type { Device, TextureBinding } from '../runtime/device.ts';

const MAX_CODE_WIDTH = 256;
const ROWS_PER_WORKGROUP = 8; // kernels/quant/nearest_code.wgsl R
const ROWS_PER_WORKGROUP_TEX = 32; // kernels/quant/nearest_code_tex.wgsl R
const PACK_TEX_TPI = 4; // kernels/quant/pack_tex.wgsl TPI

function checkCodebook(op: string, cb: Tensor, C?: number) {
  cb.assertLive(op);
  if (cb.ndim !== 2 || cb.dtype !== 'f32') throw new Error(`${op}: codebook must be an f32 [V, C] tensor, got ${cb}`);
  if (C !== undefined && cb.shape[1] !== C) throw new Error(`${op}: codebook ${cb} has code width ${cb.shape[1]}, but the input has ${C} channels`);
  if (cb.shape[1]! > MAX_CODE_WIDTH) throw new Error(`${op}: code width ${cb.shape[1]} exceeds ${MAX_CODE_WIDTH}`);
  if (cb.shape[0]! < 1) throw new Error(`${op}: empty codebook ${cb}`);
}

/** |e_v|² for every code, [V] (no gradient). */
export function codeNorms(codebook_VC: Tensor): Tensor {
  checkCodebook('codeNorms', codebook_VC);
  return noGrad(codebook_VC.dev, () => { const sq = square(codebook_VC); const n = sum(sq, 1); sq.dispose(); return n; });
}

/** out [Kp, Rp] = transpose of x [R, K] (contiguous), zero-padded (kernels/quant/pack.wgsl). */
function packT(x: Tensor, R: number, K: number, Rp: number, Kp: number): Tensor {
  const out = empty(x.dev, [Kp, Rp], 'f32', 'vq.pack');
  x.dev.counter?.op('vq.pack', 'copy', 0, 4 * (R * K + Kp * Rp));
  const xw = x.window('vq.pack', x.offset, x.offset + R * K);
  x.dev.run({ kernel: 'quant/pack', bindings: [xw.binding, out.binding('vq.pack')], params: { R, K, Rp, Kp, in_base: xw.base, pad0: 0, pad1: 0, pad2: 0 },
    workgroups: x.dev.grid(Kp * Rp, 64) });
  return out;
}

const up = (n: number, m: number) => Math.ceil(n / m) * m;

/** A 1-element scratch tensor for bindings a kernel variant does not use. */
function dummy(dev: Device, dtype: 'f32' | 'i32'): Tensor { return empty(dev, [1], dtype, 'vq.unused'); }

/**
 * A codebook laid out for the search, on one of two paths: 'buffer' (quant/nearest_code reads `transposed` = [Cp, Vp],
 * 4 codes per vec4, zero-padded) or 'texture' (quant/nearest_code_tex reads `tex`, an rgba32float texture of Cp + 1
 * rows, 4 codes per texel, the last row |e|², for calls from the profile's nearestCodeTextureMinRows rows; it keeps
 * `transposed` too, for smaller calls); `norms` = |e|² either way. Make it once per codebook value (3–4 dispatches),
 * pass it to every nearestCode* call that uses that codebook, dispose() it after (its tensors and texture are kept
 * out of scopes). Both paths give the same indices and h, bit for bit.
 */
export interface PreparedCodebook {
  codebook: Tensor; path: 'buffer' | 'texture'; transposed: Tensor | null; tex: TextureBinding | null; norms: Tensor;
  readonly disposed: boolean; dispose(): void;
}
export interface PrepareCodebookOpts {
  /** 'auto' (default): the texture path where the profile's nearestCodeTexture holds and the texture fits
   * maxTextureDimension2D, else the buffer path. 'buffer' or 'texture' force one (tests, benchmarks). */
  path?: 'auto' | 'buffer' | 'texture';
}

/** Texels per row of quant/nearest_code_tex's codebook texture: codes in whole tiles of TILE_CODES. */
const TILE_CODES = 64;
const codebookTexShape = (dev: Device, V: number, C: number) => {
  const width = Math.ceil(V / TILE_CODES) * (TILE_CODES / 4), height = up(C, 4) + 1;
  return { width, height, fits: width <= dev.maxTexture2D && height <= dev.maxTexture2D };
};
/** The path a codebook of V codes and width C takes on dev for `path` (errors name what a forced texture path lacks). */
function codebookPath(op: string, dev: Device, V: number, C: number, path: PrepareCodebookOpts['path'] = 'auto'): 'buffer' | 'texture' {
  if (!['auto', 'buffer', 'texture'].includes(path)) throw new Error(`${op}: path must be 'auto', 'buffer' or 'texture', got '${path}'`);
  const p = dev.profile, s = codebookTexShape(dev, V, C);
  if (path === 'texture' && !(p.subgroups8 && p.storageTextures && s.fits))
    throw new Error(`${op}: path 'texture' needs subgroups of at least 8 and read-only storage textures (this adapter: ${p.subgroups8}, ${p.storageTextures}) and a codebook texture of ${s.width} × ${s.height} texels within maxTextureDimension2D ${dev.maxTexture2D} (codebook [${V}, ${C}])`);
  return path === 'texture' || (path === 'auto' && p.nearestCodeTexture && s.fits) ? 'texture' : 'buffer';
}

export function prepareCodebook(codebook_VC: Tensor, o: PrepareCodebookOpts = {}): PreparedCodebook {
  return layoutCodebook('prepareCodebook', codebook_VC, codebookPath('prepareCodebook', codebook_VC.dev, codebook_VC.shape[0]!, codebook_VC.shape[1]!, o.path), false);
}

/**
 * The layout of prepareCodebook; `scratch`: for one call of `path` (the texture from a scratch slot, nothing to free,
 * no buffer layout beside it).
 */
function layoutCodebook(op: string, codebook_VC: Tensor, path: 'buffer' | 'texture', scratch: boolean): PreparedCodebook {
  checkCodebook(op, codebook_VC);
  const dev = codebook_VC.dev, [V, C] = codebook_VC.shape as [number, number];
  const cb = contiguous(codebook_VC);
  const norms = codeNorms(cb).keep();
  let transposed: Tensor | null = null, tex: TextureBinding | null = null;
  if (path === 'buffer' || !scratch) transposed = packT(cb, V, C, up(V, 4), up(C, 4)).keep();
  if (path === 'texture') {
    const s = codebookTexShape(dev, V, C);
    tex = scratch ? dev.scratchTexture('quant.codebook', s.width, s.height) : dev.createTexture(`quant.codebook [${V}, ${C}]`, s.width, s.height);
    const ew = cb.window(op, cb.offset, cb.offset + cb.numel), nw = norms.window(op, norms.offset, norms.offset + V);
    dev.counter?.op('vq.pack', 'copy', 0, 4 * (V * C + V) + 16 * s.width * s.height);
    dev.run({ kernel: 'quant/pack_tex', bindings: [ew.binding, nw.binding, tex],
      params: { V, C, Cp: up(C, 4), width: s.width, e_base: ew.base, ee_base: nw.base, pad0: 0, pad1: 0 },
      workgroups: [Math.ceil(s.width / (8 * PACK_TEX_TPI)), Math.ceil(s.height / 8)] });
  }
  if (cb !== codebook_VC) cb.dispose();
  let disposed = false;
  return {
    codebook: codebook_VC, path, transposed, tex, norms,
    get disposed() { return disposed; },
    dispose() {
      if (disposed) return;
      disposed = true;
      transposed?.dispose(); norms.dispose();
      if (tex && !scratch) dev.destroyTexture(tex);
    },
  };
}

/** φ conv weights [C, C, 3, 3] laid out for quant/phi_update: [(ci, ky, kx), co] with co padded to a multiple of 8. */
export function packPhiWeight(w: Tensor): Tensor {
  const C = w.shape[0]!;
  if (w.ndim !== 4 || w.shape[1] !== C || w.shape[2] !== 3 || w.shape[3] !== 3 || w.dtype !== 'f32') throw new Error(`packPhiWeight: expected f32 [C, C, 3, 3], got ${w}`);
  const wc = contiguous(w);
  const out = packT(wc, C, C * 9, up(C, 8), C * 9);
  if (wc !== w) wc.dispose();
  return out;
}

export interface NearestCodeAreaOpts {
  /** The codebook prepared by prepareCodebook (made here, and freed, when absent). */
  prepared?: PreparedCodebook;
  /** Write the indices into this [B, gh·gw] i32 view (e.g. a column slice of idx_BL) instead of a fresh tensor. */
  idxOut?: Tensor;
  /** Also return h_BChw = codebook[idx] as [B, C, gh, gw]. */
  lookup?: boolean;
  /** Add 1 to counts[row][idx] for every index (atomic histogram); counts is an i32 [K, V] or [V] tensor. */
  counts?: Tensor;
  countsRow?: number;
}

/**
 * VAR's per-scale quantisation step in one dispatch: z = area-pool(f_BCHW) to gh × gw (adaptive average pooling bins;
 * the identity when the sizes match), idx = argmin_v |z|² + |e_v|² − 2 z·e_v (ties → lowest index), optional lookup
 * h = codebook[idx] as [B, C, gh, gw] and usage counts. No gradient (argmin is piecewise constant).
 */
export function nearestCodeArea(f_BCHW: Tensor, codebook_VC: Tensor, gh: number, gw: number, o: NearestCodeAreaOpts = {}): { idx: Tensor; h: Tensor | null } {
  const op = 'nearestCode';
  f_BCHW.assertLive(op);
  if (f_BCHW.ndim !== 4 || f_BCHW.dtype !== 'f32') throw new Error(`${op}: expected an f32 [B, C, H, W] tensor, got ${f_BCHW}`);
  const [B, C, H, W] = f_BCHW.shape as [number, number, number, number];
  checkCodebook(op, codebook_VC, C);
  if (!(Number.isInteger(gh) && gh > 0 && Number.isInteger(gw) && gw > 0)) throw new Error(`${op}: bad grid ${gh}x${gw} for ${f_BCHW}`);
  const dev = f_BCHW.dev, V = codebook_VC.shape[0]!;
  const x = contiguous(f_BCHW);
  // The texture kernel from nearestCodeTextureMinRows rows (a prepared texture codebook keeps the buffer layout for
  // smaller calls).
  const rows = B * gh * gw, big = rows >= dev.profile.nearestCodeTextureMinRows;
  const prep = o.prepared ?? layoutCodebook(op, codebook_VC, big ? codebookPath(op, dev, V, C) : 'buffer', true);
  if (prep.codebook !== codebook_VC) throw new Error(`${op}: the prepared codebook belongs to ${prep.codebook}, not ${codebook_VC}`);
  if (prep.disposed) throw new Error(`${op}: the prepared codebook of ${codebook_VC} was disposed`);
  const cb = contiguous(codebook_VC);
  const idx = o.idxOut ?? empty(dev, [B, gh * gw], 'i32', op);
  if (idx.dtype !== 'i32' || idx.ndim !== 2 || idx.shape[0] !== B || idx.shape[1] !== gh * gw || (gh * gw > 1 && idx.strides[1] !== 1))
    throw new Error(`${op}: idxOut must be an i32 [${B}, ${gh * gw}] view with unit column stride, got ${idx}`);
  const h = o.lookup ? empty(dev, [B, C, gh, gw], 'f32', op) : dummy(dev, 'f32');
  const counts = o.counts ?? dummy(dev, 'i32');
  const cntBase = o.counts ? (o.countsRow ?? 0) * V : 0;
  if (o.counts && (o.counts.dtype !== 'i32' || !o.counts.isContiguous || cntBase + V > o.counts.numel))
    throw new Error(`${op}: counts must be a contiguous i32 tensor with row ${o.countsRow ?? 0} of ${V} codes, got ${o.counts}`);
  // Work: the distance products z·e (2·C per row and code); bytes: the area-pooled input, the codebook, ids (and h).
  dev.counter?.op(op, 'other', 2 * rows * V * C, 4 * (x.numel + V * C + rows + (o.lookup ? rows * C : 0)), { rows, C, V });
  const whole = (t: Tensor) => t.window(op, t.offset, t.offset + t.numel);
  const [xw, ew, hw, cw] = [x, cb, h, counts].map(whole);
  const iw = idx.window(op, idx.offset, idx.offset + (B - 1) * idx.strides[0]! + gh * gw);
  const common = { C, V, gh, gw, e_base: ew!.base, idx_base: iw.base, idx_sb: idx.strides[0]!, h_base: hw!.base, cnt_base: cntBase + cw!.base,
    flags: (o.lookup ? 1 : 0) | (o.counts ? 2 : 0), pad0: 0, pad1: 0 };
  if (prep.path === 'texture' && (big || !prep.transposed)) {
    // z (pooled) and |z|² into a scratch texture, in chunks of rows that fit its height; the search reads both textures.
    const C4 = Math.ceil(C / 4), R = ROWS_PER_WORKGROUP_TEX, chunk = Math.floor(dev.maxTexture2D / R) * R;
    const zt = dev.scratchTexture('quant.z', C4 + 1, Math.min(up(rows, R), chunk));
    for (let row0 = 0; row0 < rows; row0 += chunk) {
      const n = Math.min(chunk, rows - row0), height = up(n, R);
      dev.run({ kernel: 'quant/pool_tex', bindings: [xw!.binding, zt],
        params: { rows: n, row0, C, C4, gh, gw, sh: H, sw: W, src_base: xw!.base, height, pad0: 0, pad1: 0 }, workgroups: [Math.ceil(height / 64)] });
      dev.run({ kernel: 'quant/nearest_code_tex', bindings: [zt, prep.tex!, ew!.binding, iw.binding, hw!.binding, cw!.binding],
        params: { ...common, rows: n, row0, C4, tiles: Math.ceil(V / TILE_CODES) }, workgroups: [height / R] });
    }
  } else {
    const [tw, nw] = [prep.transposed!, prep.norms].map(whole);
    const p = { ...common, rows, Cp: up(C, 4), Vp: up(V, 4), sh: H, sw: W, src_base: xw!.base, et_base: tw!.base / 4, ee_base: nw!.base };
    dev.run({ kernel: 'quant/nearest_code', bindings: [xw!.binding, tw!.binding, nw!.binding, ew!.binding, iw.binding, hw!.binding, cw!.binding],
      params: p, workgroups: dev.grid(Math.ceil(rows / ROWS_PER_WORKGROUP), 1) });
  }
  if (x !== f_BCHW) x.dispose();
  if (cb !== codebook_VC) cb.dispose();
  if (prep !== o.prepared) prep.dispose();
  if (!o.counts) counts.dispose();
  if (!o.lookup) { h.dispose(); return { idx, h: null }; }
  return { idx, h };
}

/** idx_N = argmin_v |z_n|² + |e_v|² − 2 z_n·e_v for z_NC [N, C] (i32, ties → lowest index, as torch.argmin). */
export function nearestCode(z_NC: Tensor, codebook_VC: Tensor, o: { prepared?: PreparedCodebook } = {}): Tensor {
  z_NC.assertLive('nearestCode');
  if (z_NC.ndim !== 2) throw new Error(`nearestCode: expected z as [N, C], got ${z_NC}`);
  const [N, C] = z_NC.shape as [number, number];
  const z = contiguous(z_NC);
  const z4 = view(z, [N, C, 1, 1], [C, 1, 1, 1], z.offset);
  const { idx } = nearestCodeArea(z4, codebook_VC, 1, 1, { prepared: o.prepared });
  z4.dispose();
  if (z !== z_NC) z.dispose();
  const out = view(idx, [N], [1], idx.offset);
  idx.dispose();
  return out;
}

/** Checks host-side ids against [0, V) with a clear error (use before uploading token ids). */
export function checkIds(op: string, ids: ArrayLike<number>, V: number): void {
  for (let i = 0; i < ids.length; i++) {
    const v = ids[i]!;
    if (!(Number.isInteger(v) && v >= 0 && v < V)) throw new Error(`${op}: token id ${v} at position ${i} is outside the vocabulary [0, ${V})`);
  }
}

/**
 * Codebook lookup. idx [B, hw] (i32; rows may be strided, e.g. a column slice of idx_BL) → channel-first [B, C, hw]
 * (reshape to [B, C, h, w] at will) when `channelsFirst`, else row-major [B, hw, C]. Gradient flows to the codebook
 * (deterministic gather, kernels/quant/lookup_backward.wgsl). Ids outside [0, V) give NaN rows.
 */
export function codeLookup(idx: Tensor, codebook_VC: Tensor, o: { channelsFirst?: boolean } = {}): Tensor {
  const op = 'codeLookup';
  idx.assertLive(op);
  checkCodebook(op, codebook_VC);
  if (idx.dtype !== 'i32') throw new Error(`${op}: ids must be i32, got ${idx}`);
  const cf = !!o.channelsFirst;
  if (idx.ndim !== 1 && idx.ndim !== 2) throw new Error(`${op}: ids must be [N] or [B, N], got ${idx}`);
  const [B, N] = idx.ndim === 1 ? [1, idx.shape[0]!] : idx.shape as [number, number];
  const [V, C] = codebook_VC.shape as [number, number];
  // The kernel reads ids[b·sb + s] for b < items, s < hw. Channel-first keeps [B, N] rows (any row stride); row-major
  // [B, N, C] is channel-first with B·N items of one position each, so it needs contiguous ids.
  const rowsOk = idx.ndim === 1 ? idx.strides[0] === 1 || N === 1 : (N === 1 || idx.strides[1] === 1) && (cf || B === 1 || idx.strides[0] === N);
  const ids = rowsOk ? view(idx, [B, N], [idx.ndim === 1 ? N : idx.strides[0]!, 1], idx.offset) : contiguousView(idx, B, N);
  const [items, hw, sb] = cf ? [B, N, ids.strides[0]!] : [B * N, 1, 1];
  const cb = contiguous(codebook_VC);
  const out = empty(idx.dev, idx.ndim === 1 ? (cf ? [C, N] : [N, C]) : (cf ? [B, C, N] : [B, N, C]), 'f32', op);
  runLookup(idx.dev, ids, cb, out, { n: items * C * hw, C, V, hw }, sb, items);
  if (cb !== codebook_VC) cb.dispose();
  const res = record(out, op, [codebook_VC], (g) => [codeLookupBackward(ids, g, V, C, items, hw, sb)]);
  if (!res.node) ids.dispose();
  return res;
}

/** A contiguous [B, N] copy of ids (as a fresh tensor). */
function contiguousView(idx: Tensor, B: number, N: number): Tensor {
  const c = contiguous(idx);
  const v = view(c, [B, N], [N, 1], c.offset);
  if (c !== idx) c.dispose();
  return v;
}

function runLookup(dev: Device, ids: Tensor, cb: Tensor, out: Tensor, head: { n: number; C: number; V: number; hw: number }, sb: number, B: number) {
  const kernel = 'quant/lookup';
  const iw = ids.window(kernel, ids.offset, ids.offset + (B - 1) * sb + head.hw);
  const cw = cb.window(kernel, cb.offset, cb.offset + cb.numel);
  const p = { ...head, idx_base: iw.base, idx_sb: sb, cb_base: cw.base, out_base: 0, nan_bits: 0x7fc00000 };
  dev.counter?.op('codeLookup', 'other', 0, 4 * (2 * head.n + head.n / head.C));
  dev.run({ kernel, bindings: [iw.binding, cw.binding, out.binding(kernel)], params: p, workgroups: dev.grid(head.n, 64) });
}

/** dE [V, C] = Σ over positions with idx = v of g (channel-first [B, C, hw] layout; hw = 1 for row-major). */
function codeLookupBackward(ids: Tensor, g: Tensor, V: number, C: number, B: number, hw: number, sb: number): Tensor {
  const op = 'codeLookup.backward';
  const gc = contiguous(g);
  const out = empty(g.dev, [V, C], 'f32', op);
  const iw = ids.window(op, ids.offset, ids.offset + (B - 1) * sb + hw);
  const gw = gc.window(op, gc.offset, gc.offset + gc.numel);
  const p = { V, C, B, hw, idx_base: iw.base, idx_sb: sb, g_base: gw.base, out_base: 0 };
  g.dev.counter?.op(op, 'other', 0, 4 * (gc.numel + B * hw + V * C));
  g.dev.run({ kernel: 'quant/lookup_backward', bindings: [iw.binding, gw.binding, out.binding(op)], params: p,
    workgroups: g.dev.grid(V * Math.ceil(C / 32), 64) });
  if (gc !== g) gc.dispose();
  return out;
}

/** Per-code usage: counts[v] = #{i : idx[i] = v} as i32 [V], plus ids outside [0, V) counted in a final slot [V]. */
export function codeHistogram(idx: Tensor, V: number): Tensor {
  const op = 'codeHistogram';
  idx.assertLive(op);
  if (idx.dtype !== 'i32') throw new Error(`${op}: ids must be i32, got ${idx}`);
  const ids = contiguous(idx);
  const counts = fill(idx.dev, [V + 1], 0, 'i32');
  const iw = ids.window(op, ids.offset, ids.offset + Math.max(ids.numel, 1));
  idx.dev.counter?.op(op, 'other', 0, 4 * (ids.numel + V + 1));
  if (ids.numel) idx.dev.run({ kernel: 'quant/histogram', bindings: [iw.binding, counts.binding(op)], params: { n: ids.numel, V, idx_base: iw.base, cnt_base: 0 },
    workgroups: idx.dev.grid(ids.numel, 64) });
  if (ids !== idx) ids.dispose();
  return counts;
}

/**
 * In place: φ = keep·h + mix·conv3x3(h; w, b) (VAR's quant_resi φ with keep = 1 − r, mix = r), then f_hat += φ and,
 * when given, f_rest −= φ. h, f_hat, f_rest are contiguous [B, C, S, S]; w [C, C, 3, 3]; b [C]; `packed` is
 * packPhiWeight(w) when the caller reuses it (made here otherwise). No gradient.
 */
export function phiUpdate(h: Tensor, w: Tensor, b: Tensor, fHat: Tensor, fRest: Tensor | null, keep: number, mix: number, packed?: Tensor): void {
  const op = 'phiUpdate';
  for (const t of [h, w, b, fHat, fRest]) if (t) { t.assertLive(op); if (!t.isContiguous || t.dtype !== 'f32') throw new Error(`${op}: ${t} must be a contiguous f32 tensor`); }
  const [B, C, S, S2] = h.shape as [number, number, number, number];
  if (h.ndim !== 4 || S !== S2) throw new Error(`${op}: h must be [B, C, S, S], got ${h}`);
  const same = (t: Tensor) => t.shape.length === 4 && t.shape.every((d, i) => d === h.shape[i]);
  if (!same(fHat) || (fRest && !same(fRest))) throw new Error(`${op}: f_hat ${fHat} and f_rest ${fRest} must match h ${h}`);
  if (w.ndim !== 4 || w.shape[0] !== C || w.shape[1] !== C || w.shape[2] !== 3 || w.shape[3] !== 3 || b.numel !== C)
    throw new Error(`${op}: φ conv must be w [${C}, ${C}, 3, 3] and b [${C}], got ${w} and ${b} (h ${fmt(h.shape)})`);
  const wp = packed ?? packPhiWeight(w);
  if (wp.shape[0] !== C * 9 || wp.shape[1] !== up(C, 8)) throw new Error(`${op}: packed weights ${wp} do not match C = ${C}`);
  const fr = fRest ?? dummy(h.dev, 'f32');
  const n = B * (up(C, 8) / 8) * S * Math.ceil(S / 4);
  const [hw, ww, bw, fhw, frw] = [h, wp, b, fHat, fr].map((t) => t.window(op, t.offset, t.offset + t.numel));
  // Work: the 3×3 conv C → C over B·S² pixels (2·C·C·9 each); bytes: h, f_hat (read and written), f_rest, the weights.
  h.dev.counter?.op(op, 'conv', 2 * B * C * C * 9 * S * S, 4 * (h.numel * (fRest ? 5 : 3) + wp.numel + C), { B, C, S });
  const p = { n, C, S, Cp8: up(C, 8), keep, mix, h_base: hw!.base, w_base: ww!.base / 4, b_base: bw!.base, fh_base: fhw!.base, fr_base: frw!.base,
    flags: fRest ? 1 : 0 };
  h.dev.run({ kernel: 'quant/phi_update', bindings: [hw!.binding, ww!.binding, bw!.binding, fhw!.binding, frw!.binding], params: p, workgroups: h.dev.grid(n, 8) });
  if (!fRest) fr.dispose();
  if (wp !== packed) wp.dispose();
}

/**
 * VQ loss over scales k with targets z_k: (1/K)·Σ_k [β·MSE(f_k.detach, z_k) + MSE(f_k, z_k.detach)] as one scalar.
 * Gradients: ∂/∂f_k = 2(f_k − z_k)/(n_k K), ∂/∂z_k = 2β(z_k − f_k)/(n_k K).
 */
export function vqLoss(pairs: [Tensor, Tensor][], beta: number): Tensor {
  const K = pairs.length, dev = pairs[0]![0].dev;
  const total = noGrad(dev, () => {
    let acc: Tensor | null = null;
    for (const [f, z] of pairs) {
      const d = mapN('vqLoss', [f, z], '(a - b) * (a - b)');
      const s = sum(d); d.dispose();
      const t = mapN('vqLoss', [s], 'a * p.s0', { s0: (1 + beta) / (f.numel * K) }); s.dispose();
      if (acc) { const n = add(acc, t); acc.dispose(); t.dispose(); acc = n; } else acc = t;
    }
    return acc!;
  });
  const inputs = pairs.flat();
  return record(total, 'vqLoss', inputs, (g) => inputs.map((t, i) => {
    const [f, z] = pairs[i >> 1]!, c = 2 / (f.numel * K);
    return i % 2 === 0 ? mapN('vqLoss.grad', [g, f, z], 'a * (b - c) * p.s0', { s0: c })
      : mapN('vqLoss.grad', [g, z, f], 'a * (b - c) * p.s0', { s0: c * beta });
  }));
}

/** Straight-through estimator: value (f_hat − z) + z (PyTorch's order), gradient passed to z unchanged. */
export function straightThrough(z: Tensor, fHat: Tensor): Tensor {
  const y = mapN('ste', [z, fHat], '(b - a) + a');
  return record(y, 'ste', [z], (g) => [mapN('ste.grad', [g], 'a')]);
}
