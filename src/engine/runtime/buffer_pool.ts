// Buffer pool: size-bucketed free lists; a released buffer waits in `pending` until the submit that used it.
/**
 * live: in tensors now; pooled / pending: released, reusable now / after the next submit; created: all buffers the pool
 * holds (live + pooled + pending). The peaks run since the pool was made or since resetPeak(): peakLive = most bytes in
 * live buffers at once; peakCreated = most buffer bytes held at once; peakTotal = most bytes held at once counting the
 * device's other GPU memory (its textures) as reported through `extraBytes`.
 */
export interface PoolStats {
  liveBytes: number; pooledBytes: number; pendingBytes: number; createdBytes: number;
  peakLiveBytes: number; peakCreatedBytes: number; peakTotalBytes: number; buffers: number;
}

/** Round a byte size up to its bucket: 8 buckets per power of two above 4 KiB, so waste stays under 12.5 %. */
export function bucketSize(bytes: number): number {
  const b = Math.max(16, Math.ceil(bytes / 16) * 16);
  if (b <= 4096) return Math.ceil(b / 256) * 256;
  const step = 2 ** (Math.floor(Math.log2(b)) - 3);
  return Math.ceil(b / step) * step;
}

export class BufferPool {
  private free = new Map<number, GPUBuffer[]>();
  private pending: GPUBuffer[] = [];
  private live = 0; private pooled = 0; private pendingB = 0; private created = 0; private peak = 0; private count = 0;
  private peakLive = 0; private peakTotal = 0;
  /** Bytes of other GPU memory the owner holds (the Device's textures), counted in peakTotalBytes. */
  extraBytes: () => number = () => 0;
  constructor(private device: GPUDevice, private maxBufferSize: number, private usage: number) {}

  /** Takes the current totals into the peaks; the owner calls it after its other GPU memory grew. */
  notePeak() {
    this.peakLive = Math.max(this.peakLive, this.live);
    this.peak = Math.max(this.peak, this.created);
    this.peakTotal = Math.max(this.peakTotal, this.created + this.extraBytes());
  }

  /** Starts the peaks again from the current totals (to measure one piece of work; trim() first to drop the cache). */
  resetPeak() { this.peakLive = this.live; this.peak = this.created; this.peakTotal = this.created + this.extraBytes(); }

  acquire(bytes: number, what: string): GPUBuffer {
    const size = bucketSize(bytes);
    const list = this.free.get(size);
    const hit = list?.pop();
    if (hit) { this.pooled -= size; this.live += size; this.peakLive = Math.max(this.peakLive, this.live); return hit; }
    if (size > this.maxBufferSize)
      throw new RangeError(`out of memory: ${what} needs a buffer of ${fmtBytes(bytes)}, above this adapter's maxBufferSize of ${fmtBytes(this.maxBufferSize)}`);
    let buf: GPUBuffer;
    try { buf = this.device.createBuffer({ size, usage: this.usage, label: what }); }
    catch (e) {
      // Retry once after dropping everything cached (the LRU-allocator trick).
      this.trim();
      try { buf = this.device.createBuffer({ size, usage: this.usage, label: what }); }
      catch { throw new RangeError(`out of memory: could not allocate ${fmtBytes(size)} for ${what} (${fmtBytes(this.created)} already on the GPU): ${(e as Error).message}`); }
    }
    this.created += size; this.live += size; this.count++;
    this.notePeak();
    return buf;
  }

  /** The buffer may still be read by encoded, unsubmitted commands: it is reusable only after the next submit. */
  release(buf: GPUBuffer) { this.pending.push(buf); this.live -= buf.size; this.pendingB += buf.size; }

  /** Bytes released since the last submit (reusable after the next one). */
  get pendingBytes(): number { return this.pendingB; }

  /** Called right after queue.submit(): everything released before it is free to reuse. */
  onSubmit() {
    for (const b of this.pending) {
      let l = this.free.get(b.size);
      if (!l) this.free.set(b.size, (l = []));
      l.push(b); this.pooled += b.size;
    }
    this.pending = []; this.pendingB = 0;
  }

  /** Destroy all cached free buffers. */
  trim() {
    for (const l of this.free.values()) for (const b of l) { b.destroy(); this.created -= b.size; this.count--; }
    this.free.clear(); this.pooled = 0;
  }

  stats(): PoolStats {
    return { liveBytes: this.live, pooledBytes: this.pooled, pendingBytes: this.pendingB, createdBytes: this.created,
      peakLiveBytes: this.peakLive, peakCreatedBytes: this.peak, peakTotalBytes: this.peakTotal, buffers: this.count };
  }
}

export function fmtBytes(n: number): string {
  if (n >= 2 ** 30) return (n / 2 ** 30).toFixed(2) + ' GiB';
  if (n >= 2 ** 20) return (n / 2 ** 20).toFixed(1) + ' MiB';
  if (n >= 2 ** 10) return (n / 2 ** 10).toFixed(1) + ' KiB';
  return n + ' B';
}
