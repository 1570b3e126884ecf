// The published package as a user gets it: npm pack, install the tarball into an empty project outside the repository,
// run examples/package/example.ts there against it and typecheck that example against the shipped .d.ts files.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSync, transformSync } from 'esbuild';

const root = process.cwd();
const work = mkdtempSync(join(tmpdir(), 'hvar-pack-'));
const project = join(work, 'consumer');
const sh = (cmd: string, args: string[], cwd: string) => {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp' }, maxBuffer: 64 << 20 });
  return { code: r.status, out: (r.stdout ?? '') + (r.stderr ?? '') };
};
const tsc = join(root, 'node_modules/typescript/bin/tsc');
const TSCONFIG = { compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: false, types: [] } };

test('npm pack gives a tarball with the library, its types and the CLI, and no sources or benchmarks', () => {
  const r = sh('npm', ['pack', '--pack-destination', work, '--json', '--silent'], root);
  assert.is(r.code, 0, r.out);
  const files: string[] = JSON.parse(r.out.slice(r.out.indexOf('['))).flatMap((p: any) => p.files.map((f: any) => f.path));
  for (const f of ['dist/index.mjs', 'dist/node.mjs', 'dist/browser.mjs', 'dist/internal.mjs', 'dist/hvar.mjs', 'dist/types/index.d.ts', 'dist/types/node.d.ts', 'LICENSE'])
    assert.ok(files.includes(f), `${f} missing from the tarball`);
  assert.not.ok(files.some((f) => f.startsWith('src/') || f.startsWith('test/') || f.startsWith('dist/bench')), `sources or benchmarks packed: ${files.filter((f) => !f.startsWith('dist/')).join(', ')}`);
  // the embedded model and its card ship with the package, within the package's weight budget
  if (existsSync(join(root, 'models/hvar-small.safetensors'))) {
    for (const f of ['models/hvar-small.safetensors', 'models/hvar-small.md']) assert.ok(files.includes(f), `${f} missing from the tarball`);
    const tgz = readdirSync(work).find((f) => f.endsWith('.tgz'))!;
    assert.ok(statSync(join(work, tgz)).size <= 30 * 2 ** 20, `tarball ${statSync(join(work, tgz)).size} bytes, over 30 MiB`);
  }
});

test('the tarball installs into an empty project and the example runs there', () => {
  const tgz = readdirSync(work).find((f) => f.endsWith('.tgz'));
  assert.ok(tgz, 'no tarball');
  spawnSync('mkdir', ['-p', project]);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  const inst = sh('npm', ['install', join(work, tgz!), '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', '--silent'], project);
  assert.is(inst.code, 0, inst.out);
  const src = readFileSync(join(root, 'examples/package/example.ts'), 'utf8');
  writeFileSync(join(project, 'example.ts'), src);
  writeFileSync(join(project, 'example.mjs'), transformSync(src, { loader: 'ts', format: 'esm' }).code);
  const run = sh(process.execPath, ['example.mjs'], project);
  assert.is(run.code, 0, run.out);
  assert.match(run.out, /^matmul \[ 4, 5, 10, 11 \]$/m);
  // AdamW's first step moves each weight by lr against the sign of its gradient; exp_avg = (1 − β1)·g = 0.1·2w.
  const m = /^adamw \[ ([-\d.e]+), ([-\d.e]+) \] \[ ([-\d.e]+), ([-\d.e]+) \]$/m.exec(run.out);
  assert.ok(m, run.out);
  const [w0, w1, m0, m1] = m!.slice(1).map(Number) as [number, number, number, number];
  assert.ok(Math.abs(w0 - 0.9) < 1e-5 && Math.abs(w1 + 0.9) < 1e-5, `weights ${w0}, ${w1}`);
  assert.ok(Math.abs(m0 - 0.2) < 1e-6 && Math.abs(m1 + 0.2) < 1e-6, `exp_avg ${m0}, ${m1}`);
});

test('the example typechecks against the published types, and a misuse does not', () => {
  writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({ ...TSCONFIG, files: ['example.ts'] }));
  const ok = sh(process.execPath, [tsc, '-p', '.'], project);
  assert.is(ok.code, 0, ok.out);
  const bad = readFileSync(join(project, 'example.ts'), 'utf8').replace('opt.step();', 'opt.stepUpdate();');
  writeFileSync(join(project, 'bad.ts'), bad);
  writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({ ...TSCONFIG, files: ['bad.ts'] }));
  const no = sh(process.execPath, [tsc, '-p', '.'], project);
  assert.is.not(no.code, 0);
  assert.match(no.out, /stepUpdate/);
});

test('a browser bundle of the installed package resolves its browser entry and needs no Node module', () => {
  writeFileSync(join(project, 'page.js'), "import { Device, ops } from 'hvar';\nconsole.log(typeof Device.create, typeof ops.resample);\n");
  const r = buildSync({ entryPoints: [join(project, 'page.js')], bundle: true, platform: 'browser', format: 'esm', write: false, logLevel: 'silent', absWorkingDir: project });
  const js = r.outputFiles[0]!.text;
  assert.match(js, /webgpu \(Dawn for Node\) is not available in a browser/, 'the bundle did not take dist/browser.mjs');
  assert.not.match(js, /\bimport\s*\(?\s*["'](node:|webgpu["'])/, 'the browser bundle still imports a Node module');
});

test.after(() => rmSync(work, { recursive: true, force: true }));
test.run();
