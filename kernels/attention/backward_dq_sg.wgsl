// attention/backward_dq_sg: dQ[b,h,i] = scale·Σ_j dS_ij k_j with dS_ij = P_ij (dO_i·v_j - Δ_i), P_ij = exp(scale·q_i·k_j -
//   LSE_i) recomputed, and Δ[b,h,i] = dO_i·O_i: the subgroup variant of attention/backward_dq (same bindings, Params
//   and results; operands shared by subgroupBroadcast, as attention/forward_sg).
// Bindings: 0 Q, 1 KT, 2 K, 3 VT, 4 O, 5 dO (read; rows as vec4, KT/VT transposed as in attention/forward), 6 LSE (read,
//   f32), 7 LVQ, 8 LVK (read, i32), 9 dQ (read_write, vec4 rows), 10 DELTA (read_write, f32), 11 Params (uniform).
// Params: as attention/forward; lay[s] for slots Q, KT, K, VT, O, dO, LSE, LVQ, LVK, dQ, DELTA.
// Defines: BQ = 8·RPL query rows per workgroup (row r loaded by lane r % 8), HD4 = head dim / 4 (= Params.d4).
// Dispatch: 8 invocations in one subgroup of at least 8; workgroup g covers query rows BQ·(g % nblk) .. +BQ-1 of one
//   (b, h); keys by blocks of 32, lane l owning keys 4l..4l+3 for P and dS (q·k and dO·v from 4 KT and 4 VT loads per
//   head-dim step; q and dO rows held by their lanes and broadcast), then dQ columns l, l + 8, ... from the block's K
//   values (loaded once per lane) and every row's dS broadcast from the lanes owning the keys. Key blocks no row of the
//   workgroup sees are skipped; blocks every row sees skip the mask.
// Numerics: f32; P from the forward's logsumexp (no max pass); masked keys contribute exactly 0 (selected).
enable subgroups;
const RPL: u32 = {{RPL}}u;
const BQ: u32 = 8u * RPL;
const HD4: u32 = {{HD4}}u;
const NC: u32 = (HD4 + 7u) / 8u;
const BIG: i32 = 0x7fffffff;

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

fn at(s: u32, b: u32, h: u32, i: u32) -> u32 { let l = p.lay[s]; return l.x + b * l.y + h * l.z + i * l.w; }

@compute @workgroup_size(8)
fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let g = wid.x + wid.y * nwg.x;
  if (g >= p.n_groups) { return; }
  let blk = g % p.nblk; let bh = g / p.nblk; let h = bh % p.H; let b = bh / p.H;
  let l = lid.x;
  let i0 = blk * BQ;
  let masked = p.masked != 0u;

  // This lane's rows (l, l + 8, ...): q, dO, Δ = dO·O, LSE and level; every row's LSE, Δ and level by broadcast.
  var qreg: array<vec4f, RPL * HD4>; var greg: array<vec4f, RPL * HD4>;
  var lq: array<i32, BQ>; var lse: array<f32, BQ>; var delta: array<f32, BQ>;
  var lq_lo = BIG; var lq_hi = -BIG;
  for (var u = 0u; u < RPL; u++) {
    let i = min(i0 + l + 8u * u, p.Lq - 1u);
    let qo = at(0u, b, h, i); let go = at(5u, b, h, i); let oo = at(4u, b, h, i);
    var dl = 0.0;
    for (var d4 = 0u; d4 < HD4; d4++) {
      qreg[u * HD4 + d4] = Q[qo + d4]; greg[u * HD4 + d4] = DO[go + d4];
      dl += dot(greg[u * HD4 + d4], O[oo + d4]);
    }
    var mine = 0;
    if (masked) { mine = LVQ[at(7u, 0u, 0u, i)]; }
    let a = bcast8i(mine); let e = bcast8f(LSE[at(6u, b, h, i)]); let dd = bcast8f(dl);
    for (var t = 0u; t < 8u; t++) { lq[8u * u + t] = a[t]; lse[8u * u + t] = e[t]; delta[8u * u + t] = dd[t]; }
    lq_lo = min(lq_lo, subgroupMin(mine)); lq_hi = max(lq_hi, subgroupMax(mine));
  }
  var acc: array<vec4f, BQ * NC>;
  for (var c = 0u; c < BQ * NC; c++) { acc[c] = vec4f(0.0); }
  var cols: array<u32, NC>;
  for (var n = 0u; n < NC; n++) { cols[n] = min(l + 8u * n, p.d4 - 1u); }
  var kb: array<vec4f, 32u * NC>; // the key block's K values for this lane's columns: kb[key · NC + n]

  let ktb = at(1u, b, h, 0u); let kds = p.lay[1].w;
  let vtb = at(3u, b, h, 0u); let vds = p.lay[3].w;
  for (var j0 = 0u; j0 < p.Lk; j0 += 32u) {
    let jl = j0 + 4u * l;
    let in_range = vec4u(jl) + vec4u(0u, 1u, 2u, 3u) < vec4u(p.Lk);
    let jc = min(vec4u(jl) + vec4u(0u, 1u, 2u, 3u), vec4u(p.Lk - 1u));
    var lk = vec4i(0);
    var full = true;
    if (masked) {
      lk = vec4i(LVK[at(8u, 0u, 0u, jc.x)], LVK[at(8u, 0u, 0u, jc.y)], LVK[at(8u, 0u, 0u, jc.z)], LVK[at(8u, 0u, 0u, jc.w)]);
      let d = block_vis(lk, lq_lo, lq_hi, true, l);
      if (d.x != 0u) { continue; }
      full = d.y != 0u;
    }
    let kv = jc.x / 4u;
    var s: array<vec4f, BQ>; var dp: array<vec4f, BQ>;
    for (var r = 0u; r < BQ; r++) { s[r] = vec4f(0.0); dp[r] = vec4f(0.0); }
    // q·k and dO·v in two loops of the forward's size: each unrolls, so qreg and greg are indexed by constants.
    for (var d4 = 0u; d4 < HD4; d4++) {
      let kr = ktb + 4u * d4 * kds + kv;
      let k0 = KT[kr]; let k1 = KT[kr + kds]; let k2 = KT[kr + 2u * kds]; let k3 = KT[kr + 3u * kds];
      for (var u = 0u; u < RPL; u++) {
        let qs = bcast8(qreg[u * HD4 + d4]);
        for (var t = 0u; t < 8u; t++) {
          let r = 8u * u + t; let q = qs[t];
          s[r] = fma(vec4f(q.w), k3, fma(vec4f(q.z), k2, fma(vec4f(q.y), k1, fma(vec4f(q.x), k0, s[r]))));
        }
      }
    }
    for (var d4 = 0u; d4 < HD4; d4++) {
      let vr = vtb + 4u * d4 * vds + kv;
      let v0 = VT[vr]; let v1 = VT[vr + vds]; let v2 = VT[vr + 2u * vds]; let v3 = VT[vr + 3u * vds];
      for (var u = 0u; u < RPL; u++) {
        let gs = bcast8(greg[u * HD4 + d4]);
        for (var t = 0u; t < 8u; t++) {
          let r = 8u * u + t; let go = gs[t];
          dp[r] = fma(vec4f(go.w), v3, fma(vec4f(go.z), v2, fma(vec4f(go.y), v1, fma(vec4f(go.x), v0, dp[r]))));
        }
      }
    }
    // The block's K values of this lane's columns (keys past Lk re-read the last one; their dS is 0).
    for (var t = 0u; t < 8u; t++) {
      for (var e = 0u; e < 4u; e++) {
        let kr = at(2u, b, h, min(j0 + 4u * t + e, p.Lk - 1u));
        for (var n = 0u; n < NC; n++) { kb[(4u * t + e) * NC + n] = K[kr + cols[n]]; }
      }
    }
    for (var r = 0u; r < BQ; r++) {
      var vis = in_range;
      if (!full) { vis = vis & (lk <= vec4i(lq[r])); }
      let ds = select(vec4f(0.0), exp(s[r] * p.scale - lse[r]) * (dp[r] - delta[r]), vis);
      let w = bcast8(ds);
      for (var t = 0u; t < 8u; t++) {
        let e = w[t];
        for (var n = 0u; n < NC; n++) {
          let c = 4u * t * NC + n;
          acc[r * NC + n] = fma(vec4f(e.w), kb[c + 3u * NC], fma(vec4f(e.z), kb[c + 2u * NC], fma(vec4f(e.y), kb[c + NC], fma(vec4f(e.x), kb[c], acc[r * NC + n]))));
        }
      }
    }
  }

  for (var r = 0u; r < BQ; r++) {
    let i = i0 + r;
    if (i < p.Lq) {
      let o = at(9u, b, h, i);
      for (var n = 0u; n < NC; n++) { let c = l + 8u * n; if (c < p.d4) { DQ[o + c] = acc[r * NC + n] * p.scale; } }
      if (l == r % 8u) { DELTA[at(10u, b, h, i)] = delta[r]; }
    }
  }
}

//#include "_lib/bcast8.wgsl"
//#include "_lib/block_vis.wgsl"
