// elementwise/unary4: out[i] = OP(a) as elementwise/unary, in vec4s along a last dim that is contiguous in the
//   output: lavapipe moves a vec4 per lane for about the cost of a scalar, so a memory-bound map runs about twice as
//   fast. Each input is streamed along the last dim (stride 1: one vec4 load) or broadcast along it (stride 0: one
//   element, splatted). ops/map.ts runs it where the last dim is a multiple of 4 (a flat map: the elements past the
//   last whole vec4 go to the scalar kernel), every streamed base and outer stride is a multiple of 4, and every
//   window rounded up to 16 bytes stays in its buffer.
// Bindings: 0 a (read, vec4 arrays), 1 out (read_write, vec4), 2 Params (uniform).
// Params: _lib/map_index.wgsl's, in vec4 units along the last dim: n = vec4s in this dispatch, shape's last dim = its
//   size / 4, strides in elements (a streamed operand's last-dim stride 4, a broadcast one's 0), base = element offsets.
// Defines: FLAT (rank 1: offsets base + 4·i, no index decoding), NOWRAP (p.run divides the last dim: a run never
//   leaves its row, so it steps without carries), ONE_A (the input broadcast along the last dim:
//   known when the pipeline is built, so lavapipe does not run both loads under a mask).
// Dispatch: one invocation per p.run consecutive vec4s (_lib/map_index.wgsl), workgroup 64, grid folded by flat_id;
//   the entry point is _lib/map4_main.wgsl's.
// Numerics: OP per component, exactly as the scalar kernels (plain f32 or integer arithmetic, no accumulation).
//#include "_lib/index.wgsl"
//#include "_lib/math.wgsl"
@group(0) @binding(0) var<storage, read> A: array<vec4<{{TA}}>>;
@group(0) @binding(1) var<storage, read_write> O: array<vec4<{{TO}}>>;
@group(0) @binding(2) var<uniform> p: Params;
//#include "_lib/map_index.wgsl"
const ONE_A: bool = {{ONE_A}};

// The map of one vec4 of outputs, at element offsets o = (a, b, c, out).
fn map4(o: vec4u) {
  var vA: vec4<{{TA}}>;
  if (ONE_A) { vA = vec4<{{TA}}>(A[o.x >> 2u][o.x & 3u]); } else { vA = A[o.x >> 2u]; }
  var r: vec4<{{TO}}>;
  { let a = vA[0]; r[0] = {{OP}}; }
  { let a = vA[1]; r[1] = {{OP}}; }
  { let a = vA[2]; r[2] = {{OP}}; }
  { let a = vA[3]; r[3] = {{OP}}; }
  O[o.w >> 2u] = r;
}

//#include "_lib/map4_main.wgsl"
