// _lib/groupnorm_rows_io: the Params, defines and bindings of groupNorm's backward-sum kernels (norm/groupnorm_rows,
//   norm/groupnorm_rows_per_plane; their headers say what each holds) and hsum, the sum of V's lanes.
struct Params { rows: u32, hw: u32, r0: u32, C: u32, cg: u32, G: u32, a_base: u32, b_base: u32 }
alias V = {{V}};
const W: u32 = {{WIDTH}}u; // elements per V
@group(0) @binding(0) var<storage, read> A: array<V>;
@group(0) @binding(1) var<storage, read> Bv: array<V>;
@group(0) @binding(2) var<storage, read> M: array<f32>;
@group(0) @binding(3) var<storage, read_write> S: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;

fn hsum(v: V) -> f32 { return {{HSUM}}; }
