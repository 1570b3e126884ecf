// elementwise/binary: out[i] = OP(a, b) with broadcasting (strides 0 on broadcast dims).
// Bindings: 0 a, 1 b (read), 2 out (read_write), 3 Params (uniform).
// Params: n = elements in this dispatch; rank <= 8; s0, s1 = scalar operands usable in OP; base = element
//   offsets (a, b, c, out) inside the bound windows; shape = output shape; sa/sb/sc = input strides (0 = broadcast); so = output strides.
// Dispatch: one invocation per p.run consecutive output elements (_lib/map_index.wgsl) (FLAT: 4 per invocation when all operands are plain contiguous ranges), workgroup 64, grid folded to (x, y) by flat_id.
// Numerics: plain f32 (or integer) arithmetic per element, no accumulation; OP is a WGSL expression over
//   a, b, c and p.s0, p.s1, filled in by src/engine/ops/elementwise.ts.
//#include "_lib/index.wgsl"
//#include "_lib/math.wgsl"
@group(0) @binding(0) var<storage, read> A: array<{{TA}}>;
@group(0) @binding(1) var<storage, read> B: array<{{TB}}>;
@group(0) @binding(2) var<storage, read_write> O: array<{{TO}}>;
@group(0) @binding(3) var<uniform> p: Params;
//#include "_lib/map_index.wgsl"

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  if (FLAT) {
    // 4 consecutive elements per invocation: fewer invocations, no index arithmetic.
    let i0 = flat_id(gid, nwg, 64u) * 4u;
    for (var j = i0; j < min(i0 + 4u, p.n); j++) {
      let a = A[p.base.x + j * p.sa[0].x];
      let b = B[p.base.y + j * p.sb[0].x];
      O[p.base.w + j] = {{OP}};
    }
    return;
  }
  // p.run consecutive elements (_lib/map_index.wgsl): one full decode, then steps along the last two dims.
  let i0 = flat_id(gid, nwg, 64u) * p.run;
  if (i0 >= p.n) { return; }
  let rs = run_step();
  var cur = run_start(rs, i0);
  for (var i = i0; i < min(i0 + p.run, p.n); i++) {
    if (i > i0) { run_next(rs, i, &cur); }
    let o = cur.o;
    let a = A[p.base.x + o.x];
    let b = B[p.base.y + o.y];
    O[p.base.w + o.w] = {{OP}};
  }
}
