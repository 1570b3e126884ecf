// quant/pack_tex: T[c, x] = (E[4x, c], .., E[4x + 3, c]) for c < Cp and T[Cp, x] = (ee[4x], .., ee[4x + 3]): a codebook and its |e|² as quant/nearest_code_tex's code operand.
// Bindings: 0 E (read, f32 codebook [V, C]), 1 ee (read, f32 |e_v|² [V]), 2 dst (write-only rgba32float storage
//   texture, width × (Cp + 1) texels), 3 Params (uniform).
// Params: V codes, C channels, Cp = C rounded up to 4; width = texels per row (codes padded to 4·width); e_base,
//   ee_base = window offsets.
// Dispatch: one invocation per TPI consecutive texels of a row, workgroup 8 × 8, grid (ceil(width / (8·TPI)),
//   ceil((Cp + 1) / 8)).
// Numerics: a copy; channels past C and codes past V hold exact zeros (nearest_code_tex never picks codes past V).
struct Params { V: u32, C: u32, Cp: u32, width: u32, e_base: u32, ee_base: u32, pad0: u32, pad1: u32 }
@group(0) @binding(0) var<storage, read> E: array<f32>;
@group(0) @binding(1) var<storage, read> EE: array<f32>;
@group(0) @binding(2) var dst: texture_storage_2d<rgba32float, write>;
@group(0) @binding(3) var<uniform> p: Params;

/** Texels per invocation. */
const TPI = 4u;

@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let x0 = TPI * gid.x; let y = gid.y;
  if (x0 >= p.width || y > p.Cp) { return; }
  let c = min(y, p.C - 1u);
  for (var x = x0; x < min(x0 + TPI, p.width); x++) {
    var t = vec4f(0.0);
    for (var j = 0u; j < 4u; j++) {
      let v = 4u * x + j; let vv = min(v, p.V - 1u);
      let e = select(E[p.e_base + vv * p.C + c], EE[p.ee_base + vv], y == p.Cp);
      t[j] = select(0.0, e, v < p.V && (y < p.C || y == p.Cp));
    }
    textureStore(dst, vec2u(x, y), t);
  }
}
