// The built `hvar inspect` (VQVAE config of a checkpoint) and `hvar tokenize` (prefix decodes as PNGs, token ids).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSafetensors } from '../../src/engine/io/safetensors.ts';
import { probeImageBuffer } from '../../src/io/image.ts';
import { PHOTOS } from '../helpers/paths.ts';

const root = process.cwd();
const build = spawnSync(process.execPath, ['scripts/build.mjs', '--quiet', '--no-types'], { cwd: root, encoding: 'utf8' });
if (build.status !== 0) throw new Error(`build failed: ${build.stderr}`);
const dir = mkdtempSync(join(tmpdir(), 'hvar-vqvaecli-'));
const NESTED = 'test/fixtures/vqvae/trainer_nested.pth', SMALL = 'test/fixtures/vqvae/small.pth';

function hvar(args: string[]) {
  const r = spawnSync(process.execPath, [join(root, 'dist/hvar.mjs'), ...args], { cwd: root, encoding: 'utf8', timeout: 300_000, env: { ...process.env, XDG_RUNTIME_DIR: '/tmp' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('inspect prints the VQVAE config inferred from a nested checkpoint and its parameter count', () => {
  const r = hvar(['inspect', NESTED, '--key', 'trainer.vae_local']);
  assert.is(r.code, 0, r.err);
  assert.match(r.out, /VQVAE: vocab 64, z 8, ch 32, chMult \[1, 1, 2\], numResBlocks 1 \(decoder 2\), downsample x4, φ 4 partially shared, quant_conv 3x3; 789,275 parameters/);
  assert.match(r.out, /not in the checkpoint, defaults used: schedule = VAR 256/);
  const j = JSON.parse(hvar(['inspect', SMALL, '--json']).out);
  assert.equal([j.vqvae.config.ch, j.vqvae.config.chMult, j.vqvae.parameters], [32, [1, 1, 2], 789_275]);
  // a file that is not a VQVAE gets no VQVAE section
  assert.not.ok('vqvae' in JSON.parse(hvar(['inspect', 'test/fixtures/pth/sd.pth', '--json']).out));
});

test('tokenize writes one PNG per HIT segment (32, 64, 128 px for the x4 model) and the 2,155 ids', async () => {
  const out = join(dir, 'tok');
  const r = hvar(['tokenize', '--vae', SMALL, join(PHOTOS, 'lomiri_bridge.jpg'), '--out', out, '--schedule', 'hit512']);
  assert.is(r.code, 0, r.err);
  assert.match(r.out, /-> 128x128: 2155 tokens over 10 scales/);
  assert.equal(readdirSync(out).sort(), ['seg0_32px.png', 'seg1_64px.png', 'seg2_128px.png', 'tokens.safetensors']);
  for (const [f, s] of [['seg0_32px.png', 32], ['seg1_64px.png', 64], ['seg2_128px.png', 128]] as const) {
    const info = probeImageBuffer(readFileSync(join(out, f)), f);
    assert.equal([info.width, info.height], [s, s], f);
  }
  const t = (await loadSafetensors(join(out, 'tokens.safetensors'))).get('idx_BL')!;
  assert.equal([t.dtype, t.shape], ['I32', [1, 2155]]);
  assert.ok([...t.data].every((v) => v >= 0 && v < 64));
  const bad = hvar(['tokenize', '--vae', SMALL, join(PHOTOS, 'lomiri_bridge.jpg'), '--out', out, '--schedule', 'hit1024']);
  assert.is(bad.code, 2);
  assert.match(bad.err.trim(), /--schedule must be one of var256, var512, hit512, got 'hit1024'/);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
