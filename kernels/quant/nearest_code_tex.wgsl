// quant/nearest_code_tex: idx[r] = argmin_v (|z_r|² + |e_v|²) − 2 z_r·e_v with z and the codebook read from storage textures; h[r] = e_idx. quant/nearest_code's results, bit for bit.
// Bindings: 0 zt (read-only rgba32float storage texture: quant/pool_tex, texel (c4, y) = channels 4·c4 .. +3 of row
//   row0 + y, texel (C4, y).x = |z|²), 1 et (same: quant/pack_tex, texel (x, c) = codes 4x .. 4x+3 at channel c for c
//   < 4·C4, texel (x, 4·C4) = their |e|²), 2 E = codebook [V, C] (read, for the lookup), 3 idx (read_write, i32),
//   4 h (read_write, f32), 5 counts (read_write, atomic i32), 6 Params (uniform).
// Params: rows = rows of this chunk, row0 = its first row r (rows r = (b, y, x) row-major over B × gh × gw); C code
//   width, C4 = ceil(C / 4); V codes, tiles = ceil(V / 64) (et is 16·tiles texels wide); gh, gw = output grid;
//   idx at idx_base + b·idx_sb + y·gw + x; e_base = window offset of E; h written as [B, C, gh, gw] at h_base when
//   flags bit 0; counts[cnt_base + idx] += 1 when flags bit 1.
// Dispatch: a workgroup of exactly 8 invocations in one subgroup of at least 8 (llvmpipe: its SIMD width) owns rows
//   m0 .. m0+31 (m0 = 32·X; grid (ceil(rows / 32))) and scans all codes in tiles of 64: lane L owns codes 64·t + 8L
//   .. +7. Per 4 channels lane L loads the z texels of rows m0 + L + 8q (q = 0..3) and its 8 code texels;
//   subgroupBroadcast hands every lane all 32 rows, so each lane does 256 vec4 multiply-adds per 12 texel loads
//   (matmul_tex's tile, the lavapipe recipe). After each tile the lane folds its 8 codes into its 32 row winners;
//   the 8 lanes' winners are merged in workgroup memory at the end.
// Numerics: f32; dot products summed over channels in order as acc + z.x·e0 + z.y·e1 + z.z·e2 + z.w·e3 (quant/nearest_code's
//   expression), distance (zz + ee) + (−2·dot) (torch.addmm(|z|²+|e|², z, eᵀ, alpha=−2)); ties → lowest index
//   (torch.argmin); NaN distances never win (a row of NaNs gets index 0). The winner is the least (distance, index)
//   pair, so the tiling does not change it.
enable subgroups;
struct Params { rows: u32, row0: u32, C: u32, C4: u32, V: u32, tiles: u32, gh: u32, gw: u32,
  idx_base: u32, idx_sb: u32, h_base: u32, e_base: u32, cnt_base: u32, flags: u32, pad0: u32, pad1: u32 }
@group(0) @binding(0) var zt: texture_storage_2d<rgba32float, read>;
@group(0) @binding(1) var et: texture_storage_2d<rgba32float, read>;
@group(0) @binding(2) var<storage, read> E: array<f32>;
@group(0) @binding(3) var<storage, read_write> IDX: array<i32>;
@group(0) @binding(4) var<storage, read_write> H: array<f32>;
@group(0) @binding(5) var<storage, read_write> CNT: array<atomic<i32>>;
@group(0) @binding(6) var<uniform> p: Params;
//#include "_lib/bcast8.wgsl"

const WG: u32 = 8u;
const R: u32 = 32u;         // rows per workgroup
struct Best { d: f32, i: u32 }
var<workgroup> wd: array<f32, 256>;   // lane winners [lane][row]
var<workgroup> wi: array<u32, 256>;
var<workgroup> win: array<u32, 32>;
//#include "_lib/vq_rows.wgsl"
//#include "_lib/vq_winners.wgsl"

// acc + z.x·e0 + z.y·e1 + z.z·e2 + z.w·e3 (one row's 4 channels against 4 codes), in quant/nearest_code's order.
fn mac(acc: vec4f, z: vec4f, e0: vec4f, e1: vec4f, e2: vec4f, e3: vec4f) -> vec4f {
  var a = acc;
  a += z.x * e0; a += z.y * e1; a += z.z * e2; a += z.w * e3;
  return a;
}

// Row winner b after codes v0 .. v0+7 (dots a0 = +0..3, a1 = +4..7; |e|² e0, e1); codes past V are skipped.
fn scan(b: Best, zz: f32, a0: vec4f, a1: vec4f, e0: vec4f, e1: vec4f, v0: u32) -> Best {
  var r = b;
  for (var j = 0u; j < 8u; j++) {
    let lo = j < 4u;
    let d = (zz + select(e1[j & 3u], e0[j & 3u], lo)) + (-2.0 * select(a1[j & 3u], a0[j & 3u], lo));
    let v = v0 + j;
    let take = v < p.V && d == d && (r.i == NONE || d < r.d || (d == r.d && v < r.i));
    r.d = select(r.d, d, take); r.i = select(r.i, v, take);
  }
  return r;
}

@compute @workgroup_size(8)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(subgroup_invocation_id) lane: u32) {
  let m0 = wid.x * R;
  let ya = m0 + lane;
  // |z|² of the 32 rows: zq[i] is row m0 + 8q + i.
  let z0 = bcast8f(textureLoad(zt, vec2u(p.C4, ya)).x); let z1 = bcast8f(textureLoad(zt, vec2u(p.C4, ya + 8u)).x);
  let z2 = bcast8f(textureLoad(zt, vec2u(p.C4, ya + 16u)).x); let z3 = bcast8f(textureLoad(zt, vec2u(p.C4, ya + 24u)).x);
  let none = Best(0.0, NONE);
  var b = array<Best, 32>(
    none, none, none, none, none, none, none, none,
    none, none, none, none, none, none, none, none,
    none, none, none, none, none, none, none, none,
    none, none, none, none, none, none, none, none);
  var acc: array<vec4f, 64>;
  for (var t = 0u; t < p.tiles; t++) {
    // acc[2k + h]: row m0 + k against codes 64·t + 8·lane + 4h .. +3. Literal indices throughout: lavapipe keeps a
    // private array in registers only when every index is a constant (docs/LAVAPIPE_FINDINGS.md).
    acc = array<vec4f, 64>();
    let xq = 16u * t + 2u * lane;
    for (var c4 = 0u; c4 < p.C4; c4++) {
      let r0 = bcast8(textureLoad(zt, vec2u(c4, ya))); let r1 = bcast8(textureLoad(zt, vec2u(c4, ya + 8u)));
      let r2 = bcast8(textureLoad(zt, vec2u(c4, ya + 16u))); let r3 = bcast8(textureLoad(zt, vec2u(c4, ya + 24u)));
      // Channels 4·c4 + j (j = 0..3) of this lane's codes: ej0 = codes +0..3, ej1 = +4..7.
      let yc = 4u * c4;
      let e00 = textureLoad(et, vec2u(xq, yc)); let e01 = textureLoad(et, vec2u(xq + 1u, yc));
      let e10 = textureLoad(et, vec2u(xq, yc + 1u)); let e11 = textureLoad(et, vec2u(xq + 1u, yc + 1u));
      let e20 = textureLoad(et, vec2u(xq, yc + 2u)); let e21 = textureLoad(et, vec2u(xq + 1u, yc + 2u));
      let e30 = textureLoad(et, vec2u(xq, yc + 3u)); let e31 = textureLoad(et, vec2u(xq + 1u, yc + 3u));
    acc[0] = mac(acc[0], r0[0], e00, e10, e20, e30); acc[1] = mac(acc[1], r0[0], e01, e11, e21, e31); acc[2] = mac(acc[2], r0[1], e00, e10, e20, e30); acc[3] = mac(acc[3], r0[1], e01, e11, e21, e31);
    acc[4] = mac(acc[4], r0[2], e00, e10, e20, e30); acc[5] = mac(acc[5], r0[2], e01, e11, e21, e31); acc[6] = mac(acc[6], r0[3], e00, e10, e20, e30); acc[7] = mac(acc[7], r0[3], e01, e11, e21, e31);
    acc[8] = mac(acc[8], r0[4], e00, e10, e20, e30); acc[9] = mac(acc[9], r0[4], e01, e11, e21, e31); acc[10] = mac(acc[10], r0[5], e00, e10, e20, e30); acc[11] = mac(acc[11], r0[5], e01, e11, e21, e31);
    acc[12] = mac(acc[12], r0[6], e00, e10, e20, e30); acc[13] = mac(acc[13], r0[6], e01, e11, e21, e31); acc[14] = mac(acc[14], r0[7], e00, e10, e20, e30); acc[15] = mac(acc[15], r0[7], e01, e11, e21, e31);
    acc[16] = mac(acc[16], r1[0], e00, e10, e20, e30); acc[17] = mac(acc[17], r1[0], e01, e11, e21, e31); acc[18] = mac(acc[18], r1[1], e00, e10, e20, e30); acc[19] = mac(acc[19], r1[1], e01, e11, e21, e31);
    acc[20] = mac(acc[20], r1[2], e00, e10, e20, e30); acc[21] = mac(acc[21], r1[2], e01, e11, e21, e31); acc[22] = mac(acc[22], r1[3], e00, e10, e20, e30); acc[23] = mac(acc[23], r1[3], e01, e11, e21, e31);
    acc[24] = mac(acc[24], r1[4], e00, e10, e20, e30); acc[25] = mac(acc[25], r1[4], e01, e11, e21, e31); acc[26] = mac(acc[26], r1[5], e00, e10, e20, e30); acc[27] = mac(acc[27], r1[5], e01, e11, e21, e31);
    acc[28] = mac(acc[28], r1[6], e00, e10, e20, e30); acc[29] = mac(acc[29], r1[6], e01, e11, e21, e31); acc[30] = mac(acc[30], r1[7], e00, e10, e20, e30); acc[31] = mac(acc[31], r1[7], e01, e11, e21, e31);
    acc[32] = mac(acc[32], r2[0], e00, e10, e20, e30); acc[33] = mac(acc[33], r2[0], e01, e11, e21, e31); acc[34] = mac(acc[34], r2[1], e00, e10, e20, e30); acc[35] = mac(acc[35], r2[1], e01, e11, e21, e31);
    acc[36] = mac(acc[36], r2[2], e00, e10, e20, e30); acc[37] = mac(acc[37], r2[2], e01, e11, e21, e31); acc[38] = mac(acc[38], r2[3], e00, e10, e20, e30); acc[39] = mac(acc[39], r2[3], e01, e11, e21, e31);
    acc[40] = mac(acc[40], r2[4], e00, e10, e20, e30); acc[41] = mac(acc[41], r2[4], e01, e11, e21, e31); acc[42] = mac(acc[42], r2[5], e00, e10, e20, e30); acc[43] = mac(acc[43], r2[5], e01, e11, e21, e31);
    acc[44] = mac(acc[44], r2[6], e00, e10, e20, e30); acc[45] = mac(acc[45], r2[6], e01, e11, e21, e31); acc[46] = mac(acc[46], r2[7], e00, e10, e20, e30); acc[47] = mac(acc[47], r2[7], e01, e11, e21, e31);
    acc[48] = mac(acc[48], r3[0], e00, e10, e20, e30); acc[49] = mac(acc[49], r3[0], e01, e11, e21, e31); acc[50] = mac(acc[50], r3[1], e00, e10, e20, e30); acc[51] = mac(acc[51], r3[1], e01, e11, e21, e31);
    acc[52] = mac(acc[52], r3[2], e00, e10, e20, e30); acc[53] = mac(acc[53], r3[2], e01, e11, e21, e31); acc[54] = mac(acc[54], r3[3], e00, e10, e20, e30); acc[55] = mac(acc[55], r3[3], e01, e11, e21, e31);
    acc[56] = mac(acc[56], r3[4], e00, e10, e20, e30); acc[57] = mac(acc[57], r3[4], e01, e11, e21, e31); acc[58] = mac(acc[58], r3[5], e00, e10, e20, e30); acc[59] = mac(acc[59], r3[5], e01, e11, e21, e31);
    acc[60] = mac(acc[60], r3[6], e00, e10, e20, e30); acc[61] = mac(acc[61], r3[6], e01, e11, e21, e31); acc[62] = mac(acc[62], r3[7], e00, e10, e20, e30); acc[63] = mac(acc[63], r3[7], e01, e11, e21, e31);
    }
    let ee0 = textureLoad(et, vec2u(xq, 4u * p.C4)); let ee1 = textureLoad(et, vec2u(xq + 1u, 4u * p.C4));
    let v0 = 64u * t + 8u * lane;
    b[0] = scan(b[0], z0[0], acc[0], acc[1], ee0, ee1, v0); b[1] = scan(b[1], z0[1], acc[2], acc[3], ee0, ee1, v0); b[2] = scan(b[2], z0[2], acc[4], acc[5], ee0, ee1, v0); b[3] = scan(b[3], z0[3], acc[6], acc[7], ee0, ee1, v0);
    b[4] = scan(b[4], z0[4], acc[8], acc[9], ee0, ee1, v0); b[5] = scan(b[5], z0[5], acc[10], acc[11], ee0, ee1, v0); b[6] = scan(b[6], z0[6], acc[12], acc[13], ee0, ee1, v0); b[7] = scan(b[7], z0[7], acc[14], acc[15], ee0, ee1, v0);
    b[8] = scan(b[8], z1[0], acc[16], acc[17], ee0, ee1, v0); b[9] = scan(b[9], z1[1], acc[18], acc[19], ee0, ee1, v0); b[10] = scan(b[10], z1[2], acc[20], acc[21], ee0, ee1, v0); b[11] = scan(b[11], z1[3], acc[22], acc[23], ee0, ee1, v0);
    b[12] = scan(b[12], z1[4], acc[24], acc[25], ee0, ee1, v0); b[13] = scan(b[13], z1[5], acc[26], acc[27], ee0, ee1, v0); b[14] = scan(b[14], z1[6], acc[28], acc[29], ee0, ee1, v0); b[15] = scan(b[15], z1[7], acc[30], acc[31], ee0, ee1, v0);
    b[16] = scan(b[16], z2[0], acc[32], acc[33], ee0, ee1, v0); b[17] = scan(b[17], z2[1], acc[34], acc[35], ee0, ee1, v0); b[18] = scan(b[18], z2[2], acc[36], acc[37], ee0, ee1, v0); b[19] = scan(b[19], z2[3], acc[38], acc[39], ee0, ee1, v0);
    b[20] = scan(b[20], z2[4], acc[40], acc[41], ee0, ee1, v0); b[21] = scan(b[21], z2[5], acc[42], acc[43], ee0, ee1, v0); b[22] = scan(b[22], z2[6], acc[44], acc[45], ee0, ee1, v0); b[23] = scan(b[23], z2[7], acc[46], acc[47], ee0, ee1, v0);
    b[24] = scan(b[24], z3[0], acc[48], acc[49], ee0, ee1, v0); b[25] = scan(b[25], z3[1], acc[50], acc[51], ee0, ee1, v0); b[26] = scan(b[26], z3[2], acc[52], acc[53], ee0, ee1, v0); b[27] = scan(b[27], z3[3], acc[54], acc[55], ee0, ee1, v0);
    b[28] = scan(b[28], z3[4], acc[56], acc[57], ee0, ee1, v0); b[29] = scan(b[29], z3[5], acc[58], acc[59], ee0, ee1, v0); b[30] = scan(b[30], z3[6], acc[60], acc[61], ee0, ee1, v0); b[31] = scan(b[31], z3[7], acc[62], acc[63], ee0, ee1, v0);
  }
  wd[lane * R + 0u] = b[0].d; wi[lane * R + 0u] = b[0].i; wd[lane * R + 1u] = b[1].d; wi[lane * R + 1u] = b[1].i; wd[lane * R + 2u] = b[2].d; wi[lane * R + 2u] = b[2].i; wd[lane * R + 3u] = b[3].d; wi[lane * R + 3u] = b[3].i;
  wd[lane * R + 4u] = b[4].d; wi[lane * R + 4u] = b[4].i; wd[lane * R + 5u] = b[5].d; wi[lane * R + 5u] = b[5].i; wd[lane * R + 6u] = b[6].d; wi[lane * R + 6u] = b[6].i; wd[lane * R + 7u] = b[7].d; wi[lane * R + 7u] = b[7].i;
  wd[lane * R + 8u] = b[8].d; wi[lane * R + 8u] = b[8].i; wd[lane * R + 9u] = b[9].d; wi[lane * R + 9u] = b[9].i; wd[lane * R + 10u] = b[10].d; wi[lane * R + 10u] = b[10].i; wd[lane * R + 11u] = b[11].d; wi[lane * R + 11u] = b[11].i;
  wd[lane * R + 12u] = b[12].d; wi[lane * R + 12u] = b[12].i; wd[lane * R + 13u] = b[13].d; wi[lane * R + 13u] = b[13].i; wd[lane * R + 14u] = b[14].d; wi[lane * R + 14u] = b[14].i; wd[lane * R + 15u] = b[15].d; wi[lane * R + 15u] = b[15].i;
  wd[lane * R + 16u] = b[16].d; wi[lane * R + 16u] = b[16].i; wd[lane * R + 17u] = b[17].d; wi[lane * R + 17u] = b[17].i; wd[lane * R + 18u] = b[18].d; wi[lane * R + 18u] = b[18].i; wd[lane * R + 19u] = b[19].d; wi[lane * R + 19u] = b[19].i;
  wd[lane * R + 20u] = b[20].d; wi[lane * R + 20u] = b[20].i; wd[lane * R + 21u] = b[21].d; wi[lane * R + 21u] = b[21].i; wd[lane * R + 22u] = b[22].d; wi[lane * R + 22u] = b[22].i; wd[lane * R + 23u] = b[23].d; wi[lane * R + 23u] = b[23].i;
  wd[lane * R + 24u] = b[24].d; wi[lane * R + 24u] = b[24].i; wd[lane * R + 25u] = b[25].d; wi[lane * R + 25u] = b[25].i; wd[lane * R + 26u] = b[26].d; wi[lane * R + 26u] = b[26].i; wd[lane * R + 27u] = b[27].d; wi[lane * R + 27u] = b[27].i;
  wd[lane * R + 28u] = b[28].d; wi[lane * R + 28u] = b[28].i; wd[lane * R + 29u] = b[29].d; wi[lane * R + 29u] = b[29].i; wd[lane * R + 30u] = b[30].d; wi[lane * R + 30u] = b[30].i; wd[lane * R + 31u] = b[31].d; wi[lane * R + 31u] = b[31].i;
  workgroupBarrier();
  // Row m0 + k's winner over the 8 lanes (lane t merges rows t, t + 8, ...); indices and usage counts.
  for (var k = lane; k < R; k += WG) { merge_row(k, p.row0 + m0 + k, m0 + k < p.rows); }
  workgroupBarrier();
  // The looked-up codes in [B, C, gh, gw] layout.
  write_h(lane, p.row0, m0);
}
