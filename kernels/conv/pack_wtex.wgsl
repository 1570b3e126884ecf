// conv/pack_wtex: T[m, x] = (W'[m, 4x], .., +3), W'[m, ky·4·kpb + 3c + kx] = w[m, c, ky, kx], or w[c, m, 2 − ky, 2 − kx] when flipped (zero in each ky block past 3·C and in rows past O): a 3×3 weight as matmul_tex's A operand for conv/shift_tex's B.
// Bindings: 0 w (read, f32 [O, C, 3, 3], or [C, O, 3, 3] flipped), 1 dst (write-only rgba32float storage texture), 2 Params (uniform).
// Params: O, C: output and input channels of the convolution; kpb: texels per ky block (3·C padded to 4·kpb); base:
//   window offset; width, height: texels to write (3·kpb wide, O padded to the tile rows); flip: 1 for the input
//   gradient's kernel (the forward weight transposed and rotated by 180°).
// Dispatch: one invocation per TPI consecutive texels of a row, workgroup 8 × 8, grid (ceil(width / (8·TPI)),
//   ceil(height / 8)).
// Numerics: a copy; padding texels hold exact zeros.
@group(0) @binding(0) var<storage, read> w: array<f32>;
@group(0) @binding(1) var dst: texture_storage_2d<rgba32float, write>;
@group(0) @binding(2) var<uniform> p: Params;

struct Params {
  O: u32, C: u32, kpb: u32, base: u32,
  width: u32, height: u32, flip: u32, pad0: u32,
}

/** Texels per invocation. */
const TPI = 4u;

@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let x0 = TPI * gid.x; let m = gid.y;
  if (x0 >= p.width || m >= p.height) { return; }
  let mm = min(m, p.O - 1u);
  for (var x = x0; x < min(x0 + TPI, p.width); x++) {
    let ky = x / p.kpb;
    var v = vec4f(0.0);
    for (var j = 0u; j < 4u; j++) {
      let rem = 4u * (x % p.kpb) + j;
      let c = min(rem / 3u, p.C - 1u); let kx = rem % 3u;
      let ok = m < p.O && rem < 3u * p.C;
      let at = select(((mm * p.C + c) * 3u + ky) * 3u + kx, ((c * p.O + mm) * 3u + 2u - ky) * 3u + 2u - kx, p.flip != 0u);
      v[j] = select(0.0, w[p.base + at], ok);
    }
    textureStore(dst, vec2u(x, m), v);
  }
}
