// VQVAE against the official VAR code (test/fixtures/make_vqvae_golden.py): small.pth and a nested trainer state load
// with strict keys; encoder output, ids per scale, f_hat per scale, reconstruction and teacher input match; HIT
// tokenization (MODEL_SPEC §2) matches a Python build from the official modules; decode(tokenize(x)) is bitwise.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fromArray, noGrad, type Device, type Tensor } from '../../src/engine/index.ts';
import { openSafetensors, type SafetensorsFile } from '../../src/engine/io/safetensors.ts';
import { VQVAE, loadVQVAE, vqvaeConfig, type VQVAEConfigInput } from '../../src/models/vqvae/index.ts';
import type { Segment } from '../../src/models/quant/schedule.ts';
import { getDevice, closeDevice } from '../helpers/gpu.ts';
import { assertClose } from '../helpers/ref.ts';

const DIR = 'test/fixtures/vqvae';
const SMALL = `${DIR}/small.pth`, NESTED = `${DIR}/trainer_nested.pth`, GOLDEN = `${DIR}/golden.safetensors`;

let gf: SafetensorsFile | null = null;
async function golden() {
  gf ??= await openSafetensors(GOLDEN);
  const f = gf;
  const g = async (k: string) => (await f.read(k)).data;
  const cfgPy = JSON.parse(f.metadata!.config!) as Record<string, unknown>;
  const hit = JSON.parse(f.metadata!.hit_segments!) as Segment[];
  return { f, g, cfgPy, hit, pns: cfgPy.v_patch_nums as number[] };
}
const same = (a: ArrayLike<number>, b: ArrayLike<number>, what: string) => {
  assert.is(a.length, b.length, `${what}: length`);
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) assert.unreachable(`${what}: [${i}] ${a[i]} vs ${b[i]} (must be equal)`);
};
async function image(dev: Device) {
  const { f, g } = await golden();
  return fromArray(dev, await g('x'), f.info('x').shape);
}

test('config inferred from small.pth matches the official arguments; the ema buffer is kept', async () => {
  const dev = await getDevice();
  const { cfgPy, pns } = await golden();
  const vae = await loadVQVAE(dev, SMALL, { cfg: { patchNums: pns } });
  const c = vae.cfg;
  assert.equal([c.vocabSize, c.zChannels, c.ch, c.chMult, c.numResBlocks, c.quantConvKs, c.shareQuantResi],
    [cfgPy.vocab_size, cfgPy.z_channels, cfgPy.ch, cfgPy.ch_mult, cfgPy.num_res_blocks, cfgPy.quant_conv_ks, cfgPy.share_quant_resi]);
  assert.equal(c.segments, [{ side: 4, scales: pns }]);
  assert.ok(vae.configNotes[0]!.startsWith('inferred from shapes'), vae.configNotes.join(' | '));
  assert.ok(vae.configNotes.some((n) => /beta/.test(n) && !/schedule/.test(n)), `notes: ${vae.configNotes.join(' | ')}`);
  assert.is(vae.source, SMALL);
  const ema = vae.stateDict()['quantize.ema_vocab_hit_SV']!;
  assert.equal(ema.shape, [4, 64]);
  assert.ok((await ema.toArray()).some((v) => v > 0), 'small.pth stores non-zero usage statistics');
  vae.dispose();
});

test('golden (official VQVAE): encoder, quant_conv, ids per scale, f_hat per scale, reconstruction, var input', async () => {
  const dev = await getDevice();
  const { f, g, pns } = await golden();
  const vae = await loadVQVAE(dev, SMALL, { cfg: { patchNums: pns } });
  const x = await image(dev);
  const enc = noGrad(dev, () => vae.encoder.forward(x));
  assertClose(await enc.toArray(), await g('enc'), 'encoder output [2, 8, 4, 4]', 1e-4, 1e-4);
  const fl = noGrad(dev, () => vae.encode(x));
  assertClose(await fl.toArray(), await g('f'), 'quant_conv(encoder(x))', 1e-4, 1e-4);

  const tok = vae.tokenize(x, { teacherInput: true });
  assert.is(tok.perScale.length, pns.length);
  for (let k = 0; k < pns.length; k++) {
    assert.equal(tok.perScale[k]!.shape, [2, pns[k], pns[k]]);
    same(await tok.perScale[k]!.toArray(), await g(`var.ids.${k}`), `ids of scale ${k} (pn ${pns[k]})`);
  }
  const fhs = vae.fHatPerScale(tok.idx_BL);
  for (let k = 0; k < pns.length; k++) assertClose(await fhs[k]!.toArray(), await g(`var.fhat.${k}`), `f_hat after scale ${k}`, 1e-4, 1e-4);
  assertClose(await tok.fHats[0]!.toArray(), await g(`var.fhat.${pns.length - 1}`), 'tokenize f_hat', 1e-4, 1e-4);
  const rec = vae.decodeLatent(tok.fHats[0]!);
  assertClose(await rec.toArray(), await g('var.rec'), 'reconstruction [2, 3, 16, 16]', 1e-4, 1e-4);
  assertClose(await tok.varInput!.toArray(), await g('var.var_input'), 'idxBl_to_var_input [2, 29, 8]', 1e-4, 1e-4);
  const ti = vae.teacherInput(tok.idx_BL);
  same(await ti.toArray(), await tok.varInput!.toArray(), 'teacherInput(ids) vs tokenize teacher input');
  const [img] = vae.decodeTokens(tok.idx_BL);
  same(await img!.toArray(), await rec.toArray(), 'decodeTokens vs decodeLatent(f_hat)');
  assert.ok(f.info('var.rec').shape.join() === img!.shape.join());
  vae.dispose();
});

test('nested trainer state (key path trainer.vae_local) loads the same weights; an ema buffer of another length is replaced', async () => {
  const dev = await getDevice();
  const { g, pns } = await golden();
  const a = await loadVQVAE(dev, SMALL, { cfg: { patchNums: pns } });
  const b = await loadVQVAE(dev, NESTED, { key: 'trainer.vae_local', cfg: { patchNums: pns } });
  assert.is(b.source, `${NESTED} [trainer.vae_local]`);
  const sa = a.stateDict(), sb = b.stateDict();
  assert.equal(Object.keys(sb).sort(), Object.keys(sa).sort());
  for (const k of Object.keys(sa)) if (k !== 'quantize.ema_vocab_hit_SV') same(await sb[k]!.toArray(), await sa[k]!.toArray(), k);
  const ema = sb['quantize.ema_vocab_hit_SV']!;
  assert.equal(ema.shape, [4, 64], 'the file has [10, 64]; the module keeps its own [K, V]');
  const x = await image(dev);
  const fl = noGrad(dev, () => b.encode(x));
  assertClose(await fl.toArray(), await g('f'), 'nested: quant_conv(encoder(x))', 1e-4, 1e-4);
  let err = '';
  try { await loadVQVAE(dev, NESTED); } catch (e) { err = (e as Error).message; }
  assert.ok(err.includes(NESTED) && /cannot infer the VQVAE config: no 'quantize.embedding.weight'/.test(err), err);
  a.dispose(); b.dispose();
});

test('HIT (MODEL_SPEC §2) on two segments: latents, ids, f_hat per scale and segment, prefix decodes, teacher input', async () => {
  const dev = await getDevice();
  const { g, hit } = await golden();
  const vae = await loadVQVAE(dev, SMALL, { cfg: { segments: hit } });
  assert.equal(vae.segmentEnds, [5, 30]);
  const x = await image(dev);
  const zs = noGrad(dev, () => vae.encodeSegments(x));
  for (let n = 0; n < hit.length; n++) assertClose(await zs[n]!.toArray(), await g(`hit.z.${n}`), `segment ${n} latent (image at ${4 * hit[n]!.side} px)`, 1e-4, 1e-4);
  const tok = vae.tokenize(x, { teacherInput: true });
  const scales = hit.flatMap((s) => s.scales);
  for (let k = 0; k < scales.length; k++) same(await tok.perScale[k]!.toArray(), await g(`hit.ids.${k}`), `HIT ids of scale ${k}`);
  const fhs = vae.fHatPerScale(tok.idx_BL);
  for (let k = 0; k < scales.length; k++) assertClose(await fhs[k]!.toArray(), await g(`hit.fhat.${k}`), `HIT f_hat after scale ${k}`, 1e-4, 1e-4);
  assertClose(await tok.fHats[0]!.toArray(), await g('hit.fhat.1'), 'HIT f_hat at the end of segment 0', 1e-4, 1e-4);
  assertClose(await tok.fHats[1]!.toArray(), await g('hit.fhat.3'), 'HIT f_hat at the end of segment 1', 1e-4, 1e-4);
  assertClose(await tok.varInput!.toArray(), await g('hit.var_input'), 'HIT teacher input (MODEL_SPEC §3)', 1e-4, 1e-4);
  const imgs = vae.decodeTokens(tok.idx_BL);
  assert.equal(imgs.map((t) => t.shape), [[2, 3, 8, 8], [2, 3, 16, 16]]);
  for (let n = 0; n < 2; n++) assertClose(await imgs[n]!.toArray(), await g(`hit.img.${n}`), `HIT prefix image ${n}`, 1e-4, 1e-4);
  // a prefix of the ids (segment 0 only) decodes segment 0 alone, to the same image
  const { ops } = await import('../../src/engine/index.ts');
  const pre = ops.contiguous(ops.slice(tok.idx_BL, 1, 0, 5));
  const only = vae.decodeTokens(pre);
  assert.is(only.length, 1);
  same(await only[0]!.toArray(), await imgs[0]!.toArray(), 'decodeTokens(prefix of 5 ids)');
  assert.throws(() => vae.decodeTokens(pre, 1), /segment 1 ends at column 30/);
  const first = vae.decodeTokens(tok.idx_BL, 0);
  assert.is(first.length, 1);
  vae.dispose();
});

test('decode(tokenize(x)) reproduces f_hat bitwise (VAR and HIT schedules)', async () => {
  const dev = await getDevice();
  const { hit, pns } = await golden();
  const x = await image(dev);
  for (const cfg of [{ patchNums: pns }, { segments: hit }] as VQVAEConfigInput[]) {
    const vae = await loadVQVAE(dev, SMALL, { cfg });
    const tok = vae.tokenize(x);
    const dec = vae.quantize.decode(tok.idx_BL);
    assert.is(dec.fHats.length, tok.fHats.length);
    for (let n = 0; n < dec.fHats.length; n++) same(await dec.fHats[n]!.toArray(), await tok.fHats[n]!.toArray(), `${JSON.stringify(cfg)} segment ${n} f_hat`);
    vae.dispose();
  }
});

test('a gradient reaches every parameter (training forward: encoder, quantizer, decoder)', async () => {
  const dev = await getDevice();
  const { Rng, ops, backward, scope } = await import('../../src/engine/index.ts');
  const { hit } = await golden();
  const vae = VQVAE.create(dev, { vocabSize: 16, zChannels: 4, ch: 32, chMult: [1, 1, 2], numResBlocks: 1, segments: hit }, new Rng(3));
  const x = await image(dev);
  await scope(dev, async () => {
    const out = vae.forwardTrain(x);
    assert.is(out.recs.length, 1);
    assert.equal(out.recs[0]!.shape, [2, 3, 16, 16]);
    const loss = ops.add(ops.mseLoss(out.recs[0]!, x), out.vqLoss);
    backward(loss);
  });
  const missing: string[] = [];
  for (const [k, p] of vae.namedParameters()) {
    if (!p.grad) { missing.push(`${k} (no grad)`); continue; }
    const g = await p.grad.toArray();
    if (!g.every(Number.isFinite) || !g.some((v) => v !== 0)) missing.push(`${k} (zero or non-finite)`);
  }
  assert.equal(missing, [], missing.join('\n'));
  vae.dispose();
});

test('inference paths leave nothing behind: tokenize, decodeTokens, teacherInput, fHatPerScale, encode, decodeLatent', async () => {
  const dev = await getDevice();
  const { hit } = await golden();
  const vae = await loadVQVAE(dev, SMALL, { cfg: { segments: hit } });
  const x = await image(dev);
  const live = () => dev.poolStats().liveBytes;
  const run = async () => {
    const tok = vae.tokenize(x, { teacherInput: true, usage: true });
    const imgs = vae.decodeTokens(tok.idx_BL);
    const ti = vae.teacherInput(tok.idx_BL);
    const fhs = vae.fHatPerScale(tok.idx_BL);
    const f = noGrad(dev, () => vae.encode(x));
    const rec = noGrad(dev, () => vae.decodeLatent(f));
    await rec.toArray();
    for (const t of [tok.idx_BL, ...tok.perScale, ...tok.fHats, tok.varInput!, tok.usage!, ...imgs, ti, ...fhs, f, rec]) t.dispose();
  };
  await run(); // compiles pipelines, fills the uniform arena
  const before = live();
  await run();
  await dev.sync();
  assert.is(live() - before, 0, 'bytes still live after disposing every returned tensor');
  vae.dispose();
});

test('config checks: dropout, znorm, GroupNorm divisibility rejected with the field named', () => {
  assert.throws(() => vqvaeConfig({ dropout: 0.1 }), /dropout = 0\.1; only 0/);
  assert.throws(() => vqvaeConfig({ usingZnorm: true }), /usingZnorm = true; only false/);
  assert.throws(() => vqvaeConfig({ ch: 48 }), /32 GroupNorm groups/);
  assert.throws(() => vqvaeConfig({ quantResi: 0 }), /quantResi = 0/);
  assert.throws(() => vqvaeConfig({ patchNums: [1, 2], segments: [{ side: 2, scales: [1, 2] }] }), /either segments or patchNums/);
});

test.after(async () => { await closeDevice(); });
test.run();
