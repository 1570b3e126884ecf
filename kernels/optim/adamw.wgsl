// optim/adamw: one fused AdamW step (PyTorch torch.optim.AdamW, non-foreach order of operations):
//   p ← p·(1 − lr·wd);  m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²;
//   p ← p − (lr / bc1) · m / (sqrt(v) / sqrt(bc2) + eps),  bc_i = 1 − β_i^t.
// Bindings: 0 p (read_write), 1 g (read), 2 m (read_write), 3 v (read_write), 4 Params (uniform).
// Params: n elements; lr, beta1, beta2, eps, wd; bc1 and sqrt_bc2 = sqrt(bc2) (bias corrections for this parameter's
//   step, computed on the host in f64).
// Dispatch: one invocation per element, workgroup 64, grid folded to (x, y).
// Numerics: f32, same operation order as PyTorch's single-tensor AdamW so results match to rounding.
//#include "_lib/index.wgsl"
struct Params { n: u32, lr: f32, beta1: f32, beta2: f32, eps: f32, wd: f32, bc1: f32, sqrt_bc2: f32 }
@group(0) @binding(0) var<storage, read_write> P: array<f32>;
@group(0) @binding(1) var<storage, read> G: array<f32>;
@group(0) @binding(2) var<storage, read_write> M: array<f32>;
@group(0) @binding(3) var<storage, read_write> V: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flat_id(gid, nwg, 64u);
  if (i >= p.n) { return; }
  let g = G[i];
  var w = P[i] * (1.0 - p.lr * p.wd);
  let m = p.beta1 * M[i] + (1.0 - p.beta1) * g;
  let v = p.beta2 * V[i] + (1.0 - p.beta2) * g * g;
  M[i] = m; V[i] = v;
  let denom = sqrt(v) / p.sqrt_bc2 + p.eps;
  P[i] = w - (p.lr / p.bc1) * (m / denom);
}
