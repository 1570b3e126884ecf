// matmul/pack_tex: T[s·rows_p + r, x] = (X[s, r, 4x], .., X[s, r, 4x+3]) for a strided [slabs, rows, cols] operand, zero past
//   rows and cols: matmul_tex's packed operand, written to a staging buffer that packTex (ops/matmul.ts) copies into
//   the texture (lavapipe stores a texel with a scalar loop over lanes and channels; a storage-buffer store is several
//   times cheaper). The general path (any strides); packTex takes matmul/pack_tex_rows or pack_tex_cols where the
//   layout allows vec4 loads.
// Bindings: 0 src (read, f32), 1 dst (read_write, vec4 texels: T[y, x] at (y − the dispatch's first row)·pitch + x), 2 Params (uniform).
// Params: rows, cols: the logical matrix of one slab (A: M × K; B: K × N); rs, cs: its row and column strides in
//   elements (a transpose swaps them); base: window offset; nb slab dims of sizes bshape with element strides bs
//   (the operand's own batch dims, broadcast ones left out); rows_p: texture rows per slab (rows padded); width:
//   texels per row (cols padded to 4·width); pitch: dst texels per row (≥ width); s0, r0, r1: the dispatch's first
//   slab and the rows of each slab it writes (_lib/pack_params.wgsl), dst bound at its first row.
// Dispatch: one invocation per TPI consecutive texels of a row, workgroup 8 × 8, grid (ceil(width / (8·TPI)),
//   ceil((r1 − r0) / 8), slabs from s0): the slab comes from the grid, so no lane divides by rows_p. Several texels per
//   invocation: lavapipe's per-invocation cost is a large share of a copy.
// Numerics: a copy; padding texels hold exact zeros, so the matmul reads them without masks.
@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read_write> dst: array<vec4f>;
@group(0) @binding(2) var<uniform> p: Params;

//#include "_lib/pack_params.wgsl"

/** Texels per invocation. */
const TPI = 4u;

@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let x0 = TPI * gid.x; let r = p.r0 + gid.y; let s = p.s0 + gid.z;
  if (x0 >= p.width || r >= p.r1) { return; }
  var o = slab_offset(s);
  let y = gid.z * (p.r1 - p.r0) + gid.y;
  let rin = r < p.rows;
  o += min(r, p.rows - 1u) * p.rs;
  for (var x = x0; x < min(x0 + TPI, p.width); x++) {
    var v = vec4f(0.0);
    for (var j = 0u; j < 4u; j++) {
      let c = 4u * x + j;
      let val = src[o + min(c, p.cols - 1u) * p.cs];
      v[j] = select(0.0, val, rin && c < p.cols);
    }
    dst[y * p.pitch + x] = v;
  }
}
