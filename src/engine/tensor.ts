// Tensor: shape, strides, dtype and a reference-counted GPU storage; views share storage; only reads are async.
import type { Device, BufferBinding } from './runtime/device.ts';
import { BYTES, arrayFor, type DType } from './dtype.ts';
import { contiguousStrides, numel, fmt, type Shape } from './shape.ts';

/** A GPU buffer shared by a tensor and its views; returned to the pool when the last one is disposed. */
export class Storage {
  refs = 1;
  /** `bytes`: the buffer's size (a pool bucket); `used`: the bytes the tensor that made it asked for. */
  constructor(readonly dev: Device, readonly buffer: GPUBuffer, readonly bytes: number, readonly used = bytes) {}
  retain() { this.refs++; return this; }
  release() { if (--this.refs === 0) this.dev.release(this.buffer); }
}

/** Autograd record: the op that made a tensor, its inputs and the rule that maps the output grad to input grads. */
export interface GradNode {
  op: string;
  inputs: Tensor[];
  backward: (gOut: Tensor) => (Tensor | null)[];
}

export class Tensor {
  readonly id: number;
  requiresGrad = false;
  grad: Tensor | null = null;
  node: GradNode | null = null;
  /** Parameters and other long-lived tensors are kept out of scopes. */
  kept = false;
  name = '';
  private disposed = false;

  constructor(
    readonly dev: Device,
    readonly storage: Storage,
    readonly shape: readonly number[],
    readonly dtype: DType = 'f32',
    readonly strides: readonly number[] = contiguousStrides(shape),
    readonly offset = 0,
  ) {
    this.id = dev.ctx.nextTensorId++;
    const s = dev.ctx.scopes;
    if (s.length) s[s.length - 1]!.add(this);
  }

  get numel() { return numel(this.shape); }
  get ndim() { return this.shape.length; }
  get isDisposed() { return this.disposed; }
  get isContiguous(): boolean {
    let acc = 1;
    for (let i = this.shape.length - 1; i >= 0; i--) {
      if (this.shape[i] !== 1 && this.strides[i] !== acc) return false;
      acc *= this.shape[i]!;
    }
    return true;
  }
  toString() { return `Tensor(${fmt(this.shape)}, ${this.dtype}${this.name ? ', ' + this.name : ''})`; }

  assertLive(op: string) {
    if (this.disposed) throw new Error(`${op}: ${this} was disposed (read after dispose()/scope end)`);
  }

  /** Binds the tensor's elements [offset, offset+extent) — the tensor must be contiguous. */
  binding(op: string): BufferBinding {
    this.assertLive(op);
    if (!this.isContiguous) throw new Error(`${op}: internal error: expected a contiguous tensor, got strides [${this.strides}] for shape ${fmt(this.shape)}`);
    return this.window(op, this.offset, this.offset + Math.max(this.numel, 1)).binding;
  }

  /**
   * Binds elements [lo, hi) of the storage: the binding starts at the aligned byte offset at or below lo, and
   * `base` is lo's element index within the binding (kernels add it to their indices).
   */
  window(op: string, lo: number, hi: number): { binding: BufferBinding; base: number } {
    const eb = BYTES[this.dtype], align = this.dev.storageAlign;
    const startByte = Math.floor((lo * eb) / align) * align;
    const endByte = Math.min(this.storage.bytes, Math.ceil((hi * eb) / 4) * 4);
    const size = Math.max(4, endByte - startByte);
    if (size > this.dev.maxBinding)
      throw new RangeError(`${op}: ${this} needs a ${(size / 2 ** 20).toFixed(1)} MiB binding, above this adapter's maxStorageBufferBindingSize (${this.dev.maxBinding / 2 ** 20} MiB), and ${op} does not split it`);
    return { binding: { buffer: this.storage.buffer, offset: startByte, size }, base: lo - startByte / eb };
  }

  dispose() {
    if (this.disposed) return;
    this.disposed = true;
    this.storage.release();
    this.node = null;
    if (this.grad) { this.grad.dispose(); this.grad = null; }
  }

  /** Marks the tensor long-lived: it is removed from the open scope and survives scope ends. */
  keep(): this {
    this.kept = true;
    for (const s of this.dev.ctx.scopes) s.delete(this);
    return this;
  }

  /** Reads the values back (row-major, as a fresh TypedArray). Flushes pending GPU work. */
  async toArray(): Promise<Float32Array | Int32Array | Uint32Array> {
    this.assertLive('toArray');
    const { contiguous } = await import('./ops/movement.ts');
    const t = this.isContiguous ? this : contiguous(this);
    const eb = BYTES[t.dtype], n = t.numel;
    const buf = await t.dev.read(t.storage.buffer, t.offset * eb, n * eb);
    if (t !== this) t.dispose();
    return arrayFor(t.dtype, buf, n);
  }
  async item(): Promise<number> {
    if (this.numel !== 1) throw new Error(`item(): ${this} has ${this.numel} elements, expected 1`);
    return (await this.toArray())[0]!;
  }
}

/** Allocates an uninitialised contiguous tensor. */
export function empty(dev: Device, shape: Shape, dtype: DType = 'f32', what = 'tensor'): Tensor {
  for (const d of shape) if (!Number.isInteger(d) || d < 0) throw new Error(`${what}: invalid shape ${fmt(shape)}`);
  const bytes = Math.max(numel(shape), 1) * BYTES[dtype];
  const buf = dev.alloc(bytes, `${what} ${fmt(shape)} ${dtype}`);
  return new Tensor(dev, new Storage(dev, buf, buf.size, bytes), [...shape], dtype);
}

/** Uploads host data. `data` length must equal the shape's element count. */
export function fromArray(dev: Device, data: ArrayLike<number>, shape: Shape, dtype: DType = 'f32'): Tensor {
  const n = numel(shape);
  if (data.length !== n) throw new Error(`fromArray: ${data.length} values do not fill shape ${fmt(shape)} (${n} elements)`);
  const t = empty(dev, shape, dtype, 'fromArray');
  if (n === 0) return t;
  let arr: ArrayBufferView;
  if (dtype === 'f32') arr = data instanceof Float32Array ? data : Float32Array.from(data);
  else if (dtype === 'i32') arr = data instanceof Int32Array ? data : Int32Array.from(data);
  else if (dtype === 'u32') arr = data instanceof Uint32Array ? data : Uint32Array.from(data);
  else throw new Error('fromArray: f16 upload is done with cast() from f32');
  dev.upload(t.storage.buffer, 0, arr);
  return t;
}

/** A view sharing storage (no copy). */
export function view(t: Tensor, shape: Shape, strides: readonly number[], offset: number): Tensor {
  t.assertLive('view');
  return new Tensor(t.dev, t.storage.retain(), [...shape], t.dtype, [...strides], offset);
}

/**
 * Runs fn; every tensor created inside and not returned (nor kept) is disposed at the end. Returned values may be
 * a tensor, an array or an object of tensors; they move to the enclosing scope.
 */
export function scope<T>(dev: Device, fn: () => T): T {
  const mine = openScope(dev);
  let out: T;
  try { out = fn(); } finally { popScope(dev, mine); }
  closeScope(dev, mine, out);
  return out;
}

/** Async variant of scope() for code that awaits reads inside. */
export async function scopeAsync<T>(dev: Device, fn: () => Promise<T>): Promise<T> {
  const mine = openScope(dev);
  let out: T;
  try { out = await fn(); } finally { popScope(dev, mine); }
  closeScope(dev, mine, out);
  return out;
}

function openScope(dev: Device) { const s = new Set<{ dispose(): void }>(); dev.ctx.scopes.push(s); return s; }
function popScope(dev: Device, s: Set<{ dispose(): void }>) { const i = dev.ctx.scopes.lastIndexOf(s); if (i >= 0) dev.ctx.scopes.splice(i, 1); }
function closeScope(dev: Device, mine: Set<{ dispose(): void }>, out: unknown) {
  const keep = new Set<unknown>();
  const collect = (v: unknown) => {
    if (v instanceof Tensor) { keep.add(v); if (v.grad) keep.add(v.grad); }
    else if (Array.isArray(v)) v.forEach(collect);
    else if (v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) Object.values(v).forEach(collect);
  };
  collect(out);
  const parent = dev.ctx.scopes[dev.ctx.scopes.length - 1];
  for (const t of mine) {
    if (keep.has(t) || (t as Tensor).kept) { parent?.add(t); continue; }
    t.dispose();
  }
}
