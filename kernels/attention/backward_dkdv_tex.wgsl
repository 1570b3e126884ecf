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
// Defines: NC = ceil(d4 / 8): vec4 output columns per lane.
// Dispatch: 8 invocations in one subgroup of at least 8; the transpose of attention/backward_dq_tex: workgroup g
//   covers key rows j0 = 32·(g % nblk) .. +31 of head bh0 + g / nblk, queries by blocks of 64 (lane l owning queries
//   8l .. 8l+7). Per block, pass 0: K·Qᵀ (32 × 64 texture product, rows shared by subgroupBroadcast) → P, then
//   dV += P·dO in 8 rounds of 8 queries; pass 1: V·dOᵀ → dS in place, then dK += dS·Q. One set of accumulators serves
//   both passes: dV and dK swap places after each pass. Query blocks that see none of the workgroup's keys are
//   skipped. No atomics: each key row belongs to one workgroup. Grid folded to (x, y).
// Numerics: f32; masked pairs contribute exactly 0 (selected).
enable subgroups;
diagnostic(off, subgroup_uniformity);
const NC: u32 = {{NC}}u;
const BIG: i32 = 0x7fffffff;

struct Params { H: u32, Lq: u32, Lk: u32, d4: u32, nblk: u32, n_groups: u32, masked: u32, scale: f32,
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

// sc[2r + h]: key row r over queries 8·lane + 4h .. +3 of the block (k·q, then v·dO); pr: P, then dS. acc: the pass's
// accumulators (dV in pass 0, dK in pass 1), other: the other one; [r·NC + n] = key row r, column l + 8n. lk: every
// row's level. yb: dO (pass 0) or Q (pass 1) texels of the round.
var<private> sc: array<vec4f, 64>;
var<private> pr: array<vec4f, 64>;
var<private> acc: array<vec4f, 32 * NC>;
var<private> other: array<vec4f, 32 * NC>;
var<private> lk: array<i32, 32>;
var<private> yb: array<vec4f, 8 * NC>;

fn at(s: u32, b: u32, h: u32, i: u32) -> u32 { let l = p.lay[s]; return l.x + b * l.y + h * l.z + i * l.w; }

@compute @workgroup_size(8)
fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let g = wid.x + wid.y * nwg.x;
  if (g >= p.n_groups) { return; }
  let blk = g % p.nblk; let bhl = g / p.nblk; let bhg = p.bh0 + bhl;
  let b = bhg / p.H; let h = bhg % p.H;
  let l = lid.x;
  let j0 = blk * 32u;
  let masked = p.masked != 0u;
  let hx = bhl * p.d4;

  // Every key row's level and the rows' lowest level.
  var lk_lo = BIG;
  for (var q = 0u; q < 4u; q++) {
    var mine = 0;
    if (masked) { mine = LVK[at(3u, 0u, 0u, min(j0 + l + 8u * q, p.Lk - 1u))]; }
    let a = bcast8i(mine);
    for (var t = 0u; t < 8u; t++) { lk[8u * q + t] = a[t]; }
    lk_lo = min(lk_lo, subgroupMin(mine));
  }
  var cols: array<u32, NC>;
  for (var n = 0u; n < NC; n++) { cols[n] = min(l + 8u * n, p.d4 - 1u); }
  let y0 = j0;

  for (var i0 = 0u; i0 < p.Lq; i0 += 64u) {
    let il = i0 + 8u * l;
    let in0 = vec4u(il) + vec4u(0u, 1u, 2u, 3u) < vec4u(p.Lq);
    let in1 = vec4u(il) + vec4u(4u, 5u, 6u, 7u) < vec4u(p.Lq);
    let c0 = min(vec4u(il) + vec4u(0u, 1u, 2u, 3u), vec4u(p.Lq - 1u)); let c1 = min(vec4u(il) + vec4u(4u, 5u, 6u, 7u), vec4u(p.Lq - 1u));
    var lq0 = vec4i(0); var lq1 = vec4i(0);
    if (masked) {
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
    // Pass 0: sc = K·Qᵀ → P, dV += P·dO; pass 1: sc = V·dOᵀ → dS = P ∘ (v·dO - Δ), dK += dS·Q.
    for (var side = 0u; side < p.sides; side++) {
      let ax = select(hx, p.vx + hx, side == 1u); let by = select(0u, p.gy, side == 1u) + bhl * 4u * p.d4;
      sc = array<vec4f, 64>();
      for (var kq = 0u; kq < p.d4; kq++) {
        let a0 = bcast8(textureLoad(tr, vec2u(ax + kq, y0 + l))); let a1 = bcast8(textureLoad(tr, vec2u(ax + kq, y0 + l + 8u)));
        let a2 = bcast8(textureLoad(tr, vec2u(ax + kq, y0 + l + 16u))); let a3 = bcast8(textureLoad(tr, vec2u(ax + kq, y0 + l + 24u)));
        let y = by + 4u * kq;
        let b00 = textureLoad(tc, vec2u(xs, y)); let b01 = textureLoad(tc, vec2u(xs + 1u, y));
        let b10 = textureLoad(tc, vec2u(xs, y + 1u)); let b11 = textureLoad(tc, vec2u(xs + 1u, y + 1u));
        let b20 = textureLoad(tc, vec2u(xs, y + 2u)); let b21 = textureLoad(tc, vec2u(xs + 1u, y + 2u));
        let b30 = textureLoad(tc, vec2u(xs, y + 3u)); let b31 = textureLoad(tc, vec2u(xs + 1u, y + 3u));
        sc[0] = mac(sc[0], a0[0], b00, b10, b20, b30); sc[1] = mac(sc[1], a0[0], b01, b11, b21, b31);
        sc[2] = mac(sc[2], a0[1], b00, b10, b20, b30); sc[3] = mac(sc[3], a0[1], b01, b11, b21, b31);
        sc[4] = mac(sc[4], a0[2], b00, b10, b20, b30); sc[5] = mac(sc[5], a0[2], b01, b11, b21, b31);
        sc[6] = mac(sc[6], a0[3], b00, b10, b20, b30); sc[7] = mac(sc[7], a0[3], b01, b11, b21, b31);
        sc[8] = mac(sc[8], a0[4], b00, b10, b20, b30); sc[9] = mac(sc[9], a0[4], b01, b11, b21, b31);
        sc[10] = mac(sc[10], a0[5], b00, b10, b20, b30); sc[11] = mac(sc[11], a0[5], b01, b11, b21, b31);
        sc[12] = mac(sc[12], a0[6], b00, b10, b20, b30); sc[13] = mac(sc[13], a0[6], b01, b11, b21, b31);
        sc[14] = mac(sc[14], a0[7], b00, b10, b20, b30); sc[15] = mac(sc[15], a0[7], b01, b11, b21, b31);
        sc[16] = mac(sc[16], a1[0], b00, b10, b20, b30); sc[17] = mac(sc[17], a1[0], b01, b11, b21, b31);
        sc[18] = mac(sc[18], a1[1], b00, b10, b20, b30); sc[19] = mac(sc[19], a1[1], b01, b11, b21, b31);
        sc[20] = mac(sc[20], a1[2], b00, b10, b20, b30); sc[21] = mac(sc[21], a1[2], b01, b11, b21, b31);
        sc[22] = mac(sc[22], a1[3], b00, b10, b20, b30); sc[23] = mac(sc[23], a1[3], b01, b11, b21, b31);
        sc[24] = mac(sc[24], a1[4], b00, b10, b20, b30); sc[25] = mac(sc[25], a1[4], b01, b11, b21, b31);
        sc[26] = mac(sc[26], a1[5], b00, b10, b20, b30); sc[27] = mac(sc[27], a1[5], b01, b11, b21, b31);
        sc[28] = mac(sc[28], a1[6], b00, b10, b20, b30); sc[29] = mac(sc[29], a1[6], b01, b11, b21, b31);
        sc[30] = mac(sc[30], a1[7], b00, b10, b20, b30); sc[31] = mac(sc[31], a1[7], b01, b11, b21, b31);
        sc[32] = mac(sc[32], a2[0], b00, b10, b20, b30); sc[33] = mac(sc[33], a2[0], b01, b11, b21, b31);
        sc[34] = mac(sc[34], a2[1], b00, b10, b20, b30); sc[35] = mac(sc[35], a2[1], b01, b11, b21, b31);
        sc[36] = mac(sc[36], a2[2], b00, b10, b20, b30); sc[37] = mac(sc[37], a2[2], b01, b11, b21, b31);
        sc[38] = mac(sc[38], a2[3], b00, b10, b20, b30); sc[39] = mac(sc[39], a2[3], b01, b11, b21, b31);
        sc[40] = mac(sc[40], a2[4], b00, b10, b20, b30); sc[41] = mac(sc[41], a2[4], b01, b11, b21, b31);
        sc[42] = mac(sc[42], a2[5], b00, b10, b20, b30); sc[43] = mac(sc[43], a2[5], b01, b11, b21, b31);
        sc[44] = mac(sc[44], a2[6], b00, b10, b20, b30); sc[45] = mac(sc[45], a2[6], b01, b11, b21, b31);
        sc[46] = mac(sc[46], a2[7], b00, b10, b20, b30); sc[47] = mac(sc[47], a2[7], b01, b11, b21, b31);
        sc[48] = mac(sc[48], a3[0], b00, b10, b20, b30); sc[49] = mac(sc[49], a3[0], b01, b11, b21, b31);
        sc[50] = mac(sc[50], a3[1], b00, b10, b20, b30); sc[51] = mac(sc[51], a3[1], b01, b11, b21, b31);
        sc[52] = mac(sc[52], a3[2], b00, b10, b20, b30); sc[53] = mac(sc[53], a3[2], b01, b11, b21, b31);
        sc[54] = mac(sc[54], a3[3], b00, b10, b20, b30); sc[55] = mac(sc[55], a3[3], b01, b11, b21, b31);
        sc[56] = mac(sc[56], a3[4], b00, b10, b20, b30); sc[57] = mac(sc[57], a3[4], b01, b11, b21, b31);
        sc[58] = mac(sc[58], a3[5], b00, b10, b20, b30); sc[59] = mac(sc[59], a3[5], b01, b11, b21, b31);
        sc[60] = mac(sc[60], a3[6], b00, b10, b20, b30); sc[61] = mac(sc[61], a3[6], b01, b11, b21, b31);
        sc[62] = mac(sc[62], a3[7], b00, b10, b20, b30); sc[63] = mac(sc[63], a3[7], b01, b11, b21, b31);
      }
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
      let yx = select(p.gx, p.qx, side == 1u) + hx;
      for (var it = 0u; it < p.rounds; it++) {
        let jb = i0 + 4u * (it / 4u) + it % 4u;
        for (var t = 0u; t < 8u; t++) { for (var n = 0u; n < NC; n++) { yb[t * NC + n] = textureLoad(tr, vec2u(yx + cols[n], jb + 8u * t)); } }
        pv_row(0u, it); pv_row(1u, it); pv_row(2u, it); pv_row(3u, it); pv_row(4u, it); pv_row(5u, it); pv_row(6u, it); pv_row(7u, it);
        pv_row(8u, it); pv_row(9u, it); pv_row(10u, it); pv_row(11u, it); pv_row(12u, it); pv_row(13u, it); pv_row(14u, it); pv_row(15u, it);
        pv_row(16u, it); pv_row(17u, it); pv_row(18u, it); pv_row(19u, it); pv_row(20u, it); pv_row(21u, it); pv_row(22u, it); pv_row(23u, it);
        pv_row(24u, it); pv_row(25u, it); pv_row(26u, it); pv_row(27u, it); pv_row(28u, it); pv_row(29u, it); pv_row(30u, it); pv_row(31u, it);
      }
      let tmp = acc; acc = other; other = tmp; // dV ↔ dK
    }
  }

  // Lane l stores its columns of every key row.
  finish(0u, y0, b, h, l); finish(1u, y0, b, h, l); finish(2u, y0, b, h, l); finish(3u, y0, b, h, l); finish(4u, y0, b, h, l); finish(5u, y0, b, h, l); finish(6u, y0, b, h, l); finish(7u, y0, b, h, l);
  finish(8u, y0, b, h, l); finish(9u, y0, b, h, l); finish(10u, y0, b, h, l); finish(11u, y0, b, h, l); finish(12u, y0, b, h, l); finish(13u, y0, b, h, l); finish(14u, y0, b, h, l); finish(15u, y0, b, h, l);
  finish(16u, y0, b, h, l); finish(17u, y0, b, h, l); finish(18u, y0, b, h, l); finish(19u, y0, b, h, l); finish(20u, y0, b, h, l); finish(21u, y0, b, h, l); finish(22u, y0, b, h, l); finish(23u, y0, b, h, l);
  finish(24u, y0, b, h, l); finish(25u, y0, b, h, l); finish(26u, y0, b, h, l); finish(27u, y0, b, h, l); finish(28u, y0, b, h, l); finish(29u, y0, b, h, l); finish(30u, y0, b, h, l); finish(31u, y0, b, h, l);
}

// acc + a.x·b0 + a.y·b1 + a.z·b2 + a.w·b3 (a = one row over 4 dims; b0..b3 = 4 columns at dims 0..3 of the step).
fn mac(acc: vec4f, a: vec4f, b0: vec4f, b1: vec4f, b2: vec4f, b3: vec4f) -> vec4f {
  return fma(vec4f(a.w), b3, fma(vec4f(a.z), b2, fma(vec4f(a.y), b1, fma(vec4f(a.x), b0, acc))));
}

// Key row r: P = exp(scale·k·q - LSE_q) where the query sees the key, else 0.
fn prob(r: u32, lq0: vec4i, lq1: vec4i, in0: vec4<bool>, in1: vec4<bool>, lse0: vec4f, lse1: vec4f) {
  let lr = vec4i(lk[r]);
  pr[2u * r] = select(vec4f(0.0), exp(sc[2u * r] * p.scale - lse0), in0 & (lr <= lq0));
  pr[2u * r + 1u] = select(vec4f(0.0), exp(sc[2u * r + 1u] * p.scale - lse1), in1 & (lr <= lq1));
}
// Key row r: dS = P ∘ (v·dO - Δ_q) (0 where P is).
fn dscore(r: u32, dl0: vec4f, dl1: vec4f) {
  pr[2u * r] = pr[2u * r] * (sc[2u * r] - dl0);
  pr[2u * r + 1u] = pr[2u * r + 1u] * (sc[2u * r + 1u] - dl1);
}

// Row r: acc += the round's 8 weights of row r (one column of each lane, broadcast) times those columns' texels in yb.
fn pv_row(r: u32, it: u32) {
  let x = select(pr[2u * r], pr[2u * r + 1u], it >= 4u);
  let w = bcast8f(x[it % 4u]);
  for (var n = 0u; n < NC; n++) {
    var a = acc[r * NC + n];
    a = fma(vec4f(w[0]), yb[n], a); a = fma(vec4f(w[1]), yb[NC + n], a);
    a = fma(vec4f(w[2]), yb[2u * NC + n], a); a = fma(vec4f(w[3]), yb[3u * NC + n], a);
    a = fma(vec4f(w[4]), yb[4u * NC + n], a); a = fma(vec4f(w[5]), yb[5u * NC + n], a);
    a = fma(vec4f(w[6]), yb[6u * NC + n], a); a = fma(vec4f(w[7]), yb[7u * NC + n], a);
    acc[r * NC + n] = a;
  }
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

//#include "_lib/bcast8.wgsl"
