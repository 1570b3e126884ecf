// rng/philox: out[4k + i] = F(philox4x32_10(counter + k, key)[i]) — Philox-4x32-10 (Salmon et al. 2011), one 128-bit
//   block per invocation; F by MODE: 0 uniform lo + (hi - lo) * u, u = (x >> 8) * 2^-24 in [0, 1);
//   1 normal mean + std * z, z from Box-Muller on lanes (0, 1) and (2, 3); 2 randint lo + ((x * range) >> 32).
// Bindings: 0 out (read_write; f32, or i32 for MODE 2), 1 Params (uniform).
// Params: n = values in this dispatch; ctr_lo, ctr_hi = 64-bit block counter of value 0 of this dispatch;
//   key0, key1 = the 64-bit seed; a, b = lo, hi (uniform) or mean, std (normal); ilo = randint's lo; range =
//   randint's hi - lo (0 means 2^32); out_base = window offset.
// Dispatch: one invocation per block of 4 values, workgroup 64, grid folded by flat_id.
// Numerics: integer Philox, bit-exact on every adapter (src/engine/rng.ts mirrors it on the CPU); uniform and
//   randint are exact; normal uses log/sqrt/cos/sin, so it matches the CPU mirror to the adapter's f32 accuracy
//   (the radius uses a series next to u = 1, where log loses relative accuracy).
//#include "_lib/index.wgsl"
//#include "_lib/philox.wgsl"
const MODE: u32 = {{MODE}}u;
struct Params { n: u32, ctr_lo: u32, ctr_hi: u32, key0: u32, key1: u32, a: f32, b: f32, ilo: i32, range: u32, out_base: u32 }
@group(0) @binding(0) var<storage, read_write> O: array<{{TO}}>;
@group(0) @binding(1) var<uniform> p: Params;

const TWO_PI: f32 = 6.283185307179586;
const PI: f32 = 3.141592653589793;

fn unit(x: u32) -> f32 { return f32(x >> 8u) * 5.9604644775390625e-8; } // [0, 1) in steps of 2^-24

/** -ln(u) for u = unit(x) + 2^-24 in (0, 1]; next to u = 1 via the series of -ln(1 - q), q = 1 - u (exact), where
 *  log(u) itself would keep only an absolute accuracy of ~1e-7 and so spoil small Box-Muller radii. */
fn neg_log_unit(x: u32) -> f32 {
  let q = f32(0xffffffu - (x >> 8u)) * 5.9604644775390625e-8;
  if (q < 0.0625) { return q * (1.0 + q * (0.5 + q * (1.0 / 3.0 + q * (0.25 + q * (0.2 + q * (1.0 / 6.0 + q / 7.0)))))); }
  return -log(1.0 - q);
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let k = flat_id(gid, nwg, 64u);
  if (4u * k >= p.n) { return; }
  let lo = p.ctr_lo + k;
  let x = philox4x32_10(vec4u(lo, p.ctr_hi + select(0u, 1u, lo < k), 0u, 0u), vec2u(p.key0, p.key1));
  var v: array<{{TO}}, 4>;
  if (MODE == 0u) {
    for (var i = 0u; i < 4u; i++) { v[i] = {{TO}}(p.a + (p.b - p.a) * unit(x[i])); }
  } else if (MODE == 1u) {
    for (var i = 0u; i < 4u; i += 2u) {
      let r = sqrt(2.0 * neg_log_unit(x[i]));
      let th = TWO_PI * unit(x[i + 1u]) - PI;                         // [-pi, pi): the range sin/cos are accurate on
      v[i] = {{TO}}(p.a + p.b * (r * cos(th)));
      v[i + 1u] = {{TO}}(p.a + p.b * (r * sin(th)));
    }
  } else {
    for (var i = 0u; i < 4u; i++) {
      let off = select(philox_mulhilo(x[i], p.range).x, x[i], p.range == 0u);
      v[i] = {{TO}}(bitcast<i32>(bitcast<u32>(p.ilo) + off));
    }
  }
  for (var i = 0u; i < 4u; i++) {
    if (4u * k + i < p.n) { O[p.out_base + 4u * k + i] = v[i]; }
  }
}
