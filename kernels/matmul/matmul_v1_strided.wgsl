// matmul/matmul_v1_strided: C[z, m, n] = Σ_k A[z, m, k]·B[z, k, n] (+ bias[n]) (+ C[z, m, n] when accumulating), any layout.
// Bindings: 0 A (read), 1 B (read), 2 bias (read; a dummy when flags bit 0 is clear), 3 C (read_write), 4 Params (uniform).
// Params: m, n, k = sizes; flags: bit 0 adds bias[bias_base + n], bit 1 adds the values already in C (the k chunks of
//   a split product); a_base, b_base, c_base, bias_base = element offsets in the bound windows;
//   A[m, k] = A[a_base + m·a_rs + k·a_cs], B[k, n] = B[b_base + k·b_rs + n·b_cs], C[m, n] = C[c_base + m·c_rs + n]
//   (a transpose is a swap of strides); nb ≤ 4 batch dims of z: sizes bshape, strides a_bs, b_bs, c_bs (0 = broadcast).
// Dispatch: invocation (x, y) of workgroup (X, Y, z) computes rows 8·(Y·WG_Y + y) .. +7 and columns 4·(X·WG_X + x) .. +3
//   of batch item z; grid = (ceil(n / 4·WG_X), ceil(m / 8·WG_Y), batch items). Per step of k: 4 scalars of B and 8
//   of A; with WG_Y = 1 all 8 invocations share the A values (lavapipe makes those scalar loads). Indices past the
//   end are clamped for loads, stores are guarded. v1, the general path: odd shapes (1, 3, 65, 257), unaligned or
//   strided views, and B stored along k (x·wᵀ), for which no vec4 kernel was faster on lavapipe.
// Numerics: f32 fused multiply-add over k in order; bias and C added after the sum.
@group(0) @binding(0) var<storage, read> A: array<f32>;
@group(0) @binding(1) var<storage, read> B: array<f32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> C: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;
//#include "_lib/matmul_params.wgsl"

@compute @workgroup_size({{WG_X}}, {{WG_Y}})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let m0 = (wid.y * {{WG_Y}}u + lid.y) * 8u;
  let n0 = (wid.x * {{WG_X}}u + lid.x) * 4u;
  if (m0 >= p.m || n0 >= p.n) { return; }
  let bo3 = batch_offsets(wid.z);
  let ao = bo3.x; let bo = bo3.y; let co = bo3.z;
  // Rows and columns past the end re-read the last one; their results are not stored.
  var ra: array<u32, 8>;
  for (var r = 0u; r < 8u; r++) { ra[r] = ao + min(m0 + r, p.m - 1u) * p.a_rs; }
  let c0 = bo + n0 * p.b_cs; let c1 = bo + min(n0 + 1u, p.n - 1u) * p.b_cs;
  let c2 = bo + min(n0 + 2u, p.n - 1u) * p.b_cs; let c3 = bo + min(n0 + 3u, p.n - 1u) * p.b_cs;

  var acc: array<vec4f, 8>;
  for (var k = 0u; k < p.k; k++) {
    let kb = k * p.b_rs;
    let b = vec4f(B[c0 + kb], B[c1 + kb], B[c2 + kb], B[c3 + kb]);
    let ka = k * p.a_cs;
    for (var r = 0u; r < 8u; r++) { acc[r] = fma(vec4f(A[ra[r] + ka]), b, acc[r]); }
  }

  var add = vec4f(0.0);
  if ((p.flags & 1u) != 0u) {
    let q = p.bias_base + n0;
    add = vec4f(bias[q], bias[min(q + 1u, q + p.n - 1u - n0)], bias[min(q + 2u, q + p.n - 1u - n0)], bias[min(q + 3u, q + p.n - 1u - n0)]);
  }
  let accumulate = (p.flags & 2u) != 0u;
  for (var r = 0u; r < 8u; r++) {
    if (m0 + r >= p.m) { break; }
    let v = acc[r] + add;
    let row = co + (m0 + r) * p.c_rs + n0;
    for (var j = 0u; j < 4u; j++) {
      if (n0 + j < p.n) {
        if (accumulate) { C[row + j] = C[row + j] + v[j]; } else { C[row + j] = v[j]; }
      }
    }
  }
}
