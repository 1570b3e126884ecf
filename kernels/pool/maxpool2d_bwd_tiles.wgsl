// pool/maxpool2d_bwd_tiles: dx for disjoint, unpadded windows (kernel == stride, padding 0: VGG's 2/2): the output
//   (oy, ox) owns the input tile [oy*S, oy*S + S) × [ox*S, ox*S + S), stretched to H (W) for the last row (column)
//   of outputs so that the rows and columns no window covers get their zeros; dx = dy[p, o] at idx[p, o], 0 elsewhere.
// Bindings: 0 dy (read), 1 idx (read, i32, the forward's argmax: iy*W + ix within the plane), 2 dx (read_write),
//   3 Params (uniform).
// Params: n = outputs in this dispatch (planes × OH × OW), H W input plane, OH OW output plane, S stride (= kernel),
//   g_base/i_base/d_base = element offsets of the bound windows of dy, idx and dx.
// Dispatch: one invocation per output element (every dx element is written exactly once: no zero-fill pass);
//   workgroup 64, grid folded to (x, y) by flat_id.
// Numerics: a copy (each dx element receives at most one dy value, as in PyTorch).
//#include "_lib/index.wgsl"
struct Params { n: u32, H: u32, W: u32, OH: u32, OW: u32, S: u32, g_base: u32, i_base: u32, d_base: u32 }
@group(0) @binding(0) var<storage, read> DY: array<f32>;
@group(0) @binding(1) var<storage, read> IDX: array<i32>;
@group(0) @binding(2) var<storage, read_write> DX: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let e = flat_id(gid, nwg, 64u);
  if (e >= p.n) { return; }
  let ox = e % p.OW;
  let oy = (e / p.OW) % p.OH;
  let plane = e / (p.OW * p.OH);
  let y0 = oy * p.S;
  let x0 = ox * p.S;
  let y1 = select(y0 + p.S, p.H, oy + 1u == p.OH);
  let x1 = select(x0 + p.S, p.W, ox + 1u == p.OW);
  let at = u32(IDX[p.i_base + e]);
  let g = DY[p.g_base + e];
  let db = p.d_base + plane * p.H * p.W;
  for (var iy = y0; iy < y1; iy++) {
    for (var ix = x0; ix < x1; ix++) {
      let i = iy * p.W + ix;
      DX[db + i] = select(0.0, g, i == at);
    }
  }
}
