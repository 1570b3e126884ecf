// quant/phi_update: φ = keep·h + mix·(conv3x3(h; W, bias), pad 1); f_hat += φ; f_rest −= φ (VAR's quant_resi step).
// Bindings: 0 h [B, C, S, S] (read), 1 Wp = W packed as [(ci, ky, kx), co] with co padded to Cp8 (read, vec4; quant/pack),
//   2 bias [C] (read), 3 f_hat (read_write), 4 f_rest (read_write; a dummy when flags bit 0 is clear), 5 Params (uniform).
// Params: n = B·G8·S·XB invocations (G8 = Cp8 / 8 groups of 8 output channels, XB = ceil(S / 4) blocks of 4 columns);
//   C channels; S side; Cp8 = C rounded up to 8; keep = 1 − quant_resi, mix = quant_resi (VAR: 0.5, 0.5; mix = 0 skips
//   the conv, for the VARSR/HART last scale); h_base, w_base (in vec4s), b_base, fh_base, fr_base = window offsets;
//   flags bit 0 = update f_rest too.
// Dispatch: workgroup of 8; one invocation computes 8 output channels × 4 adjacent columns of one row (column blocks
//   fastest, so a workgroup shares its channel group and the weight loads are workgroup-uniform). Taps outside, input
//   channels innermost; rows and columns outside h are read clamped and masked, never branched around (the recipe of
//   kernels/conv/conv2d_3x3.wgsl: lavapipe loads divergently-guarded weights lane by lane).
// Numerics: f32; conv = (Σ over ky, ci, kx of W·h, zero padding) + bias; φ = h·keep + conv·mix as PyTorch's
//   h.mul(1 − r) + conv(h).mul_(r); f_hat + φ and f_rest − φ each rounded once.
//#include "_lib/index.wgsl"
struct Params { n: u32, C: u32, S: u32, Cp8: u32, keep: f32, mix: f32, h_base: u32, w_base: u32,
  b_base: u32, fh_base: u32, fr_base: u32, flags: u32 }
@group(0) @binding(0) var<storage, read> Hs: array<f32>;
@group(0) @binding(1) var<storage, read> Wp: array<vec4f>;
@group(0) @binding(2) var<storage, read> Bs: array<f32>;
@group(0) @binding(3) var<storage, read_write> FH: array<f32>;
@group(0) @binding(4) var<storage, read_write> FR: array<f32>;
@group(0) @binding(5) var<uniform> p: Params;

@compute @workgroup_size(8)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let e = flat_id(gid, nwg, 8u);
  let live = e < p.n;
  let S = p.S; let SS = S * S; let XB = (S + 3u) / 4u; let G8 = p.Cp8 / 8u;
  let ec = min(e, p.n - 1u);
  let x0 = (ec % XB) * 4u;
  let y = (ec / XB) % S;
  let g = (ec / (XB * S)) % G8;
  let b = ec / (XB * S * G8);
  let row4 = p.Cp8 / 4u;
  // The 6 input columns x0 − 1 .. x0 + 4, clamped into h and masked.
  let ia = vec4i(i32(x0) - 1) + vec4i(0, 1, 2, 3);
  let ib = vec2i(i32(x0) + 3, i32(x0) + 4);
  let oka = (ia >= vec4i(0)) & (ia < vec4i(i32(S)));
  let okb = (ib >= vec2i(0)) & (ib < vec2i(i32(S)));
  let ca = vec4u(select(vec4i(0), ia, oka));
  let cb = vec2u(select(vec2i(0), ib, okb));
  var a0 = vec4f(0.0); var a1 = vec4f(0.0); var a2 = vec4f(0.0); var a3 = vec4f(0.0);
  var a4 = vec4f(0.0); var a5 = vec4f(0.0); var a6 = vec4f(0.0); var a7 = vec4f(0.0);
  let cin = select(p.C, 0u, p.mix == 0.0);
  for (var ky = 0u; ky < 3u; ky++) {
    let iy = i32(y + ky) - 1;
    let rok = iy >= 0 && iy < i32(S);
    let ma = oka & vec4<bool>(rok);
    let mb = okb & vec2<bool>(rok);
    var ho = p.h_base + b * p.C * SS + u32(clamp(iy, 0, i32(S) - 1)) * S;
    var wi = p.w_base + ky * 3u * row4 + 2u * g;
    for (var ci = 0u; ci < cin; ci++) {
      let va = select(vec4f(0.0), vec4f(Hs[ho + ca.x], Hs[ho + ca.y], Hs[ho + ca.z], Hs[ho + ca.w]), ma);
      let vb = select(vec2f(0.0), vec2f(Hs[ho + cb.x], Hs[ho + cb.y]), mb);
      // kx = 0: columns 0..3 of the six; kx = 1: 1..4; kx = 2: 2..5.
      var xv = va;
      var w0 = Wp[wi]; var w1 = Wp[wi + 1u];
      a0 += xv * w0.x; a1 += xv * w0.y; a2 += xv * w0.z; a3 += xv * w0.w;
      a4 += xv * w1.x; a5 += xv * w1.y; a6 += xv * w1.z; a7 += xv * w1.w;
      xv = vec4f(va.yzw, vb.x);
      w0 = Wp[wi + row4]; w1 = Wp[wi + row4 + 1u];
      a0 += xv * w0.x; a1 += xv * w0.y; a2 += xv * w0.z; a3 += xv * w0.w;
      a4 += xv * w1.x; a5 += xv * w1.y; a6 += xv * w1.z; a7 += xv * w1.w;
      xv = vec4f(va.zw, vb);
      w0 = Wp[wi + 2u * row4]; w1 = Wp[wi + 2u * row4 + 1u];
      a0 += xv * w0.x; a1 += xv * w0.y; a2 += xv * w0.z; a3 += xv * w0.w;
      a4 += xv * w1.x; a5 += xv * w1.y; a6 += xv * w1.z; a7 += xv * w1.w;
      ho += SS;
      wi += 9u * row4;
    }
  }
  if (!live) { return; }
  let acc = array<vec4f, 8>(a0, a1, a2, a3, a4, a5, a6, a7);
  for (var i = 0u; i < 8u; i++) {
    let co = g * 8u + i;
    if (co >= p.C) { break; }
    let conv = acc[i] + vec4f(Bs[p.b_base + co]);
    let o0 = (b * p.C + co) * SS + y * S + x0;
    for (var j = 0u; j < 4u; j++) {
      if (x0 + j >= S) { break; }
      let o = o0 + j;
      let hv = Hs[p.h_base + o];
      var phi = hv * p.keep;
      if (p.mix != 0.0) { phi = hv * p.keep + conv[j] * p.mix; }
      FH[p.fh_base + o] = FH[p.fh_base + o] + phi;
      if ((p.flags & 1u) != 0u) { FR[p.fr_base + o] = FR[p.fr_base + o] - phi; }
    }
  }
}
