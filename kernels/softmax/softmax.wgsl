// softmax/softmax: y[r, j] = exp(x[r, j] - m_r) / Σ_k exp(x[r, k] - m_r), m_r = max_k x[r, k];
//   LOG = 1: y[r, j] = x[r, j] - m_r - log Σ_k exp(x[r, k] - m_r) (log-softmax).
// Bindings: 0 x (read), 1 y (read_write), 2 Params (uniform)
// Params: rows = rows in this dispatch; len = row length; inner = element stride along a row (1 for the last
//   axis; the rows of a non-last axis interleave: row r starts at (r / inner) * len * inner + r % inner);
//   x_base, y_base = element offsets of the bound windows.
// Dispatch: one workgroup of 64 per row (grid folded to (x, y)); invocation t takes j = t, t + 64, ...; workgroup
//   trees (_lib/rowreduce.wgsl) for the max and the sum. Rows of any length.
// Numerics: f32; max-subtracted; per-invocation running sums, then a pairwise tree. The running max starts from
//   the row's first element (no -inf literal), so rows holding -inf work; an all -inf row gives NaN, as PyTorch.
const WG: u32 = 64u;
const LOG: bool = {{LOG}};
//#include "_lib/rowreduce.wgsl"
struct Params { rows: u32, len: u32, inner: u32, x_base: u32, y_base: u32 }
@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read_write> Y: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let r = wid.x + wid.y * nwg.x;
  if (r >= p.rows) { return; }
  let t = lid.x;
  let start = (r / p.inner) * p.len * p.inner + r % p.inner;
  let xr = p.x_base + start;
  let yr = p.y_base + start;

  var m = X[xr];
  for (var j = t; j < p.len; j += WG) { m = max(m, X[xr + j * p.inner]); }
  m = wg_max(t, m);
  var s = 0.0;
  for (var j = t; j < p.len; j += WG) { s += exp(X[xr + j * p.inner] - m); }
  s = wg_sum(t, s);

  if (LOG) {
    let ls = log(s);
    for (var j = t; j < p.len; j += WG) { Y[yr + j * p.inner] = X[xr + j * p.inner] - m - ls; }
  } else {
    for (var j = t; j < p.len; j += WG) { Y[yr + j * p.inner] = exp(X[xr + j * p.inner] - m) / s; }
  }
}
