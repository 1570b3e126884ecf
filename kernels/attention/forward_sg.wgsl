// attention/forward_sg: O[b,h,i] = Σ_j softmax_j(scale·q_i·k_j | j visible) v_j and LSE[b,h,i] = log Σ_j exp(...), the
//   subgroup variant of attention/forward (same bindings, Params and results; operands shared by subgroupBroadcast).
// Bindings: 0 Q (read, vec4 rows of D), 1 KT (read, keys transposed: vec4 of 4 keys per head-dim row), 2 V (read, vec4
//   rows), 3 LVQ, 4 LVK (read, i32 level ids), 5 O (read_write, vec4 rows), 6 LSE (read_write, f32), 7 Params
//   (uniform).
// Params: as attention/forward (H, Lq, Lk, d4, nblk, n_groups, masked, scale, lay[7]).
// Defines: BQ = 8·RPL query rows per workgroup (RPL rows per lane: row r is loaded by lane r % 8), HD4 = head dim / 4
//   (equal to Params.d4).
// Dispatch: a workgroup of exactly 8 invocations in one subgroup of at least 8 (llvmpipe: 8, its SIMD width), as
//   matmul_v3_subgroup. Workgroup g covers query rows BQ·(g % nblk) .. +BQ-1 of one (b, h); keys go by blocks of 32.
//   Lane l holds its query rows (l, l + 8, ...) in registers, loaded once. Scores: lane l owns keys 4l..4l+3 of the
//   block; per vec4 step of the head dim it loads 4 vec4 of KT and receives every row's q by subgroupBroadcast, so no
//   value is loaded twice (lavapipe scalarises every storage load per lane: loads, not FMAs, set its speed). Row
//   maxima come from broadcasts (_lib/bcast8.wgsl max8f), row sums from subgroupAdd. Output: lane l owns vec4 columns
//   l, l + 8, ...; it loads the block's V values of its columns once and receives every row's probabilities from the
//   lanes that own the keys. Key blocks no row of the workgroup sees are skipped and blocks every row sees skip the
//   mask (_lib/block_vis: one workgroup word). Loops have constant trip counts (whole blocks, clamped indices) so that
//   private arrays stay out of per-lane scratch memory. Grid folded to (x, y).
// Numerics: f32; online softmax (running max, running sum, output rescaled by exp(m_old - m_new) once per key block);
//   masked keys contribute exactly 0 (no -inf arithmetic); a query that sees no key gets O = 0, LSE = -3e38.
enable subgroups;
const RPL: u32 = {{RPL}}u;  // query rows per lane
const BQ: u32 = 8u * RPL;   // query rows per workgroup
const HD4: u32 = {{HD4}}u;  // head dim / 4 (a constant: the loops over it unroll and q stays in registers)
const NC: u32 = (HD4 + 7u) / 8u; // output vec4 columns per lane
const NEG: f32 = -3.0e38;   // "minus infinity" for running maxima
const BIG: i32 = 0x7fffffff;

struct Params { H: u32, Lq: u32, Lk: u32, d4: u32, nblk: u32, n_groups: u32, masked: u32, scale: f32, lay: array<vec4u, 7> }
@group(0) @binding(0) var<storage, read> Q: array<vec4f>;
@group(0) @binding(1) var<storage, read> KT: array<vec4f>;
@group(0) @binding(2) var<storage, read> V: array<vec4f>;
@group(0) @binding(3) var<storage, read> LVQ: array<i32>;
@group(0) @binding(4) var<storage, read> LVK: array<i32>;
@group(0) @binding(5) var<storage, read_write> O: array<vec4f>;
@group(0) @binding(6) var<storage, read_write> LSE: array<f32>;
@group(0) @binding(7) var<uniform> p: Params;

// Index of row i of (b, h) in slot s.
fn at(s: u32, b: u32, h: u32, i: u32) -> u32 { let l = p.lay[s]; return l.x + b * l.y + h * l.z + i * l.w; }

@compute @workgroup_size(8)
fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let g = wid.x + wid.y * nwg.x;
  if (g >= p.n_groups) { return; } // surplus workgroups of a folded grid: the whole workgroup leaves
  let blk = g % p.nblk; let bh = g / p.nblk; let h = bh % p.H; let b = bh / p.H;
  let l = lid.x;
  let i0 = blk * BQ;
  let masked = p.masked != 0u;

  // This lane's query rows (l, l + 8, ...; rows past Lq re-read the last row and store nothing) and every row's level.
  var qrow: array<u32, RPL>;
  for (var u = 0u; u < RPL; u++) { qrow[u] = at(0u, b, h, min(i0 + l + 8u * u, p.Lq - 1u)); }
  var qreg: array<vec4f, RPL * HD4>; // this lane's query rows, loaded once
  for (var u = 0u; u < RPL; u++) { for (var d4 = 0u; d4 < HD4; d4++) { qreg[u * HD4 + d4] = Q[qrow[u] + d4]; } }
  var lq: array<i32, BQ>;
  var lq_lo = BIG; var lq_hi = -BIG;
  for (var u = 0u; u < RPL; u++) {
    var mine = 0;
    if (masked) { mine = LVQ[at(3u, 0u, 0u, min(i0 + l + 8u * u, p.Lq - 1u))]; }
    let all = bcast8i(mine);
    for (var t = 0u; t < 8u; t++) { lq[8u * u + t] = all[t]; }
    lq_lo = min(lq_lo, subgroupMin(mine)); lq_hi = max(lq_hi, subgroupMax(mine));
  }

  var m: array<f32, BQ>; var lsum: array<f32, BQ>; var acc: array<vec4f, BQ * NC>;
  for (var r = 0u; r < BQ; r++) { m[r] = NEG; lsum[r] = 0.0; }
  for (var c = 0u; c < BQ * NC; c++) { acc[c] = vec4f(0.0); }
  var cols: array<u32, NC>; // this lane's output columns (past d4: the last one, not stored)
  for (var n = 0u; n < NC; n++) { cols[n] = min(l + 8u * n, p.d4 - 1u); }

  var vb: array<vec4f, 32u * NC>; // the key block's V values for this lane's columns: vb[key · NC + n]
  let ktb = at(1u, b, h, 0u); let kds = p.lay[1].w;
  for (var j0 = 0u; j0 < p.Lk; j0 += 32u) {
    let jl = j0 + 4u * l;
    let in_range = vec4u(jl) + vec4u(0u, 1u, 2u, 3u) < vec4u(p.Lk);
    let jc = min(vec4u(jl) + vec4u(0u, 1u, 2u, 3u), vec4u(p.Lk - 1u));
    var lk = vec4i(0);
    var full = true;
    if (masked) {
      lk = vec4i(LVK[at(4u, 0u, 0u, jc.x)], LVK[at(4u, 0u, 0u, jc.y)], LVK[at(4u, 0u, 0u, jc.z)], LVK[at(4u, 0u, 0u, jc.w)]);
      let d = block_vis(lk, lq_lo, lq_hi, true, l);
      if (d.x != 0u) { continue; }
      full = d.y != 0u;
    }

    // Scores of this lane's 4 keys for the BQ rows.
    let kv = jc.x / 4u;
    var s: array<vec4f, BQ>;
    for (var r = 0u; r < BQ; r++) { s[r] = vec4f(0.0); }
    for (var d4 = 0u; d4 < HD4; d4++) {
      let kr = ktb + 4u * d4 * kds + kv;
      let k0 = KT[kr]; let k1 = KT[kr + kds]; let k2 = KT[kr + 2u * kds]; let k3 = KT[kr + 3u * kds];
      for (var u = 0u; u < RPL; u++) {
        let qs = bcast8(qreg[u * HD4 + d4]);
        for (var t = 0u; t < 8u; t++) {
          let q = qs[t];
          let r = 8u * u + t;
          s[r] = fma(vec4f(q.w), k3, fma(vec4f(q.z), k2, fma(vec4f(q.y), k1, fma(vec4f(q.x), k0, s[r]))));
        }
      }
    }

    // Online softmax: the block's row maxima over the subgroup, probabilities, rescaled running sums and outputs.
    var pr: array<vec4f, BQ>;
    for (var r = 0u; r < BQ; r++) {
      var vis = in_range;
      if (!full) { vis = vis & (lk <= vec4i(lq[r])); }
      let sc = s[r] * p.scale;
      let sm = select(vec4f(NEG), sc, vis);
      let mb = max(m[r], max8f(max(max(sm.x, sm.y), max(sm.z, sm.w))));
      let alpha = exp(m[r] - mb);
      pr[r] = select(vec4f(0.0), exp(sc - mb), vis);
      lsum[r] = lsum[r] * alpha + (pr[r].x + pr[r].y + pr[r].z + pr[r].w);
      m[r] = mb;
      for (var n = 0u; n < NC; n++) { acc[r * NC + n] *= alpha; }
    }

    // acc[r, n] += Σ_j P[r, j] v_j: the block's V columns of this lane (loaded once), then row by row the probabilities
    // of all 32 keys, gathered from their lanes.
    // Constant trip counts (keys past Lk re-read the last key and get probability 0): the loops unroll and vb, pt stay
    // out of per-lane scratch memory (a runtime index into a private array is a per-lane gather on lavapipe).
    for (var t = 0u; t < 8u; t++) {
      for (var e = 0u; e < 4u; e++) {
        let vr = at(2u, b, h, min(j0 + 4u * t + e, p.Lk - 1u));
        for (var n = 0u; n < NC; n++) { vb[(4u * t + e) * NC + n] = V[vr + cols[n]]; }
      }
    }
    for (var r = 0u; r < BQ; r++) {
      let pt = bcast8(pr[r]);
      for (var t = 0u; t < 8u; t++) {
        let w = pt[t];
        for (var n = 0u; n < NC; n++) {
          let c = 4u * t * NC + n;
          acc[r * NC + n] = fma(vec4f(w.w), vb[c + 3u * NC], fma(vec4f(w.z), vb[c + 2u * NC], fma(vec4f(w.y), vb[c + NC], fma(vec4f(w.x), vb[c], acc[r * NC + n]))));
        }
      }
    }
  }

  // Row sums over the subgroup; lane l stores its columns of every row, lane r % 8 the row's LSE.
  for (var r = 0u; r < BQ; r++) {
    let total = subgroupAdd(lsum[r]);
    let i = i0 + r;
    if (i < p.Lq) {
      let oo = at(5u, b, h, i);
      for (var n = 0u; n < NC; n++) {
        let c = l + 8u * n;
        if (c < p.d4) { O[oo + c] = select(vec4f(0.0), acc[r * NC + n] / total, total > 0.0); }
      }
      if (l == r % 8u) { LSE[at(6u, b, h, i)] = select(NEG, m[r] + log(total), total > 0.0); }
    }
  }
}

//#include "_lib/bcast8.wgsl"
//#include "_lib/block_vis.wgsl"
