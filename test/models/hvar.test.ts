// H-VAR (src/models/hvar) on tiny configurations: sizes and parameter counts, the sequence layout against a host computation,
// the block-causal mask with the LR prefix, KV-cache sampling vs teacher forcing (with and without CFG), the streamed ×1/×2/×4
// iterator, seeded determinism, initHVARFromVAR, save/load, gradients (with finite differences) and input errors.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ops, fromArray, noGrad, scope, backward, Rng, resampleCpu, type Device, type Tensor } from '../../src/engine/index.ts';
import { hitSegments } from '../../src/models/quant/schedule.ts';
import { VQVAE } from '../../src/models/vqvae/index.ts';
import { VAR, varConfig, initVAR, levelIds, type VARConfig } from '../../src/models/var/index.ts';
import { MODEL_CONFIGS, countModel } from '../../src/models/flops.ts';
import {
  HVAR, hvarConfig, hvarSizes, hvarParamCount, initHVAR, initHVARFromVAR, lrLatent, saveHVAR, loadHVAR, sampleHVAR, upscaleImages,
  HVAR_CONFIG_KEY, type HVARConfig, type HVARSegmentImage,
} from '../../src/models/hvar/index.ts';
import { getDevice, closeDevice } from '../helpers/gpu.ts';
import { assertClose } from '../helpers/ref.ts';

// ×2 VQVAE (chMult [1, 2]) over hitSegments(8): segments of sides 2, 4, 8 with scales [1, 2], [3, 4], [6, 8]; LR 8×8 → 16×16.
const SEGS = hitSegments(8);
const SCALES = SEGS.flatMap((s) => s.scales);
const tinyCfg = (o: Partial<HVARConfig> = {}) => hvarConfig({ depth: 2, embedDim: 64, numHeads: 2, vocab: 64, cvae: 8, segments: SEGS, ...o });
const tinyVAE = (dev: Device) => VQVAE.create(dev, { vocabSize: 64, zChannels: 8, ch: 32, chMult: [1, 2], numResBlocks: 1, segments: SEGS }, new Rng(1));
/** Gamma 0.5 and head × 1 make every block and the logits matter (the init default 1e-5 / 0.02 would hide the tests' effects). */
function tinyModel(dev: Device, seed = 2, o: Partial<HVARConfig> = {}) {
  const m = new HVAR(dev, tinyCfg(o), { init: 'none' });
  initHVAR(m, new Rng(seed), { initAdalnGamma: 0.5, initHead: 1 });
  return m;
}
const lrImage = (dev: Device, B: number, seed: number, side = 8) => new Rng(seed).uniform(dev, [B, 3, side, side], -1, 1);
const same = (a: ArrayLike<number>, b: ArrayLike<number>, what: string) => assert.equal(Array.from(a), Array.from(b), what);
const closeLogits = (a: ArrayLike<number>, e: ArrayLike<number>, what: string) => assertClose(a, e, what, 1e-4, 1e-4);
const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => { let m = 0; for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!)); return m; };
/** Columns [c0, c1) of [B, L, V] logits as one flat array. */
function cols(a: ArrayLike<number>, B: number, L: number, V: number, c0: number, c1: number): number[] {
  const out: number[] = [];
  for (let b = 0; b < B; b++) for (let i = (b * L + c0) * V; i < (b * L + c1) * V; i++) out.push(a[i]!);
  return out;
}
const colOf = (si: number) => SCALES.slice(0, si).reduce((a, p) => a + p * p, 0);
async function rejects(fn: () => Promise<unknown>, re: RegExp) {
  try { await fn(); } catch (e) { assert.match((e as Error).message, re); return; }
  assert.unreachable(`expected a rejection matching ${re}`);
}
/** All scales' ids [B, pn²] each → one i32 [B, L] tensor. */
function idsTensor(dev: Device, ids: Int32Array[], B: number): Tensor {
  const L = ids.reduce((a, t) => a + t.length / B, 0), all = new Int32Array(B * L);
  let c = 0;
  for (const t of ids) { const l = t.length / B; for (let b = 0; b < B; b++) all.set(t.subarray(b * l, (b + 1) * l), b * L + c); c += l; }
  return fromArray(dev, all, [B, L], 'i32');
}

// ---- configuration, sizes, parameter counts ---------------------------------------------------------------------
test('sizes: the default (d16, HIT_512, 32×32 prefix) has 1,024 + 2,155 = 3,179 positions, computed without building it', () => {
  const c = hvarConfig(16);
  const z = hvarSizes(c);
  assert.equal([z.prefix, z.L, z.sequence, z.K, z.firstL, z.C, z.H, z.headDim, z.hidden], [1024, 2155, 3179, 10, 1, 1024, 16, 64, 4096]);
  assert.equal(z.scales, [1, 2, 3, 4, 6, 8, 13, 16, 24, 32]);
  assert.is(c.prefixSide, 32);
  assert.equal([c.vocab, c.cvae, c.attnL2Norm, c.sharedAln, c.condDropRate], [4096, 32, true, false, 0.1]);
  assert.ok(Math.abs(c.dropPathRate - 1.6 / 24) < 1e-12);
  assert.is(levelIds(z.scales, z.prefix).length, 3179);
  // the three call forms agree
  assert.equal(hvarConfig({ depth: 2, embedDim: 64 }), hvarConfig(2, { embedDim: 64 }));
  const t = hvarSizes(tinyCfg());
  assert.equal([t.prefix, t.L, t.sequence, t.K], [64, 130, 194, 6]);
});

test('parameter count: d16 gives MODEL_SPEC §4\'s 309,646,592 (= flops.ts d16); built models count the same per part', async () => {
  const p = hvarParamCount(hvarConfig(16));
  assert.is(p.total, 309_646_592);
  assert.equal([p.parts.cond_proj, p.parts.class_emb, p.parts.pos_master, p.parts.pos_start], [33_792, 2048, 1_048_576, 1024]);
  assert.is(countModel(MODEL_CONFIGS.d16!).totals.paramsTransformer, p.total);
  const dev = await getDevice();
  for (const o of [{}, { sharedAln: true, mlpRatio: 2 }, { attnL2Norm: false, numHeads: 1 }, { prefixSide: 10, vocab: 33 }] as Partial<HVARConfig>[]) {
    const cfg = tinyCfg(o), m = new HVAR(dev, cfg, { init: 'none' }), c = hvarParamCount(cfg);
    assert.is(m.numParameters(), c.total, JSON.stringify(o));
    const byPart: Record<string, number> = {};
    for (const [k, t] of m.namedParameters()) { const part = k.split('.')[0]!; byPart[part] = (byPart[part] ?? 0) + t.numel; }
    for (const [part, n] of Object.entries(c.parts)) assert.is(byPart[part] ?? 0, n, `${JSON.stringify(o)}: part ${part}`);
    assert.is(Object.keys(byPart).length, Object.values(c.parts).filter((n) => n > 0).length, 'no part outside the count');
    m.dispose();
  }
  // key names: VAR's wherever the piece is VAR's; cond_proj and pos_master are H-VAR's own
  const vcfg: VARConfig = { ...varConfig(2), embedDim: 64, numHeads: 2, numClasses: 10, patchNums: SCALES, vocab: 64, cvae: 8 };
  const v = new VAR(dev, vcfg, { init: 'none' }), h = new HVAR(dev, tinyCfg(), { init: 'none' });
  const vk = new Set(Object.keys(v.stateDict()));
  assert.equal(Object.keys(h.stateDict()).filter((k) => !vk.has(k)), ['cond_proj.weight', 'cond_proj.bias', 'pos_master']);
  assert.equal([...vk].filter((k) => !(k in h.stateDict())), ['pos_1LC']);
  v.dispose(); h.dispose();
});

test('config checks name the field', () => {
  assert.throws(() => hvarConfig(2, { embedDim: 100, numHeads: 3 }), /embedDim 100 is not a multiple of numHeads 3/);
  assert.throws(() => tinyCfg({ prefixSide: 6 }), /prefixSide 6 is below the largest scale 8/);
  assert.throws(() => tinyCfg({ condDropRate: 1 }), /condDropRate must lie in \[0, 1\)/);
  assert.throws(() => hvarConfig(0), /depth must be a positive integer/);
});

// ---- sequence layout ------------------------------------------------------------------------------------------------
test('sequence layout: prefix, start token and scale tokens = a host computation of MODEL_SPEC §4 (positions by area down)', async () => {
  const dev = await getDevice();
  const m = tinyModel(dev, 5);
  const { C, prefix: P, L, K } = m.sizes, S = 8, Cv = 8, B = 2;
  same(m.levelIdsHost(), levelIds(SCALES, 64), 'levels');
  assert.equal(Array.from(m.levelIdsHost().subarray(0, 66)), [...new Array(65).fill(0), 1], 'prefix and start token share level 0');
  const lat = new Rng(7).normal(dev, [B, Cv, S, S]), x = new Rng(8).normal(dev, [B, L - 1, Cv]);
  const condRows = [1, 0];
  const got = await noGrad(dev, () => scope(dev, () => m.inputTokens(lat, x, m.condition(condRows)))).toArray();
  assert.is(got.length, B * (P + L) * C);
  const sd = m.stateDict(), h = async (k: string) => Float64Array.from(await sd[k]!.toArray());
  const [master, lvl, wc, bc, ww, bw, ce, ps] = await Promise.all(['pos_master', 'lvl_embed.weight', 'cond_proj.weight', 'cond_proj.bias',
    'word_embed.weight', 'word_embed.bias', 'class_emb.weight', 'pos_start'].map(h));
  const latH = await lat.toArray(), xH = await x.toArray();
  // down(master, pn) on the host: the master as a [1, C, S, S] image, area-resampled
  const img = new Float32Array(C * S * S);
  for (let i = 0; i < S * S; i++) for (let c = 0; c < C; c++) img[c * S * S + i] = master![i * C + c]!;
  const down = SCALES.map((pn) => resampleCpu(img, 1, C, S, S, pn, pn, 'area'));
  const want = new Float64Array(B * (P + L) * C);
  for (let b = 0; b < B; b++) {
    const row = (i: number) => (b * (P + L) + i) * C;
    for (let i = 0; i < P; i++) for (let c = 0; c < C; c++) {
      let s = bc![c]! + master![i * C + c]! + lvl![c]!;
      for (let k = 0; k < Cv; k++) s += latH[((b * Cv + k) * S + Math.floor(i / S)) * S + (i % S)]! * wc![c * Cv + k]!;
      want[row(i) + c] = s;
    }
    for (let c = 0; c < C; c++) want[row(P) + c] = ce![condRows[b]! * C + c]! + ps![c]! + down[0]![c]! + lvl![c]!;
    for (let si = 1; si < K; si++) {
      const pn = SCALES[si]!, n = pn * pn, col = colOf(si);
      for (let r = 0; r < n; r++) for (let c = 0; c < C; c++) {
        let s = bw![c]! + down[si]![c * n + r]! + lvl![si * C + c]!;
        for (let k = 0; k < Cv; k++) s += xH[(b * (L - 1) + col - 1 + r) * Cv + k]! * ww![c * Cv + k]!;
        want[row(P + col + r) + c] = s;
      }
    }
  }
  assertClose(got, want, 'block input', 1e-5, 1e-5);
  m.dispose();
});

test('lrLatent: the LR resized bilinearly (host reference) to the output side, then encoder + quant_conv; no gradient, nothing left', async () => {
  const dev = await getDevice();
  const vae = tinyVAE(dev);
  const lr = lrImage(dev, 2, 6), lrH = Float32Array.from(await lr.toArray());
  const got = lrLatent(vae, lr);
  assert.equal(got.shape, [2, 8, 8, 8]);
  assert.not.ok(got.node, 'no graph');
  const enc = async (mode: 'bilinear' | 'bicubic') => noGrad(dev, () => vae.encode(fromArray(dev, resampleCpu(lrH, 2, 3, 8, 8, 16, 16, mode), [2, 3, 16, 16]))).toArray();
  const g = await got.toArray();
  assertClose(g, await enc('bilinear'), 'bilinear up, encoded', 1e-5, 1e-4);
  assert.ok(maxAbsDiff(g, await enc('bicubic')) > 1e-3, 'not bicubic');
  // an LR already at the output side is encoded as it is; a ×4 LR (4×4) works too
  const full = lrImage(dev, 1, 7, 16);
  same(await lrLatent(vae, full).toArray(), await noGrad(dev, () => vae.encode(full)).toArray(), 'no resize at the output side');
  assert.equal(lrLatent(vae, lrImage(dev, 1, 8, 4)).shape, [1, 8, 8, 8]);
  const live = () => dev.poolStats().liveBytes;
  await dev.sync();
  const before = live();
  lrLatent(vae, lr).dispose();
  await dev.sync();
  assert.is(live() - before, 0, 'temporaries freed');
  vae.dispose();
});

// ---- mask -----------------------------------------------------------------------------------------------------------
test('mask: scale k ignores the inputs of later scales; the LR prefix reaches every scale', async () => {
  const dev = await getDevice();
  const m = tinyModel(dev, 3);
  m.eval();
  const { L, K } = m.sizes, V = 64, B = 2;
  const lat = new Rng(1).normal(dev, [B, 8, 8, 8]), xH = await new Rng(2).normal(dev, [B, L - 1, 8]).toArray();
  const run = async (xh: ArrayLike<number>, l: Tensor = lat) => noGrad(dev, () => scope(dev, () => m.forwardTrain(l, fromArray(dev, Float32Array.from(xh), [B, L - 1, 8])))).toArray();
  const base = await run(xH);
  assert.is(base.length, B * L * V);
  for (let k = 0; k < K - 1; k++) {
    const x2 = Float32Array.from(xH), first = colOf(k + 1); // teacher rows of scales > k start at column colOf(k + 1) − 1
    for (let b = 0; b < B; b++) for (let r = first - 1; r < L - 1; r++) for (let c = 0; c < 8; c++) x2[(b * (L - 1) + r) * 8 + c] += 1;
    const got = await run(x2);
    assert.is(maxAbsDiff(cols(got, B, L, V, 0, first), cols(base, B, L, V, 0, first)), 0, `scales 0..${k} unchanged when later inputs change`);
    assert.ok(maxAbsDiff(cols(got, B, L, V, first, first + SCALES[k + 1]! ** 2), cols(base, B, L, V, first, first + SCALES[k + 1]! ** 2)) > 1e-3, `scale ${k + 1} changes`);
  }
  const lat2 = ops.add(lat, new Rng(9).normal(dev, lat.shape, 0, 0.5));
  const other = await run(xH, lat2);
  for (let si = 0; si < K; si++) {
    const c0 = colOf(si), c1 = c0 + SCALES[si]! ** 2;
    assert.ok(maxAbsDiff(cols(other, B, L, V, c0, c1), cols(base, B, L, V, c0, c1)) > 1e-3, `scale ${si} sees the LR prefix`);
  }
  m.dispose();
});

// ---- sampling -------------------------------------------------------------------------------------------------------
async function collect(it: AsyncGenerator<HVARSegmentImage>): Promise<HVARSegmentImage[]> { const out: HVARSegmentImage[] = []; for await (const r of it) out.push(r); return out; }

test('KV-cache sampling logits = teacher-forced logits of the sampled ids (with CFG and without; shared AdaLN, plain attention)', async () => {
  const dev = await getDevice();
  const vae = tinyVAE(dev);
  const B = 2, V = 64, L = hvarSizes(tinyCfg()).L, K = SCALES.length;
  const lr = lrImage(dev, B, 5);
  for (const [o, cfg] of [[{}, 0], [{}, 2.5], [{ sharedAln: true }, 1], [{ attnL2Norm: false }, 1.5]] as [Partial<HVARConfig>, number][]) {
    const m = tinyModel(dev, 4, o);
    m.eval();
    const res = await collect(sampleHVAR(m, vae, lr, { cfg, topK: 20, topP: 0.9, seed: 11, keepLogits: true }));
    const last = res[res.length - 1]!;
    assert.is(last.logits!.length, K);
    const idx = idsTensor(dev, last.ids, B);
    const x = vae.teacherInput(idx), lat = lrLatent(vae, lr);
    const [lc, lu] = noGrad(dev, () => [m.forwardTrain(lat, x, { cond: [0, 0] }), m.forwardTrain(lat, x, { cond: [1, 1] })]);
    const c = await lc!.toArray(), u = await lu!.toArray();
    for (let si = 0; si < K; si++) {
      const t = (cfg * si) / (K - 1), c0 = colOf(si), c1 = c0 + SCALES[si]! ** 2;
      const cc = cols(c, B, L, V, c0, c1), uu = cols(u, B, L, V, c0, c1);
      closeLogits(last.logits![si]!, cfg > 0 ? cc.map((v, i) => (1 + t) * v - t * uu[i]!) : cc, `${JSON.stringify(o)} cfg ${cfg}: step ${si}`);
    }
    if (cfg > 0) assert.ok(maxAbsDiff(c, u) > 1e-3, 'the null row changes the logits');
    res.forEach((r) => r.image_B3HW.dispose());
    for (const t of [idx, x, lat, lc!, lu!]) t.dispose();
    m.dispose();
  }
  vae.dispose();
});

test('the iterator yields ×1, ×2, ×4 in order, each as its segment ends (before later scales are sampled); images = decodeTokens', async () => {
  const dev = await getDevice();
  const m = tinyModel(dev, 6), vae = tinyVAE(dev);
  m.eval();
  const B = 2, lr = lrImage(dev, B, 3);
  const events: string[] = [];
  const got: HVARSegmentImage[] = [];
  for await (const r of sampleHVAR(m, vae, lr, { topP: 0.95, seed: 1, onScale: (si) => events.push(`scale ${si}`) })) {
    events.push(`yield ${r.segment}`);
    got.push(r);
  }
  assert.equal(events, ['scale 0', 'scale 1', 'yield 0', 'scale 2', 'scale 3', 'yield 1', 'scale 4', 'scale 5', 'yield 2']);
  assert.equal(got.map((r) => [r.segment, r.scale, r.side, r.image_B3HW.shape, r.ids.length]),
    [[0, 1, 4, [B, 3, 4, 4], 2], [1, 2, 8, [B, 3, 8, 8], 4], [2, 4, 16, [B, 3, 16, 16], 6]]);
  const idx = idsTensor(dev, got[2]!.ids, B);
  const dec = vae.decodeTokens(idx);
  for (let n = 0; n < 3; n++) {
    const a = await got[n]!.image_B3HW.toArray();
    assert.ok(a.every((v) => v >= -1 && v <= 1), 'clamped');
    assertClose(a, await dec[n]!.toArray(), `segment ${n}: image = decodeTokens of the sampled ids`, 1e-5, 1e-5);
    same(got[2]!.ids.slice(0, got[n]!.ids.length).flatMap((t) => Array.from(t)), got[n]!.ids.flatMap((t) => Array.from(t)), 'ids so far');
  }
  [...dec, idx, ...got.map((r) => r.image_B3HW)].forEach((t) => t.dispose());
  // stopping after the first image, and a full run, leave no GPU memory behind
  const live = () => dev.poolStats().liveBytes;
  await dev.sync();
  const before = live();
  for await (const r of sampleHVAR(m, vae, lr, { seed: 2, cfg: 1 })) { r.image_B3HW.dispose(); break; }
  (await upscaleImages(m, vae, lr, { seed: 2, cfg: 1 })).forEach((r) => r.image_B3HW.dispose());
  await dev.sync();
  assert.is(live() - before, 0, 'bytes live after an early break and a full run');
  m.dispose(); vae.dispose();
});

test('probe: every phase reported in order, awaited (the GPU done when it waits); same images as without; a throwing probe frees all', async () => {
  const dev = await getDevice();
  const m = tinyModel(dev, 7), vae = tinyVAE(dev);
  m.eval();
  const lr = lrImage(dev, 1, 4);
  const plain = await upscaleImages(m, vae, lr, { topK: 5, seed: 3 });
  const events: string[] = [];
  let inFlight = 0;
  const probed = await upscaleImages(m, vae, lr, { topK: 5, seed: 3, onScale: (si) => events.push(`scale ${si}`), probe: async (e) => {
    inFlight++;
    await dev.sync();
    events.push(`${e.phase} ${e.si}`);
    inFlight--;
  } });
  assert.is(inFlight, 0, 'each probe finished before the pass went on');
  const step = (si: number) => [`transformer ${si}`, `scale ${si}`, `sample ${si}`, `quantize ${si}`, ...(si % 2 ? [`decode ${si}`] : [])];
  assert.equal(events, ['encode -1', 'prefix -1', ...SCALES.flatMap((_, si) => step(si))]);
  for (let n = 0; n < 3; n++) {
    same(probed[n]!.ids.flat().flatMap((t) => Array.from(t)), plain[n]!.ids.flat().flatMap((t) => Array.from(t)), `segment ${n} ids`);
    same(await probed[n]!.image_B3HW.toArray(), await plain[n]!.image_B3HW.toArray(), `segment ${n} image`);
  }
  [...plain, ...probed].forEach((r) => r.image_B3HW.dispose());
  await dev.sync();
  const before = dev.poolStats().liveBytes;
  for (const at of ['prefix', 'transformer', 'decode'])
    await rejects(() => upscaleImages(m, vae, lr, { seed: 1, probe: (e) => { if (e.phase === at) throw new Error(`stop at ${at}`); } }), new RegExp(`stop at ${at}`));
  await dev.sync();
  assert.is(dev.poolStats().liveBytes - before, 0, 'bytes live after probes that threw');
  lr.dispose(); m.dispose(); vae.dispose();
});

test('seeded: greedy (top-k 1) ignores the seed; sampling repeats with a seed and differs with another', async () => {
  const dev = await getDevice();
  const m = tinyModel(dev, 8), vae = tinyVAE(dev);
  m.eval();
  const lr = lrImage(dev, 2, 4);
  const ids = async (o: { seed: number; topK?: number; topP?: number; cfg?: number }) => {
    const r = await upscaleImages(m, vae, lr, o);
    const px = await r[2]!.image_B3HW.toArray();
    r.forEach((s) => s.image_B3HW.dispose());
    return { ids: r[2]!.ids.flatMap((t) => Array.from(t)), px: Array.from(px) };
  };
  const g1 = await ids({ seed: 1, topK: 1 }), g2 = await ids({ seed: 99, topK: 1 });
  assert.equal(g1.ids, g2.ids, 'greedy: same ids for any seed');
  assert.equal(g1.px, g2.px, 'greedy: same pixels');
  const a = await ids({ seed: 5, cfg: 1.5 }), b = await ids({ seed: 5, cfg: 1.5 }), c = await ids({ seed: 6, cfg: 1.5 });
  assert.equal(a.ids, b.ids); assert.equal(a.px, b.px);
  assert.not.equal(a.ids, c.ids, 'another seed, other ids');
  assert.not.equal(a.ids, g1.ids, 'sampling is not greedy');
  m.dispose(); vae.dispose();
});

test('prepareForInference: the same ids and images bit for bit with every linear weight laid out once; refreshed by loadStateDict, freed by releaseInference and dispose', async () => {
  const { Device } = await import('../../src/engine/index.ts');
  // Every product on the texture kernel with or without the layouts (where the adapter has it), so both runs take one path.
  const dev = await Device.create({ profile: { matmulTextureMin: 0, matmulTextureMinRows: 0, matmulTextureMinRowsContiguousB: 0, linearPreparedMinRows: 0 } });
  try {
    const m = tinyModel(dev, 9), other = tinyModel(dev, 10), vae = tinyVAE(dev);
    m.eval(); other.eval();
    const lr = lrImage(dev, 1, 4);
    const run = async (model: HVAR) => {
      const r = await upscaleImages(model, vae, lr, { topK: 5, seed: 3 });
      const out = { ids: r.flatMap((x) => x.ids.flat().flatMap((t) => Array.from(t))), px: Array.from(await r[2]!.image_B3HW.toArray()) };
      r.forEach((x) => x.image_B3HW.dispose());
      return out;
    };
    const plain = await run(m), plainOther = await run(other);
    const tex0 = dev.poolStats().ownedTextureBytes;
    assert.is(m.prepareForInference(), m);
    assert.ok(m.preparedForInference);
    const texBytes = dev.poolStats().ownedTextureBytes - tex0;
    if (dev.profile.matmul.includes('texture-32x64')) assert.ok(texBytes >= 4 * hvarParamCount(tinyCfg()).parts.blocks!, `layouts hold about the blocks' weights (${texBytes} bytes)`);
    const prepared = await run(m);
    assert.equal(prepared.ids, plain.ids, 'ids with the layouts');
    assert.equal(prepared.px, plain.px, 'pixels with the layouts');
    // New weights: the layouts follow them.
    const sd = other.stateDict(), host: Record<string, { shape: number[]; data: Float32Array }> = {};
    for (const [k, t] of Object.entries(sd)) host[k] = { shape: [...t.shape], data: Float32Array.from(await t.toArray()) };
    m.loadStateDict(host);
    assert.ok(m.preparedForInference);
    const reloaded = await run(m);
    assert.equal(reloaded.ids, plainOther.ids, 'ids after loadStateDict');
    assert.equal(reloaded.px, plainOther.px, 'pixels after loadStateDict');
    m.releaseInference();
    assert.not.ok(m.preparedForInference);
    assert.is(dev.poolStats().ownedTextureBytes, tex0, 'releaseInference freed the layouts');
    m.prepareForInference(); m.dispose();
    assert.is(dev.poolStats().ownedTextureBytes, tex0, 'dispose freed the layouts');
    lr.dispose(); other.dispose(); vae.dispose();
  } finally { dev.destroy(); }
});

// ---- initialisation from VAR ----------------------------------------------------------------------------------------
async function hostDict(sd: Record<string, Tensor>): Promise<Map<string, { shape: number[]; data: Float32Array }>> {
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [k, t] of Object.entries(sd)) out.set(k, { shape: [...t.shape], data: Float32Array.from(await t.toArray()) });
  return out;
}

test('initHVARFromVAR: shared keys copied, class rows (null → 1, mean → 0), pos_master = bicubic up of the last scale; notes', async () => {
  const dev = await getDevice();
  const pns = [1, 2, 3, 4, 5, 6]; // six scales: lvl_embed fits the tiny H-VAR's six levels; not a known schedule, so lvl_1L says it
  const vcfg: VARConfig = { ...varConfig(2), embedDim: 64, numHeads: 2, numClasses: 10, patchNums: pns, vocab: 64, cvae: 8 };
  const v = new VAR(dev, vcfg, { init: 'none' });
  initVAR(v, new Rng(3), { initAdalnGamma: 0.1 });
  const vsd = await hostDict(v.stateDict());
  vsd.set('lvl_1L', { shape: [1, v.sizes.L], data: Float32Array.from(levelIds(pns)) });
  const h = tinyModel(dev, 9);
  const before = await hostDict(h.stateDict());
  const r = initHVARFromVAR(h, vsd);
  const after = await hostDict(h.stateDict());
  const shared = [...after.keys()].filter((k) => /^(blocks|head|head_nm|word_embed|lvl_embed)\.|^pos_start$/.test(k));
  assert.ok(shared.length > 30, `${shared.length} shared keys`);
  for (const k of shared) same(after.get(k)!.data, vsd.get(k)!.data, `${k} copied`);
  assert.equal([...r.mapped].sort(), [...shared, 'class_emb.weight', 'pos_master'].sort());
  const C = 64, ce = vsd.get('class_emb.weight')!.data, got = after.get('class_emb.weight')!.data;
  same(got.subarray(C, 2 * C), ce.subarray(10 * C, 11 * C), 'row 1 = VAR null row 10');
  const mean = Array.from({ length: C }, (_, c) => { let s = 0; for (let i = 0; i < 10; i++) s += ce[i * C + c]!; return s / 10; });
  assertClose(got.subarray(0, C), mean, 'row 0 = mean of the class rows', 1e-7, 1e-6);
  // pos_master: rows 55..90 of pos_1LC (scale 6×6) as a [1, C, 6, 6] image, bicubic to 8×8 on the host
  const pos = vsd.get('pos_1LC')!.data, Lv = 91, img = new Float32Array(C * 36);
  for (let i = 0; i < 36; i++) for (let c = 0; c < C; c++) img[c * 36 + i] = pos[(Lv - 36 + i) * C + c]!;
  const up = resampleCpu(img, 1, C, 6, 6, 8, 8, 'bicubic'), want = new Float32Array(64 * C);
  for (let i = 0; i < 64; i++) for (let c = 0; c < C; c++) want[i * C + c] = up[c * 64 + i]!;
  assertClose(after.get('pos_master')!.data, want, 'pos_master = up(last scale of pos_1LC, 8)', 1e-6, 1e-5);
  for (const k of ['cond_proj.weight', 'cond_proj.bias']) same(after.get(k)!.data, before.get(k)!.data, `${k} kept`);
  const notes = r.notes.join('\n');
  assert.match(notes, /row 1 \(null\) = VAR's null class row 10; row 0 \(super-resolve\) = the mean of VAR's 10 class rows/);
  assert.match(notes, /pos_master: the rows 55\.\.90 of VAR's pos_1LC \(its last scale, 6×6\) bicubic up to 8×8/);
  assert.match(notes, /not mapped: cond_proj\.weight: H-VAR only/);
  assert.match(notes, /unused VAR key: lvl_1L: derived buffer/);
  // a VAR whose shapes differ (4 levels, 2× wider FFN): those keys are reported and left alone
  const v4 = new VAR(dev, { ...vcfg, patchNums: [1, 2, 3, 4], mlpRatio: 8 }, { init: 'none' });
  initVAR(v4, new Rng(4));
  const h2 = tinyModel(dev, 9);
  const v4sd = await hostDict(v4.stateDict());
  v4sd.set('lvl_1L', { shape: [1, 30], data: Float32Array.from(levelIds([1, 2, 3, 4])) });
  const r2 = initHVARFromVAR(h2, v4sd);
  assert.ok(r2.kept.includes('lvl_embed.weight: shape [4, 64] in VAR, [6, 64] in H-VAR'), r2.kept.join('\n'));
  assert.ok(r2.kept.includes('blocks.0.ffn.fc1.weight: shape [512, 64] in VAR, [256, 64] in H-VAR'), r2.kept.join('\n'));
  same((await h2.stateDict()['lvl_embed.weight']!.toArray()), before.get('lvl_embed.weight')!.data, 'lvl_embed kept');
  assert.ok(r2.mapped.includes('blocks.1.attn.mat_qkv.weight') && r2.mapped.includes('pos_master'));
  for (const m of [v, h, v4, h2]) m.dispose();
});

// ---- files ----------------------------------------------------------------------------------------------------------
test('saveHVAR / loadHVAR: config in the metadata, every tensor back bitwise, same logits; errors name the problem', async () => {
  const dev = await getDevice();
  const m = tinyModel(dev, 10, { sharedAln: true, condDropRate: 0.2 });
  m.eval();
  const tmp = mkdtempSync(join(tmpdir(), 'hvar-hvar-'));
  try {
    const path = join(tmp, 'm.safetensors');
    await saveHVAR(m, path);
    const l = await loadHVAR(dev, path);
    l.eval();
    assert.equal(l.cfg, m.cfg);
    const a = m.stateDict(), b = l.stateDict();
    assert.equal(Object.keys(b), Object.keys(a));
    for (const k of Object.keys(a)) same(await b[k]!.toArray(), await a[k]!.toArray(), k);
    const lat = new Rng(1).normal(dev, [1, 8, 8, 8]), x = new Rng(2).normal(dev, [1, 129, 8]);
    same(await noGrad(dev, () => l.forwardTrain(lat, x)).toArray(), await noGrad(dev, () => m.forwardTrain(lat, x)).toArray(), 'logits');
    l.dispose();
    const { openSafetensors, writeSafetensors } = await import('../../src/engine/io/safetensors.ts');
    const f = await openSafetensors(path);
    assert.ok(f.metadata![HVAR_CONFIG_KEY]!.includes('"prefixSide":8'));
    const tensors: Record<string, { dtype: 'F32'; shape: number[]; data: Float32Array }> = {};
    for (const k of f.keys()) { const t = await f.read(k); tensors[k] = { dtype: 'F32', shape: [...t.shape], data: t.data as Float32Array }; }
    const { ['cond_proj.bias']: _gone, ...rest } = tensors;
    await writeSafetensors(join(tmp, 'broken.safetensors'), { ...rest, extra: tensors['pos_start']! }, f.metadata!);
    await rejects(() => loadHVAR(dev, join(tmp, 'broken.safetensors')), /missing cond_proj\.bias; unexpected extra/);
    await writeSafetensors(join(tmp, 'nometa.safetensors'), tensors);
    await rejects(() => loadHVAR(dev, join(tmp, 'nometa.safetensors')), /has no 'hvar\.hvar\.config' metadata/);
    await rejects(() => saveHVAR(m, join(tmp, 'm.bin')), /extension '\.bin' is not supported/);
    await rejects(() => saveHVAR(m, join(tmp, 'no-such-dir', 'x.safetensors')), /does not exist/);
  } finally { rmSync(tmp, { recursive: true, force: true }); }
  m.dispose();
});

// ---- training ---------------------------------------------------------------------------------------------------------
test('gradients: cross-entropy backward reaches every parameter; directional derivatives match finite differences', async () => {
  const dev = await getDevice();
  const m = tinyModel(dev, 12);
  m.train();
  const { L } = m.sizes, B = 2;
  const lat = new Rng(1).normal(dev, [B, 8, 8, 8]), x = new Rng(2).normal(dev, [B, L - 1, 8]);
  const target = Array.from(new Rng(3).randintHost(B * L, 0, 64));
  const loss = () => ops.crossEntropy(ops.reshape(m.forwardTrain(lat, x, { cond: [0, 1] }), [B * L, 64]), target);
  const l0 = await scope(dev, () => { const l = loss(); backward(l); return l; }).item();
  assert.ok(Number.isFinite(l0));
  for (const [k, p] of m.namedParameters()) {
    assert.ok(p.grad, `${k} has a gradient`);
    const g = await p.grad!.toArray();
    assert.ok(g.every(Number.isFinite), `${k}: finite`);
    assert.ok(g.some((v) => v !== 0), `${k}: nonzero`);
  }
  // both class rows get a gradient (cond [0, 1])
  const gce = await m.class_emb.weight.grad!.toArray();
  assert.ok(gce.subarray(0, 64).some((v) => v !== 0) && gce.subarray(64).some((v) => v !== 0), 'class rows 0 and 1');
  for (const k of ['cond_proj.weight', 'pos_master', 'class_emb.weight', 'lvl_embed.weight', 'pos_start']) {
    const p = m.stateDict()[k]!, gr = Float64Array.from(await p.grad!.toArray()), p0 = await p.toArray();
    const norm = Math.sqrt(gr.reduce((a, v) => a + v * v, 0)), eps = 1e-2;
    const at = async (s: number) => {
      const moved = Float32Array.from(p0, (v, i) => v + (s * eps * gr[i]!) / norm);
      noGrad(dev, () => ops.assign(p, fromArray(dev, moved, p.shape)));
      return noGrad(dev, () => scope(dev, () => loss())).item();
    };
    const fd = ((await at(1)) - (await at(-1))) / (2 * eps);
    noGrad(dev, () => ops.assign(p, fromArray(dev, p0, p.shape)));
    assert.ok(Math.abs(fd - norm) < 2e-2 * norm + 1e-4, `${k}: finite difference ${fd} vs |grad| ${norm}`);
  }
  m.dispose();
});

test('condition dropout draws rows to the null condition with the Rng; none without it', async () => {
  const dev = await getDevice();
  const m = tinyModel(dev, 13, { condDropRate: 0.5 });
  m.eval();
  const lat = new Rng(1).normal(dev, [4, 8, 8, 8]), x = new Rng(2).normal(dev, [4, 129, 8]);
  let seed = 0, dropped: number[] = [];
  for (; seed < 100; seed++) { const u = new Rng(seed).uniformHost(4); dropped = Array.from(u, (v) => (v < 0.5 ? 1 : 0)); if (dropped.includes(1) && dropped.includes(0)) break; }
  const [a, b, c] = noGrad(dev, () => [m.forwardTrain(lat, x, { condDropRng: new Rng(seed) }), m.forwardTrain(lat, x, { cond: dropped }), m.forwardTrain(lat, x)]);
  same(await a!.toArray(), await b!.toArray(), 'dropout = the drawn rows');
  assert.ok(maxAbsDiff(await a!.toArray(), await c!.toArray()) > 1e-4, 'and differs from no dropout');
  m.dispose();
});

// ---- errors -----------------------------------------------------------------------------------------------------------
test('bad inputs: LR size and channels, latent channels and side, teacher input, condition rows; model/VQVAE mismatch', async () => {
  const dev = await getDevice();
  const m = tinyModel(dev, 14), vae = tinyVAE(dev);
  const x = ops.fill(dev, [1, 129, 8], 0);
  assert.throws(() => m.forwardTrain(ops.fill(dev, [1, 4, 8, 8], 0), x), /LR latent must be f32 \[B, 8, 8, 8\] \(Cvae 8, prefix side 8\), got .*\[1, 4, 8, 8\]/);
  assert.throws(() => m.forwardTrain(ops.fill(dev, [1, 8, 16, 16], 0), x), /LR latent must be f32 \[B, 8, 8, 8\].*\[1, 8, 16, 16\]/);
  assert.throws(() => m.forwardTrain(ops.fill(dev, [1, 8, 8, 8], 0), ops.fill(dev, [1, 130, 8], 0)), /teacher input must be f32 \[1, 129, 8\].*\[1, 130, 8\]/);
  assert.throws(() => m.forwardTrain(ops.fill(dev, [1, 8, 8, 8], 0), x, { cond: [2] }), /condition row 2 at position 0 is not 0/);
  assert.throws(() => m.forwardTrain(ops.fill(dev, [1, 8, 8, 8], 0), x, { cond: [0, 0] }), /2 condition rows for a batch of 1/);
  assert.throws(() => lrLatent(vae, ops.fill(dev, [1, 3, 7, 7], 0)), /LR image .*\[1, 3, 7, 7\].* must be at most the output size 16 and divide it/);
  assert.throws(() => lrLatent(vae, ops.fill(dev, [1, 3, 32, 32], 0)), /at most the output size 16/);
  assert.throws(() => lrLatent(vae, ops.fill(dev, [1, 1, 8, 8], 0)), /LR image must be an f32 \[B, 3, h, h\].*\[1, 1, 8, 8\]/);
  assert.throws(() => lrLatent(vae, ops.fill(dev, [1, 3, 8, 4], 0)), /\(square\), got .*\[1, 3, 8, 4\]/);
  assert.throws(() => sampleHVAR(m, vae, ops.fill(dev, [1, 3, 6, 6], 0), { seed: 0 }), /sampleHVAR: the LR image .*\[1, 3, 6, 6\]/);
  assert.throws(() => sampleHVAR(m, vae, lrImage(dev, 1, 1), { seed: 0, outSide: 32 }), /outSide 32 does not fit the model's prefix side 8/);
  const other = VQVAE.create(dev, { vocabSize: 32, zChannels: 8, ch: 32, chMult: [1, 2], numResBlocks: 1, segments: SEGS }, new Rng(1));
  assert.throws(() => sampleHVAR(m, other, lrImage(dev, 1, 1), { seed: 0 }), /the VQVAE \(V 32, Cvae 8\) does not match the model \(V 64, Cvae 8\)/);
  const plain = VQVAE.create(dev, { vocabSize: 64, zChannels: 8, ch: 32, chMult: [1, 2], numResBlocks: 1, patchNums: SCALES }, new Rng(1));
  assert.throws(() => sampleHVAR(m, plain, lrImage(dev, 1, 1), { seed: 0 }), /segment sides \[8,8,8,8,8,8\] differ from the model's \[2,2,4,4,8,8\]/);
  assert.throws(() => sampleHVAR(m, vae, lrImage(dev, 1, 1), { seed: 0, cfg: -1 }), /cfg must be a finite number >= 0/);
  for (const t of [m, vae, other, plain]) t.dispose();
});

test.after(closeDevice);
test.run();
