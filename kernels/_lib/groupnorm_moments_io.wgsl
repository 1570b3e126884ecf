// _lib/groupnorm_moments_io: the Params, defines and bindings of groupNorm's statistics kernels (norm/groupnorm_moments,
//   norm/groupnorm_moments_rows; their headers say what each holds), a Welford step per lane of V and the merge of V's
//   lanes.
struct Params { rows: u32, hw: u32, r0: u32, x_base: u32 }
alias V = {{V}};
const W: u32 = {{WIDTH}}u; // elements per V
@group(0) @binding(0) var<storage, read> X: array<V>;
@group(0) @binding(1) var<storage, read_write> S: array<vec4f>;
@group(0) @binding(2) var<uniform> p: Params;

fn hsum(v: V) -> f32 { return {{HSUM}}; }
fn first(v: V) -> f32 { return {{FIRST}}; }

// Welford's update of every lane of V by x (cnt values so far in each lane): cnt + 1, the new mean, the new M2.
struct Moments { cnt: f32, mean: V, m2: V }
fn welford(m: Moments, x: V) -> Moments {
  let cnt = m.cnt + 1.0;
  let d = x - m.mean;
  let mean = m.mean + d * (1.0 / cnt);
  return Moments(cnt, mean, m.m2 + d * (x - mean));
}
// The W lanes (m.cnt values each) as one stream: (count, mean, M2 = Σ M2 + cnt·Σ (lane mean − mean)²).
fn merge_lanes(m: Moments) -> vec3f {
  let mm = hsum(m.mean) * (1.0 / f32(W));
  let dv = m.mean - V(mm);
  return vec3f(f32(W) * m.cnt, mm, hsum(m.m2) + m.cnt * hsum(dv * dv));
}
