// The upscaler's tiling on the host: reflect indices, tile starts, feather weights (a partition of unity with linear ramps), and the
// tiler itself with a stand-in runner (pixel replication plus a constant offset per tile): placement and padding are exact, and the
// blend leaves no seams where pasting tiles would.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { resampleCpu } from '../../src/engine/index.ts';
import { reflectIndex, tileStarts, featherWeights, tiledStream, tileSeed, type TileRunner, type UpscaleStage, type BlendMode } from '../../src/upscale/index.ts';
import { picture } from './fixture.ts';

test('reflectIndex mirrors without repeating the edge, periodically, and maps everything into [0, n)', () => {
  assert.equal([-3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7, 8].map((i) => reflectIndex(i, 4)), [3, 2, 1, 0, 1, 2, 3, 2, 1, 0, 1, 2]);
  assert.equal([0, 1, 5, -7].map((i) => reflectIndex(i, 1)), [0, 0, 0, 0]);
  for (const n of [2, 3, 7]) for (let i = -30; i < 30; i++) { const r = reflectIndex(i, n); assert.ok(r >= 0 && r < n, `${i} in ${n}`); }
});

test('tileStarts: one tile when it covers the axis; otherwise the fewest tiles with at least the overlap, from 0 to n - tile', () => {
  assert.equal(tileStarts(5, 8, 2), [0]);
  assert.equal(tileStarts(8, 8, 2), [0]);
  assert.equal(tileStarts(21, 8, 2), [0, 4, 9, 13]);
  for (const [n, t, ov] of [[9, 8, 2], [13, 8, 2], [200, 128, 32], [129, 128, 32], [1000, 16, 0], [37, 16, 8]] as const) {
    const s = tileStarts(n, t, ov);
    assert.is(s[0], 0); assert.is(s[s.length - 1], n - t);
    for (let i = 1; i < s.length; i++) assert.ok(s[i - 1]! + t - s[i]! >= ov, `${n}/${t}/${ov}: tiles ${i - 1} and ${i} overlap by less than ${ov}: ${s}`);
    if (s.length > 1) assert.ok(s.length - 1 < (n - t) / (t - ov) + 1, `${n}/${t}/${ov}: more tiles than needed: ${s}`);
  }
  assert.throws(() => tileStarts(20, 8, 5), /overlap 5 must be an integer from 0 to half the tile/);
});

test('featherWeights sum to 1 at every output pixel, are 1 where one tile covers, and ramp linearly across an overlap', () => {
  for (const [starts, tile, f] of [[[0, 4, 9, 13], 8, 1], [[0, 4, 9, 13], 8, 4], [[0, 96, 192], 128, 2], [[0, 3, 6, 9], 8, 1], [[0], 8, 2]] as const) {
    const w = featherWeights(starts, tile, f), extent = (starts[starts.length - 1]! + tile) * f;
    const sum = new Float64Array(extent);
    starts.forEach((p, i) => w[i]!.forEach((v, x) => { assert.ok(v > 0 && v <= 1 + 1e-6, `weight ${v}`); sum[p * f + x] += v; }));
    for (let X = 0; X < extent; X++) assert.ok(Math.abs(sum[X]! - 1) < 1e-6, `${starts}/${tile}/×${f}: weights at ${X} sum to ${sum[X]}`);
  }
  // two tiles sharing 4 px at ×2: 8 output px where one falls linearly from ~1 to ~0 and the other rises
  const [a, b] = featherWeights([0, 4], 8, 2);
  assert.equal(Array.from(a!.subarray(0, 8)), new Array(8).fill(1));
  const ramp = Array.from(b!.subarray(0, 8));
  for (let x = 0; x < 8; x++) assert.ok(Math.abs(ramp[x]! - (x + 0.5) / 8) < 1e-6, `ramp ${ramp}`);
});

/** Pixel replication of each tile by the segment's factor, plus an offset of 0..0.2 that depends on the tile (through its seed). */
function standIn(tile: number, withOffset: boolean): TileRunner {
  const factors = [1, 2, 4];
  return {
    tile, factors, steps: factors.map((_, n) => ({ segment: n, units: 1 })), decodeUnits: () => 1, liveBytes: () => 0,
    open(lr, B, seeds) {
      return {
        async segment(n, onStep) {
          onStep?.({ scale: n, units: 1, replay: false });
          const f = factors[n]!, T = tile * f, out = new Float32Array(B * 3 * T * T);
          for (let b = 0; b < B; b++) {
            const up = resampleCpu(lr.subarray(b * 3 * tile * tile, (b + 1) * 3 * tile * tile), 1, 3, tile, tile, T, T, 'nearest');
            const off = withOffset ? (Number(seeds[b]! % 1000n) / 999) * 0.2 : 0;
            out.set(up.map((v) => v + off), b * 3 * T * T);
          }
          return out;
        },
        release() {}, dispose() {},
      };
    },
  };
}

async function collect(it: AsyncGenerator<UpscaleStage>): Promise<UpscaleStage[]> { const r: UpscaleStage[] = []; for await (const s of it) r.push(s); return r; }

test('tiler with a pointwise stand-in: the blended ×1, ×2, ×4 equal pixel replication of the whole image (placement, padding, partition of unity)', async () => {
  for (const [h, w] of [[37, 50], [16, 16], [5, 11], [40, 7]] as const) {
    const img = picture(h, w, 3);
    // keep values away from 0 and 1: the tiler clamps
    const r = await collect(tiledStream(img, standIn(16, false), { seed: 5, overlap: 4, batch: 3 }));
    assert.equal(r.map((s) => [s.scale, s.image.h, s.image.w]), [[1, h, w], [2, 2 * h, 2 * w], [4, 4 * h, 4 * w]]);
    for (const s of r) {
      const want = resampleCpu(img.data, 1, 3, h, w, h * s.scale, w * s.scale, 'nearest');
      let worst = 0;
      for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(want[i]! - s.image.data[i]!));
      assert.ok(worst < 1e-5, `${h}x${w} ×${s.scale}: differs from pixel replication by ${worst}`);
    }
  }
});

/** Largest step between neighbouring pixels of (out − ref), over rows and columns of every plane. */
function maxJump(out: Float32Array, ref: Float32Array, h: number, w: number): number {
  let m = 0;
  for (let c = 0; c < 3; c++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const i = (c * h + y) * w + x, d = out[i]! - ref[i]!;
    if (x + 1 < w) m = Math.max(m, Math.abs(out[i + 1]! - ref[i + 1]! - d));
    if (y + 1 < h) m = Math.max(m, Math.abs(out[i + w]! - ref[i + w]! - d));
  }
  return m;
}

test('seams: tiles that disagree by up to 0.2 blend with steps of at most (offset gap) / ramp; pasting them leaves jumps of the full gap', async () => {
  const [h, w] = [40, 45], img = picture(h, w, 1);
  for (let k = 0; k < 4; k++) for (let j = 0; j < 4; j++) assert.ok(k === j || tileSeed(5, k) % 1000n !== tileSeed(5, j) % 1000n, 'tiles need distinct offsets');
  const run = (blend: BlendMode) => collect(tiledStream(img, standIn(16, true), { seed: 5, overlap: 4, batch: 2, blend }));
  const [feather, pasted] = [await run('feather'), await run('none')];
  for (const [i, s] of feather.entries()) {
    const f = s.scale, ref = resampleCpu(img.data, 1, 3, h, w, h * f, w * f, 'nearest');
    const jf = maxJump(s.image.data, ref, h * f, w * f), jp = maxJump(pasted[i]!.image.data, ref, h * f, w * f);
    // a ramp spans 4·f output pixels: steps of gap / (4f); the gaps between these tiles' offsets reach about 0.1 and more
    assert.ok(jf <= 0.2 / (4 * f) + 1e-5, `×${f}: blended output has a step of ${jf}`);
    assert.ok(jp >= 0.05, `×${f}: pasted tiles should show a seam, largest step ${jp}`);
    assert.ok(jp > 3 * jf, `×${f}: the check cannot tell blending from pasting (${jf} vs ${jp})`);
  }
});

test('tiler: tiles go in as few groups as the batch allows, of sizes within one of each other, each tile once and with its own seed', async () => {
  for (const [h, w, batch] of [[40, 45, 5], [40, 45, 16], [40, 45, 1], [20, 30, 4], [70, 70, 8]] as const) {
    const groups: bigint[][] = [], inner = standIn(16, false);
    const runner: TileRunner = { ...inner, open: (lr, B, seeds) => { groups.push([...seeds]); return inner.open(lr, B, seeds); } };
    await collect(tiledStream(picture(h, w), runner, { seed: 3, overlap: 4, batch }));
    const n = tileStarts(h, 16, 4).length * tileStarts(w, 16, 4).length, sizes = groups.map((gr) => gr.length);
    assert.is(groups.length, Math.ceil(n / batch), `${h}×${w}, batch ${batch}: groups ${sizes}`);
    assert.ok(Math.max(...sizes) <= batch && Math.max(...sizes) - Math.min(...sizes) <= 1, `${h}×${w}, batch ${batch}: sizes ${sizes}`);
    assert.equal(groups.flat(), Array.from({ length: n }, (_, k) => tileSeed(3, k)), `${h}×${w}, batch ${batch}: every tile once, in order, with its seed`);
  }
});

test('tiler: progress reaches the whole plan, ETA is reported, and arguments are checked', async () => {
  const seen: number[] = [];
  await collect(tiledStream(picture(20, 30), standIn(8, false), { seed: 0, batch: 2, onProgress: (p) => { seen.push(p.fraction); assert.ok(p.eta === null || p.eta >= 0); } }));
  assert.ok(seen.length > 0 && seen.every((v, i) => i === 0 || v >= seen[i - 1]!), 'fractions never go back');
  assert.ok(seen[seen.length - 1]! < 1 && seen[seen.length - 1]! > 0.5, `last fraction ${seen[seen.length - 1]}`);
  const rejects = async (fn: () => Promise<unknown>, re: RegExp) => { try { await fn(); } catch (e) { assert.match((e as Error).message, re); return; } assert.unreachable(`expected ${re}`); };
  await rejects(() => collect(tiledStream(picture(20, 30), standIn(8, false), { seed: 0, overlap: 5 })), /overlap must be an integer from 0 to 4/);
  await rejects(() => collect(tiledStream(picture(20, 30), standIn(8, false), { seed: 0, maxPixels: 500 })), /30x20 = 600 pixels, over the limit of 500/);
  await rejects(() => collect(tiledStream({ data: new Float32Array(20), c: 1, h: 4, w: 5 }, standIn(8, false), { seed: 0 })), /expected an RGB image/);
});

test.run();
