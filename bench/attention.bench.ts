// Benchmark: fused attention vs matmul + softmax + matmul at VAR shapes (time, peak GPU memory), the texture-fed kernels
// (attention/*_tex) against the buffer kernels they replace (forward; with --backward forward + backward, and each backward
// kernel alone on the texture path), and KV-cache sampling of the 512 schedule vs recomputing the whole sequence at each
// scale (FLOPs, time): attention alone (both kernel paths), then a whole VAR-d16 block (qkv, attention, proj, MLP), with
// and without H-VAR's 1,024 LR-prefix tokens.
// Run: npm run bench:attention -- [--heads 4] [--repeats 3] [--warmup 1] [--budget 120] [--backward] [--no-kv] [--no-block]
//      [--no-composed] [--block-repeats 2] [--rows-per-lane 2] [--rows-per-lane-backward 2] [--no-subgroups]
//      [--no-texture] [--lanes 8 --rows 16 --rows-backward 8]
// Writes bench/results/attention-<date-time>.json (adapter report, git rev, load) and prints a Markdown table. VAR-d16 has 16
// heads; every head is independent work, so times scale linearly in --heads (default 4 keeps a lavapipe run to minutes).
import { writeFileAtomic } from '../src/io/atomic.ts';
import { execSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { Device, fromArray, backward, scope, type Tensor } from '../src/engine/index.ts';
import { view } from '../src/engine/tensor.ts';
import { ops } from '../src/engine/ops/registry.ts';
import { attentionPlan, type AttentionPlan } from '../src/engine/ops/attention.ts';
import type { ProfileOverrides } from '../src/engine/runtime/profile.ts';
import { KVCache, attendCached } from '../src/models/var/kv_cache.ts';
import { levelIds, scaleSpans, visiblePairs } from '../src/models/var/masks.ts';
import { measure, type Contender, type Stats } from './harness.ts';

const args = process.argv.slice(2);
const opt = (name: string, def: number) => { const i = args.indexOf(`--${name}`); return i >= 0 ? Number(args[i + 1]) : def; };
const hopts = { warmup: opt('warmup', 1), repeats: opt('repeats', 3), budgetS: opt('budget', 120) };
const H = opt('heads', 4), D = 64, PREFIX = 1024;
const SCALES = [1, 2, 3, 4, 6, 9, 13, 18, 24, 32];
// Attention tiles on top of the adapter profile (runtime/profile.ts), given to every device this bench opens.
const attentionTuning: NonNullable<ProfileOverrides['attention']> = {};
if (args.includes('--lanes')) attentionTuning.lanes = opt('lanes', 8);
if (args.includes('--rows')) attentionTuning.rows = opt('rows', 16);
if (args.includes('--rows-backward')) attentionTuning.rowsBackward = opt('rows-backward', 8);
if (args.includes('--rows-per-lane')) attentionTuning.rowsPerLane = opt('rows-per-lane', 2);
if (args.includes('--rows-per-lane-backward')) attentionTuning.rowsPerLaneBackward = opt('rows-per-lane-backward', 1);
if (args.includes('--no-subgroups')) attentionTuning.subgroups = false;
if (args.includes('--no-texture')) Object.assign(attentionTuning, { textureForward: false, textureDq: false, textureDkdv: false });
/** Per-call tuning for the buffer kernels (the path before the texture kernels). */
const BUFFER = { textureForward: false, textureDq: false, textureDkdv: false };
const openDevice = () => Device.create({ profile: { attention: attentionTuning } });
const sh = (cmd: string) => { try { return execSync(cmd, { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim(); } catch { return ''; } };
const MB = (b: number) => +(b / 2 ** 20).toFixed(1);

function values(n: number, seed: number): Float32Array {
  const v = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; v[i] = s / 2 ** 31 - 1; }
  return v;
}
const rand = (dev: Device, shape: number[], seed: number) => fromArray(dev, values(shape.reduce((a, b) => a * b), seed), shape).keep();

interface Row { name: string; what: string; flops: number; stats: Stats; peakMB?: number; note?: string; kernels?: string }
const rows: Row[] = [];
const run = async (dev: Device, f: () => Tensor | Tensor[] | void) => { const r = f(); await dev.sync(); for (const t of [r ?? []].flat()) t.dispose(); };

/** A contender on its own device: `base` = bytes allocated before it ran (inputs), so its peak is its own. */
interface OnDevice { name: string; what: string; flops: number; note?: string; kernels?: string; dev: Device; base: number; f: () => Tensor | Tensor[] | void }
async function compare(cs: OnDevice[]) {
  const contenders: Contender[] = cs.map((c) => ({ name: c.name, run: () => run(c.dev, c.f) }));
  const stats = await measure(contenders, hopts, {});
  for (const c of cs) {
    const s = stats[c.name]!;
    rows.push({ name: c.name, what: c.what, flops: c.flops, note: c.note, kernels: c.kernels, peakMB: MB(c.dev.poolStats().peakCreatedBytes - c.base),
      stats: { ...s, gflops: c.flops / (s.medianMs * 1e6) } });
  }
}

// ---- 1. fused vs composed, 2,240 queries × 3,264 keys (1,024 prefix + start token + 2,239 scale tokens) ---------------
const ids = levelIds(SCALES, PREFIX), Lk = ids.length, idsQ = ids.slice(PREFIX), Lq = idsQ.length;
const pairs = visiblePairs(idsQ, ids);
async function setup() {
  const dev = await openDevice();
  const q = rand(dev, [1, H, Lq, D], 1), k = rand(dev, [1, H, Lk, D], 2), v = rand(dev, [1, H, Lk, D], 3);
  const lq = fromArray(dev, idsQ, [Lq], 'i32').keep(), lk = fromArray(dev, ids, [Lk], 'i32').keep();
  await dev.sync();
  return { dev, q, k, v, lq, lk, base: dev.poolStats().createdBytes };
}
const fused = await setup();
const buffered = await setup();
const composed = args.includes('--no-composed') ? null : await setup();
const hasComposed = composed !== null && 'matmul' in ops && 'softmax' in ops;
// Additive mask for the composed path: 0 where visible, -1e30 elsewhere (exp underflows to exactly 0). Both paths use
// softmax scale 1 (VAR's: q and k are normalised and q carries the temperature), so the composed one has no scaling pass.
const maskAdd = composed && fromArray(composed.dev, Float32Array.from({ length: Lq * Lk }, (_, t) => (ids[t % Lk]! <= idsQ[Math.floor(t / Lk)]! ? 0 : -1e30)), [Lq, Lk]).keep();
if (composed) composed.base = composed.dev.poolStats().createdBytes;
const o = ops as any;
const headOf = (t: Tensor, h: number, L: number) => { const s = ops.slice(t, 1, h, h + 1), r = ops.reshape(s, [L, D]); s.dispose(); return r; };
const composedHead = (h: number) => {
  const [qh, kh, vh] = [headOf(composed!.q, h, Lq), headOf(composed!.k, h, Lk), headOf(composed!.v, h, Lk)];
  const s = o.matmul(qh, kh, { transB: true }) as Tensor;
  const sm = ops.add(s, maskAdd!);
  const p = o.softmax(sm, -1) as Tensor;
  const out = o.matmul(p, vh) as Tensor;
  for (const t of [qh, kh, vh, s, sm, p]) t.dispose();
  return out;
};
const flopsAttn = 4 * D * H * pairs, flopsDense = 4 * D * H * Lq * Lk;
const shape1 = { B: 1, H, Lq, Lk, D };
const plan1 = attentionPlan(fused.dev, shape1), planBuf = attentionPlan(buffered.dev, shape1, BUFFER);
const kernelsOf = (p: AttentionPlan, which: (keyof AttentionPlan)[]) => which.map((k) => `${String(k)} ${p[k]}`).join(', ');
const cases1: OnDevice[] = [
  { name: `fused attention, block-causal, ${plan1.forward} kernel`, what: `${H} heads × ${Lq} queries × ${Lk} keys, D ${D}, masked key blocks skipped`,
    flops: flopsAttn, kernels: kernelsOf(plan1, ['forward']),
    dev: fused.dev, base: fused.base, f: () => ops.attention(fused.q, fused.k, fused.v, { scale: 1, levelsQ: fused.lq, levelsK: fused.lk }) },
];
if (plan1.forward !== planBuf.forward) cases1.push({
  name: `fused attention, block-causal, ${planBuf.forward} kernel`, what: 'the same on the buffer kernel (the path before the texture kernels)', flops: flopsAttn,
  kernels: kernelsOf(planBuf, ['forward']), dev: buffered.dev, base: buffered.base,
  f: () => ops.attention(buffered.q, buffered.k, buffered.v, { scale: 1, levelsQ: buffered.lq, levelsK: buffered.lk, tuning: BUFFER }),
});
const over = 4 * 16 * Lq * Lk > fused.dev.maxBinding ? ` (16 heads: above the ${MB(fused.dev.maxBinding)} MiB binding limit)` : '';
if (hasComposed) cases1.push({
  name: 'matmul + mask + softmax + matmul, head by head', flops: flopsDense, dev: composed!.dev, base: composed!.base,
  what: `the same; [${Lq}, ${Lk}] scores per head (${MB(4 * Lq * Lk)} MB); all ${H} heads at once: ${MB(4 * H * Lq * Lk)} MB${over}`,
  f: () => Array.from({ length: H }, (_, h) => composedHead(h)),
});
console.log(`case 1: ${H} heads, ${Lq} queries, ${Lk} keys; ${pairs} of ${Lq * Lk} pairs visible (${(100 * pairs / (Lq * Lk)).toFixed(1)} %)`);
// Cross-check before timing: the two paths agree.
if (hasComposed) {
  const a = ops.attention(fused.q, fused.k, fused.v, { scale: 1, levelsQ: fused.lq, levelsK: fused.lk });
  const b = composedHead(H - 1);
  const x = (await a.toArray()).subarray((H - 1) * Lq * D), y = await b.toArray();
  let d = 0; for (let i = 0; i < y.length; i++) d = Math.max(d, Math.abs(x[i]! - y[i]!));
  console.log(`fused vs composed, last head: max |diff| ${d.toExponential(2)}`);
  a.dispose(); b.dispose();
}
if (plan1.forward !== planBuf.forward) {
  const a = ops.attention(fused.q, fused.k, fused.v, { scale: 1, levelsQ: fused.lq, levelsK: fused.lk });
  const b = ops.attention(buffered.q, buffered.k, buffered.v, { scale: 1, levelsQ: buffered.lq, levelsK: buffered.lk, tuning: BUFFER });
  const x = await a.toArray(), y = await b.toArray();
  let d = 0; for (let i = 0; i < y.length; i++) d = Math.max(d, Math.abs(x[i]! - y[i]!));
  console.log(`${plan1.forward} vs ${planBuf.forward} kernel, all heads: max |diff| ${d.toExponential(2)}`);
  a.dispose(); b.dispose();
}
await compare(cases1);
if (args.includes('--backward')) {
  // Forward + backward on each path; on the texture path also with one backward kernel at a time on the buffer path, so
  // that each backward kernel's share shows (dQ ≈ texture - texture-but-dQ-buffer, and so on).
  const grads = (s: typeof fused, tuning?: object) => {
    for (const t of [s.q, s.k, s.v]) t.requiresGrad = true;
    const g = rand(s.dev, [1, H, Lq, D], 4);
    return () => { const y = ops.attention(s.q, s.k, s.v, { scale: 1, levelsQ: s.lq, levelsK: s.lk, tuning }); backward(y, g);
      const r = [y, s.q.grad!, s.k.grad!, s.v.grad!]; for (const t of [s.q, s.k, s.v]) t.grad = null; return r; };
  };
  const what = 'the same, dq, dk, dv (2 backward kernels, no atomics)';
  const cs: OnDevice[] = [{ name: 'fused attention forward + backward', what, flops: 2.5 * flopsAttn, kernels: kernelsOf(plan1, ['forward', 'dq', 'dkdv']),
    dev: fused.dev, base: fused.base, f: grads(fused) }];
  if (plan1.dq !== planBuf.dq || plan1.dkdv !== planBuf.dkdv) {
    cs.push({ name: 'fused attention forward + backward, buffer kernels', what: `${what}, the path before the texture kernels`, flops: 2.5 * flopsAttn,
      kernels: kernelsOf(planBuf, ['forward', 'dq', 'dkdv']), dev: buffered.dev, base: buffered.base, f: grads(buffered, BUFFER) });
    for (const [k, name] of [['textureDq', 'dQ'], ['textureDkdv', 'dK/dV']] as const) {
      const tuning = { [k]: false }, p = attentionPlan(fused.dev, shape1, tuning);
      cs.push({ name: `fused attention forward + backward, ${name} on the buffer kernel`, what: `${what}; the difference to the first row is ${name}'s gain`,
        flops: 2.5 * flopsAttn, kernels: kernelsOf(p, ['forward', 'dq', 'dkdv']), dev: fused.dev, base: fused.base, f: grads(fused, tuning) });
    }
  }
  await compare(cs);
}

// ---- 2. KV-cache sampling vs recomputing every scale, the 512 schedule (2,240 tokens), with and without the prefix ------
for (const prefix of args.includes('--no-kv') ? [] : [0, PREFIX]) {
  const lv = levelIds(SCALES, prefix), L = lv.length, spans = scaleSpans(SCALES, prefix);
  const dev = await openDevice();
  const q = rand(dev, [1, H, L, D], 5), k = rand(dev, [1, H, L, D], 6), v = rand(dev, [1, H, L, D], 7);
  const cache = new KVCache(dev, { layers: 1, batch: 1, heads: H, maxLen: L, headDim: D });
  const slices = spans.map(({ start, end }) => [q, k, v].map((t) => ops.slice(t, 2, start, end).keep()));
  const prefixViews = spans.map(({ end }) => ({ q: ops.slice(q, 2, 0, end).keep(), k: ops.slice(k, 2, 0, end).keep(), v: ops.slice(v, 2, 0, end).keep(),
    l: fromArray(dev, lv.subarray(0, end), [end], 'i32').keep() }));
  let cachedPairs = 0, recomputePairs = 0, densePairs = 0;
  for (const { start, end } of spans) { cachedPairs += (end - start) * end; recomputePairs += visiblePairs(lv.subarray(0, end)); densePairs += end * end; }
  await dev.sync();
  const tag = prefix ? `${prefix} prefix + ${L - prefix} tokens` : `${L} tokens`;
  // The cache's steps on the default kernels and on the buffer kernels (attendCached has no tuning: a second device).
  const devB = await Device.create({ profile: { attention: { ...attentionTuning, ...BUFFER } } });
  const cacheB = new KVCache(devB, { layers: 1, batch: 1, heads: H, maxLen: L, headDim: D });
  const slicesB = spans.map(({ start, end }) => [q, k, v].map((t, i) => { const x = fromArray(devB, values(H * L * D, 5 + i), [1, H, L, D]); const y = ops.slice(x, 2, start, end).keep(); x.dispose(); return y; }));
  await devB.sync();
  const steps = (d: Device, c: KVCache, sl: Tensor[][]) => () => run(d, () => { c.reset(); return spans.map((_, si) => { c.append(0, sl[si]![1]!, sl[si]![2]!); return attendCached(sl[si]![0]!, c, 0); }); });
  const texSteps = spans.filter(({ start, end }) => attentionPlan(dev, { B: 1, H, Lq: end - start, Lk: end, D }).forward === 'texture').length;
  const contenders: Contender[] = [
    { name: `KV cache, ${tag}`, run: steps(dev, cache, slices) },
    { name: `recompute every scale, ${tag}`, run: () => run(dev, () => prefixViews.map((p) => ops.attention(p.q, p.k, p.v, { levels: p.l }))) },
    { name: `KV cache, ${tag}, buffer kernels`, run: steps(devB, cacheB, slicesB) },
  ];
  const st = await measure(contenders, hopts, {});
  const [c, r, cb] = [st[contenders[0]!.name]!, st[contenders[1]!.name]!, st[contenders[2]!.name]!];
  rows.push({ name: contenders[0]!.name, what: `${spans.length} steps; each step's queries × all cached keys, no mask`, flops: 4 * D * H * cachedPairs, stats: { ...c, gflops: 4 * D * H * cachedPairs / (c.medianMs * 1e6) },
    kernels: `${texSteps} of ${spans.length} steps on the texture kernel` });
  rows.push({ name: contenders[1]!.name, what: `${spans.length} masked passes over tokens [0, end of scale); ${(densePairs / cachedPairs).toFixed(2)}× the cached pairs dense, ${(recomputePairs / cachedPairs).toFixed(2)}× visible`,
    flops: 4 * D * H * recomputePairs, stats: { ...r, gflops: 4 * D * H * recomputePairs / (r.medianMs * 1e6) }, note: `recompute / cache time: ${(r.medianMs / c.medianMs).toFixed(2)}×` });
  rows.push({ name: contenders[2]!.name, what: 'the cached steps on the buffer kernels (the path before the texture kernels)', flops: 4 * D * H * cachedPairs,
    stats: { ...cb, gflops: 4 * D * H * cachedPairs / (cb.medianMs * 1e6) }, kernels: 'buffer', note: `buffer / default time: ${(cb.medianMs / c.medianMs).toFixed(2)}×` });
  cacheB.dispose(); devB.destroy();
  cache.dispose(); dev.destroy();
}

// ---- 3. the same at the level of a transformer block: what sampling costs per layer -------------------------------------
// One VAR-d16 block (C 1,024, 16 heads × 64, MLP 4,096; pre-norm LN → qkv → VAR attention → proj, LN → fc1 → GELU → fc2,
// residuals; AdaLN's per-sample scale/shift is elementwise and left out). Cached sampling runs each step's new tokens
// through it (keys and values appended to the cache); recompute runs tokens [0, end of step) with the block-causal mask at
// every step. All layers of a model are alike, so the per-layer ratio is the model's.
if (!args.includes('--no-block')) for (const prefix of [0, PREFIX]) {
  const C = 1024, NH = 16, HD = 64, CM = 4 * C;
  const lv = levelIds(SCALES, prefix), L = lv.length, spans = scaleSpans(SCALES, prefix);
  const dev = await openDevice();
  const w = (o: number, i: number, seed: number) => fromArray(dev, values(o * i, seed).map((x) => x / Math.sqrt(i)), [o, i]).keep();
  const bvec = (n: number, seed: number) => fromArray(dev, values(n, seed).map((x) => 0.02 * x), [n]).keep();
  const P = { qkv: w(3 * C, C, 11), bqkv: bvec(3 * C, 12), proj: w(C, C, 13), bproj: bvec(C, 14), fc1: w(CM, C, 15), bfc1: bvec(CM, 16),
    fc2: w(C, CM, 17), bfc2: bvec(C, 18), s: fromArray(dev, values(NH, 19).map((x) => Math.log(10) + x), [1, NH, 1, 1]).keep() };
  const x = rand(dev, [1, L, C], 20);
  const lvT = fromArray(dev, lv, [L], 'i32').keep();
  const xs = spans.map(({ start, end }) => ops.slice(x, 1, start, end).keep());
  const xPre = spans.map(({ end }) => ({ x: ops.slice(x, 1, 0, end).keep(), l: ops.slice(lvT, 0, 0, end).keep() }));
  const cache = new KVCache(dev, { layers: 1, batch: 1, heads: NH, maxLen: L, headDim: HD, l2norm: true });
  // x [1, n, C] → block(x); attention by `attend(q, k, v)` on [1, NH, n, HD] views of the fused qkv.
  const block = (xin: Tensor, attend: (q: Tensor, k: Tensor, v: Tensor) => Tensor) => scope(dev, () => {
    const n = xin.shape[1]!;
    const qkv = ops.linear(ops.layerNorm(xin), P.qkv, P.bqkv);
    const st = [n * 3 * C, HD, 3 * C, 1];
    const [q, k, v] = [0, 1, 2].map((j) => view(qkv, [1, NH, n, HD], st, j * C));
    const a = ops.reshape(ops.contiguous(ops.permute(attend(q!, k!, v!), [0, 2, 1, 3])), [1, n, C]);
    const h = ops.add(xin, ops.linear(a, P.proj, P.bproj));
    return ops.add(h, ops.linear(ops.gelu(ops.linear(ops.layerNorm(h), P.fc1, P.bfc1)), P.fc2, P.bfc2));
  });
  let cachedPairs = 0, recomputePairs = 0, cachedTokens = 0, recomputeTokens = 0;
  for (const { start, end } of spans) { cachedPairs += (end - start) * end; recomputePairs += visiblePairs(lv.subarray(0, end)); cachedTokens += end - start; recomputeTokens += end; }
  await dev.sync();
  const tag = prefix ? `${prefix} prefix + ${L - prefix} tokens` : `${L} tokens`;
  const contenders: Contender[] = [
    { name: `block, KV cache, ${tag}`, run: () => run(dev, () => { cache.reset();
      return xs.map((xk) => block(xk, (q, k, v) => { cache.append(0, k, v); return attendCached(q, cache, 0, { s: P.s }); })); }) },
    { name: `block, recompute every scale, ${tag}`, run: () => run(dev, () => xPre.map((p) => block(p.x, (q, k, v) => ops.varAttention(q, k, v, P.s, { levels: p.l })))) },
  ];
  const bo = { ...hopts, repeats: opt('block-repeats', 2) };
  const st = await measure(contenders, bo, {});
  const [c, r] = [st[contenders[0]!.name]!, st[contenders[1]!.name]!];
  const lin = 24 * C * C, att = 4 * HD * NH;
  const fc = lin * cachedTokens + att * cachedPairs, fr = lin * recomputeTokens + att * recomputePairs;
  rows.push({ name: contenders[0]!.name, what: `${spans.length} steps, ${cachedTokens} tokens through the block; attention to all cached keys`, flops: fc, stats: { ...c, gflops: fc / (c.medianMs * 1e6) } });
  rows.push({ name: contenders[1]!.name, what: `${spans.length} steps, ${recomputeTokens} tokens through the block (${(recomputeTokens / cachedTokens).toFixed(2)}×), masked attention; ${(fr / fc).toFixed(2)}× the cached FLOPs`,
    flops: fr, stats: { ...r, gflops: fr / (r.medianMs * 1e6) }, note: `recompute / cache time: ${(r.medianMs / c.medianMs).toFixed(2)}×` });
  cache.dispose(); dev.destroy();
}

// ---- report ------------------------------------------------------------------------------------------------------------
const report = fused.dev.report();
const result = {
  bench: 'attention', date: new Date().toISOString(), git: sh('git rev-parse HEAD') + (sh('git status --porcelain') ? '-dirty' : ''),
  adapter: report, node: process.version, cpu: cpus()[0]?.model, cores: cpus().length, load: loadavg(),
  settings: { ...hopts, heads: H, headDim: D, scales: SCALES, prefix: PREFIX, tuning: { ...attentionTuning } },
  composed: hasComposed ? 'head by head' : composed ? 'skipped: ops.matmul / ops.softmax not in the registry' : 'skipped: --no-composed',
  rows,
};
// Repo root: this file is bench/attention.bench.ts, bundled to .build/attention.bench.mjs; either way one level up.
const resultsDir = new URL('../bench/results/', import.meta.url);
mkdirSync(resultsDir, { recursive: true });
const out = new URL(`attention-${result.date.replace(/[:.]/g, "-")}.json`, resultsDir);
writeFileAtomic(out.pathname, JSON.stringify(result, null, 1));
console.log(`\n| case | median ms (p10–p90) | GFLOP/s | peak MB | what |\n|---|---|---|---|---|`);
for (const r of rows) console.log(`| ${r.name} | ${r.stats.medianMs.toFixed(0)} (${r.stats.p10Ms.toFixed(0)}–${r.stats.p90Ms.toFixed(0)}) | ${r.stats.gflops!.toFixed(2)} | ${r.peakMB ?? ''} | ${r.what}${r.kernels ? ` [${r.kernels}]` : ''}${r.note ? '; ' + r.note : ''} |`);
console.log(`\nadapter: ${report.description || report.vendor || report.runtime}; load ${loadavg().map((x) => x.toFixed(1)).join(' ')}; wrote ${out.pathname}`);
fused.dev.destroy(); buffered.dev.destroy(); composed?.dev.destroy();
