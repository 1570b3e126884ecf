// Running the GPU shell scripts (scripts/bench-gpu.sh, scripts/train-gpu.sh) from tests, and the argument errors they share.
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

/** A runner of `bash scripts/NAME ARGS` in the repository, with XDG_RUNTIME_DIR set and a timeout in seconds. */
export function scriptRunner(repo: string, name: string) {
  return (args: string[], timeoutS = 480) => spawnSync('bash', [join(repo, 'scripts', name), ...args],
    { cwd: repo, encoding: 'utf8', timeout: timeoutS * 1000, env: { ...process.env, XDG_RUNTIME_DIR: '/tmp' } });
}

/** The errors gpu-steps.sh's gpu_args gives: an unknown option and a second OUT_DIR each exit 2, naming the script and the argument. */
export function checkArgErrors(run: ReturnType<typeof scriptRunner>, name: string): void {
  const a = run(['--fast']);
  assert.is(a.status, 2);
  assert.match(a.stderr, `${name}: unknown option '--fast'`);
  const b = run(['/tmp/x', '/tmp/y']);
  assert.is(b.status, 2);
  assert.match(b.stderr, `${name}: one OUT_DIR only (got '/tmp/x' and '/tmp/y')`);
}
