// attention/backward_dkdv: dV[b,h,j] = Σ_i P_ij dO_i and dK[b,h,j] = scale·Σ_i dS_ij q_i with P_ij = exp(scale·q_i·k_j - LSE_i)
//   recomputed and dS_ij = P_ij (dO_i·v_j - Δ_i), Δ from attention/backward_dq.
// Bindings: 0 K, 1 V, 2 QT, 3 dOT, 4 Q, 5 dO (read; rows as vec4, QT/dOT transposed: vec4 of 4 queries per head-dim row),
//   6 LSE, 7 DELTA (read, f32), 8 LVQ, 9 LVK (read, i32), 10 dK, 11 dV (read_write, vec4 rows), 12 Params (uniform).
// Params: as attention/forward with nblk counting key blocks of BQ rows; lay[s] for slots K, V, QT, dOT, Q, dO, LSE, DELTA,
//   LVQ, LVK, dK, dV.
// Defines: WG lanes, BQ rows per workgroup (tuning: ops/attention.ts attentionTuning), NC = ceil(head dim / 4 / WG)
//   vec4 columns per lane (sizes private arrays; the head dim itself travels in Params).
// Dispatch: the transpose of attention/backward_dq: BQ key rows per workgroup, queries by blocks of 4·WG; lane l computes
//   P and dS for queries 4l..4l+3, both meet in workgroup memory, and lane l accumulates dK and dV columns l, l + WG, ...
//   Query blocks that see none of the workgroup's keys are skipped. No atomics: each key row belongs to one workgroup.
// Numerics: f32; masked pairs contribute exactly 0 (selected).
const WG: u32 = {{WG}}u;
const BQ: u32 = {{BQ}}u;  // key rows per workgroup
const NC: u32 = {{NC}}u;
const BI: u32 = 4u * WG;  // queries per block

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

var<workgroup> PS: array<vec4f, BQ * WG>; // P of the block: PS[r·WG + l] = queries 4l..4l+3 of key row r
var<workgroup> DS: array<vec4f, BQ * WG>; // dS likewise
var<workgroup> skip: u32;

fn at(s: u32, b: u32, h: u32, i: u32) -> u32 { let l = p.lay[s]; return l.x + b * l.y + h * l.z + i * l.w; }

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let g = wid.x + wid.y * nwg.x;
  if (g >= p.n_groups) { return; }
  let blk = g % p.nblk; let bh = g / p.nblk; let h = bh % p.H; let b = bh / p.H;
  let l = lid.x;
  let j0 = blk * BQ;
  let masked = p.masked != 0u;

  var lk: array<i32, BQ>;
  var lk_min = 0x7fffffff;
  for (var r = 0u; r < BQ; r++) {
    let j = min(j0 + r, p.Lk - 1u);
    lk[r] = 0;
    if (masked) { lk[r] = LVK[at(9u, 0u, 0u, j)]; lk_min = min(lk_min, lk[r]); }
  }
  var dk: array<vec4f, BQ * NC>; var dv: array<vec4f, BQ * NC>;
  for (var c = 0u; c < BQ * NC; c++) { dk[c] = vec4f(0.0); dv[c] = vec4f(0.0); }

  let qtb = at(2u, b, h, 0u); let qds = p.lay[2].w;
  let gtb = at(3u, b, h, 0u); let gds = p.lay[3].w;
  for (var i0 = 0u; i0 < p.Lq; i0 += BI) {
    if (masked) {
      if (l == 0u) {
        var lq_max = LVQ[at(8u, 0u, 0u, i0)];
        for (var i = i0 + 1u; i < min(i0 + BI, p.Lq); i++) { lq_max = max(lq_max, LVQ[at(8u, 0u, 0u, i)]); }
        skip = select(0u, 1u, lq_max < lk_min);
      }
      if (workgroupUniformLoad(&skip) != 0u) { continue; }
    }
    let il = i0 + 4u * l;
    let iv = min(il, p.Lq - 1u) / 4u;
    var s: array<vec4f, BQ>; var dp: array<vec4f, BQ>;
    for (var r = 0u; r < BQ; r++) { s[r] = vec4f(0.0); dp[r] = vec4f(0.0); }
    for (var d4 = 0u; d4 < p.d4; d4++) {
      let qr = qtb + 4u * d4 * qds + iv;
      let q0 = QT[qr]; let q1 = QT[qr + qds]; let q2 = QT[qr + 2u * qds]; let q3 = QT[qr + 3u * qds];
      let gr = gtb + 4u * d4 * gds + iv;
      let g0 = DOT[gr]; let g1 = DOT[gr + gds]; let g2 = DOT[gr + 2u * gds]; let g3 = DOT[gr + 3u * gds];
      for (var r = 0u; r < BQ; r++) {
        let j = min(j0 + r, p.Lk - 1u);
        let k = K[at(0u, b, h, j) + d4];
        s[r] = fma(vec4f(k.w), q3, fma(vec4f(k.z), q2, fma(vec4f(k.y), q1, fma(vec4f(k.x), q0, s[r]))));
        let v = V[at(1u, b, h, j) + d4];
        dp[r] = fma(vec4f(v.w), g3, fma(vec4f(v.z), g2, fma(vec4f(v.y), g1, fma(vec4f(v.x), g0, dp[r]))));
      }
    }
    let ic = min(vec4u(il) + vec4u(0u, 1u, 2u, 3u), vec4u(p.Lq - 1u));
    let in_range = vec4u(il) + vec4u(0u, 1u, 2u, 3u) < vec4u(p.Lq);
    let lse = vec4f(LSE[at(6u, b, h, ic.x)], LSE[at(6u, b, h, ic.y)], LSE[at(6u, b, h, ic.z)], LSE[at(6u, b, h, ic.w)]);
    let delta = vec4f(DELTA[at(7u, b, h, ic.x)], DELTA[at(7u, b, h, ic.y)], DELTA[at(7u, b, h, ic.z)], DELTA[at(7u, b, h, ic.w)]);
    var lq = vec4i(0);
    if (masked) { lq = vec4i(LVQ[at(8u, 0u, 0u, ic.x)], LVQ[at(8u, 0u, 0u, ic.y)], LVQ[at(8u, 0u, 0u, ic.z)], LVQ[at(8u, 0u, 0u, ic.w)]); }
    for (var r = 0u; r < BQ; r++) {
      let vis = in_range & (vec4i(lk[r]) <= lq);
      let pr = select(vec4f(0.0), exp(s[r] * p.scale - lse), vis);
      PS[r * WG + l] = pr;
      DS[r * WG + l] = select(vec4f(0.0), pr * (dp[r] - delta), vis);
    }
    workgroupBarrier();
    let n4 = (min(BI, p.Lq - i0) + 3u) / 4u;
    for (var t = 0u; t < n4; t++) {
      let i = i0 + 4u * t;
      let a = vec4u(i, min(i + 1u, p.Lq - 1u), min(i + 2u, p.Lq - 1u), min(i + 3u, p.Lq - 1u));
      let go = vec4u(at(5u, b, h, a.x), at(5u, b, h, a.y), at(5u, b, h, a.z), at(5u, b, h, a.w));
      let qo = vec4u(at(4u, b, h, a.x), at(4u, b, h, a.y), at(4u, b, h, a.z), at(4u, b, h, a.w));
      var w: array<vec4f, BQ>; var e: array<vec4f, BQ>;
      for (var r = 0u; r < BQ; r++) { w[r] = PS[r * WG + t]; e[r] = DS[r * WG + t]; }
      for (var n = 0u; n < NC; n++) {
        let c = min(l + WG * n, p.d4 - 1u);
        let g0 = DO[go.x + c]; let g1 = DO[go.y + c]; let g2 = DO[go.z + c]; let g3 = DO[go.w + c];
        let q0 = Q[qo.x + c]; let q1 = Q[qo.y + c]; let q2 = Q[qo.z + c]; let q3 = Q[qo.w + c];
        for (var r = 0u; r < BQ; r++) {
          let x = w[r]; let y = e[r];
          dv[r * NC + n] = fma(vec4f(x.w), g3, fma(vec4f(x.z), g2, fma(vec4f(x.y), g1, fma(vec4f(x.x), g0, dv[r * NC + n]))));
          dk[r * NC + n] = fma(vec4f(y.w), q3, fma(vec4f(y.z), q2, fma(vec4f(y.y), q1, fma(vec4f(y.x), q0, dk[r * NC + n]))));
        }
      }
    }
    workgroupBarrier();
  }

  for (var r = 0u; r < BQ; r++) {
    if (j0 + r >= p.Lk) { break; }
    let ko = at(10u, b, h, j0 + r); let vo = at(11u, b, h, j0 + r);
    for (var n = 0u; n < NC; n++) {
      let c = l + WG * n;
      if (c < p.d4) { DK[ko + c] = dk[r * NC + n] * p.scale; DV[vo + c] = dv[r * NC + n]; }
    }
  }
}
