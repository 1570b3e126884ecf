// tfjs-backend-webgpu 4.22 as a benchmark peer, on the same Dawn instance (and physical adapter) as hvar's Device.
// tfjs finds WebGPU through `navigator.gpu` (checked when @tensorflow/tfjs-backend-webgpu is imported, then
// `navigator.gpu.requestAdapter()` in its backend factory), so we point navigator.gpu at hvar's GPU object first.
import type { Device } from '../../src/engine/index.ts';
import { waitFor, type WaitMode } from '../../src/engine/runtime/wait.ts';

export interface TfjsPeer {
  tf: any;
  /** The tfjs WebGPU backend (its GPUDevice is backend.device). */
  backend: any;
  /** Adapter tfjs opened, as reported by its GPUAdapterInfo. */
  adapter: string;
  /** Submits tfjs's batched commands and waits until the GPU has finished them (as hvar waits: runtime/wait.ts). */
  sync(mode: WaitMode): Promise<void>;
  /** WebGPU errors tfjs's device raised since the last call (tfjs does not check them: a failed dispatch is silent). */
  takeErrors(): string[];
}

export async function openTfjs(dev: Device): Promise<TfjsPeer> {
  const g = globalThis as any;
  // Node 20 has no navigator; Node >= 21 has one without `gpu`. Either way give it hvar's (Dawn) GPU object.
  if (!g.navigator) g.navigator = {};
  if (!g.navigator.gpu) Object.defineProperty(g.navigator, 'gpu', { value: dev.gpu.gpu, configurable: true });
  let adapter = '';
  const gpu = g.navigator.gpu;
  const request = gpu.requestAdapter.bind(gpu);
  // Record which adapter tfjs gets (its factory calls requestAdapter once).
  Object.defineProperty(g.navigator, 'gpu', { configurable: true, value: Object.assign(Object.create(gpu), {
    requestAdapter: async (o?: GPURequestAdapterOptions) => {
      const a = await request(o);
      const i: any = a?.info ?? {};
      adapter = [i.vendor, i.architecture, i.device, i.description].filter(Boolean).join(' / ');
      return a;
    },
  }) });
  const tf = await import('@tensorflow/tfjs-core');
  await import('@tensorflow/tfjs-backend-webgpu');
  if (!(await tf.setBackend('webgpu'))) throw new Error('tfjs: the webgpu backend failed to initialise');
  await tf.ready();
  const backend: any = tf.backend();
  let errors: string[] = [];
  backend.device.onuncapturederror = (ev: GPUUncapturedErrorEvent) => { errors.push(ev.error.message.split('\n')[0]!); };
  return {
    tf, backend, adapter,
    takeErrors() { const e = errors; errors = []; return e; },
    async sync(mode: WaitMode) {
      // What tfjs itself does before a read: end the open compute pass, submit the encoder (if anything is pending).
      if (backend.commandEncoder) { backend.endComputePassEncoder(); backend.submitQueue(); }
      await waitFor(backend.device.queue.onSubmittedWorkDone(), mode);
    },
  };
}
