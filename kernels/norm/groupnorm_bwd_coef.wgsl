// norm/groupnorm_bwd_coef: groupNorm's backward coefficients from the plane sums of dy (norm/groupnorm_rows with a = dy,
//   b = x centred on m0: S[2r] = db_r = Σdy, S[2r + 1] = Σdy·(x − m0)), per (image, group) g with planes r = g·cg + c
//   (channel k = (g mod G)·cg + c): e_r = S[2r + 1] − CORR·db_r; eg = Σ_c w_k·e_r, dbg = Σ_c w_k·db_r (w = 1 without a
//   weight); c2 = −eg·RSTD³·inv_n, rest = −c2·CORR − (dbg·RSTD)·inv_n; COEF[r] = (RSTD·w_k, c2, rest, M0[g]), so that
//   norm/groupnorm_apply gives dx = dy·P + (x − M)·Q + R; ER[r] = e_r·RSTD (dw = Σ over images).
// Bindings: 0 S (read, [B·C, 2]), 1 M0, 2 CORR, 3 RSTD (read, [B·G]), 4 W (read, weight [C]; unread without flag bit
//   0), 5 COEF (read_write, [B·C, 4]), 6 ER (read_write, [B·C]), 7 Params (uniform).
// Params: groups = B·G, cg, G groups per image, flags (bit 0 weight), inv_n = 1 / (cg·plane size), w_base = element
//   offset of the weight window.
// Dispatch: one invocation per (image, group), workgroup 64, grid (ceil(groups / 64)).
// Numerics: the same f32 expressions as the elementwise maps they replace, and the two group sums in reduce/reduce's
//   order (64 running sums, then its pairwise tree): the same values bit for bit.
struct Params { groups: u32, cg: u32, G: u32, flags: u32, inv_n: f32, w_base: u32, pad0: u32, pad1: u32 }
@group(0) @binding(0) var<storage, read> S: array<f32>;
@group(0) @binding(1) var<storage, read> M0: array<f32>;
@group(0) @binding(2) var<storage, read> CORR: array<f32>;
@group(0) @binding(3) var<storage, read> RSTD: array<f32>;
@group(0) @binding(4) var<storage, read> W: array<f32>;
@group(0) @binding(5) var<storage, read_write> COEF: array<vec4f>;
@group(0) @binding(6) var<storage, read_write> ER: array<f32>;
@group(0) @binding(7) var<uniform> p: Params;

fn weight(k: u32) -> f32 { return W[p.w_base + k]; }

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let g = gid.x;
  if (g >= p.groups) { return; }
  let corr = CORR[g]; let rstd = RSTD[g]; let m = M0[g];
  let has_w = (p.flags & 1u) != 0u;
  let r0 = g * p.cg; let k0 = (g % p.G) * p.cg;
  // Σ_c w·e and Σ_c w·db in reduce/reduce's order: running sums c = t, t + 64, .., then the pairwise tree.
  var se: array<f32, 64>; var sd: array<f32, 64>;
  for (var t = 0u; t < 64u; t++) {
    var ae = 0.0; var ad = 0.0;
    for (var c = t; c < p.cg; c += 64u) {
      let db = S[2u * (r0 + c)]; let e = S[2u * (r0 + c) + 1u] - corr * db;
      if (has_w) { let w = weight(k0 + c); ae += e * w; ad += db * w; } else { ae += e; ad += db; }
    }
    se[t] = ae; sd[t] = ad;
  }
  for (var s = 32u; s > 0u; s >>= 1u) { for (var t = 0u; t < s; t++) { se[t] += se[t + s]; sd[t] += sd[t + s]; } }
  let c2 = -se[0] * rstd * rstd * rstd * p.inv_n;
  let rest = -c2 * corr - (sd[0] * rstd) * p.inv_n;
  for (var c = 0u; c < p.cg; c++) {
    let r = r0 + c;
    let e = S[2u * r + 1u] - corr * S[2u * r];
    ER[r] = e * rstd;
    var c1 = rstd;
    if (has_w) { c1 = rstd * weight(k0 + c); }
    COEF[r] = vec4f(c1, c2, rest, m);
  }
}
