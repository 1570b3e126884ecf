// pool/maxpool2d_bwd: dx[p, iy, ix] = Σ_{(oy, ox) whose window covers (iy, ix)} dy[p, oy, ox] · [idx[p, oy, ox] == iy*W + ix].
// Bindings: 0 dy (read), 1 idx (read, i32, the forward's argmax), 2 dx (read_write), 3 Params (uniform).
// Params: n = inputs in this dispatch (planes × H × W), H W input plane, OH OW output plane, K window, S stride, pad,
//   g_base/i_base/d_base = element offsets of the bound windows of dy, idx and dx.
// Dispatch: one invocation per input element (a gather: no atomics, deterministic); it visits the at most
//   ceil(K/S)² outputs whose windows cover it. Workgroup 64, grid folded to (x, y) by flat_id.
// Numerics: f32 sum in row-major output order, the order of PyTorch CPU's scatter-add.
//#include "_lib/index.wgsl"
struct Params { n: u32, H: u32, W: u32, OH: u32, OW: u32, K: u32, S: u32, pad: u32, g_base: u32, i_base: u32, d_base: u32 }
@group(0) @binding(0) var<storage, read> DY: array<f32>;
@group(0) @binding(1) var<storage, read> IDX: array<i32>;
@group(0) @binding(2) var<storage, read_write> DX: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

// Outputs o with o*S - pad <= t < o*S - pad + K, i.e. ceil((t + pad - K + 1) / S) <= o <= floor((t + pad) / S);
// i32 division truncates toward zero, which is the ceiling for a > 0, and max(., 0) covers a <= 0.
fn first_out(t: u32) -> u32 { let a = i32(t + p.pad) - i32(p.K) + 1; return u32(max((a + i32(p.S) - 1) / i32(p.S), 0)); }
fn last_out(t: u32, n: u32) -> u32 { return min((t + p.pad) / p.S + 1u, n); }

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let e = flat_id(gid, nwg, 64u);
  if (e >= p.n) { return; }
  let hw = p.H * p.W;
  let me = i32(e % hw);
  let ix = e % p.W;
  let iy = (e / p.W) % p.H;
  let plane = e / hw;
  let ob = plane * p.OH * p.OW;
  var s = 0.0;
  for (var oy = first_out(iy); oy < last_out(iy, p.OH); oy++) {
    for (var ox = first_out(ix); ox < last_out(ix, p.OW); ox++) {
      let o = ob + oy * p.OW + ox;
      if (IDX[p.i_base + o] == me) { s += DY[p.g_base + o]; }
    }
  }
  DX[p.d_base + e] = s;
}
