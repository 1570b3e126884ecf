// ---- _lib/rowreduce.wgsl: workgroup-wide sum / max of one f32 per invocation (pairwise tree in workgroup memory) ----
// The including kernel declares `const WG: u32` (a power of two, its workgroup size). Call from uniform control flow:
// every invocation of the workgroup must call, with t = local_invocation_id.x; all get the result.
var<workgroup> wg_red: array<f32, WG>;
fn wg_sum(t: u32, v: f32) -> f32 {
  wg_red[t] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (t < s) { wg_red[t] += wg_red[t + s]; }
    workgroupBarrier();
  }
  let r = wg_red[0];
  workgroupBarrier(); // wg_red is reused by the next call
  return r;
}
fn wg_max(t: u32, v: f32) -> f32 {
  wg_red[t] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (t < s) { wg_red[t] = max(wg_red[t], wg_red[t + s]); }
    workgroupBarrier();
  }
  let r = wg_red[0];
  workgroupBarrier();
  return r;
}
