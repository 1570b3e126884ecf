// WorkCounter: what the ops dispatch, counted while installed on a Device (dev.counter): FLOPs and bytes per op as each op
// reports them, dispatches per kernel, and with GPU timestamps the time of every dispatch; countWork scopes one.
import type { Device } from './device.ts';
import type { Tensor } from '../tensor.ts';

/**
 * Kernel families: products (matmul, linear), convolutions, fused attention, row norms (layer / group / head norm,
 * softmax), elementwise maps and reductions, copies (contiguous, concat, casts to the same type), everything else
 * (embedding gathers, quantizer kernels, random numbers, losses, kernels run through `launch`).
 */
export type WorkFamily = 'matmul' | 'conv' | 'attention' | 'norm' | 'elementwise' | 'copy' | 'other';
export const WORK_FAMILIES: readonly WorkFamily[] = ['matmul', 'conv', 'attention', 'norm', 'elementwise', 'copy', 'other'];

/** Totals of one op name. FLOPs count 2 per multiply-add of the op's main arithmetic; bytes its operands read once and written once. */
export interface OpWork { op: string; family: WorkFamily; calls: number; flops: number; bytes: number; dispatches: number; gpuMs: number }

/** One op call with its sizes (kept when the counter traces): enough to run the same call again on other data. */
export interface WorkCall { op: string; family: WorkFamily; flops: number; bytes: number; shape: Record<string, number> }

export interface WorkCounterOpts {
  /** Keep every call with its sizes (WorkCounter.calls). */
  trace?: boolean;
  /** Time every dispatch with GPU timestamps (each in its own compute pass); needs the adapter feature timestamp-query. */
  timestamps?: boolean;
}

export interface FamilyTotals { calls: number; flops: number; bytes: number; dispatches: number; gpuMs: number }

/**
 * Install on a Device (`dev.counter = c`, or through countWork) to count. Ops report through `op()` right before they
 * dispatch their own kernels; the Device attributes each dispatch (and its timestamps) to the op reported last. A
 * kernel dispatched with no op reported before it is counted under 'unreported'. Off (dev.counter null) nothing runs.
 */
export class WorkCounter {
  readonly ops = new Map<string, OpWork>();
  /** Dispatches and GPU time per kernel path (e.g. 'matmul/matmul_tex'). */
  readonly kernels = new Map<string, { dispatches: number; gpuMs: number }>();
  readonly calls: WorkCall[] | null;
  readonly timestamps: boolean;
  private current: OpWork | null = null;
  private pending: Promise<unknown>[] = [];
  private levelReads = new WeakMap<Tensor, Promise<Int32Array>>();

  constructor(o: WorkCounterOpts = {}) {
    this.calls = o.trace ? [] : null;
    this.timestamps = !!o.timestamps;
  }

  /** An op reports one call: its family, FLOPs and bytes, and (for traces) the sizes that define it. */
  op(op: string, family: WorkFamily, flops: number, bytes: number, shape?: Record<string, number>): OpWork {
    const e = this.entry(op, family);
    e.calls++; e.flops += flops; e.bytes += bytes;
    this.current = e;
    if (this.calls) this.calls.push({ op, family, flops, bytes, shape: shape ?? {} });
    return e;
  }

  /** FLOPs known only later (e.g. the visible pairs of a mask read from the GPU), added to the op reported last when `p` resolves. */
  later(p: Promise<number>) {
    const e = this.current, call = this.calls?.[this.calls.length - 1];
    if (!e) throw new Error('WorkCounter.later: no op reported yet');
    this.pending.push(p.then((flops) => { e.flops += flops; if (call) call.flops += flops; }));
  }

  /** The host copy of an i32 level-id tensor, read once per tensor (the read is encoded at once, so later disposal is safe). */
  levels(dev: Device, t: Tensor): Promise<Int32Array> {
    let p = this.levelReads.get(t);
    if (!p) {
      p = dev.read(t.storage.buffer, t.offset * 4, t.numel * 4).then((b) => new Int32Array(b));
      this.levelReads.set(t, p);
    }
    return p;
  }

  /** The Device reports each dispatch; returns the entry it is counted under. */
  dispatched(kernel: string): OpWork {
    const e = this.current ?? this.entry('unreported', 'other');
    e.dispatches++;
    const k = this.kernels.get(kernel) ?? { dispatches: 0, gpuMs: 0 };
    k.dispatches++;
    this.kernels.set(kernel, k);
    return e;
  }

  /** The Device reports a dispatch's GPU time once its timestamps are read. */
  timed(e: OpWork, kernel: string, ms: number) {
    e.gpuMs += ms;
    const k = this.kernels.get(kernel);
    if (k) k.gpuMs += ms;
  }

  /** Keeps `p` (a timestamp read) until settle(). */
  track(p: Promise<unknown>) { this.pending.push(p); }

  /** Waits for every pending read (timestamps, mask levels); call after the counted work has been synced. */
  async settle(): Promise<void> {
    while (this.pending.length) { const p = this.pending; this.pending = []; await Promise.all(p); }
  }

  /** Sums per family and overall. */
  totals(): { flops: number; bytes: number; dispatches: number; gpuMs: number; byFamily: Record<WorkFamily, FamilyTotals> } {
    const byFamily = Object.fromEntries(WORK_FAMILIES.map((f) => [f, { calls: 0, flops: 0, bytes: 0, dispatches: 0, gpuMs: 0 }])) as Record<WorkFamily, FamilyTotals>;
    let flops = 0, bytes = 0, dispatches = 0, gpuMs = 0;
    for (const e of this.ops.values()) {
      const f = byFamily[e.family];
      f.calls += e.calls; f.flops += e.flops; f.bytes += e.bytes; f.dispatches += e.dispatches; f.gpuMs += e.gpuMs;
      flops += e.flops; bytes += e.bytes; dispatches += e.dispatches; gpuMs += e.gpuMs;
    }
    return { flops, bytes, dispatches, gpuMs, byFamily };
  }

  /** FLOPs of the ops whose name passes `pick`. */
  flopsOf(pick: (op: string, family: WorkFamily) => boolean): number {
    let s = 0;
    for (const e of this.ops.values()) if (pick(e.op, e.family)) s += e.flops;
    return s;
  }

  private entry(op: string, family: WorkFamily): OpWork {
    let e = this.ops.get(op);
    if (!e) { e = { op, family, calls: 0, flops: 0, bytes: 0, dispatches: 0, gpuMs: 0 }; this.ops.set(op, e); }
    return e;
  }
}

/**
 * Runs `fn` with a fresh counter installed on `dev` (replacing any installed one until it ends), syncs the device, waits
 * for the counter's pending reads and returns both. Timestamps are asked for only where the adapter has them
 * (`timestampsUsed` says whether they were).
 */
export async function countWork<T>(dev: Device, fn: () => T | Promise<T>, o: WorkCounterOpts = {}): Promise<{ result: T; counter: WorkCounter; timestampsUsed: boolean }> {
  const timestamps = !!o.timestamps && dev.hasTimestamps;
  const counter = new WorkCounter({ ...o, timestamps });
  const prev = dev.counter;
  dev.flush();
  dev.counter = counter;
  let result: T;
  try {
    result = await fn();
    await dev.sync();
  } finally {
    dev.flush();
    dev.counter = prev;
  }
  await counter.settle();
  return { result, counter, timestampsUsed: timestamps };
}

/** Query-key pairs that the block-causal rule (key level <= query level) lets through. */
export function visibleLevelPairs(levelsQ: Int32Array, levelsK: Int32Array): number {
  const sorted = Int32Array.from(levelsK).sort();
  let pairs = 0;
  for (const lq of levelsQ) {
    let lo = 0, hi = sorted.length;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (sorted[mid]! <= lq) lo = mid + 1; else hi = mid; }
    pairs += lo;
  }
  return pairs;
}
