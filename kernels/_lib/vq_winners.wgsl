// _lib/vq_winners: the end of a nearest-code search, shared by quant/nearest_code and quant/nearest_code_tex: the lanes'
//   partial winners merged per row, the index and usage count written, the looked-up codes h written.
// The including kernel declares: consts WG (lanes) and R (rows per workgroup); workgroup arrays wd (f32) and wi (u32) of
//   WG·R partial winners [lane][row] and win (u32, R) for the rows' codes; storage IDX (i32), CNT (atomic i32), H and E
//   (f32); the uniform `p` with fields idx_base, idx_sb, gw, gh, C, e_base, h_base, cnt_base, flags (bit 0: write h,
//   bit 1: count); and row_coords (_lib/vq_rows.wgsl).
// Numerics: the winner is the least (distance, index) pair: ties → lowest index (torch.argmin), NaN never wins, a row
//   with no winner (all NaN) gets index 0.
const NONE: u32 = 0xffffffffu;

// Is candidate (d, i) better than the incumbent (d0, i0)? Lower distance, then lower index; NaN never wins.
fn better(d: f32, i: u32, d0: f32, i0: u32) -> bool {
  if (i == NONE) { return false; }
  if (i0 == NONE) { return d == d; }
  return d < d0 || (d == d0 && i < i0);
}

// Row k of this workgroup (global row r): its winner over the WG lanes into win[k]; when `live`, idx and the count.
fn merge_row(k: u32, r: u32, live: bool) {
  var d0 = wd[k]; var i0 = wi[k];
  for (var u = 1u; u < WG; u++) { if (better(wd[u * R + k], wi[u * R + k], d0, i0)) { d0 = wd[u * R + k]; i0 = wi[u * R + k]; } }
  let code = select(i0, 0u, i0 == NONE);
  win[k] = code;
  if (live) {
    let q = row_coords(r);
    IDX[p.idx_base + q.x * p.idx_sb + q.y * p.gw + q.z] = i32(code);
    if ((p.flags & 2u) != 0u) { atomicAdd(&CNT[p.cnt_base + code], 1); }
  }
}

// h of this workgroup's rows in [B, C, gh, gw] layout (when flags bit 0): row k is global row base + off + k and is
// written while off + k < p.rows; invocation t of WG writes elements t, t + WG, ... of the R·C.
fn write_h(t: u32, base: u32, off: u32) {
  if ((p.flags & 1u) != 0u) {
    for (var i = t; i < R * p.C; i += WG) {
      let k = i / p.C; let c = i % p.C;
      if (off + k < p.rows) {
        let q = row_coords(base + off + k);
        H[p.h_base + ((q.x * p.C + c) * p.gh + q.y) * p.gw + q.z] = E[p.e_base + win[k] * p.C + c];
      }
    }
  }
}
