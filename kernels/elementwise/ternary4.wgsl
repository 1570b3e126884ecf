// elementwise/ternary4: out[i] = OP(a, b, c) over plain contiguous ranges (each input streamed or one broadcast element), as
//   elementwise/ternary's FLAT path but loading and storing vec4s: lavapipe moves a vec4 per lane for about the cost
//   of a scalar, so a memory-bound map runs about twice as fast. ops/map.ts runs it where every streamed operand's and
//   the output's base is a multiple of 4 (the elements past the last whole vec4 go to the FLAT path).
// Bindings: 0 a, 1 b, 2 c (read, vec4 arrays: windows rounded up to 16 bytes), 3 out (read_write), 4 Params (uniform).
// Params: _lib/map4.wgsl.
// Dispatch: PER consecutive vec4s per invocation, workgroup 64, grid folded to (x, y) by flat_id.
// Numerics: OP per component, exactly as the scalar kernels (plain f32 or integer arithmetic, no accumulation).
//#include "_lib/index.wgsl"
//#include "_lib/math.wgsl"
//#include "_lib/map4.wgsl"
@group(0) @binding(0) var<storage, read> A: array<vec4<{{TA}}>>;
@group(0) @binding(1) var<storage, read> B: array<vec4<{{TB}}>>;
@group(0) @binding(2) var<storage, read> C: array<vec4<{{TC}}>>;
@group(0) @binding(3) var<storage, read_write> O: array<vec4<{{TO}}>>;
@group(0) @binding(4) var<uniform> p: Params;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i0 = flat_id(gid, nwg, 64u) * PER;
  // a: one element broadcast (bit 0 of bcast), or streamed from base.x / 4 on.
  let oneA = (p.bcast & 1u) != 0u;
  let eA = A[p.base.x >> 2u][p.base.x & 3u];
  // b: one element broadcast (bit 1 of bcast), or streamed from base.y / 4 on.
  let oneB = (p.bcast & 2u) != 0u;
  let eB = B[p.base.y >> 2u][p.base.y & 3u];
  // c: one element broadcast (bit 2 of bcast), or streamed from base.z / 4 on.
  let oneC = (p.bcast & 4u) != 0u;
  let eC = C[p.base.z >> 2u][p.base.z & 3u];
  for (var j = 0u; j < PER; j++) {
    let i = i0 + j;
    if (i >= p.n4) { break; }
    var vA = vec4<{{TA}}>(eA);
    if (!oneA) { vA = A[(p.base.x >> 2u) + i]; }
    var vB = vec4<{{TB}}>(eB);
    if (!oneB) { vB = B[(p.base.y >> 2u) + i]; }
    var vC = vec4<{{TC}}>(eC);
    if (!oneC) { vC = C[(p.base.z >> 2u) + i]; }
    var r: vec4<{{TO}}>;
    { let a = vA[0]; let b = vB[0]; let c = vC[0]; r[0] = {{OP}}; }
    { let a = vA[1]; let b = vB[1]; let c = vC[1]; r[1] = {{OP}}; }
    { let a = vA[2]; let b = vB[2]; let c = vC[2]; r[2] = {{OP}}; }
    { let a = vA[3]; let b = vB[3]; let c = vC[3]; r[3] = {{OP}}; }
    O[(p.base.w >> 2u) + i] = r;
  }
}
