// _lib/tex_mac: the 32 × 64 accumulator tile of the texture products and the multiply-add chain that updates it, shared
//   by the steps of _lib/tex_tile.wgsl (A shared by subgroupBroadcast) and _lib/tex_tile_loads.wgsl (every lane loads A).
// tile[2r + h]: row r (0..31) over this lane's columns 8·lane + 4h .. +3 of the 64 (the 32 × 32 tile of matmul_tex's
//   NARROW uses tile[2r] only, columns 4·lane .. +3 of 32); zero-initialised, the caller
//   clears it between products. Written out with literal indices: lavapipe keeps a private array in registers only
//   when every index is a constant, and it does not unroll loops this large.
// Numerics: per step and accumulator a chain of four fused multiply-adds in the order of the shared dimension.
// The including kernel declares the read-only rgba32float storage texture `tc` (B), which tex_b reads by name.
var<private> tile: array<vec4f, 64>;

// One step's 8 B texels of this lane: bjh = B's step row j (j = 0..3) over the lane's columns 4h .. 4h+3 of its 8
// (h = 0, 1), at texels (bx + h + j·dx, by + j·dy): (dx, dy) = (0, 1) is B row-major, (16, 0) matmul_tex's column
// tiles (a step's 4 rows of a 64-column tile side by side in one texture row).
struct TexB { b00: vec4f, b10: vec4f, b20: vec4f, b30: vec4f, b01: vec4f, b11: vec4f, b21: vec4f, b31: vec4f }
fn tex_b(bx: u32, by: u32, dx: u32, dy: u32) -> TexB {
  return TexB(textureLoad(tc, vec2u(bx, by)), textureLoad(tc, vec2u(bx + dx, by + dy)),
              textureLoad(tc, vec2u(bx + 2u * dx, by + 2u * dy)), textureLoad(tc, vec2u(bx + 3u * dx, by + 3u * dy)),
              textureLoad(tc, vec2u(bx + 1u, by)), textureLoad(tc, vec2u(bx + dx + 1u, by + dy)),
              textureLoad(tc, vec2u(bx + 2u * dx + 1u, by + 2u * dy)), textureLoad(tc, vec2u(bx + 3u * dx + 1u, by + 3u * dy)));
}

// acc + a.x·b0 + a.y·b1 + a.z·b2 + a.w·b3 as a chain of fused multiply-adds (a = one row over 4 steps; b0..b3 = 4
// columns at those steps).
fn mac(acc: vec4f, a: vec4f, b0: vec4f, b1: vec4f, b2: vec4f, b3: vec4f) -> vec4f {
  return fma(vec4f(a.w), b3, fma(vec4f(a.z), b2, fma(vec4f(a.y), b1, fma(vec4f(a.x), b0, acc))));
}
