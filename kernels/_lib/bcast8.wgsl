// _lib/bcast8: every lane's value (lanes 0..7 of the subgroup), in every lane: subgroupBroadcast needs a constant lane.
// Call in subgroup-uniform control flow with at least 8 invocations per subgroup (the *_sg kernels' dispatch).
fn bcast8(v: vec4f) -> array<vec4f, 8> {
  return array<vec4f, 8>(subgroupBroadcast(v, 0u), subgroupBroadcast(v, 1u), subgroupBroadcast(v, 2u), subgroupBroadcast(v, 3u),
                         subgroupBroadcast(v, 4u), subgroupBroadcast(v, 5u), subgroupBroadcast(v, 6u), subgroupBroadcast(v, 7u));
}
fn bcast8f(v: f32) -> array<f32, 8> {
  return array<f32, 8>(subgroupBroadcast(v, 0u), subgroupBroadcast(v, 1u), subgroupBroadcast(v, 2u), subgroupBroadcast(v, 3u),
                       subgroupBroadcast(v, 4u), subgroupBroadcast(v, 5u), subgroupBroadcast(v, 6u), subgroupBroadcast(v, 7u));
}
fn bcast8i(v: i32) -> array<i32, 8> {
  return array<i32, 8>(subgroupBroadcast(v, 0u), subgroupBroadcast(v, 1u), subgroupBroadcast(v, 2u), subgroupBroadcast(v, 3u),
                       subgroupBroadcast(v, 4u), subgroupBroadcast(v, 5u), subgroupBroadcast(v, 6u), subgroupBroadcast(v, 7u));
}
// The maximum of v over lanes 0..7, in every lane: eight broadcasts and seven max. lavapipe compiles subgroupMax to
// a loop over the lanes with a branch per lane, several times slower per row of an online softmax. Exact (same value
// as subgroupMax with 8 active lanes, whatever the order).
fn max8f(v: f32) -> f32 {
  let a = bcast8f(v);
  return max(max(max(a[0], a[1]), max(a[2], a[3])), max(max(a[4], a[5]), max(a[6], a[7])));
}
