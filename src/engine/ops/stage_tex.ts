// Texture fills through a staging buffer and copyBufferToTexture (lavapipe's textureStore, a scalar loop per lane and
// channel, is its slowest write; a storage-buffer store and a copy are not), and texture padding zeroed from a cleared buffer.
import { empty, type Tensor } from '../tensor.ts';
import type { BufferBinding, Device, TextureBinding } from '../runtime/device.ts';

/**
 * Fills texels [0, width) of rows [0, height) of tex (rows texY .. texY + height − 1 of the texture): `write(dst, y0,
 * y1, pitch)` encodes dispatches that write rows y0 .. y1 − 1 into dst (vec4 texels, row y at (y − y0)·pitch, pitch =
 * width rounded up to 16 texels so that a row is a multiple of 256 bytes), and each such chunk of rows (as many as one
 * storage binding holds) is then copied into the texture; chunks start at multiples of rowAlign rows. Texels the
 * dispatches leave unwritten are undefined.
 */
export function fillTexture(op: string, dev: Device, tex: TextureBinding, width: number, height: number,
  write: (dst: BufferBinding, y0: number, y1: number, pitch: number) => void, rowAlign = 1, texY = 0): void {
  if (width === 0 || height === 0) return;
  const pitch = Math.ceil(width / 16) * 16, rowBytes = 16 * pitch;
  const per = Math.floor(Math.floor((dev.maxBinding - 2 * dev.storageAlign) / rowBytes) / rowAlign) * rowAlign;
  if (per < 1) throw new RangeError(`${op}: ${rowAlign} ${width}-texel texture row(s) exceed a ${dev.maxBinding} B storage binding`);
  const chunk = Math.min(height, per);
  const stage = empty(dev, [chunk * pitch * 4], 'f32', `${op} staging`);
  const w = stage.window(op, stage.offset, stage.offset + stage.numel);
  if (w.base !== 0) throw new Error(`${op}: the staging buffer's window must start at its binding (base ${w.base})`);
  for (let y0 = 0; y0 < height; y0 += chunk) {
    const y1 = Math.min(height, y0 + chunk);
    write(w.binding, y0, y1, pitch);
    dev.copyToTexture(w.binding.buffer, w.binding.offset, rowBytes, tex, texY + y0, width, y1 - y0);
  }
  stage.dispose();
}

/**
 * A cleared buffer of `rows` rows of `bytes` bytes each (pitch: bytes rounded up to 256), a copyBufferToTexture source
 * of zeros for texture padding; the caller disposes `t` once the copies are encoded.
 */
export function zeroSource(op: string, dev: Device, bytes: number, rows: number): { t: Tensor; buffer: GPUBuffer; at: number; pitch: number } {
  const pitch = Math.ceil(bytes / 256) * 256, t = empty(dev, [(pitch * rows) / 4], 'f32', `${op} zeros`);
  const w = t.window(op, t.offset, t.offset + t.numel), at = w.binding.offset + 4 * w.base;
  dev.clearBuffer(w.binding.buffer, at, pitch * rows);
  return { t, buffer: w.binding.buffer, at, pitch };
}

/** Zeroes rows y0 .. y1 − 1 of texel columns x0 .. x0 + width − 1 of tex (copied from a zeroSource). */
export function zeroTexture(op: string, dev: Device, tex: TextureBinding, x0: number, width: number, y0: number, y1: number): void {
  if (y1 <= y0 || width === 0) return;
  const z = zeroSource(op, dev, 16 * width, y1 - y0);
  dev.copyToTexture(z.buffer, z.at, z.pitch, tex, y0, width, y1 - y0, x0);
  z.t.dispose();
}
