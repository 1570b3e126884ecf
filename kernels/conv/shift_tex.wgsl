// conv/shift_tex: T[s·rows_p + 3c + kx, x] = (X̂[s, c, kx, 4x], .., +3), X̂[s, c, kx, yy·W + xx] = x[s, c, row0 + yy − 1, xx + kx − 1] (zero outside x): each channel's 3×3-pad-1 input rows from padded row row0 on, one copy per column shift kx; written to a staging buffer in the texture's texel layout that copyBufferToTexture copies into it.
// Bindings: 0 src (read, f32 x [images, channels c_lo .. c_hi − 1, H, W]), 1 dst (read_write, vec4 texels: texture row y at (y − y0)·pitch; the staging of matmul_tex's B operand, read with kpb/xstep row shifts), 2 coef (read,
//   vec4 per (image, channel) plane; any binding when PRE is false), 3 Params (uniform).
// Define PRE (true, false): x is read through groupNorm's per-plane coefficients and SiLU first (inference's
//   conv2d(silu(groupNorm(x))) without the normalised tensor): X̂ holds silu(x·k.x + (x − k.w)·k.y + k.z), k = coef[coef_base
//   + image·C + channel], norm/groupnorm_apply's expression and order; the zero padding stays zero.
// Params: C, H, W: input planes (W a multiple of 4, so a texel never straddles two rows; yy runs over the padded
//   rows); base: window offset of image 0, channel c_lo; bstride: elements per image; rows_p: texture rows per image
//   (3·C padded to 4); width, height: the texels to write (images·rows_p rows); row0: the first padded row (the
//   output row where a chunk of rows starts); c_lo, c_hi: the channels this dispatch owns (the bound window holds
//   those): it writes rows 3c .. 3c + 2 of them, and the padding rows past 3·C when c_hi = C. matmul_tex reads
//   k = (ky, c, kx) as row 3c + kx shifted by ky·W / 4 texels, so the pixel oy·W + ox of row ky is padded row
//   row0 + oy + ky. y0, pitch: the first texture row this dispatch writes (its staging row 0) and the staging's row
//   pitch in texels; height: one past the last row it writes.
//   q, rb, ts, tstride (q > 0): the texture is matmul_tex's column-tiled B instead (B_TILED with blocks): stored tile u
//   covers the row-major texel columns tstride·u .. +15 (tiles overlap where tstride < 16); texel (x, y) with
//   y = u·ts + s·rb + i holds layout row 4·(i·q + ⌊x / 64⌋) + (x mod 64) / 16 of image s at column tstride·u + x mod
//   16; rows past rows_p hold zeros. width is then 64·q.
//   tn, g0, nimg (the grid): row triples per image or tile (c_hi − c_lo, plus the padding triples past 3·C when
//   c_hi = C); the first image (row-major) or stored tile (q > 0) of the grid; images per stored tile (q > 0).
//   coef_base: the coefficient index of the window's image 0, channel 0 (PRE).
// Dispatch: one invocation per TPI consecutive texel columns of one channel's three rows (kx = 0, 1, 2: one sliding
//   window of the input row serves all three, 4 loads per column instead of 12), workgroup 8 × 8. Grid x: runs of TPI
//   columns over width (row-major), or 16 / TPI runs per stored tile from tile g0 on (q > 0); grid y: image (from g0,
//   row-major) or image within the tile (q > 0), times tn triples. Rows outside y0 .. height − 1 are not written.
// Numerics: a copy (PRE: groupnorm_apply's f32 arithmetic and _lib/math.wgsl's silu_safe, the same values); the border
//   taps, texels past the padded image and rows past 3·C hold exact zeros.
@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read_write> dst: array<vec4f>;
@group(0) @binding(2) var<storage, read> coef: array<vec4f>;
@group(0) @binding(3) var<uniform> p: Params;

struct Params {
  C: u32, H: u32, W: u32, base: u32,
  bstride: u32, rows_p: u32, width: u32, height: u32,
  row0: u32, c_lo: u32, c_hi: u32, y0: u32,
  pitch: u32, q: u32, rb: u32, ts: u32,
  tstride: u32, tn: u32, g0: u32, nimg: u32,
  coef_base: u32,
}

const PRE: bool = {{PRE}};
//#include "_lib/math.wgsl"

/** Texel columns per invocation (divides 16, the columns of a stored tile). */
const TPI = 8u;

// x's values as the product sees them: themselves, or (PRE) normalised with the plane's coefficients k and through SiLU.
fn pre4(v: vec4f, k: vec4f) -> vec4f {
  if (!PRE) { return v; }
  let o = v * k.x + (v - vec4f(k.w)) * k.y + vec4f(k.z);
  return vec4f(silu_safe(o.x), silu_safe(o.y), silu_safe(o.z), silu_safe(o.w));
}
fn pre1(v: f32, k: vec4f) -> f32 { if (!PRE) { return v; } return silu_safe(v * k.x + (v - k.w) * k.y + k.z); }

// Input row iy's 4 values from column xx (iy past H, the padding rows: zeros); indices clamped into the plane.
fn row4(plane: u32, iy: u32, xx: u32, k: vec4f) -> vec4f {
  let a = plane + min(iy, p.H - 1u) * p.W + xx;
  return select(vec4f(0.0), pre4(vec4f(src[a], src[a + 1u], src[a + 2u], src[a + 3u]), k), iy < p.H);
}

// Where layout row r of image s, texel column xr (q > 0: column xi of stored tile u) lives in the staging, or
// 0xffffffff where it is not this dispatch's to write (past the image's rows, or outside y0 .. height − 1).
fn dst_at(s: u32, r: u32, u: u32, xi: u32) -> u32 {
  var x = xi; var y = s * p.rows_p + r;
  if (p.q != 0u) {
    let step = r / 4u; let i = step / p.q;
    x = 64u * (step - i * p.q) + 16u * (r % 4u) + xi; y = u * p.ts + s * p.rb + i;
    if (r >= 4u * p.q * p.rb) { return 0xffffffffu; }
  } else if (r >= p.rows_p) { return 0xffffffffu; }
  if (y < p.y0 || y >= p.height) { return 0xffffffffu; }
  return (y - p.y0) * p.pitch + x;
}

@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let s_rel = gid.y / p.tn; let t = p.c_lo + gid.y % p.tn;
  // The run's first texel column in the row-major layout (xr0) and in its stored row (xi0), the image and the tile.
  var xr0 = TPI * gid.x; var xi0 = xr0; var s = p.g0 + s_rel; var u = 0u;
  if (p.q != 0u) {
    u = p.g0 + gid.x / (16u / TPI); xi0 = TPI * (gid.x % (16u / TPI)); xr0 = p.tstride * u + xi0; s = s_rel;
    if (s >= p.nimg) { return; }
  } else if (xr0 >= p.width) { return; }
  let d0 = dst_at(s, 3u * t, u, xi0); let d1 = dst_at(s, 3u * t + 1u, u, xi0); let d2 = dst_at(s, 3u * t + 2u, u, xi0);
  if (d0 == 0xffffffffu && d1 == 0xffffffffu && d2 == 0xffffffffu) { return; }
  let live = t < p.C;
  let plane = p.base + s * p.bstride + (min(t, p.C - 1u) - p.c_lo) * p.H * p.W;
  var k = vec4f(0.0);
  if (PRE) { k = coef[p.coef_base + s * p.C + min(t, p.C - 1u)]; }
  // Column xr0's first pixel (padded row yy, column xx); each texel moves 4 pixels along the row, then to the next row.
  let e = 4u * xr0;
  var iy = p.row0 + e / p.W - 1u;   // unsigned: the top padding row wraps past H
  var xx = e % p.W;
  var cur = row4(plane, iy, xx, k);
  var left = select(0.0, pre1(src[plane + min(iy, p.H - 1u) * p.W + max(xx, 1u) - 1u], k), xx > 0u && iy < p.H);
  let n = select(TPI, min(TPI, p.width - xr0), p.q == 0u);
  for (var i = 0u; i < TPI; i++) {
    let more = xx + 4u < p.W;
    let niy = select(iy + 1u, iy, more); let nxx = select(0u, xx + 4u, more);
    let nxt = row4(plane, niy, nxx, k);
    let right = select(0.0, nxt.x, more);
    let v0 = select(vec4f(0.0), vec4f(left, cur.xyz), live);
    let v1 = select(vec4f(0.0), cur, live);
    let v2 = select(vec4f(0.0), vec4f(cur.yzw, right), live);
    if (i < n) {
      if (d0 != 0xffffffffu) { dst[d0 + i] = v0; }
      if (d1 != 0xffffffffu) { dst[d1 + i] = v1; }
      if (d2 != 0xffffffffu) { dst[d2 + i] = v2; }
    }
    left = select(0.0, cur.w, more); cur = nxt; iy = niy; xx = nxx;
  }
}
