// Measurement only (removed with the *_store kernels): wall clock of the conv / attention texture packs, textureStore vs staging + copy, interleaved in one process, and a bit-for-bit check of their outputs. Run: node scratch/run.mjs scratch/packbench.ts (env ROUNDS, CASES, SKIP).
import { Device, ops, fromArray, noGrad, type Tensor } from '../src/engine/index.ts';
import { texPackStore } from '../src/engine/ops/stage_tex.ts';

const dev = await Device.create();
// SKIP=regex drops those kernels (the products), so that the times are the packs' and copies'.
if (process.env.SKIP) { const re = new RegExp(process.env.SKIP), run = dev.run.bind(dev); (dev as any).run = (c: any) => (re.test(c.kernel) ? undefined : run(c)); }
const rnd = (n: number, seed: number) => { const a = new Float32Array(n); let s = seed >>> 0; for (let i = 0; i < n; i++) { s = (s * 1664525 + 1013904223) >>> 0; a[i] = s / 2 ** 32 - 0.5; } return a; };
const T = (shape: number[], seed: number) => fromArray(dev, rnd(shape.reduce((a, b) => a * b, 1), seed), shape);
const rounds = +(process.env.ROUNDS ?? 7);
const only = process.env.CASES?.split(',');
type Case = { name: string; run: () => Tensor };
const cases: Case[] = [];
const conv = (C: number, S: number, K = 3, stride = 1, pad = 1) => {
  const x = T([1, C, S, S], 1), w = T([C, C, K, K], 2), b = T([C], 3);
  const prep = noGrad(dev, () => ops.prepareConv(w, b, { stride, padding: pad }));
  const tag = `conv ${C}->${C} @${S}^2 k${K} s${stride}`;
  cases.push({ name: `${tag} unprepared`, run: () => noGrad(dev, () => ops.conv2d(x, w, b, { stride, padding: pad })) });
  cases.push({ name: `${tag} prepared`, run: () => noGrad(dev, () => ops.conv2d(x, w, b, { stride, padding: pad, prepared: prep })) });
};
conv(160, 128); conv(640, 32); conv(160, 64, 3, 2, 1); conv(160, 64, 1, 1, 0);
{
  const q = T([1, 4, 2240, 64], 4), k = T([1, 4, 2240, 64], 5), v = T([1, 4, 2240, 64], 6);
  cases.push({ name: 'attention [1,4,2240,64]', run: () => noGrad(dev, () => ops.attention(q, k, v)) });
}
const med = (a: number[]) => { const s = [...a].sort((x, y) => x - y); return s[s.length >> 1]!; };
for (const c of cases) {
  if (only && !only.some((o) => c.name.includes(o))) continue;
  const outs: Record<string, Float32Array> = {};
  const times: Record<string, number[]> = { store: [], stage: [] };
  for (let r = -1; r < rounds; r++) for (const mode of (r % 2 ? ['store', 'stage'] : ['stage', 'store'])) {
    texPackStore.on = mode === 'store';
    await dev.sync();
    const c0 = dev.stats.textureCopies, t0 = performance.now();
    const y = c.run();
    await dev.sync();
    const dt = performance.now() - t0;
    if (r < 0) { outs[mode] = (await y.toArray()) as Float32Array; if (mode === 'stage') console.log(`  ${c.name}: ${dev.stats.textureCopies - c0} texture copies`); }
    else times[mode]!.push(dt);
    y.dispose();
  }
  const a = outs.store!, b = outs.stage!;
  let diff = -1; for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) { diff = i; break; }
  const ratios = times.stage!.map((t, i) => t / times.store![i]!);
  console.log(`${c.name}: textureStore ${med(times.store!).toFixed(1)} ms, staging+copy ${med(times.stage!).toFixed(1)} ms, median ratio ${med(ratios).toFixed(2)}; bit-identical ${diff < 0 ? 'yes' : `NO (first at ${diff})`}`);
}
dev.destroy();
