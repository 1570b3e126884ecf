// conv/pack_wtex: T[m, x] = (W'[m, 4x], .., +3), W'[m, ky·4·kpb + c·KW + kx] = w[m, c, ky, kx], or w[c, m, KH−1−ky, KW−1−kx] when flipped (zero in each ky block past KW·C and in rows past O): a conv weight as matmul_tex's A operand, k in (ky, c, kx) order, one block of kpb texels per kernel row ky; written to a staging buffer in the texture's texel layout that copyBufferToTexture copies into it.
// Bindings: 0 w (read, f32 [O, C, KH, KW], or [C, O, KH, KW] flipped), 1 dst (read_write, vec4 texels: texture row m at (m − y0)·pitch), 2 Params (uniform).
// Params: O, C: output and input channels of the convolution; KH, KW: kernel size; kpb: texels per ky block (KW·C
//   padded to 4·kpb); base: window offset; width, height: texels to write (KH·kpb wide, O padded to the tile rows);
//   flip: 1 for the input gradient's kernel (the forward weight transposed and rotated by 180°); y0, pitch: the first
//   texture row this dispatch writes (its staging row 0) and the staging's row pitch in texels; height: one past the
//   last row it writes.
// The B operands that pair with it: conv/shift_tex (3×3: block ky read from the same rows shifted by ky image rows)
//   and conv/im2col_tex (row k of the same blocked order).
// Dispatch: one invocation per TPI consecutive texels of a row, workgroup 8 × 8, grid (ceil(width / (8·TPI)),
//   ceil((height − y0) / 8)).
// Numerics: a copy; padding texels hold exact zeros.
@group(0) @binding(0) var<storage, read> w: array<f32>;
@group(0) @binding(1) var<storage, read_write> dst: array<vec4f>;
@group(0) @binding(2) var<uniform> p: Params;

struct Params {
  O: u32, C: u32, KH: u32, KW: u32,
  kpb: u32, base: u32, width: u32, height: u32,
  flip: u32, y0: u32, pitch: u32, pad0: u32,
}

/** Texels per invocation. */
const TPI = 4u;

@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let x0 = TPI * gid.x; let m = p.y0 + gid.y;
  if (x0 >= p.width || m >= p.height) { return; }
  let mm = min(m, p.O - 1u);
  let kk = p.KH * p.KW;
  for (var x = x0; x < min(x0 + TPI, p.width); x++) {
    let ky = x / p.kpb;
    var v = vec4f(0.0);
    for (var j = 0u; j < 4u; j++) {
      let rem = 4u * (x % p.kpb) + j;
      let c = min(rem / p.KW, p.C - 1u); let kx = rem % p.KW;
      let ok = m < p.O && rem < p.KW * p.C;
      let fwd = (mm * p.C + c) * kk + ky * p.KW + kx;
      let flipped = (c * p.O + mm) * kk + (p.KH - 1u - ky) * p.KW + (p.KW - 1u - kx);
      v[j] = select(0.0, w[p.base + select(fwd, flipped, p.flip != 0u)], ok);
    }
    dst[(m - p.y0) * p.pitch + x] = v;
  }
}
