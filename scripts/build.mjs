// Builds dist/: the library (index.mjs any runtime, node.mjs Node/Deno with image files, browser.mjs, internal.mjs, with
// .d.ts types under dist/types), the `hvar` CLI (dist/hvar.mjs), the benchmarks (dist/bench*.mjs) and the demo page's
// bundle (examples/web/dist/).
// Usage: node scripts/build.mjs [--quiet] [--no-types] [--force]
// Each esbuild output is skipped while it is up to date: it exists, was built with the same options, and none of the
// files esbuild read for it (its metafile's inputs, kept in dist/.build-state.json) changed since (--force: rebuild all).
import { build as esbuild } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const quiet = process.argv.includes('--quiet');
const force = process.argv.includes('--force');
if (spawnSync(process.execPath, [root + 'kernels/bundle.mjs'], { stdio: 'inherit' }).status !== 0) process.exit(1);

// esbuild's build(options), unless it ran with the same options (log level aside) after the last change to every file
// it read then (esbuild leaves an unchanged output file untouched, so the time is the build's start, not the files').
const stateFile = join(root, 'dist/.build-state.json');
const state = (() => { try { return JSON.parse(readFileSync(stateFile, 'utf8')); } catch { return {}; } })();
const mtime = (f) => { try { return statSync(join(root, f)).mtimeMs; } catch { return NaN; } };
async function build(options) {
  const key = JSON.stringify({ ...options, logLevel: undefined, plugins: options.plugins?.map((p) => p.name) });
  const last = state[key];
  // NaN (a missing input or output) compares false: rebuilt.
  if (!force && last && last.outputs.every((f) => mtime(f) >= 0) && Math.max(...last.inputs.map(mtime)) < last.started) return;
  const started = Date.now();
  const result = await esbuild({ ...options, metafile: true });
  // Inputs in another namespace (the browser stubs) are not files: their plugin is part of the key.
  const inputs = Object.keys(result.metafile.inputs).filter((f) => !/^[\w-]+:/.test(f));
  state[key] = { started, inputs: [...inputs, 'scripts/build.mjs', 'package.json'], outputs: Object.keys(result.metafile.outputs) };
  mkdirSync(join(root, 'dist'), { recursive: true });
  writeFileSync(stateFile + '.tmp', JSON.stringify(state));
  renameSync(stateFile + '.tmp', stateFile);
}
const common = { bundle: true, format: 'esm', logLevel: quiet ? 'error' : 'info', sourcemap: 'linked', absWorkingDir: root };

// The library: one build with shared chunks, so that index, node and internal share one Tensor and Device class.
await build({
  ...common, entryPoints: { index: 'src/index.ts', node: 'src/node.ts', internal: 'src/internal.ts' }, outdir: 'dist',
  splitting: true, chunkNames: 'chunks/[name]-[hash]', outExtension: { '.js': '.mjs' }, platform: 'neutral', mainFields: ['module', 'main'],
  external: ['webgpu', 'node:*', 'pngjs', 'jpeg-js'],
});
// Browsers: the same library without the Node loader of Dawn (`webgpu`) and without `node:*` modules (file paths for
// safetensors and .pth), which a browser bundler could not resolve: each becomes a stub that fails with a clear message
// when used (the file readers import node:fs lazily, so the rest of the library loads; in a browser pass the bytes).
const browserStubs = { name: 'browser-stubs', setup(b) {
  b.onResolve({ filter: /^(webgpu|node:.*)$/ }, (a) => ({ path: a.path, namespace: 'browser-stub' }));
  b.onLoad({ filter: /.*/, namespace: 'browser-stub' }, (a) => ({ contents: a.path === 'webgpu'
    ? 'export const create = () => { throw new Error("webgpu (Dawn for Node) is not available in a browser: use navigator.gpu"); }; export const globals = {};'
    : `throw new Error(${JSON.stringify(`hvar: ${a.path} is not available in a browser; read files in Node or Deno, or pass the bytes (e.g. parseSafetensors(new Uint8Array(await (await fetch(url)).arrayBuffer())))`)});` }));
} };
await build({ ...common, entryPoints: ['src/index.ts'], outfile: 'dist/browser.mjs', platform: 'browser', plugins: [browserStubs] });
// The demo page (examples/web/dist/main.js), bundled against dist/browser.mjs as a user's page would be.
await (await import('../examples/web/build.mjs')).buildWeb({ quiet, build });
await build({ ...common, entryPoints: ['src/cli/main.ts'], outfile: 'dist/hvar.mjs', platform: 'node', packages: 'external',
  banner: { js: '#!/usr/bin/env node' } });
if (existsSync(root + 'bench/main.ts'))
  await build({ ...common, entryPoints: ['bench/main.ts'], outfile: 'dist/bench.mjs', platform: 'node', packages: 'external' });
// The separate benchmarks (each writes bench/results/<name>-<date>.json): npm run bench:attention, bench:quantizer,
// bench:train-step, bench:paper (also `hvar bench paper`), bench:vqvae, bench:hvar.
for (const name of ['attention', 'quantizer', 'train_step', 'paper', 'vqvae', 'hvar'])
  if (existsSync(root + `bench/${name}.bench.ts`))
    await build({ ...common, entryPoints: [`bench/${name}.bench.ts`], outfile: `dist/bench-${name.replace('_', '-')}.mjs`, platform: 'node', packages: 'external' });

// Type declarations for consumers: tsc emits them from the sources; relative `.ts` specifiers become `.js`, which every
// module resolution maps to the `.d.ts` beside it (side-effect imports `import './x.ts'` included).
if (!process.argv.includes('--no-types')) {
  const out = join(root, 'dist/types');
  rmSync(out, { recursive: true, force: true });
  const tsc = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
  if (tsc.status !== 0) { console.error('build: tsc failed to emit the type declarations'); process.exit(1); }
  const walk = (d) => readdirSync(d).flatMap((n) => (statSync(join(d, n)).isDirectory() ? walk(join(d, n)) : [join(d, n)]));
  for (const f of walk(out).filter((f) => f.endsWith('.d.ts'))) {
    const text = readFileSync(f, 'utf8').replace(/(from\s+|import\(|import\s+)(['"])(\.{1,2}\/[^'"]+)\.ts\2/g, '$1$2$3.js$2');
    writeFileSync(f + '.tmp', f.endsWith('index.d.ts') && f === join(out, 'index.d.ts') ? '/// <reference types="@webgpu/types" />\n' + text : text);
    renameSync(f + '.tmp', f);
  }
}
