// norm/groupnorm_coef: groupNorm's statistics and per-plane coefficients from the centred sums of its second pass:
//   per (image, group) g, d = Σ_c S[2r], q = Σ_c S[2r + 1] over its planes r = g·cg + c; CORR[g] = d·inv_n,
//   RSTD[g] = 1 / sqrt(max((q − d·d·inv_n)·inv_n, 0) + eps); per plane r (channel k = (g mod G)·cg + c)
//   scale = RSTD·w[k] (or RSTD), shift = b[k] − CORR·scale (or −(CORR·scale)) and COEF[r] = (0, scale, shift, M0[g]):
//   norm/groupnorm_apply's (P, Q, R, M) for y = (x − M)·Q + R.
// Bindings: 0 S (read, per-plane sums [B·C, 2]), 1 M0 (read, [B·G]), 2 W (read, weight [C]; unread without flag bit 0),
//   3 BIAS (read, [C]; unread without bit 1), 4 CORR, 5 RSTD (read_write, [B·G]), 6 COEF (read_write, [B·C, 4]),
//   7 Params (uniform).
// Params: groups = B·G, cg, G groups per image, flags (bit 0 weight, bit 1 bias), inv_n = 1 / (cg·plane size), eps,
//   w_base, b_base = element offsets of the weight and bias windows.
// Dispatch: one invocation per (image, group), workgroup 64, grid (ceil(groups / 64)).
// Numerics: the group sums in reduce/reduce's order (_lib/gn_groupsum.wgsl) and the same f32 expressions as the
//   elementwise maps they replace: the same values bit for bit.
struct Params { groups: u32, cg: u32, G: u32, flags: u32, inv_n: f32, eps: f32, w_base: u32, b_base: u32 }
@group(0) @binding(0) var<storage, read> S: array<f32>;
@group(0) @binding(1) var<storage, read> M0: array<f32>;
@group(0) @binding(2) var<storage, read> W: array<f32>;
@group(0) @binding(3) var<storage, read> BIAS: array<f32>;
@group(0) @binding(4) var<storage, read_write> CORR: array<f32>;
@group(0) @binding(5) var<storage, read_write> RSTD: array<f32>;
@group(0) @binding(6) var<storage, read_write> COEF: array<vec4f>;
@group(0) @binding(7) var<uniform> p: Params;
//#include "_lib/gn_groupsum.wgsl"

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let g = gid.x;
  if (g >= p.groups) { return; }
  let d = gn_groupsum(2u * g * p.cg, 2u, p.cg);
  let q = gn_groupsum(2u * g * p.cg + 1u, 2u, p.cg);
  let corr = d * p.inv_n;
  let rstd = 1.0 / sqrt(max((q - d * d * p.inv_n) * p.inv_n, 0.0) + p.eps);
  CORR[g] = corr; RSTD[g] = rstd;
  let m = M0[g];
  let k0 = (g % p.G) * p.cg;
  for (var c = 0u; c < p.cg; c++) {
    var scale = rstd;
    if ((p.flags & 1u) != 0u) { scale = rstd * W[p.w_base + k0 + c]; }
    var shift = -(corr * scale);
    if ((p.flags & 2u) != 0u) { shift = BIAS[p.b_base + k0 + c] - corr * scale; }
    COEF[g * p.cg + c] = vec4f(0.0, scale, shift, m);
  }
}
