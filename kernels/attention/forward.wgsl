// attention/forward: O[b,h,i] = Σ_j softmax_j(scale·q_i·k_j | j visible) v_j, and LSE[b,h,i] = log Σ_j exp(scale·q_i·k_j).
// Bindings: 0 Q (read, vec4 rows of D), 1 KT (read, keys transposed: vec4 of 4 keys per head-dim row), 2 V (read, vec4
//   rows), 3 LVQ, 4 LVK (read, i32 level ids), 5 O (read_write, vec4 rows), 6 LSE (read_write, f32), 7 Params (uniform).
// Params: H heads; Lq, Lk rows; d4 = head dim / 4; nblk = query blocks of BQ rows per (b, h); n_groups = workgroups in
//   use; masked = 1 for the block-causal mask (query i sees key j iff LVK[j] <= LVQ[i]), else 0; scale = softmax scale;
//   lay[s] = (base, batch stride, head stride, row stride) of slot s = Q, KT, V, LVQ, LVK, O, LSE in its array's units
//   (KT's row stride is its stride per head-dim row, in vec4 of keys; its rows hold at least ceil(Lk / 4)·4 keys).
// Defines: WG lanes, BQ rows per workgroup (tuning: ops/attention.ts attentionTuning), NC = ceil(head dim / 4 / WG)
//   vec4 columns per lane (sizes private arrays; the head dim itself travels in Params).
// Dispatch: workgroup g covers BQ query rows (block g % nblk) of one (b, h), WG lanes; keys go by blocks of 4·WG. Lane l
//   scores keys 4l..4l+3 of the block against the BQ rows (queries read as workgroup-uniform vec4, keys as one vec4 of
//   4 keys per head-dim row, as in matmul), the block's row maxima meet in workgroup memory, and lane l accumulates
//   output columns l, l + WG, ... (NC vec4 per row) from the block's probabilities. Key blocks no row of the workgroup
//   can see are skipped. Grid folded to (x, y).
// Numerics: f32; online softmax (running max, running sum, output rescaled by exp(m_old - m_new) once per key block);
//   masked keys contribute exactly 0 (no -inf arithmetic); a query that sees no key gets O = 0, LSE = -3e38.
const WG: u32 = {{WG}}u;  // lanes
const BQ: u32 = {{BQ}}u;  // query rows per workgroup
const NC: u32 = {{NC}}u;  // output vec4 columns per lane: ceil(d4 / WG)
const BK: u32 = 4u * WG;  // keys per block
const NEG: f32 = -3.0e38; // "minus infinity" for running maxima

struct Params { H: u32, Lq: u32, Lk: u32, d4: u32, nblk: u32, n_groups: u32, masked: u32, scale: f32, lay: array<vec4u, 7> }
@group(0) @binding(0) var<storage, read> Q: array<vec4f>;
@group(0) @binding(1) var<storage, read> KT: array<vec4f>;
@group(0) @binding(2) var<storage, read> V: array<vec4f>;
@group(0) @binding(3) var<storage, read> LVQ: array<i32>;
@group(0) @binding(4) var<storage, read> LVK: array<i32>;
@group(0) @binding(5) var<storage, read_write> O: array<vec4f>;
@group(0) @binding(6) var<storage, read_write> LSE: array<f32>;
@group(0) @binding(7) var<uniform> p: Params;

var<workgroup> MX: array<f32, BQ * WG>;   // per-lane row maxima of a block; per-lane row sums at the end
var<workgroup> PS: array<vec4f, BQ * WG>; // probabilities of the block: PS[r·WG + l] = keys 4l..4l+3 of row r
var<workgroup> skip: u32;

// Index of row i of (b, h) in slot s.
fn at(s: u32, b: u32, h: u32, i: u32) -> u32 { let l = p.lay[s]; return l.x + b * l.y + h * l.z + i * l.w; }

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let g = wid.x + wid.y * nwg.x;
  if (g >= p.n_groups) { return; } // surplus workgroups of a folded grid (uniform: no barrier is skipped by some lanes only)
  let blk = g % p.nblk; let bh = g / p.nblk; let h = bh % p.H; let b = bh / p.H;
  let l = lid.x;
  let i0 = blk * BQ;
  let masked = p.masked != 0u;

  // The block's levels (rows past Lq redo the last row and store nothing).
  var lq: array<i32, BQ>;
  var lq_max = -0x7fffffff;
  for (var r = 0u; r < BQ; r++) {
    lq[r] = 0;
    if (masked) { lq[r] = LVQ[at(3u, 0u, 0u, min(i0 + r, p.Lq - 1u))]; lq_max = max(lq_max, lq[r]); }
  }
  var m: array<f32, BQ>; var lsum: array<f32, BQ>; var acc: array<vec4f, BQ * NC>;
  for (var r = 0u; r < BQ; r++) { m[r] = NEG; lsum[r] = 0.0; }
  for (var c = 0u; c < BQ * NC; c++) { acc[c] = vec4f(0.0); }

  let ktb = at(1u, b, h, 0u); let kds = p.lay[1].w;
  for (var j0 = 0u; j0 < p.Lk; j0 += BK) {
    if (masked) {
      if (l == 0u) {
        var lk_min = LVK[at(4u, 0u, 0u, j0)];
        for (var j = j0 + 1u; j < min(j0 + BK, p.Lk); j++) { lk_min = min(lk_min, LVK[at(4u, 0u, 0u, j)]); }
        skip = select(0u, 1u, lk_min > lq_max);
      }
      if (workgroupUniformLoad(&skip) != 0u) { continue; }
    }
    // Scores of this lane's 4 keys for the BQ rows.
    let jl = j0 + 4u * l;
    let kv = min(jl, p.Lk - 1u) / 4u;
    var s: array<vec4f, BQ>;
    for (var r = 0u; r < BQ; r++) { s[r] = vec4f(0.0); }
    for (var d4 = 0u; d4 < p.d4; d4++) {
      let kr = ktb + 4u * d4 * kds + kv;
      let k0 = KT[kr]; let k1 = KT[kr + kds]; let k2 = KT[kr + 2u * kds]; let k3 = KT[kr + 3u * kds];
      for (var r = 0u; r < BQ; r++) {
        // Row offsets are recomputed here, not kept in a private array (faster on lavapipe: docs/LAVAPIPE_FINDINGS.md).
        let q = Q[at(0u, b, h, min(i0 + r, p.Lq - 1u)) + d4];
        s[r] = fma(vec4f(q.w), k3, fma(vec4f(q.z), k2, fma(vec4f(q.y), k1, fma(vec4f(q.x), k0, s[r]))));
      }
    }
    let jc = min(vec4u(jl) + vec4u(0u, 1u, 2u, 3u), vec4u(p.Lk - 1u));
    let in_range = vec4u(jl) + vec4u(0u, 1u, 2u, 3u) < vec4u(p.Lk);
    var lk = vec4i(0);
    if (masked) { lk = vec4i(LVK[at(4u, 0u, 0u, jc.x)], LVK[at(4u, 0u, 0u, jc.y)], LVK[at(4u, 0u, 0u, jc.z)], LVK[at(4u, 0u, 0u, jc.w)]); }
    var vis: array<vec4<bool>, BQ>;
    for (var r = 0u; r < BQ; r++) {
      s[r] *= p.scale;
      vis[r] = in_range & (lk <= vec4i(lq[r]));
      let sm = select(vec4f(NEG), s[r], vis[r]);
      MX[r * WG + l] = max(max(sm.x, sm.y), max(sm.z, sm.w));
    }
    workgroupBarrier();
    for (var r = 0u; r < BQ; r++) {
      var mb = m[r];
      for (var t = 0u; t < WG; t++) { mb = max(mb, MX[r * WG + t]); }
      let alpha = exp(m[r] - mb);
      let pr = select(vec4f(0.0), exp(s[r] - mb), vis[r]);
      lsum[r] = lsum[r] * alpha + (pr.x + pr.y + pr.z + pr.w);
      m[r] = mb;
      PS[r * WG + l] = pr;
      for (var n = 0u; n < NC; n++) { acc[r * NC + n] *= alpha; }
    }
    workgroupBarrier();
    // acc[r, n] += Σ_j P[r, j] v_j over the block's keys, lane l owning columns l + WG·n.
    let n4 = (min(BK, p.Lk - j0) + 3u) / 4u;
    for (var t = 0u; t < n4; t++) {
      let j = j0 + 4u * t;
      let v0 = at(2u, b, h, j); let v1 = at(2u, b, h, min(j + 1u, p.Lk - 1u));
      let v2 = at(2u, b, h, min(j + 2u, p.Lk - 1u)); let v3 = at(2u, b, h, min(j + 3u, p.Lk - 1u));
      var pt: array<vec4f, BQ>;
      for (var r = 0u; r < BQ; r++) { pt[r] = PS[r * WG + t]; }
      for (var n = 0u; n < NC; n++) {
        let c = min(l + WG * n, p.d4 - 1u);
        let a0 = V[v0 + c]; let a1 = V[v1 + c]; let a2 = V[v2 + c]; let a3 = V[v3 + c];
        for (var r = 0u; r < BQ; r++) {
          let w = pt[r];
          acc[r * NC + n] = fma(vec4f(w.w), a3, fma(vec4f(w.z), a2, fma(vec4f(w.y), a1, fma(vec4f(w.x), a0, acc[r * NC + n]))));
        }
      }
    }
  }

  // Row sums: the lanes' partial sums meet in workgroup memory.
  for (var r = 0u; r < BQ; r++) { MX[r * WG + l] = lsum[r]; }
  workgroupBarrier();
  for (var r = 0u; r < BQ; r++) {
    if (i0 + r >= p.Lq) { break; }
    var total = 0.0;
    for (var t = 0u; t < WG; t++) { total += MX[r * WG + t]; }
    let i = i0 + r;
    let oo = at(5u, b, h, i);
    for (var n = 0u; n < NC; n++) {
      let c = l + WG * n;
      if (c < p.d4) { O[oo + c] = select(vec4f(0.0), acc[r * NC + n] / total, total > 0.0); }
    }
    if (l == 0u) { LSE[at(6u, b, h, i)] = select(NEG, m[r] + log(total), total > 0.0); }
  }
}
