// The adapter's roofline, measured in the benchmark's own process: arithmetic peak (bench/fma_peak: independent vec4
// multiply-adds) and storage-buffer copy bandwidth (bench/copy), each the median of timed repeats after a warm-up.
import { empty, launch, type Device } from '../src/engine/index.ts';
import { measure, type HarnessOpts, type Stats } from './harness.ts';

export interface Roofline { fmaGflops: number; copyGBps: number; fma: Stats; copy: Stats }

export async function measureRoofline(dev: Device, o: HarnessOpts): Promise<Roofline> {
  // FMA: 256 workgroups of 64 invocations, 2,048 rounds: 2^33 FLOP (~0.06 s at 150 GFLOP/s).
  const n = 256 * 64, iters = 2048, flops = n * iters * 2 * 32 * 4 * 2;
  const out = empty(dev, [n], 'f32', 'roofline');
  const fma = await measure([{ name: 'fma', run: async () => {
    launch(dev, { kernel: 'bench/fma_peak', bindings: [out], params: { iters, n, a: 0.999, b: 0.001 }, workgroups: dev.grid(n, 8) });
    await dev.sync();
  } }], o, { flops });
  // Copy: 64 MiB read and 64 MiB written per run.
  const n4 = (64 << 20) / 16;
  const src = empty(dev, [n4 * 4], 'f32', 'roofline'), dst = empty(dev, [n4 * 4], 'f32', 'roofline');
  const copy = await measure([{ name: 'copy', run: async () => {
    launch(dev, { kernel: 'bench/copy', bindings: [src, dst], params: { n4 }, workgroups: dev.grid(n4, 64) });
    await dev.sync();
  } }], o, { bytes: 2 * 16 * n4 });
  for (const t of [out, src, dst]) t.dispose();
  return { fmaGflops: fma.fma!.gflops!, copyGBps: copy.copy!.gbps!, fma: fma.fma!, copy: copy.copy! };
}
