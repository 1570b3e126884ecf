// ---- _lib/pack_params.wgsl: Params and the slab offset shared by matmul/pack_tex, pack_tex_rows and pack_tex_cols ----
// rows, cols: the logical matrix of one slab; rs, cs: its row and column strides (elements); base: window offset; nb
// slab dims of sizes bshape with element strides bs; rows_p: texture rows per slab; width: texels per row; pitch:
// staging texels per row (≥ width); s0: the dispatch's first slab (grid z counts from it); r0 .. r1 − 1: the rows of
// each slab it writes (all rows_p, or part of one slab when a staging chunk cuts it). Staging row of slab s0 + z, row r:
// z·(r1 − r0) + r − r0 (the binding starts at the dispatch's first row).
struct Params {
  rows: u32, cols: u32, rs: u32, cs: u32,
  base: u32, nb: u32, rows_p: u32, width: u32,
  pitch: u32, s0: u32, r0: u32, r1: u32,
  bshape: vec4u, bs: vec4u,
}
// Element offset of slab s's first element: base + s decoded over bshape, dotted with bs.
fn slab_offset(s: u32) -> u32 {
  var o = p.base;
  var rem = s;
  for (var d = i32(p.nb) - 1; d >= 0; d--) {
    let n = p.bshape[d];
    o += (rem % n) * p.bs[d]; rem = rem / n;
  }
  return o;
}
