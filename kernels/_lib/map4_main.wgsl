// ---- _lib/map4_main.wgsl: the entry point of elementwise/{unary4,binary4,ternary4}: which vec4s an invocation maps
// (flat, inside one row, or through _lib/map_index.wgsl's runs); the including kernel brings `fn map4(o: vec4u)` (the
// map at element offsets o = (a, b, c, out)) and the defines FLAT (map_index) and NOWRAP. ----
const NOWRAP: bool = {{NOWRAP}};

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i0 = flat_id(gid, nwg, 64u) * p.run;
  if (i0 >= p.n) { return; }
  if (FLAT) {
    // Streamed operands step 4 elements per vec4, broadcast ones stay (strides 4 and 0 in p.sa .. p.so).
    let step = vec4u(p.sa[0].x, p.sb[0].x, p.sc[0].x, p.so[0].x);
    for (var i = i0; i < min(i0 + p.run, p.n); i++) { map4(p.base + i * step); }
    return;
  }
  let rs = run_step();
  if (NOWRAP) {
    // The run lies inside one row of the last dim: step along it, no carries.
    let o0 = strided_offsets(i0) + p.base;
    for (var i = i0; i < min(i0 + p.run, p.n); i++) { map4(o0 + (i - i0) * rs.step); }
    return;
  }
  var cur = run_start(rs, i0);
  for (var i = i0; i < min(i0 + p.run, p.n); i++) {
    if (i > i0) { run_next(rs, i, &cur); }
    map4(cur.o + p.base);
  }
}
