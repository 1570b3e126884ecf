// examples/deno/example.ts run with the repository's Deno (node_modules/.bin/deno, as scripts/test.mjs uses it) against
// the built dist/: its printed GPU results are checked here again, and it typechecks against dist/types under Deno.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testIf } from '../helpers/gpu.ts';

const root = process.cwd();
const deno = join(root, 'node_modules/.bin/deno');
const example = join(root, 'examples/deno/example.ts');
const env = { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp', NO_COLOR: '1' };
const run = (args: string[]) => {
  const r = spawnSync(deno, args, { cwd: root, encoding: 'utf8', env, timeout: 120_000 });
  return { code: r.status, out: (r.stdout ?? '') + (r.stderr ?? '') + (r.error ? String(r.error) : '') };
};

// Skipped, with the reason, where Deno or its WebGPU adapter is missing (the example would only report that).
function why(): string {
  if (!existsSync(deno)) return 'node_modules/.bin/deno missing (npm ci installs the deno package)';
  if (!existsSync(join(root, 'dist/node.mjs'))) return 'dist/node.mjs missing (npm run build)';
  const probe = run(['eval', "const a = await navigator.gpu?.requestAdapter(); console.log(a ? 'adapter' : 'none');"]);
  if (probe.code !== 0 || !/^adapter$/m.test(probe.out)) return `Deno has no WebGPU adapter (${probe.out.trim().split('\n').pop()})`;
  return '';
}
const reason = why();
const gpuTest = testIf(reason === '', reason);

gpuTest('deno run examples/deno/example.ts: the matmul and the bicubic ×2 match the CPU; one upscale with the embedded model', () => {
  const r = run(['run', '-A', example]);
  const lines = r.out;
  assert.match(lines, /^adapter deno \(wgpu\) /m, lines);
  const mm = /^matmul (\[[^\]]*\]) cpu (\[[^\]]*\])$/m.exec(lines);
  assert.ok(mm, lines);
  // [[1,2,3],[4,5,6]]·[[1,0],[0,1],[1,1]], worked out by hand.
  assert.equal(JSON.parse(mm![1]!), [4, 5, 10, 11]);
  assert.equal(JSON.parse(mm![2]!), [4, 5, 10, 11]);
  const rs = /^resample bicubic \[1,3,5,7\] -> \[1,3,10,14\] (\d+) values, max \|gpu - cpu\| (\S+)$/m.exec(lines);
  assert.ok(rs, lines);
  assert.is(+rs![1]!, 3 * 10 * 14);
  assert.ok(+rs![2]! <= 1e-5, `bicubic error ${rs![2]}`);
  // one H-VAR upscale with the embedded model (when it ships): exact sizes, values in range
  if (existsSync(join(root, 'models/hvar-small.safetensors')))
    assert.match(lines, /^upscale 16x16 -> x1 16x16, x2 32x32, x4 64x64, values in \[0, 1\]: true \(/m, lines);
  assert.match(lines, /^ok$/m);
  // Deno 2.9.6 can abort at exit after the work is done (docs/LAVAPIPE.md §7): reported as a failure, never hidden.
  assert.is(r.code, 0, `deno exited with ${r.code} after the example's checks:\n${lines}`);
});

testIf(existsSync(deno) && existsSync(join(root, 'dist/types/node.d.ts')), 'Deno or dist/types missing (npm ci builds both)')(
  'deno check: the example typechecks against dist/types, and a misuse does not', () => {
    // Deno's checker needs exact specifiers; --sloppy-imports maps the declarations' `./x.js` to the `./x.d.ts` beside it.
    const ok = run(['check', '--sloppy-imports', example]);
    assert.is(ok.code, 0, ok.out);
    const dir = mkdtempSync(join(tmpdir(), 'hvar-deno-check-'));
    try {
      const bad = join(dir, 'bad.ts');
      writeFileSync(bad, readFileSync(example, 'utf8').replaceAll('../../dist/', join(root, 'dist') + '/').replace('ops.matmul(', 'ops.matmull('));
      const no = run(['check', '--sloppy-imports', bad]);
      assert.is.not(no.code, 0, no.out);
      assert.match(no.out, /Property 'matmull' does not exist/);
    } finally { rmSync(dir, { recursive: true, force: true }); }
  });

test.run();
