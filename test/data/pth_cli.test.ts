// The built `hvar convert` and `hvar inspect` commands on the torch-written .pth fixtures: round trip to safetensors, JSON listing, one-line errors.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSafetensors, openSafetensors } from '../../src/engine/io/safetensors.ts';

const root = process.cwd();
const build = spawnSync(process.execPath, ['scripts/build.mjs', '--quiet', '--no-types'], { cwd: root, encoding: 'utf8' });
if (build.status !== 0) throw new Error(`build failed: ${build.stderr}`);
const dir = mkdtempSync(join(tmpdir(), 'hvar-pthcli-'));
const FIX = 'test/fixtures/pth';
type Exp = Record<string, { dtype: string; shape: number[]; values: (number | string)[] }>;
const expected = JSON.parse(readFileSync(join(FIX, 'expected.json'), 'utf8')) as Record<string, Exp> & { pwned: string };
const num = (v: number | string) => (v === 'nan' ? NaN : v === 'inf' ? Infinity : v === '-inf' ? -Infinity : (v as number));

interface Run { code: number | null; out: string; err: string }
function hvar(args: string[]): Run {
  const r = spawnSync(process.execPath, [join(root, 'dist/hvar.mjs'), ...args], { cwd: root, encoding: 'utf8', timeout: 60_000, env: { ...process.env, XDG_RUNTIME_DIR: '/tmp' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
function fails(r: Run, code: number, re: RegExp) {
  assert.is(r.code, code, `exit code (stderr: ${r.err})`);
  const lines = r.err.trimEnd().split('\n');
  assert.is(lines.length, 1, `one line of stderr, got: ${r.err}`);
  assert.match(lines[0]!, re);
}

const ST_DTYPE: Record<string, string> = { float32: 'F32', float16: 'F16', bfloat16: 'BF16', float64: 'F32', int64: 'I64', int32: 'I32', int16: 'I32', int8: 'I32', uint8: 'U8', bool: 'U8' };

test('convert sd.pth: the safetensors file holds every tensor with torch\'s values, dtypes kept as documented', async () => {
  const out = join(dir, 'sd.safetensors');
  const r = hvar(['convert', join(FIX, 'sd.pth'), out]);
  assert.is(r.code, 0, r.err);
  assert.match(r.out, /sd\.pth -> .*sd\.safetensors: 22 tensors, 89 parameters/);
  const f = await openSafetensors(out);
  assert.equal(f.metadata, { format: 'pt', source: 'sd.pth' });
  const got = await loadSafetensors(out);
  assert.equal([...got.keys()], Object.keys(expected.sd!));
  for (const [name, w] of Object.entries(expected.sd!)) {
    const t = got.get(name)!;
    assert.is(t.dtype, ST_DTYPE[w.dtype], name);
    assert.equal(t.shape, w.shape, name);
    w.values.forEach((v, i) => { if (!Object.is(t.data[i], num(v))) assert.unreachable(`${name}[${i}]: ${t.data[i]} vs ${v}`); });
  }
  assert.equal(readdirSync(dir).filter((n) => n.includes('.tmp')), [], 'no temp file left');
});

test('convert --key trainer.vae_local selects the nested state dict', async () => {
  const out = join(dir, 'vae.safetensors');
  const r = hvar(['convert', join(FIX, 'trainer.pth'), out, '--key', 'trainer.vae_local']);
  assert.is(r.code, 0, r.err);
  const got = await loadSafetensors(out);
  assert.equal([...got.keys()], ['w', 'b']);
  assert.equal([...got.get('w')!.data], [1, 2, 3, 4]);
  assert.equal([...got.get('b')!.data], [0.5, -0.5]);
  assert.is((await openSafetensors(out)).metadata?.key, 'trainer.vae_local');
});

test('inspect --json: .pth (tensors, count, parameters, tree) and .safetensors', () => {
  const r = hvar(['inspect', join(FIX, 'trainer.pth'), '--json']);
  assert.is(r.code, 0, r.err);
  const j = JSON.parse(r.out);
  assert.is(j.format, 'pth');
  assert.is(j.count, 5);
  assert.is(j.parameters, 15);
  assert.equal(j.tensors[0], { name: 'trainer.vae_local.w', dtype: 'float32', shape: [2, 2] });
  assert.equal(j.tensors.map((t: { name: string }) => t.name), Object.keys(expected.trainer!));
  assert.is(j.tree.epoch, 3);
  assert.is(j.tree.trainer.var_wo_ddp, 'state dict: 2 tensors, 7 parameters');
  const k = JSON.parse(hvar(['inspect', join(FIX, 'trainer.pth'), '--json', '--key', 'trainer.var_wo_ddp']).out);
  assert.equal(k.tensors, [{ name: 'tied', dtype: 'float32', shape: [2, 2] }, { name: 'e', dtype: 'int64', shape: [3] }]);
  const st = join(dir, 'vae2.safetensors');
  assert.is(hvar(['convert', join(FIX, 'trainer.pth'), st, '--key', 'trainer.vae_local']).code, 0);
  const s = JSON.parse(hvar(['inspect', st, '--json']).out);
  assert.equal(s, { file: st, format: 'safetensors', count: 2, parameters: 6, tensors: [{ name: 'w', dtype: 'F32', shape: [2, 2] }, { name: 'b', dtype: 'F32', shape: [2] }],
    metadata: { format: 'pt', source: 'trainer.pth', key: 'trainer.vae_local' } });
  const text = hvar(['inspect', join(FIX, 'trainer.pth')]);
  assert.is(text.code, 0, text.err);
  assert.match(text.out, /^test\/fixtures\/pth\/trainer\.pth: pth, 5 tensors, 15 parameters\ntree:\n {2}trainer:\n {4}vae_local: state dict: 2 tensors, 6 parameters\n/);
  assert.match(text.out, /\n {2}trainer\.var_wo_ddp\.e +int64 +\[3\]\n/);
});

test('bad flags, missing keys and refused files: one line, exit 2 for usage and 1 for the file, nothing written', () => {
  const out = join(dir, 'bad.safetensors');
  fails(hvar(['convert', join(FIX, 'sd.pth'), out, '--bogus']), 2, /^hvar convert: unknown option '--bogus'/);
  fails(hvar(['convert', join(FIX, 'sd.pth'), out, '--key']), 2, /^hvar convert: --key needs a value/);
  fails(hvar(['convert', join(FIX, 'sd.pth')]), 2, /^hvar convert: missing OUT/);
  fails(hvar(['convert', join(FIX, 'nope.pth'), out]), 2, /^hvar convert: IN: cannot read '.*nope\.pth': no such file/);
  fails(hvar(['inspect', join(FIX, 'sd.pth'), '--jsn']), 2, /^hvar inspect: unknown option '--jsn'/);
  fails(hvar(['inspect', join(dir, 'vae2.safetensors'), '--key', 'x']), 2, /^hvar inspect: --key applies to \.pth files only/);
  fails(hvar(['convert', join(FIX, 'sd.pth'), join(dir, 'x.bin')]), 1, /^hvar: cannot write '.*x\.bin': output extension '\.bin' is not supported \(use \.safetensors\)/);
  fails(hvar(['convert', join(FIX, 'trainer.pth'), out, '--key', 'trainer.vae']), 1, /^pth: '.*trainer\.pth': no key 'trainer\.vae' \(at 'trainer'\); available: vae_local, var_wo_ddp, var_opt$/);
  fails(hvar(['convert', join(FIX, 'evil_os_system.pth'), out]), 1, /^pth: '.*evil_os_system\.pth': refusing global 'os\.system' \(only state-dict contents are allowed\)$/);
  fails(hvar(['inspect', join(FIX, 'evil_reduce.pth')]), 1, /refusing global 'posix\.system'/);
  fails(hvar(['inspect', join(FIX, 'legacy.pth')]), 1, /only the zip format is supported/);
  assert.not.ok(existsSync(out), 'nothing written');
  assert.not.ok(existsSync(expected.pwned as unknown as string), 'the payload never ran');
  for (const cmd of ['convert', 'inspect']) {
    const h = hvar([cmd, '--help']);
    assert.is(h.code, 0);
    assert.match(h.out, new RegExp(`^usage: hvar ${cmd}`));
  }
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
