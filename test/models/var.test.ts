// The VAR transformer against the official code (test/fixtures/make_var_golden.py): strict loading of small.pth / shared.pth,
// teacher-forced logits, greedy CFG sampling (ids, f_hat, logits per step), the top-k/top-p masks; plus KV-cache sampling vs
// teacher forcing, seeded draws, condition dropout, gradients, init, .safetensors loading and parameter counts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ops, fromArray, noGrad, scope, backward, Rng, type Device, type Tensor } from '../../src/engine/index.ts';
import { openSafetensors, writeSafetensors } from '../../src/engine/io/safetensors.ts';
import { loadPthStateDict } from '../../src/engine/io/pth.ts';
import { MultiScaleQuantizer } from '../../src/models/quant/quantizer.ts';
import {
  VAR, varConfig, varParamCount, loadVAR, sampleVAR, initVAR, topKTopPRemoved, sampleRows, dropPath, levelIds, type VARConfig,
} from '../../src/models/var/index.ts';
import { getDevice, closeDevice } from '../helpers/gpu.ts';
import { assertClose } from '../helpers/ref.ts';

const DIR = 'test/fixtures/var';
const GOLDEN = `${DIR}/goldens.safetensors`;

async function golden() {
  const f = await openSafetensors(GOLDEN);
  const g = async (k: string) => (await f.read(k)).data;
  const meta = JSON.parse(f.metadata!.config!) as { common: { patch_nums: number[]; vocab: number; Cvae: number; num_classes: number };
    small: Record<string, number | boolean>; shared: Record<string, number | boolean>; filter_cases: [number, number][];
    sample_cases: Record<string, { labels: number[]; cfg: number }> };
  return { f, g, meta };
}

async function quantizer(dev: Device) {
  const { g, meta } = await golden();
  const { Cvae: C, vocab: V, patch_nums } = meta.common;
  const q = MultiScaleQuantizer.var({ vocab: V, width: C, scales: patch_nums }, {
    codebook: fromArray(dev, await g('quantize.embedding.weight'), [V, C]),
    phiW: await Promise.all([0, 1, 2, 3].map(async (i) => fromArray(dev, await g(`quantize.quant_resi.qresi_ls.${i}.weight`), [C, C, 3, 3]))),
    phiB: await Promise.all([0, 1, 2, 3].map(async (i) => fromArray(dev, await g(`quantize.quant_resi.qresi_ls.${i}.bias`), [C]))),
  });
  return q;
}

/** uvu has no assert.rejects: the promise must reject with a message matching re. */
async function rejects(fn: () => Promise<unknown>, re: RegExp) {
  try { await fn(); } catch (e) { assert.match((e as Error).message, re); return; }
  assert.unreachable(`expected a rejection matching ${re}`);
}
const same = (a: ArrayLike<number>, b: ArrayLike<number>, what: string) => assert.equal(Array.from(a), Array.from(b), what);
/** Logits tolerance: 1e-4 absolute, relative where logits are large. */
const closeLogits = (a: ArrayLike<number>, e: ArrayLike<number>, what: string) => assertClose(a, e, what, 1e-4, 1e-4);

// ---- configuration and parameter counts ----------------------------------------------------------------------
test('parameter counts: VAR_FACTS §3.1/§3.9 from the configuration; a built model counts the same', async () => {
  assert.is(varParamCount(varConfig(16)).total, 310_283_520);
  assert.is(varParamCount(varConfig(24)).total, 1_033_399_360);
  assert.is(varParamCount(varConfig(20)).total, 600_917_136);
  assert.is(varParamCount(varConfig(30)).total, 2_010_020_356);
  assert.is(varParamCount(varConfig(16, { patchNums: [1, 2, 3, 4, 6, 9, 13, 18, 24, 32] })).total, 311_880_960);
  const p16 = varParamCount(varConfig(16)).parts;
  assert.is(p16.blocks, 16 * 18_888_720);
  const dev = await getDevice();
  const small: VARConfig = { ...varConfig(2), embedDim: 64, numHeads: 2, numClasses: 10, patchNums: [1, 2, 3, 4], vocab: 64, cvae: 8 };
  for (const cfg of [small, { ...small, sharedAln: true, mlpRatio: 2 }, { ...small, attnL2Norm: false, numHeads: 1 }, { ...small, patchNums: [2, 3], mlpRatio: 1.5 }]) {
    const m = new VAR(dev, cfg, { init: 'none' });
    const c = varParamCount(cfg);
    assert.is(m.numParameters(), c.total, JSON.stringify(cfg));
    // per part: the model's own parameters grouped by their first name component
    const byPart: Record<string, number> = {};
    for (const [k, t] of m.namedParameters()) { const p = k.split('.')[0]!; byPart[p] = (byPart[p] ?? 0) + t.numel; }
    for (const [p, n] of Object.entries(c.parts)) assert.is(byPart[p] ?? 0, n, `part ${p}`);
    m.dispose();
  }
  assert.throws(() => varConfig(2, { embedDim: 100, numHeads: 3 }), /embedDim 100 is not a multiple of numHeads 3/);
  assert.throws(() => varConfig(2, { embedDim: 512, numHeads: 2 }), /head dim 256/);
});

// ---- loading ----------------------------------------------------------------------------------------------------
test('loadVAR: small.pth and shared.pth load strictly; the configuration is inferred from the shapes', async () => {
  const dev = await getDevice();
  const { meta } = await golden();
  for (const [file, want] of [['small.pth', meta.small], ['shared.pth', meta.shared]] as const) {
    const { model, config, inferred } = await loadVAR(dev, `${DIR}/${file}`);
    assert.equal({ depth: config.depth, embed_dim: config.embedDim, num_heads: config.numHeads, mlp_ratio: config.mlpRatio, shared_aln: config.sharedAln },
      { depth: want.depth, embed_dim: want.embed_dim, num_heads: want.num_heads, mlp_ratio: want.mlp_ratio, shared_aln: want.shared_aln }, file);
    assert.equal([...config.patchNums], meta.common.patch_nums);
    assert.equal([config.vocab, config.cvae, config.numClasses, config.attnL2Norm], [meta.common.vocab, meta.common.Cvae, meta.common.num_classes, true]);
    assert.ok(inferred.some((l) => /patch_nums \[1,2,3,4\] \(token counts per level of lvl_1L\)/.test(l)), inferred.join('\n'));
    // Every key of the checkpoint is a parameter or buffer of the model, or one of the two derived buffers; and vice versa.
    const keys = [...(await loadPthStateDict(`${DIR}/${file}`)).keys()].sort();
    assert.equal([...Object.keys(model.stateDict()), 'attn_bias_for_masking', 'lvl_1L'].sort(), keys);
    assert.ok(keys.includes('blocks.0.attn.zero_k_bias'));
    // values arrive: a parameter and a buffer read back as stored
    const sd = await loadPthStateDict(`${DIR}/${file}`);
    same(await model.stateDict()['blocks.1.ffn.fc2.bias']!.toArray(), sd.get('blocks.1.ffn.fc2.bias')!.data, `${file}: fc2.bias`);
    same(await model.stateDict()['pos_1LC']!.toArray(), sd.get('pos_1LC')!.data, `${file}: pos_1LC`);
    model.dispose();
  }
});

test('loadVAR: .safetensors with a key prefix, without buffers; patch_nums must then be given; errors name the problem', async () => {
  const dev = await getDevice();
  const sd = await loadPthStateDict(`${DIR}/small.pth`);
  const tmp = mkdtempSync(join(tmpdir(), 'hvar-var-'));
  try {
    const noBuffers = Object.fromEntries([...sd].filter(([k]) => !/lvl_1L|attn_bias|zero_k_bias/.test(k))
      .map(([k, t]) => [`var_wo_ddp.${k}`, { dtype: 'F32' as const, shape: t.shape, data: t.data as Float32Array }]));
    const path = join(tmp, 'small.safetensors');
    await writeSafetensors(path, noBuffers);
    await rejects(() => loadVAR(dev, path, { key: 'var_wo_ddp' }), /no VAR schedule has 4 scales and 30 tokens; pass overrides.patchNums/);
    const { model, inferred } = await loadVAR(dev, path, { key: 'var_wo_ddp', overrides: { patchNums: [1, 2, 3, 4] } });
    assert.ok(inferred.some((l) => /zero_k_bias absent in 2 blocks/.test(l)), inferred.join('\n'));
    same(await model.stateDict()['head.weight']!.toArray(), sd.get('head.weight')!.data, 'head.weight');
    same(await model.stateDict()['blocks.0.attn.zero_k_bias']!.toArray(), new Float32Array(64), 'zero_k_bias');
    model.dispose();
    // a missing parameter and an unknown key are refused
    const broken = { ...noBuffers, 'var_wo_ddp.extra.weight': noBuffers['var_wo_ddp.head.bias']! };
    delete (broken as Record<string, unknown>)['var_wo_ddp.blocks.1.attn.q_bias'];
    await writeSafetensors(path, broken);
    await rejects(() => loadVAR(dev, path, { key: 'var_wo_ddp', overrides: { patchNums: [1, 2, 3, 4] } }),
      /missing blocks\.1\.attn\.q_bias; unexpected extra\.weight/);
    await rejects(() => loadVAR(dev, path, { key: 'nope' }), /no tensor names start with 'nope\.'/);
  } finally { rmSync(tmp, { recursive: true, force: true }); }
});

// ---- teacher forcing ------------------------------------------------------------------------------------------
test('forwardTrain = official VAR.forward (eval): logits within 1e-4, per-block and shared AdaLN; teacher input from the quantizer', async () => {
  const dev = await getDevice();
  const { g, f } = await golden();
  const q = await quantizer(dev);
  const labels = [...(await g('train.labels'))];
  const ids = fromArray(dev, await g('train.ids'), f.info('train.ids').shape, 'i32');
  const x = q.decode(ids, { teacherInput: true }).varInput!;
  assertClose(await x.toArray(), await g('train.x_BLCv'), 'teacher input (quantizer) vs idxBl_to_var_input', 1e-5, 0);
  for (const [file, key] of [['small.pth', 'train.logits'], ['shared.pth', 'shared.train.logits']]) {
    const { model } = await loadVAR(dev, `${DIR}/${file}`);
    model.eval();
    const logits = noGrad(dev, () => model.forwardTrain(labels, x));
    assert.equal(logits.shape, [3, 30, 64]);
    closeLogits(await logits.toArray(), await g(key!), `${file} logits`);
    // the same through a GPU label tensor
    const l2 = noGrad(dev, () => model.forwardTrain(fromArray(dev, labels, [3], 'i32'), x));
    same(await l2.toArray(), await logits.toArray(), `${file}: tensor labels`);
    model.dispose();
  }
});

test('forwardTrain errors: label range, teacher input shape', async () => {
  const dev = await getDevice();
  const { model } = await loadVAR(dev, `${DIR}/small.pth`);
  const x = ops.fill(dev, [2, 29, 8], 0);
  assert.throws(() => model.forwardTrain([1, 11], x), /label 11 at position 1 is outside \[0, 10\] \(10 = the null class\)/);
  assert.throws(() => model.forwardTrain([1, 2], ops.fill(dev, [2, 30, 8], 0)), /teacher input must be \[B, 29, 8\]/);
  assert.throws(() => model.forwardTrain([1, 2, 3], x), /3 labels for a batch of 2/);
  model.dispose();
});

// ---- sampling -----------------------------------------------------------------------------------------------------
test('sampleVAR greedy (top_k 1) = official autoregressive_infer_cfg: ids exact, guided logits and f_hat within 1e-4', async () => {
  const dev = await getDevice();
  const { g, meta } = await golden();
  const q = await quantizer(dev);
  const { model } = await loadVAR(dev, `${DIR}/small.pth`);
  model.eval();
  for (const [name, c] of Object.entries(meta.sample_cases)) {
    const margin = (await g(`sample.${name}.margin`))[0]!;
    assert.ok(margin > 1e-3, `golden ${name}: argmax margin ${margin}`);
    const r = await sampleVAR(model, { labels: c.labels, cfg: c.cfg, topK: 1, seed: 3, quantizer: q, keepLogits: true });
    same(await r.idx_BL.toArray(), await g(`sample.${name}.ids`), `${name}: ids`);
    for (let si = 0; si < 4; si++) closeLogits(r.logits![si]!, await g(`sample.${name}.logits.${si}`), `${name}: guided logits of step ${si}`);
    assertClose(await r.fHat.toArray(), await g(`sample.${name}.fhat`), `${name}: f_hat`, 1e-4, 1e-4);
    assert.equal(r.fHat.shape, [c.labels.length, 8, 4, 4]);
    // ids per scale are the columns of idx_BL
    const all = await r.idx_BL.toArray();
    const B = c.labels.length;
    let col = 0;
    r.ids.forEach((a, si) => { const l = (si + 1) ** 2; for (let b = 0; b < B; b++) same(a.subarray(b * l, (b + 1) * l), all.subarray(b * 30 + col, b * 30 + col + l), `scale ${si}`); col += l; });
    // f_hat is the quantizer's decode of the ids
    same(await r.fHat.toArray(), await q.decode(r.idx_BL).fHats[0]!.toArray(), `${name}: f_hat = decode(ids)`);
  }
  model.dispose();
});

test('KV-cache sampling logits = teacher-forced logits of the sampled ids (CFG pair, top-k/top-p draws, shared AdaLN too)', async () => {
  const dev = await getDevice();
  const q = await quantizer(dev);
  for (const file of ['small.pth', 'shared.pth']) {
    const { model } = await loadVAR(dev, `${DIR}/${file}`);
    model.eval();
    const labels = [4, 10, 7], cfg = 2.5;
    const r = await sampleVAR(model, { labels, cfg, topK: 20, topP: 0.9, seed: 11, quantizer: q, keepLogits: true });
    const x = q.decode(r.idx_BL, { teacherInput: true }).varInput!;
    const [lc, lu] = noGrad(dev, () => [model.forwardTrain(labels, x), model.forwardTrain([10, 10, 10], x)]);
    const c = await lc!.toArray(), u = await lu!.toArray();
    let col = 0;
    for (let si = 0; si < 4; si++) {
      const l = (si + 1) ** 2, t = (cfg * si) / 3, want: number[] = [];
      for (let b = 0; b < 3; b++) for (let i = 0; i < l * 64; i++) { const j = (b * 30 + col) * 64 + i; want.push((1 + t) * c[j]! - t * u[j]!); }
      closeLogits(r.logits![si]!, want, `${file}: step ${si}`);
      col += l;
    }
    model.dispose();
  }
});

test('seeded sampling: same seed → same ids, another seed → other ids; an Rng argument continues its stream', async () => {
  const dev = await getDevice();
  const q = await quantizer(dev);
  const { model } = await loadVAR(dev, `${DIR}/small.pth`);
  model.eval();
  const run = async (o: { seed?: number; rng?: Rng }) => [...await (await sampleVAR(model, { labels: [1, 2], cfg: 1.5, topP: 0.96, quantizer: q, ...o })).idx_BL.toArray()];
  const a = await run({ seed: 5 }), b = await run({ seed: 5 }), c = await run({ seed: 6 });
  assert.equal(a, b);
  assert.not.equal(a, c);
  assert.equal(await run({ rng: new Rng(5) }), a);
  const rng = new Rng(5);
  await run({ rng });
  assert.not.equal(await run({ rng }), a, 'a second run from the same Rng continues its stream');
  await rejects(() => sampleVAR(model, { labels: [1], quantizer: MultiScaleQuantizer.var({ vocab: 64, width: 8, scales: [1, 2, 4] }, {
    codebook: ops.fill(dev, [64, 8], 0), phiW: [0, 1, 2, 3].map(() => ops.fill(dev, [8, 8, 3, 3], 0)), phiB: [0, 1, 2, 3].map(() => ops.fill(dev, [8], 0)),
  }) }), /the quantizer's scales \[1,2,4\] differ from the model's patch_nums \[1,2,3,4\]/);
  model.dispose();
});

// ---- filtering and drawing ------------------------------------------------------------------------------------------
/** The official rule restated on its own (float64, ties by index): top-k threshold by multiplicity, then ascending top-p. */
function refRemoved(row: number[], k: number, p: number): number[] {
  const V = row.length, x = [...row];
  if (k > 0 && k < V) { const kth = [...x].sort((a, b) => b - a)[k - 1]!; for (let i = 0; i < V; i++) if (x[i]! < kth) x[i] = -Infinity; }
  if (p > 0) {
    const idx = [...x.keys()].sort((a, b) => (x[a]! === x[b]! ? a - b : x[a]! < x[b]! ? -1 : 1));
    const m = Math.max(...x), e = idx.map((i) => Math.exp(x[i]! - m)), s = e.reduce((a, b) => a + b, 0);
    let cum = 0;
    const drop = idx.map((_, j) => (cum += e[j]! / s) <= Math.fround(1 - p));
    drop[V - 1] = false;
    idx.forEach((i, j) => { if (drop[j]) x[i] = -Infinity; });
  }
  return x.map((v) => (v === -Infinity ? 1 : 0));
}

test('top-k / top-p masks = the official sample_with_top_k_top_p_ on crafted rows with ties, and the restated rule', async () => {
  const { g, meta, f } = await golden();
  const logits = await g('filter.logits');
  const [R, V] = f.info('filter.logits').shape as [number, number];
  for (const [k, p] of meta.filter_cases) {
    const want = await g(`filter.${k}_${p}.removed`);
    for (let r = 0; r < R; r++) {
      const row = Array.from(logits.subarray(r * V, (r + 1) * V));
      same(topKTopPRemoved(row, { topK: k, topP: p }), want.subarray(r * V, (r + 1) * V), `top_k ${k}, top_p ${p}, row ${r} vs official`);
      same(topKTopPRemoved(row, { topK: k, topP: p }), refRemoved(row, k, p), `top_k ${k}, top_p ${p}, row ${r} vs restated`);
    }
  }
  // crafted by hand: ties at the k-th value stay; a tiny top_p keeps one maximum (the last in index order among equals)
  same(topKTopPRemoved([5, 1, 5, 5, 2], { topK: 2 }), [0, 1, 0, 0, 1], 'ties at the k-th value');
  same(topKTopPRemoved([5, 1, 5, 5, 2], { topP: 1e-6 }), [1, 1, 1, 0, 1], 'always keep the (last) maximum');
  same(topKTopPRemoved([0, Math.log(3), Math.log(6)], { topP: 0.6 }), [1, 1, 0], 'p 0.6 of (0.1, 0.3, 0.6): the 0.6 alone covers it');
  same(topKTopPRemoved([0, Math.log(3), Math.log(6)], { topP: 0.65 }), [1, 0, 0], 'p 0.65: 0.1 goes, 0.3 stays');
  same(topKTopPRemoved([3, 1, 2], { topK: 5, topP: 1 }), [0, 0, 0], 'k >= V and p = 1 keep all');
  assert.throws(() => topKTopPRemoved([1, 2], { topP: 1.5 }), /top-p must lie in \[0, 1\]/);
});

test('sampleRows: inverse CDF over the kept entries; draws follow the softmax', () => {
  const V = 5, row = [0, Math.log(2), -Infinity, Math.log(3), Math.log(4)]; // probabilities 1, 2, 0, 3, 4 (/10)
  same(sampleRows(row, 1, V, {}, [0]), [0], 'u = 0 → first kept');
  same(sampleRows(row, 1, V, {}, [0.1 - 1e-9]), [0], 'edge below 0.1');
  same(sampleRows(row, 1, V, {}, [0.1 + 1e-9]), [1], 'edge above 0.1');
  same(sampleRows(row, 1, V, {}, [0.3 + 1e-9]), [3], 'skips the −∞ entry');
  same(sampleRows(row, 1, V, {}, [1 - 2 ** -24]), [4], 'u → 1 → last');
  same(sampleRows(row, 1, V, { topK: 1 }, [0.99]), [4], 'top_k 1 = argmax');
  const n = 20000, rows = new Float64Array(n * V);
  for (let i = 0; i < n; i++) rows.set(row, i * V);
  const ids = sampleRows(rows, n, V, {}, new Rng(1).uniformHost(n));
  const cnt = new Array(V).fill(0);
  ids.forEach((i) => cnt[i]++);
  [0.1, 0.2, 0, 0.3, 0.4].forEach((p, i) => assert.ok(Math.abs(cnt[i] / n - p) < 4 * Math.sqrt((p * (1 - p)) / n) + 1e-9, `id ${i}: ${cnt[i] / n} vs ${p}`));
});

// ---- training-mode pieces ------------------------------------------------------------------------------------------
test('condition dropout (Rng argument) replaces labels by the null class as drawn; off without an Rng', async () => {
  const dev = await getDevice();
  const { model } = await loadVAR(dev, `${DIR}/small.pth`, { overrides: { condDropRate: 0.5 } });
  model.eval();
  const { g } = await golden();
  const x = fromArray(dev, await g('train.x_BLCv'), [3, 29, 8]);
  const labels = [3, 7, 1];
  // the first seed whose draws drop some labels and keep others (the host mirror gives the GPU's numbers)
  let seed = 0, dropped = labels;
  for (; seed < 100; seed++) {
    const u = new Rng(seed).uniformHost(3);
    dropped = labels.map((l, i) => (u[i]! < 0.5 ? 10 : l));
    if (dropped.includes(10) && dropped.some((l) => l !== 10)) break;
  }
  const [a, b, c] = noGrad(dev, () => [model.forwardTrain(labels, x, { condDropRng: new Rng(seed) }), model.forwardTrain(dropped, x), model.forwardTrain([3, 7, 10], x)]);
  same(await a!.toArray(), await b!.toArray(), 'dropout = the drawn null labels');
  closeLogits(await c!.toArray(), await g('train.logits'), 'no Rng, no dropout (rate 0.5 configured)');
  model.dispose();
});

test('drop-path: per-sample 0 or x/(1 − p); training forward with p = 0 equals eval', async () => {
  const dev = await getDevice();
  const x = fromArray(dev, Array.from({ length: 8 * 6 }, (_, i) => i + 1), [8, 2, 3]);
  const y = await noGrad(dev, () => dropPath(x, 0.25, new Rng(2))).toArray();
  const u = new Rng(2).uniformHost(8);
  for (let b = 0; b < 8; b++) for (let j = 0; j < 6; j++) {
    const want = u[b]! < 0.75 ? (b * 6 + j + 1) / 0.75 : 0;
    assert.ok(Math.abs(y[b * 6 + j]! - want) < 1e-5 * want + 1e-6, `item ${b}: ${y[b * 6 + j]} vs ${want}`);
  }
  const { model } = await loadVAR(dev, `${DIR}/small.pth`, { overrides: { dropPathRate: 0 } });
  const { g } = await golden();
  const xv = fromArray(dev, await g('train.x_BLCv'), [3, 29, 8]);
  model.train();
  const lt = noGrad(dev, () => model.forwardTrain([3, 7, 10], xv, { dropPathRng: new Rng(1) }));
  closeLogits(await lt.toArray(), await g('train.logits'), 'p = 0');
  model.dispose();
});

test('gradients: cross-entropy backward reaches every parameter; directional derivatives match finite differences', async () => {
  const dev = await getDevice();
  const { model } = await loadVAR(dev, `${DIR}/small.pth`);
  model.train();
  const { g } = await golden();
  const x = fromArray(dev, await g('train.x_BLCv'), [3, 29, 8]);
  const target = Array.from(await g('train.ids'));
  const loss = () => ops.crossEntropy(ops.reshape(model.forwardTrain([3, 7, 10], x), [90, 64]), target);
  const l0 = await scope(dev, () => { const l = loss(); backward(l); return l; }).item();
  assert.ok(Number.isFinite(l0));
  for (const [k, p] of model.namedParameters()) {
    assert.ok(p.grad, `${k} has a gradient`);
    const gr = await p.grad!.toArray();
    assert.ok(gr.every(Number.isFinite), `${k}: finite`);
    if (k !== 'blocks.0.attn.scale_mul_1H11') assert.ok(gr.some((v) => v !== 0), `${k}: nonzero`);
  }
  // head 1 of block 0 has a temperature 5.0 above ln 100: clamped, so no gradient; head 0 (ln 4) has one
  const gs = await model.stateDict()['blocks.0.attn.scale_mul_1H11']!.grad!.toArray();
  assert.is(gs[1], 0); assert.ok(gs[0] !== 0);
  // finite differences along the gradient of a few tensors (f64 host arithmetic on f32 losses)
  for (const k of ['blocks.1.attn.scale_mul_1H11', 'blocks.0.attn.q_bias', 'blocks.1.ada_lin.1.bias', 'pos_start', 'head_nm.ada_lin.1.bias']) {
    const p = model.stateDict()[k]!, gr = Float64Array.from(await p.grad!.toArray()), p0 = await p.toArray();
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
  model.dispose();
});

test('initVAR: VAR init_weights statistics, seeded; the level layout is lvl_1L', async () => {
  const dev = await getDevice();
  const cfg: VARConfig = { ...varConfig(2), embedDim: 128, numHeads: 2, numClasses: 10, patchNums: [1, 2, 3, 4], vocab: 64, cvae: 8 };
  const m = new VAR(dev, cfg, { init: 'none' });
  initVAR(m, new Rng(4), { initAdalnGamma: 1e-3 });
  const sd = m.stateDict();
  const std = async (k: string, r0 = 0, r1?: number) => {
    const a = (await sd[k]!.toArray()) as Float32Array, w = sd[k]!.shape.slice(1).reduce((x, y) => x * y, 1), s = a.subarray(r0 * w, (r1 ?? sd[k]!.shape[0]!) * w);
    const mu = s.reduce((x, y) => x + y, 0) / s.length;
    return Math.sqrt(s.reduce((x, y) => x + (y - mu) ** 2, 0) / s.length);
  };
  const s0 = Math.sqrt(1 / 3 / 128);
  const near = (got: number, want: number, what: string) => assert.ok(Math.abs(got / want - 1) < 0.05, `${what}: std ${got} vs ${want}`);
  near(await std('blocks.0.attn.mat_qkv.weight'), s0, 'mat_qkv');
  near(await std('blocks.0.attn.proj.weight'), s0 / 2, 'proj ÷ √(2·depth)');
  near(await std('head.weight'), s0 * 0.02, 'head × 0.02');
  near(await std('blocks.1.ada_lin.1.weight', 0, 256), s0 * 1e-3, 'ada_lin gamma rows');
  near(await std('blocks.1.ada_lin.1.weight', 256), s0 * 0.5, 'ada_lin other rows');
  near(await std('head_nm.ada_lin.1.weight'), s0 * 0.5, 'head_nm ada_lin');
  same(await sd['blocks.0.attn.q_bias']!.toArray(), new Float32Array(128), 'q_bias 0');
  same(await sd['blocks.1.attn.scale_mul_1H11']!.toArray(), Float32Array.from([Math.log(4), Math.log(4)]), 'temperatures ln 4');
  const m2 = new VAR(dev, cfg, { init: 'none' });
  initVAR(m2, new Rng(4), { initAdalnGamma: 1e-3 });
  same(await m2.stateDict()['blocks.1.ffn.fc1.weight']!.toArray(), await sd['blocks.1.ffn.fc1.weight']!.toArray(), 'same seed, same weights');
  same(m.levelIdsHost(), levelIds([1, 2, 3, 4]), 'levels');
  m.dispose(); m2.dispose();
});

test.after(closeDevice);
test.run();
