// _lib/conv_dw_sg_main: the entry point of conv/conv2d_dw_sg and conv/conv2d_dw_sgu (their headers), reading x
//   through the including kernel's `fn xget(i: u32) -> f32` (element i of the bound x window).
//#include "_lib/conv_dw_layout.wgsl"
//#include "_lib/bcast8.wgsl"

@compute @workgroup_size(8)
fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u, @builtin(subgroup_invocation_id) lane: u32) {
  let k0 = (wid.x * 8u + lid.x) * 4u;
  let tp = dw_taps(k0); let xoff = tp.xoff; let sy = tp.sy; let sx = tp.sx;
  // Offsets of the workgroup's 8 output channels in dy (clamped; channels past O are computed but not stored).
  let ohw = p.OH * p.OW; let o8 = wid.y * 8u; let ol = p.O - 1u;
  let g0 = min(o8, ol) * ohw; let g1 = min(o8 + 1u, ol) * ohw; let g2 = min(o8 + 2u, ol) * ohw; let g3 = min(o8 + 3u, ol) * ohw;
  let g4 = min(o8 + 4u, ol) * ohw; let g5 = min(o8 + 5u, ol) * ohw; let g6 = min(o8 + 6u, ol) * ohw; let g7 = min(o8 + 7u, ol) * ohw;
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
      for (var ox0 = 0u; ox0 < p.OW; ox0 += 8u) {
        // This lane's pixel ox0 + lane: its 8 dy values (0 past the row's end; the address clamped into the row).
        let mine = ox0 + lane < p.OW;
        let gl = gi + ox0 + min(lane, p.OW - 1u - ox0);
        let d0 = bcast8f(select(0.0, G[gl + g0], mine)); let d1 = bcast8f(select(0.0, G[gl + g1], mine));
        let d2 = bcast8f(select(0.0, G[gl + g2], mine)); let d3 = bcast8f(select(0.0, G[gl + g3], mine));
        let d4 = bcast8f(select(0.0, G[gl + g4], mine)); let d5 = bcast8f(select(0.0, G[gl + g5], mine));
        let d6 = bcast8f(select(0.0, G[gl + g6], mine)); let d7 = bcast8f(select(0.0, G[gl + g7], mine));
        for (var t = 0u; t < 8u; t++) {
          let ox = ox0 + t;
          let ix = vec4i(i32(ox * p.S)) + sx;
          let ok = rok & (ix >= vec4i(0)) & (ix < w) & vec4<bool>(ox < p.OW);
          let xi = vec4u(select(vec4i(0), row + ix, ok)) + xb;
          let xv = select(vec4f(0.0), vec4f(xget(xi.x), xget(xi.y), xget(xi.z), xget(xi.w)), ok);
          a0 += xv * d0[t]; a1 += xv * d1[t]; a2 += xv * d2[t]; a3 += xv * d3[t];
          a4 += xv * d4[t]; a5 += xv * d5[t]; a6 += xv * d6[t]; a7 += xv * d7[t];
        }
      }
      gi += p.OW;
    }
  }
  dw_store(o8, k0, a0); dw_store(o8 + 1u, k0, a1); dw_store(o8 + 2u, k0, a2); dw_store(o8 + 3u, k0, a3);
  dw_store(o8 + 4u, k0, a4); dw_store(o8 + 5u, k0, a5); dw_store(o8 + 6u, k0, a6); dw_store(o8 + 7u, k0, a7);
}
