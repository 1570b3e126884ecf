// `hvar bench paper|kernels ...`: runs the repository's benchmark programs (dist/bench-paper.mjs, dist/bench.mjs, built beside
// the CLI by scripts/build.mjs; not in the published package), passing the remaining arguments, which each program checks.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const USAGE = `usage: hvar bench paper [--size d16|small|tiny] [--repeats N] [--warmup N] [--cfg X] [--out DIR] [--shares auto|timestamps|isolation|off] [--budget S]
       hvar bench kernels [FILTER ...] [--repeats N] [--warmup N] [--budget S] [--no-tfjs] [--no-roofline] [--wait sleep|spin|both] [--out DIR]
  paper    one full ×4 H-VAR generation (random weights) with and without the KV cache, VQVAE decodes apart, dispatched FLOPs,
           achieved GFLOP/s, time per kernel family; JSON + paper-latest.md (beside the paper's figures) + paper-latest.png
  kernels  every engine kernel at model shapes against tfjs-webgpu on the same adapter, as a share of the measured FMA peak and
           copy bandwidth; JSON + latest.md + latest.png (FILTER: a group — matmul, conv, softmax, layernorm, attention — or part of a case name, e.g. d16)
  Results go to bench/results/ unless --out DIR. See bench/README.md.`;

const PROGRAMS: Record<string, string> = { paper: 'bench-paper.mjs', kernels: 'bench.mjs' };

export async function main(argv: string[]): Promise<number> {
  const [which, ...rest] = argv;
  if (!which || which === '--help' || which === '-h') { console.log(USAGE); return which ? 0 : 2; }
  const file = PROGRAMS[which];
  if (!file) { console.error(`hvar bench: unknown benchmark '${which}' (one of ${Object.keys(PROGRAMS).join(', ')}) (see 'hvar bench --help')`); return 2; }
  if (rest.includes('--help') || rest.includes('-h')) { console.log(USAGE); return 0; }
  const path = fileURLToPath(new URL(`./${file}`, import.meta.url));
  if (!existsSync(path)) {
    console.error(`hvar bench ${which}: ${path} is missing; the benchmarks run from a repository checkout after 'node scripts/build.mjs' (they are not in the published package)`);
    return 1;
  }
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path, ...rest], { stdio: 'inherit' });
    for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => child.kill(sig));
    child.on('close', (code, signal) => resolve(code ?? (signal ? 128 + 15 : 1)));
  });
}
