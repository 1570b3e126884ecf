// norm/groupnorm_moments_rows: norm/groupnorm_moments' S[r] = (K, mean of x − K, M2, 0) per plane r = (b, c) with
//   first element K, with one invocation per plane: no workgroup memory and no barriers (on a CPU adapter a barrier
//   suspends and resumes every SIMD group of the workgroup; small planes cost mostly that).
// Bindings: 0 X (read), 1 S (read_write, [B*C] vec4), 2 Params (uniform): as norm/groupnorm_moments.
// Params: rows, hw, r0, x_base: as norm/groupnorm_moments.
// Defines: V, WIDTH, HSUM, FIRST: as norm/groupnorm_moments.
// Dispatch: workgroups of 8 invocations, invocation i owns plane i of the dispatch (grid folded to (x, y) over
//   ceil(rows / 8) workgroups).
// Numerics: shifted by K as norm/groupnorm_moments; f32 Welford along each lane of V over the whole plane (n += 1,
//   d = x − mean, mean += d·(1/n), M2 += d·(x − mean)), then the W lanes (equal counts) merged by Chan's formula. No
//   sum of squares is differenced.
//#include "_lib/groupnorm_moments_io.wgsl"

@compute @workgroup_size(8)
fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let r = 8u * (wid.x + wid.y * nwg.x) + lid.x;
  if (r >= p.rows) { return; }
  let n = p.hw / W;
  let xb = (p.x_base + r * p.hw) / W;
  let k = first(X[xb]);
  var m = Moments(0.0, V(0.0), V(0.0));
  for (var i = 0u; i < n; i++) { m = welford(m, X[xb + i] - V(k)); }
  let s = merge_lanes(m);
  S[p.r0 + r] = vec4f(k, s.y, s.z, 0.0);
}
