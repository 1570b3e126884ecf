// conv/conv2d_dw: dw[o,c,ky,kx] (+)= sum_{b,oy,ox} dy[b,o,oy,ox] * x[b,c,oy*S+ky-padT,ox*S+kx-padL] (zero outside x).
// Bindings: 0 x (read), 1 dy (read), 2 dw (read_write, [Otot, Ctot, KH, KW]), 3 Params (uniform).
// Params: C, O = input/output channels in this chunk; H W input size; OH OW dy size; ctot = dw's channel count;
//   c0, o0 = first channel of the chunk; nb images; x_base/g_base = element offsets of the bound windows,
//   x_bstride/g_bstride = per-image strides; KH KW S padT padL the convolution's geometry; acc = 1 adds to dw.
// Dispatch: workgroup of 8; one invocation owns 8 output channels (the same for the whole workgroup)
//   x 4 consecutive flat (c, ky, kx) taps; workgroup x = block of 32 taps, y = block of 8 output channels.
// Numerics: f32 accumulation over images, rows, columns in order.
struct Params {
  C: u32, O: u32, H: u32, W: u32,
  OH: u32, OW: u32, ctot: u32, c0: u32,
  o0: u32, nb: u32, x_base: u32, g_base: u32,
  x_bstride: u32, g_bstride: u32, KH: u32, KW: u32,
  S: u32, padT: i32, padL: i32, acc: u32,
}
@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read> G: array<f32>;
@group(0) @binding(2) var<storage, read_write> DW: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

@compute @workgroup_size(8)
fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u) {
  let kk = p.KH * p.KW;
  let nk = p.C * kk;
  let k0 = (wid.x * 8u + lid.x) * 4u;
  // Per tap j: channel offset in x and the tap's shift; taps past the end read channel 0 and are not stored.
  var xoff = vec4u(0u); var sy = vec4i(0); var sx = vec4i(0);
  for (var j = 0u; j < 4u; j++) {
    let k = min(k0 + j, nk - 1u);
    let t = k % kk;
    xoff[j] = (k / kk) * p.H * p.W;
    sy[j] = i32(t / p.KW) - p.padT;
    sx[j] = i32(t % p.KW) - p.padL;
  }
  // The 8 output channels of this workgroup (clamped; channels past O are computed but not stored).
  var go = array<u32, 8>();
  for (var i = 0u; i < 8u; i++) { go[i] = min(wid.y * 8u + i, p.O - 1u) * p.OH * p.OW; }
  var a0 = vec4f(0.0); var a1 = vec4f(0.0); var a2 = vec4f(0.0); var a3 = vec4f(0.0);
  var a4 = vec4f(0.0); var a5 = vec4f(0.0); var a6 = vec4f(0.0); var a7 = vec4f(0.0);
  let h = vec4i(i32(p.H)); let w = vec4i(i32(p.W));
  for (var b = 0u; b < p.nb; b++) {
    let xb = p.x_base + b * p.x_bstride;
    var gi = p.g_base + b * p.g_bstride;
    for (var oy = 0u; oy < p.OH; oy++) {
      let iy = vec4i(i32(oy * p.S)) + sy;
      let rok = (iy >= vec4i(0)) & (iy < h);
      let row = vec4i(xoff) + iy * w;
      for (var ox = 0u; ox < p.OW; ox++) {
        let ix = vec4i(i32(ox * p.S)) + sx;
        let ok = rok & (ix >= vec4i(0)) & (ix < w);
        let xi = vec4u(select(vec4i(0), row + ix, ok)) + xb;
        let xv = select(vec4f(0.0), vec4f(X[xi.x], X[xi.y], X[xi.z], X[xi.w]), ok);
        a0 += xv * G[gi + go[0]]; a1 += xv * G[gi + go[1]]; a2 += xv * G[gi + go[2]]; a3 += xv * G[gi + go[3]];
        a4 += xv * G[gi + go[4]]; a5 += xv * G[gi + go[5]]; a6 += xv * G[gi + go[6]]; a7 += xv * G[gi + go[7]];
        gi++;
      }
    }
  }
  var acc = array<vec4f, 8>(a0, a1, a2, a3, a4, a5, a6, a7);
  for (var i = 0u; i < 8u; i++) {
    let ol = wid.y * 8u + i;
    if (ol >= p.O) { break; }
    for (var j = 0u; j < 4u; j++) {
      if (k0 + j >= nk) { break; }
      let di = (p.o0 + ol) * p.ctot * kk + p.c0 * kk + k0 + j;
      if (p.acc != 0u) { DW[di] += acc[i][j]; } else { DW[di] = acc[i][j]; }
    }
  }
}
