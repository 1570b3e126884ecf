// seqlogp/level_sum: out[b, k] = Σ_{l : level[l] = k} x[b, l] (per-scale sums), or its adjoint gx[b, l] = g[b, level[l]].
// Bindings: 0 src (read: x [B, L], or g [B, K] when BACKWARD), 1 level (read, i32 [L]), 2 dst (read_write), 3 Params.
// Params: B; L; K levels; s_base = window offset of src (dst and level are fresh, offset 0).
// Defines: BACKWARD 0: one invocation per (b, k) sums its tokens in l order (deterministic); 1: one per (b, l).
// Dispatch: workgroup 64, grid folded.
// Numerics: f32 sums in token order.
struct Params { B: u32, L: u32, K: u32, s_base: u32 }
@group(0) @binding(0) var<storage, read> S: array<f32>;
@group(0) @binding(1) var<storage, read> LV: array<i32>;
@group(0) @binding(2) var<storage, read_write> D: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

const BACKWARD: bool = {{BACKWARD}};

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let e = gid.x + gid.y * nwg.x * 64u;
  if (BACKWARD) {
    if (e >= p.B * p.L) { return; }
    D[e] = S[p.s_base + (e / p.L) * p.K + u32(LV[e % p.L])];
  } else {
    if (e >= p.B * p.K) { return; }
    let b = e / p.K; let k = i32(e % p.K);
    var acc = 0.0;
    for (var l = 0u; l < p.L; l++) { if (LV[l] == k) { acc += S[p.s_base + b * p.L + l]; } }
    D[e] = acc;
  }
}
