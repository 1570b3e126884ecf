// Minimal EXIF reader (APP1 "Exif\0\0" -> TIFF header -> IFD0 tag 0x0112 Orientation) and the 8 orientation transforms.
import type { ImageCHW } from './image.ts';

export type Orientation = 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8;

/**
 * Orientation from an APP1 segment payload (the bytes after the 2-byte length, starting with "Exif\0\0").
 * Returns 1 (normal) when the payload is not EXIF, is malformed, or has no valid orientation tag.
 */
export function parseExifOrientation(app1: Uint8Array): Orientation {
  if (app1.length < 14) return 1;
  // "Exif\0\0"
  if (app1[0] !== 0x45 || app1[1] !== 0x78 || app1[2] !== 0x69 || app1[3] !== 0x66 || app1[4] !== 0 || app1[5] !== 0) return 1;
  const t = app1.subarray(6); // TIFF header; all offsets are relative to its start
  let le: boolean;
  if (t[0] === 0x49 && t[1] === 0x49) le = true;        // "II" little endian
  else if (t[0] === 0x4d && t[1] === 0x4d) le = false;  // "MM" big endian
  else return 1;
  const u16 = (o: number) => (o + 2 > t.length ? -1 : le ? t[o] | (t[o + 1] << 8) : (t[o] << 8) | t[o + 1]);
  const u32 = (o: number) => (o + 4 > t.length ? -1 : le
    ? (t[o] | (t[o + 1] << 8) | (t[o + 2] << 16)) + t[o + 3] * 16777216
    : t[o] * 16777216 + ((t[o + 1] << 16) | (t[o + 2] << 8) | t[o + 3]));
  if (u16(2) !== 42) return 1;
  const ifd0 = u32(4);
  if (ifd0 < 8 || ifd0 + 2 > t.length) return 1;
  const count = u16(ifd0);
  if (count < 0) return 1;
  for (let i = 0; i < count; i++) {
    const e = ifd0 + 2 + i * 12;
    if (e + 12 > t.length) return 1;
    if (u16(e) !== 0x0112) continue;
    const type = u16(e + 2);
    const n = u32(e + 4);
    if (n < 1) return 1;
    // SHORT (3) is the specified type; some writers use LONG (4). Either way the value sits inline.
    let v: number;
    if (type === 3) v = u16(e + 8);
    else if (type === 4) v = u32(e + 8);
    else return 1;
    return v >= 1 && v <= 8 ? (v as Orientation) : 1;
  }
  return 1;
}

/** True when the orientation swaps width and height (5..8). */
export function swapsAxes(o: Orientation): boolean { return o >= 5; }

/**
 * Apply an EXIF orientation to a stored (sensor-order) CHW image, returning the image as it should be displayed.
 * Per the EXIF spec, value v says where the stored 0th row / 0th column are shown:
 * 1 top/left, 2 top/right, 3 bottom/right, 4 bottom/left, 5 left/top, 6 right/top, 7 right/bottom, 8 left/bottom.
 */
export function applyOrientation(img: ImageCHW, o: Orientation): ImageCHW {
  if (o === 1) return img;
  const { c, h: H, w: W, data } = img;
  const swap = o >= 5;
  const oh = swap ? W : H, ow = swap ? H : W;
  const out = new Float32Array(c * oh * ow);
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      let sx: number, sy: number; // source column / row for display pixel (x, y)
      switch (o) {
        case 2: sx = W - 1 - x; sy = y; break;
        case 3: sx = W - 1 - x; sy = H - 1 - y; break;
        case 4: sx = x; sy = H - 1 - y; break;
        case 5: sx = y; sy = x; break;                   // transpose
        case 6: sx = y; sy = H - 1 - x; break;           // rotate 90 clockwise
        case 7: sx = W - 1 - y; sy = H - 1 - x; break;   // transverse
        default: sx = W - 1 - y; sy = x; break;          // 8: rotate 90 counter-clockwise
      }
      const si = sy * W + sx, di = y * ow + x;
      for (let ch = 0; ch < c; ch++) out[ch * oh * ow + di] = data[ch * H * W + si];
    }
  }
  return { data: out, c, h: oh, w: ow };
}
