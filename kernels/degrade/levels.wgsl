// degrade/levels: mask bit l is set iff some source value v has 8-bit level l = floor(255·clamp(v, 0, 1) + 1/2); the
//   source is every value of x, or with gray = 1 the luma 0.2989 R + 0.587 G + 0.114 B of each pixel (torchvision
//   rgb_to_grayscale). Feeds the Poisson noise's vals = 2^ceil(log2(#levels)) (BasicSR generate_poisson_noise_pt).
// Bindings: 0 x (read, c planes of n pixels), 1 mask (read_write, 8 × u32 = 256 bits, zeroed by the caller), 2 Params.
// Params: n = pixels per plane; c = planes; gray = 1 for luma (c = 3); stride = invocations in the dispatch.
// Dispatch: a fixed grid (stride invocations, workgroup 64); invocation t takes sources t, t + stride, ..., keeps a
//   private 256-bit mask and ORs its non-zero words into the output once (few atomics).
// Numerics: the level rounding is plain f32 (the CPU stage rounds in f64: a level can differ at exact halves, which
//   only matters as noise; the drawn values may differ between CPU and GPU anyway).
//#include "_lib/index.wgsl"
struct Params { n: u32, c: u32, gray: u32, stride: u32 }
@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read_write> M: array<atomic<u32>, 8>;
@group(0) @binding(2) var<uniform> p: Params;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = flat_id(gid, nwg, 64u);
  if (t >= p.stride) { return; }
  var m: array<u32, 8>;
  let total = select(p.n * p.c, p.n, p.gray == 1u);
  for (var i = t; i < total; i += p.stride) {
    var v = X[i];
    if (p.gray == 1u) { v = 0.2989 * X[i] + 0.587 * X[p.n + i] + 0.114 * X[2u * p.n + i]; }
    let l = u32(floor(clamp(v, 0.0, 1.0) * 255.0 + 0.5));
    m[l >> 5u] |= 1u << (l & 31u);
  }
  for (var k = 0u; k < 8u; k++) {
    if (m[k] != 0u) { atomicOr(&M[k], m[k]); }
  }
}
