// bench/fma_peak: the adapter's arithmetic peak. Each invocation runs `iters` rounds of two passes over 32 independent
//   vec4 accumulators (acc = acc·a + b), so no result waits on the one before it.
// Bindings: 0 out (read_write, one f32 per invocation: the sum of its accumulators, so nothing is optimised away),
//   1 Params (uniform).
// Params: iters rounds; n invocations that write (the grid is a whole number of workgroups); a, b the multiply-add constants
//   (|a| < 1 keeps the values bounded).
// Dispatch: workgroups of 64, grid folded to (x, y) by flat_id. FLOPs = n · iters · 2 passes · 32 · 4 lanes · 2.
// Numerics: f32 throughput only; the values written are meaningless.
//#include "_lib/index.wgsl"
struct Params { iters: u32, n: u32, a: f32, b: f32 }
@group(0) @binding(0) var<storage, read_write> O: array<f32>;
@group(0) @binding(1) var<uniform> p: Params;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flat_id(gid, nwg, 64u);
  var acc: array<vec4f, 32>;
  for (var j = 0u; j < 32u; j++) { acc[j] = vec4f(f32(i & 255u) * 1e-3 + f32(j)); }
  let a = vec4f(p.a); let b = vec4f(p.b);
  for (var t = 0u; t < p.iters; t++) {
    for (var j = 0u; j < 32u; j++) { acc[j] = fma(acc[j], a, b); }
    for (var j = 0u; j < 32u; j++) { acc[j] = fma(acc[j], a, b); }
  }
  var s = vec4f(0.0);
  for (var j = 0u; j < 32u; j++) { s += acc[j]; }
  if (i < p.n) { O[i] = s.x + s.y + s.z + s.w; } // no early return: a divergent exit would mask the whole loop
}
