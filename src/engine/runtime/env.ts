// Finds a WebGPU adapter in Node (the `webgpu` package, Dawn), Deno or a browser (navigator.gpu) and opens a device.
export interface GpuHandle {
  gpu: GPU;
  adapter: GPUAdapter;
  device: GPUDevice;
  runtime: 'node' | 'deno' | 'browser';
  /** Node: the object returned by webgpu's create(); it must stay referenced for the device's life. */
  keepAlive?: unknown;
}

export interface AdapterReport {
  runtime: string;
  vendor: string; architecture: string; device: string; description: string;
  isFallbackAdapter: boolean;
  features: string[];
  limits: Record<string, number>;
}

export const NO_ADAPTER_HELP = [
  'No WebGPU adapter was found.',
  'On Debian/Ubuntu install a Vulkan driver, e.g. Mesa lavapipe (software Vulkan):',
  '  bash scripts/setup.sh        (as root on Debian bookworm: adds bookworm-backports, installs mesa-vulkan-drivers libvulkan1)',
  '  or: apt-get install -t bookworm-backports mesa-vulkan-drivers libvulkan1   (Mesa >= 23 is needed by Dawn)',
  'Elsewhere install your GPU vendor\'s Vulkan/Metal/D3D12 driver; in a browser enable WebGPU (chrome://flags/#enable-unsafe-webgpu).',
].join('\n');

export class NoAdapterError extends Error {
  constructor(detail = '') { super(NO_ADAPTER_HELP + (detail ? `\n(${detail})` : '')); this.name = 'NoAdapterError'; }
}

function detectRuntime(): GpuHandle['runtime'] {
  const g = globalThis as any;
  if (g.Deno) return 'deno';
  if (g.process?.versions?.node && !g.window) return 'node';
  return 'browser';
}

async function getGpu(runtime: GpuHandle['runtime']): Promise<{ gpu: GPU; keepAlive?: unknown }> {
  if (runtime !== 'node') {
    const gpu = (globalThis as any).navigator?.gpu as GPU | undefined;
    if (!gpu) throw new NoAdapterError(`navigator.gpu is missing in ${runtime}`);
    return { gpu };
  }
  (globalThis as any).process.env.XDG_RUNTIME_DIR ??= '/tmp';
  // A static specifier: bundlers keep it as an external import that resolves from the hvar package's own dependencies.
  const mod: any = await import('webgpu');
  Object.assign(globalThis, mod.globals);
  const gpu = mod.create([]) as GPU;
  return { gpu, keepAlive: gpu };
}

/** Limits big models need: ask for the adapter's maximum of each. */
const WANTED_LIMITS = [
  'maxStorageBufferBindingSize', 'maxBufferSize', 'maxComputeWorkgroupStorageSize', 'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX', 'maxComputeWorkgroupSizeY', 'maxComputeWorkgroupSizeZ', 'maxStorageBuffersPerShaderStage',
  'maxComputeWorkgroupsPerDimension', 'maxTextureDimension2D',
] as const;
const WANTED_FEATURES = ['shader-f16', 'timestamp-query', 'subgroups'] as const;

export async function openGpu(opts: { powerPreference?: GPUPowerPreference } = {}): Promise<GpuHandle> {
  const runtime = detectRuntime();
  const { gpu, keepAlive } = await getGpu(runtime);
  const adapter = await gpu.requestAdapter({ powerPreference: opts.powerPreference ?? 'high-performance' });
  if (!adapter) throw new NoAdapterError(`${runtime}: requestAdapter() returned null`);
  const requiredLimits: Record<string, number> = {};
  for (const k of WANTED_LIMITS) { const v = (adapter.limits as any)[k]; if (typeof v === 'number') requiredLimits[k] = v; }
  const requiredFeatures = WANTED_FEATURES.filter((f) => adapter.features.has(f)) as GPUFeatureName[];
  const device = await adapter.requestDevice({ requiredLimits, requiredFeatures });
  return { gpu, adapter, device, runtime, keepAlive };
}

export function adapterReport(h: GpuHandle): AdapterReport {
  const info: any = (h.adapter as any).info ?? {};
  const limits: Record<string, number> = {};
  for (const k in h.device.limits) { const v = (h.device.limits as any)[k]; if (typeof v === 'number') limits[k] = v; }
  if (Object.keys(limits).length === 0) for (const k of [...WANTED_LIMITS, 'minStorageBufferOffsetAlignment', 'minUniformBufferOffsetAlignment', 'maxUniformBufferBindingSize', 'maxComputeWorkgroupsPerDimension'])
    limits[k] = (h.device.limits as any)[k];
  return {
    runtime: h.runtime + (h.runtime === 'node' ? ' (Dawn, npm webgpu)' : h.runtime === 'deno' ? ' (wgpu)' : ''),
    vendor: info.vendor ?? '', architecture: info.architecture ?? '', device: info.device ?? '', description: info.description ?? '',
    isFallbackAdapter: !!(info.isFallbackAdapter ?? (h.adapter as any).isFallbackAdapter),
    features: [...h.device.features].map(String).sort(),
    limits,
  };
}
