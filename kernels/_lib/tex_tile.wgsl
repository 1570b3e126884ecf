// _lib/tex_tile: one step of 4 along the shared dimension of a 32 × 64 product read from two packed rgba32float storage
//   textures, into 64 vec4 accumulators: the inner loop of matmul/matmul_tex and of the attention/*_tex kernels.
// The including kernel declares the module-scope read-only rgba32float storage textures `tr` (A: texel (x, y) =
//   A[row y, 4x .. 4x+3]) and `tc` (B: texel (x, y) = B[y, 4x .. 4x+3]), which the helper reads by name, and runs
//   exactly 8 invocations in one subgroup of at least 8 (_lib/bcast8.wgsl comes with this file).
// tile[2r + h]: row r (0..31) over this lane's columns 8·lane + 4h .. +3 of the 64; zero-initialised, the caller
//   clears it between products. Written out with literal indices: lavapipe keeps a private array in registers only
//   when every index is a constant, and it does not unroll loops this large.
// Numerics: per step and accumulator a chain of four fused multiply-adds in the order of the shared dimension.
var<private> tile: array<vec4f, 64>;

// tile += A[32 rows, 4 dims] · B[4 dims, 64 columns] with B row-major (texel (x, k) = B[k, 4x .. 4x+3]): lane l loads A's
// texels (ax, ay + 8q) (q = 0..3; ay = this lane's first row, the 8 lanes' rows together make 32) and hands them to
// every lane by subgroupBroadcast, then loads its 8 B texels (bx, bx + 1) × (by .. by + 3): 256 multiply-adds per 12
// texel loads. Rows go in two blocks of 16, each block's left half (texels bx: tile[2r]) before its right half, so that
// fewer values are live at once and lavapipe spills less (the orders tried and their timings: docs/LAVAPIPE_FINDINGS.md,
// "Where the texture matmul's time went"). Call in subgroup-uniform control flow.
fn tex_tile_step(ax: u32, ay: u32, bx: u32, by: u32) { tex_tile_step_d(ax, ay, bx, by, 0u, 1u); }

// tex_tile_step with the step's B row j (j = 0..3) at texels (bx + j·dx, by + j·dy): (0, 1) is B row-major, (16, 0)
// matmul_tex's column-tiled layout (a step's 4 rows of a 64-column tile side by side in one texture row).
fn tex_tile_step_d(ax: u32, ay: u32, bx: u32, by: u32, dx: u32, dy: u32) {
  let a0 = bcast8(textureLoad(tr, vec2u(ax, ay))); let a1 = bcast8(textureLoad(tr, vec2u(ax, ay + 8u)));
  let a2 = bcast8(textureLoad(tr, vec2u(ax, ay + 16u))); let a3 = bcast8(textureLoad(tr, vec2u(ax, ay + 24u)));
  let b00 = textureLoad(tc, vec2u(bx, by));
  let b10 = textureLoad(tc, vec2u(bx + dx, by + dy));
  let b20 = textureLoad(tc, vec2u(bx + 2u * dx, by + 2u * dy));
  let b30 = textureLoad(tc, vec2u(bx + 3u * dx, by + 3u * dy));
  let b01 = textureLoad(tc, vec2u(bx + 1u, by));
  let b11 = textureLoad(tc, vec2u(bx + dx + 1u, by + dy));
  let b21 = textureLoad(tc, vec2u(bx + 2u * dx + 1u, by + 2u * dy));
  let b31 = textureLoad(tc, vec2u(bx + 3u * dx + 1u, by + 3u * dy));
  tile[0] = mac(tile[0], a0[0], b00, b10, b20, b30);
  tile[2] = mac(tile[2], a0[1], b00, b10, b20, b30);
  tile[4] = mac(tile[4], a0[2], b00, b10, b20, b30);
  tile[6] = mac(tile[6], a0[3], b00, b10, b20, b30);
  tile[8] = mac(tile[8], a0[4], b00, b10, b20, b30);
  tile[10] = mac(tile[10], a0[5], b00, b10, b20, b30);
  tile[12] = mac(tile[12], a0[6], b00, b10, b20, b30);
  tile[14] = mac(tile[14], a0[7], b00, b10, b20, b30);
  tile[16] = mac(tile[16], a1[0], b00, b10, b20, b30);
  tile[18] = mac(tile[18], a1[1], b00, b10, b20, b30);
  tile[20] = mac(tile[20], a1[2], b00, b10, b20, b30);
  tile[22] = mac(tile[22], a1[3], b00, b10, b20, b30);
  tile[24] = mac(tile[24], a1[4], b00, b10, b20, b30);
  tile[26] = mac(tile[26], a1[5], b00, b10, b20, b30);
  tile[28] = mac(tile[28], a1[6], b00, b10, b20, b30);
  tile[30] = mac(tile[30], a1[7], b00, b10, b20, b30);
  tile[1] = mac(tile[1], a0[0], b01, b11, b21, b31);
  tile[3] = mac(tile[3], a0[1], b01, b11, b21, b31);
  tile[5] = mac(tile[5], a0[2], b01, b11, b21, b31);
  tile[7] = mac(tile[7], a0[3], b01, b11, b21, b31);
  tile[9] = mac(tile[9], a0[4], b01, b11, b21, b31);
  tile[11] = mac(tile[11], a0[5], b01, b11, b21, b31);
  tile[13] = mac(tile[13], a0[6], b01, b11, b21, b31);
  tile[15] = mac(tile[15], a0[7], b01, b11, b21, b31);
  tile[17] = mac(tile[17], a1[0], b01, b11, b21, b31);
  tile[19] = mac(tile[19], a1[1], b01, b11, b21, b31);
  tile[21] = mac(tile[21], a1[2], b01, b11, b21, b31);
  tile[23] = mac(tile[23], a1[3], b01, b11, b21, b31);
  tile[25] = mac(tile[25], a1[4], b01, b11, b21, b31);
  tile[27] = mac(tile[27], a1[5], b01, b11, b21, b31);
  tile[29] = mac(tile[29], a1[6], b01, b11, b21, b31);
  tile[31] = mac(tile[31], a1[7], b01, b11, b21, b31);
  tile[32] = mac(tile[32], a2[0], b00, b10, b20, b30);
  tile[34] = mac(tile[34], a2[1], b00, b10, b20, b30);
  tile[36] = mac(tile[36], a2[2], b00, b10, b20, b30);
  tile[38] = mac(tile[38], a2[3], b00, b10, b20, b30);
  tile[40] = mac(tile[40], a2[4], b00, b10, b20, b30);
  tile[42] = mac(tile[42], a2[5], b00, b10, b20, b30);
  tile[44] = mac(tile[44], a2[6], b00, b10, b20, b30);
  tile[46] = mac(tile[46], a2[7], b00, b10, b20, b30);
  tile[48] = mac(tile[48], a3[0], b00, b10, b20, b30);
  tile[50] = mac(tile[50], a3[1], b00, b10, b20, b30);
  tile[52] = mac(tile[52], a3[2], b00, b10, b20, b30);
  tile[54] = mac(tile[54], a3[3], b00, b10, b20, b30);
  tile[56] = mac(tile[56], a3[4], b00, b10, b20, b30);
  tile[58] = mac(tile[58], a3[5], b00, b10, b20, b30);
  tile[60] = mac(tile[60], a3[6], b00, b10, b20, b30);
  tile[62] = mac(tile[62], a3[7], b00, b10, b20, b30);
  tile[33] = mac(tile[33], a2[0], b01, b11, b21, b31);
  tile[35] = mac(tile[35], a2[1], b01, b11, b21, b31);
  tile[37] = mac(tile[37], a2[2], b01, b11, b21, b31);
  tile[39] = mac(tile[39], a2[3], b01, b11, b21, b31);
  tile[41] = mac(tile[41], a2[4], b01, b11, b21, b31);
  tile[43] = mac(tile[43], a2[5], b01, b11, b21, b31);
  tile[45] = mac(tile[45], a2[6], b01, b11, b21, b31);
  tile[47] = mac(tile[47], a2[7], b01, b11, b21, b31);
  tile[49] = mac(tile[49], a3[0], b01, b11, b21, b31);
  tile[51] = mac(tile[51], a3[1], b01, b11, b21, b31);
  tile[53] = mac(tile[53], a3[2], b01, b11, b21, b31);
  tile[55] = mac(tile[55], a3[3], b01, b11, b21, b31);
  tile[57] = mac(tile[57], a3[4], b01, b11, b21, b31);
  tile[59] = mac(tile[59], a3[5], b01, b11, b21, b31);
  tile[61] = mac(tile[61], a3[6], b01, b11, b21, b31);
  tile[63] = mac(tile[63], a3[7], b01, b11, b21, b31);
}

// acc + a.x·b0 + a.y·b1 + a.z·b2 + a.w·b3 as a chain of fused multiply-adds (a = one row over 4 steps; b0..b3 = 4
// columns at those steps).
fn mac(acc: vec4f, a: vec4f, b0: vec4f, b1: vec4f, b2: vec4f, b3: vec4f) -> vec4f {
  return fma(vec4f(a.w), b3, fma(vec4f(a.z), b2, fma(vec4f(a.y), b1, fma(vec4f(a.x), b0, acc))));
}

//#include "_lib/bcast8.wgsl"
