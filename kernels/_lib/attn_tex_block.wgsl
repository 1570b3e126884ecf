// _lib/attn_tex_block: the per-block work that attention/forward_tex, backward_dq_tex and backward_dkdv_tex share: the
//   32 × 64 score tile of two packed operands, and acc += weights · rows of a packed operand in 8 rounds of 8.
// The including kernel declares `const NC: u32` (vec4 output columns per lane: ceil(d4 / 8)), the textures tr (rows
//   layout) and tc (columns layout) of _lib/tex_tile.wgsl (included here, with _lib/bcast8.wgsl) and the uniform `p`
//   with fields d4 (head dim / 4) and rounds (8: passed so that the P·V loop stays a loop); it runs 8 invocations in
//   one subgroup of at least 8 and calls both helpers in subgroup-uniform control flow.
// Private state: tile[2r + h] (_lib/tex_tile): the workgroup's row r against the block's rows 8·lane + 4h .. +3;
//   pr[2r + h]: the weights of the same pairs, written by the kernel (probabilities, or dS); acc[r·NC + n]: row r,
//   output column lane + 8n; yb[t·NC + n]: the round's texels of lane t's block row, this lane's columns.
// Numerics: f32 fused multiply-adds in a fixed order: scores over the head dim in order; P·V over the block's rows in
//   8 rounds of 8 (round it: lane t's row 8t + 4·(it / 4) + it % 4), the 8 rows of a round in lane order.
var<private> pr: array<vec4f, 64>;
var<private> acc: array<vec4f, 32 * NC>;
var<private> yb: array<vec4f, 8 * NC>;

// tile = A·Bᵀ over the head dim: A's 32 rows from tr, texel columns ax .. ax + d4 - 1 (this lane's first row ay, its
// others ay + 8, + 16, + 24); B's 64 rows from tc in the columns layout (this lane's texel columns bx, bx + 1; texture
// rows by .. by + 4·d4 - 1). Padding texels hold zeros, so whole tiles are read without masks.
fn attn_tex_scores(ax: u32, ay: u32, bx: u32, by: u32) {
  tile = array<vec4f, 64>();
  for (var kq = 0u; kq < p.d4; kq++) { tex_tile_step(ax + kq, ay, bx, by + 4u * kq); }
}

// acc += pr · Y for the block of 64 rows from j0: Y's rows are tr's texture rows j0 .. j0 + 63, its columns the texel
// columns yx + (this lane's output columns; l = lane). Round it loads, for each lane t, row j0 + 8t + 4·(it / 4) +
// it % 4 (NC texels of it: this lane's columns), and every one of the workgroup's 32 rows adds its weights for those 8
// rows (broadcast from their lanes) times them.
fn attn_tex_pv(yx: u32, j0: u32, l: u32) {
  var cols: array<u32, NC>; // this lane's output columns (past d4: the last one, whose sums are not stored)
  for (var n = 0u; n < NC; n++) { cols[n] = min(l + 8u * n, p.d4 - 1u); }
  for (var it = 0u; it < p.rounds; it++) {
    let jb = j0 + 4u * (it / 4u) + it % 4u;
    for (var t = 0u; t < 8u; t++) { for (var n = 0u; n < NC; n++) { yb[t * NC + n] = textureLoad(tr, vec2u(yx + cols[n], jb + 8u * t)); } }
    pv_row(0u, it); pv_row(1u, it); pv_row(2u, it); pv_row(3u, it); pv_row(4u, it); pv_row(5u, it); pv_row(6u, it); pv_row(7u, it);
    pv_row(8u, it); pv_row(9u, it); pv_row(10u, it); pv_row(11u, it); pv_row(12u, it); pv_row(13u, it); pv_row(14u, it); pv_row(15u, it);
    pv_row(16u, it); pv_row(17u, it); pv_row(18u, it); pv_row(19u, it); pv_row(20u, it); pv_row(21u, it); pv_row(22u, it); pv_row(23u, it);
    pv_row(24u, it); pv_row(25u, it); pv_row(26u, it); pv_row(27u, it); pv_row(28u, it); pv_row(29u, it); pv_row(30u, it); pv_row(31u, it);
  }
}

// Row r: acc += the round's 8 weights of row r (one column of each lane, broadcast) times those rows' texels in yb.
fn pv_row(r: u32, it: u32) {
  let x = select(pr[2u * r], pr[2u * r + 1u], it >= 4u);
  let w = bcast8f(x[it % 4u]);
  for (var n = 0u; n < NC; n++) {
    var a = acc[r * NC + n];
    a = fma(vec4f(w[0]), yb[n], a); a = fma(vec4f(w[1]), yb[NC + n], a);
    a = fma(vec4f(w[2]), yb[2u * NC + n], a); a = fma(vec4f(w[3]), yb[3u * NC + n], a);
    a = fma(vec4f(w[4]), yb[4u * NC + n], a); a = fma(vec4f(w[5]), yb[5u * NC + n], a);
    a = fma(vec4f(w[6]), yb[6u * NC + n], a); a = fma(vec4f(w[7]), yb[7u * NC + n], a);
    acc[r * NC + n] = a;
  }
}

//#include "_lib/tex_tile.wgsl"
