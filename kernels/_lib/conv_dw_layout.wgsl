// _lib/conv_dw_layout: Params and bindings of the direct conv2d weight-gradient kernels (conv/conv2d_dw,
//   conv/conv2d_dw_sg and conv/conv2d_dw_sgu; their headers say what the fields mean), and the per-invocation set-up
//   they share. Binding 0 (x) is the including kernel's: a storage array, or conv2d_dw_sgu's uniform window.
struct Params {
  C: u32, O: u32, H: u32, W: u32,
  OH: u32, OW: u32, ctot: u32, c0: u32,
  o0: u32, nb: u32, x_base: u32, g_base: u32,
  x_bstride: u32, g_bstride: u32, KH: u32, KW: u32,
  S: u32, padT: i32, padL: i32, acc: u32,
}
@group(0) @binding(1) var<storage, read> G: array<f32>;
@group(0) @binding(2) var<storage, read_write> DW: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

// The 4 taps k0 .. k0+3 of this invocation (flat (c, ky, kx) within the chunk): per tap its channel's offset in x
// (xoff) and its row and column shift (sy, sx); taps past the end read channel 0's and are not stored.
struct DwTaps { xoff: vec4u, sy: vec4i, sx: vec4i }
fn dw_taps(k0: u32) -> DwTaps {
  let kk = p.KH * p.KW; let nk = p.C * kk;
  var t: DwTaps;
  for (var j = 0u; j < 4u; j++) {
    let k = min(k0 + j, nk - 1u);
    let r = k % kk;
    t.xoff[j] = (k / kk) * p.H * p.W;
    t.sy[j] = i32(r / p.KW) - p.padT;
    t.sx[j] = i32(r % p.KW) - p.padL;
  }
  return t;
}

// dw[o0 + ol, c0 .., taps k0 .. k0+3] (+)= acc (taps past the end and channels past O are not stored).
fn dw_store(ol: u32, k0: u32, acc: vec4f) {
  let kk = p.KH * p.KW; let nk = p.C * kk;
  if (ol >= p.O) { return; }
  for (var j = 0u; j < 4u; j++) {
    if (k0 + j < nk) {
      let di = (p.o0 + ol) * p.ctot * kk + p.c0 * kk + k0 + j;
      if (p.acc != 0u) { DW[di] += acc[j]; } else { DW[di] = acc[j]; }
    }
  }
}
