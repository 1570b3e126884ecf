// quant/nearest_code: idx[r] = argmin_v (|z_r|² + |e_v|²) − 2 z_r·e_v, z_r = area-pool of src over row r's bin; h[r] = e_idx.
// Bindings: 0 src (read, f32), 1 Et = codebook transposed [Cp, Vp] (read, vec4 = 4 codes; quant/pack), 2 ee = |e_v|² [V]
//   (read), 3 E = codebook [V, C] (read, for the lookup), 4 idx (read_write, i32), 5 h (read_write, f32),
//   6 counts (read_write, atomic i32), 7 Params (uniform).
// Params: rows = B·gh·gw rows r = (b, y, x) row-major; C code width (<= 256), Cp = C rounded up to 4; V codes, Vp = V
//   rounded up to 4; gh, gw = output grid; sh, sw = source plane size: z_r[c] = mean of src[b, c, bin(y), bin(x)] over
//   the adaptive-average-pooling bins [floor(y·sh/gh), ceil((y+1)·sh/gh)) (sh == gh: the identity; [N, C] input = B = N
//   with 1×1 planes); src_base, et_base (in vec4s), ee_base, e_base = window offsets; idx at idx_base + b·idx_sb + y·gw + x;
//   h written as [B, C, gh, gw] at h_base when flags bit 0; counts[cnt_base + idx] += 1 when flags bit 1.
// Dispatch: one workgroup of 8 per 8 rows (grid folded). z of those rows sits in workgroup memory; invocation t scans code
//   quads q = t, t+8, ...: per 4 channels it loads 4 vec4 of Et and updates 8 rows × 4 codes of dot products (the
//   lavapipe matmul recipe: workgroup of 8, one vec4 of columns × 8 rows per invocation, A read workgroup-uniform).
//   Then each row's 8 partial winners are merged in invocation order.
// Numerics: f32; distance evaluated as torch.addmm(|z|²+|e|², z, eᵀ, alpha=−2): (zz + ee) + (−2·dot), dot and zz summed
//   over c in order; ties → lowest index (torch.argmin); NaN distances never win (a row of NaNs gets index 0).
//#include "_lib/index.wgsl"
struct Params { rows: u32, C: u32, Cp: u32, V: u32, Vp: u32, gh: u32, gw: u32, sh: u32,
  sw: u32, src_base: u32, et_base: u32, ee_base: u32, e_base: u32, idx_base: u32, idx_sb: u32, h_base: u32,
  cnt_base: u32, flags: u32, pad0: u32, pad1: u32 }
@group(0) @binding(0) var<storage, read> SRC: array<f32>;
@group(0) @binding(1) var<storage, read> ET: array<vec4f>;
@group(0) @binding(2) var<storage, read> EE: array<f32>;
@group(0) @binding(3) var<storage, read> E: array<f32>;
@group(0) @binding(4) var<storage, read_write> IDX: array<i32>;
@group(0) @binding(5) var<storage, read_write> H: array<f32>;
@group(0) @binding(6) var<storage, read_write> CNT: array<atomic<i32>>;
@group(0) @binding(7) var<uniform> p: Params;

const WG: u32 = 8u;
const R: u32 = 8u;          // rows per workgroup
const MAXC4: u32 = 64u;     // code width up to 256
var<workgroup> zs: array<vec4f, 512>;  // zs[k·Cp/4 + c4] = channels 4·c4 .. +3 of row k (R × MAXC4)
var<workgroup> wd: array<f32, 64>;     // partial winners [invocation][row]
var<workgroup> wi: array<u32, 64>;
var<workgroup> win: array<u32, 8>;
//#include "_lib/vq_pool.wgsl"
//#include "_lib/vq_winners.wgsl"

@compute @workgroup_size(8)
fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = lid.x;
  let r0 = (wid.x + wid.y * nwg.x) * R;
  let C4 = p.Cp / 4u;
  // 1. z of this workgroup's rows, zero-padded (rows past the end are never written).
  for (var i = t; i < R * p.Cp; i += WG) {
    let k = i / p.Cp; let c = i % p.Cp;
    var v = 0.0;
    if (r0 + k < p.rows && c < p.C) { v = pooled(r0 + k, c); }
    zs[k * C4 + c / 4u][c % 4u] = v;
  }
  workgroupBarrier();
  var zz: array<f32, 8>;
  for (var k = 0u; k < R; k++) {
    var s = 0.0;
    for (var c4 = 0u; c4 < C4; c4++) { let z = zs[k * C4 + c4]; s += z.x * z.x; s += z.y * z.y; s += z.z * z.z; s += z.w * z.w; }
    zz[k] = s;
  }
  // 2. Dot products of the 8 rows with code quads q = t, t + 8, ...
  var bd: array<f32, 8>;
  var bi: array<u32, 8>;
  for (var k = 0u; k < R; k++) { bd[k] = 0.0; bi[k] = NONE; }
  let Vp4 = p.Vp / 4u;
  for (var q = t; q < Vp4; q += WG) {
    var acc: array<vec4f, 8>;
    for (var k = 0u; k < R; k++) { acc[k] = vec4f(0.0); }
    for (var c4 = 0u; c4 < C4; c4++) {
      let eb = p.et_base + c4 * 4u * Vp4 + q;
      let e0 = ET[eb]; let e1 = ET[eb + Vp4]; let e2 = ET[eb + 2u * Vp4]; let e3 = ET[eb + 3u * Vp4];
      for (var k = 0u; k < R; k++) {
        let z = zs[k * C4 + c4];
        var a = acc[k];
        a += z.x * e0; a += z.y * e1; a += z.z * e2; a += z.w * e3;
        acc[k] = a;
      }
    }
    for (var j = 0u; j < 4u; j++) {
      let v = q * 4u + j;
      if (v >= p.V) { break; }
      let ee = EE[p.ee_base + v];
      for (var k = 0u; k < R; k++) {
        let d = (zz[k] + ee) + (-2.0 * acc[k][j]);
        if (better(d, v, bd[k], bi[k])) { bd[k] = d; bi[k] = v; }
      }
    }
  }
  for (var k = 0u; k < R; k++) { wd[t * R + k] = bd[k]; wi[t * R + k] = bi[k]; }
  workgroupBarrier();
  // 3. Row k's winner over the 8 invocations; indices and usage counts.
  if (t < R) { merge_row(t, r0 + t, r0 + t < p.rows); }
  workgroupBarrier();
  // 4. The looked-up codes in [B, C, gh, gw] layout.
  write_h(t, 0u, r0);
}
