// degrade/usm: the pointwise steps of Real-ESRGAN's USMSharp around the two Gaussian blurs (filter.ts usmSharpen):
//   MODE 0 (mask): o = |x − b|·255 > threshold ? 1 : 0, with b = blur(x);
//   MODE 1 (combine): o = s·clamp(x + weight·(x − b), 0, 1) + (1 − s)·x, with s = blur(mask).
// Bindings: 0 x (read), 1 b (read), 2 s (read; MODE 1 only, bound to b in MODE 0), 3 out (read_write), 4 Params.
// Params: n = values; a = threshold (MODE 0) or weight (MODE 1).
// Dispatch: one invocation per 4 consecutive values (fewer, fuller workgroups than one per value), workgroup 64,
//   grid folded by flat_id.
// Numerics: plain f32 per value (the CPU stage computes the combine in f64 and rounds once).
//#include "_lib/index.wgsl"
const MODE: u32 = {{MODE}}u;
struct Params { n: u32, a: f32 }
@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read> B: array<f32>;
@group(0) @binding(2) var<storage, read> S: array<f32>;
@group(0) @binding(3) var<storage, read_write> O: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i0 = 4u * flat_id(gid, nwg, 64u);
  for (var i = i0; i < min(i0 + 4u, p.n); i++) {
    let x = X[i];
    let b = B[i];
    if (MODE == 0u) {
      O[i] = select(0.0, 1.0, abs(x - b) * 255.0 > p.a);
    } else {
      let s = S[i];
      O[i] = s * clamp(x + p.a * (x - b), 0.0, 1.0) + (1.0 - s) * x;
    }
  }
}
