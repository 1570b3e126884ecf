// The built `hvar upscale` with a tiny bundle: a folder with one bad file among PNGs (RGB, odd-sized RGBA, 16-bit gray) and a
// grayscale JPEG, plus a JPEG given directly — exit 1, every good image's ×1, ×2, ×4 written in that order (log lines and mtimes), then its sheet; the ×4 file equals
// the library's output; the size limit names --max-pixels; help, flag errors (exit 2), the missing embedded model; `hvar bundle`
// and `hvar inspect` on a bundle.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { decodeImage, encodeJpeg, encodePng } from '../../src/io/image.ts';
import { saveVQVAE } from '../../src/models/vqvae/index.ts';
import { saveHVAR } from '../../src/models/hvar/index.ts';
import { loadBundle, saveBundle } from '../../src/upscale/bundle_file.ts';
import { upscale, sheetLayout } from '../../src/upscale/index.ts';
import { getDevice, closeDevice, testIf } from '../helpers/gpu.ts';
import { tinyParts, CARD, picture } from './fixture.ts';
import { flatJpeg } from '../helpers/jpeg_flat.ts';
import { f16BitsToF32, f32ToF16Bits } from '../../src/engine/half.ts';

const root = process.cwd();
const build = spawnSync(process.execPath, ['scripts/build.mjs', '--quiet', '--no-types'], { cwd: root, encoding: 'utf8' });
if (build.status !== 0) throw new Error(`build failed: ${build.stderr}`);
const dir = mkdtempSync(join(tmpdir(), 'hvar-upcli-'));
const model = join(dir, 'tiny.safetensors');
const dev = await getDevice();
const parts = tinyParts(dev);
await saveBundle(model, parts.vae, parts.model, CARD);

function hvar(args: string[]) {
  const r = spawnSync(process.execPath, [join(root, 'dist/hvar.mjs'), ...args], { cwd: dir, encoding: 'utf8', timeout: 300_000, env: { ...process.env, XDG_RUNTIME_DIR: '/tmp' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
function pngjs(w: number, h: number, colorType: 0 | 6, bitDepth: 8 | 16, samples: number[]): Buffer {
  const png = new PNG({ width: w, height: h });
  (png as unknown as { data: Buffer }).data = Buffer.from((bitDepth === 16 ? new Uint16Array(samples) : new Uint8Array(samples)).buffer);
  return PNG.sync.write(png, { colorType, inputColorType: colorType, bitDepth, inputHasAlpha: colorType === 6 } as never);
}

test('a folder with a bad file and a JPEG beside it: exit 1, the others written x1 → x2 → x4 → sheet, the x4 equal to the library', async () => {
  const inDir = join(dir, 'in'), out = join(dir, 'out');
  mkdirSync(inDir);
  writeFileSync(join(inDir, 'a.png'), encodePng(picture(13, 21, 1)));
  writeFileSync(join(inDir, 'b.png'), pngjs(5, 3, 6, 8, Array.from({ length: 60 }, (_, i) => (i % 4 === 3 ? 128 : (i * 37) % 256))));
  writeFileSync(join(inDir, 'bad.png'), 'not an image at all');
  writeFileSync(join(inDir, 'g.png'), pngjs(9, 6, 0, 16, Array.from({ length: 54 }, (_, i) => (i * 1213) % 65536)));
  writeFileSync(join(inDir, 'k.jpg'), flatJpeg([[[40], [200]], [[90], [10]], [[250], [128]]]));   // one-component (grayscale) JPEG, 16×24
  writeFileSync(join(inDir, 'notes.txt'), 'ignored');
  writeFileSync(join(dir, 'j.jpg'), encodeJpeg(picture(8, 8, 2)));
  const r = hvar(['upscale', inDir, join(dir, 'j.jpg'), '--out', out, '--model', model, '--seed', '5']);
  assert.is(r.code, 1, r.err);
  assert.match(r.err, /\[3\/6\] bad\.png: failed: hvar: cannot read image '.*bad\.png': not a PNG or JPEG file/);
  assert.match(r.out, /^model: tiny-random \(.*tiny\.safetensors\); LR tile 8 px/);
  assert.match(r.out, /upscaled 5 of 6 images in \d+:\d\d to .*out; 1 problem/);
  const sizes: Record<string, [number, number]> = { a: [13, 21], b: [3, 5], g: [6, 9], k: [24, 16], j: [8, 8] };
  assert.equal(readdirSync(out).sort(), Object.keys(sizes).flatMap((n) => ['_sheet', '_x1', '_x2', '_x4'].map((s) => `${n}${s}.png`)).sort());
  for (const [n, [h, w]] of Object.entries(sizes)) {
    const lines = r.out.split('\n').filter((l) => l.includes(`] ${n}.`)).map((l) => / (x\d|sheet) /.exec(l)?.[1]);
    assert.equal(lines, ['x1', 'x2', 'x4', 'sheet'], `${n}: written in the order ${lines}`);
    const t = ['_x1', '_x2', '_x4', '_sheet'].map((s) => statSync(join(out, `${n}${s}.png`)).mtimeMs);
    assert.ok(t.every((v, i) => i === 0 || v >= t[i - 1]!), `${n}: mtimes ${t}`);
    for (const f of [1, 2, 4]) {
      const img = decodeImage(readFileSync(join(out, `${n}_x${f}.png`)), n);
      assert.equal([img.h, img.w], [h * f, w * f], `${n} x${f}`);
    }
    const sheet = decodeImage(readFileSync(join(out, `${n}_sheet.png`)), n), L = sheetLayout(h, w);
    assert.equal([sheet.h, sheet.w], [L.height, L.width], `${n} sheet`);
  }
  // the ×4 of a.png is the library's, rounded to 8 bits
  const bundle = await loadBundle(dev, model);
  const lib = await upscale(dev, bundle, decodeImage(readFileSync(join(inDir, 'a.png')), 'a.png'), { seed: 5 });
  const file = decodeImage(readFileSync(join(out, 'a_x4.png')), 'a_x4');
  let worst = 0;
  for (let i = 0; i < file.data.length; i++) worst = Math.max(worst, Math.abs(file.data[i]! - lib.x4.data[i]!));
  assert.ok(worst <= 0.5 / 255 + 1e-6, `a_x4.png differs from the library by ${worst * 255} levels`);
  bundle.dispose();
});

test('limits and command-line errors: --max-pixels named (exit 1); bad flags exit 2 naming the flag; help; no embedded model', () => {
  const a = join(dir, 'in', 'a.png'), out = join(dir, 'out2');
  const big = hvar(['upscale', a, '--out', out, '--model', model, '--max-pixels', '200']);
  assert.is(big.code, 1);
  assert.match(big.err, /a\.png: failed: hvar: cannot read image '.*a\.png': image too large: 21x13 = 273 pixels exceeds the limit of 200 \(--max-pixels\)/);
  const cases: [string[], RegExp][] = [
    [['--top-p', '1.5'], /^hvar upscale: --top-p expects a number from 0 to 1, got '1\.5'/],
    [['--seed', '-1'], /^hvar upscale: --seed/],
    [['--tile', '1'], /^hvar upscale: --tile expects a decimal integer from 2 to 4096, got '1'/],
    [['--cfg', 'abc'], /^hvar upscale: --cfg expects a number from 0 to 100, got 'abc'/],
    [['--batch', '0'], /^hvar upscale: --batch expects a decimal integer from 1/],
    [['--frobnicate'], /^hvar upscale: unknown option '--frobnicate'/],
    [['--model', join(dir, 'nope.safetensors')], /^hvar upscale: --model: cannot read '.*nope\.safetensors': no such file/],
  ];
  for (const [flags, re] of cases) {
    const r = hvar(['upscale', a, '--out', out, ...flags]);
    assert.is(r.code, 2, `${flags}: ${r.err}`);
    assert.match(r.err, re);
  }
  const none = hvar(['upscale', '--out', out]);
  assert.is(none.code, 2);
  assert.match(none.err, /^hvar upscale: missing <images or folders>/);
  assert.not.ok(existsSync(join(out, 'a_x1.png')), 'nothing written');
  const help = hvar(['upscale', '--help']);
  assert.is(help.code, 0);
  assert.match(help.out, /^usage: hvar upscale <images or folders\.\.\.> \[--out DIR\] \[--model FILE\]/);
  assert.match(help.out, /hvar upscale --bicubic IN OUT/);
  assert.match(hvar(['bundle', '--help']).out, /^usage: hvar bundle --vae FILE --hvar FILE --card CARD\.json OUT\.safetensors/);
});

const embedded = join(root, 'models/hvar-small.safetensors');
testIf(!existsSync(embedded), `${embedded} exists (the embedded model is shipped)`)('without --model and without the embedded model: says so and how to go on (exit 1)', () => {
  const r = hvar(['upscale', join(dir, 'in', 'a.png'), '--out', join(dir, 'out3')]);
  assert.is(r.code, 1);
  assert.match(r.err, /^hvar upscale: no embedded model yet: pass --model FILE or use --bicubic \(looked for .*models\/hvar-small\.safetensors\)/);
});

test('hvar bundle joins a tokenizer, a transformer and a card; hvar inspect shows the card; the bundle loads with the same weights', async () => {
  const vaeP = join(dir, 'vqvae.safetensors'), hvarP = join(dir, 'hvar.safetensors'), cardP = join(dir, 'card.json'), outP = join(dir, 'joined.safetensors');
  await saveVQVAE(parts.vae, vaeP);
  await saveHVAR(parts.model, hvarP);
  writeFileSync(cardP, JSON.stringify({ ...CARD, name: 'joined', sampling: { topK: 5 } }));
  const r = hvar(['bundle', '--vae', vaeP, '--hvar', hvarP, '--card', cardP, outP]);
  assert.is(r.code, 0, r.err);
  assert.match(r.out, /joined\.safetensors: 'joined' \(F32\): tokenizer 1,011,099 parameters/);
  const i = hvar(['inspect', outP]);
  assert.is(i.code, 0, i.err);
  assert.match(i.out, /model bundle: 'joined'; LR tile 8 px -> x1, x2, x4; latent sides 2\/4\/8; tokenizer 1,011,099 parameters, transformer 167,556/);
  assert.match(i.out, /model card:\n  data: none \(random weights\)\n  steps: 0\n  commands: \["test\/upscale\/fixture\.ts"\]\n  licence: MIT\n  sampling: \{"topK":5\}/);
  const j = JSON.parse(hvar(['inspect', outP, '--json']).out);
  assert.equal(j.bundle.card.name, 'joined');
  const b = await loadBundle(dev, outP);
  for (const [x, y] of [[b.vae.stateDict(), parts.vae.stateDict()], [b.model.stateDict(), parts.model.stateDict()]] as const)
    for (const k of Object.keys(y)) assert.equal(Array.from(await x[k]!.toArray()), Array.from(await y[k]!.toArray()), k);
  b.dispose();
  // --dtype f16: half the bytes per weight, read back as the f16 rounding of each weight
  const halfP = join(dir, 'half.safetensors');
  const h = hvar(['bundle', '--vae', vaeP, '--hvar', hvarP, '--card', cardP, '--dtype', 'f16', halfP]);
  assert.is(h.code, 0, h.err);
  assert.match(h.out, /half\.safetensors: 'joined' \(F16\)/);
  const ratio = statSync(halfP).size / statSync(outP).size;
  assert.ok(ratio > 0.45 && ratio < 0.56, `f16 bundle is ${ratio} of the f32 one`);
  const hb = await loadBundle(dev, halfP);
  for (const [x, y] of [[hb.vae.stateDict(), parts.vae.stateDict()], [hb.model.stateDict(), parts.model.stateDict()]] as const)
    for (const k of Object.keys(y)) {
      const want = await y[k]!.toArray(), got = await x[k]!.toArray();
      const round = want instanceof Float32Array ? f16BitsToF32(Uint16Array.from(want, f32ToF16Bits)) : want;
      assert.equal(Array.from(got), Array.from(round), k);
    }
  hb.dispose();
  const badType = hvar(['bundle', '--vae', vaeP, '--hvar', hvarP, '--card', cardP, '--dtype', 'f8', halfP]);
  assert.is(badType.code, 2);
  assert.match(badType.err, /--dtype must be f32, f16 or bf16, got 'f8'/);
  writeFileSync(cardP, '{"data": "no name"}');
  const bad = hvar(['bundle', '--vae', vaeP, '--hvar', hvarP, '--card', cardP, join(dir, 'x.safetensors')]);
  assert.is(bad.code, 1);
  assert.match(bad.err, /hvar bundle: --card '.*card\.json': the model card needs a non-empty string 'name'/);
  assert.is(hvar(['bundle', '--hvar', hvarP, '--card', cardP, outP]).code, 2);
});

test.after(async () => { parts.vae.dispose(); parts.model.dispose(); await closeDevice(); rmSync(dir, { recursive: true, force: true }); });
test.run();
