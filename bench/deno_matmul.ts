// Deno (wgpu) bench: matmul on the adapter's default profile against the buffer kernels (profile textureMatmul: false),
// in turns in one process; prints one JSON line for scripts/bench-deno.mjs to save. Deno's wgpu has no subgroups, so
// the texture product there is matmul/matmul_tex_loads.
import { Device, fromArray, ops, type Tensor } from '../src/engine/index.ts';

const shapes = ((globalThis as any).Deno?.args[0] ?? '2240x1024x4096,2240x4096x1024').split(',').map((s: string) => s.split('x').map(Number) as [number, number, number]);
const turns = Number((globalThis as any).Deno?.args[1] ?? 5);
const dev = await Device.create(), buf = await Device.create({ profile: { textureMatmul: false } });
const rnd = (n: number, s: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * s));
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;

async function timed(a: Tensor, b: Tensor): Promise<[number, Float32Array]> {
  const t0 = performance.now(), c = ops.matmul(a, b), out = (await c.toArray()) as Float32Array;
  c.dispose();
  return [performance.now() - t0, out];
}
const cases = [];
for (const [M, K, N] of shapes) {
  const side = (d: Device) => [fromArray(d, rnd(M * K, 0.37), [M, K]), fromArray(d, rnd(K * N, 0.11), [K, N])] as const;
  const [a, b] = side(dev), [a2, b2] = side(buf);
  const [coldTex, outTex] = await timed(a, b), [coldBuf, outBuf] = await timed(a2, b2);
  let maxAbsDiff = 0;
  for (let i = 0; i < outTex.length; i++) maxAbsDiff = Math.max(maxAbsDiff, Math.abs(outTex[i]! - outBuf[i]!));
  const tex: number[] = [], bufMs: number[] = [], ratio: number[] = [];
  for (let t = 0; t < turns; t++) {
    const [x] = await timed(a, b), [y] = await timed(a2, b2);
    tex.push(x); bufMs.push(y); ratio.push(y / x);
  }
  for (const t of [a, b, a2, b2]) t.dispose();
  const gf = (ms: number) => (2 * M * N * K) / (ms * 1e6);
  cases.push({ shape: [M, K, N], turns, texture: { variant: dev.profile.matmul[0], medianMs: median(tex), gflops: gf(median(tex)), coldMs: coldTex },
    buffer: { variant: buf.profile.matmul[0], medianMs: median(bufMs), gflops: gf(median(bufMs)), coldMs: coldBuf }, ratioInTurns: median(ratio), maxAbsDiff });
}
console.log(JSON.stringify({ bench: 'deno_matmul', runtime: `deno ${(globalThis as any).Deno?.version?.deno ?? '?'}`, adapter: dev.report(),
  profile: { subgroups8: dev.profile.subgroups8, textureMatmul: dev.profile.textureMatmul, matmul: dev.profile.matmul }, cases }));
dev.destroy(); buf.destroy();
