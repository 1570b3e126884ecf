// conv/conv2d_db: db[o] (+)= sum_{b, pixel} dy[b, o, pixel] (the bias gradient).
// Bindings: 0 dy (read), 1 db (read_write, [Otot]), 2 Params (uniform).
// Params: O channels in this chunk, hw = pixels per channel, nb images, g_base = element offset of the bound window,
//   g_bstride = per-image stride, o0 = first channel of the chunk, acc = 1 adds to db.
// Dispatch: one workgroup of 64 per output channel (grid folded to (x, y)); invocation t sums pixels t, t+64, ...
// Numerics: f32 per-invocation sums, then a pairwise tree in workgroup memory.
struct Params { O: u32, hw: u32, nb: u32, g_base: u32, g_bstride: u32, o0: u32, acc: u32, pad0: u32 }
@group(0) @binding(0) var<storage, read> G: array<f32>;
@group(0) @binding(1) var<storage, read_write> DB: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;
var<workgroup> part: array<f32, 64>;

@compute @workgroup_size(64)
fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let o = wid.x + wid.y * nwg.x;
  let t = lid.x;
  var s = 0.0;
  if (o < p.O) {
    for (var b = 0u; b < p.nb; b++) {
      let base = p.g_base + b * p.g_bstride + o * p.hw;
      for (var i = t; i < p.hw; i += 64u) { s += G[base + i]; }
    }
  }
  part[t] = s;
  workgroupBarrier();
  for (var k = 32u; k > 0u; k >>= 1u) {
    if (t < k) { part[t] += part[t + k]; }
    workgroupBarrier();
  }
  if (t == 0u && o < p.O) {
    if (p.acc != 0u) { DB[p.o0 + o] += part[0]; } else { DB[p.o0 + o] = part[0]; }
  }
}
