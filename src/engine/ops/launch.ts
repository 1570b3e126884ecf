// launch: the public way to run one bundled kernel on tensors (or raw bindings) with its Params by name.
import type { Device, Binding } from '../runtime/device.ts';
import type { KernelName, KernelParams } from '../runtime/params.ts';
import { Tensor } from '../tensor.ts';

export interface LaunchCall<K extends KernelName> {
  /** Path under kernels/ without `.wgsl`, e.g. 'optim/adamw'. */
  kernel: K;
  /**
   * Storage bindings 0..n-1 in the kernel's order. A Tensor must be contiguous and is bound whole from its first
   * element (a view whose first element is not at a storage-aligned offset throws: bind it as a raw Binding and
   * pass its base in Params). The Params uniform goes to binding n.
   */
  bindings: readonly (Tensor | Binding)[];
  /** Every field of the kernel's `struct Params`, by name (see KernelParams); checked on every call. */
  params: KernelParams[K];
  /** Workgroup counts; `dev.grid(n, wg)` folds a large 1-D count into range. */
  workgroups: number | [number, number?, number?];
  /** `{{NAME}}` substitutions of the kernel source (part of the pipeline key). */
  defines?: Record<string, string | number>;
}

/**
 * Encodes one dispatch of `kernel` on `dev` (runs at the next flush / read). The same checks as the ops: Params by
 * name (unknown, missing or out-of-range fields throw naming the kernel and the field), binding sizes and alignment,
 * workgroup limits. Example:
 *   launch(dev, { kernel: 'degrade/usm', bindings: [x, blur, sharp, out], params: { n: x.numel, a: 0.5 },
 *     workgroups: dev.grid(Math.ceil(x.numel / 4), 64), defines: { MODE: 1 } });
 */
export function launch<K extends KernelName>(dev: Device, call: LaunchCall<K>): void {
  const bindings = call.bindings.map((b, i) => (b instanceof Tensor ? bindTensor(dev, call.kernel, b, i) : b));
  const workgroups: [number, number?, number?] = typeof call.workgroups === 'number' ? [call.workgroups] : call.workgroups;
  // Work of a kernel of the caller's: no FLOPs known; bytes = its storage bindings' sizes (buffers; textures count 0).
  dev.counter?.op(`launch ${call.kernel}`, 'other', 0, bindings.reduce((s, b) => s + ('size' in b ? b.size : 0), 0));
  dev.run({ kernel: call.kernel, bindings, params: call.params, workgroups, defines: call.defines });
}

function bindTensor(dev: Device, kernel: string, t: Tensor, i: number): Binding {
  t.assertLive(`kernel '${kernel}'`);
  if (t.dev !== dev) throw new Error(`kernel '${kernel}': binding ${i} (${t}) lives on another device`);
  if (!t.isContiguous) throw new Error(`kernel '${kernel}': binding ${i} (${t}) must be contiguous`);
  const w = t.window(kernel, t.offset, t.offset + Math.max(t.numel, 1));
  if (w.base !== 0) throw new Error(`kernel '${kernel}': binding ${i} (${t}) starts ${w.base} elements into its aligned window; bind it as a raw Binding and pass the base in Params`);
  return w.binding;
}
