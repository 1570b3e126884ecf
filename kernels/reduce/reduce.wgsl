// reduce/reduce: out[j] = REDUCE_r x[j, r] over the reduced index space (sum, max, min, or argmax), any strides.
// Bindings: 0 x (read, f32), 1 out (read_write; f32, or i32 for argmax), 2 Params (uniform).
// Params: n_out outputs; r_len = reduced elements per output; k_rank/r_rank = ranks of the kept/reduced index
//   spaces; x_base, out_base = element offsets in the bound windows; kshape/kstride, rshape/rstride = sizes and
//   input strides of the kept and the reduced dims (row-major, up to 8 each).
// Dispatch: one workgroup of 64 per output (grid folded to (x, y)); thread t takes r = t, t+64, ...; then a
//   tree reduction in workgroup memory.
// Numerics: f32 accumulation (per-thread running sums, then pairwise tree); max/min ignore nothing (NaN
//   propagates as in WGSL max); argmax returns the first index of the maximum (PyTorch's rule).
//#include "_lib/index.wgsl"
struct Params { n_out: u32, r_len: u32, k_rank: u32, r_rank: u32, x_base: u32, out_base: u32, pad0: u32, pad1: u32,
  kshape: array<vec4u, 2>, kstride: array<vec4u, 2>, rshape: array<vec4u, 2>, rstride: array<vec4u, 2> }
@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read_write> O: array<{{TO}}>;
@group(0) @binding(2) var<uniform> p: Params;

const MODE: u32 = {{MODE}}u; // 0 sum, 1 max, 2 min, 3 argmax
var<workgroup> sv: array<f32, 64>;
var<workgroup> si: array<u32, 64>;

fn offset_of(idx: u32, rank: u32, shape: array<vec4u, 2>, stride: array<vec4u, 2>) -> u32 {
  var rem = idx; var o = 0u;
  for (var d = i32(rank) - 1; d >= 0; d--) {
    let s = dim8(shape, u32(d));
    o += (rem % s) * dim8(stride, u32(d));
    rem = rem / s;
  }
  return o;
}

fn better(v: f32, i: u32, bv: f32, bi: u32) -> bool {
  if (MODE == 2u) { return v < bv || (v == bv && i < bi); }
  return v > bv || (v == bv && i < bi);
}

@compute @workgroup_size(64)
fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let j = wid.x + wid.y * nwg.x;
  let t = lid.x;
  let valid = j < p.n_out;
  var acc = 0.0;
  var best_i = 0xffffffffu; // max/min/argmax: no candidate yet (so no +-inf literal is needed)
  if (valid) {
    let kbase = p.x_base + offset_of(j, p.k_rank, p.kshape, p.kstride);
    for (var r = t; r < p.r_len; r += 64u) {
      let v = X[kbase + offset_of(r, p.r_rank, p.rshape, p.rstride)];
      if (MODE == 0u) { acc += v; }
      else if (best_i == 0xffffffffu || better(v, r, acc, best_i)) { acc = v; best_i = r; }
    }
  }
  sv[t] = acc; si[t] = best_i;
  workgroupBarrier();
  for (var s = 32u; s > 0u; s >>= 1u) {
    if (t < s) {
      if (MODE == 0u) { sv[t] += sv[t + s]; }
      else if (si[t + s] != 0xffffffffu && (si[t] == 0xffffffffu || better(sv[t + s], si[t + s], sv[t], si[t]))) {
        sv[t] = sv[t + s]; si[t] = si[t + s];
      }
    }
    workgroupBarrier();
  }
  if (t == 0u && valid) {
    if (MODE == 3u) { O[p.out_base + j] = {{TO}}(si[0]); } else { O[p.out_base + j] = {{TO}}(sv[0]); }
  }
}
