// _lib/gn_groupsum: Σ_{r < n} S[base + r·stride] in reduce/reduce's order (64 running sums r = t, t + 64, .., then its
//   pairwise tree), so that the fused groupNorm statistics equal the separate reductions bit for bit.
// The including kernel declares `S: array<f32>` (read). Runs in one invocation (a private array of 64).
fn gn_groupsum(base: u32, stride: u32, n: u32) -> f32 {
  var a: array<f32, 64>;
  for (var t = 0u; t < 64u; t++) {
    var acc = 0.0;
    for (var r = t; r < n; r += 64u) { acc += S[base + r * stride]; }
    a[t] = acc;
  }
  for (var s = 32u; s > 0u; s >>= 1u) { for (var t = 0u; t < s; t++) { a[t] += a[t + s]; } }
  return a[0];
}
