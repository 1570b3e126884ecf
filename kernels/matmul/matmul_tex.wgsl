// matmul/matmul_tex: C[z, m, n] = Σ_k A[z, m, k]·B[z, k, n] (+ bias[n] or bias[m]) (+ C when accumulating), A and B
//   read from packed storage textures, A's rows shared through the subgroup.
// Bindings, Params, defines, layouts and the grid: _lib/matmul_tex_body.wgsl.
// Dispatch: the workgroup of 8 must be one subgroup of at least 8 (profile.subgroups8). Per step of 4 in k lane L loads
//   the A texels of rows m0 + L + 8q (q = 0..3; with A_KMAJOR the 4 texels of rows m0 + 4L .. +3 at the step's 4 k)
//   and its 8 B texels; subgroupBroadcast hands every lane all 32 A rows:
//   12 texel loads per 256 multiply-adds a lane (the step is _lib/tex_tile.wgsl's, shared with the attention/*_tex
//   kernels, hence the texture names tr and tc).
// Numerics: f32 fused multiply-add over k in order (zero padding adds exact zeros); bias and C added after the sum;
//   the same sums as matmul/matmul_tex_loads, bit for bit.
enable subgroups;
//#include "_lib/matmul_tex_body.wgsl"
//#include "_lib/tex_tile.wgsl"

@compute @workgroup_size(8)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(subgroup_invocation_id) lane: u32) { matmul_tex(wid, lane, lane); }
