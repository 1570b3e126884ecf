// resample/nearest2x: y[p, 2i+di, 2j+dj] = x[p, i, j] (forward), or dx[p, i, j] = Σ_{di,dj} dy[p, 2i+di, 2j+dj] (BWD).
// Bindings: 0 src (read), 1 dst (read_write), 2 Params (uniform).
// Params: n = input-sized elements (planes × H × W) in this dispatch, H W = the small (input) plane size,
//   src_base/dst_base = element offsets of the bound windows. Planes p are (b, c) pairs, consecutive in memory.
// Defines: BWD = true for the gradient.
// Dispatch: one invocation per small-plane element (it writes, or reads, its 2×2 block); workgroup 64, grid folded to
//   (x, y) by flat_id. resample/nearest2x_vec4 is the same with 4 columns per invocation.
// Numerics: forward is a copy; backward sums the block as (a + b) + (c + d), rows first.
//#include "_lib/index.wgsl"
struct Params { n: u32, H: u32, W: u32, src_base: u32, dst_base: u32 }
@group(0) @binding(0) var<storage, read> Src: array<f32>;
@group(0) @binding(1) var<storage, read_write> Dst: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

const BWD: bool = {{BWD}};

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let e = flat_id(gid, nwg, 64u);
  if (e >= p.n) { return; }
  let j = e % p.W;
  let i = (e / p.W) % p.H;
  let plane = e / (p.W * p.H);
  // Top-left element of the 2×2 block in the large (2H × 2W) plane.
  let big = plane * 4u * p.H * p.W + (2u * i) * (2u * p.W) + 2u * j;
  let w2 = 2u * p.W;
  if (BWD) {
    let s = p.src_base + big;
    Dst[p.dst_base + e] = (Src[s] + Src[s + 1u]) + (Src[s + w2] + Src[s + w2 + 1u]);
  } else {
    let v = Src[p.src_base + e];
    let d = p.dst_base + big;
    Dst[d] = v; Dst[d + 1u] = v; Dst[d + w2] = v; Dst[d + w2 + 1u] = v;
  }
}
