// norm/layernorm_bwd_wb: partial sums over row chunks for the affine grads:
//   pw[k, c] = Σ_{r in chunk k} g[r, c] * xhat[r, c],  pb[k, c] = Σ_{r in chunk k} g[r, c];
//   dw = Σ_k pw[k, :], db = Σ_k pb[k, :] (a reduce over k, done by the op).
// Bindings: 0 x (read), 1 g (read), 2 mean (read), 3 rstd (read), 4 pw (read_write), 5 pb (read_write), 6 Params (uniform).
// Params: rows = rows in this dispatch; C = row length; chunk = rows per chunk; x_base, g_base = window offsets of this
//   dispatch's rows; row0 = first row of this dispatch (a multiple of chunk); k0 = row0 / chunk.
// Dispatch: one invocation per (chunk, column) of this dispatch, workgroup 64, grid folded by flat_id; neighbouring
//   invocations read neighbouring columns.
// Numerics: f32 sequential sums over each chunk's rows; deterministic (fixed order, no atomics).
//#include "_lib/index.wgsl"
struct Params { rows: u32, C: u32, chunk: u32, x_base: u32, g_base: u32, row0: u32, k0: u32 }
@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read> G: array<f32>;
@group(0) @binding(2) var<storage, read> MEAN: array<f32>;
@group(0) @binding(3) var<storage, read> RSTD: array<f32>;
@group(0) @binding(4) var<storage, read_write> PW: array<f32>;
@group(0) @binding(5) var<storage, read_write> PB: array<f32>;
@group(0) @binding(6) var<uniform> p: Params;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flat_id(gid, nwg, 64u);
  let k = i / p.C;
  let c = i % p.C;
  let r_lo = k * p.chunk;
  if (r_lo >= p.rows) { return; }
  let r_hi = min(r_lo + p.chunk, p.rows);
  var sw = 0.0;
  var sb = 0.0;
  for (var r = r_lo; r < r_hi; r++) {
    let g = G[p.g_base + r * p.C + c];
    let xhat = (X[p.x_base + r * p.C + c] - MEAN[p.row0 + r]) * RSTD[p.row0 + r];
    sw += g * xhat;
    sb += g;
  }
  PW[(p.k0 + k) * p.C + c] = sw;
  PB[(p.k0 + k) * p.C + c] = sb;
}
