// loss/cross_entropy_reduce: out[0] = Σ_r loss[r] / n_valid (MEAN) or Σ_r loss[r]; out[1] = 1 / n_valid (MEAN) or 1,
//   the factor the backward applies per row. n_valid = #{r : target[r] != ignore_index} (0 → NaN mean, as PyTorch).
// Bindings: 0 loss (read), 1 target (read, i32), 2 out (read_write, 2 floats), 3 Params (uniform).
// Params: n = rows; ignore_index; mean = 1 for reduction 'mean', 0 for 'sum'; t_base = window offset of target.
// Dispatch: a single workgroup of 64; invocation t takes rows t, t + 64, ...
// Numerics: f32 per-invocation running sums then a pairwise tree (deterministic); counts exact below 2^24 rows.
const WG: u32 = 64u;
//#include "_lib/rowreduce.wgsl"
struct Params { n: u32, ignore_index: i32, mean: u32, t_base: u32 }
@group(0) @binding(0) var<storage, read> LOSS: array<f32>;
@group(0) @binding(1) var<storage, read> T: array<i32>;
@group(0) @binding(2) var<storage, read_write> OUT: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_id) lid: vec3u) {
  let t = lid.x;
  var s = 0.0;
  var cnt = 0.0;
  for (var r = t; r < p.n; r += WG) {
    s += LOSS[r];
    if (T[p.t_base + r] != p.ignore_index) { cnt += 1.0; }
  }
  s = wg_sum(t, s);
  cnt = wg_sum(t, cnt);
  if (t == 0u) {
    if (p.mean != 0u) { OUT[0] = s / cnt; OUT[1] = 1.0 / cnt; } else { OUT[0] = s; OUT[1] = 1.0; }
  }
}
