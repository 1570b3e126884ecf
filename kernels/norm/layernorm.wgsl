// norm/layernorm: y[r, c] = (x[r, c] - mean_r) * rstd_r * w[c] + b[c], mean_r = Σ_c x / C,
//   rstd_r = 1 / sqrt(Σ_c (x - mean_r)² / C + eps); saves mean_r and rstd_r for the backward.
// Bindings: 0 x (read), 1 w (read), 2 b (read), 3 y (read_write), 4 mean (read_write), 5 rstd (read_write),
//   6 Params (uniform). Without w or b the op binds x in their place and clears has_w / has_b.
// Params: rows = rows in this dispatch; C = row length; eps; has_w, has_b = 0/1; x_base, y_base = window offsets
//   of this dispatch's rows; w_base, b_base = window offsets of w and b; row0 = first row of this dispatch
//   (index into mean/rstd).
// Dispatch: one workgroup of 64 per row (grid folded to (x, y)); strided loops; workgroup trees for the sums.
// Numerics: f32, two passes (mean, then the centred sum of squares: no E[x²] - E[x]² cancellation), biased
//   variance as PyTorch; per-invocation running sums then a pairwise tree.
const WG: u32 = 64u;
//#include "_lib/rowreduce.wgsl"
//#include "_lib/layernorm_io.wgsl"

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let r = wid.x + wid.y * nwg.x;
  if (r >= p.rows) { return; }
  let t = lid.x;
  let xr = p.x_base + r * p.C;
  let yr = p.y_base + r * p.C;

  var s = 0.0;
  for (var c = t; c < p.C; c += WG) { s += X[xr + c]; }
  let mean = wg_sum(t, s) / f32(p.C);
  var q = 0.0;
  for (var c = t; c < p.C; c += WG) { let d = X[xr + c] - mean; q += d * d; }
  let rstd = inverseSqrt(wg_sum(t, q) / f32(p.C) + p.eps);

  for (var c = t; c < p.C; c += WG) {
    var v = (X[xr + c] - mean) * rstd;
    if (p.has_w != 0u) { v *= W[p.w_base + c]; }
    if (p.has_b != 0u) { v += B[p.b_base + c]; }
    Y[yr + c] = v;
  }
  if (t == 0u) { MEAN[p.row0 + r] = mean; RSTD[p.row0 + r] = rstd; }
}
