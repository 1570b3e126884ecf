// norm/layernorm_rows: norm/layernorm's result (y, mean, rstd) with one invocation per row: no workgroup memory and no
//   barriers (on a CPU adapter a barrier suspends and resumes every SIMD group of the workgroup, and the 64-wide
//   workgroup trees cost more than the row's arithmetic at the widths here).
// Bindings: 0 x (read), 1 w (read), 2 b (read), 3 y (read_write), 4 mean (read_write), 5 rstd (read_write),
//   6 Params (uniform): as norm/layernorm (without w or b the op binds x in their place and clears has_w / has_b).
// Params: rows, C, eps, has_w, has_b, x_base, y_base, w_base, b_base, row0: as norm/layernorm.
// Dispatch: workgroups of 8 invocations, invocation i owns row i of the dispatch (grid folded to (x, y) over
//   ceil(rows / 8) workgroups).
// Numerics: f32, two passes as norm/layernorm (mean, then the centred sum of squares); each sum kept as 8 running
//   partial sums (column c of the first 8·⌊C / 8⌋ into partial c mod 8, the rest into partial 0) added as a pairwise tree.
//#include "_lib/layernorm_io.wgsl"

//#include "_lib/sum8.wgsl"

@compute @workgroup_size(8)
fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let r = 8u * (wid.x + wid.y * nwg.x) + lid.x;
  if (r >= p.rows) { return; }
  let xr = p.x_base + r * p.C;
  let yr = p.y_base + r * p.C;
  let c8 = p.C & ~7u;

  var s = array<f32, 8>();
  for (var c = 0u; c < c8; c += 8u) {
    s[0] += X[xr + c]; s[1] += X[xr + c + 1u]; s[2] += X[xr + c + 2u]; s[3] += X[xr + c + 3u];
    s[4] += X[xr + c + 4u]; s[5] += X[xr + c + 5u]; s[6] += X[xr + c + 6u]; s[7] += X[xr + c + 7u];
  }
  for (var c = c8; c < p.C; c++) { s[0] += X[xr + c]; }
  let mean = sum8(s) / f32(p.C);
  var q = array<f32, 8>();
  for (var c = 0u; c < c8; c += 8u) {
    let d0 = X[xr + c] - mean; let d1 = X[xr + c + 1u] - mean; let d2 = X[xr + c + 2u] - mean; let d3 = X[xr + c + 3u] - mean;
    let d4 = X[xr + c + 4u] - mean; let d5 = X[xr + c + 5u] - mean; let d6 = X[xr + c + 6u] - mean; let d7 = X[xr + c + 7u] - mean;
    q[0] += d0 * d0; q[1] += d1 * d1; q[2] += d2 * d2; q[3] += d3 * d3; q[4] += d4 * d4; q[5] += d5 * d5; q[6] += d6 * d6; q[7] += d7 * d7;
  }
  for (var c = c8; c < p.C; c++) { let d = X[xr + c] - mean; q[0] += d * d; }
  let rstd = inverseSqrt(sum8(q) / f32(p.C) + p.eps);

  for (var c = 0u; c < p.C; c++) {
    var v = (X[xr + c] - mean) * rstd;
    if (p.has_w != 0u) { v *= W[p.w_base + c]; }
    if (p.has_b != 0u) { v += B[p.b_base + c]; }
    Y[yr + c] = v;
  }
  MEAN[p.row0 + r] = mean; RSTD[p.row0 + r] = rstd;
}
