// _lib/vq_rows: the quantizer kernels' row indexing: row r = (b, y, x) row-major over B × gh × gw.
// The including kernel declares the uniform `p` with fields gh and gw.
fn row_coords(r: u32) -> vec3u { return vec3u(r / (p.gh * p.gw), (r / p.gw) % p.gh, r % p.gw); }
