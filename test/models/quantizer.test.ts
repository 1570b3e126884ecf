// MultiScaleQuantizer on the real adapter: the PyTorch golden (VAR models/quant.py), a CPU f64 reference of the
// whole loop for HIT segments, bitwise tokenize→decode round trips (each on the nearest-code search's buffer and
// texture path, and the two paths against each other), teacher-forcing input, usage, VQ losses and grads.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ops, fromArray, backward, noGrad, scope, Device, type Tensor } from '../../src/engine/index.ts';
import { openSafetensors } from '../../src/engine/io/safetensors.ts';
import { resampleTaps1d, type ResampleMode } from '../../src/engine/cpu/resample.ts';
import { MultiScaleQuantizer } from '../../src/models/quant/quantizer.ts';
import { planOf, phiIndexTable, levelsOf, HIT_512, type Segment } from '../../src/models/quant/schedule.ts';
import { getDevice, closeDevice, testIf } from '../helpers/gpu.ts';
import { rand, assertClose } from '../helpers/ref.ts';

const GOLDEN = 'test/fixtures/golden/quant.safetensors';

// ---- CPU f64 reference ---------------------------------------------------------------------------------------
type Img = { B: number; C: number; S: number; d: Float64Array };
function resize(x: Img, s: number, mode: ResampleMode): Img {
  const ty = resampleTaps1d(x.S, s, mode), out = new Float64Array(x.B * x.C * s * s);
  for (let p = 0; p < x.B * x.C; p++) for (let oy = 0; oy < s; oy++) for (let ox = 0; ox < s; ox++) {
    let a = 0;
    for (let ky = 0; ky < ty.taps; ky++) for (let kx = 0; kx < ty.taps; kx++)
      a += ty.w[oy * ty.taps + ky]! * ty.w[ox * ty.taps + kx]! * x.d[(p * x.S + ty.idx[oy * ty.taps + ky]!) * x.S + ty.idx[ox * ty.taps + kx]!]!;
    out[(p * s + oy) * s + ox] = a;
  }
  return { B: x.B, C: x.C, S: s, d: out };
}
function phi(h: Img, w: Float64Array, b: Float64Array, r: number): Img {
  const { B, C, S } = h, out = new Float64Array(h.d.length);
  for (let n = 0; n < B; n++) for (let co = 0; co < C; co++) for (let y = 0; y < S; y++) for (let x = 0; x < S; x++) {
    let a = b[co]!;
    for (let ci = 0; ci < C; ci++) for (let ky = 0; ky < 3; ky++) for (let kx = 0; kx < 3; kx++) {
      const yy = y + ky - 1, xx = x + kx - 1;
      if (yy >= 0 && yy < S && xx >= 0 && xx < S) a += w[((co * C + ci) * 3 + ky) * 3 + kx]! * h.d[((n * C + ci) * S + yy) * S + xx]!;
    }
    const e = ((n * C + co) * S + y) * S + x;
    out[e] = (1 - r) * h.d[e]! + r * a;
  }
  return { B, C, S, d: out };
}
/** VAR's loop over HIT segments in f64: ids (and the best-vs-second distance gap), f_hat per scale, teacher input. */
function refQuantize(zs: Img[], segs: Segment[], cb: Float64Array, V: number, phiW: Float64Array[], phiB: Float64Array[]) {
  const plan = planOf(segs), { B, C } = zs[0]!;
  const ids: number[][] = Array.from({ length: B }, () => []), fhats: Img[] = [], teacher: number[][] = Array.from({ length: B }, () => []);
  let minGap = Infinity, fHat: Img | null = null, rest: Img | null = null;
  plan.scales.forEach((s, k) => {
    if (!fHat || fHat.S !== s.side) {
      fHat = fHat ? resize(fHat, s.side, 'bicubic') : { B, C, S: s.side, d: new Float64Array(B * C * s.side ** 2) };
      const z = zs[s.segment]!;
      rest = { B, C, S: s.side, d: z.d.map((v, i) => v - fHat!.d[i]!) };
    }
    const z = s.pn === s.side ? rest! : resize(rest!, s.pn, 'area');
    const h: Img = { B, C, S: s.pn, d: new Float64Array(B * C * s.pn ** 2) };
    for (let n = 0; n < B; n++) for (let q = 0; q < s.pn ** 2; q++) {
      let best = -1, bd = Infinity, second = Infinity;
      for (let v = 0; v < V; v++) {
        let d = 0;
        for (let c = 0; c < C; c++) d += (z.d[(n * C + c) * s.pn ** 2 + q]! - cb[v * C + c]!) ** 2;
        if (d < bd) { second = bd; bd = d; best = v; } else if (d < second) second = d;
      }
      minGap = Math.min(minGap, second - bd);
      ids[n]!.push(best);
      for (let c = 0; c < C; c++) h.d[(n * C + c) * s.pn ** 2 + q] = cb[best * C + c]!;
    }
    const hp = phi(s.pn === s.side ? h : resize(h, s.side, 'bicubic'), phiW[s.phi]!, phiB[s.phi]!, 0.5);
    fHat = { ...fHat!, d: fHat!.d.map((v, i) => v + hp.d[i]!) };
    rest = { ...rest!, d: rest!.d.map((v, i) => v - hp.d[i]!) };
    fhats.push(fHat);
    const nx = plan.scales[k + 1];
    if (nx) {
      const t = resize(nx.side === fHat.S ? fHat : resize(fHat, nx.side, 'bicubic'), nx.pn, 'area');
      for (let n = 0; n < B; n++) for (let q = 0; q < nx.pn ** 2; q++) for (let c = 0; c < C; c++) teacher[n]!.push(t.d[(n * C + c) * nx.pn ** 2 + q]!);
    }
  });
  return { ids: ids.flat(), fhats, teacher: teacher.flat(), minGap };
}

// ---- helpers ------------------------------------------------------------------------------------------------
function build(dev: Device, segments: Segment[], V: number, C: number, cb: ArrayLike<number>, w: ArrayLike<number>[], b: ArrayLike<number>[]) {
  return new MultiScaleQuantizer({ vocab: V, width: C, segments }, {
    codebook: fromArray(dev, Float32Array.from(cb), [V, C]),
    phiW: w.map((x) => fromArray(dev, Float32Array.from(x), [C, C, 3, 3])), phiB: b.map((x) => fromArray(dev, Float32Array.from(x), [C])),
  });
}
const same = (a: ArrayLike<number>, b: ArrayLike<number>, what: string) => {
  assert.is(a.length, b.length, `${what}: length`);
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) assert.unreachable(`${what}: [${i}] ${a[i]} vs ${b[i]} (must be bitwise equal)`);
};

async function golden(dev: Device) {
  const f = await openSafetensors(GOLDEN);
  const g = async (k: string) => (await f.read(k)).data;
  const pns = [...(await g('schedule'))];
  const [V, C] = (await f.read('codebook')).shape as [number, number];
  const pw = await g('phi_w'), pb = await g('phi_b');
  const q = build(dev, [{ side: pns[pns.length - 1]!, scales: pns }], V, C, await g('codebook'),
    [0, 1, 2, 3].map((i) => pw.subarray(i * C * C * 9, (i + 1) * C * C * 9)), [0, 1, 2, 3].map((i) => pb.subarray(i * C, (i + 1) * C)));
  return { f, g, pns, V, C, q, fT: fromArray(dev, await g('f'), [1, C, pns[pns.length - 1]!, pns[pns.length - 1]!]) };
}

// ---- tests --------------------------------------------------------------------------------------------------
// The nearest-code search on each path: devices whose profile forces it (the texture one from the first row).
const BASE = (await getDevice()).profile;
const TEX_OK = BASE.subgroups8 && BASE.storageTextures;
type Path = 'buffer' | 'texture';
const devices = new Map<Path, Device>();
async function deviceFor(path: Path): Promise<Device> {
  if (!devices.has(path)) devices.set(path, await Device.create({ profile: { nearestCodeTexture: path === 'texture', nearestCodeTextureMinRows: 0 } }));
  return devices.get(path)!;
}
const onPath = (path: Path) => testIf(path === 'buffer' || TEX_OK, 'no texture search on this adapter (needs subgroups of at least 8 and read-only storage textures)');

for (const path of ['buffer', 'texture'] as const) {
  onPath(path)(`golden (VAR models/quant.py) [${path} search]: φ table, ids exact, f_hat and teacher input within 1e-5, usage counts`, async () => {
    const dev = await deviceFor(path);
    const { g, pns, V, q, fT } = await golden(dev);
    assert.equal(phiIndexTable(pns.length), [...(await g('phi_index'))]);
    assert.equal(phiIndexTable(10), [0, 0, 1, 1, 1, 2, 2, 3, 3, 3]);
    const tok = q.tokenize(fT, { teacherInput: true, usage: true });
    const want: number[] = [];
    for (let si = 0; si < pns.length; si++) want.push(...(await g(`idx.${si}`)));
    same(await tok.idx_BL.toArray(), want, 'token ids');
    assertClose(await tok.fHats[0]!.toArray(), await g(`fhat.${pns.length - 1}`), 'final f_hat', 1e-5, 0);
    assertClose(await tok.varInput!.toArray(), await g('var_input'), 'teacher-forcing input [1, 129, 8]', 1e-5, 0);
    assert.equal(tok.varInput!.shape, [1, 129, 8]);
    const usage = await tok.usage!.toArray(), lv = levelsOf(q.plan), cnt = new Array(pns.length * V).fill(0);
    want.forEach((v, i) => cnt[lv[i]! * V + v]++);
    assert.equal([...usage], cnt, 'per-scale usage histogram');
    // Every scale's f_hat, through the differentiable rebuild (lookup, bicubic, conv2d).
    const fhs = q.rebuild(tok.idx_BL);
    for (let si = 0; si < pns.length; si++) assertClose(await fhs[si]!.toArray(), await g(`fhat.${si}`), `f_hat after scale ${si}`, 1e-5, 0);
  });

  onPath(path)(`decode(tokenize(f)) [${path} search] reproduces f_hat and the teacher input bitwise`, async () => {
    const dev = await deviceFor(path);
    const { q, fT } = await golden(dev);
    const tok = q.tokenize(fT, { teacherInput: true });
    const dec = q.decode(tok.idx_BL, { teacherInput: true });
    same(await dec.fHats[0]!.toArray(), await tok.fHats[0]!.toArray(), 'f_hat');
    same(await dec.varInput!.toArray(), await tok.varInput!.toArray(), 'teacher input');
  });

  onPath(path)(`HIT segments (sides 4 and 8, batch 2) [${path} search] vs the CPU f64 loop: ids, per-segment f_hat, teacher input; round trip`, async () => {
    const dev = await deviceFor(path);
    const [B, C, V] = [2, 8, 37];
    const segs: Segment[] = [{ side: 4, scales: [1, 2, 4] }, { side: 8, scales: [6, 8] }];
    const cb = rand([V, C], 41).data, w = [0, 1, 2, 3].map((i) => rand([C, C, 3, 3], 50 + i, -0.12, 0.12).data), b = [0, 1, 2, 3].map((i) => rand([C], 60 + i, -0.05, 0.05).data);
    const z4 = rand([B, C, 4, 4], 42, -1.5, 1.5), z8 = rand([B, C, 8, 8], 43, -1.5, 1.5);
    const f32 = (h: { data: Float64Array }) => Float64Array.from(h.data, Math.fround);
    const ref = refQuantize([{ B, C, S: 4, d: f32(z4) }, { B, C, S: 8, d: f32(z8) }], segs, Float64Array.from(cb, Math.fround), V,
      w.map((x) => Float64Array.from(x, Math.fround)), b.map((x) => Float64Array.from(x, Math.fround)));
    assert.ok(ref.minGap > 1e-4, `test data too close to a tie (${ref.minGap})`);
    const q = build(dev, segs, V, C, cb, w, b);
    const tok = q.tokenize([fromArray(dev, Float32Array.from(z4.data), [B, C, 4, 4]), fromArray(dev, Float32Array.from(z8.data), [B, C, 8, 8])], { teacherInput: true });
    same(await tok.idx_BL.toArray(), ref.ids, 'HIT ids [B, L]');
    assertClose(await tok.fHats[0]!.toArray(), ref.fhats[2]!.d, 'segment-1 f_hat (side 4)', 2e-6, 1e-5);
    assertClose(await tok.fHats[1]!.toArray(), ref.fhats[4]!.d, 'segment-2 f_hat (side 8)', 2e-6, 1e-5);
    assertClose(await tok.varInput!.toArray(), ref.teacher, 'HIT teacher input (carried across the 4 → 8 boundary)', 2e-6, 1e-5);
    const dec = q.decode(tok.idx_BL, { teacherInput: true });
    for (let n = 0; n < 2; n++) same(await dec.fHats[n]!.toArray(), await tok.fHats[n]!.toArray(), `decoded segment ${n}`);
    same(await dec.varInput!.toArray(), await tok.varInput!.toArray(), 'decoded teacher input');
    assert.is(planOf(HIT_512).tokens, 2155);
    // Training forward over segments: each scale's loss targets its own segment's latent.
    const zt = [fromArray(dev, Float32Array.from(z4.data), [B, C, 4, 4]), fromArray(dev, Float32Array.from(z8.data), [B, C, 8, 8])];
    zt.forEach((t) => (t.requiresGrad = true));
    const out = q.forwardTrain(zt);
    const K = q.plan.scales.length, zd = [f32(z4), f32(z8)];
    let want = 0;
    const gz = zd.map((z) => Float64Array.from(z, () => 0));
    q.plan.scales.forEach((s, k) => {
      const z = zd[s.segment]!, fh = ref.fhats[k]!.d;
      let e = 0;
      for (let i = 0; i < z.length; i++) { e += (fh[i]! - z[i]!) ** 2; gz[s.segment]![i] += 2 * q.beta * (z[i]! - fh[i]!) / (z.length * K); }
      want += (1 + q.beta) * e / z.length / K;
    });
    assertClose([await out.vqLoss.item()], [want], 'HIT vq loss', 1e-6, 1e-5);
    for (let n = 0; n < 2; n++) assertClose(await out.fHatSt[n]!.toArray(), await tok.fHats[n]!.toArray(), `segment ${n} straight-through value`, 1e-6, 0);
    backward(out.vqLoss);
    for (let n = 0; n < 2; n++) assertClose(await zt[n]!.grad!.toArray(), gz[n]!, `grad of segment ${n} latent`, 1e-7, 1e-4);
  });
}

testIf(TEX_OK, 'no texture search on this adapter')('tokenize on the texture and the buffer search: ids, usage, f_hat and teacher input bitwise equal (HIT segments, batch 3, V 300)', async () => {
  const [B, C, V] = [3, 12, 300];
  const segs: Segment[] = [{ side: 4, scales: [1, 2, 3, 4] }, { side: 8, scales: [6, 8] }, { side: 16, scales: [12, 16] }];
  const cb = rand([V, C], 141).data, w = [0, 1, 2, 3].map((i) => rand([C, C, 3, 3], 150 + i, -0.12, 0.12).data), b = [0, 1, 2, 3].map((i) => rand([C], 160 + i, -0.05, 0.05).data);
  const zs = [4, 8, 16].map((S, i) => rand([B, C, S, S], 142 + i, -1.5, 1.5));
  const runs = [];
  for (const path of ['buffer', 'texture'] as const) {
    const dev = await deviceFor(path), q = build(dev, segs, V, C, cb, w, b);
    const prepared = q.prepare();
    assert.is(prepared.codebook!.path, path);
    const tok = q.tokenize(zs.map((z) => fromArray(dev, Float32Array.from(z.data), z.shape)), { teacherInput: true, usage: true, prepared });
    runs.push({ ids: await tok.idx_BL.toArray(), usage: await tok.usage!.toArray(), fh: await Promise.all(tok.fHats.map((t) => t.toArray())), ti: await tok.varInput!.toArray() });
    prepared.dispose();
  }
  const [bu, te] = runs as [typeof runs[0], typeof runs[0]];
  same(te.ids, bu.ids, 'token ids');
  same(te.usage, bu.usage, 'usage');
  te.fh.forEach((f, n) => same(f, bu.fh[n]!, `f_hat of segment ${n}`));
  same(te.ti, bu.ti, 'teacher input');
});

test('step (sampling) scale by scale over HIT segments = decode: f_hat per segment and next inputs bitwise; errors', async () => {
  const dev = await getDevice();
  const [B, C, V] = [2, 8, 37];
  const segs: Segment[] = [{ side: 4, scales: [1, 2, 4] }, { side: 8, scales: [6, 8] }];
  const q = build(dev, segs, V, C, rand([V, C], 71).data, [0, 1, 2, 3].map((i) => rand([C, C, 3, 3], 72 + i, -0.12, 0.12).data),
    [0, 1, 2, 3].map((i) => rand([C], 76 + i, -0.05, 0.05).data));
  const L = q.tokens, ids = Int32Array.from({ length: B * L }, (_, i) => (i * 7 + 3) % V);
  const idx = fromArray(dev, ids, [B, L], 'i32');
  const dec = q.decode(idx, { teacherInput: true });
  const vin = await dec.varInput!.toArray(), first = 1;
  let f: Tensor | null = null;
  for (const [k, s] of q.plan.scales.entries()) {
    const n = s.pn * s.pn, cols = new Int32Array(B * n);
    for (let b = 0; b < B; b++) cols.set(ids.subarray(b * L + s.col, b * L + s.col + n), b * n);
    const prev: Tensor | null = f;
    const st = q.step(k, prev, fromArray(dev, cols, [B, n], 'i32'));
    assert.is(st.fHat.shape[2], s.side, `scale ${k}: f_hat side`);
    if (prev && prev.shape[2] === s.side) assert.is(st.fHat, prev, 'updated in place within a segment');
    f = st.fHat;
    if (k === 2) same(await f.toArray(), await dec.fHats[0]!.toArray(), 'f_hat at the end of segment 1');
    const nx = q.plan.scales[k + 1];
    if (!nx) { assert.is(st.next, null); continue; }
    const got = await st.next!.toArray(), want: number[] = [], m = nx.pn * nx.pn;
    for (let b = 0; b < B; b++) want.push(...vin.subarray((b * (L - first) + nx.col - first) * C, (b * (L - first) + nx.col - first + m) * C));
    same(got, want, `next input of scale ${k + 1} (${st.next!.shape})`);
  }
  same(await f!.toArray(), await dec.fHats[1]!.toArray(), 'final f_hat');
  assert.throws(() => q.step(1, null, fromArray(dev, new Int32Array(B * 4), [B, 4], 'i32')), /f_hat is needed for scale 1/);
  assert.throws(() => q.step(0, null, fromArray(dev, new Int32Array(B * 4), [B, 4], 'i32')), /scale 0 \(pn 1\) needs i32 ids \[B, 1\]/);
  assert.throws(() => q.step(5, f, fromArray(dev, new Int32Array(B), [B, 1], 'i32')), /scale 5 is outside the plan's 5 scales/);
});

test('forwardTrain: straight-through output, VQ loss value and gradients (z analytic; codebook, φ by exact central differences)', async () => {
  const dev = await getDevice();
  const { g, pns, q, fT, C } = await golden(dev);
  const K = pns.length, beta = q.beta, fv = await g('f');
  const fhs = await Promise.all(pns.map((_, si) => g(`fhat.${si}`)));
  fT.requiresGrad = true;
  const out = q.forwardTrain(fT);
  // Value: (1 + β)/K Σ_k mean((f_hat_k − f)²).
  let want = 0;
  for (const fh of fhs) { let s = 0; for (let i = 0; i < fv.length; i++) s += (fh[i]! - fv[i]!) ** 2; want += (1 + beta) * s / fv.length / K; }
  assertClose([await out.vqLoss.item()], [want], 'vq loss', 1e-6, 1e-5);
  assertClose(await out.fHatSt[0]!.toArray(), fhs[K - 1]!, 'straight-through value = f_hat', 1e-5, 0);
  // d/dz: straight-through passes 1 (sum of f_hat_st), the loss gives 2β Σ_k (z − f_hat_k)/(n K).
  backward(ops.add(out.vqLoss, ops.sum(out.fHatSt[0]!)));
  const gz = Array.from(fv, (z, i) => 1 + fhs.reduce((s, fh) => s + 2 * beta * (z - fh[i]!) / (fv.length * K), 0));
  assertClose(await fT.grad!.toArray(), gz, 'grad of z', 1e-6, 1e-5);
  // Codebook and φ: the loss is quadratic in any one parameter at fixed ids, so central differences are exact.
  const probes: [Tensor, number][] = [[q.codebook, 21 * C], [q.codebook, 5 * C + 3], [q.codebook, 25 * C + 7], [q.quant_resi.qresi_ls[1]!.weight, 17], [q.quant_resi.qresi_ls[3]!.weight, 200],
    [q.quant_resi.qresi_ls[0]!.bias, 2], [q.quant_resi.qresi_ls[2]!.bias, 7]];
  // f_hat's share of the loss (the β term reaches z only: f_hat is detached there) at the training forward's ids
  // (the ids are a piecewise-constant function of the parameters).
  const lossOf = () => noGrad(dev, () => scope(dev, () => ops.vqLoss(q.rebuild(out.idx_BL).map((t) => [t, fT] as [Tensor, Tensor]), 0)));
  for (const [p, i] of probes) {
    const an = (await p.grad!.toArray())[i]!;
    const v0 = (await p.toArray())[i]!, h = 0.05;
    const set = (v: number) => dev.upload(p.storage.buffer, (p.offset + i) * 4, new Float32Array([v]));
    set(v0 + h); const lp = await lossOf().item();
    set(v0 - h); const lm = await lossOf().item();
    set(v0);
    assert.ok(Math.abs(an) > 1e-5, `${p.name}[${i}]: probe a parameter that matters (grad ${an})`);
    assertClose([an], [(lp - lm) / (2 * h)], `${p.name}[${i}] grad vs central difference`, 2e-5, 2e-3);
  }
});

test('errors: wrong latent shape, wrong codebook width, wrong ids', async () => {
  const dev = await getDevice();
  const { q } = await golden(dev);
  assert.throws(() => q.tokenize(fromArray(dev, new Float32Array(4 * 8 * 8), [1, 4, 8, 8])), /latent 0 must be f32 \[1,8,8,8\] \(C = 8, side 8\), got Tensor\(\[1, 4, 8, 8\]/);
  assert.throws(() => q.decode(fromArray(dev, [1, 2], [1, 2], 'i32')), /decode: expected i32 ids \[B, 130\]/);
  const bad = { codebook: fromArray(dev, new Float32Array(37 * 6), [37, 6]), phiW: [0, 1, 2, 3].map(() => fromArray(dev, new Float32Array(576), [8, 8, 3, 3])),
    phiB: [0, 1, 2, 3].map(() => fromArray(dev, new Float32Array(8), [8])) };
  assert.throws(() => MultiScaleQuantizer.var({ vocab: 37, width: 8, scales: [1, 8] }, bad), /embedding.weight must be \[37,8\], got Tensor\(\[37, 6\]/);
  assert.throws(() => planOf([{ side: 8, scales: [1, 9] }]), /scale 9 of segment 0 must be an integer in \[1, 8\]/);
});

test.after(async () => { for (const d of devices.values()) d.destroy(); await closeDevice(); });
test.run();
