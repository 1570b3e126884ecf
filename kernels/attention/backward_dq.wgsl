// attention/backward_dq: dQ[b,h,i] = scale·Σ_j dS_ij k_j with dS_ij = P_ij (dO_i·v_j - Δ_i), P_ij = exp(scale·q_i·k_j - LSE_i)
//   recomputed, and Δ[b,h,i] = dO_i·O_i (written for attention/backward_dkdv, which runs after this kernel).
// Bindings: 0 Q, 1 KT, 2 K, 3 VT, 4 O, 5 dO (read; rows as vec4, KT/VT transposed as in attention/forward), 6 LSE (read,
//   f32), 7 LVQ, 8 LVK (read, i32), 9 dQ (read_write, vec4 rows), 10 DELTA (read_write, f32), 11 Params (uniform).
// Params: as attention/forward; lay[s] for slots Q, KT, K, VT, O, dO, LSE, LVQ, LVK, dQ, DELTA.
// Defines: WG lanes, BQ rows per workgroup (tuning: ops/attention.ts attentionTuning), NC = ceil(head dim / 4 / WG)
//   vec4 columns per lane (sizes private arrays; the head dim itself travels in Params).
// Dispatch: as attention/forward: BQ query rows per workgroup, keys by blocks of 4·WG; lane l computes P and dS for keys
//   4l..4l+3 (q·k and dO·v as in the forward's scores), dS meets in workgroup memory, and lane l accumulates dQ columns
//   l, l + WG, ... Key blocks no row of the workgroup can see are skipped.
// Numerics: f32; P from the forward's logsumexp (no max pass); masked keys contribute exactly 0 (selected, so padding
//   and -inf-like values never reach the sums).
const WG: u32 = {{WG}}u;
const BQ: u32 = {{BQ}}u;
const NC: u32 = {{NC}}u;
const BK: u32 = 4u * WG;

struct Params { H: u32, Lq: u32, Lk: u32, d4: u32, nblk: u32, n_groups: u32, masked: u32, scale: f32, lay: array<vec4u, 11> }
@group(0) @binding(0) var<storage, read> Q: array<vec4f>;
@group(0) @binding(1) var<storage, read> KT: array<vec4f>;
@group(0) @binding(2) var<storage, read> K: array<vec4f>;
@group(0) @binding(3) var<storage, read> VT: array<vec4f>;
@group(0) @binding(4) var<storage, read> O: array<vec4f>;
@group(0) @binding(5) var<storage, read> DO: array<vec4f>;
@group(0) @binding(6) var<storage, read> LSE: array<f32>;
@group(0) @binding(7) var<storage, read> LVQ: array<i32>;
@group(0) @binding(8) var<storage, read> LVK: array<i32>;
@group(0) @binding(9) var<storage, read_write> DQ: array<vec4f>;
@group(0) @binding(10) var<storage, read_write> DELTA: array<f32>;
@group(0) @binding(11) var<uniform> p: Params;

var<workgroup> RED: array<f32, BQ * WG>;  // per-lane partial Δ
var<workgroup> DS: array<vec4f, BQ * WG>; // dS of the block: DS[r·WG + l] = keys 4l..4l+3 of row r
var<workgroup> skip: u32;

fn at(s: u32, b: u32, h: u32, i: u32) -> u32 { let l = p.lay[s]; return l.x + b * l.y + h * l.z + i * l.w; }

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let g = wid.x + wid.y * nwg.x;
  if (g >= p.n_groups) { return; }
  let blk = g % p.nblk; let bh = g / p.nblk; let h = bh % p.H; let b = bh / p.H;
  let l = lid.x;
  let i0 = blk * BQ;
  let masked = p.masked != 0u;

  var lq: array<i32, BQ>; var lse: array<f32, BQ>;
  var lq_max = -0x7fffffff;
  for (var r = 0u; r < BQ; r++) {
    let i = min(i0 + r, p.Lq - 1u);
    lse[r] = LSE[at(6u, b, h, i)];
    lq[r] = 0;
    if (masked) { lq[r] = LVQ[at(7u, 0u, 0u, i)]; lq_max = max(lq_max, lq[r]); }
    // This lane's share of Δ_r = dO_r·O_r.
    let oo = at(4u, b, h, i);
    var part = 0.0;
    for (var n = 0u; n < NC; n++) { let c = l + WG * n; if (c < p.d4) { part += dot(DO[at(5u, b, h, i) + c], O[oo + c]); } }
    RED[r * WG + l] = part;
  }
  workgroupBarrier();
  var delta: array<f32, BQ>;
  for (var r = 0u; r < BQ; r++) { delta[r] = 0.0; for (var t = 0u; t < WG; t++) { delta[r] += RED[r * WG + t]; } }
  var acc: array<vec4f, BQ * NC>;
  for (var c = 0u; c < BQ * NC; c++) { acc[c] = vec4f(0.0); }

  let ktb = at(1u, b, h, 0u); let kds = p.lay[1].w;
  let vtb = at(3u, b, h, 0u); let vds = p.lay[3].w;
  for (var j0 = 0u; j0 < p.Lk; j0 += BK) {
    if (masked) {
      if (l == 0u) {
        var lk_min = LVK[at(8u, 0u, 0u, j0)];
        for (var j = j0 + 1u; j < min(j0 + BK, p.Lk); j++) { lk_min = min(lk_min, LVK[at(8u, 0u, 0u, j)]); }
        skip = select(0u, 1u, lk_min > lq_max);
      }
      if (workgroupUniformLoad(&skip) != 0u) { continue; }
    }
    let jl = j0 + 4u * l;
    let kv = min(jl, p.Lk - 1u) / 4u;
    var s: array<vec4f, BQ>; var dp: array<vec4f, BQ>;
    for (var r = 0u; r < BQ; r++) { s[r] = vec4f(0.0); dp[r] = vec4f(0.0); }
    for (var d4 = 0u; d4 < p.d4; d4++) {
      let kr = ktb + 4u * d4 * kds + kv;
      let k0 = KT[kr]; let k1 = KT[kr + kds]; let k2 = KT[kr + 2u * kds]; let k3 = KT[kr + 3u * kds];
      let vr = vtb + 4u * d4 * vds + kv;
      let v0 = VT[vr]; let v1 = VT[vr + vds]; let v2 = VT[vr + 2u * vds]; let v3 = VT[vr + 3u * vds];
      for (var r = 0u; r < BQ; r++) {
        let i = min(i0 + r, p.Lq - 1u);
        let q = Q[at(0u, b, h, i) + d4];
        s[r] = fma(vec4f(q.w), k3, fma(vec4f(q.z), k2, fma(vec4f(q.y), k1, fma(vec4f(q.x), k0, s[r]))));
        let go = DO[at(5u, b, h, i) + d4];
        dp[r] = fma(vec4f(go.w), v3, fma(vec4f(go.z), v2, fma(vec4f(go.y), v1, fma(vec4f(go.x), v0, dp[r]))));
      }
    }
    let jc = min(vec4u(jl) + vec4u(0u, 1u, 2u, 3u), vec4u(p.Lk - 1u));
    let in_range = vec4u(jl) + vec4u(0u, 1u, 2u, 3u) < vec4u(p.Lk);
    var lk = vec4i(0);
    if (masked) { lk = vec4i(LVK[at(8u, 0u, 0u, jc.x)], LVK[at(8u, 0u, 0u, jc.y)], LVK[at(8u, 0u, 0u, jc.z)], LVK[at(8u, 0u, 0u, jc.w)]); }
    for (var r = 0u; r < BQ; r++) {
      let vis = in_range & (lk <= vec4i(lq[r]));
      DS[r * WG + l] = select(vec4f(0.0), exp(s[r] * p.scale - lse[r]) * (dp[r] - delta[r]), vis);
    }
    workgroupBarrier();
    let n4 = (min(BK, p.Lk - j0) + 3u) / 4u;
    for (var t = 0u; t < n4; t++) {
      let j = j0 + 4u * t;
      let r0 = at(2u, b, h, j); let r1 = at(2u, b, h, min(j + 1u, p.Lk - 1u));
      let r2 = at(2u, b, h, min(j + 2u, p.Lk - 1u)); let r3 = at(2u, b, h, min(j + 3u, p.Lk - 1u));
      var w: array<vec4f, BQ>;
      for (var r = 0u; r < BQ; r++) { w[r] = DS[r * WG + t]; }
      for (var n = 0u; n < NC; n++) {
        let c = min(l + WG * n, p.d4 - 1u);
        let a0 = K[r0 + c]; let a1 = K[r1 + c]; let a2 = K[r2 + c]; let a3 = K[r3 + c];
        for (var r = 0u; r < BQ; r++) {
          let e = w[r];
          acc[r * NC + n] = fma(vec4f(e.w), a3, fma(vec4f(e.z), a2, fma(vec4f(e.y), a1, fma(vec4f(e.x), a0, acc[r * NC + n]))));
        }
      }
    }
    workgroupBarrier();
  }

  for (var r = 0u; r < BQ; r++) {
    if (i0 + r >= p.Lq) { break; }
    let i = i0 + r;
    let o = at(9u, b, h, i);
    for (var n = 0u; n < NC; n++) { let c = l + WG * n; if (c < p.d4) { DQ[o + c] = acc[r * NC + n] * p.scale; } }
    if (l == 0u) { DELTA[at(10u, b, h, i)] = delta[r]; }
  }
}
