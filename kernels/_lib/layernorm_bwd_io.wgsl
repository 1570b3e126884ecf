// _lib/layernorm_bwd_io: the Params and bindings of layerNorm's dx kernels (norm/layernorm_bwd, norm/layernorm_bwd_rows;
//   their headers say what each holds), and gw: g·w at row r, column c (g without w).
struct Params { rows: u32, C: u32, has_w: u32, x_base: u32, g_base: u32, dx_base: u32, w_base: u32, row0: u32 }
@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read> W: array<f32>;
@group(0) @binding(2) var<storage, read> G: array<f32>;
@group(0) @binding(3) var<storage, read> MEAN: array<f32>;
@group(0) @binding(4) var<storage, read> RSTD: array<f32>;
@group(0) @binding(5) var<storage, read_write> DX: array<f32>;
@group(0) @binding(6) var<uniform> p: Params;

fn gw(r: u32, c: u32) -> f32 {
  let g = G[p.g_base + r * p.C + c];
  if (p.has_w != 0u) { return g * W[p.w_base + c]; }
  return g;
}
