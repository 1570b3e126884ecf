// VQ ops on the real adapter: nearestCode (fused distance + argmin, area pooling, lookup, histogram) vs a CPU f64
// argmin incl. V = 16384, ties, embedding forward/backward, codeHistogram, the fused φ update, and the errors.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ops, fromArray, backward } from '../../src/engine/index.ts';
import { getDevice, closeDevice } from '../helpers/gpu.ts';
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

for (const [N, V, C] of [[1, 1, 1], [3, 5, 3], [65, 37, 8], [257, 257, 32], [5, 16384, 32], [9, 4096, 32]]) {
  test(`nearestCode N=${N} V=${V} C=${C} vs CPU argmin`, async () => {
    const dev = await getDevice();
    const z = rand([N, C], N + V, -1.5, 1.5), e = rand([V, C], 3 * V + C);
    const idx = ops.nearestCode(toGpu(dev, z), toGpu(dev, e));
    assert.is(idx.dtype, 'i32');
    assert.equal([...idx.shape], [N]);
    assertArgmin(await idx.toArray(), argminRef(z, e, N, V, C), `nearestCode ${N}x${V}x${C}`, 2 * C);
  });
}

test('nearestCode ties go to the lowest index (torch.argmin), duplicates included', async () => {
  const dev = await getDevice();
  const e = fromArray(dev, [5, 5, 1, 0, -1, 0, 1, 0], [4, 2]); // codes 1 and 3 are equal; 1 and 2 tie for z on the y axis
  const z = fromArray(dev, [0, 0.5, 1, 0, 0.9, 0.1, -1, 0], [4, 2]);
  assert.equal([...(await ops.nearestCode(z, e).toArray())], [1, 1, 1, 2]);
});

test('nearestCodeArea: area pooling + argmin + lookup + histogram, written into a column slice of idx_BL', async () => {
  const dev = await getDevice();
  const [B, C, S, g, V, L] = [2, 8, 8, 3, 37, 20];
  const f = rand([B, C, S, S], 5, -2, 2), e = rand([V, C], 6);
  const idxBL = ops.fill(dev, [B, L], -7, 'i32');
  const counts = ops.fill(dev, [2, V], 0, 'i32');
  const slot = ops.slice(idxBL, 1, 4, 4 + g * g);
  const { idx, h } = ops.nearestCodeArea(toGpu(dev, f), toGpu(dev, e), g, g, { idxOut: slot, lookup: true, counts, countsRow: 1 });
  assert.is(idx, slot);
  // CPU: adaptive average pooling bins, then argmin.
  const z = new Float64Array(B * g * g * C);
  for (let b = 0; b < B; b++) for (let y = 0; y < g; y++) for (let x = 0; x < g; x++) for (let c = 0; c < C; c++) {
    const [y0, y1, x0, x1] = [Math.floor(y * S / g), Math.ceil((y + 1) * S / g), Math.floor(x * S / g), Math.ceil((x + 1) * S / g)];
    let s = 0;
    for (let yy = y0; yy < y1; yy++) for (let xx = x0; xx < x1; xx++) s += f.data[((b * C + c) * S + yy) * S + xx]!;
    z[((b * g + y) * g + x) * C + c] = s / ((y1 - y0) * (x1 - x0));
  }
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

test.after(closeDevice);
test.run();
