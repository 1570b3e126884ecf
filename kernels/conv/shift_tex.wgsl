// conv/shift_tex: T[s·rows_p + 3c + kx, x] = (X̂[s, c, kx, 4x], .., +3), X̂[s, c, kx, yy·W + xx] = x[s, c, row0 + yy − 1, xx + kx − 1] (zero outside x): each channel's 3×3-pad-1 input rows from padded row row0 on, one copy per column shift kx; written to a staging buffer in the texture's texel layout that copyBufferToTexture copies into it.
// Bindings: 0 src (read, f32 x [images, channels c_lo .. c_hi − 1, H, W]), 1 dst (read_write, vec4 texels: texture row y at (y − y0)·pitch; the staging of matmul_tex's B operand, read with kpb/xstep row shifts), 2 Params (uniform).
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
// Dispatch: one invocation per TPI consecutive texels of a row, workgroup 8 × 8, grid (ceil(width / (8·TPI)),
//   ceil((height − y0) / 8)); rows of channels outside c_lo .. c_hi − 1 return at once.
// Numerics: a copy; the border taps, texels past the padded image and rows past 3·C hold exact zeros.
@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read_write> dst: array<vec4f>;
@group(0) @binding(2) var<uniform> p: Params;

struct Params {
  C: u32, H: u32, W: u32, base: u32,
  bstride: u32, rows_p: u32, width: u32, height: u32,
  row0: u32, c_lo: u32, c_hi: u32, y0: u32,
  pitch: u32, q: u32, rb: u32, ts: u32,
  tstride: u32, pad0: u32, pad1: u32, pad2: u32,
}

/** Texels per invocation. */
const TPI = 8u;

@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let y = p.y0 + gid.y; let x0 = TPI * gid.x;
  if (x0 >= p.width || y >= p.height) { return; }
  // The layout row (s, r) and texel column xr of texel (x0, y); TPI divides 16, so the invocation's texels share a row.
  var s = y / p.rows_p; var r = y % p.rows_p; var xr = x0;
  if (p.q != 0u) {
    let tile = y / p.ts; let rem = y % p.ts; let step = (rem % p.rb) * p.q + x0 / 64u;
    s = rem / p.rb; r = 4u * step + (x0 % 64u) / 16u; xr = p.tstride * tile + x0 % 16u;
  }
  let c = min(r, 3u * p.C - 1u) / 3u; let kx = r % 3u;
  if (c < p.c_lo || c >= p.c_hi) { return; }
  let plane = p.base + s * p.bstride + (c - p.c_lo) * p.H * p.W;
  for (var x = x0; x < min(x0 + TPI, p.width); x++) {
    let xt = xr + x - x0;
    let yy = p.row0 + (4u * xt) / p.W; let xx = (4u * xt) % p.W;
    let iy = yy - 1u;   // unsigned: the top padding row wraps past H
    var v = vec4f(0.0);
    for (var j = 0u; j < 4u; j++) {
      let ix = xx + j + kx - 1u;
      let ok = r < 3u * p.C && iy < p.H && ix < p.W;
      v[j] = select(0.0, src[plane + min(iy, p.H - 1u) * p.W + min(ix, p.W - 1u)], ok);
    }
    dst[(y - p.y0) * p.pitch + x] = v;
  }
}
