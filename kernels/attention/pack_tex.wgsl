// attention/pack_tex: copies one [B, H, L, D] operand (any strides, read as f32) for heads bh0 .. bh0 + nbh - 1 into a
//   staging buffer in the texel layout of an rgba32float texture (copied into it by copyBufferToTexture), in one of the two layouts the texture-fed attention kernels (*_tex) read.
// Bindings: 0 src (read, f32: a window over the operand), 1 dst (read_write, vec4 texels: texel (x, y) at (y − ys)·pitch + x), 2 Params (uniform).
// Params: mode: 0 rows, 1 columns; L: rows of the operand (queries or keys), d4: head dim / 4, H: heads (bh = b·H + h
//   counts heads from the window's first batch), bh0, nbh: the heads to copy; x0, y0: where this operand starts in the
//   texture; width, height: the texels to write (padding included); base: the operand's first element in the window;
//   st: its (batch, head, row, column) strides in elements; pitch: the staging's row pitch in texels; ys: the texture
//   row at the staging's row 0; r0: the first of the operand's rows (from y0) this dispatch writes, `height` one past
//   its last.
// Layouts (bhl = bh - bh0, zeros wherever the row or key is ≥ L):
//   rows:    texel (x0 + bhl·d4 + c, y0 + i) = X[b, h, i, 4c .. 4c+3]          (width nbh·d4, height: rows padded)
//   columns: texel (x0 + jx, y0 + bhl·4·d4 + d) = X[b, h, 4jx .. 4jx+3, d]      (width: rows / 4 padded, height nbh·4·d4)
// Dispatch: one invocation per TPI consecutive texels of a texture row, workgroup 8 × 8, grid (ceil(width / (8·TPI)),
//   ceil((height − r0) / 8)): lavapipe's per-invocation cost is a large share of a copy (docs/LAVAPIPE_FINDINGS.md, conv).
// Numerics: a copy; padding texels hold exact zeros, so the kernels read whole tiles without masks and 0·pad = 0.
@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read_write> dst: array<vec4f>;
@group(0) @binding(2) var<uniform> p: Params;

struct Params {
  mode: u32, L: u32, d4: u32, H: u32,
  bh0: u32, nbh: u32, x0: u32, y0: u32,
  width: u32, height: u32, base: u32, pitch: u32,
  st: vec4u,
  r0: u32, ys: u32, pad0: u32, pad1: u32,
}

/** Texels per invocation. */
const TPI = 4u;

@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let x0 = TPI * gid.x; let y = p.r0 + gid.y;
  if (x0 >= p.width || y >= p.height) { return; }
  let D = 4u * p.d4;
  for (var x = x0; x < min(x0 + TPI, p.width); x++) {
    // (head, row, first column) of the texel and the step between its 4 components.
    var bhl = 0u; var row = 0u; var col = 0u; var step = 0u; var ok = vec4<bool>(false);
    if (p.mode == 0u) {
      bhl = x / p.d4; row = y; col = 4u * (x % p.d4); step = p.st.w;
      ok = vec4<bool>(row < p.L);
    } else {
      bhl = y / D; row = 4u * x; col = y % D; step = p.st.z;
      ok = vec4u(row) + vec4u(0u, 1u, 2u, 3u) < vec4u(p.L);
    }
    let bh = p.bh0 + bhl;
    let o = p.base + (bh / p.H) * p.st.x + (bh % p.H) * p.st.y + min(row, p.L - 1u) * p.st.z + col * p.st.w;
    var v = vec4f(0.0);
    for (var e = 0u; e < 4u; e++) {
      // Clamped so that padding reads a valid element (and then stores zero).
      var at = o;
      if (ok[e]) { at = o + e * step; }
      v[e] = select(0.0, src[at], ok[e]);
    }
    dst[(p.y0 + y - p.ys) * p.pitch + p.x0 + x] = v;
  }
}
