// _lib/tex_tile: one step of 4 along the shared dimension of a 32 × 64 product (or 32 × 32: tex_tile_step_n) read from
//   two packed rgba32float storage textures, into 64 (32) vec4 accumulators: the inner loop of matmul/matmul_tex and of
//   the attention/*_tex kernels.
// The including kernel declares the module-scope read-only rgba32float storage textures `tr` (A: texel (x, y) =
//   A[row y, 4x .. 4x+3]) and `tc` (B: texel (x, y) = B[y, 4x .. 4x+3]), which the helper reads by name, and runs
//   exactly 8 invocations in one subgroup of at least 8 (_lib/bcast8.wgsl comes with this file).
// The accumulators `tile` and the multiply-add chain `mac` come from _lib/tex_mac.wgsl (included here).
//#include "_lib/tex_mac.wgsl"

// tile += A[32 rows, 4 dims] · B[4 dims, 64 columns] with B row-major (texel (x, k) = B[k, 4x .. 4x+3]): lane l loads A's
// texels (ax, ay + 8q) (q = 0..3; ay = this lane's first row, the 8 lanes' rows together make 32) and its 8 B texels
// (bx, bx + 1) × (by .. by + 3): 256 multiply-adds per 12 texel loads. Row r's 4 A values are subgroupBroadcast from
// the lane that loaded them, written at the multiply-adds that use them, and each row's two halves (texels bx: tile[2r],
// bx + 1: tile[2r + 1]) go one after the other: the row's A values are loaded once for both halves and no broadcast is
// computed ahead and spilled (the orders tried and their timings: docs/LAVAPIPE_FINDINGS.md, "Where the texture
// matmul's time went" and "The texture matmul's loads and stores on a 16-register core"). Call in subgroup-uniform
// control flow.
fn tex_tile_step(ax: u32, ay: u32, bx: u32, by: u32) { tex_tile_step_d(ax, ay, bx, by, 0u, 1u); }

// tex_tile_step with the step's B row j (j = 0..3) at texels (bx + j·dx, by + j·dy): (0, 1) is B row-major, (16, 0)
// matmul_tex's column-tiled layout (a step's 4 rows of a 64-column tile side by side in one texture row).
fn tex_tile_step_d(ax: u32, ay: u32, bx: u32, by: u32, dx: u32, dy: u32) {
  let t0 = textureLoad(tr, vec2u(ax, ay)); let t1 = textureLoad(tr, vec2u(ax, ay + 8u));
  let t2 = textureLoad(tr, vec2u(ax, ay + 16u)); let t3 = textureLoad(tr, vec2u(ax, ay + 24u));
  let b = tex_b(bx, by, dx, dy);
  tile[0] = mac(tile[0], subgroupBroadcast(t0, 0u), b.b00, b.b10, b.b20, b.b30);
  tile[1] = mac(tile[1], subgroupBroadcast(t0, 0u), b.b01, b.b11, b.b21, b.b31);
  tile[2] = mac(tile[2], subgroupBroadcast(t0, 1u), b.b00, b.b10, b.b20, b.b30);
  tile[3] = mac(tile[3], subgroupBroadcast(t0, 1u), b.b01, b.b11, b.b21, b.b31);
  tile[4] = mac(tile[4], subgroupBroadcast(t0, 2u), b.b00, b.b10, b.b20, b.b30);
  tile[5] = mac(tile[5], subgroupBroadcast(t0, 2u), b.b01, b.b11, b.b21, b.b31);
  tile[6] = mac(tile[6], subgroupBroadcast(t0, 3u), b.b00, b.b10, b.b20, b.b30);
  tile[7] = mac(tile[7], subgroupBroadcast(t0, 3u), b.b01, b.b11, b.b21, b.b31);
  tile[8] = mac(tile[8], subgroupBroadcast(t0, 4u), b.b00, b.b10, b.b20, b.b30);
  tile[9] = mac(tile[9], subgroupBroadcast(t0, 4u), b.b01, b.b11, b.b21, b.b31);
  tile[10] = mac(tile[10], subgroupBroadcast(t0, 5u), b.b00, b.b10, b.b20, b.b30);
  tile[11] = mac(tile[11], subgroupBroadcast(t0, 5u), b.b01, b.b11, b.b21, b.b31);
  tile[12] = mac(tile[12], subgroupBroadcast(t0, 6u), b.b00, b.b10, b.b20, b.b30);
  tile[13] = mac(tile[13], subgroupBroadcast(t0, 6u), b.b01, b.b11, b.b21, b.b31);
  tile[14] = mac(tile[14], subgroupBroadcast(t0, 7u), b.b00, b.b10, b.b20, b.b30);
  tile[15] = mac(tile[15], subgroupBroadcast(t0, 7u), b.b01, b.b11, b.b21, b.b31);
  tile[16] = mac(tile[16], subgroupBroadcast(t1, 0u), b.b00, b.b10, b.b20, b.b30);
  tile[17] = mac(tile[17], subgroupBroadcast(t1, 0u), b.b01, b.b11, b.b21, b.b31);
  tile[18] = mac(tile[18], subgroupBroadcast(t1, 1u), b.b00, b.b10, b.b20, b.b30);
  tile[19] = mac(tile[19], subgroupBroadcast(t1, 1u), b.b01, b.b11, b.b21, b.b31);
  tile[20] = mac(tile[20], subgroupBroadcast(t1, 2u), b.b00, b.b10, b.b20, b.b30);
  tile[21] = mac(tile[21], subgroupBroadcast(t1, 2u), b.b01, b.b11, b.b21, b.b31);
  tile[22] = mac(tile[22], subgroupBroadcast(t1, 3u), b.b00, b.b10, b.b20, b.b30);
  tile[23] = mac(tile[23], subgroupBroadcast(t1, 3u), b.b01, b.b11, b.b21, b.b31);
  tile[24] = mac(tile[24], subgroupBroadcast(t1, 4u), b.b00, b.b10, b.b20, b.b30);
  tile[25] = mac(tile[25], subgroupBroadcast(t1, 4u), b.b01, b.b11, b.b21, b.b31);
  tile[26] = mac(tile[26], subgroupBroadcast(t1, 5u), b.b00, b.b10, b.b20, b.b30);
  tile[27] = mac(tile[27], subgroupBroadcast(t1, 5u), b.b01, b.b11, b.b21, b.b31);
  tile[28] = mac(tile[28], subgroupBroadcast(t1, 6u), b.b00, b.b10, b.b20, b.b30);
  tile[29] = mac(tile[29], subgroupBroadcast(t1, 6u), b.b01, b.b11, b.b21, b.b31);
  tile[30] = mac(tile[30], subgroupBroadcast(t1, 7u), b.b00, b.b10, b.b20, b.b30);
  tile[31] = mac(tile[31], subgroupBroadcast(t1, 7u), b.b01, b.b11, b.b21, b.b31);
  tile[32] = mac(tile[32], subgroupBroadcast(t2, 0u), b.b00, b.b10, b.b20, b.b30);
  tile[33] = mac(tile[33], subgroupBroadcast(t2, 0u), b.b01, b.b11, b.b21, b.b31);
  tile[34] = mac(tile[34], subgroupBroadcast(t2, 1u), b.b00, b.b10, b.b20, b.b30);
  tile[35] = mac(tile[35], subgroupBroadcast(t2, 1u), b.b01, b.b11, b.b21, b.b31);
  tile[36] = mac(tile[36], subgroupBroadcast(t2, 2u), b.b00, b.b10, b.b20, b.b30);
  tile[37] = mac(tile[37], subgroupBroadcast(t2, 2u), b.b01, b.b11, b.b21, b.b31);
  tile[38] = mac(tile[38], subgroupBroadcast(t2, 3u), b.b00, b.b10, b.b20, b.b30);
  tile[39] = mac(tile[39], subgroupBroadcast(t2, 3u), b.b01, b.b11, b.b21, b.b31);
  tile[40] = mac(tile[40], subgroupBroadcast(t2, 4u), b.b00, b.b10, b.b20, b.b30);
  tile[41] = mac(tile[41], subgroupBroadcast(t2, 4u), b.b01, b.b11, b.b21, b.b31);
  tile[42] = mac(tile[42], subgroupBroadcast(t2, 5u), b.b00, b.b10, b.b20, b.b30);
  tile[43] = mac(tile[43], subgroupBroadcast(t2, 5u), b.b01, b.b11, b.b21, b.b31);
  tile[44] = mac(tile[44], subgroupBroadcast(t2, 6u), b.b00, b.b10, b.b20, b.b30);
  tile[45] = mac(tile[45], subgroupBroadcast(t2, 6u), b.b01, b.b11, b.b21, b.b31);
  tile[46] = mac(tile[46], subgroupBroadcast(t2, 7u), b.b00, b.b10, b.b20, b.b30);
  tile[47] = mac(tile[47], subgroupBroadcast(t2, 7u), b.b01, b.b11, b.b21, b.b31);
  tile[48] = mac(tile[48], subgroupBroadcast(t3, 0u), b.b00, b.b10, b.b20, b.b30);
  tile[49] = mac(tile[49], subgroupBroadcast(t3, 0u), b.b01, b.b11, b.b21, b.b31);
  tile[50] = mac(tile[50], subgroupBroadcast(t3, 1u), b.b00, b.b10, b.b20, b.b30);
  tile[51] = mac(tile[51], subgroupBroadcast(t3, 1u), b.b01, b.b11, b.b21, b.b31);
  tile[52] = mac(tile[52], subgroupBroadcast(t3, 2u), b.b00, b.b10, b.b20, b.b30);
  tile[53] = mac(tile[53], subgroupBroadcast(t3, 2u), b.b01, b.b11, b.b21, b.b31);
  tile[54] = mac(tile[54], subgroupBroadcast(t3, 3u), b.b00, b.b10, b.b20, b.b30);
  tile[55] = mac(tile[55], subgroupBroadcast(t3, 3u), b.b01, b.b11, b.b21, b.b31);
  tile[56] = mac(tile[56], subgroupBroadcast(t3, 4u), b.b00, b.b10, b.b20, b.b30);
  tile[57] = mac(tile[57], subgroupBroadcast(t3, 4u), b.b01, b.b11, b.b21, b.b31);
  tile[58] = mac(tile[58], subgroupBroadcast(t3, 5u), b.b00, b.b10, b.b20, b.b30);
  tile[59] = mac(tile[59], subgroupBroadcast(t3, 5u), b.b01, b.b11, b.b21, b.b31);
  tile[60] = mac(tile[60], subgroupBroadcast(t3, 6u), b.b00, b.b10, b.b20, b.b30);
  tile[61] = mac(tile[61], subgroupBroadcast(t3, 6u), b.b01, b.b11, b.b21, b.b31);
  tile[62] = mac(tile[62], subgroupBroadcast(t3, 7u), b.b00, b.b10, b.b20, b.b30);
  tile[63] = mac(tile[63], subgroupBroadcast(t3, 7u), b.b01, b.b11, b.b21, b.b31);
}

// tex_tile_step_d for a 32 × 32 tile (matmul_tex's define NARROW): the lane's 4 B texels (bx + j·dx, by + j·dy) over
// its one texel of columns, into the left halves tile[2r] only: 128 multiply-adds per 8 texel loads. The same
// multiply-adds in the same order as tex_tile_step_d's left halves.
fn tex_tile_step_n(ax: u32, ay: u32, bx: u32, by: u32, dx: u32, dy: u32) {
  let t0 = textureLoad(tr, vec2u(ax, ay)); let t1 = textureLoad(tr, vec2u(ax, ay + 8u));
  let t2 = textureLoad(tr, vec2u(ax, ay + 16u)); let t3 = textureLoad(tr, vec2u(ax, ay + 24u));
  let b0 = textureLoad(tc, vec2u(bx, by)); let b1 = textureLoad(tc, vec2u(bx + dx, by + dy));
  let b2 = textureLoad(tc, vec2u(bx + 2u * dx, by + 2u * dy)); let b3 = textureLoad(tc, vec2u(bx + 3u * dx, by + 3u * dy));
  tile[0] = mac(tile[0], subgroupBroadcast(t0, 0u), b0, b1, b2, b3);
  tile[2] = mac(tile[2], subgroupBroadcast(t0, 1u), b0, b1, b2, b3);
  tile[4] = mac(tile[4], subgroupBroadcast(t0, 2u), b0, b1, b2, b3);
  tile[6] = mac(tile[6], subgroupBroadcast(t0, 3u), b0, b1, b2, b3);
  tile[8] = mac(tile[8], subgroupBroadcast(t0, 4u), b0, b1, b2, b3);
  tile[10] = mac(tile[10], subgroupBroadcast(t0, 5u), b0, b1, b2, b3);
  tile[12] = mac(tile[12], subgroupBroadcast(t0, 6u), b0, b1, b2, b3);
  tile[14] = mac(tile[14], subgroupBroadcast(t0, 7u), b0, b1, b2, b3);
  tile[16] = mac(tile[16], subgroupBroadcast(t1, 0u), b0, b1, b2, b3);
  tile[18] = mac(tile[18], subgroupBroadcast(t1, 1u), b0, b1, b2, b3);
  tile[20] = mac(tile[20], subgroupBroadcast(t1, 2u), b0, b1, b2, b3);
  tile[22] = mac(tile[22], subgroupBroadcast(t1, 3u), b0, b1, b2, b3);
  tile[24] = mac(tile[24], subgroupBroadcast(t1, 4u), b0, b1, b2, b3);
  tile[26] = mac(tile[26], subgroupBroadcast(t1, 5u), b0, b1, b2, b3);
  tile[28] = mac(tile[28], subgroupBroadcast(t1, 6u), b0, b1, b2, b3);
  tile[30] = mac(tile[30], subgroupBroadcast(t1, 7u), b0, b1, b2, b3);
  tile[32] = mac(tile[32], subgroupBroadcast(t2, 0u), b0, b1, b2, b3);
  tile[34] = mac(tile[34], subgroupBroadcast(t2, 1u), b0, b1, b2, b3);
  tile[36] = mac(tile[36], subgroupBroadcast(t2, 2u), b0, b1, b2, b3);
  tile[38] = mac(tile[38], subgroupBroadcast(t2, 3u), b0, b1, b2, b3);
  tile[40] = mac(tile[40], subgroupBroadcast(t2, 4u), b0, b1, b2, b3);
  tile[42] = mac(tile[42], subgroupBroadcast(t2, 5u), b0, b1, b2, b3);
  tile[44] = mac(tile[44], subgroupBroadcast(t2, 6u), b0, b1, b2, b3);
  tile[46] = mac(tile[46], subgroupBroadcast(t2, 7u), b0, b1, b2, b3);
  tile[48] = mac(tile[48], subgroupBroadcast(t3, 0u), b0, b1, b2, b3);
  tile[50] = mac(tile[50], subgroupBroadcast(t3, 1u), b0, b1, b2, b3);
  tile[52] = mac(tile[52], subgroupBroadcast(t3, 2u), b0, b1, b2, b3);
  tile[54] = mac(tile[54], subgroupBroadcast(t3, 3u), b0, b1, b2, b3);
  tile[56] = mac(tile[56], subgroupBroadcast(t3, 4u), b0, b1, b2, b3);
  tile[58] = mac(tile[58], subgroupBroadcast(t3, 5u), b0, b1, b2, b3);
  tile[60] = mac(tile[60], subgroupBroadcast(t3, 6u), b0, b1, b2, b3);
  tile[62] = mac(tile[62], subgroupBroadcast(t3, 7u), b0, b1, b2, b3);
}

// tex_tile_step_d with A k-major (matmul_tex's define A_KMAJOR: texel (x, y) = A[rows 4x .. 4x+3, dim y]): lane l loads
// texels (ax, ay + j) (j = 0..3; ax = the lane's group of 4 rows, the 8 lanes' groups together make 32), and row 4g + c's
// 4 A values are component c of lane g's 4 texels, subgroupBroadcast at their use. The same multiply-adds in the same
// order as tex_tile_step_d, and as many texel loads and broadcasts.
fn tex_tile_step_k(ax: u32, ay: u32, bx: u32, by: u32, dx: u32, dy: u32) {
  let t0 = textureLoad(tr, vec2u(ax, ay)); let t1 = textureLoad(tr, vec2u(ax, ay + 1u));
  let t2 = textureLoad(tr, vec2u(ax, ay + 2u)); let t3 = textureLoad(tr, vec2u(ax, ay + 3u));
  let b = tex_b(bx, by, dx, dy);
  { let a = vec4f(subgroupBroadcast(t0.x, 0u), subgroupBroadcast(t1.x, 0u), subgroupBroadcast(t2.x, 0u), subgroupBroadcast(t3.x, 0u)); tile[0] = mac(tile[0], a, b.b00, b.b10, b.b20, b.b30); tile[1] = mac(tile[1], a, b.b01, b.b11, b.b21, b.b31); }
  { let a = vec4f(subgroupBroadcast(t0.y, 0u), subgroupBroadcast(t1.y, 0u), subgroupBroadcast(t2.y, 0u), subgroupBroadcast(t3.y, 0u)); tile[2] = mac(tile[2], a, b.b00, b.b10, b.b20, b.b30); tile[3] = mac(tile[3], a, b.b01, b.b11, b.b21, b.b31); }
  { let a = vec4f(subgroupBroadcast(t0.z, 0u), subgroupBroadcast(t1.z, 0u), subgroupBroadcast(t2.z, 0u), subgroupBroadcast(t3.z, 0u)); tile[4] = mac(tile[4], a, b.b00, b.b10, b.b20, b.b30); tile[5] = mac(tile[5], a, b.b01, b.b11, b.b21, b.b31); }
  { let a = vec4f(subgroupBroadcast(t0.w, 0u), subgroupBroadcast(t1.w, 0u), subgroupBroadcast(t2.w, 0u), subgroupBroadcast(t3.w, 0u)); tile[6] = mac(tile[6], a, b.b00, b.b10, b.b20, b.b30); tile[7] = mac(tile[7], a, b.b01, b.b11, b.b21, b.b31); }
  { let a = vec4f(subgroupBroadcast(t0.x, 1u), subgroupBroadcast(t1.x, 1u), subgroupBroadcast(t2.x, 1u), subgroupBroadcast(t3.x, 1u)); tile[8] = mac(tile[8], a, b.b00, b.b10, b.b20, b.b30); tile[9] = mac(tile[9], a, b.b01, b.b11, b.b21, b.b31); }
  { let a = vec4f(subgroupBroadcast(t0.y, 1u), subgroupBroadcast(t1.y, 1u), subgroupBroadcast(t2.y, 1u), subgroupBroadcast(t3.y, 1u)); tile[10] = mac(tile[10], a, b.b00, b.b10, b.b20, b.b30); tile[11] = mac(tile[11], a, b.b01, b.b11, b.b21, b.b31); }
  { let a = vec4f(subgroupBroadcast(t0.z, 1u), subgroupBroadcast(t1.z, 1u), subgroupBroadcast(t2.z, 1u), subgroupBroadcast(t3.z, 1u)); tile[12] = mac(tile[12], a, b.b00, b.b10, b.b20, b.b30); tile[13] = mac(tile[13], a, b.b01, b.b11, b.b21, b.b31); }
  { let a = vec4f(subgroupBroadcast(t0.w, 1u), subgroupBroadcast(t1.w, 1u), subgroupBroadcast(t2.w, 1u), subgroupBroadcast(t3.w, 1u)); tile[14] = mac(tile[14], a, b.b00, b.b10, b.b20, b.b30); tile[15] = mac(tile[15], a, b.b01, b.b11, b.b21, b.b31); }
  { let a = vec4f(subgroupBroadcast(t0.x, 2u), subgroupBroadcast(t1.x, 2u), subgroupBroadcast(t2.x, 2u), subgroupBroadcast(t3.x, 2u)); tile[16] = mac(tile[16], a, b.b00, b.b10, b.b20, b.b30); tile[17] = mac(tile[17], a, b.b01, b.b11, b.b21, b.b31); }
  { let a = vec4f(subgroupBroadcast(t0.y, 2u), subgroupBroadcast(t1.y, 2u), subgroupBroadcast(t2.y, 2u), subgroupBroadcast(t3.y, 2u)); tile[18] = mac(tile[18], a, b.b00, b.b10, b.b20, b.b30); tile[19] = mac(tile[19], a, b.b01, b.b11, b.b21, b.b31); }
  { let a = vec4f(subgroupBroadcast(t0.z, 2u), subgroupBroadcast(t1.z, 2u), subgroupBroadcast(t2.z, 2u), subgroupBroadcast(t3.z, 2u)); tile[20] = mac(tile[20], a, b.b00, b.b10, b.b20, b.b30); tile[21] = mac(tile[21], a, b.b01, b.b11, b.b21, b.b31); }
  { let a = vec4f(subgroupBroadcast(t0.w, 2u), subgroupBroadcast(t1.w, 2u), subgroupBroadcast(t2.w, 2u), subgroupBroadcast(t3.w, 2u)); tile[22] = mac(tile[22], a, b.b00, b.b10, b.b20, b.b30); tile[23] = mac(tile[23], a, b.b01, b.b11, b.b21, b.b31); }
  { let a = vec4f(subgroupBroadcast(t0.x, 3u), subgroupBroadcast(t1.x, 3u), subgroupBroadcast(t2.x, 3u), subgroupBroadcast(t3.x, 3u)); tile[24] = mac(tile[24], a, b.b00, b.b10, b.b20, b.b30); tile[25] = mac(tile[25], a, b.b01, b.b11, b.b21, b.b31); }
  { let a = vec4f(subgroupBroadcast(t0.y, 3u), subgroupBroadcast(t1.y, 3u), subgroupBroadcast(t2.y, 3u), subgroupBroadcast(t3.y, 3u)); tile[26] = mac(tile[26], a, b.b00, b.b10, b.b20, b.b30); tile[27] = mac(tile[27], a, b.b01, b.b11, b.b21, b.b31); }
  { let a = vec4f(subgroupBroadcast(t0.z, 3u), subgroupBroadcast(t1.z, 3u), subgroupBroadcast(t2.z, 3u), subgroupBroadcast(t3.z, 3u)); tile[28] = mac(tile[28], a, b.b00, b.b10, b.b20, b.b30); tile[29] = mac(tile[29], a, b.b01, b.b11, b.b21, b.b31); }
  { let a = vec4f(subgroupBroadcast(t0.w, 3u), subgroupBroadcast(t1.w, 3u), subgroupBroadcast(t2.w, 3u), subgroupBroadcast(t3.w, 3u)); tile[30] = mac(tile[30], a, b.b00, b.b10, b.b20, b.b30); tile[31] = mac(tile[31], a, b.b01, b.b11, b.b21, b.b31); }
  { let a = vec4f(subgroupBroadcast(t0.x, 4u), subgroupBroadcast(t1.x, 4u), subgroupBroadcast(t2.x, 4u), subgroupBroadcast(t3.x, 4u)); tile[32] = mac(tile[32], a, b.b00, b.b10, b.b20, b.b30); tile[33] = mac(tile[33], a, b.b01, b.b11, b.b21, b.b31); }
  { let a = vec4f(subgroupBroadcast(t0.y, 4u), subgroupBroadcast(t1.y, 4u), subgroupBroadcast(t2.y, 4u), subgroupBroadcast(t3.y, 4u)); tile[34] = mac(tile[34], a, b.b00, b.b10, b.b20, b.b30); tile[35] = mac(tile[35], a, b.b01, b.b11, b.b21, b.b31); }
  { let a = vec4f(subgroupBroadcast(t0.z, 4u), subgroupBroadcast(t1.z, 4u), subgroupBroadcast(t2.z, 4u), subgroupBroadcast(t3.z, 4u)); tile[36] = mac(tile[36], a, b.b00, b.b10, b.b20, b.b30); tile[37] = mac(tile[37], a, b.b01, b.b11, b.b21, b.b31); }
  { let a = vec4f(subgroupBroadcast(t0.w, 4u), subgroupBroadcast(t1.w, 4u), subgroupBroadcast(t2.w, 4u), subgroupBroadcast(t3.w, 4u)); tile[38] = mac(tile[38], a, b.b00, b.b10, b.b20, b.b30); tile[39] = mac(tile[39], a, b.b01, b.b11, b.b21, b.b31); }
  { let a = vec4f(subgroupBroadcast(t0.x, 5u), subgroupBroadcast(t1.x, 5u), subgroupBroadcast(t2.x, 5u), subgroupBroadcast(t3.x, 5u)); tile[40] = mac(tile[40], a, b.b00, b.b10, b.b20, b.b30); tile[41] = mac(tile[41], a, b.b01, b.b11, b.b21, b.b31); }
  { let a = vec4f(subgroupBroadcast(t0.y, 5u), subgroupBroadcast(t1.y, 5u), subgroupBroadcast(t2.y, 5u), subgroupBroadcast(t3.y, 5u)); tile[42] = mac(tile[42], a, b.b00, b.b10, b.b20, b.b30); tile[43] = mac(tile[43], a, b.b01, b.b11, b.b21, b.b31); }
  { let a = vec4f(subgroupBroadcast(t0.z, 5u), subgroupBroadcast(t1.z, 5u), subgroupBroadcast(t2.z, 5u), subgroupBroadcast(t3.z, 5u)); tile[44] = mac(tile[44], a, b.b00, b.b10, b.b20, b.b30); tile[45] = mac(tile[45], a, b.b01, b.b11, b.b21, b.b31); }
  { let a = vec4f(subgroupBroadcast(t0.w, 5u), subgroupBroadcast(t1.w, 5u), subgroupBroadcast(t2.w, 5u), subgroupBroadcast(t3.w, 5u)); tile[46] = mac(tile[46], a, b.b00, b.b10, b.b20, b.b30); tile[47] = mac(tile[47], a, b.b01, b.b11, b.b21, b.b31); }
  { let a = vec4f(subgroupBroadcast(t0.x, 6u), subgroupBroadcast(t1.x, 6u), subgroupBroadcast(t2.x, 6u), subgroupBroadcast(t3.x, 6u)); tile[48] = mac(tile[48], a, b.b00, b.b10, b.b20, b.b30); tile[49] = mac(tile[49], a, b.b01, b.b11, b.b21, b.b31); }
  { let a = vec4f(subgroupBroadcast(t0.y, 6u), subgroupBroadcast(t1.y, 6u), subgroupBroadcast(t2.y, 6u), subgroupBroadcast(t3.y, 6u)); tile[50] = mac(tile[50], a, b.b00, b.b10, b.b20, b.b30); tile[51] = mac(tile[51], a, b.b01, b.b11, b.b21, b.b31); }
  { let a = vec4f(subgroupBroadcast(t0.z, 6u), subgroupBroadcast(t1.z, 6u), subgroupBroadcast(t2.z, 6u), subgroupBroadcast(t3.z, 6u)); tile[52] = mac(tile[52], a, b.b00, b.b10, b.b20, b.b30); tile[53] = mac(tile[53], a, b.b01, b.b11, b.b21, b.b31); }
  { let a = vec4f(subgroupBroadcast(t0.w, 6u), subgroupBroadcast(t1.w, 6u), subgroupBroadcast(t2.w, 6u), subgroupBroadcast(t3.w, 6u)); tile[54] = mac(tile[54], a, b.b00, b.b10, b.b20, b.b30); tile[55] = mac(tile[55], a, b.b01, b.b11, b.b21, b.b31); }
  { let a = vec4f(subgroupBroadcast(t0.x, 7u), subgroupBroadcast(t1.x, 7u), subgroupBroadcast(t2.x, 7u), subgroupBroadcast(t3.x, 7u)); tile[56] = mac(tile[56], a, b.b00, b.b10, b.b20, b.b30); tile[57] = mac(tile[57], a, b.b01, b.b11, b.b21, b.b31); }
  { let a = vec4f(subgroupBroadcast(t0.y, 7u), subgroupBroadcast(t1.y, 7u), subgroupBroadcast(t2.y, 7u), subgroupBroadcast(t3.y, 7u)); tile[58] = mac(tile[58], a, b.b00, b.b10, b.b20, b.b30); tile[59] = mac(tile[59], a, b.b01, b.b11, b.b21, b.b31); }
  { let a = vec4f(subgroupBroadcast(t0.z, 7u), subgroupBroadcast(t1.z, 7u), subgroupBroadcast(t2.z, 7u), subgroupBroadcast(t3.z, 7u)); tile[60] = mac(tile[60], a, b.b00, b.b10, b.b20, b.b30); tile[61] = mac(tile[61], a, b.b01, b.b11, b.b21, b.b31); }
  { let a = vec4f(subgroupBroadcast(t0.w, 7u), subgroupBroadcast(t1.w, 7u), subgroupBroadcast(t2.w, 7u), subgroupBroadcast(t3.w, 7u)); tile[62] = mac(tile[62], a, b.b00, b.b10, b.b20, b.b30); tile[63] = mac(tile[63], a, b.b01, b.b11, b.b21, b.b31); }
}

//#include "_lib/bcast8.wgsl"
