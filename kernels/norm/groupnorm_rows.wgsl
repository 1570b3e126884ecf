// norm/groupnorm_rows: groupNorm's backward sums per plane r = (b, c): s[r] = ( Σ_i a_i, Σ_i a_i·(b_i − m) ) with
//   a = dy, b = x and m = m0[b, c / cg] (PyTorch's db and ds, with x centred on m0). (The forward's statistics come
//   from norm/groupnorm_moments in one read of x.)
// Bindings: 0 a (read), 1 b (read), 2 mean (read, m0 [B*G]), 3 s (read_write, [B*C, 2]), 4 Params (uniform).
// Params: rows = planes in this dispatch, hw = elements per plane, r0 = global index of the first plane, C channels,
//   cg = channels per group, G groups, a_base/b_base = element offsets of the bound windows. Counts and offsets are in
//   elements; with V = vec4f they are multiples of 4.
// Defines: V = f32, or vec4f when hw and the bases are multiples of 4 (a quarter of the loads, which dominate on
//   lavapipe), WIDTH = its lane count; HSUM = the expression summing the lanes of v.
// Dispatch: one workgroup of 64 per plane (grid folded to (x, y)); invocation t takes the V-elements t, t+64, ...
// Numerics: f32; each invocation sums blocks of 16 V-elements before adding them to its running total (V lanes
//   apart), then a pairwise tree over the 64 partials in workgroup memory.
//#include "_lib/groupnorm_rows_io.wgsl"
var<workgroup> s1w: array<f32, 64>;
var<workgroup> s2w: array<f32, 64>;

@compute @workgroup_size(64)
fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let r = wid.x + wid.y * nwg.x;
  let t = lid.x;
  var s1 = V(0.0); var s2 = V(0.0);
  if (r < p.rows) {
    let rg = p.r0 + r;
    let gi = (rg / p.C) * p.G + (rg % p.C) / p.cg;
    let mb = M[gi];
    let n = p.hw / W;
    let ab = (p.a_base + r * p.hw) / W;
    let bb = (p.b_base + r * p.hw) / W;
    var i = t;
    while (i < n) {
      var b1 = V(0.0); var b2 = V(0.0);
      for (var k = 0u; k < 16u && i < n; k++) {
        let av = A[ab + i];
        b1 += av;
        b2 += av * (Bv[bb + i] - V(mb));
        i += 64u;
      }
      s1 += b1; s2 += b2;
    }
  }
  s1w[t] = hsum(s1); s2w[t] = hsum(s2);
  workgroupBarrier();
  for (var k = 32u; k > 0u; k >>= 1u) {
    if (t < k) { s1w[t] += s1w[t + k]; s2w[t] += s2w[t + k]; }
    workgroupBarrier();
  }
  if (t == 0u && r < p.rows) {
    S[2u * (p.r0 + r)] = s1w[0];
    S[2u * (p.r0 + r) + 1u] = s2w[0];
  }
}
