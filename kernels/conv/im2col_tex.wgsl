// conv/im2col_tex: T[s·rows_p + r, x] = (X̂[s, k0 + r, n0 + 4x], .., +3), X̂[s, (c, ky, kx), (oy, ox)] = x[s, c, oy·S + ky − padT, ox·S + kx − padL] (the im2col matrix of x, zero outside x).
// Bindings: 0 src (read, f32 x [images, C, H, W]), 1 dst (write-only rgba32float storage texture: matmul_tex's B operand), 2 Params (uniform).
// Params: C, H, W: input planes; OW: output width; KH, KW, S, padT, padL: taps, stride, top/left padding; k0, kc: the
//   rows (k = (c·KH + ky)·KW + kx, PyTorch weight order) this chunk covers; n0, nc: the output pixels (oy·OW + ox) it
//   covers; base: window offset of image 0; bstride: elements per image; rows_p: texture rows per image (kc padded to
//   4); width, height: the texels to write (nc padded to 4·width, images·rows_p rows).
// Dispatch: one invocation per texel, workgroup 8 × 8, grid (ceil(width / 8), ceil(height / 8)).
// Numerics: a copy; padding taps and texels past kc rows or nc pixels hold exact zeros.
@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var dst: texture_storage_2d<rgba32float, write>;
@group(0) @binding(2) var<uniform> p: Params;

struct Params {
  C: u32, H: u32, W: u32, OW: u32,
  KH: u32, KW: u32, S: u32, padT: u32,
  padL: u32, k0: u32, kc: u32, n0: u32,
  nc: u32, base: u32, bstride: u32, rows_p: u32,
  width: u32, height: u32, pad0: u32, pad1: u32,
}

@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let x = gid.x; let y = gid.y;
  if (x >= p.width || y >= p.height) { return; }
  let s = y / p.rows_p; let r = y % p.rows_p;
  let k = p.k0 + min(r, p.kc - 1u);
  let kk = p.KH * p.KW;
  let c = k / kk; let t = k % kk; let ky = t / p.KW; let kx = t % p.KW;
  let plane = p.base + s * p.bstride + c * p.H * p.W;
  var v = vec4f(0.0);
  for (var j = 0u; j < 4u; j++) {
    let q = 4u * x + j;
    let n = p.n0 + min(q, p.nc - 1u);
    let oy = n / p.OW; let ox = n % p.OW;
    // Input coordinates shifted by the padding (unsigned: below zero wraps past H or W).
    let iy = oy * p.S + ky - p.padT; let ix = ox * p.S + kx - p.padL;
    let ok = r < p.kc && q < p.nc && iy < p.H && ix < p.W;
    let val = src[plane + min(iy, p.H - 1u) * p.W + min(ix, p.W - 1u)];
    v[j] = select(0.0, val, ok);
  }
  textureStore(dst, vec2u(x, y), v);
}
