// conv/conv2d_dw_sg: conv/conv2d_dw (dw[o,c,ky,kx] (+)= sum_{b,oy,ox} dy[b,o,oy,ox] * x[b,c,oy*S+ky-padT,ox*S+kx-padL])
//   with dy shared through the subgroup: every invocation of conv2d_dw reads the same 8 dy values per pixel, which
//   lavapipe loads lane by lane however uniform the address; here lane l loads pixel ox0 + l's 8 values once per
//   chunk of 8 pixels and subgroupBroadcast hands them to every lane (8× fewer dy loads).
// Bindings, Params: as conv/conv2d_dw (_lib/conv_dw_layout.wgsl); the body is _lib/conv_dw_sg_main.wgsl.
// Dispatch: as conv/conv2d_dw; the workgroup of 8 must be one subgroup of at least 8 (profile.subgroups8).
// Numerics: the same sums in the same order as conv/conv2d_dw (images, rows, columns); pixels past a row's end
//   within the last chunk add exact zeros.
enable subgroups;
@group(0) @binding(0) var<storage, read> X: array<f32>;
fn xget(i: u32) -> f32 { return X[i]; }
//#include "_lib/conv_dw_sg_main.wgsl"
