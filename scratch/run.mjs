// Bundles a scratch TypeScript file with esbuild (as scripts/test.mjs does) and runs it.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
const f = process.argv[2];
await build({ entryPoints: [f], bundle: true, platform: 'node', format: 'esm', outfile: '.build/scratch.mjs', packages: 'external', logLevel: 'error', loader: { '.wgsl': 'text' } });
process.exit(spawnSync(process.execPath, ['.build/scratch.mjs'], { stdio: 'inherit' }).status ?? 1);
