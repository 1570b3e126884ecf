// elementwise/unary: out[i] = OP(a) for one strided input.
// Bindings: 0 a (read), 1 out (read_write), 2 Params (uniform).
// Params: n = elements in this dispatch; rank <= 8; s0, s1 = scalar operands usable in OP; base = element
//   offsets (a, b, c, out) inside the bound windows; shape = output shape; sa/sb/sc = input strides (0 = broadcast); so = output strides.
// Dispatch: one invocation per output element (FLAT: 4 consecutive elements per invocation when all operands are plain contiguous ranges), workgroup 64, grid folded to (x, y) by flat_id.
// Numerics: plain f32 (or integer) arithmetic per element, no accumulation; OP is a WGSL expression over
//   a, b, c and p.s0, p.s1, filled in by src/engine/ops/elementwise.ts.
//#include "_lib/index.wgsl"
//#include "_lib/math.wgsl"
// FLAT: every operand is contiguous over the same (coalesced, rank-1) range: no index arithmetic at all.
const FLAT: bool = {{FLAT}};
struct Params { n: u32, rank: u32, s0: f32, s1: f32, base: vec4u, shape: array<vec4u, 2>, sa: array<vec4u, 2>, sb: array<vec4u, 2>, sc: array<vec4u, 2>, so: array<vec4u, 2> }
@group(0) @binding(0) var<storage, read> A: array<{{TA}}>;
@group(0) @binding(1) var<storage, read_write> O: array<{{TO}}>;
@group(0) @binding(2) var<uniform> p: Params;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  if (FLAT) {
    // 4 consecutive elements per invocation: fewer invocations, no index arithmetic.
    let i0 = flat_id(gid, nwg, 64u) * 4u;
    for (var j = i0; j < min(i0 + 4u, p.n); j++) {
      let a = A[p.base.x + j];
      O[p.base.w + j] = {{OP}};
    }
    return;
  }
  let i = flat_id(gid, nwg, 64u);
  if (i >= p.n) { return; }
  var rem = i;
  var oa = 0u; var ob = 0u; var oc = 0u; var oo = 0u;
  for (var d = i32(p.rank) - 1; d >= 0; d--) {
    let size = dim8(p.shape, u32(d));
    let k = rem % size;
    rem = rem / size;
    oa += k * dim8(p.sa, u32(d)); ob += k * dim8(p.sb, u32(d)); oc += k * dim8(p.sc, u32(d)); oo += k * dim8(p.so, u32(d));
  }
  let a = A[p.base.x + oa];
  O[p.base.w + oo] = {{OP}};
}
