// Builds dist/: the library (dist/index.mjs), the `hvar` CLI (dist/hvar.mjs) and the benchmarks (dist/bench*.mjs).
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
const root = new URL('..', import.meta.url).pathname;
const quiet = process.argv.includes('--quiet');
if (spawnSync(process.execPath, [root + 'kernels/bundle.mjs'], { stdio: 'inherit' }).status !== 0) process.exit(1);
const common = { bundle: true, format: 'esm', logLevel: quiet ? 'error' : 'info', sourcemap: 'linked', absWorkingDir: root };
await build({ ...common, entryPoints: ['src/engine/index.ts'], outfile: 'dist/index.mjs', platform: 'neutral', external: ['webgpu', 'node:*'], mainFields: ['module', 'main'] });
await build({ ...common, entryPoints: ['src/cli/main.ts'], outfile: 'dist/hvar.mjs', platform: 'node', packages: 'external',
  banner: { js: '#!/usr/bin/env node' } });
if (existsSync(root + 'bench/main.ts'))
  await build({ ...common, entryPoints: ['bench/main.ts'], outfile: 'dist/bench.mjs', platform: 'node', packages: 'external' });
// The separate VAR benchmarks (each writes bench/results/<name>-<date>.json): npm run bench:attention, bench:quantizer.
for (const name of ['attention', 'quantizer'])
  if (existsSync(root + `bench/${name}.bench.ts`))
    await build({ ...common, entryPoints: [`bench/${name}.bench.ts`], outfile: `dist/bench-${name}.mjs`, platform: 'node', packages: 'external' });
