// conv/pack_wtex: T[m, x] = (W'[m, 4x], .., +3), W'[m, ky·4·kpb + 3c + kx] = w[m, c, ky, kx] (zero in each ky block past 3·C and in rows past O): a 3×3 weight as matmul_tex's A operand for conv/shift_tex's B.
// Bindings: 0 w (read, f32 [O, C, 3, 3]), 1 dst (write-only rgba32float storage texture), 2 Params (uniform).
// Params: O, C: weight shape; kpb: texels per ky block (3·C padded to 4·kpb); base: window offset; width, height:
//   texels to write (3·kpb wide, O padded to the tile rows).
// Dispatch: one invocation per TPI consecutive texels of a row, workgroup 8 × 8, grid (ceil(width / (8·TPI)),
//   ceil(height / 8)).
// Numerics: a copy; padding texels hold exact zeros.
@group(0) @binding(0) var<storage, read> w: array<f32>;
@group(0) @binding(1) var dst: texture_storage_2d<rgba32float, write>;
@group(0) @binding(2) var<uniform> p: Params;

struct Params {
  O: u32, C: u32, kpb: u32, base: u32,
  width: u32, height: u32, pad0: u32, pad1: u32,
}

/** Texels per invocation. */
const TPI = 4u;

@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let x0 = TPI * gid.x; let m = gid.y;
  if (x0 >= p.width || m >= p.height) { return; }
  let row = p.base + min(m, p.O - 1u) * p.C * 9u;
  for (var x = x0; x < min(x0 + TPI, p.width); x++) {
    let ky = x / p.kpb;
    var v = vec4f(0.0);
    for (var j = 0u; j < 4u; j++) {
      let rem = 4u * (x % p.kpb) + j;
      let c = min(rem / 3u, p.C - 1u); let kx = rem % 3u;
      let ok = m < p.O && rem < 3u * p.C;
      v[j] = select(0.0, w[row + (c * 3u + ky) * 3u + kx], ok);
    }
    textureStore(dst, vec2u(x, m), v);
  }
}
