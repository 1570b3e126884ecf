// conv/conv2d_3x3: conv/conv2d for 3x3 taps, stride 1, no dilation: y[b,o,oy,ox] (+)= bias[o] +
//   sum_{c,ky,kx} x[b,c,oy+ky-padT,ox+kx-padL] * w[o,c,ky,kx] (zero outside x), 8 output columns per invocation.
// Bindings: 0 x (read), 1 wp (uniform: a 64 KiB window of the packed weights, [c][ky][kx][32 output channels] for this
//   dispatch's channel chunks), 2 bias (read), 3 y (read_write), 4 Params (uniform).
// Params: as conv/conv2d (KH = KW = 3, S = D = 1 here; those fields are ignored).
// Dispatch: workgroup of 8; one invocation computes 8 output channels x 8 adjacent output columns of one row.
//   Workgroup (x, z) folds (image, 8 blocks of 8 columns); y = block of 8 of the window's 32 output channels.
//   Per (ky, c) an invocation loads the 10 input columns its 8 outputs x 3 taps need (once, not 24 times) and 6 weight
//   vec4s, for 192 multiply-adds; rows outside x are read at a clamped row and masked, so that no divergent branch
//   encloses the loops. Weights come from a uniform window: lavapipe loads a storage buffer lane by lane with a bounds
//   check and a branch each, a uniform buffer as a branch-free gather (several times cheaper).
// Numerics: f32 accumulation over c in order per row ky, taps kx in order; bias added after the sum.
//#include "_lib/conv_layout.wgsl"

@compute @workgroup_size(8)
fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let wflat = wid.x + wid.z * nwg.x;
  let b = wflat / p.pix_wg;
  if (b >= p.nb) { return; }
  let ncb = (p.OW + 7u) / 8u;
  let q = (wflat % p.pix_wg) * 8u + lid.x;
  let oy = q / ncb;
  let ox0 = (q % ncb) * 8u;
  let live = oy < p.OH;
  let ob = wid.y; // output-channel block of 8 within the dispatch; p.ob0 + ob within the weight window
  let hw = p.H * p.W;
  let xb = p.x_base + b * p.x_bstride;
  let ix0 = i32(ox0) - p.padL;
  let ia = vec4i(ix0) + vec4i(0, 1, 2, 3);
  let ib = vec4i(ix0) + vec4i(4, 5, 6, 7);
  let ic = vec2i(ix0) + vec2i(8, 9);
  let w_ = i32(p.W);
  let oka = (ia >= vec4i(0)) & (ia < vec4i(w_));
  let okb = (ib >= vec4i(0)) & (ib < vec4i(w_));
  let okc = (ic >= vec2i(0)) & (ic < vec2i(w_));
  let ca = vec4u(select(vec4i(0), ia, oka));
  let cb = vec4u(select(vec4i(0), ib, okb));
  let cc = vec2u(select(vec2i(0), ic, okc));
  var a0 = vec4f(0.0); var a1 = vec4f(0.0); var a2 = vec4f(0.0); var a3 = vec4f(0.0);
  var a4 = vec4f(0.0); var a5 = vec4f(0.0); var a6 = vec4f(0.0); var a7 = vec4f(0.0);
  var b0 = vec4f(0.0); var b1 = vec4f(0.0); var b2 = vec4f(0.0); var b3 = vec4f(0.0);
  var b4 = vec4f(0.0); var b5 = vec4f(0.0); var b6 = vec4f(0.0); var b7 = vec4f(0.0);
  for (var ky = 0u; ky < 3u; ky++) {
    let iy = i32(oy + ky) - p.padT;
    let rok = live && iy >= 0 && iy < i32(p.H);
    let ma = oka & vec4<bool>(rok);
    let mb = okb & vec4<bool>(rok);
    let mc = okc & vec2<bool>(rok);
    var xo = xb + u32(clamp(iy, 0, i32(p.H) - 1)) * p.W;
    var wi = ky * 3u * OCH4 + (p.ob0 + ob) * 2u;
    for (var c = 0u; c < p.C; c++) {
      let va = select(vec4f(0.0), vec4f(X[xo + ca.x], X[xo + ca.y], X[xo + ca.z], X[xo + ca.w]), ma);
      let vb = select(vec4f(0.0), vec4f(X[xo + cb.x], X[xo + cb.y], X[xo + cb.z], X[xo + cb.w]), mb);
      let vc = select(vec2f(0.0), vec2f(X[xo + cc.x], X[xo + cc.y]), mc);
      var xl = va; var xh = vb;
      var w0 = WP[wi]; var w1 = WP[wi + 1u];
      a0 += xl * w0.x; a1 += xl * w0.y; a2 += xl * w0.z; a3 += xl * w0.w; a4 += xl * w1.x; a5 += xl * w1.y; a6 += xl * w1.z; a7 += xl * w1.w;
      b0 += xh * w0.x; b1 += xh * w0.y; b2 += xh * w0.z; b3 += xh * w0.w; b4 += xh * w1.x; b5 += xh * w1.y; b6 += xh * w1.z; b7 += xh * w1.w;
      xl = vec4f(va.yzw, vb.x); xh = vec4f(vb.yzw, vc.x);
      w0 = WP[wi + OCH4]; w1 = WP[wi + OCH4 + 1u];
      a0 += xl * w0.x; a1 += xl * w0.y; a2 += xl * w0.z; a3 += xl * w0.w; a4 += xl * w1.x; a5 += xl * w1.y; a6 += xl * w1.z; a7 += xl * w1.w;
      b0 += xh * w0.x; b1 += xh * w0.y; b2 += xh * w0.z; b3 += xh * w0.w; b4 += xh * w1.x; b5 += xh * w1.y; b6 += xh * w1.z; b7 += xh * w1.w;
      xl = vec4f(va.zw, vb.xy); xh = vec4f(vb.zw, vc);
      w0 = WP[wi + 2u * OCH4]; w1 = WP[wi + 2u * OCH4 + 1u];
      a0 += xl * w0.x; a1 += xl * w0.y; a2 += xl * w0.z; a3 += xl * w0.w; a4 += xl * w1.x; a5 += xl * w1.y; a6 += xl * w1.z; a7 += xl * w1.w;
      b0 += xh * w0.x; b1 += xh * w0.y; b2 += xh * w0.z; b3 += xh * w0.w; b4 += xh * w1.x; b5 += xh * w1.y; b6 += xh * w1.z; b7 += xh * w1.w;
      xo += hw;
      wi += 9u * OCH4;
    }
  }
  if (!live) { return; }
  let ohw = p.OH * p.OW;
  let yb = p.y_base + b * p.y_bstride + oy * p.OW + ox0;
  if (ob * 8u + 8u <= p.O && ox0 + 8u <= p.OW) {
    // All 8 channels and 8 columns exist (the common case): the stores written out with constant indices, since
    // lavapipe keeps a runtime-indexed private array in per-lane scratch memory and stores a buffer lane by lane.
    let o8 = ob * 8u; let y0 = yb + o8 * ohw;
    put8(y0, o8 + 0u, a0, b0); put8(y0 + ohw, o8 + 1u, a1, b1); put8(y0 + 2u * ohw, o8 + 2u, a2, b2); put8(y0 + 3u * ohw, o8 + 3u, a3, b3);
    put8(y0 + 4u * ohw, o8 + 4u, a4, b4); put8(y0 + 5u * ohw, o8 + 5u, a5, b5); put8(y0 + 6u * ohw, o8 + 6u, a6, b6); put8(y0 + 7u * ohw, o8 + 7u, a7, b7);
    return;
  }
  var acc = array<vec4f, 16>(a0, a1, a2, a3, a4, a5, a6, a7, b0, b1, b2, b3, b4, b5, b6, b7);
  for (var i = 0u; i < 8u; i++) {
    let ol = ob * 8u + i;
    if (ol >= p.O) { break; }
    var bias = 0.0;
    if ((p.flags & 1u) != 0u) { bias = BIAS[p.o0 + ol]; }
    for (var j = 0u; j < 8u; j++) {
      if (ox0 + j >= p.OW) { break; }
      let yi = yb + ol * ohw + j;
      let v = acc[i + 8u * (j / 4u)][j % 4u] + bias;
      if ((p.flags & 2u) != 0u) { Y[yi] += v; } else { Y[yi] = v; }
    }
  }
}

// Output channel ol (within the dispatch) at y[yi .. yi+7]: lo = columns 0..3, hi = 4..7; + bias, + y when accumulating.
fn put8(yi: u32, ol: u32, lo: vec4f, hi: vec4f) {
  var bias = 0.0;
  if ((p.flags & 1u) != 0u) { bias = BIAS[p.o0 + ol]; }
  let u = lo + bias; let v = hi + bias;
  if ((p.flags & 2u) != 0u) {
    Y[yi] += u.x; Y[yi + 1u] += u.y; Y[yi + 2u] += u.z; Y[yi + 3u] += u.w;
    Y[yi + 4u] += v.x; Y[yi + 5u] += v.y; Y[yi + 6u] += v.z; Y[yi + 7u] += v.w;
  } else {
    Y[yi] = u.x; Y[yi + 1u] = u.y; Y[yi + 2u] = u.z; Y[yi + 3u] = u.w;
    Y[yi + 4u] = v.x; Y[yi + 5u] = v.y; Y[yi + 6u] = v.z; Y[yi + 7u] = v.w;
  }
}
