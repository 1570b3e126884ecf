// attention/head_norm_grad: backward of attention/head_norm. With n = ‖x‖, x̂ = x / max(n, 1e-12), g' = G·t_h:
//   dX = (g' - x̂ (g'·x̂)) / n when n > 1e-12, else g' / 1e-12; RD[b,h,l] = G·Y (summed per head by the caller: dS_h =
//   Σ RD · [S_h <= ln 100], the clamp's gradient rule).
// Bindings: 0 X, 1 G (read, vec4 rows), 2 S (read, f32 per head; a dummy when has_s = 0), 3 dX (read_write, vec4 rows),
//   4 RD (read_write, f32 per row), 5 Params (uniform).
// Params: n rows, H, L, has_s, d4 = head dim / 4; lay[s] = (base, batch, head, row strides) of slot s = X, G, S, dX, RD
//   in its array's units.
// Dispatch: one invocation per row, workgroup 64, grid folded to (x, y) by flat_id.
// Numerics: f32, row-order sums.
//#include "_lib/index.wgsl"
const LN100: f32 = 4.605170185988092;
const EPS: f32 = 1e-12;

struct Params { n: u32, H: u32, L: u32, has_s: u32, d4: u32, pad0: u32, pad1: u32, pad2: u32, lay: array<vec4u, 5> }
@group(0) @binding(0) var<storage, read> X: array<vec4f>;
@group(0) @binding(1) var<storage, read> G: array<vec4f>;
@group(0) @binding(2) var<storage, read> S: array<f32>;
@group(0) @binding(3) var<storage, read_write> DX: array<vec4f>;
@group(0) @binding(4) var<storage, read_write> RD: array<f32>;
@group(0) @binding(5) var<uniform> p: Params;

fn at(s: u32, b: u32, h: u32, i: u32) -> u32 { let l = p.lay[s]; return l.x + b * l.y + h * l.z + i * l.w; }

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let r = flat_id(gid, nwg, 64u);
  if (r >= p.n) { return; }
  let i = r % p.L; let h = (r / p.L) % p.H; let b = r / (p.L * p.H);
  let xo = at(0u, b, h, i); let go = at(1u, b, h, i);
  var t = 1.0;
  if (p.has_s != 0u) { t = exp(min(S[at(2u, 0u, h, 0u)], LN100)); }
  var ss = 0.0;
  for (var d = 0u; d < p.d4; d++) { let x = X[xo + d]; ss += dot(x, x); }
  let n = sqrt(ss);
  let nrm = max(n, EPS);
  var gx = 0.0; // g'·x̂
  var gy = 0.0; // G·Y
  for (var d = 0u; d < p.d4; d++) {
    let xh = X[xo + d] / nrm; let g = G[go + d];
    gx += dot(g * t, xh); gy += dot(g, xh * t);
  }
  let dxo = at(3u, b, h, i);
  for (var d = 0u; d < p.d4; d++) {
    let gt = G[go + d] * t;
    if (n > EPS) { DX[dxo + d] = (gt - (X[xo + d] / nrm) * gx) / nrm; } else { DX[dxo + d] = gt / EPS; }
  }
  RD[at(4u, b, h, i)] = gy;
}
