// ---- _lib/conv_layout.wgsl: Params and bindings shared by conv/conv2d and conv/conv2d_3x3 (see their headers) ----
struct Params {
  C: u32, H: u32, W: u32, OH: u32,
  OW: u32, O: u32, o0: u32, ob0: u32,
  nb: u32, pix_wg: u32, x_base: u32, y_base: u32,
  x_bstride: u32, y_bstride: u32, KH: u32, KW: u32,
  S: u32, D: u32, padT: i32, padL: i32,
  flags: u32,
}
@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<uniform> WP: array<vec4f, 4096>;
@group(0) @binding(2) var<storage, read> BIAS: array<f32>;
@group(0) @binding(3) var<storage, read_write> Y: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;

const OCH4: u32 = 8u; // vec4s per (c, tap) in the weight window: 32 output channels
