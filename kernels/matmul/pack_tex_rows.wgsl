// matmul/pack_tex_rows: matmul/pack_tex's staging layout for an operand contiguous along its columns (cs = 1) whose
//   base, row stride and slab strides are multiples of 4: each texel is one vec4 load.
// Bindings: 0 src (read, vec4 elements: the window's size rounded up to 16 bytes, so that a ragged last texel's vec4
//   stays inside it), 1 dst (read_write, vec4 texels: T[y, x] at (y − the dispatch's first row)·pitch + x), 2 Params (uniform).
// Params: matmul/pack_tex's (cs unused; base, rs and bs in f32 elements).
// Dispatch: workgroup 8 × 8, grid (ceil(width / 32), ceil((r1 − r0) / 8), slabs from s0); invocation (lane l of workgroup
//   column g) writes texels 32g + l + 8t (t = 0..3) of one row, so a SIMD row of lanes loads and stores 8
//   consecutive texels.
// Numerics: a copy; padding texels hold exact zeros.
@group(0) @binding(0) var<storage, read> src: array<vec4f>;
@group(0) @binding(1) var<storage, read_write> dst: array<vec4f>;
@group(0) @binding(2) var<uniform> p: Params;

//#include "_lib/pack_params.wgsl"

/** Texels per invocation. */
const TPI = 4u;

@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let r = p.r0 + gid.y; let s = p.s0 + gid.z;
  if (r >= p.r1) { return; }
  let o = slab_offset(s);
  let y = gid.z * (p.r1 - p.r0) + gid.y;
  let rin = vec4<bool>(r < p.rows);
  let o4 = (o + min(r, p.rows - 1u) * p.rs) / 4u;
  let last = (p.cols - 1u) / 4u;
  for (var t = 0u; t < TPI; t++) {
    let x = 8u * (TPI * wid.x + t) + lid.x;
    let v = src[o4 + min(x, last)];
    let keep = (vec4u(4u * x) + vec4u(0u, 1u, 2u, 3u) < vec4u(p.cols)) & rin;
    if (x < p.width) { dst[y * p.pitch + x] = select(vec4f(0.0), v, keep); }
  }
}
