// Benchmark: HR/LR training pairs per second (512 crop -> 128 LR, Real-ESRGAN x4), degradation alone and with decode+crop.
// Run: npx esbuild --bundle --platform=node --format=esm --packages=external bench/data_pairs.ts --outfile=.build/data_pairs.mjs && node .build/data_pairs.mjs [--pairs 12] [--stages cpu,gpu] [--no-usm]
// Writes bench/results/data_pairs-<timestamp>.json and prints Markdown tables. Stage implementations are pluggable
// (STAGE_IMPLS): 'cpu' runs every stage in JS, 'gpu' runs blur/sinc/USM/resize/noise on the WebGPU adapter (JPEG
// stays on the CPU). With several implementations the runs alternate between them (pair by pair, then loader batch
// by loader batch), so that a machine whose load changes during the run treats them alike.
import { writeFileAtomic } from '../src/io/atomic.ts';
import { execSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { cpus } from 'node:os';
import type { ImageCHW } from '../src/io/image.ts';
import { readImage } from '../src/io/image.ts';
import { cropFlip, scanDataset } from '../src/train/data/dataset.ts';
import { DataLoader } from '../src/train/data/loader.ts';
import { StreamRng } from '../src/train/data/rng.ts';
import { realEsrganConfig } from '../src/train/data/degrade/config.ts';
import { applyDegradePlan, cpuDegradeOps, sampleDegradePlan, type DegradeOps, type DegradePlan } from '../src/train/data/degrade/pipeline.ts';
import { assertCpuImage, gpuDegradeOps, type GpuImage } from '../src/train/data/degrade/gpu.ts';
import { Device } from '../src/engine/index.ts';

/**
 * A stage implementation: ops that turn an ImageCHW HR crop into an ImageCHW LR (intermediates may live on a GPU),
 * `sync` to wait for queued GPU work (per-op timing only), `close` to release the device.
 */
interface StageImpl { ops: DegradeOps<GpuImage>; sync?: () => Promise<void>; close?: () => void; adapter?: unknown }
export const STAGE_IMPLS: Record<string, () => Promise<StageImpl>> = {
  cpu: async () => ({ ops: cpuDegradeOps }),
  gpu: async () => {
    const dev = await Device.create();
    return { ops: gpuDegradeOps(dev), sync: () => dev.sync(), close: () => dev.destroy(), adapter: dev.report() };
  },
};

const DATA = process.env.HVAR_DATA ?? new URL('../data/train-2k', import.meta.url).pathname;
const CROP = 512, SCALE = 4;

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
}

/** Wrap ops to accumulate wall time per op kind; `sync` (GPU) makes each op's queued work count towards it. */
function timed(ops: DegradeOps<GpuImage>, acc: Record<string, number>, sync?: () => Promise<void>): DegradeOps<GpuImage> {
  const wrap = <A extends unknown[]>(k: string, f: (...a: A) => GpuImage | Promise<GpuImage>) => async (...a: A) => {
    const t0 = performance.now();
    const r = await f(...a);
    if (sync) await sync();
    acc[k] = (acc[k] ?? 0) + performance.now() - t0;
    return r;
  };
  return { usm: wrap('usm', ops.usm), blur: wrap('blur', ops.blur), resize: wrap('resize', ops.resize), noise: wrap('noise', ops.noise),
    jpeg: wrap('jpeg', ops.jpeg), quantize: wrap('quantize', ops.quantize) };
}

function gitRev(): string | null {
  try { return execSync('git rev-parse HEAD', { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim(); } catch { return null; }
}

const pairs = Number(arg('pairs', '12')), implNames = arg('stages', 'cpu').split(','), usm = !process.argv.includes('--no-usm');
for (const n of implNames) if (!STAGE_IMPLS[n]) throw new Error(`unknown --stages ${n}; have ${Object.keys(STAGE_IMPLS).join(', ')}`);
const impls = Object.fromEntries(await Promise.all(implNames.map(async (n) => [n, await STAGE_IMPLS[n]!()] as const)));
const cfg = { ...realEsrganConfig(SCALE), usm };
const degrade = async (hr: ImageCHW, plan: DegradePlan, ops: DegradeOps<GpuImage>) => {
  const lr = assertCpuImage(await applyDegradePlan<GpuImage>(hr, plan, ops), 'data_pairs');
  if (lr.h !== CROP / SCALE || lr.w !== CROP / SCALE) throw new Error(`bad LR size ${lr.h}x${lr.w}`);
  return lr;
};

// 1) degradation only: pre-decoded 512 crops from a few photos; pairs alternate between the implementations.
const photos = await Promise.all(['mate_ladybird.jpg', 'plasma_fallenleaf.jpg', 'lomiri_bridge.jpg'].map((f) => readImage(`${DATA}/${f}`)));
const crops = Array.from({ length: pairs }, (_, i) => {
  const p = photos[i % photos.length]!, r = StreamRng.fromSeed(1000 + i);
  return cropFlip(p, r.int(p.h - CROP + 1), r.int(p.w - CROP + 1), CROP, false, false);
});
const plans = crops.map((_, i) => sampleDegradePlan(StreamRng.fromSeed(i), cfg, CROP, CROP));
const seconds: Record<string, number> = {}, stageMs: Record<string, Record<string, number>> = {};
for (const [name, impl] of Object.entries(impls)) {
  stageMs[name] = {};
  seconds[name] = 0;
  await degrade(crops[0]!, sampleDegradePlan(StreamRng.fromSeed(-1), cfg, CROP, CROP), impl.ops); // warm-up (JIT, pipelines)
}
for (let i = 0; i < pairs; i++) for (const [name, impl] of Object.entries(impls)) {
  // Synchronous (CPU) ops are timed per op in this pass; asynchronous ones only as a whole (see the next pass).
  const ops = impl.sync ? impl.ops : timed(impl.ops, stageMs[name]!);
  const t0 = performance.now();
  await degrade(crops[i]!, plans[i]!, ops);
  seconds[name]! += (performance.now() - t0) / 1000;
}
// Per-op times of asynchronous implementations: the same pairs again, waiting for the GPU after every op.
for (const [name, impl] of Object.entries(impls)) {
  if (!impl.sync) continue;
  const ops = timed(impl.ops, stageMs[name]!, impl.sync);
  for (let i = 0; i < pairs; i++) await degrade(crops[i]!, plans[i]!, ops);
}

// 2) end to end through the DataLoader (file read + JPEG decode + crop/flip + degradation), 1 and 4 crops per decode.
const scan = await scanDataset({ roots: [DATA], crop: CROP, split: 'all' });
const e2e: Record<string, { cropsPerImage: number; pairs: number; seconds: number; decodeMs: number; lrMs: number; pairsPerSec: number }[]> = {};
for (const cropsPerImage of [1, 4]) for (const [name, impl] of Object.entries(impls)) {
  const n = Math.max(cropsPerImage, Math.floor(pairs / 2 / cropsPerImage) * cropsPerImage);
  const loader = new DataLoader({ entries: scan.entries, crop: CROP, batchSize: n, rng: StreamRng.fromSeed(7), cropsPerImage, prefetch: 1,
    makeLr: (hr, rng) => degrade(hr, sampleDegradePlan(rng, cfg, hr.h, hr.w), impl.ops) });
  const t0 = performance.now();
  const it = loader.epoch(0);
  const b = (await it.next()).value;
  const s = (performance.now() - t0) / 1000;
  await it.return(undefined);
  if (!b || b.n !== n) throw new Error('loader produced no batch');
  (e2e[name] ??= []).push({ cropsPerImage, pairs: n, seconds: s, decodeMs: loader.stats.decodeMs, lrMs: loader.stats.lrMs, pairsPerSec: n / s });
}

const cpu = cpus();
const result = {
  bench: 'data_pairs', date: new Date().toISOString(), git: gitRev(), node: process.version,
  cpu: { model: cpu[0]?.model ?? 'unknown', cores: cpu.length }, stages: implNames.join(','), usm, crop: CROP, scale: SCALE,
  adapter: Object.values(impls).find((x) => x.adapter)?.adapter ?? null,
  runs: Object.fromEntries(implNames.map((name) => [name, {
    degradeOnly: { pairs, seconds: seconds[name]!, pairsPerSec: pairs / seconds[name]!,
      msPerOp: Object.fromEntries(Object.entries(stageMs[name]!).map(([k, v]) => [k, v / pairs])) },
    endToEnd: e2e[name]!,
  }])),
};
for (const impl of Object.values(impls)) impl.close?.();
mkdirSync('bench/results', { recursive: true });
const file = `bench/results/data_pairs-${result.date.replace(/[:.]/g, '-')}.json`;
writeFileAtomic(file, JSON.stringify(result, null, 1));

const f2 = (v: number) => v.toFixed(2);
console.log(`\n### data_pairs (${result.stages} stages, ${CROP} crop -> ${CROP / SCALE} LR, usm ${usm}) — ${result.cpu.model} x${result.cpu.cores}, node ${result.node}, git ${result.git?.slice(0, 10) ?? 'n/a'}\n`);
console.log('| stages | pipeline | pairs | seconds | pairs/s |\n|---|---|---:|---:|---:|');
for (const [name, r] of Object.entries(result.runs)) {
  console.log(`| ${name} | degradation only (pre-decoded crops) | ${pairs} | ${f2(r.degradeOnly.seconds)} | ${f2(r.degradeOnly.pairsPerSec)} |`);
  for (const e of r.endToEnd) console.log(`| ${name} | decode + crop + degrade, ${e.cropsPerImage} crop/decode | ${e.pairs} | ${f2(e.seconds)} | ${f2(e.pairsPerSec)} |`);
}
const opNames = [...new Set(Object.values(result.runs).flatMap((r) => Object.keys(r.degradeOnly.msPerOp)))];
console.log(`\n| op (ms per pair${impls.gpu ? '; GPU ops waited for one by one' : ''}) | ${implNames.join(' | ')} |\n|---|${implNames.map(() => '---:').join('|')}|`);
for (const op of opNames) console.log(`| ${op} | ${implNames.map((n) => result.runs[n]!.degradeOnly.msPerOp[op]?.toFixed(1) ?? '–').join(' | ')} |`);
console.log(`\nwrote ${file}`);
