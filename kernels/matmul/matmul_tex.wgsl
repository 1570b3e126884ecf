// matmul/matmul_tex: C[z, m, n] = Σ_k A[z, m, k]·B[z, k, n] (+ bias[n]) (+ C when accumulating), A and B read from packed storage textures.
// Bindings: 0 ta (read-only rgba32float storage texture, A), 1 tb (same, B), 2 bias (read; a dummy when flags bit 0 is
//   clear), 3 C (read_write, f32), 4 Params (uniform).
// Params: m, n: product sizes; kq: steps of 4 in k (k padded to 4·kq with zeros); flags: bit 0 bias, bit 1 accumulate
//   into C; c_base, bias_base: window offsets; c_rs: C's row stride; nb batch dims of sizes bshape with, per dim, the
//   texture rows a_bs / b_bs that one step moves in ta / tb (0 where the operand is broadcast) and C's stride c_bs.
// Layout (written by matmul/pack_tex): ta texel (x, ay + m) = A[m, 4x .. 4x+3], a batch item's rows padded to 32;
//   tb texel (x, by + k) = B[k, 4x .. 4x+3], columns padded to 64 and rows to 4·kq; padding holds zeros.
// Dispatch: a workgroup of exactly 8 invocations in one subgroup of at least 8 (llvmpipe: its SIMD width) computes rows
//   m0 .. m0+31 (m0 = 32·Y) and columns 64·X .. +63 of batch item z; lane L owns columns 64·X + 8L .. +7. Per 4 steps
//   of k lane L loads the A texels of rows m0 + L + 8q (q = 0..3) and its 8 B texels; subgroupBroadcast hands every
//   lane all 32 A rows, so each lane does 256 multiply-adds per 12 texel loads (64 vec4 accumulators).
//   Grid (ceil(n / 64), ceil(m / 32), batch).
// Numerics: f32 fused multiply-add over k in order (zero padding adds exact zeros); bias and C added after the sum.
enable subgroups;
@group(0) @binding(0) var ta: texture_storage_2d<rgba32float, read>;
@group(0) @binding(1) var tb: texture_storage_2d<rgba32float, read>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> C: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;
//#include "_lib/bcast8.wgsl"

struct Params {
  m: u32, n: u32, kq: u32, flags: u32,
  c_base: u32, bias_base: u32, c_rs: u32, nb: u32,
  bshape: vec4u, a_bs: vec4u, b_bs: vec4u, c_bs: vec4u,
}

@compute @workgroup_size(8)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(subgroup_invocation_id) lane: u32) {
  // Batch item z: its first texture rows in ta and tb, and its offset in C.
  var ay = 0u; var by = 0u; var co = p.c_base; var rem = wid.z;
  for (var d = i32(p.nb) - 1; d >= 0; d--) {
    let s = p.bshape[d]; let i = rem % s; rem = rem / s;
    ay += i * p.a_bs[d]; by += i * p.b_bs[d]; co += i * p.c_bs[d];
  }
  let m0 = wid.y * 32u;
  let ya = ay + m0 + lane;
  let xb = wid.x * 16u + 2u * lane;
  // acc[2r + h]: row m0 + r over columns 64·X + 8·lane + 4h .. +3. Every index below is a constant once the
  // constant-trip loops unroll, so the array stays in registers.
  var acc: array<vec4f, 64>;
  for (var i = 0u; i < 64u; i++) { acc[i] = vec4f(0.0); }
  for (var kq = 0u; kq < p.kq; kq++) {
    var a: array<vec4f, 4>;
    for (var q = 0u; q < 4u; q++) { a[q] = textureLoad(ta, vec2u(kq, ya + 8u * q)); }
    // b[2j + h]: row 4·kq + j of B over this lane's columns half h.
    let yb = by + 4u * kq;
    var b: array<vec4f, 8>;
    for (var j = 0u; j < 4u; j++) {
      b[2u * j] = textureLoad(tb, vec2u(xb, yb + j)); b[2u * j + 1u] = textureLoad(tb, vec2u(xb + 1u, yb + j));
    }
    for (var q = 0u; q < 4u; q++) {
      let rows = bcast8(a[q]);   // rows[i]: A row m0 + 8q + i over k = 4·kq .. +3
      for (var i = 0u; i < 8u; i++) {
        let v = rows[i]; let r = 2u * (8u * q + i);
        acc[r] = fma(vec4f(v.w), b[6], fma(vec4f(v.z), b[4], fma(vec4f(v.y), b[2], fma(vec4f(v.x), b[0], acc[r]))));
        acc[r + 1u] = fma(vec4f(v.w), b[7], fma(vec4f(v.z), b[5], fma(vec4f(v.y), b[3], fma(vec4f(v.x), b[1], acc[r + 1u]))));
      }
    }
  }

  // Epilogue: + bias, + C when accumulating; rows and columns past m and n are not stored.
  let n0 = 4u * xb;
  var bv: array<vec4f, 2>;
  for (var h = 0u; h < 2u; h++) {
    bv[h] = vec4f(0.0);
    if ((p.flags & 1u) != 0u) {
      for (var j = 0u; j < 4u; j++) { bv[h][j] = bias[p.bias_base + min(n0 + 4u * h + j, p.n - 1u)]; }
    }
  }
  for (var r = 0u; r < 32u; r++) {
    let m = m0 + r;
    for (var h = 0u; h < 2u; h++) {
      let v = acc[2u * r + h] + bv[h];
      let at = co + m * p.c_rs + n0 + 4u * h;
      for (var j = 0u; j < 4u; j++) {
        if (m < p.m && n0 + 4u * h + j < p.n) {
          if ((p.flags & 2u) != 0u) { C[at + j] = C[at + j] + v[j]; } else { C[at + j] = v[j]; }
        }
      }
    }
  }
}
