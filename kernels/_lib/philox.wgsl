// ---- _lib/philox.wgsl: Philox-4x32-10 (Salmon et al. 2011), the same block function as rng/philox.wgsl and
// src/engine/rng.ts, for kernels that draw a variable number of random values per invocation ----
const PHILOX_M0: u32 = 0xd2511f53u;
const PHILOX_M1: u32 = 0xcd9e8d57u;
const PHILOX_W0: u32 = 0x9e3779b9u;
const PHILOX_W1: u32 = 0xbb67ae85u;

/** (hi, lo) words of the 64-bit product a * b, from 16-bit halves (WGSL has no u64). */
fn philox_mulhilo(a: u32, b: u32) -> vec2u {
  let al = a & 0xffffu; let ah = a >> 16u; let bl = b & 0xffffu; let bh = b >> 16u;
  let ll = al * bl; let lh = al * bh; let hl = ah * bl;
  let mid = (ll >> 16u) + (lh & 0xffffu) + (hl & 0xffffu);
  return vec2u(ah * bh + (lh >> 16u) + (hl >> 16u) + (mid >> 16u), a * b);
}

/** Four random u32 for a 128-bit counter under a 64-bit key. */
fn philox4x32_10(ctr: vec4u, key: vec2u) -> vec4u {
  var c = ctr;
  var k = key;
  for (var r = 0u; r < 10u; r++) {
    let p0 = philox_mulhilo(PHILOX_M0, c.x);
    let p1 = philox_mulhilo(PHILOX_M1, c.z);
    c = vec4u(p1.x ^ c.y ^ k.x, p1.y, p0.x ^ c.w ^ k.y, p0.y);
    k += vec2u(PHILOX_W0, PHILOX_W1);
  }
  return c;
}

/** u32 -> f32 in the open interval (0, 1): (x >> 8) + 1/2 in steps of 2^-24 (never 0 or 1, so log() stays finite). */
fn philox_u01_open(x: u32) -> f32 { return (f32(x >> 8u) + 0.5) * 5.9604644775390625e-8; }
