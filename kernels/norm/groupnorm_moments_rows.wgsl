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
struct Params { rows: u32, hw: u32, r0: u32, x_base: u32 }
alias V = {{V}};
const W: u32 = {{WIDTH}}u; // elements per V
@group(0) @binding(0) var<storage, read> X: array<V>;
@group(0) @binding(1) var<storage, read_write> S: array<vec4f>;
@group(0) @binding(2) var<uniform> p: Params;

fn hsum(v: V) -> f32 { return {{HSUM}}; }
fn first(v: V) -> f32 { return {{FIRST}}; }

@compute @workgroup_size(8)
fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let r = 8u * (wid.x + wid.y * nwg.x) + lid.x;
  if (r >= p.rows) { return; }
  let n = p.hw / W;
  let xb = (p.x_base + r * p.hw) / W;
  let k = first(X[xb]);
  var cnt = 0.0; var mean = V(0.0); var m2 = V(0.0);
  for (var i = 0u; i < n; i++) {
    let x = X[xb + i] - V(k);
    cnt += 1.0;
    let d = x - mean;
    mean += d * (1.0 / cnt);
    m2 += d * (x - mean);
  }
  // The W lanes (cnt values each): their mean, and M2 = Σ M2 + cnt·Σ (lane mean − mean)².
  let mm = hsum(mean) * (1.0 / f32(W));
  let dv = mean - V(mm);
  S[p.r0 + r] = vec4f(k, mm, hsum(m2) + cnt * hsum(dv * dv), 0.0);
}
