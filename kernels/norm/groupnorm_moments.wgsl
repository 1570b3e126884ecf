// norm/groupnorm_moments: groupNorm's forward statistics in one read of x: per plane r = (b, c) with first element K,
//   S[r] = (K, mean of x − K, M2 = Σ_i (x_i − mean)², 0) (norm/groupnorm_coef merges the planes of each group).
// Bindings: 0 X (read), 1 S (read_write, [B*C] vec4), 2 Params (uniform).
// Params: rows = planes in this dispatch, hw = elements per plane, r0 = global index of the first plane, x_base =
//   element offset of the bound window (with V = vec4f, hw and x_base are multiples of 4).
// Defines: V = f32, or vec4f when hw and the base are multiples of 4 (a quarter of the loads, which dominate on
//   lavapipe), WIDTH = its lane count; HSUM = the expression summing the lanes of v, FIRST the one taking its
//   first lane.
// Dispatch: one workgroup of 64 per plane (grid folded to (x, y)); invocation t takes the V-elements t, t+64, ...
// Numerics: the values are shifted by K (x − K is exact where x is within a factor 2 of K), so that the mean's
//   precision is that of the spread, not of |mean| (the group mean is rebuilt as K + a small correction). f32 Welford
//   per stream (each lane of V in each invocation: n += 1, d = x − mean, mean += d·(1/n),
//   M2 += d·(x − mean)), then the W lanes of an invocation (equal counts) and the 64 invocations (a pairwise tree in
//   workgroup memory) merged by Chan's formula. No sum of squares is differenced, so the variance keeps its
//   precision however large the mean is against the spread.
//#include "_lib/groupnorm_moments_io.wgsl"
var<workgroup> wn: array<f32, 64>;
var<workgroup> wm: array<f32, 64>;
var<workgroup> wq: array<f32, 64>;

@compute @workgroup_size(64)
fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let r = wid.x + wid.y * nwg.x;
  let t = lid.x;
  var m = Moments(0.0, V(0.0), V(0.0)); var k = 0.0;
  if (r < p.rows) {
    let n = p.hw / W;
    let xb = (p.x_base + r * p.hw) / W;
    k = first(X[xb]);
    for (var i = t; i < n; i += 64u) { m = welford(m, X[xb + i] - V(k)); }
  }
  let s = merge_lanes(m);
  wn[t] = s.x; wm[t] = s.y; wq[t] = s.z;
  workgroupBarrier();
  for (var h = 32u; h > 0u; h >>= 1u) {
    if (t < h) {
      // Chan: n = na + nb, mean = ma + (mb − ma)·nb/n, M2 = M2a + M2b + (mb − ma)²·na·nb/n.
      let na = wn[t]; let nb = wn[t + h]; let nt = na + nb;
      if (nb > 0.0) {
        let d = wm[t + h] - wm[t]; let f = nb / nt;
        wm[t] = wm[t] + d * f; wq[t] = wq[t] + wq[t + h] + d * d * na * f; wn[t] = nt;
      }
    }
    workgroupBarrier();
  }
  if (t == 0u && r < p.rows) {
    S[p.r0 + r] = vec4f(k, wm[0], wq[0], 0.0);
  }
}
