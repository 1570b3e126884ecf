// _lib/sum8: the sum of 8 partial sums as a pairwise tree ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7)).
fn sum8(s: array<f32, 8>) -> f32 {
  return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
}
