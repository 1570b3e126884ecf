// seqlogp/token_logp_backward: dx[r, v] = g[r] · ([v = id_r] − exp(x[r, v] − lse_r)) (gradient of the gathered log-softmax).
// Bindings: 0 logits (read), 1 ids (read, i32), 2 lse (read), 3 g (read), 4 dx (read_write), 5 Params (uniform).
// Params: n = elements in this dispatch = rows·V from row r0; V; L; sB, sL = logits strides as in seqlogp/token_logp;
//   x_base = window offset of row r0's logits; id_base, lse_base, g_base = offsets of ids, lse and g (by row);
//   dx_base = window offset of row r0 in the contiguous dx.
// Dispatch: one invocation per element, workgroup 64, grid folded.
// Numerics: f32; softmax recomputed from the saved lse (no stored probabilities).
struct Params { n: u32, r0: u32, V: u32, L: u32, sB: u32, sL: u32, x_base: u32, id_base: u32, lse_base: u32, g_base: u32, dx_base: u32 }
@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read> IDS: array<i32>;
@group(0) @binding(2) var<storage, read> LSE: array<f32>;
@group(0) @binding(3) var<storage, read> G: array<f32>;
@group(0) @binding(4) var<storage, read_write> DX: array<f32>;
@group(0) @binding(5) var<uniform> p: Params;

fn row_offset(r: u32) -> u32 { return (r / p.L) * p.sB + (r % p.L) * p.sL; }

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let e = gid.x + gid.y * nwg.x * 64u;
  if (e >= p.n) { return; }
  let r = p.r0 + e / p.V;
  let v = e % p.V;
  let x = X[p.x_base + row_offset(r) - row_offset(p.r0) + v];
  let sm = exp(x - LSE[p.lse_base + r]);
  let hot = select(0.0, 1.0, IDS[p.id_base + r] == i32(v));
  DX[p.dx_base + e] = G[p.g_base + r] * (hot - sm);
}
