// resample/nearest2x_vec4: resample/nearest2x with vec4 loads and stores, 4 adjacent small columns per invocation.
// Bindings: 0 src (read, vec4), 1 dst (read_write, vec4), 2 Params (uniform).
// Params: as resample/nearest2x; W and both bases are multiples of 4 (the op checks), so every item is aligned.
// Defines: BWD = true for the gradient.
// Dispatch: one invocation per 4 small-plane elements: forward (a, b, c, d) -> (a, a, b, b), (c, c, d, d) on both
//   large rows; backward the reverse, summing. A quarter of the memory operations of the scalar kernel (they dominate
//   on lavapipe, which performs storage accesses lane by lane). Workgroup 64, grid folded to (x, y) by flat_id.
// Numerics: forward is a copy; backward sums each block as (a + b) + (c + d), rows first (as resample/nearest2x).
//#include "_lib/index.wgsl"
struct Params { n: u32, H: u32, W: u32, src_base: u32, dst_base: u32 }
@group(0) @binding(0) var<storage, read> Src: array<vec4f>;
@group(0) @binding(1) var<storage, read_write> Dst: array<vec4f>;
@group(0) @binding(2) var<uniform> p: Params;

const BWD: bool = {{BWD}};

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let q = flat_id(gid, nwg, 64u); // item index in the small planes
  let e = q * 4u;
  if (e >= p.n) { return; }
  let j = e % p.W;
  let i = (e / p.W) % p.H;
  let plane = e / (p.W * p.H);
  // First item of the 2×2 blocks in the large (2H × 2W) plane, and the large row length, in vec4 items.
  let big = (plane * 4u * p.H * p.W + (2u * i) * (2u * p.W) + 2u * j) / 4u;
  let w2 = p.W / 2u;
  let s0 = p.src_base / 4u;
  let d0 = p.dst_base / 4u;
  if (BWD) {
    let t0 = Src[s0 + big]; let t1 = Src[s0 + big + 1u];
    let u0 = Src[s0 + big + w2]; let u1 = Src[s0 + big + w2 + 1u];
    Dst[d0 + q] = vec4f(t0.x + t0.y, t0.z + t0.w, t1.x + t1.y, t1.z + t1.w) + vec4f(u0.x + u0.y, u0.z + u0.w, u1.x + u1.y, u1.z + u1.w);
  } else {
    let v = Src[s0 + q];
    let d = d0 + big;
    Dst[d] = v.xxyy; Dst[d + 1u] = v.zzww; Dst[d + w2] = v.xxyy; Dst[d + w2 + 1u] = v.zzww;
  }
}
