// attention/forward_tex: O[b,h,i] = Σ_j softmax_j(scale·q_i·k_j | j visible) v_j and LSE[b,h,i] = log Σ_j exp(...), as
//   attention/forward, with q, k and v read from read-only storage textures packed by attention/pack_tex.
// Bindings: 0 tr (read-only rgba32float storage texture, rows layout: Q at x = bhl·d4 + c, y = query; V at x = vx +
//   bhl·d4 + c, y = key), 1 tc (same, columns layout: Kᵀ at x = key / 4, y = bhl·4·d4 + d), 2 LVQ, 3 LVK (read, i32
//   level ids), 4 O (read_write, vec4 rows), 5 LSE (read_write, f32), 6 Params (uniform). bhl = bh - bh0; every
//   padding texel (rows past Lq or Lk up to whole tiles) holds zeros.
// Params: H, Lq, Lk, d4 (head dim / 4), nblk (32-row query blocks per head), n_groups, scale; bh0: the first
//   head (bh = b·H + h, counted from the windows' first batch) of this dispatch; vx: V's first texel column; rounds: 8
//   (the P·V loop's trip count, passed so that the loop stays a loop); lay[s] = (base, batch, head, row) strides of
//   slots LVQ, LVK, O, LSE in their element units.
// Defines: NC = ceil(d4 / 8): vec4 output columns per lane; MASKED (true, false): levels are read and key blocks no
//   row sees are skipped (a define, not a Params flag: a uniform `if` around that code in the key loop made the masked
//   kernel slower; docs/LAVAPIPE_FINDINGS.md, "A branch in the k loop").
// Dispatch: a workgroup of exactly 8 invocations in one subgroup of at least 8 (llvmpipe: its SIMD width), as
//   matmul/matmul_tex. Workgroup g covers query rows i0 = 32·(g % nblk) .. +31 of head bh0 + g / nblk; keys go by
//   blocks of 64, lane l owning keys 8l .. 8l+7 of a block. Scores: per step of 4 in the head dim lane l loads the Q
//   texels of rows i0 + l + 8q (q = 0..3), subgroupBroadcast hands all 32 rows to every lane, and its 8 Kᵀ texels (8
//   keys × 4 dims) give 256 multiply-adds per 12 texel loads into 64 vec4 accumulators, written out with literal
//   indices (lavapipe keeps a private array in registers only when every index is a constant; _lib/tex_tile.wgsl,
//   shared with matmul/matmul_tex). Online softmax per row, the row maximum over the lanes from broadcasts
//   (_lib/bcast8.wgsl max8f). Output: lane l owns vec4 columns l, l + 8, ..; per round of 8 keys (one of each lane) it
//   loads their V texels of its columns and receives every row's 8 probabilities by subgroupBroadcast (the score tile
//   and these rounds: _lib/attn_tex_block.wgsl). Key blocks no row of the workgroup sees are skipped (the workgroup is
//   one subgroup, so a subgroup-uniform `continue` is uniform). Grid folded to (x, y).
// Numerics: f32; online softmax (running max, running sum, output rescaled by exp(m_old - m_new) once per key block);
//   masked keys contribute exactly 0; a query that sees no key gets O = 0, LSE = -3e38. Sums run in another order than
//   attention/forward's: results agree to rounding.
enable subgroups;
diagnostic(off, subgroup_uniformity);
const NC: u32 = {{NC}}u;  // vec4 output columns per lane
const MASKED: bool = {{MASKED}};
const NEG: f32 = -3.0e38; // "minus infinity" for running maxima
const BIG: i32 = 0x7fffffff;

struct Params { H: u32, Lq: u32, Lk: u32, d4: u32, nblk: u32, n_groups: u32, scale: f32,
  bh0: u32, vx: u32, rounds: u32, pad0: u32, lay: array<vec4u, 4> }
@group(0) @binding(0) var tr: texture_storage_2d<rgba32float, read>;
@group(0) @binding(1) var tc: texture_storage_2d<rgba32float, read>;
@group(0) @binding(2) var<storage, read> LVQ: array<i32>;
@group(0) @binding(3) var<storage, read> LVK: array<i32>;
@group(0) @binding(4) var<storage, read_write> O: array<vec4f>;
@group(0) @binding(5) var<storage, read_write> LSE: array<f32>;
@group(0) @binding(6) var<uniform> p: Params;

// m: running max (subgroup-uniform); lsum: this lane's share of the running sum; lq: every row's level. tile (the
// scores), pr (the probabilities), acc (the outputs) and yb: _lib/attn_tex_block.wgsl.
var<private> m: array<f32, 32>;
var<private> lsum: array<f32, 32>;
var<private> lq: array<i32, 32>;

// Index of row i of (b, h) in slot s (LVQ 0, LVK 1, O 2, LSE 3).
fn at(s: u32, b: u32, h: u32, i: u32) -> u32 { let l = p.lay[s]; return l.x + b * l.y + h * l.z + i * l.w; }

@compute @workgroup_size(8)
fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let g = wid.x + wid.y * nwg.x;
  if (g >= p.n_groups) { return; } // surplus workgroups of a folded grid: the whole workgroup leaves
  let blk = g % p.nblk; let bhl = g / p.nblk; let bhg = p.bh0 + bhl;
  let l = lid.x;
  let i0 = blk * 32u;

  // Every row's level (row 8q + t is lane t's q-th row) and the rows' highest level.
  var lq_hi = -BIG;
  for (var q = 0u; q < 4u; q++) {
    var mine = 0;
    if (MASKED) { mine = LVQ[at(0u, 0u, 0u, min(i0 + l + 8u * q, p.Lq - 1u))]; }
    let all = bcast8i(mine);
    for (var t = 0u; t < 8u; t++) { lq[8u * q + t] = all[t]; }
    lq_hi = max(lq_hi, subgroupMax(mine));
  }
  m = array<f32, 32>(NEG, NEG, NEG, NEG, NEG, NEG, NEG, NEG, NEG, NEG, NEG, NEG, NEG, NEG, NEG, NEG,
                     NEG, NEG, NEG, NEG, NEG, NEG, NEG, NEG, NEG, NEG, NEG, NEG, NEG, NEG, NEG, NEG);
  let ax = bhl * p.d4; let by = bhl * 4u * p.d4; let yx = p.vx + bhl * p.d4;

  for (var j0 = 0u; j0 < p.Lk; j0 += 64u) {
    let jl = j0 + 8u * l;
    let in0 = vec4u(jl) + vec4u(0u, 1u, 2u, 3u) < vec4u(p.Lk);
    let in1 = vec4u(jl) + vec4u(4u, 5u, 6u, 7u) < vec4u(p.Lk);
    var lk0 = vec4i(0); var lk1 = vec4i(0);
    if (MASKED) {
      let c0 = min(vec4u(jl) + vec4u(0u, 1u, 2u, 3u), vec4u(p.Lk - 1u)); let c1 = min(vec4u(jl) + vec4u(4u, 5u, 6u, 7u), vec4u(p.Lk - 1u));
      lk0 = vec4i(LVK[at(1u, 0u, 0u, c0.x)], LVK[at(1u, 0u, 0u, c0.y)], LVK[at(1u, 0u, 0u, c0.z)], LVK[at(1u, 0u, 0u, c0.w)]);
      lk1 = vec4i(LVK[at(1u, 0u, 0u, c1.x)], LVK[at(1u, 0u, 0u, c1.y)], LVK[at(1u, 0u, 0u, c1.z)], LVK[at(1u, 0u, 0u, c1.w)]);
      let mn = min(lk0, lk1);
      if (subgroupMin(min(min(mn.x, mn.y), min(mn.z, mn.w))) > lq_hi) { continue; } // no row sees a key of the block
    }

    // Scores tile = Q·Kᵀ, 4 dims per step (texels past Lq or Lk hold zeros).
    attn_tex_scores(ax, i0 + l, j0 / 4u + 2u * l, by);

    // Online softmax, row by row: probabilities into pr, running max and sums, outputs rescaled.
    soft(0u, lk0, lk1, in0, in1); soft(1u, lk0, lk1, in0, in1); soft(2u, lk0, lk1, in0, in1); soft(3u, lk0, lk1, in0, in1); soft(4u, lk0, lk1, in0, in1); soft(5u, lk0, lk1, in0, in1); soft(6u, lk0, lk1, in0, in1); soft(7u, lk0, lk1, in0, in1);
    soft(8u, lk0, lk1, in0, in1); soft(9u, lk0, lk1, in0, in1); soft(10u, lk0, lk1, in0, in1); soft(11u, lk0, lk1, in0, in1); soft(12u, lk0, lk1, in0, in1); soft(13u, lk0, lk1, in0, in1); soft(14u, lk0, lk1, in0, in1); soft(15u, lk0, lk1, in0, in1);
    soft(16u, lk0, lk1, in0, in1); soft(17u, lk0, lk1, in0, in1); soft(18u, lk0, lk1, in0, in1); soft(19u, lk0, lk1, in0, in1); soft(20u, lk0, lk1, in0, in1); soft(21u, lk0, lk1, in0, in1); soft(22u, lk0, lk1, in0, in1); soft(23u, lk0, lk1, in0, in1);
    soft(24u, lk0, lk1, in0, in1); soft(25u, lk0, lk1, in0, in1); soft(26u, lk0, lk1, in0, in1); soft(27u, lk0, lk1, in0, in1); soft(28u, lk0, lk1, in0, in1); soft(29u, lk0, lk1, in0, in1); soft(30u, lk0, lk1, in0, in1); soft(31u, lk0, lk1, in0, in1);

    // acc += P·V: 8 rounds of 8 keys and their V texels.
    attn_tex_pv(yx, j0, l);
  }

  // Row sums over the subgroup; lane l stores its columns of every row, lane r % 8 the row's LSE.
  finish(0u, i0, bhg, l); finish(1u, i0, bhg, l); finish(2u, i0, bhg, l); finish(3u, i0, bhg, l); finish(4u, i0, bhg, l); finish(5u, i0, bhg, l); finish(6u, i0, bhg, l); finish(7u, i0, bhg, l);
  finish(8u, i0, bhg, l); finish(9u, i0, bhg, l); finish(10u, i0, bhg, l); finish(11u, i0, bhg, l); finish(12u, i0, bhg, l); finish(13u, i0, bhg, l); finish(14u, i0, bhg, l); finish(15u, i0, bhg, l);
  finish(16u, i0, bhg, l); finish(17u, i0, bhg, l); finish(18u, i0, bhg, l); finish(19u, i0, bhg, l); finish(20u, i0, bhg, l); finish(21u, i0, bhg, l); finish(22u, i0, bhg, l); finish(23u, i0, bhg, l);
  finish(24u, i0, bhg, l); finish(25u, i0, bhg, l); finish(26u, i0, bhg, l); finish(27u, i0, bhg, l); finish(28u, i0, bhg, l); finish(29u, i0, bhg, l); finish(30u, i0, bhg, l); finish(31u, i0, bhg, l);
}

// Row r of the key block: visible scores → probabilities (in pr), running max and sum, rescaled outputs.
fn soft(r: u32, lk0: vec4i, lk1: vec4i, in0: vec4<bool>, in1: vec4<bool>) {
  let lr = vec4i(lq[r]);
  let v0 = in0 & (lk0 <= lr); let v1 = in1 & (lk1 <= lr);
  let a = tile[2u * r] * p.scale; let c = tile[2u * r + 1u] * p.scale;
  let x = max(select(vec4f(NEG), a, v0), select(vec4f(NEG), c, v1));
  let mb = max(m[r], max8f(max(max(x.x, x.y), max(x.z, x.w))));
  let alpha = exp(m[r] - mb);
  let p0 = select(vec4f(0.0), exp(a - mb), v0); let p1 = select(vec4f(0.0), exp(c - mb), v1);
  lsum[r] = lsum[r] * alpha + dot(p0 + p1, vec4f(1.0));
  m[r] = mb; pr[2u * r] = p0; pr[2u * r + 1u] = p1;
  for (var n = 0u; n < NC; n++) { acc[r * NC + n] *= alpha; }
}

// Row r: O = acc / Σ (this lane's columns), LSE = m + log Σ (lane r % 8).
fn finish(r: u32, i0: u32, bhg: u32, l: u32) {
  let total = subgroupAdd(lsum[r]);
  let i = i0 + r;
  if (i < p.Lq) {
    let b = bhg / p.H; let h = bhg % p.H;
    let oo = at(2u, b, h, i);
    for (var n = 0u; n < NC; n++) {
      let c = l + 8u * n;
      if (c < p.d4) { O[oo + c] = select(vec4f(0.0), acc[r * NC + n] / total, total > 0.0); }
    }
    if (l == r % 8u) { LSE[at(3u, b, h, i)] = select(NEG, m[r] + log(total), total > 0.0); }
  }
}

//#include "_lib/attn_tex_block.wgsl"
