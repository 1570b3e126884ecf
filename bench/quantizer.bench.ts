// Benchmark: VAR's multi-scale quantizer on 32×32×32 latents over the 10-scale 512 schedule (V = 4096, C = 32):
// tokenize, tokenize + teacher input, decode, the last scale's nearest-code search alone; then the nearest-code
// searches of a HIT tokenize (every scale's area-pool + search + lookup, 1 image) at 256 px (543 tokens) and 512 px
// (2,155 tokens) for the released tokenizer (V 4096, C 32) and the small preset (V 1024, C 16), HIT-512 tokenize, and
// single searches of a few rows (20 per sample, one submit) with the texture kernel forced at any row count (a second
// device with nearestCodeTextureMinRows 0), where the profile's row threshold comes from. ms per image and dispatches.
// Run: npm run bench:quantizer [-- --repeats 5 --warmup 1 --budget 60 --batch 4 --path buffer|texture|both --only SUBSTR]
//   --path: which codebook layouts the path-dependent cases (prepared codebook) run; `both` interleaves them in one
//   measure() call per case (turns buffer, texture, buffer, ...). Cases without a prepared codebook take the default.
// Writes bench/results/quantizer-<date>.json (adapter report, git rev) and prints a Markdown table.
import { writeFileAtomic } from '../src/io/atomic.ts';
import { execSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { Device, fromArray, noGrad, type Tensor } from '../src/engine/index.ts';
import { MultiScaleQuantizer, type PreparedQuantizer } from '../src/models/quant/quantizer.ts';
import { VAR_SCHEDULES, hitSegments, type Segment } from '../src/models/quant/schedule.ts';
import { nearestCodeArea, prepareCodebook, type PreparedCodebook } from '../src/engine/ops/vq.ts';
import { measure, type Contender, type Stats } from './harness.ts';

const args = process.argv.slice(2);
const opt = (name: string, def: number) => { const i = args.indexOf(`--${name}`); return i >= 0 ? Number(args[i + 1]) : def; };
const sopt = (name: string, def: string) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1]! : def; };
const hopts = { warmup: opt('warmup', 1), repeats: opt('repeats', 5), budgetS: opt('budget', 60) };
const [V, C, S, batch] = [4096, 32, 32, opt('batch', 4)];
const scales = VAR_SCHEDULES[512];
type Path = 'buffer' | 'texture';
const pathArg = sopt('path', 'both');
if (!['buffer', 'texture', 'both'].includes(pathArg)) throw new Error(`quantizer bench: --path must be buffer, texture or both, got '${pathArg}'`);
const only = sopt('only', '');

function values(n: number, seed: number, scale = 1): Float32Array {
  const v = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; v[i] = (s / 2 ** 31 - 1) * scale; }
  return v;
}
const gitRev = () => { try { return execSync('git rev-parse HEAD', { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim(); } catch { return null; } };

const dev = await Device.create();
const texOk = dev.profile.subgroups8 && dev.profile.storageTextures;
/** The texture kernel from the first row (the row-threshold cases' texture side). */
const devAll = texOk ? await Device.create({ profile: { nearestCodeTexture: true, nearestCodeTextureMinRows: 0 } }) : null;
const paths: Path[] = pathArg === 'both' ? (texOk ? ['buffer', 'texture'] : ['buffer']) : [pathArg as Path];
if (paths.includes('texture') && !texOk) throw new Error('quantizer bench: --path texture needs subgroups of at least 8 and read-only storage textures, which this adapter lacks');

function quantizer(Vq: number, Cq: number, segments: Segment[]) {
  return new MultiScaleQuantizer({ vocab: Vq, width: Cq, segments, beta: 0.25, quantResi: 0.5, phiCount: 4, phiAtLastScale: true }, {
    codebook: fromArray(dev, values(Vq * Cq, 1 + Vq), [Vq, Cq]),
    phiW: [0, 1, 2, 3].map((i) => fromArray(dev, values(Cq * Cq * 9, 10 + i, 1 / Math.sqrt(Cq * 9)), [Cq, Cq, 3, 3])),
    phiB: [0, 1, 2, 3].map((i) => fromArray(dev, values(Cq, 20 + i, 0.05), [Cq])),
  });
}
const q = MultiScaleQuantizer.var({ vocab: V, width: C, scales }, {
  codebook: fromArray(dev, values(V * C, 1), [V, C]),
  phiW: [0, 1, 2, 3].map((i) => fromArray(dev, values(C * C * 9, 10 + i, 1 / Math.sqrt(C * 9)), [C, C, 3, 3])),
  phiB: [0, 1, 2, 3].map((i) => fromArray(dev, values(C, 20 + i, 0.05), [C])),
});
const latent = (B: number, Cl = C, side = S) => fromArray(dev, values(B * Cl * side * side, 7 + B + side, 1.5), [B, Cl, side, side]).keep();
const f1 = latent(1), fB = latent(batch);
const ids1 = noGrad(dev, () => q.tokenize(f1).idx_BL.keep());
const preparedFor = new Map<Tensor, Map<Path, PreparedCodebook>>();
/** The codebook laid out for `path` (made once per codebook and path). */
const prep = (cb: Tensor, path: Path) => {
  const m = preparedFor.get(cb) ?? new Map<Path, PreparedCodebook>();
  preparedFor.set(cb, m);
  if (!m.has(path)) m.set(path, prepareCodebook(cb, { path }));
  return m.get(path)!;
};
const preparedQ = new Map<MultiScaleQuantizer, Map<Path, PreparedQuantizer>>();
const prepQ = (mq: MultiScaleQuantizer, path: Path) => {
  const m = preparedQ.get(mq) ?? new Map<Path, PreparedQuantizer>();
  preparedQ.set(mq, m);
  if (!m.has(path)) m.set(path, mq.prepare({ search: true, codebookPath: path }));
  return m.get(path)!;
};

const free = (r: { idx_BL?: Tensor; fHats: Tensor[]; varInput: Tensor | null; usage: Tensor | null }, keepIdx = false) => {
  if (!keepIdx) r.idx_BL?.dispose();
  r.fHats.forEach((t) => t.dispose()); r.varInput?.dispose(); r.usage?.dispose();
};

/** The nearest-code searches of one HIT tokenize: per scale, area-pool the segment's latent to pn × pn and search. */
function hitSearches(name: string, Vq: number, Cq: number, px: number) {
  const segs = hitSegments(px / 16), mq = quantizer(Vq, Cq, segs);
  const zs = segs.map((s) => latent(1, Cq, s.side));
  const rows = segs.reduce((n, s) => n + s.scales.reduce((m, pn) => m + pn * pn, 0), 0);
  const run = (path: Path) => () => {
    const p = prep(mq.codebook, path);
    segs.forEach((s, i) => { for (const pn of s.scales) { const r = nearestCodeArea(zs[i]!, mq.codebook, pn, pn, { prepared: p, lookup: true }); r.idx.dispose(); r.h!.dispose(); } });
  };
  return { name: `HIT-${px} searches ${name} (V ${Vq}, C ${Cq})`, what: `${rows} rows over ${segs.reduce((n, s) => n + s.scales.length, 0)} scales: area-pool + search + lookup per scale`,
    images: 1, rows, V: Vq, C: Cq, run };
}
function hitTokenize(Vq: number, Cq: number, px: number) {
  const segs = hitSegments(px / 16), mq = quantizer(Vq, Cq, segs), zs = segs.map((s) => latent(1, Cq, s.side));
  return { name: `tokenize HIT-${px} B=1, prepared (V ${Vq}, C ${Cq})`, what: 'HIT quantizer loop, parameter layouts made once', images: 1,
    run: (path: Path) => () => free(mq.tokenize(zs, { usage: true, prepared: prepQ(mq, path) })) };
}

/** `calls` searches of N rows (V codes, width C) in one submit; the texture side on devAll (texture kernel at any rows). */
function fewRows(N: number, Vq: number, Cq: number, calls = 20) {
  const on = (path: Path) => (path === 'texture' ? devAll! : dev);
  const cbs = new Map<Path, Tensor>(), fs = new Map<Path, Tensor>();
  for (const path of paths) {
    const d = on(path);
    cbs.set(path, fromArray(d, values(Vq * Cq, 1 + Vq), [Vq, Cq]).keep());
    fs.set(path, fromArray(d, values(N * Cq, 3 + N, 1.5), [N, Cq, 1, 1]).keep());
  }
  const run = (path: Path) => {
    const d = on(path), cb = cbs.get(path)!, f = fs.get(path)!;
    return () => noGrad(d, () => { const p = prep(cb, path); for (let i = 0; i < calls; i++) { const r = nearestCodeArea(f, cb, 1, 1, { prepared: p, lookup: true }); r.idx.dispose(); r.h!.dispose(); } });
  };
  return { name: `nearestCode ${N}x${Vq}x${Cq} x${calls}`, what: `${calls} searches of ${N} rows in one submit (texture: the kernel forced from 1 row)`, images: 1,
    rows: N * calls, V: Vq, C: Cq, byPath: true, run, sync: (path: Path) => on(path).sync() };
}

type Case = { name: string; what: string; images: number; rows?: number; V?: number; C?: number; run: ((path: Path) => () => void) | (() => void); byPath?: boolean;
  sync?: (path: Path) => Promise<void> };
const hit = [hitSearches('released', V, C, 256), hitSearches('released', V, C, 512), hitSearches('small', 1024, 16, 256), hitSearches('small', 1024, 16, 512)];
const cases: Case[] = [
  { name: 'tokenize B=1', what: 'ids + f_hat + usage counts (default path)', images: 1, run: () => free(q.tokenize(f1, { usage: true })) },
  { name: 'tokenize B=1, prepared', what: 'as above with the parameter layouts made once (prepare())', images: 1, byPath: true, run: (path: Path) => () => free(q.tokenize(f1, { usage: true, prepared: prepQ(q, path) })) },
  { name: 'tokenize+teacher B=1', what: 'ids + f_hat + usage + teacher-forcing input [1, 2239, 32] (default path)', images: 1, run: () => free(q.tokenize(f1, { usage: true, teacherInput: true })) },
  { name: `tokenize B=${batch}`, what: 'ids + f_hat + usage counts (default path)', images: batch, run: () => free(q.tokenize(fB, { usage: true })) },
  { name: 'decode B=1', what: 'ids -> f_hat (no search)', images: 1, run: () => free(q.decode(ids1), true) },
  { name: 'nearestCode 1024x4096x32', what: 'last scale alone: 1024 rows, fused distance + argmin + lookup', images: 1, rows: 1024, V, C, byPath: true,
    run: (path: Path) => () => { const r = nearestCodeArea(f1, q.codebook, S, S, { prepared: prep(q.codebook, path), lookup: true }); r.idx.dispose(); r.h!.dispose(); } },
  ...hit.map((h) => ({ ...h, byPath: true })),
  { ...hitTokenize(V, C, 512), byPath: true },
  { ...hitTokenize(1024, 16, 512), byPath: true },
  ...[1, 4, 9, 16, 24, 36].map((N) => fewRows(N, V, C)),
  ...[4, 16, 24, 36, 64].map((N) => fewRows(N, 1024, 16)),
].filter((c) => c.name.includes(only));
await dev.sync();

type Row = { name: string; path: Path | 'default'; what: string; images: number; dispatches: number; submits: number; stats: Stats; msPerImage: number;
  gflops: number | null; load: [number, number] };
const rows: Row[] = [];
for (const c of cases) {
  const ps: (Path | 'default')[] = c.byPath ? paths : ['default'];
  const fns = ps.map((p) => (c.byPath ? (c.run as (path: Path) => () => void)(p as Path) : c.run as () => void));
  const devOf = (p: Path | 'default') => (c.sync && p === 'texture' ? devAll! : dev);
  const sync = (p: Path | 'default') => (c.sync ? c.sync(p as Path) : dev.sync());
  const dispatches = fns.map(() => 0), submits = fns.map(() => 0);
  for (const [i, fn] of fns.entries()) { // a first run makes the layouts; the second counts one run's dispatches
    noGrad(devOf(ps[i]!), fn); await sync(ps[i]!);
    const d = devOf(ps[i]!), d0 = d.stats.dispatches, s0 = d.stats.submits;
    noGrad(d, fn); await sync(ps[i]!);
    dispatches[i] = d.stats.dispatches - d0; submits[i] = d.stats.submits - s0;
  }
  const load0 = loadavg()[0]!;
  const contenders: Contender[] = ps.map((p, i) => ({ name: `${c.name} [${p}]`, run: async () => { noGrad(devOf(p), fns[i]!); await sync(p); } }));
  const stats = await measure(contenders, hopts);
  const load1 = loadavg()[0]!;
  ps.forEach((p, i) => {
    const st = stats[contenders[i]!.name]!;
    const gflops = c.rows && c.V && c.C ? (2 * c.rows * c.V * c.C) / (st.medianMs * 1e6) : null;
    rows.push({ name: c.name, path: p, what: c.what, images: c.images, dispatches: dispatches[i]!, submits: submits[i]!, stats: st, msPerImage: st.medianMs / c.images, gflops, load: [load0, load1] });
  });
  const r = rows.slice(-ps.length);
  console.log(r.map((x) => `${x.name} [${x.path}]: ${x.stats.medianMs.toFixed(1)} ms (${x.stats.p10Ms.toFixed(1)}–${x.stats.p90Ms.toFixed(1)})`).join('; ') + `, load ${load0.toFixed(1)}→${load1.toFixed(1)}`);
}

const cpu = cpus();
const result = {
  bench: 'quantizer', date: new Date().toISOString(), git: gitRev(), node: process.version, cpu: { model: cpu[0]?.model ?? 'unknown', cores: cpu.length },
  adapter: dev.report(), profile: dev.profile, config: { V, C, side: S, scales, tokens: q.tokens, batch, paths }, harness: hopts, rows,
};
mkdirSync('bench/results', { recursive: true });
const file = `bench/results/quantizer-${result.date.replace(/[:.]/g, '-')}.json`;
writeFileAtomic(file, JSON.stringify(result, null, 1));

const a = result.adapter;
console.log(`\n### quantizer (V=${V}, C=${C}, 32x32 latent, scales ${scales.join(',')}; HIT cases as named) — ${a.description || a.device || a.vendor} (${a.runtime}), git ${result.git?.slice(0, 10) ?? 'n/a'}\n`);
console.log('| case | path | ms (median) | p10–p90 | ms / image | search GFLOP/s | dispatches | submits | load |\n|---|---|---:|---:|---:|---:|---:|---:|---:|');
for (const r of rows) console.log(`| ${r.name} | ${r.path} | ${r.stats.medianMs.toFixed(1)} | ${r.stats.p10Ms.toFixed(1)}–${r.stats.p90Ms.toFixed(1)} | ${r.msPerImage.toFixed(1)} | ${r.gflops?.toFixed(2) ?? ''} | ${r.dispatches} | ${r.submits} | ${r.load.map((l) => l.toFixed(1)).join('→')} |`);
console.log(`\nwrote ${file}`);
devAll?.destroy();
dev.destroy();
