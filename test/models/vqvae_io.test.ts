// VQVAE structure and files: the released config's parameter count and state-dict keys/shapes against the official
// module (and VAR_FACTS §1.5), φ sharing modes against VectorQuantizer2, safetensors round trips, and errors for bad
// checkpoints that name the key and the file.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng, fromArray } from '../../src/engine/index.ts';
import { openSafetensors, writeSafetensors, type StInput } from '../../src/engine/io/safetensors.ts';
import { loadPthStateDict } from '../../src/engine/io/pth.ts';
import {
  VQVAE, loadVQVAE, saveVQVAE, describeVQVAE, vqvaeConfig, vqvaeParamCount, vqvaeStateShapes, inferVQVAEConfig,
  VQVAE_CONFIG_KEY, type VQVAEConfigInput,
} from '../../src/models/vqvae/index.ts';
import { VAR_SCHEDULES, HIT_512, type Segment } from '../../src/models/quant/schedule.ts';
import { getDevice, closeDevice } from '../helpers/gpu.ts';

const DIR = 'test/fixtures/vqvae';
const SMALL = `${DIR}/small.pth`, GOLDEN = `${DIR}/golden.safetensors`;
const FULL: VQVAEConfigInput = { patchNums: VAR_SCHEDULES[512] }; // defaults = vae_ch160v4096z32
const tmp = mkdtempSync(join(tmpdir(), 'hvar-vqvae-'));

async function meta() {
  const f = await openSafetensors(GOLDEN);
  const m = f.metadata!;
  return {
    fullShapes: JSON.parse(m.full_state_shapes!) as Record<string, number[]>,
    fullCount: Number(m.full_param_count),
    sharing: JSON.parse(m.phi_sharing!) as { scales: number; share: number; counts: number; phi: number[]; keys: string[] }[],
    pns: (JSON.parse(m.config!) as { v_patch_nums: number[] }).v_patch_nums,
    hit: JSON.parse(m.hit_segments!) as Segment[],
  };
}
const shapeMap = (v: VQVAE) => Object.fromEntries(Object.entries(v.stateDict()).map(([k, t]) => [k, [...t.shape]]));

test('released config: 108,948,355 parameters; keys and shapes equal the official VQVAE.state_dict()', async () => {
  const dev = await getDevice();
  const { fullShapes, fullCount } = await meta();
  const cfg = vqvaeConfig(FULL);
  assert.is(fullCount, 108_948_355);
  assert.is(vqvaeParamCount(cfg), 108_948_355);
  const computed = Object.fromEntries(vqvaeStateShapes(cfg).map((e) => [e.key, e.shape]));
  assert.equal(Object.keys(computed).sort(), Object.keys(fullShapes).sort());
  assert.equal(computed, { ...fullShapes, 'quantize.ema_vocab_hit_SV': [10, 4096] });
  // the module itself, built with uninitialised parameters (Dawn allocates lazily: cheap even at 436 MB)
  const vae = VQVAE.uninitialized(dev, FULL);
  assert.is(vae.numParameters(), 108_948_355);
  assert.equal(shapeMap(vae), computed);
  // a sample of VAR_FACTS §1.5, typed from the doc
  const facts: [string, number[]][] = [
    ['encoder.conv_in.weight', [160, 3, 3, 3]], ['encoder.down.0.downsample.conv.weight', [160, 160, 3, 3]],
    ['encoder.down.2.block.0.nin_shortcut.weight', [320, 160, 1, 1]], ['encoder.down.4.attn.1.qkv.weight', [1920, 640, 1, 1]],
    ['encoder.mid.attn_1.proj_out.weight', [640, 640, 1, 1]], ['encoder.conv_out.weight', [32, 640, 3, 3]],
    ['decoder.conv_in.weight', [640, 32, 3, 3]], ['decoder.up.4.attn.2.qkv.bias', [1920]],
    ['decoder.up.4.upsample.conv.weight', [640, 640, 3, 3]], ['decoder.up.3.block.0.nin_shortcut.weight', [320, 640, 1, 1]],
    ['decoder.up.1.block.0.nin_shortcut.weight', [160, 320, 1, 1]], ['decoder.up.0.block.2.conv2.weight', [160, 160, 3, 3]],
    ['decoder.norm_out.weight', [160]], ['decoder.conv_out.weight', [3, 160, 3, 3]], ['quant_conv.weight', [32, 32, 3, 3]],
    ['post_quant_conv.bias', [32]], ['quantize.embedding.weight', [4096, 32]], ['quantize.quant_resi.qresi_ls.3.weight', [32, 32, 3, 3]],
  ];
  for (const [k, s] of facts) assert.equal(computed[k], s, k);
  for (const absent of ['encoder.down.4.downsample.conv.weight', 'decoder.up.0.upsample.conv.weight', 'encoder.down.3.attn.0.norm.weight', 'decoder.up.2.block.0.nin_shortcut.weight'])
    assert.not.ok(absent in computed, `${absent} must not exist`);
  vae.dispose();
});

test('small config: the built module, vqvaeStateShapes and small.pth agree; vqvaeParamCount = numParameters', async () => {
  const dev = await getDevice();
  const { pns } = await meta();
  const vae = await loadVQVAE(dev, SMALL, { cfg: { patchNums: pns } });
  const pth = await loadPthStateDict(SMALL);
  const computed = Object.fromEntries(vqvaeStateShapes(vae.cfg).map((e) => [e.key, e.shape]));
  assert.equal(shapeMap(vae), computed);
  assert.equal(Object.fromEntries([...pth].map(([k, t]) => [k, t.shape])), computed);
  assert.is(vae.numParameters(), vqvaeParamCount(vae.cfg));
  vae.dispose();
});

test('φ sharing 0 / 1 / n: keys and the conv each scale uses match VectorQuantizer2; inference reads the mode back', async () => {
  const dev = await getDevice();
  const { sharing } = await meta();
  for (const s of sharing) {
    const cfg: VQVAEConfigInput = { vocabSize: 8, zChannels: 4, ch: 32, chMult: [1, 1], numResBlocks: 0, shareQuantResi: s.share, defaultQresiCounts: s.counts, patchNums: Array.from({ length: s.scales }, (_, i) => i + 1) };
    const vae = VQVAE.uninitialized(dev, cfg);
    const what = `K ${s.scales}, share ${s.share}, counts ${s.counts}`;
    const keys = Object.keys(vae.stateDict()).filter((k) => k.startsWith('quantize.quant_resi.')).map((k) => k.slice('quantize.'.length)).sort();
    assert.equal(keys, s.keys, `${what}: keys`);
    assert.equal(vae.plan.scales.map((p) => p.phi), s.phi, `${what}: φ per scale`);
    const { cfg: back } = inferVQVAEConfig(new Map(Object.entries(shapeMap(vae))), { patchNums: cfg.patchNums });
    assert.equal([back.shareQuantResi, back.defaultQresiCounts], [s.share, s.counts], `${what}: inferred`);
    vae.dispose();
  }
});

test('safetensors round trip (VAR and HIT configs): weights bitwise, config from metadata, same tokens; no temp files left', async () => {
  const dev = await getDevice();
  const { pns, hit } = await meta();
  const g = await openSafetensors(GOLDEN);
  const x = fromArray(dev, (await g.read('x')).data, g.info('x').shape);
  for (const cfg of [{ patchNums: pns }, { segments: hit }] as VQVAEConfigInput[]) {
    const a = await loadVQVAE(dev, SMALL, { cfg });
    const path = join(tmp, 'vae.safetensors');
    await saveVQVAE(a, path);
    assert.equal(readdirSync(tmp), ['vae.safetensors']);
    const f = await openSafetensors(path);
    assert.equal(JSON.parse(f.metadata![VQVAE_CONFIG_KEY]!), JSON.parse(JSON.stringify(a.cfg)));
    const d = await describeVQVAE(path);
    assert.equal(d.cfg, a.cfg);
    const b = await loadVQVAE(dev, path);
    assert.equal(b.cfg, a.cfg);
    const sa = a.stateDict(), sb = b.stateDict();
    for (const k of Object.keys(sa)) {
      const va = await sa[k]!.toArray(), vb = await sb[k]!.toArray();
      assert.ok(va.length === vb.length && va.every((v, i) => Object.is(v, vb[i])), `${k} differs after the round trip`);
    }
    const ta = await a.tokenize(x).idx_BL.toArray(), tb = await b.tokenize(x).idx_BL.toArray();
    assert.equal([...tb], [...ta]);
    // the stored config can be overridden (e.g. another schedule), as for a .pth
    const c = await loadVQVAE(dev, path, { cfg: { segments: HIT_512 } });
    assert.equal(c.cfg.segments, HIT_512.map((s) => ({ side: s.side, scales: [...s.scales] })));
    a.dispose(); b.dispose(); c.dispose();
  }
});

test('bad checkpoints: missing key, wrong shape, unexpected key and a wrong key path name the key and the file', async () => {
  const dev = await getDevice();
  const { pns } = await meta();
  const sd = await loadPthStateDict(SMALL);
  const cfg = { ...JSON.parse(JSON.stringify((await describeVQVAE(SMALL, { cfg: { patchNums: pns } })).cfg)) };
  const write = async (name: string, edit: (m: Record<string, StInput>) => void) => {
    const m: Record<string, StInput> = {};
    for (const [k, t] of sd) m[k] = { dtype: 'F32', shape: t.shape, data: t.data as Float32Array };
    edit(m);
    const p = join(tmp, name);
    await writeSafetensors(p, m, { [VQVAE_CONFIG_KEY]: JSON.stringify(cfg) });
    return p;
  };
  const err = async (p: Promise<unknown>) => { try { await p; } catch (e) { return (e as Error).message; } return 'no error'; };

  const missing = await write('missing.safetensors', (m) => { delete m['decoder.mid.attn_1.proj_out.bias']; });
  const e1 = await err(loadVQVAE(dev, missing));
  assert.ok(e1.includes(missing) && /missing keys: decoder\.mid\.attn_1\.proj_out\.bias/.test(e1), e1);

  const shape = await write('shape.safetensors', (m) => { const t = m['encoder.down.1.block.0.conv2.weight']!; m['encoder.down.1.block.0.conv2.weight'] = { ...t, shape: [32, 32, 9, 1] }; });
  const e2 = await err(loadVQVAE(dev, shape));
  assert.ok(e2.includes(shape) && /'encoder\.down\.1\.block\.0\.conv2\.weight' has shape \[32, 32, 9, 1\].*expects \[32, 32, 3, 3\]/.test(e2), e2);

  const extra = await write('extra.safetensors', (m) => { m['decoder.extra.weight'] = { dtype: 'F32', shape: [2], data: new Float32Array(2) }; });
  const e3 = await err(loadVQVAE(dev, extra));
  assert.ok(e3.includes(extra) && /unexpected keys: decoder\.extra\.weight/.test(e3), e3);

  const vocab = await write('ema.safetensors', (m) => { m['quantize.ema_vocab_hit_SV'] = { dtype: 'F32', shape: [4, 63], data: new Float32Array(4 * 63) }; });
  const e4 = await err(loadVQVAE(dev, vocab));
  assert.ok(e4.includes(vocab) && /quantize\.ema_vocab_hit_SV' has shape \[4, 63\]/.test(e4), e4);

  const e5 = await err(loadVQVAE(dev, `${DIR}/trainer_nested.pth`, { key: 'trainer.vae' }));
  assert.ok(e5.includes('trainer_nested.pth') && /trainer\.vae/.test(e5), e5);

  // in-memory state dicts name the source given
  const partial = new Map(sd); partial.delete('quantize.embedding.weight');
  assert.throws(() => VQVAE.fromStateDict(dev, cfg, partial, { source: 'mine.pth' }), /from mine\.pth: missing keys: quantize\.embedding\.weight/);
  const e6 = await err(loadVQVAE(dev, SMALL, { cfg: { patchNums: pns, ch: 64 } }));
  assert.ok(e6.includes(SMALL) && /encoder\.conv_in\.weight' has shape \[32, 3, 3, 3\].*expects \[64, 3, 3, 3\]/.test(e6), e6);
});

test.after(async () => { rmSync(tmp, { recursive: true, force: true }); await closeDevice(); });
test.run();
