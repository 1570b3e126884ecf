// reduce/reduce_blocks: partial sums of a contiguous x viewed as [batch, outer, n_out, inner], reduced over outer and
//   inner: P[z, j, c] = Σ x[z, a, j, b] over the flattened positions e = a·inner + b in chunk c (e in [c·chunk,
//   (c+1)·chunk)).
// Covers every sum whose kept dims are consecutive (batch 1): a whole tensor (n_out 1), the last dims (outer 1), the
//   leading dims (inner 1: sumTo's broadcast gradients) and both (a conv bias gradient over N, H, W); and with batch,
//   kept leading dims before them (a [B, L, C] gradient summed over L to [B, 1, C]).
// Bindings: 0 x (read, f32), 1 out (read_write, f32), 2 Params (uniform).
// Params: n_out kept elements per batch item; outer, inner: the reduced extents; chunk: positions per partial; n_chunks:
//   partials per output; x_base: element offset of x's bound window; batch: the leading kept extent.
//   out[(z·n_out + j)·n_chunks + c] = P[z, j, c]; with n_chunks 1 that is the sum itself, otherwise ops/reduce.ts sums
//   the partials with this kernel again (batch 1, outer 1, n_out batch·n_out, inner n_chunks).
// Dispatch: one invocation per (z, j, c), index i = (z·n_out + j)·n_chunks + c; workgroups of 64, the grid folded to
//   (x, y).
// Numerics: f32; four running sums per invocation, taking each contiguous run of x four elements at a time (a run's
//   last 1-3 into the first sum; columns: rows four at a time), added pairwise at the end; the partials are summed the
//   same way by the next pass. Each invocation walks its positions in memory order after one division (no index
//   decode per element): the generic reduce/reduce decodes every index and leaves a whole-tensor sum to one
//   workgroup, which is one CPU thread on lavapipe.
struct Params { n_out: u32, outer: u32, inner: u32, chunk: u32, n_chunks: u32, x_base: u32, batch: u32, pad1: u32 }
@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read_write> O: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 64u;
  if (i >= p.batch * p.n_out * p.n_chunks) { return; }
  let zj = i / p.n_chunks; let c = i - zj * p.n_chunks;
  let z = zj / p.n_out; let j = zj - z * p.n_out;
  let total = p.outer * p.inner;
  let e0 = c * p.chunk;
  let e1 = min(e0 + p.chunk, total);
  // Cursor: position e = a·inner + b at x[x_base + a·n_out·inner + j·inner + b]; past the end of a run of inner
  // positions the address jumps over the other kept elements' runs.
  let a = e0 / p.inner; var b = e0 - a * p.inner;
  var at = p.x_base + z * total * p.n_out + a * p.n_out * p.inner + j * p.inner + b;
  let skip = (p.n_out - 1u) * p.inner;
  var s0 = 0.0; var s1 = 0.0; var s2 = 0.0; var s3 = 0.0;
  var e = e0;
  if (p.inner == 1u) {
    // Columns (sumTo over leading dims) and the partials' second pass: a fixed stride of n_out.
    let st = p.n_out;
    for (; e + 4u <= e1; e += 4u) {
      s0 += X[at]; s1 += X[at + st]; s2 += X[at + 2u * st]; s3 += X[at + 3u * st];
      at += 4u * st;
    }
    for (; e < e1; e++) { s0 += X[at]; at += st; }
  } else {
    // Runs of consecutive positions (up to inner long), each taken four at a time.
    while (e < e1) {
      let run = min(p.inner - b, e1 - e);
      var k = 0u;
      for (; k + 4u <= run; k += 4u) { s0 += X[at + k]; s1 += X[at + k + 1u]; s2 += X[at + k + 2u]; s3 += X[at + k + 3u]; }
      for (; k < run; k++) { s0 += X[at + k]; }
      e += run; at += run + skip; b = 0u;
    }
  }
  O[i] = (s0 + s1) + (s2 + s3);
}
