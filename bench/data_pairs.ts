// Benchmark: HR/LR training pairs per second (512 crop -> 128 LR, Real-ESRGAN x4), degradation alone and with decode+crop.
// Run: npx esbuild --bundle --platform=node --format=esm --packages=external bench/data_pairs.ts --outfile=.build/data_pairs.mjs && node .build/data_pairs.mjs [--pairs 12] [--stages cpu] [--no-usm]
// Writes bench/results/data_pairs-<timestamp>.json and prints a Markdown table. Stage implementations are pluggable
// (STAGE_IMPLS): a GPU DegradeOps can be registered next to 'cpu' once the engine has blur/resize/noise kernels.
import { execSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import type { ImageCHW } from '../src/io/image.ts';
import { readImage } from '../src/io/image.ts';
import { cropFlip, scanDataset } from '../src/train/data/dataset.ts';
import { DataLoader } from '../src/train/data/loader.ts';
import { Rng } from '../src/train/data/rng.ts';
import { realEsrganConfig } from '../src/train/data/degrade/config.ts';
import { applyDegradePlan, cpuDegradeOps, sampleDegradePlan, type DegradeOps } from '../src/train/data/degrade/pipeline.ts';

/** Stage implementations by name; each must turn an ImageCHW HR crop into an ImageCHW LR. */
export const STAGE_IMPLS: Record<string, () => Promise<DegradeOps<ImageCHW>>> = {
  cpu: async () => cpuDegradeOps,
};

const DATA = process.env.HVAR_DATA ?? new URL('../../shared/data/train-2k', import.meta.url).pathname;
const CROP = 512, SCALE = 4;

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
}

/** Wrap ops to accumulate wall time per op kind. */
function timed(ops: DegradeOps<ImageCHW>, acc: Record<string, number>): DegradeOps<ImageCHW> {
  const wrap = <A extends unknown[]>(k: string, f: (...a: A) => ImageCHW | Promise<ImageCHW>) => async (...a: A) => {
    const t0 = performance.now();
    const r = await f(...a);
    acc[k] = (acc[k] ?? 0) + performance.now() - t0;
    return r;
  };
  return { usm: wrap('usm', ops.usm), blur: wrap('blur', ops.blur), resize: wrap('resize', ops.resize), noise: wrap('noise', ops.noise),
    jpeg: wrap('jpeg', ops.jpeg), quantize: wrap('quantize', ops.quantize) };
}

function gitRev(): string | null {
  try { return execSync('git rev-parse HEAD', { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim(); } catch { return null; }
}

const pairs = Number(arg('pairs', '12')), impl = arg('stages', 'cpu'), usm = !process.argv.includes('--no-usm');
if (!STAGE_IMPLS[impl]) throw new Error(`unknown --stages ${impl}; have ${Object.keys(STAGE_IMPLS).join(', ')}`);
const ops = await STAGE_IMPLS[impl]();
const cfg = { ...realEsrganConfig(SCALE), usm };

// 1) degradation only: pre-decoded 512 crops from a few photos.
const photos = await Promise.all(['mate_ladybird.jpg', 'plasma_fallenleaf.jpg', 'lomiri_bridge.jpg'].map((f) => readImage(`${DATA}/${f}`)));
const crops = Array.from({ length: pairs }, (_, i) => {
  const p = photos[i % photos.length], r = Rng.fromSeed(1000 + i);
  return cropFlip(p, r.int(p.h - CROP + 1), r.int(p.w - CROP + 1), CROP, false, false);
});
const stageMs: Record<string, number> = {};
const tops = timed(ops, stageMs);
await applyDegradePlan(crops[0], sampleDegradePlan(Rng.fromSeed(1), cfg, CROP, CROP), ops); // warm-up (JIT)
let t0 = performance.now();
for (let i = 0; i < pairs; i++) {
  const lr = await applyDegradePlan(crops[i], sampleDegradePlan(Rng.fromSeed(i), cfg, CROP, CROP), tops);
  if (lr.h !== CROP / SCALE) throw new Error('bad LR size');
}
const degradeS = (performance.now() - t0) / 1000;

// 2) end to end through the DataLoader (file read + JPEG decode + crop/flip + degradation), 1 and 4 crops per decode.
const scan = await scanDataset({ roots: [DATA], crop: CROP, split: 'all' });
const e2e: { cropsPerImage: number; pairs: number; seconds: number; decodeMs: number; lrMs: number }[] = [];
for (const cropsPerImage of [1, 4]) {
  const n = Math.max(cropsPerImage, Math.floor(pairs / 2 / cropsPerImage) * cropsPerImage);
  const loader = new DataLoader({ entries: scan.entries, crop: CROP, batchSize: n, rng: Rng.fromSeed(7), cropsPerImage, prefetch: 1,
    makeLr: (hr, rng) => applyDegradePlan(hr, sampleDegradePlan(rng, cfg, hr.h, hr.w), ops) });
  t0 = performance.now();
  const it = loader.epoch(0);
  const b = (await it.next()).value;
  const seconds = (performance.now() - t0) / 1000;
  await it.return(undefined);
  if (!b || b.n !== n) throw new Error('loader produced no batch');
  e2e.push({ cropsPerImage, pairs: n, seconds, decodeMs: loader.stats.decodeMs, lrMs: loader.stats.lrMs });
}

const cpu = cpus();
const result = {
  bench: 'data_pairs', date: new Date().toISOString(), git: gitRev(), node: process.version,
  cpu: { model: cpu[0]?.model ?? 'unknown', cores: cpu.length }, stages: impl, usm, crop: CROP, scale: SCALE,
  degradeOnly: { pairs, seconds: degradeS, pairsPerSec: pairs / degradeS, msPerOp: Object.fromEntries(Object.entries(stageMs).map(([k, v]) => [k, v / pairs])) },
  endToEnd: e2e.map((r) => ({ ...r, pairsPerSec: r.pairs / r.seconds })),
};
mkdirSync('bench/results', { recursive: true });
const file = `bench/results/data_pairs-${result.date.replace(/[:.]/g, '-')}.json`;
writeFileSync(file, JSON.stringify(result, null, 1));

const f2 = (v: number) => v.toFixed(2);
console.log(`\n### data_pairs (${impl} stages, ${CROP} crop -> ${CROP / SCALE} LR, usm ${usm}) — ${result.cpu.model} x${result.cpu.cores}, node ${result.node}, git ${result.git?.slice(0, 10) ?? 'n/a'}\n`);
console.log('| pipeline | pairs | seconds | pairs/s |\n|---|---:|---:|---:|');
console.log(`| degradation only (pre-decoded crops) | ${pairs} | ${f2(degradeS)} | ${f2(pairs / degradeS)} |`);
for (const r of result.endToEnd) console.log(`| decode + crop + degrade, ${r.cropsPerImage} crop/decode | ${r.pairs} | ${f2(r.seconds)} | ${f2(r.pairsPerSec)} |`);
console.log('\n| op | ms per pair |\n|---|---:|');
for (const [k, v] of Object.entries(result.degradeOnly.msPerOp).sort((a, b) => b[1] - a[1])) console.log(`| ${k} | ${v.toFixed(1)} |`);
console.log(`\nwrote ${file}`);
