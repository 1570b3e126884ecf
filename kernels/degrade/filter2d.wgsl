// degrade/filter2d: out[p, y, x] = Σ_{i<kh, j<kw} k[i·kw + j] · x[p, refl(y + i − ry, h), refl(x + j − rx, w)],
//   ry = (kh − 1)/2, rx = (kw − 1)/2: depthwise correlation with reflect padding (PyTorch 'reflect' = OpenCV
//   BORDER_REFLECT_101, periodic when the pad exceeds the image), same-size output. 1×k and k×1 kernels are the two
//   passes of a separable filter.
// Bindings: 0 x (read, planes·h·w), 1 t (read, vec4 tap table), 2 out (read_write), 3 Params (uniform).
//   t[r·kw + j][yy] = k[(r − yy)·kw + j] (0 outside the kernel): the taps that input row r of a block and column
//   offset j contribute to the block's output rows yy = 0..ROWS−1 (built by src/train/data/degrade/gpu.ts).
// Params: n = invocations (planes · yq · xq); h, w = plane size; kh, kw = odd kernel size; xq = ceil(w / 4);
//   yq = ceil(h / ROWS).
// Dispatch: one invocation per block of ROWS (1 or 4, a define) rows × 4 columns of outputs, a vec4 accumulator per
//   row; workgroup 64, grid folded by flat_id. The block reads kh + ROWS − 1 input rows once each; along a row its 4
//   columns share one sliding window (kw + 3 loads), and each step costs one workgroup-uniform vec4 tap load and
//   ROWS vec4 multiply-adds. Windows that stay inside the row skip the reflect arithmetic.
// Numerics: f32 accumulation in tap order (row-major, plus exact zeros); the CPU stage (src/train/data/degrade/filter.ts)
//   sums in f64.
//#include "_lib/index.wgsl"
const ROWS: i32 = {{ROWS}};
struct Params { n: u32, h: u32, w: u32, kh: u32, kw: u32, xq: u32, yq: u32 }
@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read> T: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> O: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

/** Reflect (edge not repeated) index of i into [0, n), for any i. */
fn refl(i: i32, n: i32) -> i32 {
  if (i >= 0 && i < n) { return i; }
  if (n == 1) { return 0; }
  let period = 2 * (n - 1);
  var m = i % period;
  if (m < 0) { m += period; }
  return select(period - m, m, m < n);
}

var<private> acc: array<vec4f, 4>;

/** One tap step: output row yy of the block gets weight t[yy] times the window. */
fn taps(t: vec4f, win: vec4f) {
  acc[0] += t.x * win;
  if (ROWS == 4) { acc[1] += t.y * win; acc[2] += t.z * win; acc[3] += t.w * win; }
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let id = flat_id(gid, nwg, 64u);
  if (id >= p.n) { return; }
  let h = i32(p.h); let w = i32(p.w); let kh = i32(p.kh); let kw = i32(p.kw);
  let x0 = i32(id % p.xq) * 4;
  let yb = id / p.xq;                         // plane · yq + row block
  let y0 = i32(yb % p.yq) * ROWS;
  let plane = i32(yb / p.yq) * h * w;
  let xs = x0 - (kw - 1) / 2;                 // input column under tap 0 of output x0
  let interior = xs >= 0 && xs + kw + 3 <= w;
  acc = array<vec4f, 4>();
  for (var r = 0; r < kh + ROWS - 1; r++) {
    let row = plane + refl(y0 + r - (kh - 1) / 2, h) * w;
    let kr = r * kw;
    if (interior) {
      let b = row + xs;
      var win = vec4f(X[b], X[b + 1], X[b + 2], X[b + 3]);
      for (var j = 0; j < kw - 1; j++) {
        taps(T[kr + j], win);
        win = vec4f(win.yzw, X[b + j + 4]);
      }
      taps(T[kr + kw - 1], win);
    } else {
      var win = vec4f(X[row + refl(xs, w)], X[row + refl(xs + 1, w)], X[row + refl(xs + 2, w)], X[row + refl(xs + 3, w)]);
      for (var j = 0; j < kw - 1; j++) {
        taps(T[kr + j], win);
        win = vec4f(win.yzw, X[row + refl(xs + j + 4, w)]);
      }
      taps(T[kr + kw - 1], win);
    }
  }
  let cols = min(4, w - x0);
  for (var yy = 0; yy < min(ROWS, h - y0); yy++) {
    let o = plane + (y0 + yy) * w + x0;
    let a = acc[yy];
    O[o] = a.x;
    if (cols > 1) { O[o + 1] = a.y; }
    if (cols > 2) { O[o + 2] = a.z; }
    if (cols > 3) { O[o + 3] = a.w; }
  }
}
