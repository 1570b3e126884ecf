// `hvar doctor`: reports the WebGPU adapter, features and limits; exits non-zero with the fix when there is none.
import { Device, NoAdapterError } from '../engine/index.ts';
import { parseCommand } from './args.ts';

export const USAGE = `usage: hvar doctor [--json]
  --json  the report as JSON`;

export async function main(argv: string[]): Promise<number> {
  let parsed;
  try { parsed = parseCommand('doctor', argv, { json: { type: 'boolean' } }, { names: [] }); } catch (e) {
    console.error((e as Error).message);
    return 2;
  }
  if (!parsed) { console.log(USAGE); return 0; }
  const json = !!parsed.values.json;
  let dev: Device;
  try { dev = await Device.create(); }
  catch (e) {
    if (json) console.log(JSON.stringify({ ok: false, error: String((e as Error).message) }, null, 2));
    else console.error(`hvar doctor: ${(e as Error).message}`);
    return e instanceof NoAdapterError ? 2 : 1;
  }
  try {
    const r = dev.report();
    // A real dispatch proves the adapter runs compute shaders, not only that it exists.
    const { fromArray, ops } = await import('../engine/index.ts');
    const t0 = performance.now();
    const y = await ops.add(fromArray(dev, [1, 2, 3], [3]), fromArray(dev, [10, 20, 30], [3])).toArray();
    const smoke = { ok: y[0] === 11 && y[1] === 22 && y[2] === 33, ms: +(performance.now() - t0).toFixed(1) };
    if (json) { console.log(JSON.stringify({ ok: smoke.ok, ...r, smokeTest: smoke }, null, 2)); return smoke.ok ? 0 : 1; }
    const L = r.limits;
    console.log(`hvar doctor
  runtime      ${r.runtime}
  adapter      ${[r.vendor, r.architecture, r.device, r.description].filter(Boolean).join(' / ') || '(no adapter info)'}${r.isFallbackAdapter ? ' (fallback adapter)' : ''}
  features     shader-f16: ${has(r.features, 'shader-f16')}, timestamp-query: ${has(r.features, 'timestamp-query')}, subgroups: ${has(r.features, 'subgroups')}
  all features ${r.features.join(', ')}
  limits       maxStorageBufferBindingSize ${mib(L.maxStorageBufferBindingSize)}, maxBufferSize ${mib(L.maxBufferSize)},
               maxComputeWorkgroupStorageSize ${L.maxComputeWorkgroupStorageSize} B, maxComputeInvocationsPerWorkgroup ${L.maxComputeInvocationsPerWorkgroup},
               maxComputeWorkgroupsPerDimension ${L.maxComputeWorkgroupsPerDimension}, maxStorageBuffersPerShaderStage ${L.maxStorageBuffersPerShaderStage},
               minStorageBufferOffsetAlignment ${L.minStorageBufferOffsetAlignment}
  smoke test   [1,2,3] + [10,20,30] = [${[...y].join(', ')}] ${smoke.ok ? 'ok' : 'WRONG'} (${smoke.ms} ms)`);
    return smoke.ok ? 0 : 1;
  } finally { dev.destroy(); }
}
const has = (f: string[], n: string) => (f.includes(n) ? 'yes' : 'no');
const mib = (n: number | undefined) => (n === undefined ? '?' : `${(n / 2 ** 20).toFixed(0)} MiB`);
