// Test device: one hvar Device per test file, opened on first use and destroyed after the suite.
import { test } from 'uvu';
import { Device } from '../../src/engine/index.ts';

let dev: Promise<Device> | null = null;
export function getDevice(): Promise<Device> { return (dev ??= Device.create()); }
export async function closeDevice() { if (dev) { const d = await dev; d.destroy(); dev = null; } }

/**
 * `test` where `ok`; elsewhere the test is registered as skipped and the reason printed, so the runner counts it as
 * skipped (never as passed). For cases an adapter cannot run (no subgroups under Deno, no shader-f16).
 */
export function testIf(ok: boolean, why: string): (name: string, fn: () => unknown) => void {
  if (ok) return (name, fn) => test(name, fn as () => Promise<void>);
  return (name) => { console.log(`  skipped: ${name} (${why})`); test.skip(name, () => {}); };
}
