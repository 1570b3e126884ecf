// norm/layernorm_bwd_rows: norm/layernorm_bwd's dx with one invocation per row (no workgroup memory, no barriers; why:
//   norm/layernorm_rows): dx[r, c] = rstd_r * (gw[c] - Σ_c' gw / C - xhat[c] * Σ_c' gw·xhat / C), xhat = (x - mean_r) *
//   rstd_r, gw = g * w (g without w).
// Bindings: 0 x (read), 1 w (read), 2 g (read), 3 mean (read), 4 rstd (read), 5 dx (read_write), 6 Params (uniform):
//   as norm/layernorm_bwd (without w the op binds x in its place and clears has_w).
// Params: rows, C, has_w, x_base, g_base, dx_base, w_base, row0: as norm/layernorm_bwd.
// Dispatch: workgroups of 8 invocations, invocation i owns row i of the dispatch (grid folded to (x, y) over
//   ceil(rows / 8) workgroups).
// Numerics: f32; each of the two sums kept as 8 running partial sums (column c of the first 8·⌊C / 8⌋ into partial
//   c mod 8, the rest into partial 0) added as a pairwise tree; xhat recomputed from the saved mean/rstd.
//#include "_lib/layernorm_bwd_io.wgsl"

//#include "_lib/sum8.wgsl"

@compute @workgroup_size(8)
fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let r = 8u * (wid.x + wid.y * nwg.x) + lid.x;
  if (r >= p.rows) { return; }
  let xr = p.x_base + r * p.C;
  let mean = MEAN[p.row0 + r];
  let rstd = RSTD[p.row0 + r];
  let c8 = p.C & ~7u;

  var sg = array<f32, 8>();
  var sgx = array<f32, 8>();
  for (var c = 0u; c < c8; c += 8u) {
    let v0 = gw(r, c); let v1 = gw(r, c + 1u); let v2 = gw(r, c + 2u); let v3 = gw(r, c + 3u);
    let v4 = gw(r, c + 4u); let v5 = gw(r, c + 5u); let v6 = gw(r, c + 6u); let v7 = gw(r, c + 7u);
    sg[0] += v0; sg[1] += v1; sg[2] += v2; sg[3] += v3; sg[4] += v4; sg[5] += v5; sg[6] += v6; sg[7] += v7;
    sgx[0] += v0 * (X[xr + c] - mean) * rstd; sgx[1] += v1 * (X[xr + c + 1u] - mean) * rstd;
    sgx[2] += v2 * (X[xr + c + 2u] - mean) * rstd; sgx[3] += v3 * (X[xr + c + 3u] - mean) * rstd;
    sgx[4] += v4 * (X[xr + c + 4u] - mean) * rstd; sgx[5] += v5 * (X[xr + c + 5u] - mean) * rstd;
    sgx[6] += v6 * (X[xr + c + 6u] - mean) * rstd; sgx[7] += v7 * (X[xr + c + 7u] - mean) * rstd;
  }
  for (var c = c8; c < p.C; c++) { let v = gw(r, c); sg[0] += v; sgx[0] += v * (X[xr + c] - mean) * rstd; }
  let inv_c = 1.0 / f32(p.C);
  let mg = sum8(sg) * inv_c;
  let mgx = sum8(sgx) * inv_c;
  for (var c = 0u; c < p.C; c++) {
    let xhat = (X[xr + c] - mean) * rstd;
    DX[p.dx_base + r * p.C + c] = rstd * (gw(r, c) - mg - xhat * mgx);
  }
}
