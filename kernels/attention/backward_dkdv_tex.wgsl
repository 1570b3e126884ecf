// attention/backward_dkdv_tex: dV[b,h,j] = Σ_i P_ij dO_i and dK[b,h,j] = scale·Σ_i dS_ij q_i with P_ij = exp(scale·q_i·k_j -
//   LSE_i) recomputed and dS_ij = P_ij (dO_i·v_j - Δ_i), as attention/backward_dkdv, with the operands read from
//   read-only storage textures packed by attention/pack_tex.
// Bindings: 0 tr (read-only rgba32float storage texture, rows layout: K at x = bhl·d4 + c, V at x = vx + bhl·d4 + c
//   (y = key), dO at x = gx + bhl·d4 + c, Q at x = qx + bhl·d4 + c (y = query)), 1 tc (same, columns layout: Qᵀ at
//   x = query / 4, y = bhl·4·d4 + d; dOᵀ at y = gy + bhl·4·d4 + d), 2 LSE, 3 DELTA (read, f32), 4 LVQ, 5 LVK (read,
//   i32), 6 dK, 7 dV (read_write, vec4 rows), 8 Params (uniform). Zeros in every padding texel.
// Params: as attention/forward_tex with nblk counting 32-row key blocks and the operands' texture offsets vx, gx, qx,
//   gy; rounds: 8, sides: 2 (trip counts passed so that the loops stay loops); lay[s] for slots LSE, DELTA, LVQ, LVK,
//   dK, dV.
// Defines: NC = ceil(d4 / 8): vec4 output columns per lane; MASKED (true, false): levels are read and key blocks no
//   row sees are skipped (a define, not a Params flag: a uniform `if` around that code in the key loop made the masked
//   kernel slower; docs/LAVAPIPE_FINDINGS.md, "A branch in the k loop").
// Dispatch: 8 invocations in one subgroup of at least 8; the transpose of attention/backward_dq_tex: workgroup g
//   covers key rows j0 = 32·(g % nblk) .. +31 of head bh0 + g / nblk, queries by blocks of 64 (lane l owning queries
//   8l .. 8l+7). Per block, pass 0: K·Qᵀ (32 × 64 texture product, rows shared by subgroupBroadcast) → P, then
//   dV += P·dO in 8 rounds of 8 queries; pass 1: V·dOᵀ → dS in place, then dK += dS·Q (the product and the rounds:
//   _lib/attn_tex_block.wgsl). One set of accumulators serves both passes: dV and dK swap places after each pass
//   (acc and other). Query blocks that see none of the workgroup's keys are skipped. No atomics: each key row belongs
//   to one workgroup. Grid folded to (x, y).
// Numerics: f32; masked pairs contribute exactly 0 (selected).
enable subgroups;
diagnostic(off, subgroup_uniformity);
const NC: u32 = {{NC}}u;
const MASKED: bool = {{MASKED}};
const BIG: i32 = 0x7fffffff;

struct Params { H: u32, Lq: u32, Lk: u32, d4: u32, nblk: u32, n_groups: u32, scale: f32,
  bh0: u32, vx: u32, gx: u32, qx: u32, gy: u32, rounds: u32, sides: u32, pad0: u32, lay: array<vec4u, 6> }
@group(0) @binding(0) var tr: texture_storage_2d<rgba32float, read>;
@group(0) @binding(1) var tc: texture_storage_2d<rgba32float, read>;
@group(0) @binding(2) var<storage, read> LSE: array<f32>;
@group(0) @binding(3) var<storage, read> DELTA: array<f32>;
@group(0) @binding(4) var<storage, read> LVQ: array<i32>;
@group(0) @binding(5) var<storage, read> LVK: array<i32>;
@group(0) @binding(6) var<storage, read_write> DK: array<vec4f>;
@group(0) @binding(7) var<storage, read_write> DV: array<vec4f>;
@group(0) @binding(8) var<uniform> p: Params;

// lk: every key row's level. other: the accumulators of the pass not running (dK in pass 0, dV in pass 1), [r·NC + n]
// = key row r, column l + 8n. _lib/attn_tex_block.wgsl: tile (k·q, then v·dO), pr (P, then dS), acc (the running
// pass's accumulators: dV in pass 0, dK in pass 1) and yb (dO texels in pass 0, Q texels in pass 1).
var<private> other: array<vec4f, 32 * NC>;
var<private> lk: array<i32, 32>;

fn at(s: u32, b: u32, h: u32, i: u32) -> u32 { let l = p.lay[s]; return l.x + b * l.y + h * l.z + i * l.w; }

@compute @workgroup_size(8)
fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let g = wid.x + wid.y * nwg.x;
  if (g >= p.n_groups) { return; }
  let blk = g % p.nblk; let bhl = g / p.nblk; let bhg = p.bh0 + bhl;
  let b = bhg / p.H; let h = bhg % p.H;
  let l = lid.x;
  let j0 = blk * 32u;
  let hx = bhl * p.d4;

  // Every key row's level and the rows' lowest level.
  var lk_lo = BIG;
  for (var q = 0u; q < 4u; q++) {
    var mine = 0;
    if (MASKED) { mine = LVK[at(3u, 0u, 0u, min(j0 + l + 8u * q, p.Lk - 1u))]; }
    let a = bcast8i(mine);
    for (var t = 0u; t < 8u; t++) { lk[8u * q + t] = a[t]; }
    lk_lo = min(lk_lo, subgroupMin(mine));
  }

  for (var i0 = 0u; i0 < p.Lq; i0 += 64u) {
    let il = i0 + 8u * l;
    let in0 = vec4u(il) + vec4u(0u, 1u, 2u, 3u) < vec4u(p.Lq);
    let in1 = vec4u(il) + vec4u(4u, 5u, 6u, 7u) < vec4u(p.Lq);
    let c0 = min(vec4u(il) + vec4u(0u, 1u, 2u, 3u), vec4u(p.Lq - 1u)); let c1 = min(vec4u(il) + vec4u(4u, 5u, 6u, 7u), vec4u(p.Lq - 1u));
    var lq0 = vec4i(0); var lq1 = vec4i(0);
    if (MASKED) {
      lq0 = vec4i(LVQ[at(2u, 0u, 0u, c0.x)], LVQ[at(2u, 0u, 0u, c0.y)], LVQ[at(2u, 0u, 0u, c0.z)], LVQ[at(2u, 0u, 0u, c0.w)]);
      lq1 = vec4i(LVQ[at(2u, 0u, 0u, c1.x)], LVQ[at(2u, 0u, 0u, c1.y)], LVQ[at(2u, 0u, 0u, c1.z)], LVQ[at(2u, 0u, 0u, c1.w)]);
      let mx = max(lq0, lq1);
      if (subgroupMax(max(max(mx.x, mx.y), max(mx.z, mx.w))) < lk_lo) { continue; } // no query sees a key row
    }
    let lse0 = vec4f(LSE[at(0u, b, h, c0.x)], LSE[at(0u, b, h, c0.y)], LSE[at(0u, b, h, c0.z)], LSE[at(0u, b, h, c0.w)]);
    let lse1 = vec4f(LSE[at(0u, b, h, c1.x)], LSE[at(0u, b, h, c1.y)], LSE[at(0u, b, h, c1.z)], LSE[at(0u, b, h, c1.w)]);
    let dl0 = vec4f(DELTA[at(1u, b, h, c0.x)], DELTA[at(1u, b, h, c0.y)], DELTA[at(1u, b, h, c0.z)], DELTA[at(1u, b, h, c0.w)]);
    let dl1 = vec4f(DELTA[at(1u, b, h, c1.x)], DELTA[at(1u, b, h, c1.y)], DELTA[at(1u, b, h, c1.z)], DELTA[at(1u, b, h, c1.w)]);
    let xs = i0 / 4u + 2u * l;
    // Pass 0: tile = K·Qᵀ → P, dV += P·dO; pass 1: tile = V·dOᵀ → dS = P ∘ (v·dO - Δ), dK += dS·Q.
    for (var side = 0u; side < p.sides; side++) {
      let ax = select(hx, p.vx + hx, side == 1u); let by = select(0u, p.gy, side == 1u) + bhl * 4u * p.d4;
      attn_tex_scores(ax, j0 + l, xs, by);
      if (side == 0u) {
        prob(0u, lq0, lq1, in0, in1, lse0, lse1); prob(1u, lq0, lq1, in0, in1, lse0, lse1); prob(2u, lq0, lq1, in0, in1, lse0, lse1); prob(3u, lq0, lq1, in0, in1, lse0, lse1); prob(4u, lq0, lq1, in0, in1, lse0, lse1); prob(5u, lq0, lq1, in0, in1, lse0, lse1); prob(6u, lq0, lq1, in0, in1, lse0, lse1); prob(7u, lq0, lq1, in0, in1, lse0, lse1);
        prob(8u, lq0, lq1, in0, in1, lse0, lse1); prob(9u, lq0, lq1, in0, in1, lse0, lse1); prob(10u, lq0, lq1, in0, in1, lse0, lse1); prob(11u, lq0, lq1, in0, in1, lse0, lse1); prob(12u, lq0, lq1, in0, in1, lse0, lse1); prob(13u, lq0, lq1, in0, in1, lse0, lse1); prob(14u, lq0, lq1, in0, in1, lse0, lse1); prob(15u, lq0, lq1, in0, in1, lse0, lse1);
        prob(16u, lq0, lq1, in0, in1, lse0, lse1); prob(17u, lq0, lq1, in0, in1, lse0, lse1); prob(18u, lq0, lq1, in0, in1, lse0, lse1); prob(19u, lq0, lq1, in0, in1, lse0, lse1); prob(20u, lq0, lq1, in0, in1, lse0, lse1); prob(21u, lq0, lq1, in0, in1, lse0, lse1); prob(22u, lq0, lq1, in0, in1, lse0, lse1); prob(23u, lq0, lq1, in0, in1, lse0, lse1);
        prob(24u, lq0, lq1, in0, in1, lse0, lse1); prob(25u, lq0, lq1, in0, in1, lse0, lse1); prob(26u, lq0, lq1, in0, in1, lse0, lse1); prob(27u, lq0, lq1, in0, in1, lse0, lse1); prob(28u, lq0, lq1, in0, in1, lse0, lse1); prob(29u, lq0, lq1, in0, in1, lse0, lse1); prob(30u, lq0, lq1, in0, in1, lse0, lse1); prob(31u, lq0, lq1, in0, in1, lse0, lse1);
      } else {
        dscore(0u, dl0, dl1); dscore(1u, dl0, dl1); dscore(2u, dl0, dl1); dscore(3u, dl0, dl1); dscore(4u, dl0, dl1); dscore(5u, dl0, dl1); dscore(6u, dl0, dl1); dscore(7u, dl0, dl1);
        dscore(8u, dl0, dl1); dscore(9u, dl0, dl1); dscore(10u, dl0, dl1); dscore(11u, dl0, dl1); dscore(12u, dl0, dl1); dscore(13u, dl0, dl1); dscore(14u, dl0, dl1); dscore(15u, dl0, dl1);
        dscore(16u, dl0, dl1); dscore(17u, dl0, dl1); dscore(18u, dl0, dl1); dscore(19u, dl0, dl1); dscore(20u, dl0, dl1); dscore(21u, dl0, dl1); dscore(22u, dl0, dl1); dscore(23u, dl0, dl1);
        dscore(24u, dl0, dl1); dscore(25u, dl0, dl1); dscore(26u, dl0, dl1); dscore(27u, dl0, dl1); dscore(28u, dl0, dl1); dscore(29u, dl0, dl1); dscore(30u, dl0, dl1); dscore(31u, dl0, dl1);
      }
      // dV += P·dO (pass 0) or dK += dS·Q (pass 1): 8 rounds of 8 queries and their dO or Q texels.
      attn_tex_pv(select(p.gx, p.qx, side == 1u) + hx, i0, l);
      let tmp = acc; acc = other; other = tmp; // dV ↔ dK
    }
  }

  // Lane l stores its columns of every key row.
  finish(0u, j0, b, h, l); finish(1u, j0, b, h, l); finish(2u, j0, b, h, l); finish(3u, j0, b, h, l); finish(4u, j0, b, h, l); finish(5u, j0, b, h, l); finish(6u, j0, b, h, l); finish(7u, j0, b, h, l);
  finish(8u, j0, b, h, l); finish(9u, j0, b, h, l); finish(10u, j0, b, h, l); finish(11u, j0, b, h, l); finish(12u, j0, b, h, l); finish(13u, j0, b, h, l); finish(14u, j0, b, h, l); finish(15u, j0, b, h, l);
  finish(16u, j0, b, h, l); finish(17u, j0, b, h, l); finish(18u, j0, b, h, l); finish(19u, j0, b, h, l); finish(20u, j0, b, h, l); finish(21u, j0, b, h, l); finish(22u, j0, b, h, l); finish(23u, j0, b, h, l);
  finish(24u, j0, b, h, l); finish(25u, j0, b, h, l); finish(26u, j0, b, h, l); finish(27u, j0, b, h, l); finish(28u, j0, b, h, l); finish(29u, j0, b, h, l); finish(30u, j0, b, h, l); finish(31u, j0, b, h, l);
}

// Key row r: P = exp(scale·k·q - LSE_q) where the query sees the key, else 0.
fn prob(r: u32, lq0: vec4i, lq1: vec4i, in0: vec4<bool>, in1: vec4<bool>, lse0: vec4f, lse1: vec4f) {
  let lr = vec4i(lk[r]);
  pr[2u * r] = select(vec4f(0.0), exp(tile[2u * r] * p.scale - lse0), in0 & (lr <= lq0));
  pr[2u * r + 1u] = select(vec4f(0.0), exp(tile[2u * r + 1u] * p.scale - lse1), in1 & (lr <= lq1));
}
// Key row r: dS = P ∘ (v·dO - Δ_q) (0 where P is).
fn dscore(r: u32, dl0: vec4f, dl1: vec4f) {
  pr[2u * r] = pr[2u * r] * (tile[2u * r] - dl0);
  pr[2u * r + 1u] = pr[2u * r + 1u] * (tile[2u * r + 1u] - dl1);
}

// Key row r: dK = scale·(dS·Q) and dV = P·dO (this lane's columns; after both passes acc holds dV, other dK).
fn finish(r: u32, j0: u32, b: u32, h: u32, l: u32) {
  let j = j0 + r;
  if (j < p.Lk) {
    let ko = at(4u, b, h, j); let vo = at(5u, b, h, j);
    for (var n = 0u; n < NC; n++) {
      let c = l + 8u * n;
      if (c < p.d4) { DK[ko + c] = other[r * NC + n] * p.scale; DV[vo + c] = acc[r * NC + n]; }
    }
  }
}

//#include "_lib/attn_tex_block.wgsl"
