// H-VAR model bundles: save/load round trip (every tensor, both configurations, the card), the same bundle from bytes, the header
// description, and errors that name the file for missing, foreign, truncated, mismatched and incomplete files.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSafetensors, serializeSafetensors } from '../../src/index.ts';
import { saveVQVAE } from '../../src/models/vqvae/index.ts';
import { loadBundle, saveBundle, describeBundle } from '../../src/upscale/bundle_file.ts';
import { parseBundle, BUNDLE_CARD_KEY, BUNDLE_HVAR_KEY, type HVARBundle } from '../../src/upscale/index.ts';
import { getDevice, closeDevice } from '../helpers/gpu.ts';
import { tinyParts, CARD, LR_SIDE } from './fixture.ts';

const dir = mkdtempSync(join(tmpdir(), 'hvar-bundle-'));
const path = join(dir, 'tiny.safetensors');

async function rejects(fn: () => Promise<unknown>, re: RegExp) {
  try { await fn(); } catch (e) { assert.match((e as Error).message, re); return; }
  assert.unreachable(`expected a rejection matching ${re}`);
}
async function sameState(a: HVARBundle, b: { vae: HVARBundle['vae']; model: HVARBundle['model'] }) {
  for (const [pa, pb] of [[a.vae.stateDict(), b.vae.stateDict()], [a.model.stateDict(), b.model.stateDict()]] as const) {
    assert.equal(Object.keys(pa).sort(), Object.keys(pb).sort());
    for (const k of Object.keys(pa)) assert.equal(Array.from(await pa[k]!.toArray()), Array.from(await pb[k]!.toArray()), k);
  }
}

test('round trip: loadBundle gives back every tensor, both configurations and the card; parseBundle of the bytes the same', async () => {
  const dev = await getDevice();
  const parts = tinyParts(dev);
  await saveBundle(path, parts.vae, parts.model, CARD);
  const b = await loadBundle(dev, path);
  assert.equal(b.card, CARD);
  assert.equal(b.vae.cfg, parts.vae.cfg);
  assert.equal(b.model.cfg, parts.model.cfg);
  assert.equal([b.lrSide, b.factors, b.source], [LR_SIDE, [1, 2, 4], path]);
  await sameState(b, parts);
  const keys = parseSafetensors(readFileSync(path)).tensors;
  assert.ok([...keys.keys()].every((k) => k.startsWith('vqvae.') || k.startsWith('hvar.')), 'keys prefixed vqvae. / hvar.');
  const p = parseBundle(dev, readFileSync(path), 'fetched bytes');
  await sameState(p, parts);
  assert.equal(p.card, CARD);
  for (const x of [b, p]) assert.ok(x.vae.preparedForInference && !x.vae.training && !x.model.training, `${x.source}: the bundle comes in eval mode, the tokenizer laid out for inference`);
  assert.ok(!parts.vae.preparedForInference, 'the source tokenizer was not prepared (the check can fail)');
  const d = await describeBundle(path);
  assert.equal([d.card, d.lrSide, d.parameters], [CARD, LR_SIDE, { vqvae: parts.vae.numParameters(), hvar: parts.model.numParameters() }]);
  for (const x of [b, p]) x.dispose();
  parts.vae.dispose(); parts.model.dispose();
});

test('bad files are refused naming the file: missing, a directory, not safetensors, truncated, a tokenizer alone, mismatched or missing parts', async () => {
  const dev = await getDevice();
  await rejects(() => loadBundle(dev, join(dir, 'nope.safetensors')), /model bundle '.*nope\.safetensors': no such file/);
  await rejects(() => loadBundle(dev, dir), /model bundle '.*': not a regular file/);
  const junk = join(dir, 'junk.safetensors');
  writeFileSync(junk, 'this is not a model, just some text that is long enough');
  await rejects(() => loadBundle(dev, junk), /junk\.safetensors: bad header/);
  const bytes = readFileSync(path);
  const cut = join(dir, 'cut.safetensors');
  writeFileSync(cut, bytes.subarray(0, bytes.length - 1000));
  await rejects(() => loadBundle(dev, cut), /cut\.safetensors: truncated file/);
  assert.throws(() => parseBundle(dev, bytes.subarray(0, bytes.length - 1000), 'models/hvar-small.safetensors'), /models\/hvar-small\.safetensors: truncated file/);
  const parts = tinyParts(dev);
  const vaeOnly = join(dir, 'vae.safetensors');
  await saveVQVAE(parts.vae, vaeOnly);
  await rejects(() => loadBundle(dev, vaeOnly), /vae\.safetensors: not an H-VAR model bundle \(no 'hvar\.hvar\.config', 'hvar\.model\.card'/);
  // rewrite the good bundle with one change each
  const { tensors, metadata } = parseSafetensors(bytes);
  const rewrite = (name: string, edit: (t: Map<string, { dtype: 'F32' | 'I32'; shape: number[]; data: Float32Array | Int32Array }>, m: Record<string, string>) => void) => {
    const t = new Map([...tensors].map(([k, v]) => [k, { dtype: v.dtype as 'F32' | 'I32', shape: v.shape, data: v.data as Float32Array | Int32Array }]));
    const m = { ...metadata! };
    edit(t, m);
    const p = join(dir, name);
    writeFileSync(p, serializeSafetensors(Object.fromEntries(t), m));
    return p;
  };
  const hv = JSON.parse(metadata![BUNDLE_HVAR_KEY]!);
  const vocab = rewrite('vocab.safetensors', (_, m) => { m[BUNDLE_HVAR_KEY] = JSON.stringify({ ...hv, vocab: 65 }); });
  await rejects(() => loadBundle(dev, vocab), /vocab\.safetensors: the tokenizer \(vocab 64, z 8\) does not match the transformer \(vocab 65, Cvae 8\)/);
  const seg = rewrite('segments.safetensors', (_, m) => { m[BUNDLE_HVAR_KEY] = JSON.stringify({ ...hv, segments: [{ side: 2, scales: [1, 2] }, { side: 8, scales: [4, 8] }] }); });
  await rejects(() => loadBundle(dev, seg), /segments\.safetensors: the tokenizer's schedule \(2:\[1,2\] 4:\[3,4\] 8:\[6,8\]\) differs from the transformer's/);
  const missing = rewrite('missing.safetensors', (t) => { t.delete('hvar.head.weight'); });
  await rejects(() => loadBundle(dev, missing), /missing\.safetensors: transformer: missing hvar\.head\.weight/);
  const extra = rewrite('extra.safetensors', (t) => { t.set('lpips.w', { dtype: 'F32', shape: [1], data: new Float32Array(1) }); });
  await rejects(() => loadBundle(dev, extra), /extra\.safetensors: tensors outside 'vqvae\.' and 'hvar\.': lpips\.w/);
  const shape = rewrite('shape.safetensors', (t) => { t.set('vqvae.quant_conv.bias', { dtype: 'F32', shape: [9], data: new Float32Array(9) }); });
  await rejects(() => loadBundle(dev, shape), /shape\.safetensors: tokenizer: .*'quant_conv\.bias' has shape \[9\]/);
  const noName = rewrite('card.safetensors', (_, m) => { m[BUNDLE_CARD_KEY] = JSON.stringify({ data: 'x' }); });
  await rejects(() => loadBundle(dev, noName), /card\.safetensors: the model card needs a non-empty string 'name'/);
  const badJson = rewrite('json.safetensors', (_, m) => { m[BUNDLE_CARD_KEY] = '{name'; });
  await rejects(() => loadBundle(dev, badJson), /json\.safetensors: metadata 'hvar\.model\.card' is not valid JSON/);
  await rejects(() => saveBundle(join(dir, 'x.bin'), parts.vae, parts.model, CARD), /extension '\.bin' is not supported/);
  await rejects(() => saveBundle(join(dir, 'x.safetensors'), parts.vae, parts.model, { name: '' }), /needs a non-empty string 'name'/);
  parts.vae.dispose(); parts.model.dispose();
});

test.after(async () => { rmSync(dir, { recursive: true, force: true }); await closeDevice(); });
test.run();
