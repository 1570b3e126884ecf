// degrade/pack8: out[j] = Σ_{q<4} q8(x[4j + q]) << 8q with q8(v) = min(max(round(255 v), 0), 255), round half up:
//   the 8-bit image the CPU stages (quantize8, jpegRoundTrip) compute with Math.round in f64, packed 4 per u32 so
//   a read-back moves a quarter of the bytes.
// Bindings: 0 x (read, n values), 1 out (read_write, ceil(n/4) u32), 2 Params (uniform).
// Params: n = values; words = ceil(n / 4).
// Dispatch: one invocation per output word, workgroup 64, grid folded by flat_id.
// Numerics: exact. k = floor(255 v + 1/2) in f32 is at most one level off; it is corrected by testing
//   255 v >= k ± 1/2 as 256 v − (k ± 1/2) >= v, where 256 v is exact and the difference is exact (Sterbenz)
//   whenever the test is close. NaN maps to 0.
//#include "_lib/index.wgsl"
struct Params { n: u32, words: u32 }
@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read_write> O: array<u32>;
@group(0) @binding(2) var<uniform> p: Params;

fn q8(v: f32) -> u32 {
  let x = select(clamp(v, 0.0, 1.0), 0.0, v != v);
  var k = floor(x * 255.0 + 0.5);
  let x256 = x * 256.0;
  if (k >= 1.0 && x256 - (k - 0.5) < x) { k -= 1.0; }
  else if (k <= 254.0 && x256 - (k + 0.5) >= x) { k += 1.0; }
  return u32(k);
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let j = flat_id(gid, nwg, 64u);
  if (j >= p.words) { return; }
  var word = 0u;
  for (var q = 0u; q < 4u; q++) {
    let i = 4u * j + q;
    if (i < p.n) { word |= q8(X[i]) << (8u * q); }
  }
  O[j] = word;
}
