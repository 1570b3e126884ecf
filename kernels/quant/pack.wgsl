// quant/pack: out[k, r] = in[r, k] for r < R, k < K, zero elsewhere (a transpose into a zero-padded [Kp, Rp] buffer).
// Bindings: 0 in [R, K] (read), 1 out [Kp, Rp] (read_write), 2 Params (uniform).
// Params: R, K = input rows and columns; Rp >= R, Kp >= K = padded output sizes; in_base = window offset of in.
// Dispatch: one invocation per output element, workgroup 64, grid folded.
// Numerics: exact copies. Used to lay out a codebook as [C, V] with 4 codes per vec4 (quant/nearest_code) and φ
//   weights as [(ci, tap), co] with output channels contiguous (quant/phi_update).
//#include "_lib/index.wgsl"
struct Params { R: u32, K: u32, Rp: u32, Kp: u32, in_base: u32, pad0: u32, pad1: u32, pad2: u32 }
@group(0) @binding(0) var<storage, read> I: array<f32>;
@group(0) @binding(1) var<storage, read_write> O: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let e = flat_id(gid, nwg, 64u);
  if (e >= p.Kp * p.Rp) { return; }
  let k = e / p.Rp; let r = e % p.Rp;
  O[e] = select(0.0, I[p.in_base + r * p.K + k], r < p.R && k < p.K);
}
