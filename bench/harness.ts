// Benchmark harness: warmup, N timed repeats of a GPU workload (wall time until onSubmittedWorkDone), median/p10/p90,
// GFLOP/s and GB/s from napkin math; several contenders of one case are interleaved so load changes hit them alike.

/** One thing to time: `run` enqueues the work and resolves once the GPU has finished it. */
export interface Contender {
  name: string;
  run(): Promise<void>;
}

export interface Stats {
  /** Milliseconds per run (median, 10th and 90th percentiles) and every sample. */
  medianMs: number; p10Ms: number; p90Ms: number; samplesMs: number[];
  /** CPU time of this process per run (user + system, all threads; a software adapter's work runs here). Less
   * sensitive to other processes on a shared machine than wall time, so a second view of the same runs. */
  cpuMedianMs: number; samplesCpuMs: number[];
  /** From the median: 1e-9·flops / s and 1e-9·bytes / s (null when the case gives no count). */
  gflops: number | null; gbps: number | null;
}

export interface HarnessOpts { warmup: number; repeats: number; /** Stop repeating after this many seconds per contender. */ budgetS: number }

function quantile(sorted: number[], q: number): number {
  const i = (sorted.length - 1) * q, lo = Math.floor(i), hi = Math.ceil(i);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (i - lo);
}

export function summarise(samplesMs: number[], samplesCpuMs: number[], flops?: number, bytes?: number): Stats {
  const s = [...samplesMs].sort((a, b) => a - b);
  const med = quantile(s, 0.5);
  return {
    medianMs: med, p10Ms: quantile(s, 0.1), p90Ms: quantile(s, 0.9), samplesMs,
    cpuMedianMs: quantile([...samplesCpuMs].sort((a, b) => a - b), 0.5), samplesCpuMs,
    gflops: flops ? flops / (med * 1e6) : null, gbps: bytes ? bytes / (med * 1e6) : null,
  };
}

/**
 * Warms every contender up (pipeline compiles, buffer pools), then times them in turns: repeat r runs contender 0, 1,
 * ... before repeat r + 1. Each sample is the wall time from enqueueing to the GPU's completion of that run; the
 * queue is idle before each sample starts.
 */
export async function measure(cs: Contender[], o: HarnessOpts, counts: { flops?: number; bytes?: number } = {}): Promise<Record<string, Stats>> {
  for (const c of cs) for (let i = 0; i < o.warmup; i++) await c.run();
  const samples: number[][] = cs.map(() => []), cpu: number[][] = cs.map(() => []);
  const spent = cs.map(() => 0);
  for (let r = 0; r < o.repeats; r++) {
    let ran = false;
    for (const [i, c] of cs.entries()) {
      if (r > 0 && spent[i]! > o.budgetS * 1000) continue;
      const c0 = process.cpuUsage(), t0 = performance.now();
      await c.run();
      const ms = performance.now() - t0, cu = process.cpuUsage(c0);
      samples[i]!.push(ms); cpu[i]!.push((cu.user + cu.system) / 1000); spent[i]! += ms; ran = true;
    }
    if (!ran) break;
  }
  return Object.fromEntries(cs.map((c, i) => [c.name, summarise(samples[i]!, cpu[i]!, counts.flops, counts.bytes)]));
}
