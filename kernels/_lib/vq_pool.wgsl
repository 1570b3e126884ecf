// _lib/vq_pool: z_r[c], the adaptive-average-pooling value of channel c over row r's bin, shared by quant/nearest_code and
//   quant/pool_tex so that both see the same z: the mean of src[b, c, bin(y), bin(x)] over [floor(y·sh/gh),
//   ceil((y+1)·sh/gh)) × the same along x (sh == gh: the identity).
// The including kernel declares `SRC` (array<f32>, [B, C, sh, sw] from src_base) and the uniform `p` with fields C, gh, gw,
//   sh, sw and src_base. Numerics: f32, summed row by row, x fastest, then divided by the bin's size.
//#include "_lib/vq_rows.wgsl"
fn pooled(r: u32, c: u32) -> f32 {
  let q = row_coords(r);
  let y0 = (q.y * p.sh) / p.gh; let y1 = ((q.y + 1u) * p.sh + p.gh - 1u) / p.gh;
  let x0 = (q.z * p.sw) / p.gw; let x1 = ((q.z + 1u) * p.sw + p.gw - 1u) / p.gw;
  let plane = p.src_base + (q.x * p.C + c) * p.sh * p.sw;
  var s = 0.0;
  for (var y = y0; y < y1; y++) { for (var x = x0; x < x1; x++) { s += SRC[plane + y * p.sw + x]; } }
  return s / f32((y1 - y0) * (x1 - x0));
}
