// conv/pack_weights: wp[jc, i, ky, kx, jj] = w[j, i, ky, kx] with j = jc*JCH + jj (forward), or
//   w[i, j, KH-1-ky, KW-1-kx] (flip: the kernel of the input gradient); 0 where j >= jn or i >= ci (padding).
// Bindings: 0 w (read, [O, C, KH, KW]), 1 wp (read_write, vec4 view of [ceil(jn/JCH), cip, KH, KW, JCH]), 2 Params (uniform).
// Params: rows = packed rows (jc, i, ky, kx) of JCH values; KH KW kernel size; ci = real packed input channels (C, or O
//   when flipped), cip = ci padded; jn = real packed output channels (O, or C when flipped); wc = w's second dimension C;
//   flip = 1 for the transposed, spatially flipped kernel.
// Defines: JCH: output channels per chunk (a multiple of 4).
// Dispatch: one invocation per packed row (its JCH values as vec4 stores; the row's index decoded once, not per
//   element: lavapipe divides lane by lane), workgroup 64, grid folded to (x, y) by flat_id.
// Numerics: a copy (zeros in the padding).
//#include "_lib/index.wgsl"
const JCH: u32 = {{JCH}}u;
struct Params { rows: u32, KH: u32, KW: u32, ci: u32, cip: u32, jn: u32, wc: u32, flip: u32 }
@group(0) @binding(0) var<storage, read> Wt: array<f32>;
@group(0) @binding(1) var<storage, read_write> WP: array<vec4f>;
@group(0) @binding(2) var<uniform> p: Params;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let r = flat_id(gid, nwg, 64u);
  if (r >= p.rows) { return; }
  let kk = p.KH * p.KW;
  let tap = r % kk;
  let i = (r / kk) % p.cip;
  let j0 = (r / (kk * p.cip)) * JCH;
  let ky = tap / p.KW; let kx = tap % p.KW;
  // Element (j, i) of the tap: w[j, i, tap] forward, w[i, j, flipped tap] flipped; step from one j to the next.
  let ftap = (p.KH - 1u - ky) * p.KW + (p.KW - 1u - kx);
  let base = select(i * kk + tap, i * p.wc * kk + ftap, p.flip != 0u);
  let jstep = select(p.wc * kk, kk, p.flip != 0u);
  let iok = i < p.ci;
  let last = p.jn - 1u;
  for (var q = 0u; q < JCH / 4u; q++) {
    let j = vec4u(j0 + 4u * q) + vec4u(0u, 1u, 2u, 3u);
    let ok = (j < vec4u(p.jn)) & vec4<bool>(iok);
    let jc = min(j, vec4u(last));
    let v = vec4f(Wt[base + jc.x * jstep], Wt[base + jc.y * jstep], Wt[base + jc.z * jstep], Wt[base + jc.w * jstep]);
    WP[r * (JCH / 4u) + q] = select(vec4f(0.0), v, ok);
  }
}
