// attention/backward_dkdv_sg: dV[b,h,j] = Σ_i P_ij dO_i and dK[b,h,j] = scale·Σ_i dS_ij q_i with P_ij = exp(scale·q_i·k_j -
//   LSE_i) recomputed and dS_ij = P_ij (dO_i·v_j - Δ_i): the subgroup variant of attention/backward_dkdv (same bindings,
//   Params and results; operands shared by subgroupBroadcast, as attention/forward_sg).
// Bindings: 0 K, 1 V, 2 QT, 3 dOT, 4 Q, 5 dO (read; rows as vec4, QT/dOT transposed: vec4 of 4 queries per head-dim row),
//   6 LSE, 7 DELTA (read, f32), 8 LVQ, 9 LVK (read, i32), 10 dK, 11 dV (read_write, vec4 rows), 12 Params (uniform).
// Params: as attention/forward with nblk counting key blocks of BQ rows; lay[s] for slots K, V, QT, dOT, Q, dO, LSE, DELTA,
//   LVQ, LVK, dK, dV.
// Defines: BQ = 8·RPL key rows per workgroup (row r loaded by lane r % 8), HD4 = head dim / 4 (= Params.d4).
// Dispatch: 8 invocations in one subgroup of at least 8; the transpose of attention/backward_dq_sg: BQ key rows per
//   workgroup (k and v rows held by their lanes and broadcast), queries by blocks of 32, lane l owning queries 4l..4l+3
//   for P and dS, then dV, then dK columns l, l + 8, ... from the block's dO, then Q, values (one buffer) and every
//   row's P and dS broadcast. Query blocks that see none of the workgroup's keys are skipped; blocks that see all of them
//   skip the mask. No atomics: each key row belongs to one workgroup.
// Numerics: f32; masked pairs contribute exactly 0 (selected).
enable subgroups;
const RPL: u32 = {{RPL}}u;
const BQ: u32 = 8u * RPL;  // key rows per workgroup
const HD4: u32 = {{HD4}}u;
const NC: u32 = (HD4 + 7u) / 8u;
const BIG: i32 = 0x7fffffff;

struct Params { H: u32, Lq: u32, Lk: u32, d4: u32, nblk: u32, n_groups: u32, masked: u32, scale: f32, lay: array<vec4u, 12> }
@group(0) @binding(0) var<storage, read> K: array<vec4f>;
@group(0) @binding(1) var<storage, read> V: array<vec4f>;
@group(0) @binding(2) var<storage, read> QT: array<vec4f>;
@group(0) @binding(3) var<storage, read> DOT: array<vec4f>;
@group(0) @binding(4) var<storage, read> Q: array<vec4f>;
@group(0) @binding(5) var<storage, read> DO: array<vec4f>;
@group(0) @binding(6) var<storage, read> LSE: array<f32>;
@group(0) @binding(7) var<storage, read> DELTA: array<f32>;
@group(0) @binding(8) var<storage, read> LVQ: array<i32>;
@group(0) @binding(9) var<storage, read> LVK: array<i32>;
@group(0) @binding(10) var<storage, read_write> DK: array<vec4f>;
@group(0) @binding(11) var<storage, read_write> DV: array<vec4f>;
@group(0) @binding(12) var<uniform> p: Params;

fn at(s: u32, b: u32, h: u32, i: u32) -> u32 { let l = p.lay[s]; return l.x + b * l.y + h * l.z + i * l.w; }

@compute @workgroup_size(8)
fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let g = wid.x + wid.y * nwg.x;
  if (g >= p.n_groups) { return; }
  let blk = g % p.nblk; let bh = g / p.nblk; let h = bh % p.H; let b = bh / p.H;
  let l = lid.x;
  let j0 = blk * BQ;
  let masked = p.masked != 0u;

  // This lane's key rows (l, l + 8, ...): k and v; every row's level by broadcast.
  var kreg: array<vec4f, RPL * HD4>; var vreg: array<vec4f, RPL * HD4>;
  var lk: array<i32, BQ>;
  var lk_lo = BIG; var lk_hi = -BIG;
  for (var u = 0u; u < RPL; u++) {
    let j = min(j0 + l + 8u * u, p.Lk - 1u);
    let ko = at(0u, b, h, j); let vo = at(1u, b, h, j);
    for (var d4 = 0u; d4 < HD4; d4++) { kreg[u * HD4 + d4] = K[ko + d4]; vreg[u * HD4 + d4] = V[vo + d4]; }
    var mine = 0;
    if (masked) { mine = LVK[at(9u, 0u, 0u, j)]; }
    let a = bcast8i(mine);
    for (var t = 0u; t < 8u; t++) { lk[8u * u + t] = a[t]; }
    lk_lo = min(lk_lo, subgroupMin(mine)); lk_hi = max(lk_hi, subgroupMax(mine));
  }
  var dk: array<vec4f, BQ * NC>; var dv: array<vec4f, BQ * NC>;
  for (var c = 0u; c < BQ * NC; c++) { dk[c] = vec4f(0.0); dv[c] = vec4f(0.0); }
  var cols: array<u32, NC>;
  for (var n = 0u; n < NC; n++) { cols[n] = min(l + 8u * n, p.d4 - 1u); }
  var xb: array<vec4f, 32u * NC>; // the query block's dO, then Q, values of this lane's columns

  let qtb = at(2u, b, h, 0u); let qds = p.lay[2].w;
  let gtb = at(3u, b, h, 0u); let gds = p.lay[3].w;
  for (var i0 = 0u; i0 < p.Lq; i0 += 32u) {
    let il = i0 + 4u * l;
    let in_range = vec4u(il) + vec4u(0u, 1u, 2u, 3u) < vec4u(p.Lq);
    let ic = min(vec4u(il) + vec4u(0u, 1u, 2u, 3u), vec4u(p.Lq - 1u));
    var lq = vec4i(0);
    var full = true;
    if (masked) {
      lq = vec4i(LVQ[at(8u, 0u, 0u, ic.x)], LVQ[at(8u, 0u, 0u, ic.y)], LVQ[at(8u, 0u, 0u, ic.z)], LVQ[at(8u, 0u, 0u, ic.w)]);
      let d = block_vis(lq, lk_lo, lk_hi, false, l);
      if (d.x != 0u) { continue; }
      full = d.y != 0u;
    }
    let iv = ic.x / 4u;
    var s: array<vec4f, BQ>; var dp: array<vec4f, BQ>;
    for (var r = 0u; r < BQ; r++) { s[r] = vec4f(0.0); dp[r] = vec4f(0.0); }
    // k·q and v·dO in two loops of the forward's size: each unrolls, so kreg and vreg are indexed by constants.
    for (var d4 = 0u; d4 < HD4; d4++) {
      let qr = qtb + 4u * d4 * qds + iv;
      let q0 = QT[qr]; let q1 = QT[qr + qds]; let q2 = QT[qr + 2u * qds]; let q3 = QT[qr + 3u * qds];
      for (var u = 0u; u < RPL; u++) {
        let ks = bcast8(kreg[u * HD4 + d4]);
        for (var t = 0u; t < 8u; t++) {
          let r = 8u * u + t; let k = ks[t];
          s[r] = fma(vec4f(k.w), q3, fma(vec4f(k.z), q2, fma(vec4f(k.y), q1, fma(vec4f(k.x), q0, s[r]))));
        }
      }
    }
    for (var d4 = 0u; d4 < HD4; d4++) {
      let gr = gtb + 4u * d4 * gds + iv;
      let g0 = DOT[gr]; let g1 = DOT[gr + gds]; let g2 = DOT[gr + 2u * gds]; let g3 = DOT[gr + 3u * gds];
      for (var u = 0u; u < RPL; u++) {
        let vs = bcast8(vreg[u * HD4 + d4]);
        for (var t = 0u; t < 8u; t++) {
          let r = 8u * u + t; let v = vs[t];
          dp[r] = fma(vec4f(v.w), g3, fma(vec4f(v.z), g2, fma(vec4f(v.y), g1, fma(vec4f(v.x), g0, dp[r]))));
        }
      }
    }
    let lse = vec4f(LSE[at(6u, b, h, ic.x)], LSE[at(6u, b, h, ic.y)], LSE[at(6u, b, h, ic.z)], LSE[at(6u, b, h, ic.w)]);
    let delta = vec4f(DELTA[at(7u, b, h, ic.x)], DELTA[at(7u, b, h, ic.y)], DELTA[at(7u, b, h, ic.z)], DELTA[at(7u, b, h, ic.w)]);
    var pr: array<vec4f, BQ>; var ds: array<vec4f, BQ>;
    for (var r = 0u; r < BQ; r++) {
      var vis = in_range;
      if (!full) { vis = vis & (vec4i(lk[r]) <= lq); }
      pr[r] = select(vec4f(0.0), exp(s[r] * p.scale - lse), vis);
      ds[r] = select(vec4f(0.0), pr[r] * (dp[r] - delta), vis);
    }
    // dV += P·dO, then dK += dS·Q, from the block's dO, then Q, values of this lane's columns in one buffer (queries past
    // Lq re-read the last one; their P and dS are 0). A loop over the two sides, not written out twice: that halves
    // LLVM's compile time (docs/LAVAPIPE_FINDINGS.md).
    for (var side = 0u; side < 2u; side++) {
      for (var t = 0u; t < 8u; t++) {
        for (var e = 0u; e < 4u; e++) {
          let i = min(i0 + 4u * t + e, p.Lq - 1u);
          if (side == 0u) {
            let go = at(5u, b, h, i);
            for (var n = 0u; n < NC; n++) { xb[(4u * t + e) * NC + n] = DO[go + cols[n]]; }
          } else {
            let qo = at(4u, b, h, i);
            for (var n = 0u; n < NC; n++) { xb[(4u * t + e) * NC + n] = Q[qo + cols[n]]; }
          }
        }
      }
      for (var r = 0u; r < BQ; r++) {
        var w: array<vec4f, 8>;
        if (side == 0u) { w = bcast8(pr[r]); } else { w = bcast8(ds[r]); }
        for (var t = 0u; t < 8u; t++) {
          let x = w[t];
          for (var n = 0u; n < NC; n++) {
            let c = 4u * t * NC + n;
            let a = fma(vec4f(x.w), xb[c + 3u * NC], fma(vec4f(x.z), xb[c + 2u * NC], fma(vec4f(x.y), xb[c + NC], vec4f(x.x) * xb[c])));
            if (side == 0u) { dv[r * NC + n] += a; } else { dk[r * NC + n] += a; }
          }
        }
      }
    }
  }

  for (var r = 0u; r < BQ; r++) {
    if (j0 + r < p.Lk) {
      let ko = at(10u, b, h, j0 + r); let vo = at(11u, b, h, j0 + r);
      for (var n = 0u; n < NC; n++) {
        let c = l + 8u * n;
        if (c < p.d4) { DK[ko + c] = dk[r * NC + n] * p.scale; DV[vo + c] = dv[r * NC + n]; }
      }
    }
  }
}

//#include "_lib/bcast8.wgsl"
//#include "_lib/block_vis.wgsl"
