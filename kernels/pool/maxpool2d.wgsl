// pool/maxpool2d: y[p, oy, ox] = max_{ky,kx < K} x[p, oy*S + ky - pad, ox*S + kx - pad] over in-bounds taps;
//   idx[p, oy, ox] = iy*W + ix of the first maximum in row-major window order (PyTorch's indices).
// Bindings: 0 x (read), 1 y (read_write), 2 idx (read_write, i32), 3 Params (uniform).
// Params: n = outputs in this dispatch (planes × OH × OW), H W input plane, OH OW output plane, K window, S stride,
//   pad (implicit -inf padding, pad <= K/2 so every window holds an input element), x_base/y_base/i_base = element
//   offsets of the bound windows. Planes p are (b, c) pairs, consecutive in memory.
// Dispatch: one invocation per output element; workgroup 64, grid folded to (x, y) by flat_id.
// Numerics: exact (comparisons only). A later element replaces the running max when it is strictly greater or NaN
//   (PyTorch CPU's rule: NaN propagates; among equal maxima the first wins). NaN is tested on the bits, since WGSL
//   compilers may assume that `v != v` is false.
//#include "_lib/index.wgsl"
struct Params { n: u32, H: u32, W: u32, OH: u32, OW: u32, K: u32, S: u32, pad: u32, x_base: u32, y_base: u32, i_base: u32 }
@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read_write> Y: array<f32>;
@group(0) @binding(2) var<storage, read_write> IDX: array<i32>;
@group(0) @binding(3) var<uniform> p: Params;

fn is_nan(v: f32) -> bool { return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u; }

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let e = flat_id(gid, nwg, 64u);
  if (e >= p.n) { return; }
  let ox = e % p.OW;
  let oy = (e / p.OW) % p.OH;
  let plane = e / (p.OW * p.OH);
  // Window clipped to the input: [y0, y1) × [x0, x1), never empty since pad <= K/2.
  let y0 = max(i32(oy * p.S) - i32(p.pad), 0);
  let x0 = max(i32(ox * p.S) - i32(p.pad), 0);
  let y1 = min(i32(oy * p.S + p.K) - i32(p.pad), i32(p.H));
  let x1 = min(i32(ox * p.S + p.K) - i32(p.pad), i32(p.W));
  let xb = p.x_base + plane * p.H * p.W;
  var best = u32(y0) * p.W + u32(x0);
  var m = X[xb + best];
  for (var iy = y0; iy < y1; iy++) {
    for (var ix = x0; ix < x1; ix++) {
      let i = u32(iy) * p.W + u32(ix);
      let v = X[xb + i];
      if (is_nan(v) || (!is_nan(m) && v > m)) { m = v; best = i; }
    }
  }
  Y[p.y_base + e] = m;
  IDX[p.i_base + e] = i32(best);
}
