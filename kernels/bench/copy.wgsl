// bench/copy: the adapter's memory bandwidth through storage buffers: dst = src, one vec4 per invocation.
// Bindings: 0 src (read, vec4), 1 dst (read_write, vec4), 2 Params (uniform).
// Params: n4 vec4 items.
// Dispatch: workgroups of 64, grid folded to (x, y) by flat_id. Bytes moved = 2 · 16 · n4 (read once, written once).
// Numerics: a copy.
//#include "_lib/index.wgsl"
struct Params { n4: u32 }
@group(0) @binding(0) var<storage, read> S: array<vec4f>;
@group(0) @binding(1) var<storage, read_write> D: array<vec4f>;
@group(0) @binding(2) var<uniform> p: Params;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flat_id(gid, nwg, 64u);
  if (i < p.n4) { D[i] = S[i]; }
}
