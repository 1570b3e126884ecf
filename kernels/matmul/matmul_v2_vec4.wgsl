// matmul/matmul_v2_vec4: C[z, m, n] = Σ_k A[z, m, k]·B[z, k, n] (+ bias[n]) (+ C[z, m, n] when accumulating), B and C as vec4.
// Bindings: 0 A (read, f32), 1 B (read, vec4), 2 bias (read; a dummy when flags bit 0 is clear), 3 C (read_write, vec4),
//   4 Params (uniform).
// Params: as matmul_v1_strided: m, n, k; flags (bit 0 adds bias[bias_base + n], bit 1 adds the values already in C);
//   element offsets a_base, b_base, c_base, bias_base; A[m, k] = A[a_base + m·a_rs + k·a_cs] with any strides;
//   B[k, n] = B[b_base + k·b_rs + n] and C[m, n] = C[c_base + m·c_rs + n], where n, b_base, c_base, b_rs, c_rs and
//   the batch strides of B and C are multiples of 4; up to 4 batch dims (nb, bshape, a_bs, b_bs, c_bs; 0 = broadcast).
// Dispatch: invocation (x, y) of workgroup (X, Y, z) computes rows 8·(Y·WG_Y + y) .. +7 and columns 4·(X·WG_X + x) .. +3
//   of batch item z; grid = (ceil(n / 4·WG_X), ceil(m / 8·WG_Y), batch items). Per step of k: one vec4 of B and 8
//   scalars of A, which every invocation of a workgroup row shares (lavapipe makes them scalar loads; one workgroup of
//   8 is one llvmpipe SIMD group). v2 of matmul_v1_strided: vec4 loads of B and stores of C.
// Numerics: f32 fused multiply-add over k in order; bias and C added after the sum.
@group(0) @binding(0) var<storage, read> A: array<f32>;
@group(0) @binding(1) var<storage, read> B: array<vec4f>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> C: array<vec4f>;
@group(0) @binding(4) var<uniform> p: Params;
//#include "_lib/matmul_params.wgsl"

@compute @workgroup_size({{WG_X}}, {{WG_Y}})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let m0 = (wid.y * {{WG_Y}}u + lid.y) * 8u;
  let n0 = (wid.x * {{WG_X}}u + lid.x) * 4u;
  if (m0 >= p.m || n0 >= p.n) { return; }
  let bo3 = batch_offsets(wid.z);
  let ao = bo3.x; let bo = bo3.y; let co = bo3.z;
  // Rows past the end re-read the last one; their results are not stored.
  var ra: array<u32, 8>;
  for (var r = 0u; r < 8u; r++) { ra[r] = ao + min(m0 + r, p.m - 1u) * p.a_rs; }
  let bq = (bo + n0) / 4u;
  let brs = p.b_rs / 4u;

  var acc: array<vec4f, 8>;
  for (var k = 0u; k < p.k; k++) {
    let b = B[bq + k * brs];
    let ka = k * p.a_cs;
    for (var r = 0u; r < 8u; r++) { acc[r] = fma(vec4f(A[ra[r] + ka]), b, acc[r]); }
  }

  var add = vec4f(0.0);
  if ((p.flags & 1u) != 0u) {
    let q = p.bias_base + n0;
    add = vec4f(bias[q], bias[q + 1u], bias[q + 2u], bias[q + 3u]);
  }
  let accumulate = (p.flags & 2u) != 0u;
  let cq = (co + m0 * p.c_rs + n0) / 4u;
  let crs = p.c_rs / 4u;
  for (var r = 0u; r < 8u; r++) {
    if (m0 + r >= p.m) { break; }
    let i = cq + r * crs;
    if (accumulate) { C[i] = C[i] + (acc[r] + add); } else { C[i] = acc[r] + add; }
  }
}
