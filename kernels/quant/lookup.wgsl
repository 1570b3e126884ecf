// quant/lookup: out[b, c, s] = E[idx[b, s], c] (a codebook lookup, written channel-first, or row-major as [N, C]).
// Bindings: 0 idx (read, i32), 1 E [V, C] (read), 2 out (read_write), 3 Params (uniform).
// Params: n = B·C·hw outputs; C code width; V codes; hw = positions per batch item (1 for an [N, C] output with
//   B = N); idx_base, idx_sb = idx[idx_base + b·idx_sb + s]; cb_base, out_base = window offsets; nan_bits = 0x7fc00000
//   (a quiet NaN, passed in because WGSL rejects NaN constants).
// Dispatch: one invocation per output element (b, c, s) row-major, workgroup 64, grid folded.
// Numerics: an exact copy of the code's values; an id outside [0, V) writes NaN (never a silent wrong row).
//#include "_lib/index.wgsl"
struct Params { n: u32, C: u32, V: u32, hw: u32, idx_base: u32, idx_sb: u32, cb_base: u32, out_base: u32, nan_bits: u32 }
@group(0) @binding(0) var<storage, read> IDX: array<i32>;
@group(0) @binding(1) var<storage, read> E: array<f32>;
@group(0) @binding(2) var<storage, read_write> O: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let e = flat_id(gid, nwg, 64u);
  if (e >= p.n) { return; }
  let s = e % p.hw;
  let c = (e / p.hw) % p.C;
  let b = e / (p.hw * p.C);
  let code = IDX[p.idx_base + b * p.idx_sb + s];
  var v = bitcast<f32>(p.nan_bits);
  if (code >= 0 && u32(code) < p.V) { v = E[p.cb_base + u32(code) * p.C + c]; }
  O[p.out_base + e] = v;
}
