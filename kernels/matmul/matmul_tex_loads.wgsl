// matmul/matmul_tex_loads: C[z, m, n] = Σ_k A[z, m, k]·B[z, k, n] (+ bias[n] or bias[m]) (+ C when accumulating), A and
//   B read from packed storage textures, for adapters without subgroups (Deno's wgpu on lavapipe): every lane loads
//   all 32 A rows itself.
// Bindings, Params, defines, layouts and the grid: _lib/matmul_tex_body.wgsl.
// Dispatch: a workgroup of 8 invocations (no subgroup operations). Per step of 4 in k every lane loads the 32 A texels
//   of rows m0 .. m0+31 (A_KMAJOR: of its 8 groups of 4 rows at the step's 4 k; the same texels in every lane) and its
//   own 8 B texels: 40 texel loads per 256 multiply-adds a
//   lane against matmul_tex's 12, no broadcasts (_lib/tex_tile_loads.wgsl). Slower than matmul_tex, faster than the
//   buffer kernels (measured: docs/LAVAPIPE_FINDINGS.md, "A texture product without subgroups, and row pairs on 16
//   registers").
// Numerics: f32 fused multiply-add over k in order (zero padding adds exact zeros); bias and C added after the sum;
//   the same sums as matmul/matmul_tex, bit for bit.
//#include "_lib/matmul_tex_body.wgsl"
//#include "_lib/tex_tile_loads.wgsl"

@compute @workgroup_size(8)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lane: u32) { matmul_tex(wid, lane, 0u); }
