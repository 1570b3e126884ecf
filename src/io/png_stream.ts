// Streaming 8-bit RGB PNG writer: rows go through one deflate stream into IDAT chunks, so memory stays at a band.
import { createDeflate } from 'node:zlib';
import { once } from 'node:events';

const SIG = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) { let c = n; for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1; t[n] = c >>> 0; }
  return t;
})();
function crc32(parts: Uint8Array[]): number {
  let c = 0xffffffff;
  for (const p of parts) for (let i = 0; i < p.length; i++) c = CRC_TABLE[(c ^ p[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type: string, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + body.length), dv = new DataView(out.buffer);
  dv.setUint32(0, body.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(body, 8);
  dv.setUint32(8 + body.length, crc32([out.subarray(4, 8 + body.length)]));
  return out;
}

/** Quantises like encodePng: v <= 0 -> 0, v >= 1 -> 255, else round(255 v). */
const q8 = (v: number) => (v <= 0 ? 0 : v >= 1 ? 255 : Math.round(v * 255));
const paeth = (a: number, b: number, c: number) => {
  const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
};

/**
 * Writes a w x h RGB PNG through `write`. `bands(emit)` must call emit(rows, n) with successive bands of n rows
 * each, `rows` CHW float [3, n, w] in [0,1] (values are clamped and rounded as encodePng does), h rows in all.
 * Rows are Paeth-filtered.
 */
export async function writePngStream(w: number, h: number, write: (b: Uint8Array) => void,
  bands: (emit: (rows: Float32Array, n: number) => Promise<void>) => Promise<void>): Promise<void> {
  write(SIG);
  const ihdr = new Uint8Array(13), dv = new DataView(ihdr.buffer);
  dv.setUint32(0, w); dv.setUint32(4, h); ihdr[8] = 8; ihdr[9] = 2; // 8-bit RGB, deflate, adaptive filters, no interlace
  write(chunk('IHDR', ihdr));
  const z = createDeflate({ level: 6 });
  let failure: unknown = null;
  z.on('data', (c: Buffer) => {
    try { write(chunk('IDAT', c)); } catch (e) { failure = e; z.destroy(e as Error); }
  });
  const ended = once(z, 'end');
  ended.catch(() => undefined);
  const stride = 3 * w;
  let prev = new Uint8Array(stride), cur = new Uint8Array(stride), done = 0;
  await bands(async (rows, n) => {
    if (failure) throw failure;
    if (done + n > h) throw new Error(`writePngStream: ${done + n} rows for a ${w}x${h} image`);
    const buf = new Uint8Array(n * (1 + stride));
    for (let r = 0; r < n; r++) {
      for (let x = 0; x < w; x++) for (let k = 0; k < 3; k++) cur[3 * x + k] = q8(rows[(k * n + r) * w + x]!);
      const o = r * (1 + stride);
      buf[o] = 4;
      for (let i = 0; i < stride; i++) {
        const a = i >= 3 ? cur[i - 3]! : 0, c = i >= 3 ? prev[i - 3]! : 0;
        buf[o + 1 + i] = (cur[i]! - paeth(a, prev[i]!, c)) & 255;
      }
      [prev, cur] = [cur, prev];
    }
    done += n;
    if (!z.write(buf)) await once(z, 'drain');
    if (failure) throw failure;
  });
  if (done !== h) throw new Error(`writePngStream: ${done} rows for a ${w}x${h} image`);
  z.end();
  await ended;
  if (failure) throw failure;
  write(chunk('IEND', new Uint8Array(0)));
}
