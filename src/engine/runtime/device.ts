// Device: the one object that talks to WebGPU: buffer pool, pipeline cache, uniform arena, batched encoding, reads, errors.
import { KERNELS } from '../kernels.gen.ts';
import { BufferPool, fmtBytes, type PoolStats } from './buffer_pool.ts';
import { openGpu, adapterReport, type GpuHandle, type AdapterReport } from './env.ts';
import { paramLayout, packParams, type KernelName, type KernelParams } from './params.ts';
import { defaultWaitMode, waitFor, type WaitMode } from './wait.ts';
import { detectProfile, type AdapterProfile, type ProfileOverrides } from './profile.ts';
import type { OpWork, WorkCounter } from './counter.ts';

/** A storage-buffer range, or a storage-texture view (its access, read or write, is declared by the kernel). */
export type Binding = BufferBinding | TextureBinding;
export interface BufferBinding { buffer: GPUBuffer; offset: number; size: number }
export interface TextureBinding { texture: GPUTexture; view: GPUTextureView }
export interface KernelCall<K extends KernelName = KernelName> {
  /** Path under kernels/ without `.wgsl`, e.g. 'elementwise/binary'. */
  kernel: K;
  /** Text substitutions `{{NAME}}` → value (part of the pipeline key). */
  defines?: Record<string, string | number>;
  /** WGSL override constants (part of the pipeline key). */
  overrides?: Record<string, number>;
  /** Storage bindings (buffer ranges or storage textures) 0..n-1; the Params uniform is bound at n. */
  bindings: Binding[];
  /** The kernel's `struct Params` by field name; checked on every call (runtime/params.ts). */
  params: KernelParams[K];
  workgroups: [number, number?, number?];
}

const STORAGE_USAGE = GPUBufferUsageFlags();
function GPUBufferUsageFlags() {
  const U = (globalThis as any).GPUBufferUsage;
  // UNIFORM too, so that kernels may bind small operands (conv weights) as uniform buffers: lavapipe reads those with
  // branch-free gathers, storage buffers lane by lane with a bounds check and a branch each.
  return U ? U.STORAGE | U.COPY_SRC | U.COPY_DST | U.UNIFORM : 0x80 | 0x4 | 0x8 | 0x40;
}

/** Storage textures are also copy destinations: packs fill them with copyBufferToTexture (ops/matmul.ts packTex). */
function textureUsage(): number {
  const U = (globalThis as any).GPUTextureUsage;
  return U ? U.STORAGE_BINDING | U.COPY_DST : 0x08 | 0x02;
}

export interface DeviceOptions {
  powerPreference?: GPUPowerPreference;
  /** How reads and syncs wait for the GPU (runtime/wait.ts); default 'sleep' in Node and Deno, the runtime's await in browsers. */
  wait?: WaitMode;
  /** Overrides of the detected adapter profile (runtime/profile.ts), e.g. { attention: { subgroups: false } }. */
  profile?: ProfileOverrides;
}

export class Device {
  readonly gpu: GpuHandle;
  readonly dev: GPUDevice;
  readonly pool: BufferPool;
  readonly maxBinding: number;
  readonly storageAlign: number;
  readonly maxWorkgroups: number;
  readonly hasF16: boolean;
  readonly maxTexture2D: number;
  /** Scratch storage textures by slot and size (ops/matmul.ts packs operands into them); reused across calls. */
  private textures = new Map<string, { binding: TextureBinding; bytes: number; epoch: number }>();
  private textureBytes = 0;
  /** Textures handed to callers by createTexture (prepared conv weights), with their bytes, and their sum. */
  private owned = new Map<GPUTexture, number>();
  private ownedBytes = 0;
  /** Above this many bytes of scratch textures, unused sizes are destroyed before a new one is made. */
  textureBudget = 256 * 2 ** 20;
  private pipelines = new Map<string, GPUComputePipeline>();
  /** Pipelines known to be broken (compile errors arrive asynchronously; later uses throw at once). */
  private invalid = new Map<string, Error>();
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private dispatches = 0;
  private uniformArena: GPUBuffer[] = [];
  private uniformStage: ArrayBuffer;
  private uniformView: DataView;
  private uniformUsed = 0;
  private uniformAlign: number;
  private readonly arenaBytes = 1 << 16;
  private arenaIndex = 0;
  private pendingChecks: Promise<void>[] = [];
  private error: Error | null = null;
  private destroyed = false;
  /** Flush (submit) after this many dispatches so released buffers return to the pool. */
  flushEvery = 128;
  /**
   * Flush sooner once this many bytes of released buffers wait for a submit: a buffer released inside a submit cannot be
   * reused until the next one, so without it a run of big activations (a VQVAE decode at 512 px) holds several times
   * its live memory.
   */
  flushPendingBytes = 32 * 2 ** 20;
  /** How reads and syncs wait for the GPU: 'sleep' (Node and Deno default, keeps the JS thread idle) or 'spin' (plain await). */
  readonly waitMode: WaitMode;
  /** Per-adapter kernel choices (runtime/profile.ts), detected once; Device.create({ profile }) overrides fields. */
  readonly profile: AdapterProfile;
  /** Explicit per-device context: open memory scopes (innermost last) and the grad mode. */
  readonly ctx = { scopes: [] as Set<{ dispose(): void }>[], gradEnabled: true, nextTensorId: 1 };
  /** Counters for tests and benchmarks. */
  stats = { dispatches: 0, submits: 0, pipelinesCompiled: 0, reads: 0, textureCopies: 0 };
  /**
   * Work counter (runtime/counter.ts; countWork installs one): ops report FLOPs and bytes to it, dispatches are counted
   * per kernel and, with its `timestamps`, timed on the GPU. Null (the default) costs one property check per dispatch.
   */
  counter: WorkCounter | null = null;
  /** GPU timestamps of the dispatches since the last submit (counter.timestamps): query set, resolve buffer, owners. */
  private stamps: { set: GPUQuerySet; resolve: GPUBuffer; capacity: number } | null = null;
  private stampOwners: { counter: WorkCounter; e: OpWork; kernel: string }[] = [];

  private constructor(gpu: GpuHandle, waitMode: WaitMode, profile: ProfileOverrides) {
    this.gpu = gpu;
    this.waitMode = waitMode;
    const info: any = (gpu.adapter as any).info ?? {};
    const wgsl = (gpu.gpu as any).wgslLanguageFeatures as Iterable<string> | undefined;
    this.profile = detectProfile({ vendor: info.vendor, architecture: info.architecture, description: info.description,
      subgroupMinSize: info.subgroupMinSize, features: gpu.device.features as unknown as Iterable<string>, wgslFeatures: wgsl ? [...wgsl] : [] }, profile);
    this.dev = gpu.device;
    const L = this.dev.limits;
    this.maxBinding = L.maxStorageBufferBindingSize;
    this.storageAlign = L.minStorageBufferOffsetAlignment;
    this.uniformAlign = L.minUniformBufferOffsetAlignment;
    this.maxWorkgroups = L.maxComputeWorkgroupsPerDimension;
    this.hasF16 = this.dev.features.has('shader-f16');
    this.maxTexture2D = L.maxTextureDimension2D;
    this.pool = new BufferPool(this.dev, L.maxBufferSize, STORAGE_USAGE);
    this.pool.extraBytes = () => this.textureBytes + this.ownedBytes;
    this.uniformStage = new ArrayBuffer(this.arenaBytes);
    this.uniformView = new DataView(this.uniformStage);
    this.dev.onuncapturederror = (ev: GPUUncapturedErrorEvent) => this.fail(new Error(`WebGPU error: ${ev.error.message}`));
    this.dev.lost.then((info) => { if (!this.destroyed) this.fail(new Error(`WebGPU device lost (${info.reason}): ${info.message}`)); });
  }

  static async create(opts: DeviceOptions = {}): Promise<Device> {
    const gpu = await openGpu(opts);
    try { return new Device(gpu, opts.wait ?? defaultWaitMode(), opts.profile ?? {}); }
    catch (e) { gpu.device.destroy(); throw e; }
  }

  /** Resolves as `p` does, waiting the device's way (see runtime/wait.ts). */
  wait<T>(p: Promise<T>): Promise<T> { return waitFor(p, this.waitMode); }

  report(): AdapterReport { return adapterReport(this.gpu); }

  /** The device has the timestamp-query feature (GPU time per dispatch under a counter with timestamps). */
  get hasTimestamps(): boolean { return this.dev.features.has('timestamp-query'); }

  private fail(e: Error) { if (!this.error) this.error = e; }

  /** Throws the first asynchronous error (compile, validation, out-of-memory, device lost) seen so far. */
  async checkErrors(): Promise<void> {
    const checks = this.pendingChecks; this.pendingChecks = [];
    if (checks.length) await this.wait(Promise.all(checks));
    if (this.error) { const e = this.error; this.error = null; throw e; }
  }

  // ---- buffers -------------------------------------------------------------------------------
  alloc(bytes: number, what: string): GPUBuffer { this.assertAlive(); return this.pool.acquire(bytes, what); }
  release(buf: GPUBuffer) { if (!this.destroyed) this.pool.release(buf); }
  /**
   * Buffer pool statistics, plus the bytes held by scratch textures and by textures handed out by createTexture. The
   * peaks (peakLiveBytes, peakCreatedBytes, peakTotalBytes = buffers + textures) run from the device's creation or the
   * last resetPeakMemory().
   */
  poolStats(): PoolStats & { textureBytes: number; ownedTextureBytes: number } {
    return { ...this.pool.stats(), textureBytes: this.textureBytes, ownedTextureBytes: this.ownedBytes };
  }

  /**
   * Starts the memory peaks of poolStats() again from the current totals, to measure one piece of work. With `trim`
   * the work so far is submitted and the pool's cached free buffers and the scratch textures are destroyed first, so
   * that peakCreatedBytes and peakTotalBytes count what the next work needs, not what earlier work left cached.
   */
  resetPeakMemory(o: { trim?: boolean } = {}): void {
    this.assertAlive();
    if (o.trim) {
      this.flush();
      this.pool.trim();
      for (const t of this.textures.values()) t.binding.texture.destroy();
      this.textures.clear(); this.textureBytes = 0;
    }
    this.pool.resetPeak();
  }

  /**
   * An rgba32float storage texture of width × height texels that belongs to the caller (e.g. a prepared conv weight):
   * no scratch slot, never evicted; free it with destroyTexture (destroy() frees what is left).
   */
  createTexture(label: string, width: number, height: number): TextureBinding {
    this.assertAlive();
    const max = this.maxTexture2D;
    if (!(width >= 1 && height >= 1 && width <= max && height <= max))
      throw new RangeError(`texture ${label}: ${width} × ${height} texels is outside 1 .. maxTextureDimension2D ${max}`);
    const usage = textureUsage();
    const texture = this.dev.createTexture({ size: [width, height], format: 'rgba32float', usage, label });
    this.owned.set(texture, width * height * 16); this.ownedBytes += width * height * 16;
    this.pool.notePeak();
    return { texture, view: texture.createView() };
  }

  /** Frees a texture from createTexture once the work submitted so far is done with it (WebGPU defers the destroy). */
  destroyTexture(t: TextureBinding): void {
    const bytes = this.owned.get(t.texture);
    if (bytes === undefined || this.destroyed) return;
    this.owned.delete(t.texture); this.ownedBytes -= bytes;
    this.flush();
    t.texture.destroy();
  }

  /**
   * A scratch rgba32float storage texture of at least width × height texels for `slot` (e.g. 'matmul.a'), cached by
   * slot and size. Its contents are whatever the last user wrote: callers fill what they read in the same submit.
   */
  scratchTexture(slot: string, width: number, height: number): TextureBinding {
    this.assertAlive();
    const max = this.maxTexture2D, up = (x: number) => Math.min(max, Math.ceil(x / 64) * 64);
    if (width < 1 || height < 1 || width > max || height > max)
      throw new RangeError(`scratch texture ${slot}: ${width} × ${height} texels is outside 1 .. maxTextureDimension2D ${max}`);
    const w = up(width), h = up(height), key = `${slot} ${w}x${h}`, epoch = this.stats.submits;
    let t = this.textures.get(key);
    if (t) { this.textures.delete(key); this.textures.set(key, { ...t, epoch }); return t.binding; }   // most recent last
    const bytes = w * h * 16;
    if (this.textureBytes + bytes > this.textureBudget) {
      // Evict the least recently used sizes not handed out since the last submit; submit first, since encoded work
      // may still use them (destroy() waits for submitted work).
      this.flush();
      for (const [k, old] of this.textures) {
        if (this.textureBytes + bytes <= this.textureBudget) break;
        if (old.epoch >= epoch) continue;
        old.binding.texture.destroy(); this.textureBytes -= old.bytes; this.textures.delete(k);
      }
    }
    const usage = textureUsage();
    const texture = this.dev.createTexture({ size: [w, h], format: 'rgba32float', usage, label: key });
    t = { binding: { texture, view: texture.createView() }, bytes, epoch };
    this.textures.set(key, t); this.textureBytes += bytes;
    this.pool.notePeak();
    return t.binding;
  }

  upload(buf: GPUBuffer, byteOffset: number, data: ArrayBufferView) {
    this.assertAlive();
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    const padded = bytes.byteLength % 4 ? (() => { const p = new Uint8Array(Math.ceil(bytes.byteLength / 4) * 4); p.set(bytes); return p; })() : bytes;
    this.dev.queue.writeBuffer(buf, byteOffset, padded as Uint8Array<ArrayBuffer>);
  }

  /** Copies `bytes` from `src` into a fresh buffer and reads it back. Flushes pending work. */
  async read(src: GPUBuffer, byteOffset: number, bytes: number): Promise<ArrayBuffer> {
    this.assertAlive();
    const size = Math.ceil(Math.max(bytes, 4) / 4) * 4;
    const staging = this.dev.createBuffer({ size, usage: (globalThis as any).GPUBufferUsage.MAP_READ | (globalThis as any).GPUBufferUsage.COPY_DST });
    this.endPass();
    this.enc().copyBufferToBuffer(src, byteOffset, staging, 0, size);
    this.flush();
    this.stats.reads++;
    try {
      await this.checkErrors();
      await this.wait(staging.mapAsync((globalThis as any).GPUMapMode.READ));
      await this.checkErrors();
      return staging.getMappedRange().slice(0, bytes);
    } finally { staging.destroy(); }
  }

  // ---- kernels -------------------------------------------------------------------------------
  pipeline(kernel: string, defines: Record<string, string | number> = {}, overrides: Record<string, number> = {}): GPUComputePipeline {
    const key = kernel + JSON.stringify(defines) + JSON.stringify(overrides);
    const bad = this.invalid.get(key);
    if (bad) throw bad;
    let p = this.pipelines.get(key);
    if (p) return p;
    let code = KERNELS[kernel];
    if (code === undefined) throw new Error(`unknown kernel '${kernel}' (not in kernels/; run npm run kernels)`);
    code = code.replace(/\{\{(\w+)\}\}/g, (_, k) => {
      if (!(k in defines)) throw new Error(`kernel '${kernel}' needs define {{${k}}}`);
      return String(defines[k]);
    });
    this.dev.pushErrorScope('validation');
    if (Object.values(defines).includes('f16')) {
      if (!this.hasF16) { this.dev.popErrorScope(); throw new Error(`kernel '${kernel}': f16 needs the adapter feature shader-f16, which this adapter lacks`); }
      code = 'enable f16;\n' + code;
    }
    const module = this.dev.createShaderModule({ code, label: kernel });
    p = this.dev.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main', constants: overrides }, label: key });
    const popped = this.dev.popErrorScope();
    this.pendingChecks.push((async () => {
      const err = await popped;
      if (!err) return;
      let detail = '';
      try {
        const info = await module.getCompilationInfo();
        detail = info.messages.filter((m) => m.type === 'error').map((m) => `  line ${m.lineNum}:${m.linePos}: ${m.message}`).join('\n');
      } catch { /* some runtimes lack getCompilationInfo */ }
      const e = new Error(`kernel '${kernel}' failed to compile${Object.keys(defines).length ? ` with ${JSON.stringify(defines)}` : ''}:\n${detail || err.message}`);
      this.invalid.set(key, e);
      this.fail(e);
    })());
    this.pipelines.set(key, p);
    this.stats.pipelinesCompiled++;
    return p;
  }

  /**
   * Encodes one dispatch into the open compute pass. Synchronous; nothing runs until the next flush. Params are
   * checked (and packed) first, so a bad call throws even when it has no work.
   */
  run<K extends KernelName>(call: KernelCall<K>) {
    this.assertAlive();
    const counter = this.counter, timed = !!counter?.timestamps;
    if (timed && this.stamps && this.stampOwners.length >= this.stamps.capacity) this.flush();
    const u = this.stageParams(call.kernel, call.params);
    const [x, y = 1, z = 1] = call.workgroups;
    if (x === 0 || y === 0 || z === 0) return;
    for (const [i, w] of [x, y, z].entries())
      if (w > this.maxWorkgroups) throw new RangeError(`kernel '${call.kernel}': ${w} workgroups in dimension ${i} exceed maxComputeWorkgroupsPerDimension ${this.maxWorkgroups}`);
    for (const [i, b] of call.bindings.entries()) {
      if ('view' in b) continue;
      if (b.size > this.maxBinding) throw new RangeError(`kernel '${call.kernel}': binding ${i} is ${fmtBytes(b.size)}, above maxStorageBufferBindingSize ${fmtBytes(this.maxBinding)}; the op must split it`);
      if (b.offset % this.storageAlign) throw new RangeError(`kernel '${call.kernel}': binding ${i} offset ${b.offset} is not a multiple of ${this.storageAlign}`);
    }
    const pipe = this.pipeline(call.kernel, call.defines, call.overrides);
    this.uniformUsed = u.offset + u.size;
    const entries: GPUBindGroupEntry[] = call.bindings.map((b, i) => ({ binding: i, resource: 'view' in b ? b.view : { buffer: b.buffer, offset: b.offset, size: b.size } }));
    entries.push({ binding: call.bindings.length, resource: { buffer: u.buffer, offset: u.offset, size: u.size } });
    const group = this.dev.createBindGroup({ layout: pipe.getBindGroupLayout(0), entries });
    const pass = timed ? this.timedPass() : this.computePass();
    pass.setPipeline(pipe);
    pass.setBindGroup(0, group);
    pass.dispatchWorkgroups(x, y, z);
    this.stats.dispatches++;
    if (counter) {
      const e = counter.dispatched(call.kernel);
      if (timed) { this.stampOwners.push({ counter, e, kernel: call.kernel }); this.endPass(); }
    }
    if (++this.dispatches >= this.flushEvery || this.pool.pendingBytes > this.flushPendingBytes) this.flush();
  }

  /** Splits n invocations of workgroup size wg into a grid within maxComputeWorkgroupsPerDimension. */
  grid(n: number, wg: number): [number, number, number] {
    const groups = Math.ceil(n / wg);
    if (groups <= this.maxWorkgroups) return [groups, 1, 1];
    const y = Math.ceil(groups / this.maxWorkgroups);
    return [Math.ceil(groups / y), y, 1];
  }

  copy(src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, bytes: number) {
    this.assertAlive();
    this.endPass();
    this.enc().copyBufferToBuffer(src, srcOffset, dst, dstOffset, bytes);
  }

  /**
   * Copies width × height texels into tex at texel (x0, y0) on: row i from src + srcOffset + i·bytesPerRow (offset a
   * multiple of 16, bytesPerRow of 256). Encoded in order with the dispatches; not timed by a counter's timestamps.
   */
  copyToTexture(src: GPUBuffer, srcOffset: number, bytesPerRow: number, tex: TextureBinding, y0: number, width: number, height: number, x0 = 0) {
    this.assertAlive();
    if (srcOffset % 16 || bytesPerRow % 256)
      throw new RangeError(`copyToTexture: source offset ${srcOffset} must be a multiple of 16 and bytesPerRow ${bytesPerRow} of 256`);
    if (width === 0 || height === 0) return;
    this.endPass();
    this.enc().copyBufferToTexture({ buffer: src, offset: srcOffset, bytesPerRow }, { texture: tex.texture, origin: { x: x0, y: y0 } }, { width, height });
    this.stats.textureCopies++;
  }

  /** Sets bytes [offset, offset + bytes) of buf to zero (both multiples of 4), in order with the dispatches. */
  clearBuffer(buf: GPUBuffer, offset: number, bytes: number) {
    this.assertAlive();
    if (bytes === 0) return;
    this.endPass();
    this.enc().clearBuffer(buf, offset, bytes);
  }

  /** Submits everything encoded so far. */
  flush() {
    // Nothing encoded since the last submit: buffers released meanwhile were last used by submitted work.
    if (!this.encoder) { this.pool.onSubmit(); return; }
    this.endPass();
    if (this.uniformUsed > 0) {
      this.dev.queue.writeBuffer(this.uniformArena[this.arenaIndex]!, 0, this.uniformStage, 0, this.uniformUsed);
    }
    const stamped = this.stampOwners.length ? this.resolveStamps() : null;
    this.dev.queue.submit([this.encoder.finish()]);
    this.encoder = null; this.dispatches = 0; this.uniformUsed = 0; this.arenaIndex = 0;
    this.stats.submits++;
    this.pool.onSubmit();
    if (stamped) this.readStamps(stamped.staging, stamped.owners);
  }

  /** Flushes and waits until the GPU has finished; throws pending errors. */
  async sync(): Promise<void> {
    this.flush();
    await this.wait(this.dev.queue.onSubmittedWorkDone());
    await this.checkErrors();
  }

  destroy() {
    if (this.destroyed) return;
    try { this.flush(); } catch { /* ignore */ }
    this.destroyed = true;
    this.pool.trim();
    for (const t of this.textures.values()) t.binding.texture.destroy();
    this.textures.clear(); this.textureBytes = 0;
    for (const t of this.owned.keys()) t.destroy();
    this.owned.clear(); this.ownedBytes = 0;
    for (const b of this.uniformArena) b.destroy();
    if (this.stamps) { this.stamps.set.destroy(); this.stamps.resolve.destroy(); }
    this.dev.destroy();
  }
  get isDestroyed() { return this.destroyed; }

  // ---- internals -----------------------------------------------------------------------------
  private assertAlive() { if (this.destroyed) throw new Error('hvar Device used after destroy()'); }
  private enc(): GPUCommandEncoder { return (this.encoder ??= this.dev.createCommandEncoder()); }
  private computePass(): GPUComputePassEncoder { return (this.pass ??= this.enc().beginComputePass()); }
  private endPass() { if (this.pass) { this.pass.end(); this.pass = null; } }

  /** A compute pass of its own for one timed dispatch, writing its begin and end timestamps. */
  private timedPass(): GPUComputePassEncoder {
    this.endPass();
    const cap = 1024;
    this.stamps ??= {
      set: this.dev.createQuerySet({ type: 'timestamp', count: 2 * cap }),
      resolve: this.dev.createBuffer({ size: 16 * cap, usage: (globalThis as any).GPUBufferUsage.QUERY_RESOLVE | (globalThis as any).GPUBufferUsage.COPY_SRC }),
      capacity: cap,
    };
    const i = this.stampOwners.length;
    return (this.pass = this.enc().beginComputePass({ timestampWrites: { querySet: this.stamps.set, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 } }));
  }

  /** Encodes the resolve of this submit's timestamps and their copy into a fresh mappable buffer. */
  private resolveStamps(): { staging: GPUBuffer; owners: { counter: WorkCounter; e: OpWork; kernel: string }[] } {
    const owners = this.stampOwners, n = owners.length, s = this.stamps!;
    this.stampOwners = [];
    const staging = this.dev.createBuffer({ size: 16 * n, usage: (globalThis as any).GPUBufferUsage.MAP_READ | (globalThis as any).GPUBufferUsage.COPY_DST });
    this.endPass();
    this.enc().resolveQuerySet(s.set, 0, 2 * n, s.resolve, 0);
    this.enc().copyBufferToBuffer(s.resolve, 0, staging, 0, 16 * n);
    return { staging, owners };
  }

  /** Reads one submit's timestamps once it has run and hands each dispatch's time (ms) to its counter. */
  private readStamps(staging: GPUBuffer, owners: { counter: WorkCounter; e: OpWork; kernel: string }[]) {
    const done = this.wait(staging.mapAsync((globalThis as any).GPUMapMode.READ)).then(() => {
      const t = new BigUint64Array(staging.getMappedRange());
      owners.forEach((o, i) => { const d = t[2 * i + 1]! - t[2 * i]!; o.counter.timed(o.e, o.kernel, d > 0n ? Number(d) / 1e6 : 0); });
    }).finally(() => staging.destroy());
    owners[0]!.counter.track(done);
  }

  /** Checks and packs a call's Params into the next uniform slot; run() claims the slot once the dispatch is valid. */
  private stageParams(kernel: string, values: object): { buffer: GPUBuffer; offset: number; size: number } {
    const layout = paramLayout(kernel), size = layout.bytes;
    let off = Math.ceil(this.uniformUsed / this.uniformAlign) * this.uniformAlign;
    if (off + size > this.arenaBytes) {
      // Arena full: write it out, move to the next arena buffer within the same submit.
      this.dev.queue.writeBuffer(this.uniformArena[this.arenaIndex]!, 0, this.uniformStage, 0, this.uniformUsed);
      this.arenaIndex++; this.uniformUsed = 0; off = 0;
    }
    while (this.uniformArena.length <= this.arenaIndex)
      this.uniformArena.push(this.dev.createBuffer({ size: this.arenaBytes, usage: (globalThis as any).GPUBufferUsage.UNIFORM | (globalThis as any).GPUBufferUsage.COPY_DST, label: 'uniform-arena' }));
    packParams(layout, values, this.uniformView, off);
    return { buffer: this.uniformArena[this.arenaIndex]!, offset: off, size };
  }
}
