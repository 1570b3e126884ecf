// scripts/build.mjs skips an esbuild output while it is up to date: a second build runs none of them; touching a file
// that only the CLI reads rebuilds the CLI alone; --force rebuilds everything.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';

const root = process.cwd();
const stateFile = join(root, 'dist/.build-state.json');
type Entry = { started: number; inputs: string[]; outputs: string[] };

function build(...flags: string[]): Record<string, Entry> {
  const r = spawnSync(process.execPath, ['scripts/build.mjs', '--quiet', '--no-types', ...flags], { cwd: root, encoding: 'utf8' });
  assert.is(r.status, 0, `build failed: ${r.stderr}`);
  return JSON.parse(readFileSync(stateFile, 'utf8'));
}
const started = (s: Record<string, Entry>) => Object.fromEntries(Object.entries(s).map(([k, v]) => [k, v.started]));
const cliKey = (s: Record<string, Entry>) => {
  const keys = Object.keys(s).filter((k) => k.includes('src/cli/main.ts'));
  assert.is(keys.length, 1, 'one CLI build recorded');
  return keys[0];
};

test('a second build skips every output; an input of the CLI alone rebuilds the CLI alone; --force rebuilds all', () => {
  const first = build();
  const cli = cliKey(first);
  assert.ok(first[cli].outputs.includes('dist/hvar.mjs'), 'the CLI build writes dist/hvar.mjs');
  assert.ok(first[cli].inputs.includes('src/cli/main.ts'), 'its inputs are the files esbuild read');
  assert.ok(Object.keys(first).length >= 4, 'library, browser, demo page and CLI at least');

  const second = build();
  assert.equal(started(second), started(first), 'nothing rebuilt');

  // src/cli/main.ts is read by the CLI build only: touch it (content unchanged) after the last build started.
  const main = join(root, 'src/cli/main.ts'), t = statSync(main);
  const now = new Date(Math.max(Date.now(), second[cli].started + 10));
  utimesSync(main, t.atime, now);
  const third = build();
  assert.ok(third[cli].started > second[cli].started, 'the CLI was rebuilt');
  for (const [k, v] of Object.entries(third)) if (k !== cli && !v.inputs.includes('src/cli/main.ts')) assert.is(v.started, second[k]?.started ?? v.started, `not rebuilt: ${k.slice(0, 80)}`);

  const forced = build('--force');
  for (const [k, v] of Object.entries(forced)) assert.ok(v.started > (third[k]?.started ?? 0), `--force rebuilt ${k.slice(0, 80)}`);
});

test.run();
