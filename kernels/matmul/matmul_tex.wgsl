// matmul/matmul_tex: C[z, m, n] = Σ_k A[z, m, k]·B[z, k, n] (+ bias[n] or bias[m]) (+ C when accumulating), A and B read from packed storage textures.
// Bindings: 0 ta (read-only rgba32float storage texture, A), 1 tb (same, B), 2 bias (read; a dummy when flags bits 0
//   and 2 are clear), 3 C (read_write, f32), 4 Params (uniform).
// Params: m, n: product sizes; kq: steps of 4 in k (k padded to 4·kq with zeros); flags: bit 0 bias per column n, bit 1
//   accumulate into C, bit 2 bias per row m (conv2d's per output channel); c_base, bias_base: window offsets; c_rs: C's row stride; nb batch dims of sizes bshape with, per dim, the
//   texture rows a_bs / b_bs that one step moves in ta / tb (0 where the operand is broadcast) and C's stride c_bs;
//   kpb, xstep: B's k is read in blocks of kpb steps of 4, each block from the same 4·kpb texture rows shifted right
//   by xstep more texels than the last (conv2d's row shifts, ops/conv.ts; a plain product passes kpb = kq, xstep 0);
//   a_y0, a_x0: A's first texture row and texel column (conv2d reads an output-channel range and a k range of a
//   prepared weight texture; a plain product passes 0, 0); a_rpb, a_xstep: A's rows come in blocks of a_rpb (a
//   multiple of 32), block j read from texture rows a_y0 .. a_y0 + a_rpb − 1 shifted right by j·a_xstep texels
//   (conv2d's weight gradient over shifted rows; a plain product passes a_rpb = 2^32 − 1, a_xstep 0).
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
  kpb: u32, xstep: u32, a_y0: u32, a_x0: u32,
  a_rpb: u32, a_xstep: u32, pad0: u32, pad1: u32,
  bshape: vec4u, a_bs: vec4u, b_bs: vec4u, c_bs: vec4u,
}

@compute @workgroup_size(8)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(subgroup_invocation_id) lane: u32) {
  // Batch item z: its first texture rows in ta and tb, and its offset in C.
  var ay = p.a_y0; var by = 0u; var co = p.c_base; var rem = wid.z;
  for (var d = i32(p.nb) - 1; d >= 0; d--) {
    let s = p.bshape[d]; let i = rem % s; rem = rem / s;
    ay += i * p.a_bs[d]; by += i * p.b_bs[d]; co += i * p.c_bs[d];
  }
  let m0 = wid.y * 32u;
  let blk = m0 / p.a_rpb;
  let ya = ay + (m0 - blk * p.a_rpb) + lane;
  let ax = p.a_x0 + blk * p.a_xstep;
  let xb = wid.x * 16u + 2u * lane;
  // acc[2r + h]: row m0 + r over columns 64·X + 8·lane + 4h .. +3. Written out with literal indices (no loops):
  // lavapipe keeps a private array in registers only when every index is a constant, and it does not unroll loops
  // this large.
  var acc: array<vec4f, 64>;
  var kb = 0u; var xo = 0u;   // step within B's current block of k, and the block's texel shift
  for (var kq = 0u; kq < p.kq; kq++) {
    // A rows m0 + lane + 8q over k = 4·kq .. +3; then every lane's: rq[i] is row m0 + 8q + i.
    let ka = ax + kq;
    let r0 = bcast8(textureLoad(ta, vec2u(ka, ya))); let r1 = bcast8(textureLoad(ta, vec2u(ka, ya + 8u)));
    let r2 = bcast8(textureLoad(ta, vec2u(ka, ya + 16u))); let r3 = bcast8(textureLoad(ta, vec2u(ka, ya + 24u)));
    // B rows 4·kq + j (j = 0..3) over this lane's columns: bj0 = columns +0..3, bj1 = +4..7.
    let yb = by + 4u * kb; let xs = xb + xo;
    kb += 1u;
    if (kb == p.kpb) { kb = 0u; xo += p.xstep; }
    let b00 = textureLoad(tb, vec2u(xs, yb)); let b01 = textureLoad(tb, vec2u(xs + 1u, yb));
    let b10 = textureLoad(tb, vec2u(xs, yb + 1u)); let b11 = textureLoad(tb, vec2u(xs + 1u, yb + 1u));
    let b20 = textureLoad(tb, vec2u(xs, yb + 2u)); let b21 = textureLoad(tb, vec2u(xs + 1u, yb + 2u));
    let b30 = textureLoad(tb, vec2u(xs, yb + 3u)); let b31 = textureLoad(tb, vec2u(xs + 1u, yb + 3u));
    acc[0] = mac(acc[0], r0[0], b00, b10, b20, b30); acc[1] = mac(acc[1], r0[0], b01, b11, b21, b31);
    acc[2] = mac(acc[2], r0[1], b00, b10, b20, b30); acc[3] = mac(acc[3], r0[1], b01, b11, b21, b31);
    acc[4] = mac(acc[4], r0[2], b00, b10, b20, b30); acc[5] = mac(acc[5], r0[2], b01, b11, b21, b31);
    acc[6] = mac(acc[6], r0[3], b00, b10, b20, b30); acc[7] = mac(acc[7], r0[3], b01, b11, b21, b31);
    acc[8] = mac(acc[8], r0[4], b00, b10, b20, b30); acc[9] = mac(acc[9], r0[4], b01, b11, b21, b31);
    acc[10] = mac(acc[10], r0[5], b00, b10, b20, b30); acc[11] = mac(acc[11], r0[5], b01, b11, b21, b31);
    acc[12] = mac(acc[12], r0[6], b00, b10, b20, b30); acc[13] = mac(acc[13], r0[6], b01, b11, b21, b31);
    acc[14] = mac(acc[14], r0[7], b00, b10, b20, b30); acc[15] = mac(acc[15], r0[7], b01, b11, b21, b31);
    acc[16] = mac(acc[16], r1[0], b00, b10, b20, b30); acc[17] = mac(acc[17], r1[0], b01, b11, b21, b31);
    acc[18] = mac(acc[18], r1[1], b00, b10, b20, b30); acc[19] = mac(acc[19], r1[1], b01, b11, b21, b31);
    acc[20] = mac(acc[20], r1[2], b00, b10, b20, b30); acc[21] = mac(acc[21], r1[2], b01, b11, b21, b31);
    acc[22] = mac(acc[22], r1[3], b00, b10, b20, b30); acc[23] = mac(acc[23], r1[3], b01, b11, b21, b31);
    acc[24] = mac(acc[24], r1[4], b00, b10, b20, b30); acc[25] = mac(acc[25], r1[4], b01, b11, b21, b31);
    acc[26] = mac(acc[26], r1[5], b00, b10, b20, b30); acc[27] = mac(acc[27], r1[5], b01, b11, b21, b31);
    acc[28] = mac(acc[28], r1[6], b00, b10, b20, b30); acc[29] = mac(acc[29], r1[6], b01, b11, b21, b31);
    acc[30] = mac(acc[30], r1[7], b00, b10, b20, b30); acc[31] = mac(acc[31], r1[7], b01, b11, b21, b31);
    acc[32] = mac(acc[32], r2[0], b00, b10, b20, b30); acc[33] = mac(acc[33], r2[0], b01, b11, b21, b31);
    acc[34] = mac(acc[34], r2[1], b00, b10, b20, b30); acc[35] = mac(acc[35], r2[1], b01, b11, b21, b31);
    acc[36] = mac(acc[36], r2[2], b00, b10, b20, b30); acc[37] = mac(acc[37], r2[2], b01, b11, b21, b31);
    acc[38] = mac(acc[38], r2[3], b00, b10, b20, b30); acc[39] = mac(acc[39], r2[3], b01, b11, b21, b31);
    acc[40] = mac(acc[40], r2[4], b00, b10, b20, b30); acc[41] = mac(acc[41], r2[4], b01, b11, b21, b31);
    acc[42] = mac(acc[42], r2[5], b00, b10, b20, b30); acc[43] = mac(acc[43], r2[5], b01, b11, b21, b31);
    acc[44] = mac(acc[44], r2[6], b00, b10, b20, b30); acc[45] = mac(acc[45], r2[6], b01, b11, b21, b31);
    acc[46] = mac(acc[46], r2[7], b00, b10, b20, b30); acc[47] = mac(acc[47], r2[7], b01, b11, b21, b31);
    acc[48] = mac(acc[48], r3[0], b00, b10, b20, b30); acc[49] = mac(acc[49], r3[0], b01, b11, b21, b31);
    acc[50] = mac(acc[50], r3[1], b00, b10, b20, b30); acc[51] = mac(acc[51], r3[1], b01, b11, b21, b31);
    acc[52] = mac(acc[52], r3[2], b00, b10, b20, b30); acc[53] = mac(acc[53], r3[2], b01, b11, b21, b31);
    acc[54] = mac(acc[54], r3[3], b00, b10, b20, b30); acc[55] = mac(acc[55], r3[3], b01, b11, b21, b31);
    acc[56] = mac(acc[56], r3[4], b00, b10, b20, b30); acc[57] = mac(acc[57], r3[4], b01, b11, b21, b31);
    acc[58] = mac(acc[58], r3[5], b00, b10, b20, b30); acc[59] = mac(acc[59], r3[5], b01, b11, b21, b31);
    acc[60] = mac(acc[60], r3[6], b00, b10, b20, b30); acc[61] = mac(acc[61], r3[6], b01, b11, b21, b31);
    acc[62] = mac(acc[62], r3[7], b00, b10, b20, b30); acc[63] = mac(acc[63], r3[7], b01, b11, b21, b31);
  }

  // Epilogue: + bias, + C when accumulating; rows and columns past m and n are not stored.
  let n0 = 4u * xb;
  var bv0 = vec4f(0.0); var bv1 = vec4f(0.0);
  if ((p.flags & 1u) != 0u) {
    let q = p.bias_base; let last = p.n - 1u;
    bv0 = vec4f(bias[q + min(n0, last)], bias[q + min(n0 + 1u, last)], bias[q + min(n0 + 2u, last)], bias[q + min(n0 + 3u, last)]);
    bv1 = vec4f(bias[q + min(n0 + 4u, last)], bias[q + min(n0 + 5u, last)], bias[q + min(n0 + 6u, last)], bias[q + min(n0 + 7u, last)]);
  }
  put(co, m0 + 0u, n0, acc[0] + bv0, acc[1] + bv1); put(co, m0 + 1u, n0, acc[2] + bv0, acc[3] + bv1); put(co, m0 + 2u, n0, acc[4] + bv0, acc[5] + bv1); put(co, m0 + 3u, n0, acc[6] + bv0, acc[7] + bv1);
  put(co, m0 + 4u, n0, acc[8] + bv0, acc[9] + bv1); put(co, m0 + 5u, n0, acc[10] + bv0, acc[11] + bv1); put(co, m0 + 6u, n0, acc[12] + bv0, acc[13] + bv1); put(co, m0 + 7u, n0, acc[14] + bv0, acc[15] + bv1);
  put(co, m0 + 8u, n0, acc[16] + bv0, acc[17] + bv1); put(co, m0 + 9u, n0, acc[18] + bv0, acc[19] + bv1); put(co, m0 + 10u, n0, acc[20] + bv0, acc[21] + bv1); put(co, m0 + 11u, n0, acc[22] + bv0, acc[23] + bv1);
  put(co, m0 + 12u, n0, acc[24] + bv0, acc[25] + bv1); put(co, m0 + 13u, n0, acc[26] + bv0, acc[27] + bv1); put(co, m0 + 14u, n0, acc[28] + bv0, acc[29] + bv1); put(co, m0 + 15u, n0, acc[30] + bv0, acc[31] + bv1);
  put(co, m0 + 16u, n0, acc[32] + bv0, acc[33] + bv1); put(co, m0 + 17u, n0, acc[34] + bv0, acc[35] + bv1); put(co, m0 + 18u, n0, acc[36] + bv0, acc[37] + bv1); put(co, m0 + 19u, n0, acc[38] + bv0, acc[39] + bv1);
  put(co, m0 + 20u, n0, acc[40] + bv0, acc[41] + bv1); put(co, m0 + 21u, n0, acc[42] + bv0, acc[43] + bv1); put(co, m0 + 22u, n0, acc[44] + bv0, acc[45] + bv1); put(co, m0 + 23u, n0, acc[46] + bv0, acc[47] + bv1);
  put(co, m0 + 24u, n0, acc[48] + bv0, acc[49] + bv1); put(co, m0 + 25u, n0, acc[50] + bv0, acc[51] + bv1); put(co, m0 + 26u, n0, acc[52] + bv0, acc[53] + bv1); put(co, m0 + 27u, n0, acc[54] + bv0, acc[55] + bv1);
  put(co, m0 + 28u, n0, acc[56] + bv0, acc[57] + bv1); put(co, m0 + 29u, n0, acc[58] + bv0, acc[59] + bv1); put(co, m0 + 30u, n0, acc[60] + bv0, acc[61] + bv1); put(co, m0 + 31u, n0, acc[62] + bv0, acc[63] + bv1);
}

// acc + a.x·b0 + a.y·b1 + a.z·b2 + a.w·b3 as a chain of fused multiply-adds (a = one row over 4 steps of k).
fn mac(acc: vec4f, a: vec4f, b0: vec4f, b1: vec4f, b2: vec4f, b3: vec4f) -> vec4f {
  return fma(vec4f(a.w), b3, fma(vec4f(a.z), b2, fma(vec4f(a.y), b1, fma(vec4f(a.x), b0, acc))));
}

// Row m of C over columns n0 .. n0+7 (those that exist): v0 = columns +0..3, v1 = +4..7; + the row's bias; + C when accumulating.
fn put(co: u32, m: u32, n0: u32, v0: vec4f, v1: vec4f) {
  if (m >= p.m) { return; }
  let at = co + m * p.c_rs + n0;
  let rb = select(0.0, bias[p.bias_base + min(m, p.m - 1u)], (p.flags & 4u) != 0u);
  for (var j = 0u; j < 8u; j++) {
    if (n0 + j < p.n) {
      let v = select(v1[j % 4u], v0[j % 4u], j < 4u) + rb;
      if ((p.flags & 2u) != 0u) { C[at + j] = C[at + j] + v; } else { C[at + j] = v; }
    }
  }
}
