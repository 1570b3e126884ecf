// bench/fma_peak: the adapter's arithmetic peak. Each invocation runs `iters` rounds of two passes over 32 independent
//   vec4 accumulators (acc = acc·a + b), so no result waits on the one before it. The accumulators are 32 named
//   variables and the two passes are written out: a private array or a nested loop halves the rate on lavapipe.
// Bindings: 0 out (read_write, one f32 per invocation: the sum of its accumulators, so nothing is optimised away),
//   1 Params (uniform).
// Params: iters rounds; n invocations that write (the grid is a whole number of workgroups); a, b the multiply-add
//   constants (|a| < 1 keeps the values bounded).
// Dispatch: workgroups of 8 (one lavapipe SIMD group; measured faster than 64), grid folded by flat_id. FLOPs = n · iters · 2 passes · 32 · 4 lanes · 2.
// Numerics: f32 throughput only; the values written are meaningless.
//#include "_lib/index.wgsl"
struct Params { iters: u32, n: u32, a: f32, b: f32 }
@group(0) @binding(0) var<storage, read_write> O: array<f32>;
@group(0) @binding(1) var<uniform> p: Params;

@compute @workgroup_size(8)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flat_id(gid, nwg, 8u);
  var a0 = vec4f(f32(i & 255u) * 1e-3 + 0.0);
  var a1 = vec4f(f32(i & 255u) * 1e-3 + 1.0);
  var a2 = vec4f(f32(i & 255u) * 1e-3 + 2.0);
  var a3 = vec4f(f32(i & 255u) * 1e-3 + 3.0);
  var a4 = vec4f(f32(i & 255u) * 1e-3 + 4.0);
  var a5 = vec4f(f32(i & 255u) * 1e-3 + 5.0);
  var a6 = vec4f(f32(i & 255u) * 1e-3 + 6.0);
  var a7 = vec4f(f32(i & 255u) * 1e-3 + 7.0);
  var a8 = vec4f(f32(i & 255u) * 1e-3 + 8.0);
  var a9 = vec4f(f32(i & 255u) * 1e-3 + 9.0);
  var a10 = vec4f(f32(i & 255u) * 1e-3 + 10.0);
  var a11 = vec4f(f32(i & 255u) * 1e-3 + 11.0);
  var a12 = vec4f(f32(i & 255u) * 1e-3 + 12.0);
  var a13 = vec4f(f32(i & 255u) * 1e-3 + 13.0);
  var a14 = vec4f(f32(i & 255u) * 1e-3 + 14.0);
  var a15 = vec4f(f32(i & 255u) * 1e-3 + 15.0);
  var a16 = vec4f(f32(i & 255u) * 1e-3 + 16.0);
  var a17 = vec4f(f32(i & 255u) * 1e-3 + 17.0);
  var a18 = vec4f(f32(i & 255u) * 1e-3 + 18.0);
  var a19 = vec4f(f32(i & 255u) * 1e-3 + 19.0);
  var a20 = vec4f(f32(i & 255u) * 1e-3 + 20.0);
  var a21 = vec4f(f32(i & 255u) * 1e-3 + 21.0);
  var a22 = vec4f(f32(i & 255u) * 1e-3 + 22.0);
  var a23 = vec4f(f32(i & 255u) * 1e-3 + 23.0);
  var a24 = vec4f(f32(i & 255u) * 1e-3 + 24.0);
  var a25 = vec4f(f32(i & 255u) * 1e-3 + 25.0);
  var a26 = vec4f(f32(i & 255u) * 1e-3 + 26.0);
  var a27 = vec4f(f32(i & 255u) * 1e-3 + 27.0);
  var a28 = vec4f(f32(i & 255u) * 1e-3 + 28.0);
  var a29 = vec4f(f32(i & 255u) * 1e-3 + 29.0);
  var a30 = vec4f(f32(i & 255u) * 1e-3 + 30.0);
  var a31 = vec4f(f32(i & 255u) * 1e-3 + 31.0);
  let m = vec4f(p.a); let c = vec4f(p.b);
  for (var t = 0u; t < p.iters; t++) {
    a0 = fma(a0, m, c); a1 = fma(a1, m, c); a2 = fma(a2, m, c); a3 = fma(a3, m, c); a4 = fma(a4, m, c); a5 = fma(a5, m, c); a6 = fma(a6, m, c); a7 = fma(a7, m, c);
    a8 = fma(a8, m, c); a9 = fma(a9, m, c); a10 = fma(a10, m, c); a11 = fma(a11, m, c); a12 = fma(a12, m, c); a13 = fma(a13, m, c); a14 = fma(a14, m, c); a15 = fma(a15, m, c);
    a16 = fma(a16, m, c); a17 = fma(a17, m, c); a18 = fma(a18, m, c); a19 = fma(a19, m, c); a20 = fma(a20, m, c); a21 = fma(a21, m, c); a22 = fma(a22, m, c); a23 = fma(a23, m, c);
    a24 = fma(a24, m, c); a25 = fma(a25, m, c); a26 = fma(a26, m, c); a27 = fma(a27, m, c); a28 = fma(a28, m, c); a29 = fma(a29, m, c); a30 = fma(a30, m, c); a31 = fma(a31, m, c);
    a0 = fma(a0, m, c); a1 = fma(a1, m, c); a2 = fma(a2, m, c); a3 = fma(a3, m, c); a4 = fma(a4, m, c); a5 = fma(a5, m, c); a6 = fma(a6, m, c); a7 = fma(a7, m, c);
    a8 = fma(a8, m, c); a9 = fma(a9, m, c); a10 = fma(a10, m, c); a11 = fma(a11, m, c); a12 = fma(a12, m, c); a13 = fma(a13, m, c); a14 = fma(a14, m, c); a15 = fma(a15, m, c);
    a16 = fma(a16, m, c); a17 = fma(a17, m, c); a18 = fma(a18, m, c); a19 = fma(a19, m, c); a20 = fma(a20, m, c); a21 = fma(a21, m, c); a22 = fma(a22, m, c); a23 = fma(a23, m, c);
    a24 = fma(a24, m, c); a25 = fma(a25, m, c); a26 = fma(a26, m, c); a27 = fma(a27, m, c); a28 = fma(a28, m, c); a29 = fma(a29, m, c); a30 = fma(a30, m, c); a31 = fma(a31, m, c);
  }
  let s = a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11 + a12 + a13 + a14 + a15 + a16 + a17 + a18 + a19 + a20 + a21 + a22 + a23 + a24 + a25 + a26 + a27 + a28 + a29 + a30 + a31;
  if (i < p.n) { O[i] = s.x + s.y + s.z + s.w; } // no early return: a divergent exit would mask the whole loop
}
