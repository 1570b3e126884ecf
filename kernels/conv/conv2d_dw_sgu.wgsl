// conv/conv2d_dw_sgu: conv/conv2d_dw_sg with x read from a 64 KiB uniform window instead of a storage buffer: lavapipe
//   loads a storage buffer lane by lane with a bounds check and a branch per lane, a uniform buffer as one gather, and
//   x's loads (4 per pixel and lane) were half of conv2d_dw_sg's time at the small planes of VQVAE's lower levels
//   (ops/conv.ts copies x's window into the uniform scratch when it holds at most 16,384 values).
// Bindings: 0 x (uniform, 4,096 vec4: x's window from element 0, so x_base = 0), 1 dy, 2 dw, 3 Params: as conv/conv2d_dw
//   (_lib/conv_dw_layout.wgsl); the body is _lib/conv_dw_sg_main.wgsl.
// Dispatch: as conv/conv2d_dw_sg (one subgroup of at least 8 per workgroup).
// Numerics: the same sums in the same order as conv/conv2d_dw_sg, bit for bit.
enable subgroups;
@group(0) @binding(0) var<uniform> XU: array<vec4f, 4096>;
fn xget(i: u32) -> f32 { return XU[i >> 2u][i & 3u]; }
//#include "_lib/conv_dw_sg_main.wgsl"
