// conv/shift_tex on its own: every texel of the staged rows (row-major and column-tiled layouts, channel windows, row
// chunks, padding rows) against a host reference of the layout; the staging starts as NaN so rows and texels the kernel
// must write (the padding rows' zeros included) cannot pass by being left alone, and those it must not write stay NaN.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fromArray, type Device, type Tensor } from '../../src/engine/index.ts';
import { runShift, type ShiftLayout } from '../../src/engine/ops/conv_tex.ts';
import { getDevice, closeDevice } from '../helpers/gpu.ts';
import { rand } from '../helpers/ref.ts';

/** X̂[s, c, kx, e] of the kernel's header: padded row row0 + ⌊e / W⌋ − 1, column e mod W + kx − 1, zero outside x. */
function xhat(x: Float32Array, C: number, H: number, W: number, row0: number, s: number, c: number, kx: number, e: number): number {
  const iy = row0 + Math.floor(e / W) - 1, ix = (e % W) + kx - 1;
  return iy >= 0 && iy < H && ix >= 0 && ix < W ? x[((s * C + c) * H + iy) * W + ix]! : 0;
}

/** Texel (tx, ty) of the whole texture as the header defines it (4 values). */
function texel(x: Float32Array, l: ShiftLayout, tx: number, ty: number): number[] {
  let s: number, r: number, xr: number;
  if (l.q) {
    const tile = Math.floor(ty / l.ts), rem = ty % l.ts, step = (rem % l.rb) * l.q + Math.floor(tx / 64);
    s = Math.floor(rem / l.rb); r = 4 * step + Math.floor((tx % 64) / 16); xr = l.tstride * tile + (tx % 16);
  } else { s = Math.floor(ty / l.rows_p); r = ty % l.rows_p; xr = tx; }
  if (r >= 3 * l.C) return [0, 0, 0, 0];
  return [0, 1, 2, 3].map((j) => xhat(x, l.C, l.H, l.W, l.row0, s, Math.floor(r / 3), r % 3, 4 * xr + j));
}

/** Runs the kernel over channel windows `cuts` and row chunks `chunks` into NaN staging buffers and checks every texel. */
async function check(dev: Device, name: string, S: number, l0: Omit<ShiftLayout, 'c_lo' | 'c_hi'>, height: number, cuts: number[], chunks: number[]) {
  const { C, H, W } = l0;
  const xh = Float32Array.from(rand([S, C, H, W], 7 + C + W).data);
  const x = fromArray(dev, xh, [S * C * H * W]);
  const pitch = Math.ceil(l0.width / 16) * 16;
  const bounds = [0, ...chunks, height];
  for (let k = 0; k + 1 < bounds.length; k++) {
    const y0 = bounds[k]!, y1 = bounds[k + 1]!;
    // One row more than the chunk: it must stay NaN (rows past the chunk are not the dispatch's).
    const stage: Tensor = fromArray(dev, new Float32Array((y1 - y0 + 1) * pitch * 4).fill(NaN), [(y1 - y0 + 1) * pitch * 4]);
    const edges = [0, ...cuts, C];
    for (let w = 0; w + 1 < edges.length; w++) {
      const c0 = edges[w]!, c1 = edges[w + 1]!, hw = H * W;
      // The window of channels c0 .. c1 − 1 of every image, as conv_tex binds it.
      const xs = x.window('test', c0 * hw, (S - 1) * C * hw + c1 * hw);
      runShift(dev, xs, stage.binding('test'), { height: y1, y0, pitch, workgroups: [0, 0] }, { ...l0, c_lo: c0, c_hi: c1 });
    }
    const got = (await stage.toArray()) as Float32Array;
    for (let ty = y0; ty <= y1; ty++) for (let tx = 0; tx < pitch; tx++) {
      const at = ((ty - y0) * pitch + tx) * 4;
      const want = tx < l0.width && ty < y1 ? texel(xh, { ...l0, c_lo: 0, c_hi: C }, tx, ty) : [NaN, NaN, NaN, NaN];
      for (let j = 0; j < 4; j++) {
        const g = got[at + j]!, e = want[j]!;
        if (!(Object.is(g, e) || (Number.isNaN(e) && Number.isNaN(g)) || (g === 0 && e === 0)))
          assert.unreachable(`${name}: texel (${tx}, ${ty}) component ${j} is ${g}, expected ${e}`);
      }
    }
    stage.dispose();
  }
  x.dispose();
}

test('conv/shift_tex row-major: odd channels, width not a multiple of the run, two channel windows, three row chunks, padding rows zero', async () => {
  const dev = await getDevice();
  // Forward-like: rows_p = 3·C padded to 4 (C = 5: one padding row); width past the padded image (zeros there).
  const C = 5, H = 3, W = 12, S = 2, rows_p = 16;
  await check(dev, 'rows_p 16', S, { C, H, W, rows_p, width: 21, row0: 1, q: 0, rb: 0, ts: 0, tstride: 0 }, S * rows_p, [2], [7, 19]);
  // Weight-gradient-like: rows_p = 3·C padded to 32 (several padding triples), one window, row0 0.
  await check(dev, 'rows_p 32', S, { C, H, W, rows_p: 32, width: 13, row0: 0, q: 0, rb: 0, ts: 0, tstride: 0 }, S * 32, [], []);
  // One channel, W = 4 (every texel is a whole image row: both neighbours are padding).
  await check(dev, 'W 4', 1, { C: 1, H: 5, W: 4, rows_p: 4, width: 9, row0: 2, q: 0, rb: 0, ts: 0, tstride: 0 }, 4, [], [3]);
});

test('conv/shift_tex column-tiled: stored tiles of 16 columns every 8 (W = 32) and every 16 (W = 64), channel windows, row chunks', async () => {
  const dev = await getDevice();
  // kpb = ceil(3C / 4); q steps per texture row, rb = ceil(kpb / q) rows per image, ts = images·rb rows per tile.
  for (const [C, H, W, q, tiles, cuts, chunks] of [[7, 3, 32, 2, 9, [3], [5, 22]], [3, 2, 64, 1, 5, [], [4]]] as [number, number, number, number, number, number[], number[]][]) {
    const S = 2, kpb = Math.ceil((3 * C) / 4), rb = Math.ceil(kpb / q), ts = S * rb, stride = W % 64 === 0 ? 64 : 32;
    await check(dev, `W ${W}`, S, { C, H, W, rows_p: 4 * kpb, width: 64 * q, row0: 1, q, rb, ts, tstride: stride / 4 }, tiles * ts, cuts, chunks);
  }
});

test.after(closeDevice);
test.run();
