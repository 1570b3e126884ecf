// Benchmark: VAR's multi-scale quantizer on 32×32×32 latents over the 10-scale 512 schedule (V = 4096, C = 32):
// tokenize, tokenize + teacher input, decode, the last scale's nearest-code search alone; ms per image and dispatches.
// Run: npm run bench:quantizer (builds dist/bench-quantizer.mjs and runs it)
//      && node .build/quantizer.bench.mjs [--repeats 5] [--warmup 1] [--budget 60] [--batch 4]
// Writes bench/results/quantizer-<date>.json (adapter report, git rev) and prints a Markdown table.
import { writeFileAtomic } from '../src/io/atomic.ts';
import { execSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { Device, fromArray, noGrad, type Tensor } from '../src/engine/index.ts';
import { MultiScaleQuantizer } from '../src/models/quant/quantizer.ts';
import { VAR_SCHEDULES } from '../src/models/quant/schedule.ts';
import { nearestCodeArea, prepareCodebook } from '../src/engine/ops/vq.ts';
import { measure, type Contender, type Stats } from './harness.ts';

const args = process.argv.slice(2);
const opt = (name: string, def: number) => { const i = args.indexOf(`--${name}`); return i >= 0 ? Number(args[i + 1]) : def; };
const hopts = { warmup: opt('warmup', 1), repeats: opt('repeats', 5), budgetS: opt('budget', 60) };
const [V, C, S, batch] = [4096, 32, 32, opt('batch', 4)];
const scales = VAR_SCHEDULES[512];

function values(n: number, seed: number, scale = 1): Float32Array {
  const v = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; v[i] = (s / 2 ** 31 - 1) * scale; }
  return v;
}
const gitRev = () => { try { return execSync('git rev-parse HEAD', { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim(); } catch { return null; } };

const dev = await Device.create();
const q = MultiScaleQuantizer.var({ vocab: V, width: C, scales }, {
  codebook: fromArray(dev, values(V * C, 1), [V, C]),
  phiW: [0, 1, 2, 3].map((i) => fromArray(dev, values(C * C * 9, 10 + i, 1 / Math.sqrt(C * 9)), [C, C, 3, 3])),
  phiB: [0, 1, 2, 3].map((i) => fromArray(dev, values(C, 20 + i, 0.05), [C])),
});
const latent = (B: number) => fromArray(dev, values(B * C * S * S, 7 + B, 1.5), [B, C, S, S]).keep();
const f1 = latent(1), fB = latent(batch);
const ids1 = noGrad(dev, () => q.tokenize(f1).idx_BL.keep());
const prepared = prepareCodebook(q.codebook);
const preparedQ = q.prepare();
await dev.sync();

const free = (r: { idx_BL?: Tensor; fHats: Tensor[]; varInput: Tensor | null; usage: Tensor | null }, keepIdx = false) => {
  if (!keepIdx) r.idx_BL?.dispose();
  r.fHats.forEach((t) => t.dispose()); r.varInput?.dispose(); r.usage?.dispose();
};
const cases: { name: string; what: string; images: number; run: () => void }[] = [
  { name: 'tokenize B=1', what: 'ids + f_hat + usage counts', images: 1, run: () => free(q.tokenize(f1, { usage: true })) },
  { name: 'tokenize B=1, prepared', what: 'as above with the parameter layouts made once (prepare())', images: 1, run: () => free(q.tokenize(f1, { usage: true, prepared: preparedQ })) },
  { name: 'tokenize+teacher B=1', what: 'ids + f_hat + usage + teacher-forcing input [1, 2239, 32]', images: 1, run: () => free(q.tokenize(f1, { usage: true, teacherInput: true })) },
  { name: `tokenize B=${batch}`, what: 'ids + f_hat + usage counts', images: batch, run: () => free(q.tokenize(fB, { usage: true })) },
  { name: 'decode B=1', what: 'ids -> f_hat', images: 1, run: () => free(q.decode(ids1), true) },
  { name: 'nearestCode 1024x4096x32', what: 'last scale alone: 1024 rows, fused distance + argmin + lookup', images: 1,
    run: () => { const r = nearestCodeArea(f1, q.codebook, S, S, { prepared, lookup: true }); r.idx.dispose(); r.h!.dispose(); } },
];

const rows: { name: string; what: string; images: number; dispatches: number; submits: number; stats: Stats; msPerImage: number; load: [number, number] }[] = [];
for (const c of cases) {
  const d0 = dev.stats.dispatches, s0 = dev.stats.submits;
  noGrad(dev, c.run);
  await dev.sync();
  const dispatches = dev.stats.dispatches - d0, submits = dev.stats.submits - s0;
  const load0 = loadavg()[0]!;
  const contender: Contender = { name: c.name, run: async () => { noGrad(dev, c.run); await dev.sync(); } };
  const stats = (await measure([contender], hopts))[c.name]!;
  rows.push({ name: c.name, what: c.what, images: c.images, dispatches, submits, stats, msPerImage: stats.medianMs / c.images, load: [load0, loadavg()[0]!] });
}

const cpu = cpus();
const result = {
  bench: 'quantizer', date: new Date().toISOString(), git: gitRev(), node: process.version, cpu: { model: cpu[0]?.model ?? 'unknown', cores: cpu.length },
  adapter: dev.report(), config: { V, C, side: S, scales, tokens: q.tokens, batch }, harness: hopts, rows,
};
mkdirSync('bench/results', { recursive: true });
const file = `bench/results/quantizer-${result.date.replace(/[:.]/g, '-')}.json`;
writeFileAtomic(file, JSON.stringify(result, null, 1));

const a = result.adapter;
console.log(`\n### quantizer (V=${V}, C=${C}, 32x32 latent, scales ${scales.join(',')}) — ${a.description || a.device || a.vendor} (${a.runtime}), git ${result.git?.slice(0, 10) ?? 'n/a'}\n`);
console.log('| case | ms (median) | p10–p90 | ms / image | dispatches | submits |\n|---|---:|---:|---:|---:|---:|');
for (const r of rows) console.log(`| ${r.name} | ${r.stats.medianMs.toFixed(1)} | ${r.stats.p10Ms.toFixed(1)}–${r.stats.p90Ms.toFixed(1)} | ${r.msPerImage.toFixed(1)} | ${r.dispatches} | ${r.submits} |`);
console.log(`\nwrote ${file}`);
dev.destroy();
