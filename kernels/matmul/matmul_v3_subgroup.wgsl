// matmul/matmul_v3_subgroup: C[z, m, n] = Σ_k A[z, m, k]·B[z, k, n] (+ bias[n]) (+ C when accumulating); A shared by subgroup broadcasts.
// Bindings: 0 A (read, vec4), 1 B (read, vec4), 2 bias (read; a dummy when flags bit 0 is clear), 3 C (read_write, f32),
//   4 Params (uniform).
// Params: as matmul_v1_strided. Vectorised layouts (A_KVEC, B_NVEC): A along k (a_cs == 1) or along m (a_rs == 1,
//   m % 4 == 0); B along n (b_cs == 1, n % 4 == 0) or along k (b_rs == 1, nn.Linear's weight). k % 4 == 0, and
//   every other stride, base and batch stride of A and B is a multiple of 4. C has column stride 1, any n.
// Dispatch: a workgroup of exactly 8 invocations in one subgroup of at least 8 (llvmpipe: 8, its SIMD width) computes
//   rows m0 .. m0+7 (m0 = 8·Y) and columns 32·X .. +31 of batch item z; invocation x owns columns 32·X + 4x .. +3.
//   Per 4 steps of k each invocation loads ONE vec4 of the 8×4 tile of A and 4 vec4 of B; subgroupBroadcast hands
//   every invocation the A values it needs, so no A value is loaded twice (lavapipe scalarises every load per lane,
//   even uniform ones inside loops: loads, not arithmetic, set its speed). Grid (ceil(n / 32), ceil(m / 8), batch).
// Numerics: f32 fused multiply-add over k in order; bias and C added after the sum.
enable subgroups;
@group(0) @binding(0) var<storage, read> A: array<vec4f>;
@group(0) @binding(1) var<storage, read> B: array<vec4f>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> C: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;
//#include "_lib/matmul_params.wgsl"

const A_KVEC: bool = {{A_KVEC}};
const B_NVEC: bool = {{B_NVEC}};

@compute @workgroup_size(8)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u,
        @builtin(subgroup_invocation_id) lane: u32) {
  let m0 = wid.y * 8u;
  if (m0 >= p.m) { return; }   // the whole workgroup: subgroup operations stay in uniform control flow
  let n0 = wid.x * 32u + lid.x * 4u;
  let bo3 = batch_offsets(wid.z);
  let ao = bo3.x; let bo = bo3.y; let co = bo3.z;
  // The vec4 of A's 8×4 tile this lane loads, as a vec4 index and its step per 4 steps of k. Along k: row m0 + lane,
  // k .. k+3. Along m: rows m0 + 4·(lane / 4) .. +3 at k + lane % 4. Rows past the end re-read the last ones.
  var aq: u32; var astep: u32;
  if (A_KVEC) {
    aq = (ao + min(m0 + lane, p.m - 1u) * p.a_rs) / 4u; astep = 1u;
  } else {
    aq = (ao + min(m0 + 4u * (lane / 4u), p.m - 4u) + (lane % 4u) * p.a_cs) / 4u; astep = p.a_cs;
  }
  // This invocation's 4 columns of B (past the end: the last column; not stored).
  let last = p.n - 1u;
  let bn = (bo + min(n0, last)) / 4u;
  let bk0 = (bo + min(n0, last) * p.b_cs) / 4u; let bk1 = (bo + min(n0 + 1u, last) * p.b_cs) / 4u;
  let bk2 = (bo + min(n0 + 2u, last) * p.b_cs) / 4u; let bk3 = (bo + min(n0 + 3u, last) * p.b_cs) / 4u;
  let brs = p.b_rs / 4u;

  var acc0 = vec4f(0.0); var acc1 = vec4f(0.0); var acc2 = vec4f(0.0); var acc3 = vec4f(0.0);
  var acc4 = vec4f(0.0); var acc5 = vec4f(0.0); var acc6 = vec4f(0.0); var acc7 = vec4f(0.0);
  for (var k = 0u; k < p.k; k += 4u) {
    let kq = k / 4u;
    let v = A[aq + kq * astep];
    // Rows k .. k+3 of B over this invocation's 4 columns.
    var b0: vec4f; var b1: vec4f; var b2: vec4f; var b3: vec4f;
    if (B_NVEC) {
      b0 = B[bn + k * brs]; b1 = B[bn + (k + 1u) * brs]; b2 = B[bn + (k + 2u) * brs]; b3 = B[bn + (k + 3u) * brs];
    } else {
      let q0 = B[bk0 + kq]; let q1 = B[bk1 + kq]; let q2 = B[bk2 + kq]; let q3 = B[bk3 + kq];
      b0 = vec4f(q0.x, q1.x, q2.x, q3.x); b1 = vec4f(q0.y, q1.y, q2.y, q3.y);
      b2 = vec4f(q0.z, q1.z, q2.z, q3.z); b3 = vec4f(q0.w, q1.w, q2.w, q3.w);
    }
    // Row r of the A tile as a vec4 over k .. k+3, gathered from the lane that loaded it.
    var a0: vec4f; var a1: vec4f; var a2: vec4f; var a3: vec4f; var a4: vec4f; var a5: vec4f; var a6: vec4f; var a7: vec4f;
    if (A_KVEC) {
      a0 = subgroupBroadcast(v, 0u); a1 = subgroupBroadcast(v, 1u); a2 = subgroupBroadcast(v, 2u); a3 = subgroupBroadcast(v, 3u);
      a4 = subgroupBroadcast(v, 4u); a5 = subgroupBroadcast(v, 5u); a6 = subgroupBroadcast(v, 6u); a7 = subgroupBroadcast(v, 7u);
    } else {
      let t0 = subgroupBroadcast(v, 0u); let t1 = subgroupBroadcast(v, 1u); let t2 = subgroupBroadcast(v, 2u); let t3 = subgroupBroadcast(v, 3u);
      let t4 = subgroupBroadcast(v, 4u); let t5 = subgroupBroadcast(v, 5u); let t6 = subgroupBroadcast(v, 6u); let t7 = subgroupBroadcast(v, 7u);
      a0 = vec4f(t0.x, t1.x, t2.x, t3.x); a1 = vec4f(t0.y, t1.y, t2.y, t3.y);
      a2 = vec4f(t0.z, t1.z, t2.z, t3.z); a3 = vec4f(t0.w, t1.w, t2.w, t3.w);
      a4 = vec4f(t4.x, t5.x, t6.x, t7.x); a5 = vec4f(t4.y, t5.y, t6.y, t7.y);
      a6 = vec4f(t4.z, t5.z, t6.z, t7.z); a7 = vec4f(t4.w, t5.w, t6.w, t7.w);
    }
    acc0 = mac(acc0, a0, b0, b1, b2, b3); acc1 = mac(acc1, a1, b0, b1, b2, b3);
    acc2 = mac(acc2, a2, b0, b1, b2, b3); acc3 = mac(acc3, a3, b0, b1, b2, b3);
    acc4 = mac(acc4, a4, b0, b1, b2, b3); acc5 = mac(acc5, a5, b0, b1, b2, b3);
    acc6 = mac(acc6, a6, b0, b1, b2, b3); acc7 = mac(acc7, a7, b0, b1, b2, b3);
  }

  store(co, m0, n0, acc0, 0u); store(co, m0, n0, acc1, 1u); store(co, m0, n0, acc2, 2u); store(co, m0, n0, acc3, 3u);
  store(co, m0, n0, acc4, 4u); store(co, m0, n0, acc5, 5u); store(co, m0, n0, acc6, 6u); store(co, m0, n0, acc7, 7u);
}

// acc + a.x·b0 + a.y·b1 + a.z·b2 + a.w·b3 as a chain of fused multiply-adds (a = one row over 4 steps of k).
fn mac(acc: vec4f, a: vec4f, b0: vec4f, b1: vec4f, b2: vec4f, b3: vec4f) -> vec4f {
  return fma(vec4f(a.w), b3, fma(vec4f(a.z), b2, fma(vec4f(a.y), b1, fma(vec4f(a.x), b0, acc))));
}

// Row m0 + r of C over columns n0 .. n0+3 (those that exist): + bias, + C when accumulating. Where all 4 columns exist
// the stores are written out with constant offsets (lavapipe stores a storage buffer lane by lane; a test per column
// in a loop costs more than the store).
fn store(co: u32, m0: u32, n0: u32, acc: vec4f, r: u32) {
  if (m0 + r >= p.m) { return; }
  var v = acc;
  if ((p.flags & 1u) != 0u) {
    let q = p.bias_base; let last = p.n - 1u;
    v += vec4f(bias[q + min(n0, last)], bias[q + min(n0 + 1u, last)], bias[q + min(n0 + 2u, last)], bias[q + min(n0 + 3u, last)]);
  }
  let row = co + (m0 + r) * p.c_rs + n0;
  let accumulate = (p.flags & 2u) != 0u;
  if (n0 + 4u <= p.n) {
    if (accumulate) {
      C[row] = C[row] + v.x; C[row + 1u] = C[row + 1u] + v.y; C[row + 2u] = C[row + 2u] + v.z; C[row + 3u] = C[row + 3u] + v.w;
    } else {
      C[row] = v.x; C[row + 1u] = v.y; C[row + 2u] = v.z; C[row + 3u] = v.w;
    }
  } else {
    for (var j = 0u; j < 4u; j++) {
      if (n0 + j < p.n) {
        if (accumulate) { C[row + j] = C[row + j] + v[j]; } else { C[row + j] = v[j]; }
      }
    }
  }
}
