// matmul/pack_tex_cols: matmul/pack_tex's staging layout for an operand contiguous along its rows (rs = 1: a
//   transpose) whose base, column stride and slab strides are multiples of 4: a 4 × 4 block (texture rows 4q ..
//   4q+3 of one texel column) is four vec4 loads down four source columns, transposed in registers.
// Bindings: 0 src (read, vec4 elements: the window's size rounded up to 16 bytes, so that a ragged last block's vec4
//   stays inside it), 1 dst (read_write, vec4 texels: T[y, x] at (y − the dispatch's first row)·pitch + x), 2 Params (uniform).
// Params: matmul/pack_tex's (rs unused; base, cs and bs in f32 elements; rows_p a multiple of 4).
// Dispatch: workgroup 8 × 8, grid (ceil(width / 32), ceil((r1 − r0) / 32), slabs from s0; r0 a multiple of 4); invocation (lane l of workgroup
//   (g, h), row lid.y) writes texel columns 32g + l + 8t (t = 0..3) of texture rows 4q .. 4q+3, q = 8h + lid.y.
// Numerics: a copy; padding texels hold exact zeros.
@group(0) @binding(0) var<storage, read> src: array<vec4f>;
@group(0) @binding(1) var<storage, read_write> dst: array<vec4f>;
@group(0) @binding(2) var<uniform> p: Params;

//#include "_lib/pack_params.wgsl"

/** Texel columns per invocation. */
const TPI = 4u;

@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let r0 = p.r0 + 4u * gid.y; let s = p.s0 + gid.z;
  if (r0 >= p.r1) { return; }
  let o = slab_offset(s);
  let y0 = gid.z * (p.r1 - p.r0) + 4u * gid.y;
  let rin = vec4u(r0) + vec4u(0u, 1u, 2u, 3u) < vec4u(p.rows);
  // Rows past the last whole block read the last block (then zeroed), so every load stays inside the window.
  let o4 = (o + min(r0, (p.rows - 1u) & ~3u)) / 4u;
  let cs4 = p.cs / 4u; let last = vec4u(p.cols - 1u);
  for (var t = 0u; t < TPI; t++) {
    let x = 8u * (TPI * wid.x + t) + lid.x;
    let c = vec4u(4u * x) + vec4u(0u, 1u, 2u, 3u);
    let cin = c < vec4u(p.cols);
    let at = min(c, last) * cs4 + vec4u(o4);
    let a = select(vec4f(0.0), src[at.x], rin); let b = select(vec4f(0.0), src[at.y], rin);
    let e = select(vec4f(0.0), src[at.z], rin); let f = select(vec4f(0.0), src[at.w], rin);
    if (x < p.width) {
      let q = y0 * p.pitch + x;
      dst[q] = select(vec4f(0.0), vec4f(a.x, b.x, e.x, f.x), cin);
      dst[q + p.pitch] = select(vec4f(0.0), vec4f(a.y, b.y, e.y, f.y), cin);
      dst[q + 2u * p.pitch] = select(vec4f(0.0), vec4f(a.z, b.z, e.z, f.z), cin);
      dst[q + 3u * p.pitch] = select(vec4f(0.0), vec4f(a.w, b.w, e.w, f.w), cin);
    }
  }
}
