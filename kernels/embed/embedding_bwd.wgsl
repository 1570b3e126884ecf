// embed/embedding_bwd: dweight[v, c] (+)= Σ_k g[pos[seg[2v] + k], c] for k < seg[2v + 1] — the embedding's
//   scatter-add as a gather over the positions grouped by embed/embedding_csr.
// Bindings: 0 g (read, N×C), 1 seg (read, u32), 2 pos (read, u32), 3 dweight (read_write, V×C), 4 Params (uniform).
// Params: V; C; g_base = window offset of g; accumulate = 1 to add to dweight (the 2nd, 3rd, ... range of indices
//   when g is split across bindings), 0 to overwrite.
// Dispatch: one invocation per (v, c), workgroup 64, grid folded by flat_id; neighbouring invocations share v (the
//   same segment) and read neighbouring channels of the same g rows.
// Numerics: f32 sums in ascending position order: deterministic, bit-identical from run to run, no atomics.
//#include "_lib/index.wgsl"
struct Params { V: u32, C: u32, g_base: u32, accumulate: u32 }
@group(0) @binding(0) var<storage, read> G: array<f32>;
@group(0) @binding(1) var<storage, read> SEG: array<u32>;
@group(0) @binding(2) var<storage, read> POS: array<u32>;
@group(0) @binding(3) var<storage, read_write> DW: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flat_id(gid, nwg, 64u);
  if (i >= p.V * p.C) { return; }
  let v = i / p.C;
  let c = i % p.C;
  let start = SEG[2u * v];
  let end = start + SEG[2u * v + 1u];
  var acc = 0.0;
  if (p.accumulate != 0u) { acc = DW[i]; }
  for (var k = start; k < end; k++) { acc += G[p.g_base + POS[k] * p.C + c]; }
  DW[i] = acc;
}
