// attention/head_norm: Y[b,h,l] = X[b,h,l] / max(‖X[b,h,l]‖₂, 1e-12) · t_h with t_h = exp(min(S[h], ln 100)) (VAR's
//   attn_l2_norm; t_h = 1 when there is no S).
// Bindings: 0 X (read, vec4 rows of D), 1 S (read, f32 per head; a dummy when has_s = 0), 2 Y (read_write, vec4 rows),
//   3 Params (uniform).
// Params: n = rows (b, h, l) in this dispatch; H heads; L rows per (b, h); has_s; d4 = head dim / 4;
//   lay[s] = (base, batch, head, row strides) of slot s = X, S, Y in its array's units.
// Dispatch: one invocation per row, workgroup 64, grid folded to (x, y) by flat_id.
// Numerics: f32 sum of squares in row order; F.normalize's eps rule (divide by max(norm, 1e-12)), then multiply by t_h.
//#include "_lib/index.wgsl"
const LN100: f32 = 4.605170185988092;

struct Params { n: u32, H: u32, L: u32, has_s: u32, d4: u32, pad0: u32, pad1: u32, pad2: u32, lay: array<vec4u, 3> }
@group(0) @binding(0) var<storage, read> X: array<vec4f>;
@group(0) @binding(1) var<storage, read> S: array<f32>;
@group(0) @binding(2) var<storage, read_write> Y: array<vec4f>;
@group(0) @binding(3) var<uniform> p: Params;

fn at(s: u32, b: u32, h: u32, i: u32) -> u32 { let l = p.lay[s]; return l.x + b * l.y + h * l.z + i * l.w; }

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let r = flat_id(gid, nwg, 64u);
  if (r >= p.n) { return; }
  let i = r % p.L; let h = (r / p.L) % p.H; let b = r / (p.L * p.H);
  let xo = at(0u, b, h, i);
  var ss = 0.0;
  for (var d = 0u; d < p.d4; d++) { let x = X[xo + d]; ss += dot(x, x); }
  let nrm = max(sqrt(ss), 1e-12);
  var t = 1.0;
  if (p.has_s != 0u) { t = exp(min(S[at(1u, 0u, h, 0u)], LN100)); }
  let yo = at(2u, b, h, i);
  for (var d = 0u; d < p.d4; d++) { Y[yo + d] = (X[xo + d] / nrm) * t; }
}
