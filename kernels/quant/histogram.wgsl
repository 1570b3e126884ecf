// quant/histogram: counts[idx[i]] += 1 for every index (per-code usage), ids outside [0, V) counted in counts[V].
// Bindings: 0 idx (read, i32), 1 counts (read_write, atomic i32, V + 1 entries, zeroed by the caller), 2 Params.
// Params: n indices; V codes; idx_base, cnt_base = window offsets.
// Dispatch: one invocation per index, workgroup 64, grid folded.
// Numerics: integer atomics, so the result is exact and order-independent.
//#include "_lib/index.wgsl"
struct Params { n: u32, V: u32, idx_base: u32, cnt_base: u32 }
@group(0) @binding(0) var<storage, read> IDX: array<i32>;
@group(0) @binding(1) var<storage, read_write> CNT: array<atomic<i32>>;
@group(0) @binding(2) var<uniform> p: Params;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flat_id(gid, nwg, 64u);
  if (i >= p.n) { return; }
  let code = IDX[p.idx_base + i];
  let slot = select(p.V, u32(code), code >= 0 && u32(code) < p.V);
  atomicAdd(&CNT[p.cnt_base + slot], 1);
}
