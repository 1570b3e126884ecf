// embed/embedding: out[n, c] = weight[idx[n], c] (a row gather); out[n, :] = NaN when idx[n] is outside [0, V).
// Bindings: 0 weight (read, V×C), 1 idx (read, i32), 2 out (read_write), 3 Params (uniform).
// Params: rows = output rows in this dispatch; C; V; nan = a NaN (WGSL has no NaN literal); w_base, i_base, o_base =
//   window offsets (i_base already includes this dispatch's first row).
// Dispatch: one invocation per output element of this dispatch, workgroup 64, grid folded by flat_id.
// Numerics: a copy, bit-exact.
//#include "_lib/index.wgsl"
struct Params { rows: u32, C: u32, V: u32, nan: f32, w_base: u32, i_base: u32, o_base: u32 }
@group(0) @binding(0) var<storage, read> W: array<f32>;
@group(0) @binding(1) var<storage, read> I: array<i32>;
@group(0) @binding(2) var<storage, read_write> O: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flat_id(gid, nwg, 64u);
  if (i >= p.rows * p.C) { return; }
  let n = i / p.C;
  let c = i % p.C;
  let v = I[p.i_base + n];
  var out = p.nan;
  if (v >= 0 && u32(v) < p.V) { out = W[p.w_base + u32(v) * p.C + c]; }
  O[p.o_base + i] = out;
}
