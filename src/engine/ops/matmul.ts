// Matrix products: matmul (batched, broadcasting, transposes read through strides) and linear (x·wᵀ + b), each with
// its gradient beside it; the variant table that picks a kernel per layout and adapter; splitting past binding limits;
// linear weights laid out once for inference (prepareLinear).
import { Tensor, empty, view } from '../tensor.ts';
import { record, needsGrad, noGrad } from '../autograd.ts';
import { broadcastShapes, broadcastStrides, coalesce, fmt, numel } from '../shape.ts';
import type { Device, Binding, BufferBinding, TextureBinding } from '../runtime/device.ts';
import type { MatmulVariant } from '../runtime/profile.ts';
import { contiguous, reshape } from './movement.ts';
import { reduceRaw, sumTo } from './reduce.ts';
import { fill } from './elementwise.ts';
import { fillTexture, zeroSource } from './stage_tex.ts';

export interface MatmulOpts {
  transA?: boolean;
  transB?: boolean;
  /** Force a row of VARIANTS by name (benchmarks); the layout must still allow it. */
  variant?: string;
}

// ---- variant table ---------------------------------------------------------------------------------------------
/**
 * Operand layouts a kernel reads: 'tex' = any strides, both operands packed into storage textures first (an adapter
 * with profile.textureMatmul; N within the texture width; by default only from
 * profile.matmulTextureMin multiply-adds and matmulTextureMinRows rows, or matmulTextureMinRowsContiguousB); 'sg' = vec4 loads of A (along k or m) and B (along n or k) on an adapter
 * with subgroups of at least 8; 'bn' = B contiguous along n with 4-aligned strides; 'any' = any strides and sizes.
 */
type Layout = 'tex' | 'sg' | 'bn' | 'any';
/**
 * Kernel variants. The adapter profile (runtime/profile.ts) lists which to try, in order; the first whose layout the
 * operands allow runs. On lavapipe every load inside a loop becomes per-lane scalar loads with bounds checks, so loads
 * per FMA decide: the subgroup kernel loads each A value once per workgroup and shares it by subgroupBroadcast (B along
 * n and along k alike); the texture kernel does the same from storage textures (cheaper loads) with a 32×64 tile per
 * workgroup, after one pack of each operand (transposes included): matmul/matmul_tex, or matmul/matmul_tex_loads on a
 * CPU adapter without subgroups (every lane loads the A rows itself; texTileKernel). Measurements and what was tried:
 * docs/LAVAPIPE_FINDINGS.md, `npm run bench -- variants`.
 */
export const VARIANTS = [
  { name: 'texture-32x64', kernel: 'matmul/matmul_tex', layout: 'tex', wg: [8, 1] },
  { name: 'subgroup-8', kernel: 'matmul/matmul_v3_subgroup', layout: 'sg', wg: [8, 1] },
  { name: 'vec4-8x1', kernel: 'matmul/matmul_v2_vec4', layout: 'bn', wg: [8, 1] },
  { name: 'strided-8x1', kernel: 'matmul/matmul_v1_strided', layout: 'any', wg: [8, 1] },
  { name: 'vec4-8x8', kernel: 'matmul/matmul_v2_vec4', layout: 'bn', wg: [8, 8] },
  { name: 'strided-8x8', kernel: 'matmul/matmul_v1_strided', layout: 'any', wg: [8, 8] },
] as const satisfies readonly { name: MatmulVariant; kernel: string; layout: Layout; wg: readonly [number, number] }[];
type Variant = (typeof VARIANTS)[number];

function pickVariant(op: string, dev: Device, layouts: Layout[], forced?: string): Variant {
  const byName = (n: string) => {
    const v = VARIANTS.find((r) => r.name === n);
    if (!v) throw new Error(`${op}: unknown variant '${n}' (known: ${VARIANTS.map((r) => r.name).join(', ')})`);
    return v;
  };
  if (forced) {
    const v = byName(forced);
    if (!layouts.includes(v.layout)) throw new Error(`${op}: variant '${forced}' needs layout '${v.layout}', which these operands do not have`);
    return v;
  }
  const v = dev.profile.matmul.map(byName).find((r) => layouts.includes(r.layout));
  if (!v) throw new Error(`${op}: none of the adapter profile's matmul variants (${dev.profile.matmul.join(', ')}) takes these operands' layout (${layouts.join(', ')}); end the list with a strided one`);
  return v;
}

// ---- operands and the launcher ---------------------------------------------------------------------------------
/** A logical [...batch, rows, cols] matrix read from a tensor through strides; a transpose swaps them (no copy). */
interface Mat { t: Tensor; batch: number[]; bstr: number[]; rows: number; cols: number; rs: number; cs: number }
function mat(op: string, t: Tensor, trans: boolean, name: string): Mat {
  t.assertLive(op);
  if (t.ndim < 2) throw new Error(`${op}: ${name} ${t} needs at least 2 dims`);
  if (t.dtype !== 'f32') throw new Error(`${op}: expected f32 tensors, got ${t.dtype} for ${name} ${t}`);
  const n = t.ndim, r = t.shape[n - 2]!, c = t.shape[n - 1]!, rs = t.strides[n - 2]!, cs = t.strides[n - 1]!;
  const m = { t, batch: t.shape.slice(0, n - 2), bstr: t.strides.slice(0, n - 2) };
  return trans ? { ...m, rows: c, cols: r, rs: cs, cs: rs } : { ...m, rows: r, cols: c, rs, cs };
}

/** One batch dim of a launch with each operand's stride (0 = broadcast). */
export interface Dim { size: number; a: number; b: number; c: number }
/** A launch after folding: batch dims (≤ 4, coalesced), the sizes, and A's and C's row strides. */
interface Geometry { dims: Dim[]; M: number; N: number; K: number; aRs: number; cRs: number }
/** How one dispatch covers the work: dims [0, h) iterated on the host, bc items of dim h, mc rows, kc steps of k. */
interface Plan { h: number; bc: number; mc: number; kc: number }

/** Folds trailing batch dims into M where B is shared across them and A, C step through them like rows. */
function geometry(op: string, A: Mat, B: Mat, out: Tensor): Geometry {
  const batch = out.shape.slice(0, -2);
  const as = broadcastStrides(A.batch, A.bstr, batch), bs = broadcastStrides(B.batch, B.bstr, batch);
  let dims: Dim[] = batch.map((size, i) => ({ size, a: as[i]!, b: bs[i]!, c: out.strides[i]! })).filter((d) => d.size !== 1);
  let M = A.rows, aRs = A.rs, cRs = B.cols;
  while (dims.length) {
    const d = dims[dims.length - 1]!;
    if (d.b !== 0) break;
    if (M === 1) { M = d.size; aRs = d.a; cRs = d.c; }
    else if (d.a === aRs * M && d.c === cRs * M) M *= d.size;
    else break;
    dims.pop();
  }
  if (dims.length) {
    const co = coalesce(dims.map((d) => d.size), [dims.map((d) => d.a), dims.map((d) => d.b), dims.map((d) => d.c)]);
    dims = co.shape.map((size, i) => ({ size, a: co.strides[0]![i]!, b: co.strides[1]![i]!, c: co.strides[2]![i]! }));
  }
  if (dims.length > 4) throw new Error(`${op}: batch dims of ${A.t} and ${B.t} do not merge into 4 or fewer (strided views); call contiguous() first`);
  return { dims, M, N: B.cols, K: A.cols, aRs: M === 1 ? 0 : aRs, cRs };
}

/** Elements each operand's window spans for one dispatch of plan p: [A, B, C]. */
function spans(g: Geometry, A: Mat, B: Mat, p: Plan): [number, number, number] {
  const span = (pick: (d: Dim) => number, rows: number, rowS: number, cols: number, colS: number) => {
    let e = 1 + Math.max(rows - 1, 0) * rowS + Math.max(cols - 1, 0) * colS;
    g.dims.forEach((d, i) => { if (i >= p.h) e += ((i === p.h ? p.bc : d.size) - 1) * pick(d); });
    return e;
  };
  return [span((d) => d.a, p.mc, g.aRs, p.kc, A.cs), span((d) => d.b, p.kc, B.rs, g.N, B.cs), span((d) => d.c, p.mc, g.cRs, g.N, 1)];
}

/**
 * The largest dispatches that fit: every window within maxStorageBufferBindingSize and the grid within
 * maxComputeWorkgroupsPerDimension. Splits batch items first, then rows (M), then k (chunks accumulate into C).
 */
function plan(op: string, dev: Device, g: Geometry, A: Mat, B: Mat, rowsPerGroup: number, kAlign: number, texExcess?: (p: Plan) => number): Plan {
  const maxEl = Math.floor((dev.maxBinding - 2 * dev.storageAlign) / 4), maxWg = dev.maxWorkgroups;
  const batchSteps: { h: number; bc: number }[] = [];
  for (let h = 0; h <= g.dims.length; h++)
    for (let bc = g.dims[h]?.size ?? 1; ; bc = Math.ceil(bc / 2)) { batchSteps.push({ h, bc }); if (bc === 1) break; }
  const z = (p: Plan) => g.dims.reduce((n, d, i) => n * (i > p.h ? d.size : i === p.h ? p.bc : 1), 1);
  const worst = (p: Plan) => Math.max(...spans(g, A, B, p)) / maxEl;
  const rowsOk = (p: Plan) => Math.ceil(p.mc / rowsPerGroup) <= maxWg;
  const half = (x: number, q: number) => Math.ceil(x / 2 / q) * q;
  // Texture variant: how far the packed operands exceed maxTextureDimension2D (0 when they fit).
  const tx = (p: Plan) => texExcess?.(p) ?? 0;
  let p: Plan = { ...batchSteps[0]!, mc: g.M, kc: g.K }, step = 0;
  while (worst(p) > 1 || z(p) > maxWg || !rowsOk(p) || tx(p) > 0) {
    const w = worst(p), t = tx(p);
    let next: Plan | null = null;
    for (let s = step + 1; s < batchSteps.length && !next && (w > 1 || z(p) > maxWg || t > 0); s++) {
      const q = { ...p, ...batchSteps[s]! };
      if (z(q) < z(p) && (w <= 1 || worst(q) < w) && (t === 0 || tx(q) < t)) { next = q; step = s; }
    }
    const mh = { ...p, mc: half(p.mc, 8) }, kh = { ...p, kc: half(p.kc, kAlign) };
    if (!next && p.mc > 8 && (!rowsOk(p) || worst(mh) < 0.9 * w || (t > 0 && tx(mh) < t))) next = mh;
    if (!next && p.kc > kAlign && (worst(kh) < 0.9 * w || (t > 0 && tx(kh) < t))) next = kh;
    if (!next) throw new RangeError(`${op}: cannot split ${A.t} · ${B.t} (M=${g.M}, N=${g.N}, K=${g.K}) into dispatches whose operands fit this adapter's maxStorageBufferBindingSize (${dev.maxBinding / 2 ** 20} MiB)${texExcess ? ` and maxTextureDimension2D (${dev.maxTexture2D})` : ''}`);
    p = next;
  }
  return p;
}

/** Element offsets of A, B and C at host-iterated batch item `hi` (the batch dims the host loops over, last fastest). */
function hostOffsets(host: Dim[], hi: number, A: Mat, B: Mat, out: Tensor): [number, number, number] {
  let a0 = A.t.offset, bb0 = B.t.offset, c0 = out.offset;
  for (let i = host.length - 1, rem = hi; i >= 0; i--) {
    const d = host[i]!, j = rem % d.size; rem = Math.floor(rem / d.size);
    a0 += j * d.a; bb0 += j * d.b; c0 += j * d.c;
  }
  return [a0, bb0, c0];
}

/**
 * out = A·B (+ bias) into a contiguous `out` of shape [...batch, M, N]: folds the batch, picks the kernel, plans the
 * split and encodes one dispatch per chunk (the first k chunk adds the bias, later ones accumulate into C).
 */
function gemm(op: string, A: Mat, B: Mat, out: Tensor, bias: Tensor | null, forced?: string): void {
  const dev = out.dev, g = geometry(op, A, B, out), { dims, M, N, K, aRs, cRs } = g;
  if (M === 0 || N === 0) return;
  // Vectorised layouts. A is read along k (aK) or m (aM), B along n (bN) or k (bK); the other strides, offsets and
  // the vectorised sizes must be multiples of 4. v2 needs only bN (it reads A as scalars).
  const al = (...v: number[]) => v.every((x) => x % 4 === 0);
  const aOk = al(A.t.offset, ...dims.map((d) => d.a)), bOk = al(B.t.offset, ...dims.map((d) => d.b));
  const aK = aOk && A.cs === 1 && al(aRs), aM = aOk && !aK && aRs === 1 && al(A.cs, M);
  const bN = bOk && B.cs === 1 && al(B.rs, N), bK = bOk && !bN && B.rs === 1 && al(B.cs);
  const texOk = dev.profile.textureMatmul && K > 0 && Math.ceil(N / TILE_N) * (TILE_N / 4) <= dev.maxTexture2D
    && (forced !== undefined || (numel(dims.map((d) => d.size)) * M * N * K >= dev.profile.matmulTextureMin && M >= (bN ? dev.profile.matmulTextureMinRowsContiguousB : dev.profile.matmulTextureMinRows)));
  const layouts: Layout[] = [...(texOk ? ['tex' as const] : []), ...(dev.profile.subgroups8 && (aK || aM) && (bN || bK) && al(K) && K > 0 ? ['sg' as const] : []), ...(bN ? ['bn' as const] : []), 'any'];
  const v = pickVariant(op, dev, layouts, forced);
  if (v.layout === 'tex') return gemmTex(op, g, A, B, out, bias);
  const [wx, wy] = v.wg;
  if (Math.ceil(N / (4 * wx)) > dev.maxWorkgroups) throw new RangeError(`${op}: N=${N} needs more than ${dev.maxWorkgroups} workgroups in x`);
  const pl = plan(op, dev, g, A, B, 8 * wy, v.layout === 'sg' ? 4 : 1);
  const defines: Record<string, string | number> = v.layout === 'sg' ? { A_KVEC: String(aK), B_NVEC: String(bN) } : { WG_X: wx, WG_Y: wy };

  const host = dims.slice(0, pl.h), inner = dims.slice(pl.h), lead = inner[0] ?? { size: 1, a: 0, b: 0, c: 0 };
  const b1 = bias ? contiguous(bias) : null;
  for (let hi = 0; hi < numel(host.map((d) => d.size)); hi++) {
    // Offsets of host-iterated batch item hi, then of each chunk of the dispatched batch dims, rows and k.
    const [a0, bb0, c0] = hostOffsets(host, hi, A, B, out);
    for (let i0 = 0; i0 < lead.size; i0 += pl.bc) {
      const chunk = inner.map((d, i) => (i === 0 ? { ...d, size: Math.min(pl.bc, d.size - i0) } : d));
      for (let m0 = 0; m0 < M; m0 += pl.mc) for (let k0 = 0; k0 === 0 || k0 < K; k0 += pl.kc) {
        const mc = Math.min(pl.mc, M - m0), kc = Math.min(pl.kc, K - k0);
        const [ea, eb, ec] = spans(g, A, B, { ...pl, bc: chunk[0]?.size ?? 1, mc, kc });
        const la = a0 + i0 * lead.a + m0 * aRs + k0 * A.cs, lb = bb0 + i0 * lead.b + k0 * B.rs, lc = c0 + i0 * lead.c + m0 * cRs;
        const wa = A.t.window(op, la, la + ea), wb = B.t.window(op, lb, lb + eb), wc = out.window(op, lc, lc + ec);
        const wbias = b1 && k0 === 0 ? b1.window(op, b1.offset, b1.offset + N) : null;
        const pad4 = (f: (d: Dim) => number) => [...chunk.map(f), 0, 0, 0, 0].slice(0, 4);
        const p = { m: mc, n: N, k: kc, flags: (wbias ? 1 : 0) | (k0 > 0 ? 2 : 0), a_base: wa.base, b_base: wb.base, c_base: wc.base,
          bias_base: wbias?.base ?? 0, a_rs: aRs, a_cs: A.cs, b_rs: B.rs, b_cs: B.cs, c_rs: cRs, nb: chunk.length, pad0: 0, pad1: 0,
          bshape: pad4((d) => d.size), a_bs: pad4((d) => d.a), b_bs: pad4((d) => d.b), c_bs: pad4((d) => d.c) };
        dev.run({
          kernel: v.kernel, defines, params: p, bindings: [wa.binding, wb.binding, (wbias ?? wa).binding, wc.binding],
          workgroups: [Math.ceil(N / (4 * wx)), Math.ceil(mc / (8 * wy)), numel(chunk.map((d) => d.size))],
        });
        if (K === 0) break;
      }
    }
  }
  if (b1 && b1 !== bias) b1.dispose();
}

/** Output tile of matmul_tex per workgroup (rows × columns). */
export const TILE_M = 32, TILE_N = 64;
const roundUp = (x: number, q: number) => Math.ceil(x / q) * q;
const pad4 = (v: number[]) => [...v, 0, 0, 0, 0].slice(0, 4);
/** Texels per invocation of matmul/pack_tex, pack_tex_rows and pack_tex_cols (their TPI). */
const PACK_TPI = 4;
/** At most this many slabs are copied straight from the operand (one copy each); more go through the staging buffer. */
const PACK_DIRECT_SLABS = 64;

/**
 * Packs rows × cols of an operand (strides rs, cs; batch dims ds with element strides s, broadcast ones left out)
 * into tex: rowsP texture rows per batch item, `width` texels per row, zeros in the padding. Texture stores are
 * lavapipe's slowest write (a scalar loop over lanes and channels per texel), so tex is filled by copyBufferToTexture:
 * straight from the operand where its rows are whole texture rows (contiguous along cols, no padding, 4-aligned
 * offsets, row pitch a multiple of 256 bytes), else from a staging buffer that a pack kernel fills in the texture's
 * layout (packKernel: vec4 loads along contiguous rows or down contiguous columns where aligned, else scalar loads),
 * in chunks of rows within one storage binding.
 * With o.fold = f, every f consecutive rows of that layout are one texture row of f·width texels (the same bytes in
 * the same order: matmul_tex's column-tiled B, packed as 64-column slabs); o.texY is the first texture row written.
 * Folded whole rows are copied too, f strided copies per slab (copyFolded), where f source rows make a multiple of 256
 * bytes.
 * o.padRowsFree: rows rows .. rowsP − 1 of each batch item may hold anything (matmul_tex's A operand: a row of C reads
 * only its own row of A, and rows past m are not stored), so the direct copy serves a ragged last tile too.
 */
export function packTex(dev: Device, w: { binding: Binding; base: number }, tex: TextureBinding, rows: number, cols: number, rs: number, cs: number,
  rowsP: number, width: number, ds: Dim[] = [], s: (d: Dim) => number = () => 0, o: { fold?: number; texY?: number; padRowsFree?: boolean } = {}): void {
  const own = ds.filter((d) => s(d) !== 0), slabs = numel(own.map((d) => d.size)), height = slabs * rowsP;
  const f = o.fold ?? 1, texY = o.texY ?? 0;
  const b = w.binding;
  if ('view' in b) throw new Error('packTex: the operand must be a buffer window');
  if (f > 1 && (rowsP % f !== 0 || (f * width) % 16 !== 0)) throw new Error(`packTex: fold ${f} needs rowsP (${rowsP}) a multiple of it and whole 256-byte texture rows (width ${width})`);
  if (f === 1 && cs === 1 && (rows === rowsP || o.padRowsFree) && cols === 4 * width && rs % 64 === 0 && rs >= cols && w.base % 4 === 0 && own.every((d) => s(d) % 4 === 0)
    && slabs <= PACK_DIRECT_SLABS) {
    for (let i = 0; i < slabs; i++) {
      dev.copyToTexture(b.buffer, b.offset + 4 * slabBase(w.base, own, s, i), 4 * rs, tex, texY + i * rowsP, width, rows);
    }
    return;
  }
  if (f > 1 && cs === 1 && cols === 4 * width && rowsP - rows < f && rs % 4 === 0 && (f * rs) % 64 === 0 && rs >= cols && w.base % 4 === 0 && own.every((d) => s(d) % 4 === 0)
    && slabs <= PACK_DIRECT_SLABS) {
    copyFolded(dev, b, w.base, tex, rows, rs, rowsP, width, f, texY, own, s);
    return;
  }
  const pk = packKernel(w, rows, cols, rs, cs, rowsP, own.map(s)), cols4 = pk.kernel === 'matmul/pack_tex_cols';
  const params = { rows, cols, rs, cs, base: w.base, nb: own.length, rows_p: rowsP, width, bshape: pad4(own.map((d) => d.size)), bs: pad4(own.map(s)) };
  // Through the staging buffer in chunks of rows that fit one binding (fillTexture); per chunk, a run of whole slabs is
  // one dispatch and a slab the chunk cuts is one of its own (rows r0 .. r1 − 1 of slab s0), each bound at its first row.
  fillTexture('packTex', dev, tex, f * width, height / f, (dst, t0, t1, tPitch) => {
    // Texture rows t0 .. t1 − 1 are the layout's rows f·t0 .. f·t1 − 1 (with f > 1, tPitch = f·width exactly).
    const y0 = f * t0, y1 = f * t1, pitch = tPitch / f;
    for (let y = y0; y < y1;) {
      const s0 = Math.floor(y / rowsP), r0 = y - s0 * rowsP, whole = r0 === 0 ? Math.floor((y1 - y) / rowsP) : 0;
      const r1 = whole ? rowsP : Math.min(rowsP, r0 + y1 - y), n = whole ? whole * rowsP : r1 - r0;
      const at = { buffer: dst.buffer, offset: dst.offset + 16 * pitch * (y - y0), size: 16 * pitch * n };
      dev.run({ kernel: pk.kernel, bindings: [pk.binding, at], params: { ...params, pitch, s0, r0, r1 },
        workgroups: [Math.ceil(width / (8 * PACK_TPI)), Math.ceil((r1 - r0) / (cols4 ? 32 : 8)), Math.max(whole, 1)] });
      y += n;
    }
  }, cols4 && f % 4 !== 0 ? 4 : 1, texY);
}

/**
 * packTex's folded layout (f layout rows to a texture row) straight from an operand contiguous along its rows, by
 * copies: per slab, the layout rows j, j + f, j + 2f, ... are one copy into texels j·width .. (j + 1)·width − 1 of the
 * slab's texture rows (source rows f·rs elements apart); the padding rows rows .. rowsP − 1 (all in the slab's last
 * texture row, since rowsP − rows < f) are zeroed from a cleared buffer.
 */
function copyFolded(dev: Device, b: BufferBinding, base: number, tex: TextureBinding, rows: number, rs: number, rowsP: number,
  width: number, f: number, texY: number, own: Dim[], s: (d: Dim) => number): void {
  const R = rowsP / f, pad = rowsP - rows, zeros = pad ? zeroSource('packTex', dev, 16 * width * pad, 1) : null;
  for (let i = 0, slabs = numel(own.map((d) => d.size)); i < slabs; i++) {
    const off = slabBase(base, own, s, i), y = texY + i * R;
    for (let j = 0; j < f && j < rows; j++)
      dev.copyToTexture(b.buffer, b.offset + 4 * (off + j * rs), 4 * f * rs, tex, y, width, Math.ceil((rows - j) / f), j * width);
    if (zeros) dev.copyToTexture(zeros.buffer, zeros.at, zeros.pitch, tex, y + Math.floor(rows / f), width * pad, 1, (rows % f) * width);
  }
  zeros?.t.dispose();
}

/** Element offset of slab i of the batch dims `own` (strides s, last fastest) from base. */
function slabBase(base: number, own: Dim[], s: (d: Dim) => number, i: number): number {
  let off = base;
  for (let d = own.length - 1, rem = i; d >= 0; d--) { off += (rem % own[d]!.size) * s(own[d]!); rem = Math.floor(rem / own[d]!.size); }
  return off;
}

/**
 * matmul_tex's k-major A (define A_KMAJOR): m rows (a multiple of 4, contiguous) at each of k dims (ks elements apart, a
 * multiple of 64) per batch item (ds with element strides s, broadcast ones left out) copied as they are, item i's k
 * rows at texture rows 4·⌈k / 4⌉·i on; rows k .. 4·⌈k / 4⌉ − 1 zeroed from a cleared buffer (the kernel reads them).
 */
function copyKmajor(dev: Device, w: { binding: Binding; base: number }, tex: TextureBinding, m: number, k: number, ks: number,
  ds: Dim[], s: (d: Dim) => number): void {
  const b = w.binding;
  if ('view' in b) throw new Error('copyKmajor: the operand must be a buffer window');
  const own = ds.filter((d) => s(d) !== 0), rowsP = 4 * Math.ceil(k / 4), pad = rowsP - k, width = m / 4;
  const zeros = pad ? zeroSource('copyKmajor', dev, 16 * width, pad) : null;
  for (let i = 0, slabs = numel(own.map((d) => d.size)); i < slabs; i++) {
    dev.copyToTexture(b.buffer, b.offset + 4 * slabBase(w.base, own, s, i), 4 * ks, tex, i * rowsP, width, k);
    if (zeros) dev.copyToTexture(zeros.buffer, zeros.at, zeros.pitch, tex, i * rowsP + k, width, pad);
  }
  zeros?.t.dispose();
}

/**
 * The pack kernel for a layout, and the binding it reads. The vec4 kernels read whole aligned vec4s, a ragged edge's
 * included, so they bind the window rounded up to 16 bytes (within the buffer; otherwise the scalar kernel runs).
 */
export function packKernel(w: { binding: Binding; base: number }, rows: number, cols: number, rs: number, cs: number, rowsP: number,
  slabStrides: number[]): { kernel: 'matmul/pack_tex' | 'matmul/pack_tex_rows' | 'matmul/pack_tex_cols'; binding: Binding } {
  const general = { kernel: 'matmul/pack_tex', binding: w.binding } as const;
  const b = w.binding;
  if (rows === 0 || cols === 0 || 'view' in b || w.base % 4 !== 0 || slabStrides.some((x) => x % 4 !== 0)) return general;
  const kernel = cs === 1 && (rs % 4 === 0 || rows === 1) ? 'matmul/pack_tex_rows'
    : rs === 1 && (cs % 4 === 0 || cols === 1) && rowsP % 4 === 0 ? 'matmul/pack_tex_cols' : null;
  if (!kernel) return general;
  const size = Math.ceil(b.size / 16) * 16;
  if (b.offset + size > b.buffer.size) return general;
  return { kernel, binding: { ...b, size } };
}

/** matmul_tex's walk over B (kernel header): row-major (with conv2d's shifted blocks) or column-tiled. */
const bWalk = (t: TexProduct) => t.bTiled
  ? { kpb: t.bTiled.q, xstep: 0, b_ts: t.bTiled.ts, kblk: t.bTiled.blocks?.steps ?? 0, b_bshift: t.bTiled.blocks?.shift ?? 0 }
  : { kpb: t.kpb ?? t.kq, xstep: t.xstep ?? 0, b_ts: 0, kblk: 0, b_bshift: 0 };

/**
 * Steps of 4 per texture row of a column-tiled B with `tiles` tiles of `items` batch items and kq steps each: the
 * fewest (a power of two) that keep it within T texels each way, or 0 where none does.
 */
export function tiledSteps(T: number, tiles: number, items: number, kq: number): number {
  for (let q = 1; TILE_N * q <= T; q *= 2) if (tiles * items * Math.ceil(kq / q) <= T) return q;
  return 0;
}

/**
 * Packs B (k rows × n columns, strides rs and cs; batch dims ds with element strides s, broadcast ones left out) into
 * tex in matmul_tex's column-tiled layout with q steps per texture row: the whole 64-column tiles as slabs of one
 * pack (tile outermost), folded 4·q layout rows to a texture row, then the ragged last tile's columns. Zeros pad k to
 * 4·q·R rows and the last tile to 64 columns. Returns the kernel's description of the layout.
 */
export function packTiledB(dev: Device, w: { binding: Binding; base: number }, tex: TextureBinding, k: number, n: number, rs: number, cs: number,
  q: number, ds: Dim[] = [], s: (d: Dim) => number = () => 0): TiledB {
  const own = ds.filter((d) => s(d) !== 0), items = numel(own.map((d) => d.size));
  if (own.length > 3) throw new Error(`packTiledB: ${own.length} batch dims of B leave the pack no dim for the column tiles (at most 3)`);
  const R = Math.ceil(Math.ceil(k / 4) / q), rowsP = 4 * q * R, full = Math.floor(n / TILE_N), rest = n - full * TILE_N;
  const tile: Dim = { size: full, a: 0, b: 0, c: 0 };
  if (full) packTex(dev, w, tex, k, TILE_N, rs, cs, rowsP, TILE_N / 4, [tile, ...own], (d) => (d === tile ? TILE_N * cs : s(d)), { fold: 4 * q });
  if (rest) packTex(dev, { binding: w.binding, base: w.base + full * TILE_N * cs }, tex, k, rest, rs, cs, rowsP, TILE_N / 4, own, s, { fold: 4 * q, texY: full * items * R });
  return { q, ts: items * R };
}

/**
 * Width and height (texels) of matmul_tex's B texture for n columns, `items` batch items and kq steps of 4: column-tiled
 * with q steps per texture row (packTiledB), or row-major where q is 0.
 */
export function bTextureSize(n: number, items: number, kq: number, q: number): [number, number] {
  const tiles = Math.ceil(n / TILE_N);
  return q ? [TILE_N * q, tiles * items * Math.ceil(kq / q)] : [tiles * (TILE_N / 4), items * 4 * kq];
}

/**
 * Packs B (k × n, strides rs and cs; batch dims ds with element strides s) into tex as bTextureSize lays it out:
 * column-tiled with q steps per texture row, or row-major where q is 0. Returns the layout for runMatmulTex (bTiled)
 * and the texture rows of one batch item (what bBs counts).
 */
export function packB(dev: Device, w: { binding: Binding; base: number }, tex: TextureBinding, k: number, n: number, rs: number, cs: number,
  q: number, ds: Dim[] = [], s: (d: Dim) => number = () => 0): { bTiled?: TiledB; itemRows: number } {
  const kq = Math.ceil(k / 4);
  if (q) return { bTiled: packTiledB(dev, w, tex, k, n, rs, cs, q, ds, s), itemRows: Math.ceil(kq / q) };
  packTex(dev, w, tex, k, n, rs, cs, 4 * kq, bTextureSize(n, 1, kq, 0)[0], ds, s);
  return { itemRows: 4 * kq };
}

/** One matmul/matmul_tex dispatch on packed operands (layouts in the kernel's header). */
export interface TexProduct {
  texA: TextureBinding; texB: TextureBinding;
  /** Product sizes; kq steps of 4 in k; mp: A's texture rows per batch item (m padded to TILE_M). */
  m: number; n: number; kq: number; mp: number;
  c: { binding: Binding; base: number }; cRs: number;
  /** The bias window, added per column n or, with biasPerRow, per row m. */
  bias: { binding: Binding; base: number } | null; biasPerRow?: boolean;
  /** Bound in the bias slot when there is none: any buffer other than C's (one buffer may not be read and written). */
  dummy: Binding;
  /** Add into C (later k chunks). */
  accumulate: boolean;
  /** Batch dims (≤ 4) with texture rows per step in A and B (0 where broadcast) and C's element stride. */
  bshape: number[]; aBs: number[]; bBs: number[]; cBs: number[];
  /** B read in blocks of kpb steps of k from the same rows, each block xstep texels further right (default: one block). */
  kpb?: number; xstep?: number;
  /** A's first texture row and texel column (default 0): an output-channel and k range of a larger weight texture. */
  aY0?: number; aX0?: number;
  /** A's rows in blocks of aRpb (a multiple of TILE_M), block j shifted right by j·aXstep texels (default: one block). */
  aRpb?: number; aXstep?: number;
  /** B in column tiles (packTiledB) instead of row-major; bBs then counts texture rows of the tiled layout. */
  bTiled?: TiledB;
  /** A k-major (copyKmajor; aBs counts its texture rows, 4·kq per item); aY0, aX0, aRpb and aXstep unused. */
  aKmajor?: boolean;
  /** Columns are pixels of consecutive images, p per image, the images bs elements apart in C (conv2d on small planes). */
  fold?: { p: number; bs: number };
}
/**
 * matmul_tex's column-tiled B (kernel header): each 64-column tile of each batch item is its k rows in order, q steps
 * of 4 rows per texture row (64·q texels), items after one another within a tile (rows R = ceil(kq / q) each) and
 * tiles ts = items·R rows apart.
 */
export interface TiledB {
  q: number; ts: number;
  /** Read in blocks of `steps` steps, each from the start of a tile `shift` texture rows past the previous block's. */
  blocks?: { steps: number; shift: number };
}
/** The texture product's kernel on this adapter (profile.textureMatmul): A's rows shared through the subgroup, or loaded by every lane. */
export function texTileKernel(dev: Device): 'matmul/matmul_tex' | 'matmul/matmul_tex_loads' {
  return dev.profile.subgroups8 ? 'matmul/matmul_tex' : 'matmul/matmul_tex_loads';
}
export function runMatmulTex(dev: Device, t: TexProduct): void {
  // At most 32 columns: the 32 × 32 tile (define NARROW), not half a 64-column tile of padding, where the product is
  // big enough to pay for the narrow pipeline (profile matmulNarrowMin).
  const narrow = t.n <= TILE_N / 2 && t.m * t.n * 4 * t.kq * numel(t.bshape) >= dev.profile.matmulNarrowMin;
  if (narrow && t.aKmajor) throw new Error('runMatmulTex: the narrow tile does not read a k-major A');
  dev.run({
    kernel: texTileKernel(dev), defines: { B_TILED: String(!!t.bTiled), B_BLOCKS: String(!!t.bTiled?.blocks), NARROW: String(narrow), A_KMAJOR: String(!!t.aKmajor) }, bindings: [t.texA, t.texB, t.bias?.binding ?? t.dummy, t.c.binding],
    params: { m: t.m, n: t.n, kq: t.kq, flags: (t.bias ? (t.biasPerRow ? 4 : 1) : 0) | (t.accumulate ? 2 : 0), c_base: t.c.base,
      bias_base: t.bias?.base ?? 0, c_rs: t.cRs, nb: t.bshape.length, a_y0: t.aY0 ?? 0, a_x0: t.aX0 ?? 0, a_rpb: t.aRpb ?? 0xffffffff, a_xstep: t.aXstep ?? 0, ...bWalk(t), fold_p: t.fold?.p ?? 0, fold_bs: t.fold?.bs ?? 0, pad0: 0, bshape: pad4(t.bshape), a_bs: pad4(t.aBs), b_bs: pad4(t.bBs), c_bs: pad4(t.cBs) },
    workgroups: [Math.ceil(t.n / (narrow ? TILE_N / 2 : TILE_N)), t.mp / TILE_M, numel(t.bshape)],
  });
}

/**
 * gemm through the texture kernel: per dispatch chunk, matmul/pack_tex copies A's rows (texels along k) and B's rows
 * (texels along n) into scratch storage textures, zero-padded to whole tiles, and matmul_tex reads only those. Each
 * operand is packed once per distinct batch item (broadcast dims are left out, the kernel steps 0 rows along them).
 * Chunks keep the textures within maxTextureDimension2D as well as the windows within the binding limit.
 */
function gemmTex(op: string, g: Geometry, A: Mat, B: Mat, out: Tensor, bias: Tensor | null): void {
  const dev = out.dev, T = dev.maxTexture2D, { dims, M, N, K, aRs, cRs } = g;
  const tiles = Math.ceil(N / TILE_N);
  /** The dims a dispatch of plan p covers, the first cut to bc items. */
  const innerOf = (p: Plan) => dims.slice(p.h).map((d, i) => (i === 0 ? { ...d, size: p.bc } : d));
  const items = (ds: Dim[], s: (d: Dim) => number) => numel(ds.filter((d) => s(d) !== 0).map((d) => d.size));
  // B column-tiled (read front to back; packTiledB) unless its batch dims leave the pack no dim for the tiles.
  const tiled = dims.filter((d) => d.b !== 0).length <= 3, qMax = 2 ** Math.floor(Math.log2(T / TILE_N));
  const over = (x: number) => Math.max(0, x / T - 1);
  // A k-major (define A_KMAJOR) where its rows are contiguous (aᵀ of a row-major a: dyᵀ in linear's weight gradient)
  // and each k's rows can be copied as whole texels: one copy per batch item instead of the transposing pack.
  const aKmajor = aRs === 1 && M % 4 === 0 && A.cs % 64 === 0 && A.cs >= M && N > TILE_N / 2 && A.t.offset % 4 === 0
    && dims.every((d) => d.a % 4 === 0) && items(dims, (d) => d.a) <= PACK_DIRECT_SLABS;
  const texExcess = (p: Plan) => {
    const inner = innerOf(p), kq = Math.ceil(p.kc / 4), ia = items(inner, (d) => d.a), ib = items(inner, (d) => d.b), mp = roundUp(p.mc, TILE_M);
    return (aKmajor ? over(mp / 4) + over(ia * 4 * kq) : over(kq) + over(ia * mp)) + over(tiled ? tiles * ib * Math.ceil(kq / qMax) : ib * 4 * kq);
  };
  const pl = plan(op, dev, g, A, B, TILE_M, 4, texExcess);
  const kqMax = Math.ceil(pl.kc / 4), ibMax = items(innerOf(pl), (d) => d.b), q = tiled ? tiledSteps(T, tiles, ibMax, kqMax) : 0;
  const iaMax = items(innerOf(pl), (d) => d.a), mpMax = roundUp(pl.mc, TILE_M);
  const texA = aKmajor ? dev.scratchTexture('matmul.ak', mpMax / 4, iaMax * 4 * kqMax) : dev.scratchTexture('matmul.a', kqMax, iaMax * mpMax);
  const texB = dev.scratchTexture('matmul.b', ...bTextureSize(N, ibMax, kqMax, q));

  const host = dims.slice(0, pl.h), inner = dims.slice(pl.h), lead = inner[0] ?? { size: 1, a: 0, b: 0, c: 0 };
  const b1 = bias ? contiguous(bias) : null;
  /** Texture rows per step of each dim for the operand with strides s (row-major over its own dims, 0 where broadcast). */
  const texStrides = (ds: Dim[], s: (d: Dim) => number, slabRows: number) => {
    const out: number[] = [];
    for (let i = ds.length - 1, acc = slabRows; i >= 0; i--) {
      const d = ds[i]!;
      out[i] = s(d) === 0 ? 0 : acc;
      if (s(d) !== 0) acc *= d.size;
    }
    return out;
  };
  for (let hi = 0; hi < numel(host.map((d) => d.size)); hi++) {
    const [a0, bb0, c0] = hostOffsets(host, hi, A, B, out);
    for (let i0 = 0; i0 < lead.size; i0 += pl.bc) {
      const chunk = inner.map((d, i) => (i === 0 ? { ...d, size: Math.min(pl.bc, d.size - i0) } : d));
      for (let k0 = 0; k0 < K; k0 += pl.kc) {
        const kc = Math.min(pl.kc, K - k0), kq = Math.ceil(kc / 4);
        const lb = bb0 + i0 * lead.b + k0 * B.rs;
        const [, eb] = spans(g, A, B, { ...pl, bc: chunk[0]?.size ?? 1, mc: M, kc });
        const wb = B.t.window(op, lb, lb + eb);
        const { bTiled, itemRows } = packB(dev, wb, texB, kc, N, B.rs, B.cs, q, chunk, (d) => d.b);
        for (let m0 = 0; m0 < M; m0 += pl.mc) {
          const mc = Math.min(pl.mc, M - m0), mp = roundUp(mc, TILE_M);
          const [ea, , ec] = spans(g, A, B, { ...pl, bc: chunk[0]?.size ?? 1, mc, kc });
          const la = a0 + i0 * lead.a + m0 * aRs + k0 * A.cs, lc = c0 + i0 * lead.c + m0 * cRs;
          const wa = A.t.window(op, la, la + ea), wc = out.window(op, lc, lc + ec);
          if (aKmajor) copyKmajor(dev, wa, texA, mc, kc, A.cs, chunk, (d) => d.a);
          else packTex(dev, wa, texA, mc, kc, aRs, A.cs, mp, kq, chunk, (d) => d.a, { padRowsFree: true });
          const wbias = b1 && k0 === 0 ? b1.window(op, b1.offset, b1.offset + N) : null;
          runMatmulTex(dev, { texA, texB, m: mc, n: N, kq, mp, c: wc, cRs, bias: wbias, dummy: wa.binding, accumulate: k0 > 0, aKmajor,
            bshape: chunk.map((d) => d.size), aBs: texStrides(chunk, (d) => d.a, aKmajor ? 4 * kq : mp), bBs: texStrides(chunk, (d) => d.b, itemRows), cBs: chunk.map((d) => d.c), bTiled });
        }
      }
    }
  }
  if (b1 && b1 !== bias) b1.dispose();
}

/** op(a)·op(b) without autograd: the batched, broadcast product into a fresh contiguous tensor. */
function product(op: string, a: Tensor, b: Tensor, transA: boolean, transB: boolean, bias: Tensor | null = null, forced?: string): Tensor {
  const A = mat(op, a, transA, 'a'), B = mat(op, b, transB, 'b');
  if (A.cols !== B.rows)
    throw new Error(`${op}: inner dimensions differ: a ${fmt(a.shape)}${transA ? 'ᵀ' : ''} has K=${A.cols}, b ${fmt(b.shape)}${transB ? 'ᵀ' : ''} has K=${B.rows}`);
  let batch: number[];
  try { batch = broadcastShapes(op, A.batch, B.batch); }
  catch { throw new Error(`${op}: batch dims of a ${fmt(a.shape)} and b ${fmt(b.shape)} cannot be broadcast together`); }
  const out = empty(a.dev, [...batch, A.rows, B.cols], 'f32', op);
  // Work: 2·M·N·K per batch item; bytes: each operand's own elements (broadcast ones once) and the output.
  a.dev.counter?.op(op, 'matmul', 2 * numel(batch) * A.rows * B.cols * A.cols,
    4 * (numel(A.batch) * A.rows * A.cols + numel(B.batch) * A.cols * B.cols + out.numel + (bias ? B.cols : 0)),
    { batch: numel(batch), M: A.rows, N: B.cols, K: A.cols, bias: bias ? 1 : 0 });
  gemm(op, A, B, out, bias, forced);
  return out;
}

const needs = (t: Tensor) => t.requiresGrad || !!t.node;
/** Sums a broadcast gradient down to `shape` and frees the unreduced one. */
function reduceTo(g: Tensor, shape: readonly number[]): Tensor {
  const r = sumTo(g, shape);
  if (r !== g) g.dispose();
  return r;
}
/** x viewed as 2-D [rows, last dim]; a copy only when x is strided. */
const rows2d = (x: Tensor) => reshape(x, [-1, x.shape[x.ndim - 1]!]);
const drop = (t: Tensor, keep: Tensor) => { if (t !== keep) t.dispose(); };

// ---- matmul ----------------------------------------------------------------------------------------------------
/**
 * op(a) @ op(b) over [..., M, K] @ [..., K, N] with broadcast leading dims; op transposes the last two dims when
 * opts.transA / opts.transB is set (read through strides, never materialised). Strided views work as they are.
 */
export function matmul(a: Tensor, b: Tensor, opts: MatmulOpts = {}): Tensor {
  const tA = !!opts.transA, tB = !!opts.transB;
  const y = product('matmul', a, b, tA, tB, null, opts.variant);
  // dA = dC·op(B)ᵀ and dB = op(A)ᵀ·dC, written with transpose flags; summed over broadcast batch dims.
  return record(y, 'matmul', [a, b], (g) => [needs(a) ? matmulGradA(g, a, b, tA, tB) : null, needs(b) ? matmulGradB(g, a, b, tA, tB) : null]);
}
function matmulGradA(g: Tensor, a: Tensor, b: Tensor, tA: boolean, tB: boolean): Tensor {
  const full = tA ? product('matmul.gradA', b, g, tB, true) : product('matmul.gradA', g, b, false, !tB);
  return reduceTo(full, a.shape);
}
function matmulGradB(g: Tensor, a: Tensor, b: Tensor, tA: boolean, tB: boolean): Tensor {
  const shared = numel(b.shape.slice(0, -2)) === 1 && numel(a.shape.slice(0, -2)) > 1;
  if (shared && !tA) {
    // b is shared by every batch item: fold the batch into k, one product, no reduction.
    const a2 = rows2d(a), g2 = rows2d(g);
    const d = tB ? product('matmul.gradB', g2, a2, true, false) : product('matmul.gradB', a2, g2, true, false);
    drop(a2, a); drop(g2, g);
    const r = reshape(d, b.shape);
    drop(d, r);
    return r;
  }
  const full = tB ? product('matmul.gradB', g, a, true, tA) : product('matmul.gradB', a, g, !tA, false);
  return reduceTo(full, b.shape);
}

// ---- linear ----------------------------------------------------------------------------------------------------
export interface LinearOpts {
  /** w laid out by prepareLinear(w) (the same elements of the same buffer): the forward packs only x. Inference only. */
  prepared?: PreparedLinear;
}

/** PyTorch's Linear: x [..., in] · wᵀ + b with w [out, in], b [out]; the bias is added in the kernel's epilogue. */
export function linear(x: Tensor, w: Tensor, b?: Tensor | null, opts: LinearOpts = {}): Tensor {
  const op = 'linear';
  if (w.ndim !== 2 || x.ndim < 1 || x.shape[x.ndim - 1] !== w.shape[1])
    throw new Error(`linear: x ${fmt(x.shape)} and w ${fmt(w.shape)} do not match (need x [..., in] and w [out, in])`);
  if (b && (b.ndim !== 1 || b.shape[0] !== w.shape[0])) throw new Error(`linear: bias ${fmt(b.shape)} does not match w ${fmt(w.shape)} (need [${w.shape[0]}])`);
  const prep = opts.prepared ?? null;
  if (prep) checkPreparedLinear(prep, w, b ?? null);
  const x2 = x.ndim === 1 ? rows2d(x) : x;   // a 1-D x is one row: [in] -> [1, in] -> [1, out] -> [out]
  const y2 = prep?.tex && texturePreparedRows(x2) >= x.dev.profile.linearPreparedMinRows
    ? productPrepared(op, x2, prep, b ?? null) : product(op, x2, w, false, true, b ?? null);
  drop(x2, x);
  const y = x.ndim === 1 ? reshape(y2, [w.shape[0]!]) : y2;
  drop(y2, y);
  return record(y, op, b ? [x, w, b] : [x, w], (g) => {
    // dx = dy·w; dw = dyᵀ·x with k = every row of the batch (split into chunks when large); db = Σ over the rows of dy.
    const g2 = rows2d(g);
    let gx: Tensor | null = null, gw: Tensor | null = null, gb: Tensor | null = null;
    if (needs(x)) { const d = product('linear.gradX', g2, w, false, false); gx = reshape(d, x.shape); drop(d, gx); }
    if (needs(w)) { const x2 = rows2d(x); gw = product('linear.gradW', g2, x2, true, false); drop(x2, x); }
    // db: a column sum where dy fits one storage binding (reduce/reduce_blocks, faster than the product 1ᵀ·dy on
    // lavapipe: docs/LAVAPIPE_FINDINGS.md, "Copies instead of pack kernels"), else that product, which splits.
    if (b && needs(b) && g2.isContiguous && 4 * g2.numel <= g.dev.maxBinding - g.dev.storageAlign) gb = reduceRaw('linear.gradB', 'sum', g2, [0], false);
    else if (b && needs(b)) {
      const one = fill(g.dev, [1], 1), ones = view(one, [1, g2.shape[0]!], [0, 0], one.offset);
      const d = product('linear.gradB', ones, g2, false, false);
      gb = reshape(d, [b.shape[0]!]);
      for (const t of [one, ones]) t.dispose();
      drop(d, gb);
    }
    drop(g2, g);
    return b ? [gx, gw, gb] : [gx, gw];
  });
}

// ---- linear weights laid out for inference -----------------------------------------------------------------------
/**
 * A linear weight w [N, K] laid out once for inference (prepareLinear): wᵀ as matmul_tex's column-tiled B texture
 * (packTiledB: each 64 outputs' weights in k order, zeros in the padding), so linear's texture path packs only x
 * instead of x and w at every call. `tex` is null where the adapter has no texture matmul or w exceeds its texture
 * or binding limits: linear then runs as without it. A copy of w's values when prepared: prepare again after changing
 * w. dispose() frees it; linear refuses a disposed one.
 */
export interface PreparedLinear {
  readonly weight: Tensor;
  readonly tex: TextureBinding | null;
  /** tex's layout (null with tex). */
  readonly tiled: TiledB | null;
  /** GPU bytes the layout holds. */
  readonly bytes: number;
  readonly disposed: boolean;
  dispose(): void;
}

/**
 * Lays w [N, K] (any strides: a row block of a larger weight works) out for linear's forward; pass it as
 * opts.prepared to every linear call on the same w, under noGrad or with a w that requires no gradient; dispose() it
 * after (it is kept out of scopes). From profile.linearPreparedMinRows rows of x the forward runs on the texture
 * matmul with this layout, below it on the product the profile picks without it (the 32-row tile would mostly be
 * padding).
 */
export function prepareLinear(w_NK: Tensor): PreparedLinear {
  const op = 'prepareLinear';
  w_NK.assertLive(op);
  if (w_NK.ndim !== 2 || w_NK.dtype !== 'f32') throw new Error(`${op}: w must be an f32 [out, in] tensor, got ${w_NK}`);
  const [N, K] = w_NK.shape as [number, number];
  const dev = w_NK.dev, T = dev.maxTexture2D, kq = Math.ceil(K / 4), tiles = Math.ceil(N / TILE_N);
  const [rs, cs] = w_NK.strides as [number, number];
  const span = N && K ? 1 + (N - 1) * rs + (K - 1) * cs : 0;
  const q = N > 0 && K > 0 ? tiledSteps(T, tiles, 1, kq) : 0;
  const able = dev.profile.matmul.includes('texture-32x64') && q > 0 && span <= Math.floor((dev.maxBinding - 2 * dev.storageAlign) / 4);
  let tex: TextureBinding | null = null, tiled: TiledB | null = null;
  if (able) {
    tex = dev.createTexture(`linear.prepared ${fmt(w_NK.shape)}`, ...bTextureSize(N, 1, kq, q));
    // B = wᵀ: B's rows are w's columns (stride cs), B's columns w's rows (stride rs).
    tiled = noGrad(dev, () => packTiledB(dev, w_NK.window(op, w_NK.offset, w_NK.offset + span), tex!, K, N, cs, rs, q));
  }
  let disposed = false;
  return {
    weight: w_NK, tex, tiled, bytes: tex ? 16 * bTextureSize(N, 1, kq, q).reduce((a, b) => a * b) : 0,
    get disposed() { return disposed; },
    dispose() { if (disposed) return; disposed = true; if (tex) dev.destroyTexture(tex); },
  };
}

/** Whether two tensors view the same elements: one buffer, offset, shape and strides. */
const sameView = (a: Tensor, b: Tensor) => a.storage === b.storage && a.offset === b.offset
  && a.shape.length === b.shape.length && a.shape.every((d, i) => d === b.shape[i] && a.strides[i] === b.strides[i]);

/** A prepared weight must view this call's w, be live, and w and b must receive no gradient. */
function checkPreparedLinear(p: PreparedLinear, w: Tensor, b: Tensor | null): void {
  if (p.disposed) throw new Error(`linear: the prepared weight (w ${fmt(p.weight.shape)}) was disposed`);
  if (!sameView(p.weight, w))
    throw new Error(`linear: the prepared weight was made for w ${fmt(p.weight.shape)} (tensor ${p.weight.id}), not for this call's w ${fmt(w.shape)} (tensor ${w.id}); call prepareLinear(w) with this call's weight`);
  if (needsGrad(w) || (b && needsGrad(b)))
    throw new Error(`linear: a prepared weight is for inference, but ${needsGrad(w) ? `w ${fmt(w.shape)}` : `b ${fmt(b!.shape)}`} requires grad here; run under noGrad() or call linear without opts.prepared`);
}

/** Rows of x [..., K] as the prepared product sees them. */
const texturePreparedRows = (x2: Tensor) => numel(x2.shape.slice(0, -1));

/**
 * x [..., K] · wᵀ (+ b) on the texture matmul with w's prepared texture: x is viewed as rows (a copy only when strided
 * past that), packed per chunk of rows into the scratch A texture, and each chunk is one matmul_tex dispatch. Chunks
 * keep the A texture within maxTextureDimension2D and x's and y's windows within the binding limit.
 */
function productPrepared(op: string, x: Tensor, p: PreparedLinear, bias: Tensor | null): Tensor {
  const dev = x.dev, [N, K] = p.weight.shape as [number, number];
  const x2 = rows2d(x), M = x2.shape[0]!, [rs, cs] = x2.strides as [number, number];
  const out = empty(dev, [...x.shape.slice(0, -1), N], 'f32', op);
  dev.counter?.op(op, 'matmul', 2 * M * N * K, 4 * (M * K + N * K + out.numel + (bias ? N : 0)), { batch: 1, M, N, K, bias: bias ? 1 : 0 });
  const maxEl = Math.floor((dev.maxBinding - 2 * dev.storageAlign) / 4), kq = Math.ceil(K / 4);
  // Rows per dispatch: the A texture's height, and x's and y's windows of that many rows, within the limits.
  const xRows = rs > 0 ? Math.floor((maxEl - 1 - (K - 1) * cs) / rs) + 1 : Infinity;
  const fitRows = Math.floor(Math.min(dev.maxTexture2D, xRows, Math.floor(maxEl / N)) / TILE_M) * TILE_M;
  if (fitRows < TILE_M) throw new RangeError(`${op}: ${TILE_M} rows of x ${fmt(x.shape)} or of its output [${N}] exceed this adapter's maxStorageBufferBindingSize (${dev.maxBinding / 2 ** 20} MiB)`);
  const mc = Math.min(roundUp(M, TILE_M), fitRows);
  const texA = dev.scratchTexture('matmul.a', kq, mc);
  const b1 = bias ? contiguous(bias) : null;
  for (let m0 = 0; m0 < M; m0 += mc) {
    const m = Math.min(mc, M - m0), mp = roundUp(m, TILE_M);
    const la = x2.offset + m0 * rs, wa = x2.window(op, la, la + 1 + (m - 1) * rs + (K - 1) * cs);
    const wc = out.window(op, out.offset + m0 * N, out.offset + (m0 + m) * N);
    packTex(dev, wa, texA, m, K, rs, cs, mp, kq, [], () => 0, { padRowsFree: true });
    runMatmulTex(dev, { texA, texB: p.tex!, m, n: N, kq, mp, c: wc, cRs: N, bias: b1 ? b1.window(op, b1.offset, b1.offset + N) : null,
      dummy: wa.binding, accumulate: false, bshape: [], aBs: [], bBs: [], cBs: [], bTiled: p.tiled! });
  }
  if (b1 && b1 !== bias) b1.dispose();
  if (x2 !== x) x2.dispose();
  return out;
}
