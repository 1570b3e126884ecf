// embed/embedding_csr: groups the positions of a list of indices by vocab row, in order (a stable counting sort):
//   seg[2v] = #{n : 0 <= idx[n] < v} (start of row v's segment), seg[2v + 1] = #{n : idx[n] == v} (its length),
//   pos[seg[2v] + k] = the k-th n (ascending) with idx[n] == v.
// Bindings: 0 idx (read, i32), 1 seg (read_write, u32, 2V), 2 pos (read_write, u32, N), 3 Params (uniform).
// Params: V = vocab rows; N = indices; i_base = window offset of idx.
// Dispatch: one invocation per vocab row v, workgroup 64, grid folded by flat_id; each invocation scans the whole
//   index list twice (neighbouring invocations read the same idx[n]: one broadcast load per SIMD group).
// Numerics: integer counting, deterministic; indices outside [0, V) belong to no segment. Cost 2·V·N compares.
//#include "_lib/index.wgsl"
struct Params { V: u32, N: u32, i_base: u32 }
@group(0) @binding(0) var<storage, read> I: array<i32>;
@group(0) @binding(1) var<storage, read_write> SEG: array<u32>;
@group(0) @binding(2) var<storage, read_write> POS: array<u32>;
@group(0) @binding(3) var<uniform> p: Params;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let v = flat_id(gid, nwg, 64u);
  if (v >= p.V) { return; }
  let vi = i32(v);
  var start = 0u;
  for (var n = 0u; n < p.N; n++) {
    let i = I[p.i_base + n];
    if (i >= 0 && i < vi) { start++; }
  }
  var k = start;
  for (var n = 0u; n < p.N; n++) {
    if (I[p.i_base + n] == vi) { POS[k] = n; k++; }
  }
  SEG[2u * v] = start;
  SEG[2u * v + 1u] = k - start;
}
