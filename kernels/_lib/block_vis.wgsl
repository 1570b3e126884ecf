// _lib/block_vis: the block-causal decision for one block of 32 (4 per lane of an 8-lane subgroup), made workgroup-uniform.
// Rule: query i sees key j iff level(j) <= level(i). `lv` = this lane's 4 levels of the block; [rows_lo, rows_hi] =
// the level range of the workgroup's own rows; `block_is_keys`: the block holds keys (rows are queries), else queries.
// Returns (skip: no row sees any pair of the block, full: every pair is visible) for a `continue` and a mask-free path.
// Call in uniform control flow (subgroup operations and a workgroup barrier); `lane` = local invocation index.
var<workgroup> block_vis_wu: vec2u;
fn block_vis(lv: vec4i, rows_lo: i32, rows_hi: i32, block_is_keys: bool, lane: u32) -> vec2u {
  let lo = subgroupMin(min(min(lv.x, lv.y), min(lv.z, lv.w)));
  let hi = subgroupMax(max(max(lv.x, lv.y), max(lv.z, lv.w)));
  var d = vec2u(select(0u, 1u, hi < rows_lo), select(0u, 1u, lo >= rows_hi)); // a block of queries against key rows
  if (block_is_keys) { d = vec2u(select(0u, 1u, lo > rows_hi), select(0u, 1u, hi <= rows_lo)); }
  if (lane == 0u) { block_vis_wu = d; }
  return workgroupUniformLoad(&block_vis_wu);
}
