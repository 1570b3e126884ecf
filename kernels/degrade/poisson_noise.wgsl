// degrade/poisson_noise: out = clamp(x + scale·(Poisson(x8·vals)/vals − x8), 0, 1), x8 = level(src)/255, vals =
//   2^ceil(log2(#levels in mask)) (BasicSR generate_poisson_noise_pt); src = x per channel, or with gray = 1 the luma
//   of the pixel, whose one noise value is added to every channel.
// Bindings: 0 x (read, c planes of n pixels), 1 mask (read, 8 × u32 from degrade/levels), 2 out (read_write), 3 Params.
// Params: n = pixels per plane; c = planes; gray = 1 for luma noise (c = 3); key0, key1 = 64-bit Philox key of the
//   stage's stream; scale = the Poisson scale.
// Dispatch: one invocation per pixel, workgroup 64, grid folded by flat_id. Sample (pixel, channel) draws from its own
//   Philox stream, counter (pixel, channel, block, 0): deterministic per key, independent of the dispatch shape.
// Numerics: Knuth's product method below lambda 10, Hörmann's PTRS transformed rejection above (as the CPU stage,
//   src/train/data/rng.ts poisson()); log(k!) from a table below 10, else Stirling's series written around
//   log((k + 1)/lambda) so that the acceptance test does not cancel in f32. Uniforms are in the open (0, 1).
//#include "_lib/index.wgsl"
//#include "_lib/philox.wgsl"
struct Params { n: u32, c: u32, gray: u32, key0: u32, key1: u32, scale: f32 }
@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read> M: array<u32, 8>;
@group(0) @binding(2) var<storage, read_write> O: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

// The stream of the current sample: counter, its last block and the next unused lane.
var<private> s_ctr: vec4u;
var<private> s_buf: vec4u;
var<private> s_pos: u32;

fn next_u01() -> f32 {
  if (s_pos == 4u) { s_buf = philox4x32_10(s_ctr, vec2u(p.key0, p.key1)); s_ctr.z += 1u; s_pos = 0u; }
  let x = s_buf[s_pos];
  s_pos += 1u;
  return philox_u01_open(x);
}

const LOG_FACT = array<f32, 10>(0.0, 0.0, 0.6931471806, 1.7917594692, 3.1780538303, 4.7874917428, 6.5792512120,
  8.5251613611, 10.6046029027, 12.8018274801);
const HALF_LOG_2PI: f32 = 0.9189385332;

/** -lambda + k log(lambda) - log(k!) for k >= 0. */
fn log_pmf(k: f32, lambda: f32) -> f32 {
  if (k < 10.0) { return -lambda + k * log(lambda) - LOG_FACT[u32(k)]; }
  let x = k + 1.0;
  // log k! = (x - 1/2) log x - x + log(2 pi)/2 + 1/(12x) - 1/(360x^3), x = k + 1, regrouped against k log(lambda).
  return -k * log(x / lambda) - 0.5 * log(x) + (x - lambda) - HALF_LOG_2PI - 1.0 / (12.0 * x) + 1.0 / (360.0 * x * x * x);
}

fn poisson(lambda: f32) -> f32 {
  if (!(lambda > 0.0)) { return 0.0; }
  if (lambda < 10.0) {
    let l = exp(-lambda);
    var k = 0.0;
    var prod = next_u01();
    for (var t = 0; t < 200 && prod > l; t++) { k += 1.0; prod *= next_u01(); }
    return k;
  }
  let slam = sqrt(lambda);
  let b = 0.931 + 2.53 * slam;
  let a = -0.059 + 0.02483 * b;
  let inv_alpha = 1.1239 + 1.1328 / (b - 3.4);
  let vr = 0.9277 - 3.6224 / (b - 2.0);
  for (var t = 0; t < 64; t++) {
    let u = next_u01() - 0.5;
    let v = next_u01();
    let us = 0.5 - abs(u);
    let k = floor((2.0 * a / us + b) * u + lambda + 0.43);
    if (us >= 0.07 && v <= vr) { return k; }
    if (k < 0.0 || (us < 0.013 && v > us)) { continue; }
    if (log(v) + log(inv_alpha) - log(a / (us * us) + b) <= log_pmf(k, lambda)) { return k; }
  }
  return floor(lambda); // not reached in practice: each try accepts with probability > 0.9
}

fn level(v: f32) -> f32 { return floor(clamp(v, 0.0, 1.0) * 255.0 + 0.5); }

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flat_id(gid, nwg, 64u);
  if (i >= p.n) { return; }
  var uniq = 0u;
  for (var k = 0u; k < 8u; k++) { uniq += countOneBits(M[k]); }
  let vals = f32(1u << (32u - countLeadingZeros(max(uniq, 1u) - 1u)));
  var shared_noise = 0.0;
  if (p.gray == 1u) {
    let x8 = level(0.2989 * X[i] + 0.587 * X[p.n + i] + 0.114 * X[2u * p.n + i]) / 255.0;
    s_ctr = vec4u(i, 0u, 0u, 0u); s_pos = 4u;
    shared_noise = (poisson(x8 * vals) / vals - x8) * p.scale;
  }
  for (var ch = 0u; ch < p.c; ch++) {
    let v = X[ch * p.n + i];
    var noise = shared_noise;
    if (p.gray == 0u) {
      let x8 = level(v) / 255.0;
      s_ctr = vec4u(i, ch, 0u, 0u); s_pos = 4u;
      noise = (poisson(x8 * vals) / vals - x8) * p.scale;
    }
    O[ch * p.n + i] = clamp(v + noise, 0.0, 1.0);
  }
}
