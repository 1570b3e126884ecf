// _lib/tex_tile_loads: one step of 4 along the shared dimension of a 32 × 64 product (or 32 × 32: tex_tile_step_n) read
//   from two packed rgba32float storage textures, into 64 (32) vec4 accumulators, without subgroup operations: the inner
//   loop of matmul/matmul_tex_loads.
// The including kernel declares the read-only rgba32float storage textures `tr` (A: texel (x, y) = A[row y, 4x .. 4x+3])
//   and `tc` (B: texel (x, y) = B[y, 4x .. 4x+3]) and runs workgroups of 8 invocations. The accumulators `tile` and the
//   multiply-add chain `mac` come from _lib/tex_mac.wgsl (included here), as for _lib/tex_tile.wgsl.
//#include "_lib/tex_mac.wgsl"

// tile += A[32 rows, 4 dims] · B[4 dims, 64 columns], B's step row j (j = 0..3) at texels (bx + j·dx, by + j·dy)
// (matmul_tex's layouts, _lib/matmul_tex_body.wgsl): every lane loads A's texels (ax, ay + r) for r = 0..31 (ay = the
// tile's first row; the same addresses in every lane, so each value arrives already broadcast) and its own 8 B texels,
// then each row's texel serves both halves of the row at once. The same multiply-adds in the same order as
// tex_tile_step_d of _lib/tex_tile.wgsl.
fn tex_tile_step_d(ax: u32, ay: u32, bx: u32, by: u32, dx: u32, dy: u32) {
  let b = tex_b(bx, by, dx, dy);
  { let a = textureLoad(tr, vec2u(ax, ay + 0u)); tile[0] = mac(tile[0], a, b.b00, b.b10, b.b20, b.b30); tile[1] = mac(tile[1], a, b.b01, b.b11, b.b21, b.b31); }
  { let a = textureLoad(tr, vec2u(ax, ay + 1u)); tile[2] = mac(tile[2], a, b.b00, b.b10, b.b20, b.b30); tile[3] = mac(tile[3], a, b.b01, b.b11, b.b21, b.b31); }
  { let a = textureLoad(tr, vec2u(ax, ay + 2u)); tile[4] = mac(tile[4], a, b.b00, b.b10, b.b20, b.b30); tile[5] = mac(tile[5], a, b.b01, b.b11, b.b21, b.b31); }
  { let a = textureLoad(tr, vec2u(ax, ay + 3u)); tile[6] = mac(tile[6], a, b.b00, b.b10, b.b20, b.b30); tile[7] = mac(tile[7], a, b.b01, b.b11, b.b21, b.b31); }
  { let a = textureLoad(tr, vec2u(ax, ay + 4u)); tile[8] = mac(tile[8], a, b.b00, b.b10, b.b20, b.b30); tile[9] = mac(tile[9], a, b.b01, b.b11, b.b21, b.b31); }
  { let a = textureLoad(tr, vec2u(ax, ay + 5u)); tile[10] = mac(tile[10], a, b.b00, b.b10, b.b20, b.b30); tile[11] = mac(tile[11], a, b.b01, b.b11, b.b21, b.b31); }
  { let a = textureLoad(tr, vec2u(ax, ay + 6u)); tile[12] = mac(tile[12], a, b.b00, b.b10, b.b20, b.b30); tile[13] = mac(tile[13], a, b.b01, b.b11, b.b21, b.b31); }
  { let a = textureLoad(tr, vec2u(ax, ay + 7u)); tile[14] = mac(tile[14], a, b.b00, b.b10, b.b20, b.b30); tile[15] = mac(tile[15], a, b.b01, b.b11, b.b21, b.b31); }
  { let a = textureLoad(tr, vec2u(ax, ay + 8u)); tile[16] = mac(tile[16], a, b.b00, b.b10, b.b20, b.b30); tile[17] = mac(tile[17], a, b.b01, b.b11, b.b21, b.b31); }
  { let a = textureLoad(tr, vec2u(ax, ay + 9u)); tile[18] = mac(tile[18], a, b.b00, b.b10, b.b20, b.b30); tile[19] = mac(tile[19], a, b.b01, b.b11, b.b21, b.b31); }
  { let a = textureLoad(tr, vec2u(ax, ay + 10u)); tile[20] = mac(tile[20], a, b.b00, b.b10, b.b20, b.b30); tile[21] = mac(tile[21], a, b.b01, b.b11, b.b21, b.b31); }
  { let a = textureLoad(tr, vec2u(ax, ay + 11u)); tile[22] = mac(tile[22], a, b.b00, b.b10, b.b20, b.b30); tile[23] = mac(tile[23], a, b.b01, b.b11, b.b21, b.b31); }
  { let a = textureLoad(tr, vec2u(ax, ay + 12u)); tile[24] = mac(tile[24], a, b.b00, b.b10, b.b20, b.b30); tile[25] = mac(tile[25], a, b.b01, b.b11, b.b21, b.b31); }
  { let a = textureLoad(tr, vec2u(ax, ay + 13u)); tile[26] = mac(tile[26], a, b.b00, b.b10, b.b20, b.b30); tile[27] = mac(tile[27], a, b.b01, b.b11, b.b21, b.b31); }
  { let a = textureLoad(tr, vec2u(ax, ay + 14u)); tile[28] = mac(tile[28], a, b.b00, b.b10, b.b20, b.b30); tile[29] = mac(tile[29], a, b.b01, b.b11, b.b21, b.b31); }
  { let a = textureLoad(tr, vec2u(ax, ay + 15u)); tile[30] = mac(tile[30], a, b.b00, b.b10, b.b20, b.b30); tile[31] = mac(tile[31], a, b.b01, b.b11, b.b21, b.b31); }
  { let a = textureLoad(tr, vec2u(ax, ay + 16u)); tile[32] = mac(tile[32], a, b.b00, b.b10, b.b20, b.b30); tile[33] = mac(tile[33], a, b.b01, b.b11, b.b21, b.b31); }
  { let a = textureLoad(tr, vec2u(ax, ay + 17u)); tile[34] = mac(tile[34], a, b.b00, b.b10, b.b20, b.b30); tile[35] = mac(tile[35], a, b.b01, b.b11, b.b21, b.b31); }
  { let a = textureLoad(tr, vec2u(ax, ay + 18u)); tile[36] = mac(tile[36], a, b.b00, b.b10, b.b20, b.b30); tile[37] = mac(tile[37], a, b.b01, b.b11, b.b21, b.b31); }
  { let a = textureLoad(tr, vec2u(ax, ay + 19u)); tile[38] = mac(tile[38], a, b.b00, b.b10, b.b20, b.b30); tile[39] = mac(tile[39], a, b.b01, b.b11, b.b21, b.b31); }
  { let a = textureLoad(tr, vec2u(ax, ay + 20u)); tile[40] = mac(tile[40], a, b.b00, b.b10, b.b20, b.b30); tile[41] = mac(tile[41], a, b.b01, b.b11, b.b21, b.b31); }
  { let a = textureLoad(tr, vec2u(ax, ay + 21u)); tile[42] = mac(tile[42], a, b.b00, b.b10, b.b20, b.b30); tile[43] = mac(tile[43], a, b.b01, b.b11, b.b21, b.b31); }
  { let a = textureLoad(tr, vec2u(ax, ay + 22u)); tile[44] = mac(tile[44], a, b.b00, b.b10, b.b20, b.b30); tile[45] = mac(tile[45], a, b.b01, b.b11, b.b21, b.b31); }
  { let a = textureLoad(tr, vec2u(ax, ay + 23u)); tile[46] = mac(tile[46], a, b.b00, b.b10, b.b20, b.b30); tile[47] = mac(tile[47], a, b.b01, b.b11, b.b21, b.b31); }
  { let a = textureLoad(tr, vec2u(ax, ay + 24u)); tile[48] = mac(tile[48], a, b.b00, b.b10, b.b20, b.b30); tile[49] = mac(tile[49], a, b.b01, b.b11, b.b21, b.b31); }
  { let a = textureLoad(tr, vec2u(ax, ay + 25u)); tile[50] = mac(tile[50], a, b.b00, b.b10, b.b20, b.b30); tile[51] = mac(tile[51], a, b.b01, b.b11, b.b21, b.b31); }
  { let a = textureLoad(tr, vec2u(ax, ay + 26u)); tile[52] = mac(tile[52], a, b.b00, b.b10, b.b20, b.b30); tile[53] = mac(tile[53], a, b.b01, b.b11, b.b21, b.b31); }
  { let a = textureLoad(tr, vec2u(ax, ay + 27u)); tile[54] = mac(tile[54], a, b.b00, b.b10, b.b20, b.b30); tile[55] = mac(tile[55], a, b.b01, b.b11, b.b21, b.b31); }
  { let a = textureLoad(tr, vec2u(ax, ay + 28u)); tile[56] = mac(tile[56], a, b.b00, b.b10, b.b20, b.b30); tile[57] = mac(tile[57], a, b.b01, b.b11, b.b21, b.b31); }
  { let a = textureLoad(tr, vec2u(ax, ay + 29u)); tile[58] = mac(tile[58], a, b.b00, b.b10, b.b20, b.b30); tile[59] = mac(tile[59], a, b.b01, b.b11, b.b21, b.b31); }
  { let a = textureLoad(tr, vec2u(ax, ay + 30u)); tile[60] = mac(tile[60], a, b.b00, b.b10, b.b20, b.b30); tile[61] = mac(tile[61], a, b.b01, b.b11, b.b21, b.b31); }
  { let a = textureLoad(tr, vec2u(ax, ay + 31u)); tile[62] = mac(tile[62], a, b.b00, b.b10, b.b20, b.b30); tile[63] = mac(tile[63], a, b.b01, b.b11, b.b21, b.b31); }
}

// tex_tile_step_d for a 32 × 32 tile (matmul_tex_loads' define NARROW): the lane's 4 B texels over its one texel of
// columns, into the left halves tile[2r] only; the same multiply-adds in the same order as tex_tile_step_n of
// _lib/tex_tile.wgsl.
fn tex_tile_step_n(ax: u32, ay: u32, bx: u32, by: u32, dx: u32, dy: u32) {
  let b0 = textureLoad(tc, vec2u(bx, by)); let b1 = textureLoad(tc, vec2u(bx + dx, by + dy));
  let b2 = textureLoad(tc, vec2u(bx + 2u * dx, by + 2u * dy)); let b3 = textureLoad(tc, vec2u(bx + 3u * dx, by + 3u * dy));
  tile[0] = mac(tile[0], textureLoad(tr, vec2u(ax, ay + 0u)), b0, b1, b2, b3);
  tile[2] = mac(tile[2], textureLoad(tr, vec2u(ax, ay + 1u)), b0, b1, b2, b3);
  tile[4] = mac(tile[4], textureLoad(tr, vec2u(ax, ay + 2u)), b0, b1, b2, b3);
  tile[6] = mac(tile[6], textureLoad(tr, vec2u(ax, ay + 3u)), b0, b1, b2, b3);
  tile[8] = mac(tile[8], textureLoad(tr, vec2u(ax, ay + 4u)), b0, b1, b2, b3);
  tile[10] = mac(tile[10], textureLoad(tr, vec2u(ax, ay + 5u)), b0, b1, b2, b3);
  tile[12] = mac(tile[12], textureLoad(tr, vec2u(ax, ay + 6u)), b0, b1, b2, b3);
  tile[14] = mac(tile[14], textureLoad(tr, vec2u(ax, ay + 7u)), b0, b1, b2, b3);
  tile[16] = mac(tile[16], textureLoad(tr, vec2u(ax, ay + 8u)), b0, b1, b2, b3);
  tile[18] = mac(tile[18], textureLoad(tr, vec2u(ax, ay + 9u)), b0, b1, b2, b3);
  tile[20] = mac(tile[20], textureLoad(tr, vec2u(ax, ay + 10u)), b0, b1, b2, b3);
  tile[22] = mac(tile[22], textureLoad(tr, vec2u(ax, ay + 11u)), b0, b1, b2, b3);
  tile[24] = mac(tile[24], textureLoad(tr, vec2u(ax, ay + 12u)), b0, b1, b2, b3);
  tile[26] = mac(tile[26], textureLoad(tr, vec2u(ax, ay + 13u)), b0, b1, b2, b3);
  tile[28] = mac(tile[28], textureLoad(tr, vec2u(ax, ay + 14u)), b0, b1, b2, b3);
  tile[30] = mac(tile[30], textureLoad(tr, vec2u(ax, ay + 15u)), b0, b1, b2, b3);
  tile[32] = mac(tile[32], textureLoad(tr, vec2u(ax, ay + 16u)), b0, b1, b2, b3);
  tile[34] = mac(tile[34], textureLoad(tr, vec2u(ax, ay + 17u)), b0, b1, b2, b3);
  tile[36] = mac(tile[36], textureLoad(tr, vec2u(ax, ay + 18u)), b0, b1, b2, b3);
  tile[38] = mac(tile[38], textureLoad(tr, vec2u(ax, ay + 19u)), b0, b1, b2, b3);
  tile[40] = mac(tile[40], textureLoad(tr, vec2u(ax, ay + 20u)), b0, b1, b2, b3);
  tile[42] = mac(tile[42], textureLoad(tr, vec2u(ax, ay + 21u)), b0, b1, b2, b3);
  tile[44] = mac(tile[44], textureLoad(tr, vec2u(ax, ay + 22u)), b0, b1, b2, b3);
  tile[46] = mac(tile[46], textureLoad(tr, vec2u(ax, ay + 23u)), b0, b1, b2, b3);
  tile[48] = mac(tile[48], textureLoad(tr, vec2u(ax, ay + 24u)), b0, b1, b2, b3);
  tile[50] = mac(tile[50], textureLoad(tr, vec2u(ax, ay + 25u)), b0, b1, b2, b3);
  tile[52] = mac(tile[52], textureLoad(tr, vec2u(ax, ay + 26u)), b0, b1, b2, b3);
  tile[54] = mac(tile[54], textureLoad(tr, vec2u(ax, ay + 27u)), b0, b1, b2, b3);
  tile[56] = mac(tile[56], textureLoad(tr, vec2u(ax, ay + 28u)), b0, b1, b2, b3);
  tile[58] = mac(tile[58], textureLoad(tr, vec2u(ax, ay + 29u)), b0, b1, b2, b3);
  tile[60] = mac(tile[60], textureLoad(tr, vec2u(ax, ay + 30u)), b0, b1, b2, b3);
  tile[62] = mac(tile[62], textureLoad(tr, vec2u(ax, ay + 31u)), b0, b1, b2, b3);
}

// tex_tile_step_d with A k-major (matmul_tex's define A_KMAJOR: texel (x, y) = A[rows 4x .. 4x+3, dim y]): every lane
// loads texels (ax + g, ay + j) (g = 0..7, j = 0..3), and row 4g + c's 4 A values are component c of group g's 4
// texels. The same multiply-adds in the same order as tex_tile_step_d.
fn tex_tile_step_k(ax: u32, ay: u32, bx: u32, by: u32, dx: u32, dy: u32) {
  let b = tex_b(bx, by, dx, dy);
  { let u0 = textureLoad(tr, vec2u(ax + 0u, ay)); let u1 = textureLoad(tr, vec2u(ax + 0u, ay + 1u)); let u2 = textureLoad(tr, vec2u(ax + 0u, ay + 2u)); let u3 = textureLoad(tr, vec2u(ax + 0u, ay + 3u));
    { let a = vec4f(u0.x, u1.x, u2.x, u3.x); tile[0] = mac(tile[0], a, b.b00, b.b10, b.b20, b.b30); tile[1] = mac(tile[1], a, b.b01, b.b11, b.b21, b.b31); }
    { let a = vec4f(u0.y, u1.y, u2.y, u3.y); tile[2] = mac(tile[2], a, b.b00, b.b10, b.b20, b.b30); tile[3] = mac(tile[3], a, b.b01, b.b11, b.b21, b.b31); }
    { let a = vec4f(u0.z, u1.z, u2.z, u3.z); tile[4] = mac(tile[4], a, b.b00, b.b10, b.b20, b.b30); tile[5] = mac(tile[5], a, b.b01, b.b11, b.b21, b.b31); }
    { let a = vec4f(u0.w, u1.w, u2.w, u3.w); tile[6] = mac(tile[6], a, b.b00, b.b10, b.b20, b.b30); tile[7] = mac(tile[7], a, b.b01, b.b11, b.b21, b.b31); }
  }
  { let u0 = textureLoad(tr, vec2u(ax + 1u, ay)); let u1 = textureLoad(tr, vec2u(ax + 1u, ay + 1u)); let u2 = textureLoad(tr, vec2u(ax + 1u, ay + 2u)); let u3 = textureLoad(tr, vec2u(ax + 1u, ay + 3u));
    { let a = vec4f(u0.x, u1.x, u2.x, u3.x); tile[8] = mac(tile[8], a, b.b00, b.b10, b.b20, b.b30); tile[9] = mac(tile[9], a, b.b01, b.b11, b.b21, b.b31); }
    { let a = vec4f(u0.y, u1.y, u2.y, u3.y); tile[10] = mac(tile[10], a, b.b00, b.b10, b.b20, b.b30); tile[11] = mac(tile[11], a, b.b01, b.b11, b.b21, b.b31); }
    { let a = vec4f(u0.z, u1.z, u2.z, u3.z); tile[12] = mac(tile[12], a, b.b00, b.b10, b.b20, b.b30); tile[13] = mac(tile[13], a, b.b01, b.b11, b.b21, b.b31); }
    { let a = vec4f(u0.w, u1.w, u2.w, u3.w); tile[14] = mac(tile[14], a, b.b00, b.b10, b.b20, b.b30); tile[15] = mac(tile[15], a, b.b01, b.b11, b.b21, b.b31); }
  }
  { let u0 = textureLoad(tr, vec2u(ax + 2u, ay)); let u1 = textureLoad(tr, vec2u(ax + 2u, ay + 1u)); let u2 = textureLoad(tr, vec2u(ax + 2u, ay + 2u)); let u3 = textureLoad(tr, vec2u(ax + 2u, ay + 3u));
    { let a = vec4f(u0.x, u1.x, u2.x, u3.x); tile[16] = mac(tile[16], a, b.b00, b.b10, b.b20, b.b30); tile[17] = mac(tile[17], a, b.b01, b.b11, b.b21, b.b31); }
    { let a = vec4f(u0.y, u1.y, u2.y, u3.y); tile[18] = mac(tile[18], a, b.b00, b.b10, b.b20, b.b30); tile[19] = mac(tile[19], a, b.b01, b.b11, b.b21, b.b31); }
    { let a = vec4f(u0.z, u1.z, u2.z, u3.z); tile[20] = mac(tile[20], a, b.b00, b.b10, b.b20, b.b30); tile[21] = mac(tile[21], a, b.b01, b.b11, b.b21, b.b31); }
    { let a = vec4f(u0.w, u1.w, u2.w, u3.w); tile[22] = mac(tile[22], a, b.b00, b.b10, b.b20, b.b30); tile[23] = mac(tile[23], a, b.b01, b.b11, b.b21, b.b31); }
  }
  { let u0 = textureLoad(tr, vec2u(ax + 3u, ay)); let u1 = textureLoad(tr, vec2u(ax + 3u, ay + 1u)); let u2 = textureLoad(tr, vec2u(ax + 3u, ay + 2u)); let u3 = textureLoad(tr, vec2u(ax + 3u, ay + 3u));
    { let a = vec4f(u0.x, u1.x, u2.x, u3.x); tile[24] = mac(tile[24], a, b.b00, b.b10, b.b20, b.b30); tile[25] = mac(tile[25], a, b.b01, b.b11, b.b21, b.b31); }
    { let a = vec4f(u0.y, u1.y, u2.y, u3.y); tile[26] = mac(tile[26], a, b.b00, b.b10, b.b20, b.b30); tile[27] = mac(tile[27], a, b.b01, b.b11, b.b21, b.b31); }
    { let a = vec4f(u0.z, u1.z, u2.z, u3.z); tile[28] = mac(tile[28], a, b.b00, b.b10, b.b20, b.b30); tile[29] = mac(tile[29], a, b.b01, b.b11, b.b21, b.b31); }
    { let a = vec4f(u0.w, u1.w, u2.w, u3.w); tile[30] = mac(tile[30], a, b.b00, b.b10, b.b20, b.b30); tile[31] = mac(tile[31], a, b.b01, b.b11, b.b21, b.b31); }
  }
  { let u0 = textureLoad(tr, vec2u(ax + 4u, ay)); let u1 = textureLoad(tr, vec2u(ax + 4u, ay + 1u)); let u2 = textureLoad(tr, vec2u(ax + 4u, ay + 2u)); let u3 = textureLoad(tr, vec2u(ax + 4u, ay + 3u));
    { let a = vec4f(u0.x, u1.x, u2.x, u3.x); tile[32] = mac(tile[32], a, b.b00, b.b10, b.b20, b.b30); tile[33] = mac(tile[33], a, b.b01, b.b11, b.b21, b.b31); }
    { let a = vec4f(u0.y, u1.y, u2.y, u3.y); tile[34] = mac(tile[34], a, b.b00, b.b10, b.b20, b.b30); tile[35] = mac(tile[35], a, b.b01, b.b11, b.b21, b.b31); }
    { let a = vec4f(u0.z, u1.z, u2.z, u3.z); tile[36] = mac(tile[36], a, b.b00, b.b10, b.b20, b.b30); tile[37] = mac(tile[37], a, b.b01, b.b11, b.b21, b.b31); }
    { let a = vec4f(u0.w, u1.w, u2.w, u3.w); tile[38] = mac(tile[38], a, b.b00, b.b10, b.b20, b.b30); tile[39] = mac(tile[39], a, b.b01, b.b11, b.b21, b.b31); }
  }
  { let u0 = textureLoad(tr, vec2u(ax + 5u, ay)); let u1 = textureLoad(tr, vec2u(ax + 5u, ay + 1u)); let u2 = textureLoad(tr, vec2u(ax + 5u, ay + 2u)); let u3 = textureLoad(tr, vec2u(ax + 5u, ay + 3u));
    { let a = vec4f(u0.x, u1.x, u2.x, u3.x); tile[40] = mac(tile[40], a, b.b00, b.b10, b.b20, b.b30); tile[41] = mac(tile[41], a, b.b01, b.b11, b.b21, b.b31); }
    { let a = vec4f(u0.y, u1.y, u2.y, u3.y); tile[42] = mac(tile[42], a, b.b00, b.b10, b.b20, b.b30); tile[43] = mac(tile[43], a, b.b01, b.b11, b.b21, b.b31); }
    { let a = vec4f(u0.z, u1.z, u2.z, u3.z); tile[44] = mac(tile[44], a, b.b00, b.b10, b.b20, b.b30); tile[45] = mac(tile[45], a, b.b01, b.b11, b.b21, b.b31); }
    { let a = vec4f(u0.w, u1.w, u2.w, u3.w); tile[46] = mac(tile[46], a, b.b00, b.b10, b.b20, b.b30); tile[47] = mac(tile[47], a, b.b01, b.b11, b.b21, b.b31); }
  }
  { let u0 = textureLoad(tr, vec2u(ax + 6u, ay)); let u1 = textureLoad(tr, vec2u(ax + 6u, ay + 1u)); let u2 = textureLoad(tr, vec2u(ax + 6u, ay + 2u)); let u3 = textureLoad(tr, vec2u(ax + 6u, ay + 3u));
    { let a = vec4f(u0.x, u1.x, u2.x, u3.x); tile[48] = mac(tile[48], a, b.b00, b.b10, b.b20, b.b30); tile[49] = mac(tile[49], a, b.b01, b.b11, b.b21, b.b31); }
    { let a = vec4f(u0.y, u1.y, u2.y, u3.y); tile[50] = mac(tile[50], a, b.b00, b.b10, b.b20, b.b30); tile[51] = mac(tile[51], a, b.b01, b.b11, b.b21, b.b31); }
    { let a = vec4f(u0.z, u1.z, u2.z, u3.z); tile[52] = mac(tile[52], a, b.b00, b.b10, b.b20, b.b30); tile[53] = mac(tile[53], a, b.b01, b.b11, b.b21, b.b31); }
    { let a = vec4f(u0.w, u1.w, u2.w, u3.w); tile[54] = mac(tile[54], a, b.b00, b.b10, b.b20, b.b30); tile[55] = mac(tile[55], a, b.b01, b.b11, b.b21, b.b31); }
  }
  { let u0 = textureLoad(tr, vec2u(ax + 7u, ay)); let u1 = textureLoad(tr, vec2u(ax + 7u, ay + 1u)); let u2 = textureLoad(tr, vec2u(ax + 7u, ay + 2u)); let u3 = textureLoad(tr, vec2u(ax + 7u, ay + 3u));
    { let a = vec4f(u0.x, u1.x, u2.x, u3.x); tile[56] = mac(tile[56], a, b.b00, b.b10, b.b20, b.b30); tile[57] = mac(tile[57], a, b.b01, b.b11, b.b21, b.b31); }
    { let a = vec4f(u0.y, u1.y, u2.y, u3.y); tile[58] = mac(tile[58], a, b.b00, b.b10, b.b20, b.b30); tile[59] = mac(tile[59], a, b.b01, b.b11, b.b21, b.b31); }
    { let a = vec4f(u0.z, u1.z, u2.z, u3.z); tile[60] = mac(tile[60], a, b.b00, b.b10, b.b20, b.b30); tile[61] = mac(tile[61], a, b.b01, b.b11, b.b21, b.b31); }
    { let a = vec4f(u0.w, u1.w, u2.w, u3.w); tile[62] = mac(tile[62], a, b.b00, b.b10, b.b20, b.b30); tile[63] = mac(tile[63], a, b.b01, b.b11, b.b21, b.b31); }
  }
}
