// ---- _lib/matmul_params.wgsl: Params and batch offsets shared by matmul/matmul_v{1,2,3} ----
// m, n, k: product sizes; flags: bit 0 bias, bit 1 accumulate into C; *_base: window offsets; a_rs/a_cs, b_rs/b_cs,
// c_rs: row/column strides (elements); nb batch dims of sizes bshape with per-operand batch strides a_bs/b_bs/c_bs.
struct Params {
  m: u32, n: u32, k: u32, flags: u32,
  a_base: u32, b_base: u32, c_base: u32, bias_base: u32,
  a_rs: u32, a_cs: u32, b_rs: u32, b_cs: u32,
  c_rs: u32, nb: u32, pad0: u32, pad1: u32,
  bshape: vec4u, a_bs: vec4u, b_bs: vec4u, c_bs: vec4u,
}
// Element offsets (a, b, c) of batch z: z decoded over bshape, dotted with each operand's batch strides.
fn batch_offsets(z: u32) -> vec3u {
  var o = vec3u(p.a_base, p.b_base, p.c_base);
  var rem = z;
  for (var d = i32(p.nb) - 1; d >= 0; d--) {
    let s = p.bshape[d]; let i = rem % s; rem = rem / s;
    o += i * vec3u(p.a_bs[d], p.b_bs[d], p.c_bs[d]);
  }
  return o;
}
