// norm/groupnorm_rows_per_plane: norm/groupnorm_rows' backward sums s[r] = ( Σ_i a_i, Σ_i a_i·(b_i − m) ) per plane
//   r = (b, c) (a = dy, b = x, m = m0[b, c / cg]) with one invocation per plane: no workgroup memory and no barriers
//   (why: norm/groupnorm_moments_rows).
// Bindings: 0 a (read), 1 b (read), 2 mean (read, m0 [B*G]), 3 s (read_write, [B*C, 2]), 4 Params (uniform): as
//   norm/groupnorm_rows.
// Params: rows, hw, r0, C, cg, G, a_base, b_base: as norm/groupnorm_rows.
// Defines: V, WIDTH, HSUM: as norm/groupnorm_rows.
// Dispatch: workgroups of 8 invocations, invocation i owns plane i of the dispatch (grid folded to (x, y) over
//   ceil(rows / 8) workgroups).
// Numerics: f32; blocks of 16 consecutive V-elements summed before they join the running totals (one per lane of V),
//   whose lanes are then added.
//#include "_lib/groupnorm_rows_io.wgsl"

@compute @workgroup_size(8)
fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let r = 8u * (wid.x + wid.y * nwg.x) + lid.x;
  if (r >= p.rows) { return; }
  let rg = p.r0 + r;
  let mb = V(M[(rg / p.C) * p.G + (rg % p.C) / p.cg]);
  let n = p.hw / W;
  let ab = (p.a_base + r * p.hw) / W;
  let bb = (p.b_base + r * p.hw) / W;
  var s1 = V(0.0); var s2 = V(0.0);
  var i = 0u;
  while (i < n) {
    var b1 = V(0.0); var b2 = V(0.0);
    let e = min(i + 16u, n);
    for (; i < e; i++) {
      let av = A[ab + i];
      b1 += av;
      b2 += av * (Bv[bb + i] - mb);
    }
    s1 += b1; s2 += b2;
  }
  S[2u * rg] = hsum(s1);
  S[2u * rg + 1u] = hsum(s2);
}
