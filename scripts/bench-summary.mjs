// Writes summary.md for a folder of benchmark results made by scripts/bench-gpu.sh: the machine and adapter (doctor.json), each
// step's status and time (steps.tsv), the paper table (paper-latest.md) and the kernel table (latest.md). Temp file, then rename.
// Usage: node scripts/bench-summary.mjs DIR [--quick]
import { existsSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { execSync } from 'node:child_process';
import { cpus, hostname, loadavg } from 'node:os';
import { join } from 'node:path';

const [dir, ...rest] = process.argv.slice(2);
if (!dir || !existsSync(dir)) { console.error(`bench-summary: give the results folder (got '${dir ?? ''}')`); process.exit(2); }
const quick = rest.includes('--quick');
const read = (f) => (existsSync(join(dir, f)) ? readFileSync(join(dir, f), 'utf8') : null);
const sh = (c) => { try { return execSync(c, { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim(); } catch { return ''; } };

let doctor = null;
try { doctor = JSON.parse(read('doctor.json') ?? 'null'); } catch { /* reported below */ }
const steps = (read('steps.tsv') ?? '').trim().split('\n').slice(1).filter(Boolean).map((l) => l.split('\t'));
/** The first Markdown table of a file, with the lines just above it that are not headings. */
const table = (text) => {
  if (!text) return ['(not written)'];
  const lines = text.split('\n'), i = lines.findIndex((l) => l.startsWith('|'));
  if (i < 0) return ['(no table)'];
  let j = i;
  while (j < lines.length && lines[j].startsWith('|')) j++;
  return lines.slice(i, j);
};
const files = readdirSync(dir).filter((f) => /\.(json|md|png|log|tsv)$/.test(f)).sort();
const adapter = doctor ? [doctor.vendor, doctor.architecture, doctor.device, doctor.description].filter(Boolean).join(' / ') : '(doctor.json missing or unreadable)';

const md = [
  `# GPU benchmark run${quick ? ' (--quick smoke run)' : ''}`, '',
  `- date ${new Date().toISOString().slice(0, 16)}Z, git ${sh('git rev-parse --short HEAD') || '?'}${sh('git status --porcelain --untracked-files=no') ? ' (dirty)' : ''}, host ${hostname()}, ${cpus()[0]?.model ?? '?'} ×${cpus().length}, load ${loadavg().map((x) => x.toFixed(1)).join('/')}`,
  `- adapter: ${adapter}${doctor ? ` (${doctor.runtime}); features ${(doctor.features ?? []).join(', ')}; smoke test ${doctor.smokeTest?.ok ? 'ok' : 'FAILED'}` : ''}`, '',
  '| step | status | seconds | limit (s) | command |', '|---|---|---|---|---|',
  ...steps.map(([name, status, s, limit, cmd]) => `| ${name} | ${status} | ${s} | ${limit} | \`${cmd}\` |`), '',
  '## Paper benchmark (paper-latest.md)', '', ...table(read('paper-latest.md')), '',
  '## Kernels (latest.md)', '', ...table(read('latest.md')), '',
  `Files: ${files.join(', ')}. Each step's output is in <step>.log.`, '',
];
const out = join(dir, 'summary.md');
writeFileSync(out + '.tmp', md.join('\n'));
renameSync(out + '.tmp', out);
console.log(`wrote ${out}`);
