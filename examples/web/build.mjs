// Bundles the demo page (main.ts, its upscaler and image helpers) with esbuild into examples/web/dist/main.js, against the
// library's browser build dist/browser.mjs (what a bundler picks from the package's `browser` export).
// Usage: node examples/web/build.mjs [--quiet]   (npm run build runs it too; needs dist/browser.mjs from that build)
import { build } from 'esbuild';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = resolve(here, '../..');

/** `build`: esbuild's, or a caller's wrapper of it (scripts/build.mjs skips outputs that are up to date). */
export async function buildWeb({ quiet = false, build: run = build } = {}) {
  const lib = resolve(root, 'dist/browser.mjs');
  if (!existsSync(lib)) throw new Error(`build:web: ${lib} is missing (npm run build makes it)`);
  await run({
    entryPoints: [resolve(here, 'main.ts')], outfile: resolve(here, 'dist/main.js'), bundle: true, format: 'esm',
    platform: 'browser', target: 'es2022', sourcemap: 'linked', logLevel: quiet ? 'error' : 'info', absWorkingDir: root,
    // `hvar` is the package itself: the page is bundled as a user's page would be, from the built browser entry.
    alias: { hvar: lib }, tsconfigRaw: {},
  });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await buildWeb({ quiet: process.argv.includes('--quiet') });
