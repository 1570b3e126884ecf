// VQVAE.prepareForInference: every conv weight and the quantizer's parameters laid out once; encode, decodeLatent,
// tokenize and decodeTokens agree with the per-call repack, dispatch no weight packing, fall back where the weights
// record gradients, follow loadStateDict, and free their GPU memory on release.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Rng, backward, countWork, noGrad, ops, scope, type Device, type Tensor } from '../../src/engine/index.ts';
import { VQVAE, type VQVAEConfigInput } from '../../src/models/vqvae/index.ts';
import { getDevice, closeDevice } from '../helpers/gpu.ts';
import { assertClose } from '../helpers/ref.ts';

// Two levels (×2), 64 and 128 channels, 16 px images over two segments: the 3×3 convs (64+ output channels) take the
// texture form when prepared (profile convShiftMinOut) but the direct kernels when repacked per call (below
// convTextureMin multiply-adds at these sizes), so both layouts and both paths are compared.
const CFG: VQVAEConfigInput = { vocabSize: 64, zChannels: 8, ch: 64, chMult: [1, 2], numResBlocks: 1,
  segments: [{ side: 4, scales: [1, 2, 4] }, { side: 8, scales: [6, 8] }] };
const PACK = ['conv/pack_weights', 'conv/pack_wtex', 'quant/pack', 'quant/pack_tex'];

const image = (dev: Device, seed: number) => scope(dev, () => ops.clamp(new Rng(seed).normal(dev, [2, 3, 16, 16], 0, 0.6), -1, 1)).keep();
/** Dispatches of weight-packing kernels in one run of fn (under noGrad), and fn's result. */
async function packs<T>(dev: Device, fn: () => T): Promise<{ result: T; n: number }> {
  const { result, counter } = await countWork(dev, () => noGrad(dev, fn));
  return { result, n: PACK.reduce((s, k) => s + (counter.kernels.get(k)?.dispatches ?? 0), 0) };
}
const arr = (t: Tensor) => t.toArray();

test('prepared and per-call layouts agree: encode, decodeLatent, tokenize, decodeTokens, teacherInput; no packing when prepared', async () => {
  const dev = await getDevice();
  const vae = VQVAE.create(dev, CFG, new Rng(5));
  const x = image(dev, 7);
  const run = () => {
    const f = vae.encode(x);
    const rec = vae.decodeLatent(f);
    const tok = vae.tokenize(x);
    const imgs = vae.decodeTokens(tok.idx_BL);
    const ti = vae.teacherInput(tok.idx_BL);
    return { f, rec, tok, imgs, ti };
  };
  const plain = await packs(dev, run);
  assert.ok(plain.n > 0, 'the per-call path packs weights');
  assert.not.ok(vae.preparedForInference);
  assert.is(vae.prepareForInference(), vae);
  assert.ok(vae.preparedForInference);
  const prep = await packs(dev, run);
  assert.is(prep.n, 0, 'no weight packing with the prepared layouts');
  const [a, b] = [plain.result, prep.result];
  assertClose(await arr(b.f), await arr(a.f), 'encode', 1e-4, 1e-4);
  assertClose(await arr(b.rec), await arr(a.rec), 'decodeLatent', 1e-4, 1e-4);
  assert.equal(Array.from(await arr(b.tok.idx_BL)), Array.from(await arr(a.tok.idx_BL)), 'token ids');
  for (let n = 0; n < 2; n++) {
    assertClose(await arr(b.tok.fHats[n]!), await arr(a.tok.fHats[n]!), `f_hat of segment ${n}`, 1e-4, 1e-4);
    assertClose(await arr(b.imgs[n]!), await arr(a.imgs[n]!), `decodeTokens image ${n}`, 1e-4, 1e-4);
  }
  assertClose(await arr(b.ti), await arr(a.ti), 'teacherInput', 1e-4, 1e-4);
  for (const r of [a, b]) for (const t of [r.f, r.rec, r.tok.idx_BL, ...r.tok.perScale, ...r.tok.fHats, ...r.imgs, r.ti]) t.dispose();
  x.dispose(); vae.dispose();
});

test('with gradients the prepared layouts are bypassed: the weights still get gradients', async () => {
  const dev = await getDevice();
  const vae = VQVAE.create(dev, CFG, new Rng(6)).prepareForInference();
  const x = image(dev, 8);
  await scope(dev, async () => {
    const y = vae.decodeLatent(vae.encode(x), { clamp: false });
    backward(ops.mean(ops.mul(y, y)));
  });
  for (const k of ['encoder.conv_in.weight', 'decoder.conv_out.weight', 'quant_conv.weight', 'post_quant_conv.bias']) {
    const p = vae.namedParameters().find(([n]) => n === k)![1];
    assert.ok(p.grad, `${k} has a gradient`);
    assert.ok((await p.grad!.toArray()).some((v) => v !== 0), `${k}: non-zero gradient`);
  }
  x.dispose(); vae.dispose();
});

test('loadStateDict refreshes the layouts; releaseInference and dispose free them', async () => {
  const dev = await getDevice();
  const before = dev.poolStats();
  const vae = VQVAE.create(dev, CFG, new Rng(9)).prepareForInference();
  const other = VQVAE.create(dev, CFG, new Rng(10));
  const x = image(dev, 11);
  await dev.sync();
  assert.ok(dev.poolStats().ownedTextureBytes > before.ownedTextureBytes, 'texture layouts held');
  const want = scope(dev, () => noGrad(dev, () => other.decodeLatent(other.encode(x))));
  const sd: Record<string, { shape: number[]; data: ArrayLike<number> }> = {};
  for (const [k, t] of Object.entries(other.stateDict())) sd[k] = { shape: [...t.shape], data: await t.toArray() };
  vae.loadStateDict(sd);
  assert.ok(vae.preparedForInference, 'still prepared after the load');
  const got = scope(dev, () => noGrad(dev, () => vae.decodeLatent(vae.encode(x))));
  assertClose(await got.toArray(), await want.toArray(), 'prepared model after loadStateDict vs the source model', 1e-4, 1e-4);
  got.dispose(); want.dispose();
  const held = dev.poolStats();
  vae.releaseInference();
  await dev.sync();
  assert.not.ok(vae.preparedForInference);
  assert.is(dev.poolStats().ownedTextureBytes, before.ownedTextureBytes, 'texture layouts freed');
  assert.ok(dev.poolStats().liveBytes < held.liveBytes, 'packed layouts freed');
  vae.prepareForInference();
  vae.dispose(); other.dispose(); x.dispose();
  await dev.sync();
  assert.is(dev.poolStats().ownedTextureBytes, before.ownedTextureBytes, 'dispose() frees the layouts');
  assert.is(dev.poolStats().liveBytes, before.liveBytes, 'nothing left live');
});

test.after(closeDevice);
test.run();
