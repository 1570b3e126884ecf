// The adapter's roofline, measured in the benchmark's own process: arithmetic peak (bench/fma_peak: independent vec4
// multiply-adds) and storage-buffer copy bandwidth (bench/copy), each the median of timed repeats after a warm-up; and
// the same two kernels as short probes that a case times in its own turns (the machine's speed can move within a run).
import { empty, launch, type Device } from '../src/engine/index.ts';
import { measure, type HarnessOpts, type Stats } from './harness.ts';

export interface Roofline { fmaGflops: number; copyGBps: number; fma: Stats; copy: Stats }

/** One run of a roofline kernel with its work: FMA (2^33 FLOP) or copy (64 MiB read and 64 MiB written). */
export interface PeakProbe { kind: 'fma' | 'copy'; flops?: number; bytes?: number; run(): Promise<void>; dispose(): void }

export function peakProbe(dev: Device, kind: 'fma' | 'copy'): PeakProbe {
  if (kind === 'fma') {
    // 256 workgroups of 64 invocations, 2,048 rounds: 2^33 FLOP (~0.06 s at 150 GFLOP/s).
    const n = 256 * 64, iters = 2048, out = empty(dev, [n], 'f32', 'roofline');
    return {
      kind, flops: n * iters * 2 * 32 * 4 * 2, dispose: () => out.dispose(),
      run: async () => { launch(dev, { kernel: 'bench/fma_peak', bindings: [out], params: { iters, n, a: 0.999, b: 0.001 }, workgroups: dev.grid(n, 8) }); await dev.sync(); },
    };
  }
  const n4 = (64 << 20) / 16, src = empty(dev, [n4 * 4], 'f32', 'roofline'), dst = empty(dev, [n4 * 4], 'f32', 'roofline');
  return {
    kind, bytes: 2 * 16 * n4, dispose: () => { src.dispose(); dst.dispose(); },
    run: async () => { launch(dev, { kernel: 'bench/copy', bindings: [src, dst], params: { n4 }, workgroups: dev.grid(n4, 64) }); await dev.sync(); },
  };
}

export async function measureRoofline(dev: Device, o: HarnessOpts): Promise<Roofline> {
  const [pf, pc] = [peakProbe(dev, 'fma'), peakProbe(dev, 'copy')];
  const fma = (await measure([{ name: 'fma', run: pf.run }], o, { flops: pf.flops })).fma!;
  const copy = (await measure([{ name: 'copy', run: pc.run }], o, { bytes: pc.bytes })).copy!;
  pf.dispose(); pc.dispose();
  return { fmaGflops: fma.gflops!, copyGBps: copy.gbps!, fma, copy };
}

/**
 * Each turn's rate of a side over the probe's rate in the same turn (measure() runs the contenders in turns, so sample i
 * of each was taken side by side), and their median: a share of the peak that follows the machine's speed within a run.
 */
export function shareInTurns(side: Stats, probe: Stats, work: number, probeWork: number): number | undefined {
  const n = Math.min(side.samplesMs.length, probe.samplesMs.length);
  if (!n) return undefined;
  const r = Array.from({ length: n }, (_, i) => (work / side.samplesMs[i]!) / (probeWork / probe.samplesMs[i]!)).sort((a, b) => a - b);
  return n % 2 ? r[(n - 1) / 2]! : (r[n / 2 - 1]! + r[n / 2]!) / 2;
}
