// softmax/softmax_bwd: softmax: dx[r, j] = y[r, j] * (g[r, j] - Σ_k g[r, k] y[r, k]);
//   LOG = 1 (y = log-softmax): dx[r, j] = g[r, j] - exp(y[r, j]) * Σ_k g[r, k].
// Bindings: 0 y (read), 1 g (read), 2 dx (read_write), 3 Params (uniform)
// Params: rows, len, inner as in softmax/softmax.wgsl; y_base, g_base, dx_base = element offsets of the windows.
// Dispatch: one workgroup of 64 per row (grid folded to (x, y)); strided loop, then one workgroup tree.
// Numerics: f32 per-invocation running sums, then a pairwise tree.
const WG: u32 = 64u;
const LOG: bool = {{LOG}};
//#include "_lib/rowreduce.wgsl"
struct Params { rows: u32, len: u32, inner: u32, y_base: u32, g_base: u32, dx_base: u32 }
@group(0) @binding(0) var<storage, read> Y: array<f32>;
@group(0) @binding(1) var<storage, read> G: array<f32>;
@group(0) @binding(2) var<storage, read_write> DX: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let r = wid.x + wid.y * nwg.x;
  if (r >= p.rows) { return; }
  let t = lid.x;
  let start = (r / p.inner) * p.len * p.inner + r % p.inner;
  let yr = p.y_base + start;
  let gr = p.g_base + start;
  let dr = p.dx_base + start;

  var s = 0.0;
  for (var j = t; j < p.len; j += WG) {
    let g = G[gr + j * p.inner];
    if (LOG) { s += g; } else { s += g * Y[yr + j * p.inner]; }
  }
  s = wg_sum(t, s);

  for (var j = t; j < p.len; j += WG) {
    let g = G[gr + j * p.inner];
    let y = Y[yr + j * p.inner];
    if (LOG) { DX[dr + j * p.inner] = g - exp(y) * s; } else { DX[dr + j * p.inner] = y * (g - s); }
  }
}
