// conv/pack_weights: wp[jc, i, ky, kx, jj] = w[j, i, ky, kx] with j = jc*JCH + jj (forward), or
//   w[i, j, KH-1-ky, KW-1-kx] (flip: the kernel of the input gradient); 0 where j >= jn or i >= ci (padding).
// Bindings: 0 w (read, [O, C, KH, KW]), 1 wp (read_write, [ceil(jn/JCH), cip, KH, KW, JCH]), 2 Params (uniform).
// Params: n = elements of wp; KH KW kernel size; ci = real packed input channels (C, or O when flipped), cip = ci
//   padded; jn = real packed output channels (O, or C when flipped); jch = output channels per chunk (a multiple of 8);
//   wc = w's second dimension C; flip = 1 for the transposed, spatially flipped kernel.
// Dispatch: one invocation per packed element, workgroup 64, grid folded to (x, y) by flat_id.
// Numerics: a copy (zeros in the padding).
//#include "_lib/index.wgsl"
struct Params { n: u32, KH: u32, KW: u32, ci: u32, cip: u32, jn: u32, jch: u32, wc: u32, flip: u32 }
@group(0) @binding(0) var<storage, read> Wt: array<f32>;
@group(0) @binding(1) var<storage, read_write> WP: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let e = flat_id(gid, nwg, 64u);
  if (e >= p.n) { return; }
  let kk = p.KH * p.KW;
  let jj = e % p.jch;
  let tap = (e / p.jch) % kk;
  let i = (e / (p.jch * kk)) % p.cip;
  let j = (e / (p.jch * kk * p.cip)) * p.jch + jj;
  let ky = tap / p.KW;
  let kx = tap % p.KW;
  var v = 0.0;
  if (j < p.jn && i < p.ci) {
    if (p.flip == 0u) { v = Wt[(j * p.wc + i) * kk + tap]; }
    else { v = Wt[(i * p.wc + j) * kk + (p.KH - 1u - ky) * p.KW + (p.KW - 1u - kx)]; }
  }
  WP[e] = v;
}
