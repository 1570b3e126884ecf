// _lib/layernorm_io: the Params and bindings of layerNorm's forward kernels (norm/layernorm, norm/layernorm_rows); their
//   headers say what each field and binding holds.
struct Params { rows: u32, C: u32, eps: f32, has_w: u32, has_b: u32, x_base: u32, y_base: u32, w_base: u32, b_base: u32, row0: u32 }
@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read> W: array<f32>;
@group(0) @binding(2) var<storage, read> B: array<f32>;
@group(0) @binding(3) var<storage, read_write> Y: array<f32>;
@group(0) @binding(4) var<storage, read_write> MEAN: array<f32>;
@group(0) @binding(5) var<storage, read_write> RSTD: array<f32>;
@group(0) @binding(6) var<uniform> p: Params;
