// ---- _lib/index.wgsl: flat invocation ids over folded grids, and strided offsets (rank <= 8) ----
// Flat id of an invocation in a grid folded into (x, y) workgroups of `wg` invocations each.
fn flat_id(gid: vec3u, nwg: vec3u, wg: u32) -> u32 { return gid.x + gid.y * nwg.x * wg; }
// Dim d of an array<vec4u, 2> holding up to 8 sizes or strides.
fn dim8(v: array<vec4u, 2>, d: u32) -> u32 { return v[d / 4u][d % 4u]; }
