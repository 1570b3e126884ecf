// ---- _lib/math.wgsl: numerically safe activations shared by forward and backward kernels ----
const SQRT_2_OVER_PI: f32 = 0.7978845608028654;
// tanh that stays finite for large |x| (some drivers compute it as (e^2x-1)/(e^2x+1) and overflow).
fn tanh_safe(x: f32) -> f32 { let c = clamp(x, -15.0, 15.0); let e = exp(2.0 * c); return (e - 1.0) / (e + 1.0); }
fn sigmoid_safe(x: f32) -> f32 { if (x >= 0.0) { return 1.0 / (1.0 + exp(-x)); } let e = exp(x); return e / (1.0 + e); }
// GELU, tanh approximation (PyTorch approximate='tanh').
fn gelu_tanh(x: f32) -> f32 { return 0.5 * x * (1.0 + tanh_safe(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x))); }
fn gelu_tanh_grad(x: f32) -> f32 {
  let u = SQRT_2_OVER_PI * (x + 0.044715 * x * x * x);
  let t = tanh_safe(u);
  return 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * SQRT_2_OVER_PI * (1.0 + 3.0 * 0.044715 * x * x);
}
// x^e with PyTorch's sign rule for integer exponents of negative bases (WGSL pow is undefined for x < 0).
fn pow_pt(x: f32, e: f32) -> f32 {
  if (x >= 0.0 || e != floor(e)) { return pow(x, e); }
  let m = pow(-x, e);
  return select(m, -m, (i32(e) & 1) != 0);
}
