// ---- _lib/map_index.wgsl: Params and strided indexing shared by elementwise/{unary,binary,ternary} ----
// FLAT: the (coalesced) shape is rank 1 and every input is either contiguous (stride 1) or a broadcast scalar
// (stride 0): no index decoding at all.
const FLAT: bool = {{FLAT}};
struct Params { n: u32, rank: u32, s0: f32, s1: f32, base: vec4u, shape: array<vec4u, 2>, sa: array<vec4u, 2>, sb: array<vec4u, 2>, sc: array<vec4u, 2>, so: array<vec4u, 2>, run: u32 }
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
// Strided path: p.run consecutive output elements per invocation (chosen by ops/map.ts). The full decode (a division
// per dim, which lavapipe runs as a scalar loop over the lanes) is done once per run; the run's next elements step along
// the last dim, carry into the dim before it where the last one wraps, and decode again only where both wrap. A decode
// any lane of a SIMD group needs is paid by all of them, so ops/map.ts makes p.run a multiple of the last two dims'
// product where that is small (a permuted copy of a [O, C, 3, 3] weight would otherwise decode at nearly every element):
// then every lane wraps at the same step.
// The last two dims' sizes and the operands' strides along them (a, b, c, out): how a run steps. A rank-1 shape has
// size2 = 1, so its last dim's wrap decodes.
struct RunStep { size: u32, step: vec4u, size2: u32, step2: vec4u }
fn run_step() -> RunStep {
  let d = p.rank - 1u; let two = p.rank >= 2u; let d2 = select(0u, d - 1u, two);
  let step2 = vec4u(dim8(p.sa, d2), dim8(p.sb, d2), dim8(p.sc, d2), dim8(p.so, d2));
  return RunStep(dim8(p.shape, d), vec4u(dim8(p.sa, d), dim8(p.sb, d), dim8(p.sc, d), dim8(p.so, d)),
                 select(1u, dim8(p.shape, d2), two), select(vec4u(0u), step2, two));
}
// Where a run stands: its element's index along the last dim (k) and the dim before it (k2), and its operands' offsets.
struct RunCursor { k: u32, k2: u32, o: vec4u }
fn run_start(s: RunStep, i: u32) -> RunCursor {
  let q = i / s.size;
  return RunCursor(i - q * s.size, q % s.size2, strided_offsets(i));
}
// Moves a run on to element i, the one after the current one (offsets in u32, wrapping: the sums come out exact).
// Selects, not early returns: lavapipe masks everything after a divergent return for the rest of the loop.
fn run_next(s: RunStep, i: u32, c: ptr<function, RunCursor>) {
  let k = (*c).k + 1u;
  let wrap = k == s.size;
  let k2 = select((*c).k2, (*c).k2 + 1u, wrap);
  let wrap2 = wrap && k2 == s.size2;
  (*c).k = select(k, 0u, wrap); (*c).k2 = select(k2, 0u, wrap2);
  (*c).o += select(s.step, s.step2 - (s.size - 1u) * s.step, vec4<bool>(wrap));
  if (wrap2) { (*c).o = strided_offsets(i); }
}
