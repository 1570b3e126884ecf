// VQ ops on the real adapter: nearestCode (fused distance + argmin, area pooling, lookup, histogram) vs a CPU f64
// argmin incl. V = 16384, ties and NaNs, on the buffer and the texture path each (identical indices and h), embedding
// forward/backward, codeHistogram, the fused φ update, and the errors.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ops, fromArray, backward, countWork, Device, type Tensor } from '../../src/engine/index.ts';
import { getDevice, closeDevice, testIf } from '../helpers/gpu.ts';
import { checkOp, rand, toGpu, assertClose, type Host } from '../helpers/ref.ts';

const dist = (z: Host, n: number, e: Host, v: number, C: number) => {
  let zz = 0, ee = 0, ze = 0;
  for (let c = 0; c < C; c++) { const a = z.data[n * C + c]!, b = e.data[v * C + c]!; zz += a * a; ee += b * b; ze += a * b; }
  return zz + ee - 2 * ze;
};
/** CPU argmin in f64; returns the index and the gap to the runner-up (how safe the comparison is). */
function argminRef(z: Host, e: Host, N: number, V: number, C: number): { idx: number[]; gap: number[]; d: (n: number, v: number) => number } {
  const idx: number[] = [], gap: number[] = [];
  for (let n = 0; n < N; n++) {
    let b = 0, bd = Infinity, second = Infinity;
    for (let v = 0; v < V; v++) { const d = dist(z, n, e, v, C); if (d < bd) { second = bd; bd = d; b = v; } else if (d < second) second = d; }
    idx.push(b); gap.push(second - bd);
  }
  return { idx, gap, d: (n, v) => dist(z, n, e, v, C) };
}
/** GPU indices equal the f64 argmin except where the f64 gap is within f32 rounding (then the pick must be as close). */
function assertArgmin(got: ArrayLike<number>, want: ReturnType<typeof argminRef>, what: string, scale: number) {
  let exact = 0;
  for (let n = 0; n < want.idx.length; n++) {
    if (got[n] === want.idx[n]) { exact++; continue; }
    const slack = 4e-6 * scale;
    assert.ok(want.gap[n]! < slack && want.d(n, got[n]!) - want.d(n, want.idx[n]!) < slack,
      `${what}: row ${n} picked ${got[n]} (d ${want.d(n, got[n]!)}), argmin is ${want.idx[n]} (d ${want.d(n, want.idx[n]!)}, gap ${want.gap[n]})`);
  }
  assert.ok(exact >= want.idx.length - 2, `${what}: only ${exact}/${want.idx.length} exact`);
}

// The search on each path: a device whose profile forces it (unprepared calls follow the profile; the texture device
// from the first row, nearestCodeTextureMinRows 0), as the conv tests do.
const base = await getDevice();
const TEX_OK = base.profile.subgroups8 && base.profile.storageTextures;
const WHY = 'no texture search on this adapter (needs subgroups of at least 8 and read-only storage textures)';
type Path = 'buffer' | 'texture';
const devices = new Map<Path, Device>();
async function deviceFor(path: Path): Promise<Device> {
  if (!devices.has(path)) devices.set(path, await Device.create({ profile: { nearestCodeTexture: path === 'texture', nearestCodeTextureMinRows: 0 } }));
  return devices.get(path)!;
}
const onPath = (path: Path) => testIf(path === 'buffer' || TEX_OK, WHY);
const PATHS: Path[] = ['buffer', 'texture'];

for (const path of PATHS) {
  for (const [N, V, C] of [[1, 1, 1], [3, 5, 3], [65, 37, 8], [257, 257, 32], [5, 16384, 32], [9, 4096, 32]]) {
    onPath(path)(`nearestCode [${path}] N=${N} V=${V} C=${C} vs CPU argmin`, async () => {
      const dev = await deviceFor(path);
      const z = rand([N, C], N + V, -1.5, 1.5), e = rand([V, C], 3 * V + C);
      const cb = toGpu(dev, e);
      assert.is(ops.prepareCodebook(cb).path, path, 'the profile picks the path');
      const idx = ops.nearestCode(toGpu(dev, z), cb);
      assert.is(idx.dtype, 'i32');
      assert.equal([...idx.shape], [N]);
      assertArgmin(await idx.toArray(), argminRef(z, e, N, V, C), `nearestCode ${N}x${V}x${C}`, 2 * C);
    });
  }

  onPath(path)(`nearestCode [${path}] ties go to the lowest index (torch.argmin), duplicates included`, async () => {
    const dev = await deviceFor(path);
    const e = fromArray(dev, [5, 5, 1, 0, -1, 0, 1, 0], [4, 2]); // codes 1 and 3 are equal; 1 and 2 tie for z on the y axis
    const z = fromArray(dev, [0, 0.5, 1, 0, 0.9, 0.1, -1, 0], [4, 2]);
    assert.equal([...(await ops.nearestCode(z, e).toArray())], [1, 1, 1, 2]);
    // 70 equal codes (two texture tiles, every lane) and a copy of the nearest one at 69: the lowest index wins.
    const many = fromArray(dev, Array.from({ length: 70 * 3 }, (_, i) => (Math.floor(i / 3) === 69 || Math.floor(i / 3) === 40 ? 0.25 : 2)), [70, 3]);
    const zs = fromArray(dev, [0.25, 0.25, 0.25, 2, 2, 2, 9, 9, 9], [3, 3]);
    assert.equal([...(await ops.nearestCode(zs, many).toArray())], [40, 0, 0]);
  });

  onPath(path)(`nearestCode [${path}] NaN: NaN distances never win; a row of NaNs gets index 0`, async () => {
    const dev = await deviceFor(path);
    // Code 0 holds a NaN (its distance is NaN for every row); code 2 is nearest to row 0; row 1 is NaN; row 2 has one NaN.
    const e = fromArray(dev, [NaN, 0, 0, 5, 5, 5, 1, 1, 1, -3, -3, -3, 1, 1, 1.5], [5, 3]);
    const z = fromArray(dev, [1, 1, 1.1, NaN, NaN, NaN, 1, NaN, 1, -2.5, -3, -3], [4, 3]);
    const { idx, h } = ops.nearestCodeArea(ops.reshape(z, [4, 3, 1, 1]), e, 1, 1, { lookup: true });
    assert.equal([...(await idx.toArray())], [2, 0, 0, 3]);
    const hv = await h!.toArray();
    assert.ok(Number.isNaN(hv[3]!) && hv[4] === 0 && hv[9] === -3, `h looks up code 0 (with its NaN) for the NaN rows: ${[...hv]}`);
    // Only NaN codes: index 0.
    assert.equal([...(await ops.nearestCode(fromArray(dev, [1, 2], [1, 2]), fromArray(dev, [NaN, 1, 1, NaN], [2, 2])).toArray())], [0]);
  });

  onPath(path)(`nearestCodeArea [${path}]: area pooling + argmin + lookup + histogram, written into a column slice of idx_BL`, async () => {
    const dev = await deviceFor(path);
    const [B, C, S, g, V, L] = [2, 8, 8, 3, 37, 20];
    const f = rand([B, C, S, S], 5, -2, 2), e = rand([V, C], 6);
    const idxBL = ops.fill(dev, [B, L], -7, 'i32');
    const counts = ops.fill(dev, [2, V], 0, 'i32');
    const slot = ops.slice(idxBL, 1, 4, 4 + g * g);
    const { idx, h } = ops.nearestCodeArea(toGpu(dev, f), toGpu(dev, e), g, g, { idxOut: slot, lookup: true, counts, countsRow: 1 });
    assert.is(idx, slot);
    const z = areaPool(f, g);
    const want = argminRef({ shape: [B * g * g, C], data: z }, e, B * g * g, V, C);
    const all = await idxBL.toArray();
    const got: number[] = [];
    for (let b = 0; b < B; b++) {
      for (let j = 0; j < L; j++) if (j < 4 || j >= 4 + g * g) assert.is(all[b * L + j], -7, 'columns outside the slice untouched');
      got.push(...all.slice(b * L + 4, b * L + 4 + g * g));
    }
    assertArgmin(got, want, 'nearestCodeArea', 2 * C);
    const hv = await h!.toArray(), hw: number[] = [];
    for (let b = 0; b < B; b++) for (let c = 0; c < C; c++) for (let s = 0; s < g * g; s++) hw.push(Math.fround(e.data[got[b * g * g + s]! * C + c]!));
    assertClose(hv, hw, 'lookup h [B, C, g, g]', 0, 0);
    const cnt = await counts.toArray(), cw = new Array(2 * V).fill(0);
    for (const k of got) cw[V + k]++;
    assert.equal([...cnt], cw, 'usage histogram in row 1');
  });
}

/** Adaptive-average-pooling of f [B, C, S, S] to g × g, rows (b, y, x) of C values, in f64. */
function areaPool(f: Host, g: number): Float64Array {
  const [B, C, S] = f.shape as [number, number, number];
  const z = new Float64Array(B * g * g * C);
  for (let b = 0; b < B; b++) for (let y = 0; y < g; y++) for (let x = 0; x < g; x++) for (let c = 0; c < C; c++) {
    const [y0, y1, x0, x1] = [Math.floor(y * S / g), Math.ceil((y + 1) * S / g), Math.floor(x * S / g), Math.ceil((x + 1) * S / g)];
    let s = 0;
    for (let yy = y0; yy < y1; yy++) for (let xx = x0; xx < x1; xx++) s += f.data[((b * C + c) * S + yy) * S + xx]!;
    z[((b * g + y) * g + x) * C + c] = s / ((y1 - y0) * (x1 - x0));
  }
  return z;
}

/** idx, h and usage counts of one nearestCodeArea call on the path of `prepared`, read back. */
async function search(f: Tensor, cb: Tensor, g: number, path: Path) {
  const prepared = ops.prepareCodebook(cb, { path });
  assert.is(prepared.path, path);
  const counts = ops.fill(f.dev, [cb.shape[0]!], 0, 'i32');
  const { idx, h } = ops.nearestCodeArea(f, cb, g, g, { prepared, lookup: true, counts });
  const r = { idx: [...await idx.toArray()], h: await h!.toArray(), counts: [...await counts.toArray()] };
  prepared.dispose();
  return r;
}
const sameBits = (a: ArrayLike<number>, b: ArrayLike<number>) => a.length === b.length && Array.prototype.every.call(a, (v: number, i: number) => Object.is(v, b[i]));

test('nearestCode odd shapes (V 1, 3, 65, 257 × C 1, 3, 33 × rows 1, 65, and 80 area-pooled): each path vs CPU argmin; texture = buffer bit for bit (idx, h, counts)', async () => {
  const dev = await deviceFor(TEX_OK ? 'texture' : 'buffer');
  const paths: Path[] = TEX_OK ? ['buffer', 'texture'] : ['buffer'];
  if (!TEX_OK) console.log(`  (${WHY}: the buffer path only)`);
  for (const V of [1, 3, 65, 257]) for (const C of [1, 3, 33]) for (const N of [1, 65]) {
    const e = rand([V, C], 7 * V + C, -1, 1), cb = toGpu(dev, e);
    const what = `V=${V} C=${C} N=${N}`;
    // N rows as [N, C, 1, 1] (1 × 1 grids: no pooling); for N = 65 also 5 images of C × 7 × 7 pooled to 4 × 4 (80 rows,
    // overlapping bins).
    const cases: [Tensor, number, ReturnType<typeof argminRef>, string][] = [];
    const z = rand([N, C], N * 31 + V + C, -1.5, 1.5);
    cases.push([toGpu(dev, { shape: [N, C, 1, 1], data: z.data }), 1, argminRef(z, e, N, V, C), what]);
    if (N === 65) {
      const fa = rand([5, C, 7, 7], V + 3 * C, -2, 2);
      cases.push([toGpu(dev, fa), 4, argminRef({ shape: [80, C], data: areaPool(fa, 4) }, e, 80, V, C), `pooled ${what}`]);
    }
    for (const [f, g, want, w] of cases) {
      const got = [];
      for (const path of paths) {
        const r = await search(f, cb, g, path);
        assertArgmin(r.idx, want, `${path} ${w}`, 2 * C);
        got.push(r);
      }
      if (got.length === 2) {
        assert.equal(got[1]!.idx, got[0]!.idx, `${w}: texture indices = buffer indices`);
        assert.ok(sameBits(got[1]!.h, got[0]!.h), `${w}: texture h = buffer h bit for bit`);
        assert.equal(got[1]!.counts, got[0]!.counts, `${w}: usage counts`);
      }
      f.dispose();
    }
    cb.dispose();
  }
});

testIf(TEX_OK, WHY)('nearestCode: ties that only rounding decides come out the same on both paths (same summation order)', async () => {
  const dev = await deviceFor('texture');
  // Codes in pairs (a, a with channels 2j and 2j + 1 swapped); rows with z[2j] = z[2j + 1]. In exact arithmetic each
  // pair ties for every row; in f32 the order of the sums decides, so another order on one path would show here.
  const [P, C, N] = [65, 32, 400];
  const a = rand([P, C], 101, -1, 1), zr = rand([N, C / 2], 102, -1, 1);
  const e = new Float64Array(2 * P * C), z = new Float64Array(N * C);
  for (let v = 0; v < P; v++) for (let c = 0; c < C; c++) { e[2 * v * C + c] = a.data[v * C + c]!; e[(2 * v + 1) * C + c] = a.data[v * C + (c ^ 1)]!; }
  for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) z[n * C + c] = zr.data[n * (C / 2) + (c >> 1)]!;
  const cb = toGpu(dev, { shape: [2 * P, C], data: e }), f = toGpu(dev, { shape: [N, C, 1, 1], data: z });
  const [b, t] = [await search(f, cb, 1, 'buffer'), await search(f, cb, 1, 'texture')];
  const odd = b.idx.filter((i) => i % 2 === 1).length;
  assert.ok(odd > N / 20 && odd < N - N / 20, `rounding picks either code of a pair (${odd} of ${N} rows took the second)`);
  assert.equal(t.idx, b.idx, 'texture indices = buffer indices');
});

testIf(TEX_OK, WHY)('nearestCode texture path: rows split into chunks of the texture height, codebooks above maxTextureDimension2D fall back to the buffer path (auto) or are refused (forced)', async () => {
  const dev = await Device.create({ profile: { nearestCodeTexture: true, nearestCodeTextureMinRows: 0 } });
  try {
    (dev as any).maxTexture2D = 64;
    const [V, C, N] = [200, 5, 333]; // 13 tiles of 64 codes = 52 texels wide; 333 rows = 6 chunks of 64 rows
    const e = rand([V, C], 91), z = rand([N, C], 92, -1.5, 1.5), cb = toGpu(dev, e);
    const f = toGpu(dev, { shape: [N, C, 1, 1], data: z.data });
    const [b, t] = [await search(f, cb, 1, 'buffer'), await search(f, cb, 1, 'texture')];
    assertArgmin(t.idx, argminRef(z, e, N, V, C), 'chunked texture', 2 * C);
    assert.equal(t.idx, b.idx, 'chunked: texture indices = buffer indices');
    assert.ok(sameBits(t.h, b.h), 'chunked: texture h = buffer h');
    // 257 codes need 80 texels: auto falls back to the buffer kernel, a forced texture path is refused.
    const wide = toGpu(dev, rand([257, C], 93));
    assert.is(ops.prepareCodebook(wide).path, 'buffer');
    assert.throws(() => ops.prepareCodebook(wide, { path: 'texture' }), /prepareCodebook: path 'texture' needs .* a codebook texture of 80 × 9 texels within maxTextureDimension2D 64 \(codebook \[257, 5\]\)/);
    const want = argminRef(z, rand([257, C], 93), N, 257, C);
    assertArgmin(await ops.nearestCode(ops.reshape(f, [N, C]), wide).toArray(), want, 'fallback', 2 * C);
    assert.ok(dev.poolStats().textureBytes > 0, 'the texture path ran');
  } finally { dev.destroy(); }
});

testIf(TEX_OK, WHY)('nearestCode texture path: calls below nearestCodeTextureMinRows rows run the buffer kernel, prepared or not; same indices', async () => {
  const dev = await Device.create({ profile: { nearestCodeTexture: true, nearestCodeTextureMinRows: 16 } });
  try {
    const e = rand([300, 8], 111), cb = toGpu(dev, e), prepared = ops.prepareCodebook(cb);
    assert.is(prepared.path, 'texture');
    assert.ok(prepared.tex && prepared.transposed, 'a prepared texture codebook keeps the buffer layout for small calls');
    for (const [N, kernel] of [[15, 'quant/nearest_code'], [16, 'quant/nearest_code_tex']] as const) for (const prep of [prepared, undefined]) {
      const z = rand([N, 8], 112 + N);
      const { result, counter } = await countWork(dev, () => ops.nearestCode(toGpu(dev, z), cb, { prepared: prep }));
      const ran = [...counter.kernels.keys()].filter((k) => k.startsWith('quant/nearest_code'));
      assert.equal(ran, [kernel], `N=${N}, ${prep ? 'prepared' : 'unprepared'}: ${ran}`);
      assertArgmin(await result.toArray(), argminRef(z, e, N, 300, 8), `N=${N}`, 16);
    }
    prepared.dispose();
  } finally { dev.destroy(); }
});

test('prepareCodebook: the path follows the profile; a prepared texture is freed by dispose(), a disposed one refused; bad path named', async () => {
  const bufDev = await deviceFor('buffer');
  const cb = toGpu(bufDev, rand([9, 4], 3));
  const pb = ops.prepareCodebook(cb);
  assert.is(pb.path, 'buffer');
  assert.ok(pb.transposed && !pb.tex);
  pb.dispose();
  assert.throws(() => ops.nearestCode(toGpu(bufDev, rand([2, 4], 4)), cb, { prepared: pb }), /nearestCode: the prepared codebook of Tensor\(\[9, 4\], f32\) was disposed/);
  assert.throws(() => ops.prepareCodebook(cb, { path: 'fast' as 'auto' }), /prepareCodebook: path must be 'auto', 'buffer' or 'texture', got 'fast'/);
  if (!TEX_OK) { assert.throws(() => ops.prepareCodebook(cb, { path: 'texture' }), /path 'texture' needs subgroups/); return; }
  const dev = await deviceFor('texture');
  const owned0 = dev.poolStats().ownedTextureBytes;
  const pt = ops.prepareCodebook(toGpu(dev, rand([9, 4], 3)));
  assert.is(pt.path, 'texture');
  assert.ok(pt.tex && pt.transposed, 'the texture and, for calls below nearestCodeTextureMinRows, the buffer layout');
  assert.ok(dev.poolStats().ownedTextureBytes > owned0, 'the prepared texture is owned by the caller');
  pt.dispose();
  assert.is(dev.poolStats().ownedTextureBytes, owned0, 'dispose() freed it');
});

test('codeLookup: channel-first and row-major lookups, codebook gradient vs finite differences', async () => {
  const dev = await getDevice();
  const V = 7, C = 5;
  const ids = [3, 0, 6, 3, 3, 1, 0, 2, 6];
  const idx = fromArray(dev, ids, [3, 3], 'i32');
  const gather = (e: Host, cf: boolean): Host => {
    const out = new Float64Array(ids.length * C);
    ids.forEach((k, n) => { for (let c = 0; c < C; c++) out[cf ? (Math.floor(n / 3) * C + c) * 3 + (n % 3) : n * C + c] = e.data[k * C + c]!; });
    return { shape: cf ? [3, C, 3] : [3, 3, C], data: out };
  };
  for (const cf of [true, false])
    await checkOp(dev, `codeLookup cf=${cf}`, [rand([V, C], 11)], ([e]) => ops.codeLookup(idx, e!, { channelsFirst: cf }), ([e]) => gather(e!, cf), { atol: 1e-7, rtol: 0 });
  // Strided rows (a column slice) and 1-D ids.
  const wide = fromArray(dev, [9, 1, 2, 9, 9, 4, 5, 9], [2, 4], 'i32');
  const e = toGpu(dev, rand([10, 3], 12));
  const ev = await e.toArray();
  const y = await ops.codeLookup(ops.slice(wide, 1, 1, 3), e, { channelsFirst: true }).toArray();
  assert.equal([...y], [ev[3], ev[6], ev[4], ev[7], ev[5], ev[8], ev[12], ev[15], ev[13], ev[16], ev[14], ev[17]] as number[]);
  const y1 = await ops.codeLookup(fromArray(dev, [2, 0], [2], 'i32'), e).toArray();
  assert.equal([...y1], [ev[6], ev[7], ev[8], ev[0], ev[1], ev[2]] as number[]);
});

test('codeLookup: ids outside the vocabulary give NaN rows; checkIds names the position', async () => {
  const dev = await getDevice();
  const y = await ops.codeLookup(fromArray(dev, [1, 5, -1], [3], 'i32'), toGpu(dev, rand([5, 2], 1))).toArray();
  assert.ok(!Number.isNaN(y[0]) && Number.isNaN(y[2]!) && Number.isNaN(y[4]!), `got ${[...y]}`);
  assert.throws(() => ops.checkIds('seqLogProb', [0, 3, 4096], 4096), /seqLogProb: token id 4096 at position 2 is outside the vocabulary \[0, 4096\)/);
});

test('codeHistogram counts every code, out-of-range ids in the last slot', async () => {
  const dev = await getDevice();
  const ids = Array.from({ length: 257 }, (_, i) => (i * 7919) % 67 - (i % 50 === 0 ? 100 : 0));
  const V = 65;
  const want = new Array(V + 1).fill(0);
  for (const k of ids) want[k >= 0 && k < V ? k : V]++;
  assert.equal([...(await ops.codeHistogram(fromArray(dev, ids, [ids.length], 'i32'), V).toArray())], want);
});

for (const [B, C, S] of [[2, 3, 5], [1, 11, 4]]) test(`phiUpdate B=${B} C=${C} S=${S}: f_hat += 0.5 h + 0.5 conv3x3(h), f_rest -= the same, vs CPU; mix 0 adds h alone`, async () => {
  const dev = await getDevice();
  const h = rand([B, C, S, S], 21), w = rand([C, C, 3, 3], 22, -0.3, 0.3), bias = rand([C], 23), fh = rand([B, C, S, S], 24), fr = rand([B, C, S, S], 25);
  const phi = new Float64Array(B * C * S * S);
  for (let b = 0; b < B; b++) for (let co = 0; co < C; co++) for (let y = 0; y < S; y++) for (let x = 0; x < S; x++) {
    let acc = bias.data[co]!;
    for (let ci = 0; ci < C; ci++) for (let ky = 0; ky < 3; ky++) for (let kx = 0; kx < 3; kx++) {
      const yy = y + ky - 1, xx = x + kx - 1;
      if (yy >= 0 && yy < S && xx >= 0 && xx < S) acc += w.data[((co * C + ci) * 3 + ky) * 3 + kx]! * h.data[((b * C + ci) * S + yy) * S + xx]!;
    }
    const e = ((b * C + co) * S + y) * S + x;
    phi[e] = 0.5 * h.data[e]! + 0.5 * acc;
  }
  const [fht, frt] = [toGpu(dev, fh), toGpu(dev, fr)];
  ops.phiUpdate(toGpu(dev, h), toGpu(dev, w), toGpu(dev, bias), fht, frt, 0.5, 0.5);
  assertClose(await fht.toArray(), fh.data.map((v, i) => v + phi[i]!), 'f_hat', 2e-6, 1e-5);
  assertClose(await frt.toArray(), fr.data.map((v, i) => v - phi[i]!), 'f_rest', 2e-6, 1e-5);
  const fh2 = toGpu(dev, fh);
  ops.phiUpdate(toGpu(dev, h), toGpu(dev, w), toGpu(dev, bias), fh2, null, 1, 0);
  assertClose(await fh2.toArray(), fh.data.map((v, i) => Math.fround(Math.fround(v) + Math.fround(h.data[i]!))), 'f_hat += h (no conv)', 0, 0);
});

test('errors: wrong codebook width, non-i32 ids, bad shapes', async () => {
  const dev = await getDevice();
  const z = toGpu(dev, rand([4, 8], 1)), e = toGpu(dev, rand([16, 6], 2));
  assert.throws(() => ops.nearestCode(z, e), /nearestCode: codebook Tensor\(\[16, 6\], f32\) has code width 6, but the input has 8 channels/);
  assert.throws(() => ops.nearestCode(toGpu(dev, rand([2, 3, 4], 3)), e), /nearestCode: expected z as \[N, C\]/);
  assert.throws(() => ops.codeLookup(z, e), /codeLookup: ids must be i32/);
  assert.throws(() => ops.nearestCode(z, toGpu(dev, rand([16], 4))), /codebook must be an f32 \[V, C\] tensor/);
  const f = toGpu(dev, rand([1, 6, 4, 4], 5));
  assert.throws(() => ops.nearestCodeArea(f, e, 2, 2, { idxOut: ops.fill(dev, [1, 3], 0, 'i32') }), /idxOut must be an i32 \[1, 4\] view/);
});

test('gradient through codeLookup accumulates repeated ids', async () => {
  const dev = await getDevice();
  const e = toGpu(dev, rand([4, 2], 9)); e.requiresGrad = true;
  const y = ops.codeLookup(fromArray(dev, [2, 2, 0, 2], [4], 'i32'), e);
  backward(ops.sum(y));
  assert.equal([...(await e.grad!.toArray())], [1, 1, 0, 0, 3, 3, 0, 0]);
});

test.after(async () => { for (const d of devices.values()) d.destroy(); await closeDevice(); });
test.run();
