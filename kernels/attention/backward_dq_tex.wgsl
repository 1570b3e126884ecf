// attention/backward_dq_tex: dQ[b,h,i] = scale·Σ_j dS_ij k_j with dS_ij = P_ij (dO_i·v_j - Δ_i), P_ij = exp(scale·q_i·k_j -
//   LSE_i) recomputed, and Δ[b,h,i] = dO_i·O_i, as attention/backward_dq, with the operands read from read-only storage
//   textures packed by attention/pack_tex.
// Bindings: 0 tr (read-only rgba32float storage texture, rows layout: Q at x = bhl·d4 + c, dO at x = gx + bhl·d4 + c,
//   O at x = ox + bhl·d4 + c (y = query), K at x = kx + bhl·d4 + c (y = key)), 1 tc (same, columns layout: Kᵀ at
//   x = key / 4, y = bhl·4·d4 + d; Vᵀ at y = vy + bhl·4·d4 + d), 2 LSE (read, f32), 3 LVQ, 4 LVK (read, i32),
//   5 dQ (read_write, vec4 rows), 6 DELTA (read_write, f32), 7 Params (uniform). Zeros in every padding texel.
// Params: as attention/forward_tex (H, Lq, Lk, d4, nblk, n_groups, scale, bh0, rounds; sides: 2, the passes'
//   trip count) with the operands' texture offsets gx, ox, kx, vy; lay[s] for slots LSE, LVQ, LVK, dQ, DELTA.
// Defines: NC = ceil(d4 / 8): vec4 output columns per lane; MASKED (true, false): levels are read and key blocks no
//   row sees are skipped (a define, not a Params flag: a uniform `if` around that code in the key loop made the masked
//   kernel slower; docs/LAVAPIPE_FINDINGS.md, "A branch in the k loop").
// Dispatch: 8 invocations in one subgroup of at least 8, as attention/forward_tex: workgroup g covers query rows
//   i0 = 32·(g % nblk) .. +31 of head bh0 + g / nblk, keys by blocks of 64 (lane l owning keys 8l .. 8l+7). Per block,
//   two passes of the same 32 × 64 texture product (Q·Kᵀ, then dO·Vᵀ; rows shared by subgroupBroadcast, 64 vec4
//   accumulators with literal indices) give P, then dS in place; then dQ += dS·K in 8 rounds of 8 keys (each lane's
//   columns of their K texels, every row's weights broadcast); the product and the rounds: _lib/attn_tex_block.wgsl.
//   Δ from the O and dO texels of the workgroup's rows. Key blocks no row sees are skipped. Grid folded to (x, y).
// Numerics: f32; P from the forward's logsumexp (no max pass); masked keys contribute exactly 0 (selected).
enable subgroups;
diagnostic(off, subgroup_uniformity);
const NC: u32 = {{NC}}u;
const MASKED: bool = {{MASKED}};
const BIG: i32 = 0x7fffffff;

struct Params { H: u32, Lq: u32, Lk: u32, d4: u32, nblk: u32, n_groups: u32, scale: f32,
  bh0: u32, gx: u32, ox: u32, kx: u32, vy: u32, rounds: u32, sides: u32, pad0: u32, lay: array<vec4u, 5> }
@group(0) @binding(0) var tr: texture_storage_2d<rgba32float, read>;
@group(0) @binding(1) var tc: texture_storage_2d<rgba32float, read>;
@group(0) @binding(2) var<storage, read> LSE: array<f32>;
@group(0) @binding(3) var<storage, read> LVQ: array<i32>;
@group(0) @binding(4) var<storage, read> LVK: array<i32>;
@group(0) @binding(5) var<storage, read_write> DQ: array<vec4f>;
@group(0) @binding(6) var<storage, read_write> DELTA: array<f32>;
@group(0) @binding(7) var<uniform> p: Params;

// lq, lse, delta: every row's level, logsumexp and Δ. _lib/attn_tex_block.wgsl: tile (q·k, then dO·v), pr (P, then dS),
// acc (dQ, unscaled) and yb (the round's K texels).
var<private> lq: array<i32, 32>;
var<private> lse: array<f32, 32>;
var<private> delta: array<f32, 32>;

fn at(s: u32, b: u32, h: u32, i: u32) -> u32 { let l = p.lay[s]; return l.x + b * l.y + h * l.z + i * l.w; }

@compute @workgroup_size(8)
fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let g = wid.x + wid.y * nwg.x;
  if (g >= p.n_groups) { return; }
  let blk = g % p.nblk; let bhl = g / p.nblk; let bhg = p.bh0 + bhl;
  let b = bhg / p.H; let h = bhg % p.H;
  let l = lid.x;
  let i0 = blk * 32u;
  let hx = bhl * p.d4;

  // Lane l's rows (l + 8q): level, LSE and Δ = dO·O over the head dim; every row's by broadcast.
  var lq_hi = -BIG;
  for (var q = 0u; q < 4u; q++) {
    let i = min(i0 + l + 8u * q, p.Lq - 1u);
    var mine = 0;
    if (MASKED) { mine = LVQ[at(1u, 0u, 0u, i)]; }
    var dl = 0.0;
    for (var c = 0u; c < p.d4; c++) {
      dl += dot(textureLoad(tr, vec2u(p.gx + hx + c, i0 + l + 8u * q)), textureLoad(tr, vec2u(p.ox + hx + c, i0 + l + 8u * q)));
    }
    let a = bcast8i(mine); let e = bcast8f(LSE[at(0u, b, h, i)]); let dd = bcast8f(dl);
    for (var t = 0u; t < 8u; t++) { lq[8u * q + t] = a[t]; lse[8u * q + t] = e[t]; delta[8u * q + t] = dd[t]; }
    lq_hi = max(lq_hi, subgroupMax(mine));
  }
  let yx = p.kx + hx;

  for (var j0 = 0u; j0 < p.Lk; j0 += 64u) {
    let jl = j0 + 8u * l;
    let in0 = vec4u(jl) + vec4u(0u, 1u, 2u, 3u) < vec4u(p.Lk);
    let in1 = vec4u(jl) + vec4u(4u, 5u, 6u, 7u) < vec4u(p.Lk);
    var lk0 = vec4i(0); var lk1 = vec4i(0);
    if (MASKED) {
      let c0 = min(vec4u(jl) + vec4u(0u, 1u, 2u, 3u), vec4u(p.Lk - 1u)); let c1 = min(vec4u(jl) + vec4u(4u, 5u, 6u, 7u), vec4u(p.Lk - 1u));
      lk0 = vec4i(LVK[at(2u, 0u, 0u, c0.x)], LVK[at(2u, 0u, 0u, c0.y)], LVK[at(2u, 0u, 0u, c0.z)], LVK[at(2u, 0u, 0u, c0.w)]);
      lk1 = vec4i(LVK[at(2u, 0u, 0u, c1.x)], LVK[at(2u, 0u, 0u, c1.y)], LVK[at(2u, 0u, 0u, c1.z)], LVK[at(2u, 0u, 0u, c1.w)]);
      let mn = min(lk0, lk1);
      if (subgroupMin(min(min(mn.x, mn.y), min(mn.z, mn.w))) > lq_hi) { continue; } // no row sees a key of the block
    }
    let xs = j0 / 4u + 2u * l;
    // Pass 0: tile = Q·Kᵀ → P; pass 1: tile = dO·Vᵀ → dS = P ∘ (dO·v - Δ).
    for (var side = 0u; side < p.sides; side++) {
      let ax = select(hx, p.gx + hx, side == 1u); let by = select(0u, p.vy, side == 1u) + bhl * 4u * p.d4;
      attn_tex_scores(ax, i0 + l, xs, by);
      if (side == 0u) {
        prob(0u, lk0, lk1, in0, in1); prob(1u, lk0, lk1, in0, in1); prob(2u, lk0, lk1, in0, in1); prob(3u, lk0, lk1, in0, in1); prob(4u, lk0, lk1, in0, in1); prob(5u, lk0, lk1, in0, in1); prob(6u, lk0, lk1, in0, in1); prob(7u, lk0, lk1, in0, in1);
        prob(8u, lk0, lk1, in0, in1); prob(9u, lk0, lk1, in0, in1); prob(10u, lk0, lk1, in0, in1); prob(11u, lk0, lk1, in0, in1); prob(12u, lk0, lk1, in0, in1); prob(13u, lk0, lk1, in0, in1); prob(14u, lk0, lk1, in0, in1); prob(15u, lk0, lk1, in0, in1);
        prob(16u, lk0, lk1, in0, in1); prob(17u, lk0, lk1, in0, in1); prob(18u, lk0, lk1, in0, in1); prob(19u, lk0, lk1, in0, in1); prob(20u, lk0, lk1, in0, in1); prob(21u, lk0, lk1, in0, in1); prob(22u, lk0, lk1, in0, in1); prob(23u, lk0, lk1, in0, in1);
        prob(24u, lk0, lk1, in0, in1); prob(25u, lk0, lk1, in0, in1); prob(26u, lk0, lk1, in0, in1); prob(27u, lk0, lk1, in0, in1); prob(28u, lk0, lk1, in0, in1); prob(29u, lk0, lk1, in0, in1); prob(30u, lk0, lk1, in0, in1); prob(31u, lk0, lk1, in0, in1);
      } else {
        dscore(0u); dscore(1u); dscore(2u); dscore(3u); dscore(4u); dscore(5u); dscore(6u); dscore(7u);
        dscore(8u); dscore(9u); dscore(10u); dscore(11u); dscore(12u); dscore(13u); dscore(14u); dscore(15u);
        dscore(16u); dscore(17u); dscore(18u); dscore(19u); dscore(20u); dscore(21u); dscore(22u); dscore(23u);
        dscore(24u); dscore(25u); dscore(26u); dscore(27u); dscore(28u); dscore(29u); dscore(30u); dscore(31u);
      }
    }
    // acc += dS·K: 8 rounds of 8 keys and their K texels.
    attn_tex_pv(yx, j0, l);
  }

  // Lane l stores its columns of every row, lane r % 8 the row's Δ.
  finish(0u, i0, b, h, l); finish(1u, i0, b, h, l); finish(2u, i0, b, h, l); finish(3u, i0, b, h, l); finish(4u, i0, b, h, l); finish(5u, i0, b, h, l); finish(6u, i0, b, h, l); finish(7u, i0, b, h, l);
  finish(8u, i0, b, h, l); finish(9u, i0, b, h, l); finish(10u, i0, b, h, l); finish(11u, i0, b, h, l); finish(12u, i0, b, h, l); finish(13u, i0, b, h, l); finish(14u, i0, b, h, l); finish(15u, i0, b, h, l);
  finish(16u, i0, b, h, l); finish(17u, i0, b, h, l); finish(18u, i0, b, h, l); finish(19u, i0, b, h, l); finish(20u, i0, b, h, l); finish(21u, i0, b, h, l); finish(22u, i0, b, h, l); finish(23u, i0, b, h, l);
  finish(24u, i0, b, h, l); finish(25u, i0, b, h, l); finish(26u, i0, b, h, l); finish(27u, i0, b, h, l); finish(28u, i0, b, h, l); finish(29u, i0, b, h, l); finish(30u, i0, b, h, l); finish(31u, i0, b, h, l);
}

// Row r: P = exp(scale·q·k - LSE) where visible, else 0.
fn prob(r: u32, lk0: vec4i, lk1: vec4i, in0: vec4<bool>, in1: vec4<bool>) {
  let lr = vec4i(lq[r]);
  pr[2u * r] = select(vec4f(0.0), exp(tile[2u * r] * p.scale - lse[r]), in0 & (lk0 <= lr));
  pr[2u * r + 1u] = select(vec4f(0.0), exp(tile[2u * r + 1u] * p.scale - lse[r]), in1 & (lk1 <= lr));
}
// Row r: dS = P ∘ (dO·v - Δ) (0 where P is).
fn dscore(r: u32) {
  pr[2u * r] = pr[2u * r] * (tile[2u * r] - delta[r]);
  pr[2u * r + 1u] = pr[2u * r + 1u] * (tile[2u * r + 1u] - delta[r]);
}

// Row r: dQ = scale·acc (this lane's columns), DELTA (lane r % 8).
fn finish(r: u32, i0: u32, b: u32, h: u32, l: u32) {
  let i = i0 + r;
  if (i < p.Lq) {
    let o = at(3u, b, h, i);
    for (var n = 0u; n < NC; n++) { let c = l + 8u * n; if (c < p.d4) { DQ[o + c] = acc[r * NC + n] * p.scale; } }
    if (l == r % 8u) { DELTA[at(4u, b, h, i)] = delta[r]; }
  }
}

//#include "_lib/attn_tex_block.wgsl"
