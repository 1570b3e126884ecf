// conv/im2col_tex: T[s·rows_p + r, x] = (X̂[s, k0 + r, n0 + 4x], .., +3), X̂[s, k, (oy, ox)] = x[s, c, oy·S + ky − padT, ox·S + kx − padL] with k = ky·rpb + c·KW + kx (the im2col matrix of x in conv/pack_wtex's blocked order, zero outside x and in each block past KW·C); written to a staging buffer in the texture's texel layout that copyBufferToTexture copies into it.
// Bindings: 0 src (read, f32 x [images, channels c_lo .. c_hi − 1, H, W]), 1 dst (read_write, vec4 texels: texture row y at (y − y0)·pitch; the staging of matmul_tex's B operand), 2 Params (uniform).
// Params: C, H, W: input planes; P: output pixels per image (define FOLD, below); OW: output width; KH, KW, S, padT, padL: taps, stride, top/left padding; rpb: rows
//   per kernel row ky (KW·C padded to 4); k0, kc: the rows this chunk covers; n0, nc: the output pixels (oy·OW + ox)
//   it covers; base: window offset of image 0, channel c_lo; bstride: elements per image; rows_p: texture rows per
//   image (kc padded to 4); width, height: the texels to write (nc padded to 4·width, images·rows_p rows; width a
//   multiple of TPI); c_lo, c_hi: the channels this dispatch owns (the bound window holds those): it writes the rows
//   of those channels, a padding row with the channel it follows (past KW·C: the last channel), a row past kc with
//   row kc − 1. y0, pitch: the first texture row this dispatch writes (its staging row 0) and the staging's row
//   pitch in texels; height: one past the last row it writes.
// Dispatch: one invocation per TPI consecutive texels of a row, workgroup 8 × 8, grid (ceil(width / (8·TPI)),
//   ceil((height − y0) / 8)); rows of channels outside c_lo .. c_hi − 1 return at once. Several texels per invocation:
//   lavapipe's per-invocation cost is a large share of a copy.
// Numerics: a copy; padding taps and texels past kc rows or nc pixels hold exact zeros. Index quotients go through f32
//   (exact while k and pixel indices stay below 2^22).
@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read_write> dst: array<vec4f>;
@group(0) @binding(2) var<uniform> p: Params;

struct Params {
  C: u32, H: u32, W: u32, OW: u32,
  KH: u32, KW: u32, S: u32, padT: u32,
  padL: u32, rpb: u32, k0: u32, kc: u32,
  n0: u32, nc: u32, base: u32, bstride: u32,
  rows_p: u32, width: u32, height: u32, c_lo: u32,
  c_hi: u32, y0: u32, pitch: u32, P: u32,
}

// Define FOLD (true, false): the images side by side along the pixels instead of one below the other: column n is pixel
// n mod P of image ⌊n / P⌋ (n0 = 0, nc = images·P; rows_p = the texture's rows), for planes smaller than matmul_tex's
// 64-column tile, which would otherwise be mostly padding per image.
const FOLD: bool = {{FOLD}};

/** Texels per invocation. */
const TPI = 8u;

@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let y = p.y0 + gid.y; let x0 = TPI * gid.x;
  if (x0 >= p.width || y >= p.height) { return; }
  var s = select(y / p.rows_p, 0u, FOLD); let r = select(y % p.rows_p, y, FOLD);
  let yq = divmod(p.k0 + min(r, p.kc - 1u), p.rpb); let cx = divmod(yq.y, p.KW);
  let c = min(cx.x, p.C - 1u);
  if (c < p.c_lo || c >= p.c_hi) { return; }
  let live = r < p.kc && yq.y < p.KW * p.C;
  // The first pixel; the following ones step along the output row, wrapping to the next rows (and, FOLD, images).
  var n = p.n0 + min(4u * x0, p.nc - 1u);
  if (FOLD) { let sp = divmod(n, p.P); s = sp.x; n = sp.y; }
  var plane = p.base + s * p.bstride + (c - p.c_lo) * p.H * p.W;
  var o = divmod(n, p.OW);
  for (var t = 0u; t < TPI; t++) {
    let x = x0 + t;
    var v = vec4f(0.0);
    for (var j = 0u; j < 4u; j++) {
      // Input coordinates shifted by the padding (unsigned: below zero wraps past H or W).
      let iy = o.x * p.S + yq.x - p.padT; let ix = o.y * p.S + cx.y - p.padL;
      let ok = live && 4u * x + j < p.nc && iy < p.H && ix < p.W;
      let val = src[plane + min(iy, p.H - 1u) * p.W + min(ix, p.W - 1u)];
      v[j] = select(0.0, val, ok);
      o.y += 1u;
      if (o.y == p.OW) { o = vec2u(o.x + 1u, 0u); }
      if (FOLD && o.x * p.OW == p.P) { o = vec2u(0u); plane += p.bstride; }
    }
    dst[(y - p.y0) * p.pitch + x] = v;
  }
}

//#include "_lib/divmod.wgsl"
