// conv/conv2d: y[b,o,oy,ox] (+)= bias[o] + sum_{c,ky,kx} x[b,c,iy,ix] * w[o,c,ky,kx], iy = (oy*S + ky - padT) / D, ix alike.
// Bindings: 0 x (read), 1 wp (uniform: a 64 KiB window of the packed weights, [c][ky][kx][32 output channels] for this
//   dispatch's channel chunks), 2 bias (read), 3 y (read_write), 4 Params (uniform).
// Params: C input channels in this chunk, H W input size, OH OW output size, O output channels in this dispatch (<= 32),
//   o0 = the dispatch's first output channel (for the bias), ob0 = its first block of 8 within the weight window,
//   nb images per dispatch, pix_wg = pixel workgroups per
//   image, x_base/y_base = element offsets of the bound windows, x_bstride/y_bstride = per-image strides, KH KW kernel
//   size, S output stride, D input dilation (1 for a convolution; the forward stride for the input gradient, where x
//   holds dy and a tap is taken only when (oy*S + ky - padT) divides by D), padT padL, flags: 1 add bias, 2 add to y.
//   The input is read at rows (oy*S + ky - padT)/D; padding comes from bounds checks, never from a padded copy.
// Dispatch: workgroup of 8 invocations; one invocation computes 8 output channels x 4 adjacent output columns
//   (one row). Workgroup (x, z) folds (image, 8 pixel blocks); y = block of 8 of the window's 32 output channels.
//   Loops: taps outside, input channels innermost (offsets and masks hoisted out of it); no divergent branch encloses
//   them. Weights come from a uniform window: lavapipe loads a storage buffer lane by lane with a bounds check and a
//   branch each, a uniform buffer as a branch-free gather (several times cheaper).
// Numerics: f32 accumulation over c in order per tap, taps in (ky, kx) order; bias added after the sum.
//#include "_lib/conv_layout.wgsl"

// Input coordinate of output coordinate t (already shifted by the tap and the padding), or -1 when the tap hits
// padding or a dilation hole.
fn in_coord(t: i32, n: u32) -> i32 {
  let d = i32(p.D);
  if (t < 0 || t % d != 0 || t / d >= i32(n)) { return -1; }
  return t / d;
}

@compute @workgroup_size(8)
fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let wflat = wid.x + wid.z * nwg.x;
  let b = wflat / p.pix_wg;
  if (b >= p.nb) { return; }
  let ncb = (p.OW + 3u) / 4u;
  let q = (wflat % p.pix_wg) * 8u + lid.x;
  let oy = q / ncb;
  let ox0 = (q % ncb) * 4u;
  let live = oy < p.OH;
  let ob = wid.y; // output-channel block of 8 within the dispatch; p.ob0 + ob within the weight window
  let hw = p.H * p.W;
  let xb = p.x_base + b * p.x_bstride;
  let kk = p.KH * p.KW;
  var a0 = vec4f(0.0); var a1 = vec4f(0.0); var a2 = vec4f(0.0); var a3 = vec4f(0.0);
  var a4 = vec4f(0.0); var a5 = vec4f(0.0); var a6 = vec4f(0.0); var a7 = vec4f(0.0);
  // No divergent branch may enclose the loops: lavapipe would then treat the weight indices as per-invocation and
  // load them lane by lane. Taps outside x (or in a dilation hole) read a clamped position and are masked instead.
  for (var ky = 0u; ky < p.KH; ky++) {
    let iy = in_coord(i32(oy * p.S + ky) - p.padT, p.H);
    let rok = live && iy >= 0;
    for (var kx = 0u; kx < p.KW; kx++) {
      var ix = vec4i(-1);
      for (var j = 0u; j < 4u; j++) {
        if (ox0 + j < p.OW) { ix[j] = in_coord(i32((ox0 + j) * p.S + kx) - p.padL, p.W); }
      }
      let ok = (ix >= vec4i(0)) & vec4<bool>(rok);
      let cx = vec4u(select(vec4i(0), ix, ok));
      var xo = xb + u32(max(iy, 0)) * p.W;
      var wi = (ky * p.KW + kx) * OCH4 + (p.ob0 + ob) * 2u;
      for (var c = 0u; c < p.C; c++) {
        let xv = select(vec4f(0.0), vec4f(X[xo + cx.x], X[xo + cx.y], X[xo + cx.z], X[xo + cx.w]), ok);
        let w0 = WP[wi];
        let w1 = WP[wi + 1u];
        a0 += xv * w0.x; a1 += xv * w0.y; a2 += xv * w0.z; a3 += xv * w0.w;
        a4 += xv * w1.x; a5 += xv * w1.y; a6 += xv * w1.z; a7 += xv * w1.w;
        xo += hw;
        wi += kk * OCH4;
      }
    }
  }
  if (!live) { return; }
  let ohw = p.OH * p.OW;
  let yb = p.y_base + b * p.y_bstride + oy * p.OW + ox0;
  if (ob * 8u + 8u <= p.O && ox0 + 4u <= p.OW) {
    // All 8 channels and 4 columns exist (the common case): the stores written out with constant indices, since
    // lavapipe keeps a runtime-indexed private array in per-lane scratch memory and stores a buffer lane by lane.
    let o8 = ob * 8u; let y0 = yb + o8 * ohw;
    put4(y0, o8, a0); put4(y0 + ohw, o8 + 1u, a1); put4(y0 + 2u * ohw, o8 + 2u, a2); put4(y0 + 3u * ohw, o8 + 3u, a3);
    put4(y0 + 4u * ohw, o8 + 4u, a4); put4(y0 + 5u * ohw, o8 + 5u, a5); put4(y0 + 6u * ohw, o8 + 6u, a6); put4(y0 + 7u * ohw, o8 + 7u, a7);
    return;
  }
  var acc = array<vec4f, 8>(a0, a1, a2, a3, a4, a5, a6, a7);
  for (var i = 0u; i < 8u; i++) {
    let ol = ob * 8u + i;
    if (ol >= p.O) { break; }
    var v = acc[i];
    if ((p.flags & 1u) != 0u) { v += vec4f(BIAS[p.o0 + ol]); }
    for (var j = 0u; j < 4u; j++) {
      if (ox0 + j >= p.OW) { break; }
      let yi = yb + ol * ohw + j;
      if ((p.flags & 2u) != 0u) { Y[yi] += v[j]; } else { Y[yi] = v[j]; }
    }
  }
}

// Output channel ol (within the dispatch) at y[yi .. yi+3]: + bias, + y when accumulating.
fn put4(yi: u32, ol: u32, a: vec4f) {
  var v = a;
  if ((p.flags & 1u) != 0u) { v += vec4f(BIAS[p.o0 + ol]); }
  if ((p.flags & 2u) != 0u) {
    Y[yi] += v.x; Y[yi + 1u] += v.y; Y[yi + 2u] += v.z; Y[yi + 3u] += v.w;
  } else {
    Y[yi] = v.x; Y[yi + 1u] = v.y; Y[yi + 2u] = v.z; Y[yi + 3u] = v.w;
  }
}
