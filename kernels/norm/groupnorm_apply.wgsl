// norm/groupnorm_apply: out[i] = act(a[i] * k.x + (b[i] - k.w) * k.y + k.z) with k = coef[plane of i] (per-(b, c) values).
//   Forward: a = b = x, k = (0, rstd·w, bias − corr·rstd·w, m0). Backward: a = dy, b = x, k = (c1, c2, rest, m0).
//   act = identity, or SiLU (_lib/math.wgsl's silu_safe, as the elementwise silu) for groupNormSilu without gradients.
// Bindings: 0 a (read), 1 b (read; unread when SAME), 2 coef (read, vec4 per plane), 3 out (read_write), 4 Params.
// Params: n = elements in this dispatch, hw = elements per plane, r0 = global index of the first plane,
//   a_base/b_base/o_base = element offsets of the bound windows (multiples of 4 with V = vec4f).
// Defines: V = f32, or vec4f when hw and the bases are multiples of 4; WIDTH = its lane count; SAME = true when b is a;
//   ACT = the activation applied to o: `o`, or the per-lane SiLU written for V (see ops/groupnorm.ts).
// Defines (continued): RUN = V-elements per invocation (8 or 4 where they divide a plane's V-elements, else 1;
//   ops/groupnorm.ts applyRun): a run stays in one plane, so its plane index (a division, which lavapipe runs lane by
//   lane) and its coef load are one per run.
// Dispatch: one invocation per RUN consecutive V-elements, workgroup 64, grid folded to (x, y) by flat_id.
// Numerics: plain f32, left to right; b is centred before scaling (no cancellation when |mean| >> spread).
//#include "_lib/index.wgsl"
//#include "_lib/math.wgsl"
struct Params { n: u32, hw: u32, r0: u32, a_base: u32, b_base: u32, o_base: u32 }
alias V = {{V}};
const W: u32 = {{WIDTH}}u; // elements per V
const SAME: bool = {{SAME}};
const RUN: u32 = {{RUN}}u;
@group(0) @binding(0) var<storage, read> A: array<V>;
@group(0) @binding(1) var<storage, read> Bv: array<V>;
@group(0) @binding(2) var<storage, read> K: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> O: array<V>;
@group(0) @binding(4) var<uniform> p: Params;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i0 = flat_id(gid, nwg, 64u) * RUN;
  if (i0 >= p.n / W) { return; }
  let k = K[p.r0 + (i0 * W) / p.hw];
  for (var j = 0u; j < RUN; j++) {
    let i = i0 + j;
    let a = A[p.a_base / W + i];
    var b = a;
    if (!SAME) { b = Bv[p.b_base / W + i]; }
    let o = a * k.x + (b - V(k.w)) * k.y + V(k.z);
    O[p.o_base / W + i] = {{ACT}};
  }
}
