// degrade/gauss_noise: out[ch, i] = clamp(x[ch, i] + sigma·z, 0, 1), z ~ N(0, 1): per channel, or with gray = 1 one value
//   per pixel shared by every channel (stages.ts addGaussianNoise semantics).
// Bindings: 0 x (read, c planes of n pixels), 1 out (read_write), 2 Params (uniform).
// Params: n = pixels per plane; c = planes; gray = 1 for one noise plane; key0, key1 = 64-bit Philox key of the
//   stage's stream; sigma = the standard deviation in 0..1 units (sigma255 / 255).
// Dispatch: one invocation per pixel, workgroup 64, grid folded by flat_id. Pixel i takes Philox-4x32-10 block
//   (i, ch / 4, 0, 0): Box-Muller on lanes (0, 1) and (2, 3) gives the normals of channels ch..ch+3, so the values
//   depend only on (key, pixel, channel), not on the dispatch shape.
// Numerics: uniforms in the open (0, 1), r = sqrt(−2 log u1), angle 2π u2 − π; f32 log / cos / sin.
//#include "_lib/index.wgsl"
//#include "_lib/philox.wgsl"
struct Params { n: u32, c: u32, gray: u32, key0: u32, key1: u32, sigma: f32 }
@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read_write> O: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

const PI: f32 = 3.141592653589793;

/** Four standard normals from one Philox block. */
fn normals(i: u32, blk: u32) -> vec4f {
  let b = philox4x32_10(vec4u(i, blk, 0u, 0u), vec2u(p.key0, p.key1));
  let r = sqrt(-2.0 * log(vec2f(philox_u01_open(b.x), philox_u01_open(b.z))));
  let th = vec2f(philox_u01_open(b.y), philox_u01_open(b.w)) * (2.0 * PI) - PI;
  return vec4f(r.x * cos(th.x), r.x * sin(th.x), r.y * cos(th.y), r.y * sin(th.y));
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flat_id(gid, nwg, 64u);
  if (i >= p.n) { return; }
  var z = normals(i, 0u);
  for (var ch = 0u; ch < p.c; ch++) {
    if (ch % 4u == 0u && ch > 0u && p.gray == 0u) { z = normals(i, ch / 4u); }
    let zc = select(z[ch % 4u], z.x, p.gray == 1u);
    O[ch * p.n + i] = clamp(X[ch * p.n + i] + p.sigma * zc, 0.0, 1.0);
  }
}
