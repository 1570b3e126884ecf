// Bad inputs to the built `hvar` CLI: one-line errors naming the flag or file, exit codes, fail-fast size checks,
// outputs replaced only when complete (full disk on a small tmpfs), bad eval pairs reported while the rest are measured.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { encodeJpeg, encodePng, type ImageCHW } from '../../src/io/image.ts';
import { flatJpeg } from '../helpers/jpeg_flat.ts';

const root = process.cwd();
const build = spawnSync(process.execPath, ['scripts/build.mjs', '--quiet', '--no-types'], { cwd: root, encoding: 'utf8' });
if (build.status !== 0) throw new Error(`build failed: ${build.stderr}`);
const dir = mkdtempSync(join(tmpdir(), 'hvar-clierr-'));

interface Run { code: number | null; out: string; err: string; ms: number }
/** Runs dist/hvar.mjs with a 64 MB JS heap (so nothing heap-sized can be allocated quietly). */
function hvar(args: string[], timeoutMs = 60_000): Run {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, ['--max-old-space-size=64', join(root, 'dist/hvar.mjs'), ...args],
    { cwd: root, encoding: 'utf8', timeout: timeoutMs, env: { ...process.env, XDG_RUNTIME_DIR: '/tmp' } });
  return { code: r.status, out: r.stdout, err: r.stderr, ms: Date.now() - t0 };
}
/** stderr is exactly one line matching `re`, and the exit code is `code`. */
function fails(r: Run, code: number, re: RegExp) {
  assert.is(r.code, code, `exit code (stderr: ${r.err})`);
  const lines = r.err.trimEnd().split('\n');
  assert.is(lines.length, 1, `one line of stderr, got: ${r.err}`);
  assert.match(lines[0]!, re);
}

const noise = (h: number, w: number, seed = 1): ImageCHW => {
  let s = seed;
  return { c: 3, h, w, data: Float32Array.from({ length: 3 * h * w }, () => ((s = (s * 1103515245 + 12345) >>> 0) >>> 8) / 16777216) };
};
const small = join(dir, 'small.png');
writeFileSync(small, encodePng(noise(24, 20)));

test('flags: missing, unsafe, non-decimal, unknown and repeated values are one-line errors naming the flag (exit 2)', () => {
  const out = join(dir, 'o.png');
  fails(hvar(['degrade', small, out, '--seed']), 2, /^hvar degrade: --seed needs a value/);
  fails(hvar(['degrade', small, out, '--seed', '--no-usm']), 2, /^hvar degrade: --seed needs a value/);
  fails(hvar(['degrade', small, out, '--seed', '9007199254740993']), 2, /^hvar degrade: --seed expects a decimal integer from 0 to 9007199254740991, got '9007199254740993'/);
  fails(hvar(['degrade', small, out, '--seed', '-1']), 2, /--seed/);
  fails(hvar(['degrade', small, out, '--scale', '0x10']), 2, /^hvar degrade: --scale expects one of 1, 2, 3, 4, 8, got '0x10'/);
  fails(hvar(['upscale', '--bicubic', small, out, '--scale', '1e1']), 2, /^hvar upscale: --scale expects one of .*got '1e1'/);
  fails(hvar(['upscale', '--bicubic', small, out, '--scale', '5']), 2, /^hvar upscale: --scale expects one of .*got '5'/);
  fails(hvar(['degrade', small, out, '--bogus']), 2, /^hvar degrade: unknown option '--bogus'/);
  fails(hvar(['degrade', small, out, '--seed', '1', '--seed', '2']), 2, /^hvar degrade: --seed is given more than once/);
  fails(hvar(['degrade', small]), 2, /^hvar degrade: missing OUT/);
  fails(hvar(['eval', '--pred', dir, '--gt', dir, '--lpips']), 2, /^hvar eval: --lpips needs a value/);
  fails(hvar(['eval', '--pred', dir, '--gt', dir, '--crop', '4px']), 2, /^hvar eval: --crop expects a decimal integer/);
  fails(hvar(['eval', '--pred', dir, '--gt', dir, '--lpips', join(dir, 'nope.safetensors')]), 2, /^hvar eval: --lpips: cannot read '.*nope\.safetensors': no such file/);
  fails(hvar(['eval', '--pred', dir, '--gt', dir, '--lpips', dir]), 2, /^hvar eval: --lpips: cannot read '.*': not a regular file/);
  fails(hvar(['eval', '--gt', dir]), 2, /^hvar eval: --pred DIR is required/);
  fails(hvar(['doctor', '--jsn']), 2, /^hvar doctor: unknown option '--jsn'/);
  assert.not.ok(readdirSync(dir).includes('o.png'), 'nothing written');
});

test('--help / -h on every command prints that command\'s usage and exits 0', () => {
  for (const cmd of ['degrade', 'upscale', 'eval', 'doctor', 'convert', 'inspect']) for (const h of ['--help', '-h']) {
    const r = hvar([cmd, h]);
    assert.is(r.code, 0, `${cmd} ${h}: ${r.err}`);
    assert.match(r.out, new RegExp(`^usage: hvar ${cmd}`), `${cmd} ${h}`);
  }
});

test('inputs: /dev/zero, a directory, a patched huge header and a too-large image fail fast, naming the file', () => {
  const out = join(dir, 'o.png');
  fails(hvar(['degrade', '/dev/zero', out]), 1, /^hvar: cannot read image '\/dev\/zero': not a regular file/);
  fails(hvar(['upscale', '--bicubic', dir, out]), 1, /cannot read image '.*': is a directory/);
  // A tiny JPEG whose frame header is patched to declare 8000x8000 (and a PNG likewise).
  const jpg = Buffer.from(encodeJpeg(noise(24, 24)));
  for (let i = 2; i < jpg.length;) {
    if (jpg[i + 1] === 0xc0) { jpg.writeUInt16BE(8000, i + 5); jpg.writeUInt16BE(8000, i + 7); break; }
    i += 2 + jpg.readUInt16BE(i + 2);
  }
  const pj = join(dir, 'patched.jpg');
  writeFileSync(pj, jpg);
  const r = hvar(['degrade', pj, out]);
  fails(r, 1, /^hvar: cannot read image '.*patched\.jpg': corrupt JPEG \(declares 8000x8000 but holds \d+ bytes of scan data; at least 125000 are needed\)/);
  assert.ok(r.ms < 10_000, `failed in ${r.ms} ms`);
  const png = Buffer.from(encodePng(noise(8, 8)));
  png.writeUInt32BE(8000, 16); png.writeUInt32BE(8000, 20);
  const pp = join(dir, 'patched.png');
  writeFileSync(pp, png);
  fails(hvar(['upscale', '--bicubic', pp, out]), 1, /^hvar: cannot read image '.*patched\.png': corrupt PNG \(declares 8000x8000 but holds \d+ bytes of image data/);
  fails(hvar(['degrade', small, out, '--max-pixels', '100']), 1, /^hvar: cannot read image '.*small\.png': image too large: 20x24 = 480 pixels exceeds the limit of 100/);
  assert.not.ok(readdirSync(dir).some((f) => f.startsWith('o.png') || f.startsWith('.o.png')), 'no output or temp file');
});

test('upscale checks the output size from the header before decoding (8000x8000 x2 to JPEG, x4 over a lowered limit)', () => {
  // A real 8000x8000 PNG (one grey level, ~200 KB): x4 would be 1.024 Gpx.
  const p = new PNG({ width: 8000, height: 8000 });
  p.data.fill(128);
  const big = join(dir, 'big.png');
  writeFileSync(big, PNG.sync.write(p, { colorType: 2 }));
  const j = hvar(['upscale', '--bicubic', big, join(dir, 'up.jpg'), '--scale', '2']);
  fails(j, 1, /^hvar upscale: output '.*up\.jpg' would be 16000x16000 = 256000000 pixels, over the limit of 67108864 \(raise it with --max-pixels, or write a \.png\)/);
  assert.ok(j.ms < 5000, `failed in ${j.ms} ms`);
  const m = hvar(['upscale', '--bicubic', big, join(dir, 'up.png'), '--max-output-pixels', '1000000']);
  fails(m, 1, /^hvar upscale: output '.*up\.png' would be 32000x32000 = 1024000000 pixels, over the limit of 1000000 \(raise it with --max-output-pixels\)/);
  assert.ok(m.ms < 5000, `failed in ${m.ms} ms`);
  rmSync(big);
});

test('outputs: a directory, a bad extension, a missing directory and a bad --plan are refused before any work', () => {
  fails(hvar(['degrade', small, dir]), 1, /^hvar: cannot write '.*': output is a directory$/);
  fails(hvar(['degrade', small, join(dir, 'o.txt')]), 1, /^hvar: cannot write '.*o\.txt': output extension '\.txt' is not supported \(use \.png, \.jpg, \.jpeg\)/);
  fails(hvar(['degrade', small, join(dir, 'nodir', 'o.png')]), 1, /^hvar: cannot write '.*o\.png': directory '.*nodir' does not exist/);
  fails(hvar(['degrade', small, join(dir, 'o.png'), '--plan', join(dir, 'plan.txt')]), 1, /^hvar: cannot write '.*plan\.txt': plan extension '\.txt' is not supported \(use \.json\)/);
  fails(hvar(['degrade', small, join(dir, 'o.png'), '--plan', '/dev/null']), 1, /^hvar: cannot write '\/dev\/null'/);
  assert.not.ok(readdirSync(dir).some((f) => f.startsWith('o.') || f.startsWith('.o.')), 'nothing written');
});

test('a failed run leaves the previous output intact and no temp file', () => {
  const out = join(dir, 'keep.png'), before = encodePng(noise(4, 4, 7));
  writeFileSync(out, before);
  const bad = join(dir, 'bad.png');
  writeFileSync(bad, Buffer.from(encodePng(noise(16, 16))).subarray(0, 60));
  fails(hvar(['degrade', bad, out]), 1, /cannot read image '.*bad\.png': truncated PNG/);
  assert.ok(Buffer.from(before).equals(readFileSync(out)), 'previous output intact');
  assert.is(readdirSync(dir).filter((f) => f.includes('keep.png')).length, 1, 'no temp file');
});

test('full disk (64 KiB tmpfs): the write fails with one line, the previous output is intact, no temp file', () => {
  const mnt = join(dir, 'full');
  mkdirSync(mnt);
  const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mnt], { encoding: 'utf8' });
  if (m.status !== 0) { console.log(`  (tmpfs not mountable here: ${m.stderr.trim()}; the mocked write failure in atomic.test.ts covers this)`); return; }
  try {
    const out = join(mnt, 'up.png'), before = encodePng(noise(8, 8, 3));
    writeFileSync(out, before);
    const lr = join(dir, 'lr.png');
    writeFileSync(lr, encodePng(noise(80, 80, 5))); // x4: 320x320 of noise, ~300 KB of PNG
    const r = hvar(['upscale', '--bicubic', lr, out]);
    fails(r, 1, /^hvar: cannot write '.*up\.png': no space left on device$/);
    assert.ok(Buffer.from(before).equals(readFileSync(out)), 'previous output intact');
    assert.equal(readdirSync(mnt), ['up.png']);
    const d = hvar(['degrade', join(dir, 'small.png'), join(mnt, 'lr.png'), '--scale', '1', '--plan', join(mnt, 'p.json')]);
    assert.ok(d.code === 0 || /no space left on device/.test(d.err), d.err);
  } finally { spawnSync('umount', [mnt]); }
});

test('eval: bad pairs (1x1, sizes differ, unreadable) are named with both files; the good pair is reported; exit 1', () => {
  const pd = join(dir, 'ep'), gd = join(dir, 'eg');
  mkdirSync(pd); mkdirSync(gd);
  const g = noise(32, 32, 11);
  writeFileSync(join(gd, 'good.png'), encodePng(g)); writeFileSync(join(pd, 'good.png'), encodePng(noise(32, 32, 12)));
  writeFileSync(join(gd, 'tiny.png'), encodePng(noise(1, 1))); writeFileSync(join(pd, 'tiny.png'), encodePng(noise(1, 1, 2)));
  writeFileSync(join(gd, 'size.png'), encodePng(noise(32, 32))); writeFileSync(join(pd, 'size.png'), encodePng(noise(16, 32)));
  writeFileSync(join(gd, 'junk.png'), encodePng(noise(32, 32))); writeFileSync(join(pd, 'junk.png'), 'not a png');
  const r = hvar(['eval', '--pred', pd, '--gt', gd]);
  assert.is(r.code, 1);
  assert.match(r.out, /\| good \| \d+\.\d\d \| [-\d.]+ \|/);
  assert.match(r.out, /\*\*mean \(1\)\*\*/);
  const err = r.err.trimEnd().split('\n');
  assert.is(err.length, 4, r.err);
  assert.match(err[0]!, /^hvar eval: bad pair '.*ep\/junk\.png' \/ '.*eg\/junk\.png': cannot read image '.*ep\/junk\.png': not a PNG or JPEG file/);
  assert.match(err[1]!, /^hvar eval: bad pair '.*ep\/size\.png' \/ '.*eg\/size\.png': sizes differ: 32x16 vs 32x32$/);
  assert.match(err[2]!, /^hvar eval: bad pair '.*ep\/tiny\.png' \/ '.*eg\/tiny\.png': ssim: image 1x1 is smaller than the 11x11 window$/);
  assert.match(err[3]!, /^hvar eval: 3 of 4 pair\(s\) could not be measured$/);
  const j = hvar(['eval', '--pred', pd, '--gt', gd, '--json']);
  assert.is(j.code, 1);
  const rep = JSON.parse(j.out);
  assert.is(rep.rows.length, 1);
  assert.equal(rep.failed.map((f: { name: string }) => f.name), ['junk', 'size', 'tiny']);
});

test('CMYK JPEG without an Adobe marker is refused by name', () => {
  const f = join(dir, 'cmyk.jpg');
  writeFileSync(f, flatJpeg([[[0, 255, 255, 0]]]));
  fails(hvar(['degrade', f, join(dir, 'c.png'), '--scale', '1']), 1, /^hvar: cannot read image '.*cmyk\.jpg': unsupported JPEG \(4-component CMYK without an Adobe APP14 marker/);
});

test('hvar doctor: Dawn\'s start-up warnings are filtered from stderr unless HVAR_DEBUG is set; nothing else is', () => {
  const r = hvar(['doctor']);
  assert.is(r.code, 0, r.err);
  assert.match(r.out, /adapter/);
  assert.not.match(r.err, /artificially reduced/, `stderr: ${r.err}`);
  const { HVAR_DEBUG: _, ...env } = process.env;
  const dbg = spawnSync(process.execPath, [join(root, 'dist/hvar.mjs'), 'doctor'], { cwd: root, encoding: 'utf8', env: { ...env, HVAR_DEBUG: '1', XDG_RUNTIME_DIR: '/tmp' } });
  assert.is(dbg.status, 0, dbg.stderr);
  // Dawn prints them on lavapipe (its Vulkan limits exceed what Dawn's dynamic offsets allow); other adapters may not.
  if (/llvmpipe/.test(r.out)) assert.match(dbg.stderr, /artificially reduced/, 'with HVAR_DEBUG the warnings are shown');
  // A command's own errors still reach stderr through the filter.
  fails(hvar(['doctor', '--bogus']), 2, /^hvar doctor: unknown option '--bogus'/);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
