// Tests for src/io/image.ts + exif.ts: PNG depths/colour types/alpha, JPEG + EXIF orientation, named errors, limits.
import { PHOTOS } from '../helpers/paths.ts';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { PNG } from 'pngjs';
import jpeg from 'jpeg-js';
import { decodeImage, encodePng, encodeJpeg, probeImage, readImage, readImageSync, ImageReadError, type ImageCHW } from '../../src/io/image.ts';
import { parseExifOrientation } from '../../src/io/exif.ts';
import { flatJpeg } from '../helpers/jpeg_flat.ts';

const dir = mkdtempSync(join(tmpdir(), 'hvar-io-'));
const px = (img: ImageCHW, x: number, y: number) => [0, 1, 2].map((c) => img.data[c * img.h * img.w + y * img.w + x]);
const close = (a: number[], b: number[], tol: number, msg = '') =>
  assert.ok(a.every((v, i) => Math.abs(v - b[i]) <= tol), `${msg} got [${a.map((v) => v.toFixed(4))}] want [${b.map((v) => v.toFixed(4))}]`);

/** pngjs writer for colour types 0/2/4/6 at 8 or 16 bits; `samples` are per-pixel channel values at that depth. */
function pngjsWrite(w: number, h: number, colorType: 0 | 2 | 4 | 6, bitDepth: 8 | 16, samples: number[]): Buffer {
  const png = new PNG({ width: w, height: h });
  const arr = bitDepth === 16 ? new Uint16Array(samples) : new Uint8Array(samples);
  (png as unknown as { data: Buffer }).data = Buffer.from(arr.buffer);
  return PNG.sync.write(png, { colorType, inputColorType: colorType, bitDepth, inputHasAlpha: colorType === 4 || colorType === 6 } as never);
}

// Minimal hand-built PNG for what pngjs cannot write (palette + tRNS).
function crc32(b: Uint8Array): number {
  let c = ~0;
  for (const v of b) { c ^= v; for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1)); }
  return ~c >>> 0;
}
function chunk(type: string, body: Uint8Array): Buffer {
  const b = Buffer.alloc(12 + body.length);
  b.writeUInt32BE(body.length, 0); b.write(type, 4, 'latin1'); Buffer.from(body).copy(b, 8);
  b.writeUInt32BE(crc32(b.subarray(4, 8 + body.length)), 8 + body.length);
  return b;
}
function rawPng(w: number, h: number, depth: number, colorType: number, rows: number[][], extra: Buffer[] = []): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0); ihdr.writeUInt32BE(h, 4); ihdr[8] = depth; ihdr[9] = colorType;
  const raw = Buffer.concat(rows.map((r) => Buffer.from([0, ...r]))); // filter type 0 per row
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), ...extra,
    chunk('IDAT', deflateSync(raw)), chunk('IEND', new Uint8Array(0))]);
}
function palettePng(w: number, h: number, idx: number[], plte: number[][], trns: number[]): Buffer {
  const rows = Array.from({ length: h }, (_, y) => idx.slice(y * w, (y + 1) * w));
  return rawPng(w, h, 8, 3, rows, [chunk('PLTE', Uint8Array.from(plte.flat())), chunk('tRNS', Uint8Array.from(trns))]);
}

test('8-bit RGB PNG round trip is exact', () => {
  const img: ImageCHW = { c: 3, h: 3, w: 5, data: Float32Array.from({ length: 45 }, (_, i) => ((i * 37) % 256) / 255) };
  const back = decodeImage(encodePng(img), 'rt.png');
  assert.equal(Array.from(back.data), Array.from(img.data));
});

test('16-bit PNG keeps 16-bit precision (RGB and gray)', () => {
  const rgb16 = pngjsWrite(2, 1, 2, 16, [1000, 30000, 65535, 0, 257, 12345]);
  const a = decodeImage(rgb16, 'rgb16.png');
  close(px(a, 0, 0), [1000 / 65535, 30000 / 65535, 1], 1e-7, 'rgb16');
  close(px(a, 1, 0), [0, 257 / 65535, 12345 / 65535], 1e-7);
  const g16 = decodeImage(pngjsWrite(2, 1, 0, 16, [1000, 64000]), 'g16.png');
  close(px(g16, 0, 0), [1000 / 65535, 1000 / 65535, 1000 / 65535], 1e-7, 'gray16');
  close(px(g16, 1, 0), [64000 / 65535, 64000 / 65535, 64000 / 65535], 1e-7);
  // and our own 16-bit writer round-trips at 1/65535 resolution
  const img: ImageCHW = { c: 3, h: 1, w: 1, data: Float32Array.from([0.123456, 0.5, 0.999]) };
  close(px(decodeImage(encodePng(img, 16), 'w16.png'), 0, 0), [0.123456, 0.5, 0.999], 1 / 65535);
});

test('grayscale PNG loads as equal RGB', () => {
  const g = decodeImage(pngjsWrite(3, 1, 0, 8, [0, 128, 255]), 'gray.png');
  assert.is(g.c, 3);
  close(px(g, 1, 0), [128 / 255, 128 / 255, 128 / 255], 1e-7);
  close(px(g, 2, 0), [1, 1, 1], 0);
});

test('low bit-depth grayscale PNG (2-bit) is rescaled to [0,1]', () => {
  const g = decodeImage(rawPng(4, 1, 2, 0, [[0b00011011]]), 'gray2.png'); // samples 0,1,2,3
  assert.equal(Array.from(g.data.subarray(0, 4), (v) => Math.round(v * 255)), [0, 85, 170, 255]);
});

test('palette PNG (with tRNS) expands and composites on white', () => {
  const buf = palettePng(3, 1, [0, 1, 2], [[255, 0, 0], [10, 20, 30], [0, 0, 255]], [255, 255, 0]);
  const p = decodeImage(buf, 'pal.png');
  close(px(p, 0, 0), [1, 0, 0], 1e-7, 'red');
  close(px(p, 1, 0), [10 / 255, 20 / 255, 30 / 255], 1e-7, 'opaque entry');
  close(px(p, 2, 0), [1, 1, 1], 1e-7, 'fully transparent blue -> white');
});

test('alpha is composited on white (RGBA and gray+alpha)', () => {
  const rgba = decodeImage(pngjsWrite(3, 1, 6, 8, [255, 0, 0, 255, 0, 0, 255, 0, 0, 100, 200, 51]), 'rgba.png');
  close(px(rgba, 0, 0), [1, 0, 0], 1e-7, 'opaque');
  close(px(rgba, 1, 0), [1, 1, 1], 1e-7, 'transparent');
  const a = 51 / 255; // 20% opaque (0, 100/255, 200/255) over white
  close(px(rgba, 2, 0), [1 - a, (100 / 255) * a + 1 - a, (200 / 255) * a + 1 - a], 1e-6, 'partial');
  const ga = decodeImage(pngjsWrite(2, 1, 4, 8, [0, 128, 200, 255]), 'ga.png');
  const g = 1 - 128 / 255; // black at alpha 128/255 over white
  close(px(ga, 0, 0), [g, g, g], 1e-6, 'black at 50%');
  close(px(ga, 1, 0), [200 / 255, 200 / 255, 200 / 255], 1e-7);
});

test('JPEG round trip is close; probe reads size without decoding', async () => {
  const img: ImageCHW = { c: 3, h: 16, w: 24, data: new Float32Array(3 * 16 * 24).fill(0.5) };
  const buf = encodeJpeg(img, 90);
  const back = decodeImage(buf, 'x.jpg');
  assert.is(back.w, 24); assert.is(back.h, 16);
  for (const v of back.data) assert.ok(Math.abs(v - 0.5) < 3 / 255);
  const info = await probeImage(PHOTOS + '/skimage_chelsea.jpg');
  assert.equal([info.format, info.width, info.height], ['jpeg', 451, 300]);
  const photo = await readImage(PHOTOS + '/skimage_chelsea.jpg');
  assert.equal([photo.c, photo.h, photo.w], [3, 300, 451]);
  let mean = 0;
  for (const v of photo.data) mean += v;
  mean /= photo.data.length;
  assert.ok(mean > 0.2 && mean < 0.8, `photo mean ${mean}`);
});

// ---- EXIF orientation ----
function exifApp1(o: number, le: boolean): Buffer {
  const tiff = Buffer.alloc(8 + 2 + 12 + 4);
  const u16 = (v: number, at: number) => (le ? tiff.writeUInt16LE(v, at) : tiff.writeUInt16BE(v, at));
  const u32 = (v: number, at: number) => (le ? tiff.writeUInt32LE(v, at) : tiff.writeUInt32BE(v, at));
  tiff.write(le ? 'II' : 'MM', 0, 'latin1'); u16(42, 2); u32(8, 4);
  u16(1, 8); u16(0x0112, 10); u16(3, 12); u32(1, 14); u16(o, 18);
  const payload = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff]);
  const head = Buffer.from([0xff, 0xe1, 0, 0]); head.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([head, payload]);
}
// Stored 32x16: quadrants TL red, TR green, BL blue, BR white (16x8 each, aligned to JPEG blocks).
const COLORS: Record<string, number[]> = { TL: [1, 0, 0], TR: [0, 1, 0], BL: [0, 0, 1], BR: [1, 1, 1] };
function quadrantJpeg(): Buffer {
  const W = 32, H = 16, rgba = new Uint8Array(W * H * 4);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
    const c = COLORS[(y < 8 ? 'T' : 'B') + (x < 16 ? 'L' : 'R')];
    rgba.set([c[0] * 255, c[1] * 255, c[2] * 255, 255], 4 * (y * W + x));
  }
  return Buffer.from(jpeg.encode({ data: rgba, width: W, height: H }, 95).data);
}
// EXIF spec: where the stored 0th row / 0th column are displayed.
const SIDES: Record<number, [string, string]> = { 1: ['top', 'left'], 2: ['top', 'right'], 3: ['bottom', 'right'], 4: ['bottom', 'left'],
  5: ['left', 'top'], 6: ['right', 'top'], 7: ['right', 'bottom'], 8: ['left', 'bottom'] };
const OPP: Record<string, string> = { top: 'bottom', bottom: 'top', left: 'right', right: 'left' };
function displayCorner(o: number, stored: string): string {
  const [rowSide, colSide] = SIDES[o];
  const r = stored[0] === 'T' ? rowSide : OPP[rowSide]; // side the stored row band ends up on
  const c = stored[1] === 'L' ? colSide : OPP[colSide];
  const vert = [r, c].find((s) => s === 'top' || s === 'bottom') as string, horiz = [r, c].find((s) => s === 'left' || s === 'right') as string;
  return (vert === 'top' ? 'T' : 'B') + (horiz === 'left' ? 'L' : 'R');
}

test('EXIF orientation 1..8 (II and MM) is honoured', () => {
  const base = quadrantJpeg();
  for (const le of [true, false]) for (let o = 1; o <= 8; o++) {
    const buf = Buffer.concat([base.subarray(0, 2), exifApp1(o, le), base.subarray(2)]);
    const img = decodeImage(buf, `o${o}.jpg`);
    const swapped = o >= 5;
    assert.equal([img.w, img.h], swapped ? [16, 32] : [32, 16], `orientation ${o} size`);
    const probe = { TL: [2, 2], TR: [img.w - 3, 2], BL: [2, img.h - 3], BR: [img.w - 3, img.h - 3] } as const;
    for (const stored of ['TL', 'TR', 'BL', 'BR']) {
      const [x, y] = probe[displayCorner(o, stored) as keyof typeof probe];
      close(px(img, x, y), COLORS[stored], 0.08, `o=${o} ${le ? 'II' : 'MM'} stored ${stored}`);
    }
  }
});

test('EXIF parser rejects malformed segments gracefully', () => {
  assert.is(parseExifOrientation(new Uint8Array(0)), 1);
  assert.is(parseExifOrientation(Buffer.from('Exif\0\0XX\0*\0\0\0\x08', 'latin1')), 1);
  const good = exifApp1(6, true).subarray(4);
  assert.is(parseExifOrientation(good), 6);
  assert.is(parseExifOrientation(good.subarray(0, good.length - 8)), 1, 'truncated IFD');
  assert.is(parseExifOrientation(exifApp1(9, false).subarray(4)), 1, 'out-of-range value');
});

// ---- errors ----
async function expectError(path: string, re: RegExp): Promise<void> {
  try { await readImage(path); } catch (e) {
    assert.instance(e, ImageReadError);
    const m = (e as Error).message;
    assert.ok(m.includes(`'${path}'`), `message names the file: ${m}`);
    assert.match(m, re);
    return;
  }
  assert.unreachable(`expected an error for ${path}`);
}

test('unreadable files give clear errors naming the file', async () => {
  const img: ImageCHW = { c: 3, h: 64, w: 64, data: Float32Array.from({ length: 3 * 64 * 64 }, (_, i) => ((i * 7919) % 256) / 255) };
  const png = Buffer.from(encodePng(img));
  const trunc = join(dir, 'trunc.png'); writeFileSync(trunc, png.subarray(0, Math.floor(png.length / 2)));
  await expectError(trunc, /truncated PNG \(IDAT ends early\)/);
  const empty = join(dir, 'empty.png'); writeFileSync(empty, '');
  await expectError(empty, /empty file/);
  const text = join(dir, 'notes.png'); writeFileSync(text, 'hello, this is text\n');
  await expectError(text, /not a PNG or JPEG file/);
  const gif = join(dir, 'anim.png'); writeFileSync(gif, Buffer.from('GIF89a\x01\x00\x01\x00', 'latin1'));
  await expectError(gif, /unsupported format GIF/);
  const jpg = Buffer.from(encodeJpeg(img, 80));
  const tj = join(dir, 'trunc.jpg'); writeFileSync(tj, jpg.subarray(0, jpg.length - 300));
  await expectError(tj, /truncated JPEG/);
  await expectError(join(dir, 'missing.png'), /no such file/);
});

test('pixel limits are enforced from the header', async () => {
  const img: ImageCHW = { c: 3, h: 40, w: 50, data: new Float32Array(3 * 40 * 50) };
  const p = join(dir, 'big.png'); writeFileSync(p, encodePng(img));
  try { await readImage(p, { maxPixels: 1999 }); assert.unreachable(); } catch (e) {
    assert.match((e as Error).message, new RegExp(`'${p}'.*image too large: 50x40 = 2000 pixels exceeds the limit of 1999`));
  }
  try { await readImage(p, { minSide: 41 }); assert.unreachable(); } catch (e) { assert.match((e as Error).message, /image too small: 50x40/); }
  const ok = await readImage(p, { maxPixels: 2000, minSide: 40 });
  assert.is(ok.w, 50);
});

test('JPEG colour models: Adobe RGB (transform 0) kept as RGB; Adobe CMYK and YCCK converted; plain CMYK and 2 components refused', () => {
  const px8 = (img: ImageCHW, x: number) => [0, 1, 2].map((c) => Math.round(img.data[c * img.h * img.w + x] * 255));
  // 3 components with an Adobe marker saying "no transform": stored RGB (jpeg-js alone would apply YCbCr).
  const rgb = decodeImage(flatJpeg([[[200, 100, 50], [0, 255, 128]]], 0), 'rgb.jpg');
  assert.equal(px8(rgb, 0), [200, 100, 50]);
  assert.equal(px8(rgb, 8), [0, 255, 128]);
  // Adobe CMYK is stored inverted (255 - ink): full cyan -> (0, 255, 255); half black -> grey 127.
  const cmyk = decodeImage(flatJpeg([[[0, 255, 255, 255], [255, 255, 255, 127]]], 0), 'cmyk.jpg');
  assert.equal(px8(cmyk, 0), [0, 255, 255]);
  assert.equal(px8(cmyk, 8), [127, 127, 127]);
  // YCCK (as libjpeg: CMY = 255 - YCbCr->RGB, stored inverted; K as in CMYK): Y 255 is full CMY ink (black), Y 0 none (white).
  const ycck = decodeImage(flatJpeg([[[255, 128, 128, 255], [0, 128, 128, 255]]], 2), 'ycck.jpg');
  assert.equal(px8(ycck, 0), [0, 0, 0]);
  assert.equal(px8(ycck, 8), [255, 255, 255]);
  assert.throws(() => decodeImage(flatJpeg([[[0, 255, 255, 0]]]), 'plain.jpg'), /cannot read image 'plain\.jpg': unsupported JPEG \(4-component CMYK without an Adobe APP14 marker/);
  assert.throws(() => decodeImage(flatJpeg([[[0, 255]]]), 'two.jpg'), /cannot read image 'two\.jpg': unsupported JPEG \(2 colour components; 1, 3 or 4 are supported\)/);
});

test('inputs are stat-checked (regular file, size cap) and headers that declare more pixels than the data holds are refused', () => {
  const f = join(dir, 'cap.png');
  writeFileSync(f, encodePng({ c: 3, h: 8, w: 8, data: new Float32Array(192) }));
  assert.throws(() => readImageSync(f, { maxFileBytes: 10 }), /cannot read image '.*cap\.png': file too large: \d+ bytes exceeds the limit of 10/);
  assert.throws(() => readImageSync('/dev/zero'), /cannot read image '\/dev\/zero': not a regular file/);
  assert.throws(() => readImageSync(dir), /is a directory/);
  const png = Buffer.from(encodePng({ c: 3, h: 8, w: 8, data: new Float32Array(192) }));
  png.writeUInt32BE(6000, 16); png.writeUInt32BE(4000, 20);
  assert.throws(() => decodeImage(png, 'p.png'), /corrupt PNG \(declares 6000x4000 but holds \d+ bytes of image data; at least \d+ are needed\)/);
  const jpg = Buffer.from(flatJpeg([[[10, 20, 30]]]));
  const sof = jpg.indexOf(Buffer.from([0xff, 0xc0]));
  jpg.writeUInt16BE(4000, sof + 5); jpg.writeUInt16BE(6000, sof + 7);
  assert.throws(() => decodeImage(jpg, 'j.jpg'), /corrupt JPEG \(declares 6000x4000 but holds \d+ bytes of scan data; at least 46875 are needed\)/);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
