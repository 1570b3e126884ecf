// The built `hvar sample-var`: one image from the small VAR and the small VQVAE fixtures equals sampleVAR + decodeLatent in
// process (greedy, so the ids do not depend on the draw); flag errors.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { noGrad, ops } from '../../src/engine/index.ts';
import { decodeImage } from '../../src/io/image.ts';
import { loadVAR, sampleVAR } from '../../src/models/var/index.ts';
import { loadVQVAE } from '../../src/models/vqvae/index.ts';
import { varSegments } from '../../src/models/quant/schedule.ts';
import { getDevice, closeDevice } from '../helpers/gpu.ts';

const root = process.cwd();
const build = spawnSync(process.execPath, ['scripts/build.mjs', '--quiet', '--no-types'], { cwd: root, encoding: 'utf8' });
if (build.status !== 0) throw new Error(`build failed: ${build.stderr}`);
const dir = mkdtempSync(join(tmpdir(), 'hvar-varcli-'));
const VAE = 'test/fixtures/vqvae/small.pth', VAR = 'test/fixtures/var/small.pth';

function hvar(args: string[]) {
  const r = spawnSync(process.execPath, [join(root, 'dist/hvar.mjs'), ...args], { cwd: root, encoding: 'utf8', timeout: 300_000, env: { ...process.env, XDG_RUNTIME_DIR: '/tmp' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('sample-var writes the image sampleVAR + decodeLatent give in process (greedy, class 2, cfg 1.5)', async () => {
  const out = join(dir, 'c2.png');
  const r = hvar(['sample-var', '--vae', VAE, '--var', VAR, '--class', '2', '--cfg', '1.5', '--top-k', '1', out]);
  assert.is(r.code, 0, r.err);
  assert.match(r.out, /30 tokens over 4 scales -> 16x16/);
  assert.match(r.out, /var: patch_nums \[1,2,3,4\]/);
  const png = decodeImage(readFileSync(out), out);
  assert.equal([png.c, png.h, png.w], [3, 16, 16]);
  const dev = await getDevice();
  const { model } = await loadVAR(dev, VAR);
  model.eval();
  const vae = await loadVQVAE(dev, VAE, { cfg: { segments: varSegments([1, 2, 3, 4]) } });
  const s = await sampleVAR(model, { labels: [2], cfg: 1.5, topK: 1, quantizer: vae.quantize, decode: (f) => noGrad(dev, () => vae.decodeLatent(f)) });
  const want = await noGrad(dev, () => ops.affine(s.image!, 0.5, 0.5)).toArray();
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(png.data[i]! - Math.min(1, Math.max(0, want[i]!))));
  assert.ok(worst <= 0.5 / 255 + 1e-6, `PNG differs from the in-process image by ${worst * 255} levels`);
  // a sampled (not greedy) run with a seed is reproducible
  const a = join(dir, 'a.png'), b = join(dir, 'b.png');
  for (const p of [a, b]) assert.is(hvar(['sample-var', '--vae', VAE, '--var', VAR, '--class', '7', '--seed', '4', p]).code, 0);
  assert.equal(readFileSync(a), readFileSync(b));
  model.dispose(); vae.dispose();
});

test('sample-var flag errors name the flag (exit 2)', () => {
  const cases: [string[], RegExp][] = [
    [['--vae', VAE, '--var', VAR, join(dir, 'x.png')], /missing --class N/],
    [['--vae', VAE, '--var', VAR, '--class', '11', join(dir, 'x.png')], /--class must be from 0 to 10 \(10 = the null class\) for this model, got 11/],
    [['--vae', VAE, '--var', VAR, '--class', '1', '--top-p', '1.5', join(dir, 'x.png')], /--top-p expects a number from 0 to 1, got '1.5'/],
    [['--vae', VAE, '--var', VAR, '--class', '1', '--cfg', 'abc', join(dir, 'x.png')], /--cfg expects a number from 0 to 100, got 'abc'/],
    [['--vae', VAE, '--class', '1', join(dir, 'x.png')], /missing --var FILE/],
  ];
  for (const [args, re] of cases) {
    const r = hvar(['sample-var', ...args]);
    assert.is(r.code, 2, `${args.join(' ')}: ${r.err}`);
    assert.match(r.err, re);
  }
  const bmp = hvar(['sample-var', '--vae', VAE, '--var', VAR, '--class', '1', join(dir, 'x.bmp')]);
  assert.is(bmp.code, 1); // as every command: an unwritable output is a run error, not a usage error
  assert.match(bmp.err, /output extension '\.bmp' is not supported/);
});

test.after(async () => { rmSync(dir, { recursive: true, force: true }); await closeDevice(); });
test.run();
