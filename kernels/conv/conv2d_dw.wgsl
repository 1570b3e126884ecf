// conv/conv2d_dw: dw[o,c,ky,kx] (+)= sum_{b,oy,ox} dy[b,o,oy,ox] * x[b,c,oy*S+ky-padT,ox*S+kx-padL] (zero outside x).
// Bindings: 0 x (read), 1 dy (read), 2 dw (read_write, [Otot, Ctot, KH, KW]), 3 Params (uniform).
// Params: C, O = input/output channels in this chunk; H W input size; OH OW dy size; ctot = dw's channel count;
//   c0, o0 = first channel of the chunk; nb images; x_base/g_base = element offsets of the bound windows,
//   x_bstride/g_bstride = per-image strides; KH KW S padT padL the convolution's geometry; acc = 1 adds to dw.
// Dispatch: workgroup of 8; one invocation owns 8 output channels (the same for the whole workgroup)
//   x 4 consecutive flat (c, ky, kx) taps; workgroup x = block of 32 taps, y = block of 8 output channels.
// Numerics: f32 accumulation over images, rows, columns in order.
//#include "_lib/conv_dw_layout.wgsl"
@group(0) @binding(0) var<storage, read> X: array<f32>;

@compute @workgroup_size(8)
fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u) {
  let k0 = (wid.x * 8u + lid.x) * 4u;
  let tp = dw_taps(k0); let xoff = tp.xoff; let sy = tp.sy; let sx = tp.sx;
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
  let o8 = wid.y * 8u;
  dw_store(o8, k0, a0); dw_store(o8 + 1u, k0, a1); dw_store(o8 + 2u, k0, a2); dw_store(o8 + 3u, k0, a3);
  dw_store(o8 + 4u, k0, a4); dw_store(o8 + 5u, k0, a5); dw_store(o8 + 6u, k0, a6); dw_store(o8 + 7u, k0, a7);
}
