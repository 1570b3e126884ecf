// _lib/tex_mac: the 32 × 64 accumulator tile of the texture products and the multiply-add chain that updates it, shared
//   by the steps of _lib/tex_tile.wgsl (A shared by subgroupBroadcast) and _lib/tex_tile_loads.wgsl (every lane loads A).
// tile[2r + h]: row r (0..31) over this lane's columns 8·lane + 4h .. +3 of the 64; zero-initialised, the caller
//   clears it between products. Written out with literal indices: lavapipe keeps a private array in registers only
//   when every index is a constant, and it does not unroll loops this large.
// Numerics: per step and accumulator a chain of four fused multiply-adds in the order of the shared dimension.
var<private> tile: array<vec4f, 64>;

// acc + a.x·b0 + a.y·b1 + a.z·b2 + a.w·b3 as a chain of fused multiply-adds (a = one row over 4 steps; b0..b3 = 4
// columns at those steps).
fn mac(acc: vec4f, a: vec4f, b0: vec4f, b1: vec4f, b2: vec4f, b3: vec4f) -> vec4f {
  return fma(vec4f(a.w), b3, fma(vec4f(a.z), b2, fma(vec4f(a.y), b1, fma(vec4f(a.x), b0, acc))));
}
