// conv/conv2d_db_per_channel: conv/conv2d_db's db[o] (+)= sum_{b, pixel} dy[b, o, pixel] with one invocation per output
//   channel: no workgroup memory and no barriers (on a CPU adapter a barrier suspends and resumes every SIMD group of
//   the workgroup).
// Bindings: 0 dy (read), 1 db (read_write, [Otot]), 2 Params (uniform): as conv/conv2d_db.
// Params: O, hw, nb, g_base, g_bstride, o0, acc: as conv/conv2d_db.
// Dispatch: workgroups of 8 invocations, invocation i owns channel i of the chunk (grid folded to (x, y) over
//   ceil(O / 8) workgroups).
// Numerics: f32; per image, blocks of 64 pixels summed before they join the image's sum, the images' sums added in
//   order.
struct Params { O: u32, hw: u32, nb: u32, g_base: u32, g_bstride: u32, o0: u32, acc: u32, pad0: u32 }
@group(0) @binding(0) var<storage, read> G: array<f32>;
@group(0) @binding(1) var<storage, read_write> DB: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

@compute @workgroup_size(8)
fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let o = 8u * (wid.x + wid.y * nwg.x) + lid.x;
  if (o >= p.O) { return; }
  var s = 0.0;
  for (var b = 0u; b < p.nb; b++) {
    let base = p.g_base + b * p.g_bstride + o * p.hw;
    var si = 0.0;
    var i = 0u;
    while (i < p.hw) {
      let e = min(i + 64u, p.hw);
      var blk = 0.0;
      for (; i < e; i++) { blk += G[base + i]; }
      si += blk;
    }
    s += si;
  }
  if (p.acc != 0u) { DB[p.o0 + o] += s; } else { DB[p.o0 + o] = s; }
}
