// norm/groupnorm_mean: M0[g] = (Σ_{c < cg} S[2·(g·cg + c)]) · inv_n for each (image, group) g = b·G + group: groupNorm's
//   rough group mean from the per-plane sums of its first pass (norm/groupnorm_rows), in one dispatch.
// Bindings: 0 S (read, per-plane sums [B·C, 2]), 1 M0 (read_write, [B·G]), 2 Params (uniform).
// Params: groups = B·G, cg = channels per group, inv_n = 1 / (cg·plane size), rounded to f32.
// Dispatch: one invocation per (image, group), workgroup 64, grid (ceil(groups / 64)).
// Numerics: the group sum in reduce/reduce's order (_lib/gn_groupsum.wgsl), then one f32 multiply: the values of
//   reduce + a scaling map, bit for bit.
struct Params { groups: u32, cg: u32, inv_n: f32, pad0: u32 }
@group(0) @binding(0) var<storage, read> S: array<f32>;
@group(0) @binding(1) var<storage, read_write> M0: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;
//#include "_lib/gn_groupsum.wgsl"

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let g = gid.x;
  if (g >= p.groups) { return; }
  M0[g] = gn_groupsum(2u * g * p.cg, 2u, p.cg) * p.inv_n;
}
