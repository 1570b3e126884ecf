// loss/cross_entropy_bwd: dlogits[r, j] = (exp(x[r, j] - lse_r) - ε / V - (1 - ε) [j == t_r]) * s_r, with
//   s_r = g[r] (reduction 'none') or g[0] * scale (sum: scale = 1, mean: scale = 1 / n_valid, from the forward);
//   rows whose target is ignore_index get 0, rows whose target is outside [0, V) get NaN.
// Bindings: 0 logits (read), 1 target (read, i32), 2 lse (read), 3 scale (read; red[1] of the forward's reduction,
//   or lse again for 'none'), 4 g (read), 5 dlogits (read_write), 6 Params (uniform).
// Params: rows = rows in this dispatch; V; ignore_index; smoothing = ε; nan; per_row = 1 for 'none'; x_base,
//   dx_base = window offsets of this dispatch's rows; t_base = window offset of target; row0 = first row of this
//   dispatch; g_base, s_base = offsets of g and scale in their windows.
// Dispatch: one workgroup of 64 per row (grid folded to (x, y)), strided over the row; no reductions.
// Numerics: f32; softmax recomputed from the saved log-sum-exp (one pass over the logits, nothing N×V saved).
const WG: u32 = 64u;
struct Params { rows: u32, V: u32, ignore_index: i32, smoothing: f32, nan: f32, per_row: u32, x_base: u32, dx_base: u32,
  t_base: u32, row0: u32, g_base: u32, s_base: u32 }
@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read> T: array<i32>;
@group(0) @binding(2) var<storage, read> LSE: array<f32>;
@group(0) @binding(3) var<storage, read> SCALE: array<f32>;
@group(0) @binding(4) var<storage, read> G: array<f32>;
@group(0) @binding(5) var<storage, read_write> DX: array<f32>;
@group(0) @binding(6) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let r = wid.x + wid.y * nwg.x;
  if (r >= p.rows) { return; }
  let xr = p.x_base + r * p.V;
  let dr = p.dx_base + r * p.V;
  let tgt = T[p.t_base + p.row0 + r];
  var s = 0.0;
  if (p.per_row != 0u) { s = G[p.g_base + p.row0 + r]; } else { s = G[p.g_base] * SCALE[p.s_base]; }
  if (tgt == p.ignore_index) { s = 0.0; }
  else if (tgt < 0 || u32(tgt) >= p.V) { s = p.nan; }
  let lse = LSE[p.row0 + r];
  let off = p.smoothing / f32(p.V);
  for (var j = lid.x; j < p.V; j += WG) {
    var d = exp(X[xr + j] - lse) - off;
    if (i32(j) == tgt) { d -= 1.0 - p.smoothing; }
    DX[dr + j] = d * s; // d is finite (exp(x - lse) <= 1), so ignored rows get exact zeros
  }
}
