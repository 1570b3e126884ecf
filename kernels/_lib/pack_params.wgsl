// ---- _lib/pack_params.wgsl: Params and the slab offset shared by matmul/pack_tex, pack_tex_rows and pack_tex_cols ----
// rows, cols: the logical matrix of one slab; rs, cs: its row and column strides (elements); base: window offset; nb
// slab dims of sizes bshape with element strides bs; rows_p: texture rows per slab; width: texels per row; height:
// slabs · rows_p; pitch: staging texels per row (≥ width).
struct Params {
  rows: u32, cols: u32, rs: u32, cs: u32,
  base: u32, nb: u32, rows_p: u32, width: u32,
  height: u32, pitch: u32, pad1: u32, pad2: u32,
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
