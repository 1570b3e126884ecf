// loss/cross_entropy: per row r with target t_r, lse_r = log Σ_j exp(x[r, j]):
//   loss[r] = lse_r - (1 - ε) x[r, t_r] - (ε / V) Σ_j x[r, j]   (= (1-ε)·nll + ε·mean_j(-log p_j), PyTorch's smoothing),
//   loss[r] = 0 when t_r == ignore_index, NaN when t_r is outside [0, V); also saves lse_r for the backward.
// Bindings: 0 logits (read), 1 target (read, i32), 2 loss (read_write), 3 lse (read_write), 4 Params (uniform).
// Params: rows = rows in this dispatch; V = classes; ignore_index; smoothing = ε; nan = a NaN (WGSL has no NaN
//   literal); x_base = window offset of this dispatch's logits; t_base = window offset of target; row0 = first row
//   of this dispatch (index into target, loss, lse).
// Dispatch: one workgroup of 64 per row (grid folded to (x, y)); strided loops over the row; workgroup trees.
// Numerics: f32; max-subtracted log-sum-exp; per-invocation running sums then a pairwise tree.
const WG: u32 = 64u;
//#include "_lib/rowreduce.wgsl"
struct Params { rows: u32, V: u32, ignore_index: i32, smoothing: f32, nan: f32, x_base: u32, t_base: u32, row0: u32 }
@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read> T: array<i32>;
@group(0) @binding(2) var<storage, read_write> LOSS: array<f32>;
@group(0) @binding(3) var<storage, read_write> LSE: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let r = wid.x + wid.y * nwg.x;
  if (r >= p.rows) { return; }
  let t = lid.x;
  let xr = p.x_base + r * p.V;

  var m = X[xr];
  for (var j = t; j < p.V; j += WG) { m = max(m, X[xr + j]); }
  m = wg_max(t, m);
  var se = 0.0;
  var sx = 0.0;
  for (var j = t; j < p.V; j += WG) { let v = X[xr + j]; se += exp(v - m); sx += v; }
  let lse = m + log(wg_sum(t, se));
  var mean_x = 0.0;
  if (p.smoothing != 0.0) { mean_x = wg_sum(t, sx) / f32(p.V); }

  if (t == 0u) {
    let tgt = T[p.t_base + p.row0 + r];
    var loss = 0.0;
    if (tgt != p.ignore_index) {
      if (tgt < 0 || u32(tgt) >= p.V) { loss = p.nan; }
      else { loss = lse - (1.0 - p.smoothing) * X[xr + u32(tgt)] - p.smoothing * mean_x; }
    }
    LOSS[p.row0 + r] = loss;
    LSE[p.row0 + r] = lse;
  }
}
