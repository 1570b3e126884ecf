// Test device: one hvar Device per test file, opened on first use and destroyed after the suite.
import { Device } from '../../src/engine/index.ts';

let dev: Promise<Device> | null = null;
export function getDevice(): Promise<Device> { return (dev ??= Device.create()); }
export async function closeDevice() { if (dev) { const d = await dev; d.destroy(); dev = null; } }
