// _lib/divmod: integer quotient and remainder through the float unit, for kernels that divide by a runtime value.
// (n / d, n % d) through an f32 quotient and one correction step (exact for quotients below 2^22): lavapipe runs
// integer division lane by lane, float division on the whole vector.
fn divmod(n: u32, d: u32) -> vec2u {
  var q = u32(f32(n) / f32(d));
  if (q * d > n) { q -= 1u; } else if ((q + 1u) * d <= n) { q += 1u; }
  return vec2u(q, n - q * d);
}
