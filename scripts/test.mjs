// Test runner: bundles test/**/*.test.ts with esbuild, runs each file in its own Node process (uvu inside),
// then the portable op suite under Deno; ends with the line "N passed, N failed, N skipped" (a skip is never a pass).
// Usage: node scripts/test.mjs [filter ...] [--no-deno] [--deno-only]
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync, mkdirSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);
const filters = args.filter((a) => !a.startsWith('--'));
const noDeno = args.includes('--no-deno') || filters.length > 0;
const denoOnly = args.includes('--deno-only');
process.env.XDG_RUNTIME_DIR ??= '/tmp';

// A kernel the bundler cannot read (e.g. an unsupported struct Params) stops the run: tests would see stale kernels.
if (spawnSync(process.execPath, [join(root, 'kernels/bundle.mjs')], { stdio: 'inherit' }).status !== 0) process.exit(1);

function walk(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out.sort();
}
// Filters match paths relative to the repository root (a checkout's own path must not match every file).
const picked = (f) => filters.length === 0 || filters.some((s) => relative(root, f).includes(s));
const files = walk(join(root, 'test')).filter(picked);
const outDir = join(root, '.build/test');
mkdirSync(outDir, { recursive: true });

let passed = 0, failed = 0, skipped = 0;
const failures = [];
// uvu prints "Total: N / Passed: N / Skipped: N"; a file that dies before that line counts as one failure.
function account(name, res, timeoutS) {
  const text = (res.stdout ?? '') + (res.stderr ?? '');
  const plain = text.replace(/\x1b\[[0-9;]*m/g, '');
  const total = /Total:\s+(\d+)/.exec(plain), ok = /Passed:\s+(\d+)/.exec(plain), sk = /Skipped:\s+(\d+)/.exec(plain);
  // Dawn's two start-up warnings (one pair per device) are noise here; HVAR_DEBUG=1 keeps them.
  process.stdout.write(process.env.HVAR_DEBUG ? text : text.replace(/^Warning: maxDynamic(Uniform|Storage)BuffersPerPipelineLayout artificially reduced.*\n/gm, ''));
  if (!total || !ok) {
    failed += 1;
    const why = res.error?.code === 'ETIMEDOUT' ? `timed out after ${timeoutS}s` : `exited with ${res.status ?? res.signal} before uvu's summary`;
    failures.push(`${name}: ${why}`);
    return;
  }
  const t = +total[1], p = +ok[1];
  passed += p; failed += t - p; skipped += sk ? +sk[1] : 0;
  if (t > p) failures.push(`${name}: ${t - p} failed`);
  // A crash after the summary (e.g. at device teardown) is reported, not hidden.
  if (res.status !== 0 && t === p) { failed += 1; failures.push(`${name}: exited with ${res.status ?? res.signal} after its tests passed`); }
}

if (!denoOnly) {
  for (const f of files) {
    const name = relative(root, f);
    const out = join(outDir, name.replace(/[\\/]/g, '_').replace(/\.ts$/, '.mjs'));
    await build({ entryPoints: [f], bundle: true, platform: 'node', format: 'esm', outfile: out, packages: 'external',
      sourcemap: 'inline', logLevel: 'error', loader: { '.wgsl': 'text' } });
    const timeoutS = 900;
    console.log(`\n# ${name}`);
    const t0 = Date.now();
    const res = spawnSync(process.execPath, ['--enable-source-maps', out], { encoding: 'utf8', timeout: timeoutS * 1000, cwd: root, maxBuffer: 64 << 20 });
    account(name, res, timeoutS);
    console.log(`# ${name}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
}

// Deno (wgpu/naga): the portable op suites, bundled with uvu inside, run with Deno's own navigator.gpu.
const denoBin = join(root, 'node_modules/.bin/deno');
const denoFiles = walk(join(root, 'test')).filter((f) => f.includes('/engine/') && f.includes('ops_') && picked(f));
if (!noDeno || denoOnly) {
  if (!existsSync(denoBin)) { failed += 1; failures.push('deno: node_modules/.bin/deno missing (npm ci)'); }
  else for (const f of denoFiles) {
    const name = 'deno:' + relative(root, f);
    const out = join(outDir, 'deno_' + relative(root, f).replace(/[\\/]/g, '_').replace(/\.ts$/, '.mjs'));
    await build({ entryPoints: [f], bundle: true, platform: 'neutral', format: 'esm', outfile: out, external: ['webgpu', 'node:*'],
      mainFields: ['module', 'main'], logLevel: 'error', loader: { '.wgsl': 'text' } });
    console.log(`\n# ${name}`);
    const t0 = Date.now();
    const res = spawnSync(denoBin, ['run', '-A', '--quiet', out], { encoding: 'utf8', timeout: 900_000, cwd: root, maxBuffer: 64 << 20 });
    account(name, res, 900);
    console.log(`# ${name}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
}

if (failures.length) console.log('\nFailures:\n  ' + failures.join('\n  '));
console.log(`\n${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exitCode = failed ? 1 : 0;
