// Runs the `hvar` command in a child process whose stderr drops Dawn's two start-up warnings about reduced
// maxDynamic*BuffersPerPipelineLayout limits (printed by native code on every adapter request, so they cannot be
// filtered in-process). HVAR_DEBUG=1 shows them; everything else on stderr passes through unchanged, line by line.
import { spawn } from 'node:child_process';

const DAWN_NOISE = /^Warning: maxDynamic(Uniform|Storage)BuffersPerPipelineLayout artificially reduced from \d+ to \d+/;

/** True in the child (or when filtering is off): the caller then runs the command itself. */
export function runsHere(): boolean { return !!process.env.HVAR_DEBUG || process.env.HVAR_QUIET_DAWN_CHILD === '1'; }

/** Re-runs this process's command line in a child with the filter; resolves to the child's exit code. */
export function runFiltered(): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
      stdio: ['inherit', 'inherit', 'pipe'], env: { ...process.env, HVAR_QUIET_DAWN_CHILD: '1' },
    });
    let rest = '';
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop()!;
      for (const l of lines) if (!DAWN_NOISE.test(l)) process.stderr.write(l + '\n');
    });
    child.stderr!.on('end', () => { if (rest && !DAWN_NOISE.test(rest)) process.stderr.write(rest); });
    for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => child.kill(sig));
    child.on('close', (code, signal) => resolve(code ?? (signal ? 128 + 1 : 1)));
  });
}
