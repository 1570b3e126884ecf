// ---- _lib/map_index.wgsl: Params and strided indexing shared by elementwise/{unary,binary,ternary} ----
// FLAT: the (coalesced) shape is rank 1 and every input is either contiguous (stride 1) or a broadcast scalar
// (stride 0): no index decoding at all.
const FLAT: bool = {{FLAT}};
struct Params { n: u32, rank: u32, s0: f32, s1: f32, base: vec4u, shape: array<vec4u, 2>, sa: array<vec4u, 2>, sb: array<vec4u, 2>, sc: array<vec4u, 2>, so: array<vec4u, 2> }
// Element offsets (a, b, c, out) of output element i: decode i over p.shape, dot with each operand's strides.
fn strided_offsets(i: u32) -> vec4u {
  var rem = i;
  var o = vec4u(0u);
  for (var d = i32(p.rank) - 1; d >= 0; d--) {
    let size = dim8(p.shape, u32(d));
    let k = rem % size;
    rem = rem / size;
    o += k * vec4u(dim8(p.sa, u32(d)), dim8(p.sb, u32(d)), dim8(p.sc, u32(d)), dim8(p.so, u32(d)));
  }
  return o;
}
// Strided path: RUN (define, from ops/map.ts) consecutive output elements per invocation. The full decode (a division per dim, which lavapipe
// runs as a scalar loop over the lanes) is done once per run; the run's next elements step along the last dim and
// decode again only where the last dim wraps.
const RUN: u32 = {{RUN}}u;
// The last dim's size and the operands' strides along it (a, b, c, out): how a run steps.
struct RunStep { size: u32, step: vec4u }
fn run_step() -> RunStep {
  let d = p.rank - 1u;
  return RunStep(dim8(p.shape, d), vec4u(dim8(p.sa, d), dim8(p.sb, d), dim8(p.sc, d), dim8(p.so, d)));
}
// Moves a run on to element i, the one after the current one: k = its index along the last dim, o = its operands'
// offsets (a full decode only where the last dim wraps).
fn run_next(s: RunStep, i: u32, k: ptr<function, u32>, o: ptr<function, vec4u>) {
  *k += 1u;
  if (*k == s.size) { *k = 0u; *o = strided_offsets(i); } else { *o += s.step; }
}
