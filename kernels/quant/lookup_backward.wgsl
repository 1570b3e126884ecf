// quant/lookup_backward: dE[v, c] = Σ_{(b, s): idx[b, s] = v} g[b, c, s] (the codebook gradient of quant/lookup).
// Bindings: 0 idx (read, i32), 1 g (read, f32, laid out as quant/lookup's output), 2 dE [V, C] (read_write), 3 Params.
// Params: V codes; C code width; B batch; hw positions per item; idx_base, idx_sb as in quant/lookup; g_base, out_base.
// Dispatch: one invocation per (code v, block of 32 channels): it scans every index in (b, s) order and accumulates
//   the matching rows in 32 private sums. Deterministic (fixed order, no atomics); cost V·B·hw index reads.
// Numerics: f32 sums in (b, s) order; ids outside [0, V) match no code.
//#include "_lib/index.wgsl"
struct Params { V: u32, C: u32, B: u32, hw: u32, idx_base: u32, idx_sb: u32, g_base: u32, out_base: u32 }
@group(0) @binding(0) var<storage, read> IDX: array<i32>;
@group(0) @binding(1) var<storage, read> G: array<f32>;
@group(0) @binding(2) var<storage, read_write> O: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

const CB: u32 = 32u;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let e = flat_id(gid, nwg, 64u);
  let blocks = (p.C + CB - 1u) / CB;
  if (e >= p.V * blocks) { return; }
  let v = i32(e / blocks);
  let c0 = (e % blocks) * CB;
  let nc = min(CB, p.C - c0);
  var acc: array<f32, 32>;
  for (var k = 0u; k < CB; k++) { acc[k] = 0.0; }
  for (var b = 0u; b < p.B; b++) {
    for (var s = 0u; s < p.hw; s++) {
      if (IDX[p.idx_base + b * p.idx_sb + s] != v) { continue; }
      let g0 = p.g_base + (b * p.C + c0) * p.hw + s;
      for (var k = 0u; k < nc; k++) { acc[k] += G[g0 + k * p.hw]; }
    }
  }
  for (var k = 0u; k < nc; k++) { O[p.out_base + u32(v) * p.C + c0 + k] = acc[k]; }
}
