// ---- _lib/math.wgsl: numerically safe activations shared by forward and backward kernels ----
const SQRT_2_OVER_PI: f32 = 0.7978845608028654;
// tanh that stays finite for large |x| (some drivers compute it as (e^2x-1)/(e^2x+1) and overflow).
fn tanh_safe(x: f32) -> f32 { let c = clamp(x, -15.0, 15.0); let e = exp(2.0 * c); return (e - 1.0) / (e + 1.0); }
fn sigmoid_safe(x: f32) -> f32 { if (x >= 0.0) { return 1.0 / (1.0 + exp(-x)); } let e = exp(x); return e / (1.0 + e); }
// SiLU, x·sigmoid(x): the elementwise silu and group norm's fused SiLU use this one expression.
fn silu_safe(x: f32) -> f32 { return x * sigmoid_safe(x); }
// GELU, tanh approximation (PyTorch approximate='tanh').
fn gelu_tanh(x: f32) -> f32 { return 0.5 * x * (1.0 + tanh_safe(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x))); }
// d/dx gelu_tanh, with 0.5 (1 + tanh u) = sigmoid(2u) and 0.5 (1 - tanh² u) = 2 sigmoid(2u) sigmoid(-2u): no
// cancellation in the tails (1 ± tanh u in f32 loses most digits once |u| > 4).
fn gelu_tanh_grad(x: f32) -> f32 {
  let u = SQRT_2_OVER_PI * (x + 0.044715 * x * x * x);
  let sp = sigmoid_safe(2.0 * u);
  let sn = sigmoid_safe(-2.0 * u);
  return sp + 2.0 * x * sp * sn * SQRT_2_OVER_PI * (1.0 + 3.0 * 0.044715 * x * x);
}
// x^e with PyTorch's sign rule for integer exponents of negative bases (WGSL pow is undefined for x < 0).
fn pow_pt(x: f32, e: f32) -> f32 {
  if (x >= 0.0 || e != floor(e)) { return pow(x, e); }
  let m = pow(-x, e);
  return select(m, -m, (i32(e) & 1) != 0);
}
// Inverse error function, single precision (M. Giles, "Approximating the erfinv function", 2010).
fn erfinv_giles(x: f32) -> f32 {
  var w = -log((1.0 - x) * (1.0 + x));
  var p: f32;
  if (w < 5.0) {
    w = w - 2.5;
    p = 2.81022636e-08;
    p = 3.43273939e-07 + p * w; p = -3.5233877e-06 + p * w; p = -4.39150654e-06 + p * w;
    p = 0.00021858087 + p * w; p = -0.00125372503 + p * w; p = -0.00417768164 + p * w;
    p = 0.246640727 + p * w; p = 1.50140941 + p * w;
  } else {
    w = sqrt(w) - 3.0;
    p = -0.000200214257;
    p = 0.000100950558 + p * w; p = 0.00134934322 + p * w; p = -0.00367342844 + p * w;
    p = 0.00573950773 + p * w; p = -0.0076224613 + p * w; p = 0.00943887047 + p * w;
    p = 1.00167406 + p * w; p = 2.83297682 + p * w;
  }
  return p * x;
}
