// quant/pool_tex: Z[y, c4] = (z_r[4·c4], .., z_r[4·c4 + 3]) and Z[y, C4] = (|z_r|², 0, 0, 0) for row r = row0 + y, z_r = area-pool of src over row r's bin: quant/nearest_code_tex's row operand.
// Bindings: 0 src (read, f32 [B, C, sh, sw]), 1 dst (write-only rgba32float storage texture, C4 + 1 texels wide), 2 Params (uniform).
// Params: rows = rows of this chunk (texture rows past it, up to height, get zeros); row0 = its first row r (rows r =
//   (b, y, x) row-major over B × gh × gw); C channels, C4 = ceil(C / 4); gh, gw = output grid; sh, sw = source plane:
//   z_r[c] = mean of src[b, c, bin(y), bin(x)] over the adaptive-average-pooling bins [floor(y·sh/gh),
//   ceil((y+1)·sh/gh)) (sh == gh: the identity; [N, C] input = B = N with 1×1 planes); src_base = window offset;
//   height = texture rows to write.
// Dispatch: one invocation per texture row, workgroup 64, grid (ceil(height / 64)).
// Numerics: the pooled values and |z|² exactly as quant/nearest_code computes them (same sums in the same order:
//   channels past C are zeros and add +0 to |z|²), so both kernels see the same z and zz.
struct Params { rows: u32, row0: u32, C: u32, C4: u32, gh: u32, gw: u32, sh: u32, sw: u32, src_base: u32, height: u32, pad0: u32, pad1: u32 }
@group(0) @binding(0) var<storage, read> SRC: array<f32>;
@group(0) @binding(1) var dst: texture_storage_2d<rgba32float, write>;
@group(0) @binding(2) var<uniform> p: Params;
//#include "_lib/vq_pool.wgsl"

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let y = gid.x;
  if (y >= p.height) { return; }
  let live = y < p.rows;
  let r = p.row0 + min(y, max(p.rows, 1u) - 1u);
  var zz = 0.0;
  for (var c4 = 0u; c4 < p.C4; c4++) {
    var z = vec4f(0.0);
    for (var j = 0u; j < 4u; j++) {
      let c = 4u * c4 + j;
      if (live && c < p.C) { z[j] = pooled(r, c); }
    }
    zz += z.x * z.x; zz += z.y * z.y; zz += z.z * z.z; zz += z.w * z.w;
    textureStore(dst, vec2u(c4, y), z);
  }
  textureStore(dst, vec2u(p.C4, y), vec4f(zz, 0.0, 0.0, 0.0));
}
