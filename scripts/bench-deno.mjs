// Runs bench/deno_matmul.ts under Deno (node_modules/.bin/deno, wgpu) and saves its JSON with the date and git revision
// to bench/results/deno_matmul-<date>-<rev>.json (temp name, then rename). Usage: node scripts/bench-deno.mjs [shapes] [turns]
import { build } from 'esbuild';
import { spawnSync, execSync } from 'node:child_process';
import { writeFileSync, renameSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';

const root = new URL('..', import.meta.url).pathname;
const out = join(mkdtempSync(join(tmpdir(), 'hvar-bench-deno-')), 'deno_matmul.mjs');
await build({ entryPoints: [join(root, 'bench/deno_matmul.ts')], bundle: true, platform: 'neutral', format: 'esm', outfile: out,
  external: ['webgpu', 'node:*'], mainFields: ['module', 'main'], logLevel: 'error', loader: { '.wgsl': 'text' } });
process.env.XDG_RUNTIME_DIR ??= '/tmp';
const res = spawnSync(join(root, 'node_modules/.bin/deno'), ['run', '-A', '--quiet', out, ...process.argv.slice(2)], { encoding: 'utf8', cwd: root, maxBuffer: 64 << 20 });
if (res.status !== 0) { console.error(res.stderr || res.stdout); process.exit(1); }
const line = res.stdout.trim().split('\n').pop();
const r = JSON.parse(line);
const rev = execSync('git rev-parse --short HEAD', { cwd: root }).toString().trim();
const dirty = execSync('git status --porcelain --untracked-files=no', { cwd: root }).toString().trim() !== '';
const date = new Date().toISOString();
Object.assign(r, { date, git: rev + (dirty ? '-dirty' : '') });
for (const c of r.cases)
  console.log(`matmul ${c.shape.join('×')}: ${c.texture.variant} ${c.texture.gflops.toFixed(1)} GFLOP/s, ${c.buffer.variant} ${c.buffer.gflops.toFixed(1)}; ${c.ratioInTurns.toFixed(2)}× in turns (max |diff| ${c.maxAbsDiff})`);
const file = join(root, 'bench/results', `deno_matmul-${date.replace(/[:.]/g, '').slice(0, 17)}-${rev}.json`);
writeFileSync(file + '.tmp', JSON.stringify(r, null, 2) + '\n');
renameSync(file + '.tmp', file);
console.log(`saved ${file}`);
