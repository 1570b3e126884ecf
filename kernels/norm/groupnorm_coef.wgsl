// norm/groupnorm_coef: groupNorm's statistics and per-plane coefficients from the per-plane moments of
//   norm/groupnorm_moments (S[r] = (K_r, mean of x − K_r, M2, 0)): per (image, group) g with planes r = g·cg + c (hw
//   elements each, N = cg·hw in all), the group mean as M0[g] = K of its first plane plus CORR[g] = Σ_c u_c / cg with
//   u_c = (K_r − M0[g]) + S[r].y, M2 = Σ_c S[r].z + hw·Σ_c (u_c − CORR[g])² (Chan's merge of equal counts),
//   RSTD[g] = 1 / sqrt(M2·inv_n + eps); per plane r (channel k = (g mod G)·cg + c) scale = RSTD·w[k] (or RSTD),
//   shift = b[k] − CORR·scale (or −(CORR·scale)) and COEF[r] = (0, scale, shift, M0[g]): norm/groupnorm_apply's
//   (P, Q, R, M) for y = (x − M)·Q + R.
// Bindings: 0 S (read, per-plane moments [B·C] vec4), 1 M0 (read_write, [B·G]), 2 W (read, weight [C]; unread without
//   flag bit 0), 3 BIAS (read, [C]; unread without bit 1), 4 CORR, 5 RSTD (read_write, [B·G]), 6 COEF (read_write,
//   [B·C, 4]), 7 Params (uniform).
// Params: groups = B·G, cg, G groups per image, flags (bit 0 weight, bit 1 bias), inv_n = 1 / (cg·hw), eps, w_base,
//   b_base = element offsets of the weight and bias windows, hw = elements per plane.
// Dispatch: one invocation per (image, group), workgroup 64, grid (ceil(groups / 64)).
// Numerics: f32, the planes in order; M0 is an element of x and everything else is relative to it, so the mean keeps
//   the precision of the spread (the backward centres x on M0 and corrects by CORR, as the forward does).
struct Params { groups: u32, cg: u32, G: u32, flags: u32, inv_n: f32, eps: f32, w_base: u32, b_base: u32, hw: f32, pad0: u32, pad1: u32, pad2: u32 }
@group(0) @binding(0) var<storage, read> S: array<vec4f>;
@group(0) @binding(1) var<storage, read_write> M0: array<f32>;
@group(0) @binding(2) var<storage, read> W: array<f32>;
@group(0) @binding(3) var<storage, read> BIAS: array<f32>;
@group(0) @binding(4) var<storage, read_write> CORR: array<f32>;
@group(0) @binding(5) var<storage, read_write> RSTD: array<f32>;
@group(0) @binding(6) var<storage, read_write> COEF: array<vec4f>;
@group(0) @binding(7) var<uniform> p: Params;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let g = gid.x;
  if (g >= p.groups) { return; }
  let r0 = g * p.cg;
  let m = S[r0].x;
  var su = 0.0;
  for (var c = 0u; c < p.cg; c++) { let v = S[r0 + c]; su += (v.x - m) + v.y; }
  let corr = su / f32(p.cg);
  var q = 0.0; var spread = 0.0;
  for (var c = 0u; c < p.cg; c++) { let v = S[r0 + c]; let d = ((v.x - m) + v.y) - corr; q += v.z; spread += d * d; }
  let rstd = 1.0 / sqrt(max((q + p.hw * spread) * p.inv_n, 0.0) + p.eps);
  M0[g] = m; CORR[g] = corr; RSTD[g] = rstd;
  let k0 = (g % p.G) * p.cg;
  for (var c = 0u; c < p.cg; c++) {
    var scale = rstd;
    if ((p.flags & 1u) != 0u) { scale = rstd * W[p.w_base + k0 + c]; }
    var shift = -(corr * scale);
    if ((p.flags & 2u) != 0u) { shift = BIAS[p.b_base + k0 + c] - corr * scale; }
    COEF[r0 + c] = vec4f(0.0, scale, shift, m);
  }
}
