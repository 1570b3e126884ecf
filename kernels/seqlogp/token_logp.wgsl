// seqlogp/token_logp: lp[r] = x[r, id_r] − lse_r with lse_r = log Σ_v exp(x[r, v]) (log-softmax gathered at the token).
// Bindings: 0 logits (read, f32), 1 ids (read, i32), 2 lp (read_write), 3 lse (read_write), 4 Params (uniform).
// Params: rows = rows in this dispatch, starting at row r0 (rows r = b·L + l index ids, lp, lse); V vocabulary;
//   L tokens per sequence; sB, sL = element strides of the logits' b and l dims (v has stride 1); x_base = window
//   offset of row r0's logits; id_base, out_base = window offsets of ids and of lp/lse; nan_bits = a quiet NaN.
// Dispatch: one workgroup of 64 per row (grid folded); each invocation keeps an online (max, Σ exp) pair over
//   v = t, t+64, ...; pairs merge in a workgroup tree.
// Numerics: f32; online max-subtracted sums (rescaled when the running max grows), lp = (x_id − max) − log(Σ);
//   an id outside [0, V) yields NaN (never a silently wrong log-probability).
struct Params { rows: u32, r0: u32, V: u32, L: u32, sB: u32, sL: u32, x_base: u32, id_base: u32, out_base: u32, nan_bits: u32 }
@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read> IDS: array<i32>;
@group(0) @binding(2) var<storage, read_write> LP: array<f32>;
@group(0) @binding(3) var<storage, read_write> LSE: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;

const WG: u32 = 64u;
const LOW: f32 = -3.4028234e38; // "no value yet" (a finite stand-in for −inf, which WGSL cannot spell)
var<workgroup> sm: array<f32, WG>;
var<workgroup> ss: array<f32, WG>;

fn row_offset(r: u32) -> u32 { return (r / p.L) * p.sB + (r % p.L) * p.sL; }

@compute @workgroup_size(64)
fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = lid.x;
  let j = wid.x + wid.y * nwg.x;
  let valid = j < p.rows;
  let r = p.r0 + j;
  let base = p.x_base + select(0u, row_offset(r) - row_offset(p.r0), valid);
  var m = LOW;
  var s = 0.0;
  if (valid) {
    for (var v = t; v < p.V; v += WG) {
      let x = X[base + v];
      if (x > m) { s = s * exp(m - x) + 1.0; m = x; } else { s += exp(x - m); }
    }
  }
  sm[t] = m; ss[t] = s;
  workgroupBarrier();
  for (var k = WG / 2u; k > 0u; k >>= 1u) {
    if (t < k) {
      let m1 = sm[t]; let m2 = sm[t + k];
      let mm = max(m1, m2);
      ss[t] = ss[t] * exp(m1 - mm) + ss[t + k] * exp(m2 - mm);
      sm[t] = mm;
    }
    workgroupBarrier();
  }
  if (t == 0u && valid) {
    let id = IDS[p.id_base + r];
    let lse = sm[0] + log(ss[0]);
    var lp = bitcast<f32>(p.nan_bits);
    if (id >= 0 && u32(id) < p.V) { lp = (X[base + u32(id)] - sm[0]) - log(ss[0]); }
    LP[p.out_base + r] = lp;
    LSE[p.out_base + r] = lse;
  }
}
