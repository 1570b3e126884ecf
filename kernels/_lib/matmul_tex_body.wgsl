// _lib/matmul_tex_body: the texture product shared by matmul/matmul_tex (A rows shared by subgroupBroadcast) and
//   matmul/matmul_tex_loads (every lane loads all 32 A rows): bindings, Params, B's walk, the k loop and the epilogue;
//   the including kernel brings the step (tex_tile_step_d: _lib/tex_tile.wgsl or _lib/tex_tile_loads.wgsl) and main.
// Bindings: 0 tr (read-only rgba32float storage texture, A), 1 tc (same, B), 2 bias (read; a dummy when flags bits 0
//   and 2 are clear), 3 C (read_write, f32), 4 Params (uniform).
// Params: m, n: product sizes; kq: steps of 4 in k (k padded to 4·kq with zeros); flags: bit 0 bias per column n, bit 1
//   accumulate into C, bit 2 bias per row m (conv2d's per output channel); c_base, bias_base: window offsets; c_rs: C's row stride; nb batch dims of sizes bshape with, per dim, the
//   texture rows a_bs / b_bs that one step moves in tr / tc (0 where the operand is broadcast) and C's stride c_bs;
//   a_y0, a_x0: A's first texture row and texel column (conv2d reads an output-channel range and a k range of a
//   prepared weight texture; a plain product passes 0, 0); a_rpb, a_xstep: A's rows come in blocks of a_rpb (a
//   multiple of 32), block j read from texture rows a_y0 .. a_y0 + a_rpb − 1 shifted right by j·a_xstep texels
//   (conv2d's weight gradient over shifted rows; a plain product passes a_rpb = 2^32 − 1, a_xstep 0).
//   b_ts: texture rows from one column tile to the next (column-tiled B; 0 row-major); kblk, b_bshift (define
//   B_BLOCKS): column-tiled B read in blocks of kblk steps, block i from the start of the tile i·b_bshift texture
//   rows past the workgroup's own (conv2d's shifted rows in column tiles: a shift of ky image rows is a whole number
//   of stored tiles). fold_p, fold_bs: C's columns folded (fold_p > 0; 0: not folded), below.
// Defines: NARROW (below); B_TILED (true, false): B's layout below. Column tile X starts at texel (16·X, 0) (row-major) or (0, b_ts·X)
//   (column-tiled) past its batch item's first row; step s's 4 rows are at that start + (s mod kpb)·(0, 4) +
//   ⌊s / kpb⌋·(xstep, 0) (row-major), or + (s mod kpb)·(64, 0) + ⌊s / kpb⌋·(0, 1) (column-tiled); row j of the step a
//   further j·(0, 1) or j·(16, 0).
// Layouts (written by matmul/pack_tex* or copied): tr texel (x, ay + m) = A[m, 4x .. 4x+3], a batch item's rows padded to
//   32 (or k-major, define A_KMAJOR below).
//   tc either row-major: texel (x, by + k) = B[k, 4x .. 4x+3], columns padded to 64 and rows to 4·kq (conv2d's blocks
//   of kpb steps shifted by xstep texels), or in column tiles (B_TILED; kpb = q, xstep 0): tile X of
//   every batch item is 4·kq rows of 64 columns, stored as texture rows of q steps (64·q texels: texel
//   64·(s mod q) + 16·j + t of row ⌊s / q⌋ = B[4s + j, 64X + 4t .. +3]), tile after tile (b_ts rows apart), so that a
//   workgroup reads B front to back in memory. Row-major B is
//   read 256 bytes per texture row, rows a whole row pitch apart, which the CPU does not prefetch across pages
//   (measured: docs/LAVAPIPE_FINDINGS.md, "Where the texture matmul's time went"). Padding holds zeros.
// Dispatch: a workgroup of exactly 8 invocations (llvmpipe: its SIMD width) computes rows m0 .. m0+31 (m0 = 32·Y) and
//   columns 64·X .. +63 of batch item z; lane L owns columns 64·X + 8L .. +7 (256 multiply-adds per step of 4 in k
//   into 64 vec4 accumulators, _lib/tex_mac.wgsl). How the 32 rows' A texels reach every lane is the step's: the
//   kernels' headers. Grid (ceil(n / 64), ceil(m / 32), batch). With NARROW (n ≤ 32) the tile is 32 × 32, lane L owning
//   columns 32·X + 4L .. +3 (32 vec4 accumulators, 8 texel loads per step); grid (ceil(n / 32), ceil(m / 32), batch).
// Numerics: f32 fused multiply-add over k in order (zero padding adds exact zeros); bias and C added after the sum.
@group(0) @binding(0) var tr: texture_storage_2d<rgba32float, read>;
@group(0) @binding(1) var tc: texture_storage_2d<rgba32float, read>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> C: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;
// B's layout (define B_TILED): the step's row j at texels (bx + j·BDX, by + j·BDY).
const B_TILED: bool = {{B_TILED}};
const BDX = select(0u, 16u, B_TILED);
const BDY = select(1u, 0u, B_TILED);
// Define B_BLOCKS (true, false): column-tiled B read in blocks of kblk steps, each from the start of a tile b_bshift
// texture rows further on (conv2d's shifted rows, tiled).
const B_BLOCKS: bool = {{B_BLOCKS}};
// C's columns folded where fold_p > 0: column n of the product is pixel n mod fold_p of image ⌊n / fold_p⌋, the images
// fold_bs elements apart in C (conv2d on planes smaller than a column tile: several images share one tile). A Params
// value, not a define: it only changes the epilogue's column offsets (one division per lane), and a define would make
// a pipeline of its own, slow to create on lavapipe (docs/LAVAPIPE_FINDINGS.md, "Why the adapter profile picks what it
// picks").
// Define NARROW (true, false): a 32 × 32 tile, lane L owning columns 32·X + 4L .. +3 (tex_tile_step_n: the left halves
// tile[2r] only), for products of at most 32 columns, which the 64-column tile would run half on padding.
const NARROW: bool = {{NARROW}};
// Define A_KMAJOR (true, false; never with NARROW): A laid out k-major, texel (x, y) = A[rows 4x .. 4x+3, k = y − item's
// first row] (an operand contiguous along its rows, e.g. dyᵀ of linear's weight gradient, copied as it is instead of
// transposed); the workgroup's 8 groups of 4 rows are texel columns m0/4 .. m0/4 + 7, a batch item's k rows start at
// texture row a_y0 + Σ i·a_bs (a_x0, a_rpb and a_xstep unused). Its padding: texels past m may hold anything (rows of C
// past m are not stored), rows past k must hold zeros up to 4·kq (they meet B's zero rows, and NaN·0 is NaN).
const A_KMAJOR: bool = {{A_KMAJOR}};
const TN = select(64u, 32u, NARROW);

struct Params {
  m: u32, n: u32, kq: u32, flags: u32,
  c_base: u32, bias_base: u32, c_rs: u32, nb: u32,
  kpb: u32, xstep: u32, a_y0: u32, a_x0: u32,
  a_rpb: u32, a_xstep: u32, b_ts: u32, kblk: u32,
  b_bshift: u32, fold_p: u32, fold_bs: u32, pad0: u32,
  bshape: vec4u, a_bs: vec4u, b_bs: vec4u, c_bs: vec4u,
}

// The product of workgroup wid (dispatch: kernel header); lane: this invocation's lane 0..7, a_lane: the A row offset
// the step wants (lane for _lib/tex_tile.wgsl, whose lanes load rows lane + 8q; 0 for _lib/tex_tile_loads.wgsl).
fn matmul_tex(wid: vec3u, lane: u32, a_lane: u32) {
  // Batch item z: its first texture rows in tr and tc, and its offset in C.
  var ay = p.a_y0; var by = 0u; var co = p.c_base; var rem = wid.z;
  for (var d = i32(p.nb) - 1; d >= 0; d--) {
    let s = p.bshape[d]; let i = rem % s; rem = rem / s;
    ay += i * p.a_bs[d]; by += i * p.b_bs[d]; co += i * p.c_bs[d];
  }
  let m0 = wid.y * 32u;
  let blk = m0 / p.a_rpb;
  let ya = ay + (m0 - blk * p.a_rpb) + a_lane;
  let ax = p.a_x0 + blk * p.a_xstep;
  // A_KMAJOR: the texel column of this lane's group of 4 rows (tex_tile_step_k; a_lane 0: every lane reads all 8).
  let kx = m0 / 4u + a_lane;
  // B's walk (header): this tile's first texel, then per step 4·(BDX, BDY) within a block of kpb steps; per block the
  // offset restarts and the base moves by xstep texels (row-major) or one row (column-tiled).
  // NARROW: tile X is the left (X even) or right half of the stored 64-column tile ⌊X / 2⌋, one texel per lane.
  var bx = select(16u * wid.x, 0u, B_TILED) + 2u * lane; var byb = by + p.b_ts * wid.x;
  if (NARROW) { bx = select(8u * wid.x, 8u * (wid.x % 2u), B_TILED) + lane; byb = by + p.b_ts * (wid.x / 2u); }
  // tile (_lib/tex_tile.wgsl), zero-initialised: tile[2r + h] = row m0 + r over columns 64·X + 8·lane + 4h .. +3.
  var kb = 0u; var ox = 0u; var oy = 0u; var kk = 0u; var byb0 = byb;
  for (var kq = 0u; kq < p.kq; kq++) {
    // A's 32 rows over k = 4·kq .. +3 (how they reach every lane: the step's); B rows 4·kq + j (j = 0..3) of this lane's columns.
    if (NARROW) { tex_tile_step_n(ax + kq, ya, bx + ox, byb + oy, BDX, BDY); }
    else if (A_KMAJOR) { tex_tile_step_k(kx, ay + 4u * kq, bx + ox, byb + oy, BDX, BDY); }
    else { tex_tile_step_d(ax + kq, ya, bx + ox, byb + oy, BDX, BDY); }
    // The walk's wraps as selects, not branches: an `if` in this loop split it, and LLVM stored and reloaded the
    // accumulators around the branch (docs/LAVAPIPE_FINDINGS.md, "A branch in the k loop").
    kb += 1u;
    let wrap = kb == p.kpb;
    kb = select(kb, 0u, wrap); ox = select(ox + 4u * BDX, 0u, wrap); oy = select(oy + 4u * BDY, 0u, wrap);
    bx += select(0u, p.xstep, wrap); byb += select(0u, 1u, B_TILED && wrap);
    if (B_BLOCKS) {
      kk += 1u;
      let blk = kk == p.kblk;
      kk = select(kk, 0u, blk); kb = select(kb, 0u, blk); ox = select(ox, 0u, blk);
      byb0 += select(0u, p.b_bshift, blk); byb = select(byb, byb0, blk);
    }
  }

  // Epilogue: + bias, + C when accumulating; rows and columns past m and n are not stored.
  let n0 = TN * wid.x + select(8u, 4u, NARROW) * lane;
  // Every column of the workgroup's 64 exists, and (folded) each lane's 8 stay in one image: the stores below go
  // without a check per column, from the C offset of the lane's first column.
  let full = TN * wid.x + TN <= p.n && (p.fold_p & select(7u, 3u, NARROW)) == 0u;
  // The lane's first column's offset in a row of C, decoded once (a folded C's division runs lane by lane).
  let cn0 = col(n0);
  var bv0 = vec4f(0.0); var bv1 = vec4f(0.0);
  if ((p.flags & 1u) != 0u) {
    let q = p.bias_base; let last = p.n - 1u;
    bv0 = vec4f(bias[q + min(n0, last)], bias[q + min(n0 + 1u, last)], bias[q + min(n0 + 2u, last)], bias[q + min(n0 + 3u, last)]);
    bv1 = vec4f(bias[q + min(n0 + 4u, last)], bias[q + min(n0 + 5u, last)], bias[q + min(n0 + 6u, last)], bias[q + min(n0 + 7u, last)]);
  }
  put(co, m0 + 0u, n0, cn0, full, tile[0] + bv0, tile[1] + bv1); put(co, m0 + 1u, n0, cn0, full, tile[2] + bv0, tile[3] + bv1); put(co, m0 + 2u, n0, cn0, full, tile[4] + bv0, tile[5] + bv1); put(co, m0 + 3u, n0, cn0, full, tile[6] + bv0, tile[7] + bv1);
  put(co, m0 + 4u, n0, cn0, full, tile[8] + bv0, tile[9] + bv1); put(co, m0 + 5u, n0, cn0, full, tile[10] + bv0, tile[11] + bv1); put(co, m0 + 6u, n0, cn0, full, tile[12] + bv0, tile[13] + bv1); put(co, m0 + 7u, n0, cn0, full, tile[14] + bv0, tile[15] + bv1);
  put(co, m0 + 8u, n0, cn0, full, tile[16] + bv0, tile[17] + bv1); put(co, m0 + 9u, n0, cn0, full, tile[18] + bv0, tile[19] + bv1); put(co, m0 + 10u, n0, cn0, full, tile[20] + bv0, tile[21] + bv1); put(co, m0 + 11u, n0, cn0, full, tile[22] + bv0, tile[23] + bv1);
  put(co, m0 + 12u, n0, cn0, full, tile[24] + bv0, tile[25] + bv1); put(co, m0 + 13u, n0, cn0, full, tile[26] + bv0, tile[27] + bv1); put(co, m0 + 14u, n0, cn0, full, tile[28] + bv0, tile[29] + bv1); put(co, m0 + 15u, n0, cn0, full, tile[30] + bv0, tile[31] + bv1);
  put(co, m0 + 16u, n0, cn0, full, tile[32] + bv0, tile[33] + bv1); put(co, m0 + 17u, n0, cn0, full, tile[34] + bv0, tile[35] + bv1); put(co, m0 + 18u, n0, cn0, full, tile[36] + bv0, tile[37] + bv1); put(co, m0 + 19u, n0, cn0, full, tile[38] + bv0, tile[39] + bv1);
  put(co, m0 + 20u, n0, cn0, full, tile[40] + bv0, tile[41] + bv1); put(co, m0 + 21u, n0, cn0, full, tile[42] + bv0, tile[43] + bv1); put(co, m0 + 22u, n0, cn0, full, tile[44] + bv0, tile[45] + bv1); put(co, m0 + 23u, n0, cn0, full, tile[46] + bv0, tile[47] + bv1);
  put(co, m0 + 24u, n0, cn0, full, tile[48] + bv0, tile[49] + bv1); put(co, m0 + 25u, n0, cn0, full, tile[50] + bv0, tile[51] + bv1); put(co, m0 + 26u, n0, cn0, full, tile[52] + bv0, tile[53] + bv1); put(co, m0 + 27u, n0, cn0, full, tile[54] + bv0, tile[55] + bv1);
  put(co, m0 + 28u, n0, cn0, full, tile[56] + bv0, tile[57] + bv1); put(co, m0 + 29u, n0, cn0, full, tile[58] + bv0, tile[59] + bv1); put(co, m0 + 30u, n0, cn0, full, tile[60] + bv0, tile[61] + bv1); put(co, m0 + 31u, n0, cn0, full, tile[62] + bv0, tile[63] + bv1);
}

// Row m of C over columns n0 .. n0+7 (those that exist; cn0 = col(n0)): v0 = columns +0..3, v1 = +4..7; + the row's
// bias; + C when accumulating. `full`: all 8 columns exist (workgroup-uniform), so the 8 stores are written out with
// constant offsets and no per-column test: lavapipe stores a storage buffer lane by lane, and a loop with a test per
// column costs several times the stores themselves (docs/LAVAPIPE_FINDINGS.md, "The matmul epilogue").
fn put(co: u32, m: u32, n0: u32, cn0: u32, full: bool, v0: vec4f, v1: vec4f) {
  if (m < p.m) {
    var rb = 0.0;
    if ((p.flags & 4u) != 0u) { rb = bias[p.bias_base + m]; }
    let w0 = v0 + rb; let w1 = v1 + rb;
    let at = co + m * p.c_rs + cn0;
    let accumulate = (p.flags & 2u) != 0u;
    if (full && accumulate) {
      C[at] = C[at] + w0.x; C[at + 1u] = C[at + 1u] + w0.y; C[at + 2u] = C[at + 2u] + w0.z; C[at + 3u] = C[at + 3u] + w0.w;
      if (!NARROW) { C[at + 4u] = C[at + 4u] + w1.x; C[at + 5u] = C[at + 5u] + w1.y; C[at + 6u] = C[at + 6u] + w1.z; C[at + 7u] = C[at + 7u] + w1.w; }
    } else if (full) {
      C[at] = w0.x; C[at + 1u] = w0.y; C[at + 2u] = w0.z; C[at + 3u] = w0.w;
      if (!NARROW) { C[at + 4u] = w1.x; C[at + 5u] = w1.y; C[at + 6u] = w1.z; C[at + 7u] = w1.w; }
    } else {
      let r = co + m * p.c_rs;
      for (var j = 0u; j < select(8u, 4u, NARROW); j++) {
        if (n0 + j < p.n) {
          let v = select(w1[j % 4u], w0[j % 4u], j < 4u);
          let cj = r + col(n0 + j);
          if (accumulate) { C[cj] = C[cj] + v; } else { C[cj] = v; }
        }
      }
    }
  }
}

// Column n's offset in a row of C: n, or (folded) its image's offset plus its pixel.
fn col(n: u32) -> u32 {
  if (p.fold_p == 0u) { return n; }
  let bp = divmod(n, p.fold_p);
  return bp.x * p.fold_bs + bp.y;
}

//#include "_lib/divmod.wgsl"
