// resample/resample: y[p,oy,ox] = Σ_ky Σ_kx wy(oy,ky)·wx(ox,kx)·x[p,iy,ix] (F.interpolate, align_corners=False), or its adjoint.
// Bindings: 0 src (read, f32), 1 dst (read_write, f32), 2 Params (uniform).
// Params: n = elements written by this dispatch (dst elements (b, c, y, x) row-major); C channels; in_h, in_w, out_h, out_w =
//   plane sizes; src_base, dst_base = element offsets in the bound windows; ss, ds = element strides (b, c, y, x) of src
//   and dst (any views, e.g. a [B, L, C] slice written as [B, C, h, w]); scale_h, scale_w = float32(in / out) per axis.
// Defines: MODE 0 area (adaptive average pooling bins), 1 bilinear, 2 bicubic (A = -0.75, border-clamped taps);
//   BACKWARD 0: src = x [P,in_h,in_w], dst = y [P,out_h,out_w], one invocation per output element;
//   BACKWARD 1: src = dy [P,out_h,out_w], dst = dx [P,in_h,in_w], one invocation per input element that gathers every
//   (oy, ox) whose taps read it (deterministic: no atomics, fixed order).
// Dispatch: workgroup 64, grid folded to (x, y) by flat_id.
// Numerics: f32. Taps are computed in-shader exactly as PyTorch's upsample kernels do (src/engine/cpu/resample.ts is the
//   f64 reference): real = scale·(dst + 0.5) − 0.5 (clamped at 0 for bilinear), i = min(floor(real), in − 1), t = clamp(real − i).
//   Forward interpolates along x first, then y, like PyTorch; area sums the bin, then divides by its element count.
//#include "_lib/index.wgsl"
struct Params { n: u32, C: u32, in_h: u32, in_w: u32, out_h: u32, out_w: u32, src_base: u32, dst_base: u32,
  ss: vec4u, ds: vec4u, scale_h: f32, scale_w: f32 }
@group(0) @binding(0) var<storage, read> S: array<f32>;
@group(0) @binding(1) var<storage, read_write> D: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

const MODE: u32 = {{MODE}}u;
const BACKWARD: bool = {{BACKWARD}};
const A: f32 = -0.75;

// Taps of output index o along one axis: input indices clamp(first + k, 0, n_in − 1) with weights w[k], k < count
// (bilinear 2, bicubic 4); for area, the bin [first, first + count) with weight 1 / count each.
struct Taps { first: i32, count: i32, w: vec4f }

fn cubic1(x: f32) -> f32 { return ((A + 2.0) * x - (A + 3.0)) * x * x + 1.0; }
fn cubic2(x: f32) -> f32 { return ((A * x - 5.0 * A) * x + 8.0 * A) * x - 4.0 * A; }

fn taps(o: u32, n_in: u32, n_out: u32, scale: f32) -> Taps {
  if (MODE == 0u) {
    let s = (o * n_in) / n_out;
    let e = ((o + 1u) * n_in + n_out - 1u) / n_out;
    return Taps(i32(s), i32(e - s), vec4f(1.0 / f32(e - s)));
  }
  var real = scale * (f32(o) + 0.5) - 0.5;
  if (MODE == 1u) {
    real = max(real, 0.0);
    let i0 = min(i32(floor(real)), i32(n_in) - 1);
    let l1 = clamp(real - f32(i0), 0.0, 1.0);
    return Taps(i0, 2, vec4f(1.0 - l1, l1, 0.0, 0.0));
  }
  let i = min(i32(floor(real)), i32(n_in) - 1);
  let t = clamp(real - f32(i), 0.0, 1.0);
  return Taps(i - 1, 4, vec4f(cubic2(t + 1.0), cubic1(t), cubic1(1.0 - t), cubic2(2.0 - t)));
}

fn tap_index(t: Taps, k: i32, n_in: u32) -> u32 { return u32(clamp(t.first + k, 0, i32(n_in) - 1)); }

// Total weight with which output o reads input i (the adjoint's matrix entry).
fn weight_of(o: u32, i: u32, n_in: u32, n_out: u32, scale: f32) -> f32 {
  let t = taps(o, n_in, n_out, scale);
  if (MODE == 0u) { return select(0.0, t.w.x, i32(i) >= t.first && i32(i) < t.first + t.count); }
  var w = 0.0;
  for (var k = 0; k < t.count; k++) { if (tap_index(t, k, n_in) == i) { w += t.w[k]; } }
  return w;
}

// Outputs [lo, hi) whose taps may read input i: exact for area, a superset (one index of slack) for the others.
fn readers(i: u32, n_in: u32, n_out: u32, scale: f32) -> vec2u {
  if (MODE == 0u) { return vec2u((i * n_out) / n_in, ((i + 1u) * n_out + n_in - 1u) / n_in); }
  // Tap i is read by outputs whose floor index lies in [i - back, i + fwd]; the border inputs also by every output
  // whose clamped taps fall on them.
  let back = select(2, 1, MODE == 1u);
  let fwd = select(1, 0, MODE == 1u);
  var lo = 0;
  if (MODE == 1u || i > 0u) { lo = i32(floor((f32(i32(i) - back) + 0.5) / scale - 0.5)) - 1; }
  var hi = i32(n_out);
  if (MODE == 1u || i + 1u < n_in) { hi = i32(floor((f32(i32(i) + fwd) + 1.5) / scale - 0.5)) + 2; }
  return vec2u(u32(clamp(lo, 0, i32(n_out))), u32(clamp(hi, 0, i32(n_out))));
}

// Element offset of (plane, y, x) where plane = b·C + c, for strides st.
fn at(st: vec4u, plane: u32, y: u32, x: u32) -> u32 { return (plane / p.C) * st.x + (plane % p.C) * st.y + y * st.z + x * st.w; }

fn forward(e: u32) {
  let ox = e % p.out_w;
  let oy = (e / p.out_w) % p.out_h;
  let pl = e / (p.out_w * p.out_h);
  let ty = taps(oy, p.in_h, p.out_h, p.scale_h);
  let tx = taps(ox, p.in_w, p.out_w, p.scale_w);
  var acc = 0.0;
  if (MODE == 0u) {
    for (var y = 0; y < ty.count; y++) {
      for (var x = 0; x < tx.count; x++) { acc += S[p.src_base + at(p.ss, pl, u32(ty.first + y), u32(tx.first + x))]; }
    }
    acc = acc / f32(ty.count * tx.count);
  } else {
    for (var ky = 0; ky < ty.count; ky++) {
      let iy = tap_index(ty, ky, p.in_h);
      var r = 0.0;
      for (var kx = 0; kx < tx.count; kx++) { r += tx.w[kx] * S[p.src_base + at(p.ss, pl, iy, tap_index(tx, kx, p.in_w))]; }
      acc += ty.w[ky] * r;
    }
  }
  D[p.dst_base + at(p.ds, pl, oy, ox)] = acc;
}

fn backward(e: u32) {
  let ix = e % p.in_w;
  let iy = (e / p.in_w) % p.in_h;
  let pl = e / (p.in_w * p.in_h);
  let ry = readers(iy, p.in_h, p.out_h, p.scale_h);
  let rx = readers(ix, p.in_w, p.out_w, p.scale_w);
  var acc = 0.0;
  for (var oy = ry.x; oy < ry.y; oy++) {
    let wy = weight_of(oy, iy, p.in_h, p.out_h, p.scale_h);
    if (wy == 0.0) { continue; }
    var r = 0.0;
    for (var ox = rx.x; ox < rx.y; ox++) {
      let wx = weight_of(ox, ix, p.in_w, p.out_w, p.scale_w);
      if (wx != 0.0) { r += wx * S[p.src_base + at(p.ss, pl, oy, ox)]; }
    }
    acc += wy * r;
  }
  D[p.dst_base + at(p.ds, pl, iy, ix)] = acc;
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let e = flat_id(gid, nwg, 64u);
  if (e >= p.n) { return; }
  if (BACKWARD) { backward(e); } else { forward(e); }
}
