// The README's first fresh-machine command, as written there (`npm run hvar -- upscale ...`), run through the built CLI
// with the embedded model: the three PNGs at exactly 1×, 2× and 4× the input and the sheet; skipped without the model file.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, extname, join, resolve } from 'node:path';
import { decodeImage } from '../../src/io/image.ts';
import { EMBEDDED_MODEL } from '../../src/cli/upscale.ts';
import { sheetLayout } from '../../src/upscale/index.ts';
import { getDevice, closeDevice, testIf } from '../helpers/gpu.ts';

const root = process.cwd();
const adapter = await getDevice().then(() => true, () => false);
await closeDevice();

/** The first line of the block under '## Fresh machine: two commands', without its comment. */
function readmeFirstCommand(readme: string): string {
  const at = readme.indexOf('## Fresh machine: two commands');
  if (at < 0) throw new Error("README.md has no '## Fresh machine: two commands' section");
  const block = /```(?:sh|bash)?\n([\s\S]*?)```/.exec(readme.slice(at));
  if (!block) throw new Error('README.md: no code block under the fresh-machine section');
  return block[1]!.split('\n')[0]!.replace(/\s+#.*$/, '').trim();
}

const cmd = readmeFirstCommand(readFileSync(join(root, 'README.md'), 'utf8'));
const hasModel = existsSync(join(root, EMBEDDED_MODEL));

test('the README opens with `npm run hvar -- upscale IMAGE ... --out DIR` on an image in the repository', () => {
  const m = /^npm run hvar -- upscale (.+)$/.exec(cmd);
  assert.ok(m, `first command: '${cmd}'`);
  const args = m![1]!.split(/\s+/);
  assert.ok(args.includes('--out'), `no --out in '${cmd}'`);
  assert.not.ok(args.includes('--model'), 'the first command uses the embedded model');
  for (const a of args.filter((a, i) => !a.startsWith('--') && args[i - 1] !== '--out' && args[i - 1] !== '--seed'))
    assert.ok(existsSync(join(root, a)), `input '${a}' is not in the repository`);
});

testIf(adapter && hasModel, hasModel ? 'no WebGPU adapter' : `no embedded model (${EMBEDDED_MODEL})`)('the command writes x1, x2, x4 at 1×, 2×, 4× the input and the sheet', () => {
  const build = spawnSync(process.execPath, ['scripts/build.mjs', '--quiet', '--no-types'], { cwd: root, encoding: 'utf8' });
  assert.is(build.status, 0, build.stderr);
  const args = cmd.replace(/^npm run hvar -- /, '').split(/\s+/);
  const out = mkdtempSync(join(tmpdir(), 'hvar-readme-'));
  try {
    const i = args.indexOf('--out');
    args[i + 1] = out;
    const r = spawnSync(process.execPath, [join(root, 'dist/hvar.mjs'), ...args], { cwd: root, encoding: 'utf8', timeout: 600_000, env: { ...process.env, XDG_RUNTIME_DIR: '/tmp' } });
    assert.is(r.status, 0, `${r.stdout}\n${r.stderr}`);
    const inputs = args.filter((a, k) => k > 0 && !a.startsWith('--') && !['--out', '--seed'].includes(args[k - 1]!));
    for (const input of inputs) {
      const src = decodeImage(readFileSync(resolve(root, input)), input), name = basename(input, extname(input));
      for (const f of [1, 2, 4]) {
        const img = decodeImage(readFileSync(join(out, `${name}_x${f}.png`)), `${name}_x${f}`);
        assert.equal([img.h, img.w], [src.h * f, src.w * f], `${name} x${f}`);
        let sum = 0, sq = 0;
        for (const v of img.data) { sum += v; sq += v * v; }
        const mean = sum / img.data.length;
        assert.ok(sq / img.data.length - mean * mean > 1e-4, `${name} x${f} is flat (mean ${mean})`);
      }
      const sheet = decodeImage(readFileSync(join(out, `${name}_sheet.png`)), 'sheet'), L = sheetLayout(src.h, src.w);
      assert.equal([sheet.h, sheet.w], [L.height, L.width]);
    }
  } finally { rmSync(out, { recursive: true, force: true }); }
});

test.run();
