// Image I/O: PNG (pngjs) and JPEG (jpeg-js) <-> float RGB CHW in [0,1]; header probing, EXIF orientation, named errors.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { extname } from 'node:path';
import { PNG } from 'pngjs';
import jpeg from 'jpeg-js';
import { applyOrientation, parseExifOrientation, swapsAxes, type Orientation } from './exif.ts';
import { checkOutputPath, writeFileAtomic } from './atomic.ts';

/** A float image, channel-major (CHW). Values nominally in [0,1]. */
export interface ImageCHW { data: Float32Array; c: number; h: number; w: number }

export type ImageFormat = 'png' | 'jpeg';

/** Limits checked from the header, before any pixel is decoded. */
export interface ImageLimits {
  /** Largest width*height accepted (default 64 Mpx). */
  maxPixels?: number;
  /** Smallest side accepted (default 1). */
  minSide?: number;
  /** Largest file accepted, in bytes (default 1 GiB); checked with stat before reading. */
  maxFileBytes?: number;
}
export const DEFAULT_MAX_PIXELS = 64 * 1024 * 1024;
export const DEFAULT_MAX_FILE_BYTES = 1024 * 1024 * 1024;

/** Error for any unreadable / truncated / unsupported / out-of-limits image; always names the file. */
export class ImageReadError extends Error {
  readonly file: string;
  readonly reason: string;
  constructor(file: string, reason: string) {
    super(`hvar: cannot read image '${file}': ${reason}`);
    this.name = 'ImageReadError';
    this.file = file; this.reason = reason;
  }
}

export interface ImageInfo {
  format: ImageFormat;
  /** Display size (after EXIF orientation). */
  width: number; height: number;
  /** Stored (sensor) size. */
  storedWidth: number; storedHeight: number;
  orientation: Orientation;
  bitDepth: number;
  /** PNG colour type (0 gray, 2 RGB, 3 palette, 4 gray+alpha, 6 RGBA) or JPEG component count. */
  colorType: number;
  /** JPEG only: the Adobe APP14 colour transform (0 none/RGB/CMYK, 1 YCbCr, 2 YCCK), or null without that marker. */
  adobeTransform?: number | null;
}

const PNG_SIG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function sniff(buf: Uint8Array, file: string): ImageFormat {
  if (buf.length === 0) throw new ImageReadError(file, 'empty file (0 bytes)');
  if (buf.length >= 8 && PNG_SIG.every((b, i) => buf[i] === b)) return 'png';
  if (buf.length >= 3 && buf[0] === 0xff && buf[1] === 0xd8 && buf[2] === 0xff) return 'jpeg';
  if (buf.length < 8 && PNG_SIG.slice(0, buf.length).every((b, i) => buf[i] === b)) throw new ImageReadError(file, 'truncated PNG (signature ends early)');
  const ascii = (a: number, b: number) => String.fromCharCode(...buf.subarray(a, b));
  const other = ascii(0, 4) === 'GIF8' ? 'GIF' : ascii(0, 2) === 'BM' ? 'BMP'
    : ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP' ? 'WebP' : (ascii(0, 4) === 'II*\0' || ascii(0, 4) === 'MM\0*') ? 'TIFF'
    : ascii(4, 12).startsWith('ftyp') ? 'HEIF/AVIF' : null;
  if (other) throw new ImageReadError(file, `unsupported format ${other} (only PNG and JPEG are supported)`);
  const head = Array.from(buf.subarray(0, 8), (b) => (b >= 32 && b < 127 ? String.fromCharCode(b) : '.')).join('');
  throw new ImageReadError(file, `not a PNG or JPEG file (starts with '${head}')`);
}

interface PngHeader { width: number; height: number; depth: number; colorType: number; interlace: number; idatBytes: number }

/** Walks every PNG chunk so truncation is reported by chunk name before pngjs sees the data. */
function pngHeader(buf: Uint8Array, file: string): PngHeader {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let off = 8, last = 'signature', hdr: PngHeader | null = null, idat = 0, idatBytes = 0, iend = false;
  while (off < buf.length) {
    if (off + 8 > buf.length) throw new ImageReadError(file, `truncated PNG (chunk header after ${last} ends early)`);
    const len = dv.getUint32(off);
    const type = String.fromCharCode(buf[off + 4], buf[off + 5], buf[off + 6], buf[off + 7]);
    if (!/^[A-Za-z]{4}$/.test(type)) throw new ImageReadError(file, `corrupt PNG (bad chunk type after ${last})`);
    if (off + 12 + len > buf.length) throw new ImageReadError(file, `truncated PNG (${type} ends early)`);
    if (hdr === null && type !== 'IHDR') throw new ImageReadError(file, 'corrupt PNG (first chunk is not IHDR)');
    if (type === 'IHDR') {
      if (len !== 13) throw new ImageReadError(file, 'corrupt PNG (bad IHDR length)');
      hdr = { width: dv.getUint32(off + 8), height: dv.getUint32(off + 12), depth: buf[off + 16], colorType: buf[off + 17], interlace: buf[off + 20], idatBytes: 0 };
    } else if (type === 'IDAT') { idat++; idatBytes += len; }
    else if (type === 'IEND') { iend = true; break; }
    last = type;
    off += 12 + len;
  }
  if (!hdr) throw new ImageReadError(file, 'truncated PNG (no IHDR)');
  if (!iend) throw new ImageReadError(file, idat ? `truncated PNG (IDAT ends early, no IEND after ${last})` : 'truncated PNG (no IDAT)');
  if (!idat) throw new ImageReadError(file, 'corrupt PNG (no IDAT chunk)');
  if (![0, 2, 3, 4, 6].includes(hdr.colorType)) throw new ImageReadError(file, `unsupported PNG colour type ${hdr.colorType}`);
  if (![1, 2, 4, 8, 16].includes(hdr.depth)) throw new ImageReadError(file, `unsupported PNG bit depth ${hdr.depth}`);
  // Deflate cannot beat about 1032:1, so a header declaring far more pixels than the data can hold is corrupt; this
  // is caught here, before a decoder allocates for the declared size.
  const channels = [1, 0, 3, 1, 2, 0, 4][hdr.colorType]!;
  const raw = hdr.height * (1 + Math.ceil((hdr.width * channels * hdr.depth) / 8));
  const minIdat = Math.floor(raw / 1100);
  if (idatBytes < minIdat) throw new ImageReadError(file, `corrupt PNG (declares ${hdr.width}x${hdr.height} but holds ${idatBytes} bytes of image data; at least ${minIdat} are needed)`);
  return { ...hdr, idatBytes };
}

interface JpegHeader { width: number; height: number; components: number; precision: number; orientation: Orientation; adobeTransform: number | null }

const SOF_BASELINE = new Set([0xc0, 0xc1, 0xc2]);
const SOF_UNSUPPORTED: Record<number, string> = { 0xc3: 'lossless', 0xc5: 'hierarchical', 0xc6: 'hierarchical', 0xc7: 'hierarchical',
  0xc9: 'arithmetic-coded', 0xca: 'arithmetic-coded', 0xcb: 'arithmetic-coded', 0xcd: 'arithmetic-coded', 0xce: 'arithmetic-coded', 0xcf: 'arithmetic-coded' };

/** Walks JPEG marker segments up to the first SOS: size, components, EXIF orientation; checks EOI exists. */
function jpegHeader(buf: Uint8Array, file: string): JpegHeader {
  let off = 2, orientation: Orientation = 1, sof: Omit<JpegHeader, 'orientation' | 'adobeTransform'> | null = null, sawSos = false;
  let adobeTransform: number | null = null;
  while (off < buf.length) {
    if (buf[off] !== 0xff) throw new ImageReadError(file, `corrupt JPEG (expected a marker at byte ${off})`);
    let m = buf[off + 1];
    while (m === 0xff && off + 2 < buf.length) { off++; m = buf[off + 1]; } // fill bytes
    if (off + 1 >= buf.length) break;
    if (m === 0xd8 || (m >= 0xd0 && m <= 0xd7) || m === 0x01) { off += 2; continue; }
    if (m === 0xd9) break;
    if (off + 4 > buf.length) throw new ImageReadError(file, `truncated JPEG (marker 0x${m.toString(16)} ends early)`);
    const len = (buf[off + 2] << 8) | buf[off + 3];
    if (len < 2 || off + 2 + len > buf.length) throw new ImageReadError(file, `truncated JPEG (segment 0x${m.toString(16)} ends early)`);
    const seg = buf.subarray(off + 4, off + 2 + len);
    if (m === 0xe1 && orientation === 1) orientation = parseExifOrientation(seg);
    if (m === 0xee && seg.length >= 12 && String.fromCharCode(...seg.subarray(0, 6)) === 'Adobe\0') adobeTransform = seg[11]!;
    if (SOF_UNSUPPORTED[m]) throw new ImageReadError(file, `unsupported JPEG (${SOF_UNSUPPORTED[m]})`);
    if (SOF_BASELINE.has(m)) {
      if (seg.length < 6) throw new ImageReadError(file, 'corrupt JPEG (short SOF)');
      sof = { precision: seg[0], height: (seg[1] << 8) | seg[2], width: (seg[3] << 8) | seg[4], components: seg[5] };
      if (sof.precision !== 8) throw new ImageReadError(file, `unsupported JPEG (${sof.precision}-bit samples)`);
    }
    off += 2 + len;
    if (m === 0xda) { sawSos = true; break; }
  }
  if (!sof) throw new ImageReadError(file, sawSos ? 'corrupt JPEG (no frame header before scan)' : 'truncated JPEG (no frame header)');
  if (!sawSos) throw new ImageReadError(file, 'truncated JPEG (no scan data)');
  // Entropy-coded data may not contain 0xFFD9; require an EOI after the first scan starts.
  let eoi = false;
  for (let i = buf.length - 2; i >= off; i--) if (buf[i] === 0xff && buf[i + 1] === 0xd9) { eoi = true; break; }
  if (!eoi) throw new ImageReadError(file, 'truncated JPEG (scan data ends before the EOI marker)');
  if (sof.height === 0) throw new ImageReadError(file, 'unsupported JPEG (height defined by DNL)');
  if (sof.width === 0) throw new ImageReadError(file, 'corrupt JPEG (width 0)');
  if (sof.components !== 1 && sof.components !== 3 && sof.components !== 4)
    throw new ImageReadError(file, `unsupported JPEG (${sof.components} colour components; 1, 3 or 4 are supported)`);
  if (sof.components === 4 && adobeTransform === null)
    throw new ImageReadError(file, 'unsupported JPEG (4-component CMYK without an Adobe APP14 marker: its ink convention is unknown; convert it to RGB first)');
  // Every block of the first component codes at least its DC term (1 bit or more), so a header declaring far more
  // pixels than the data can hold is corrupt: caught here, before the decoder allocates for the declared size.
  const minBytes = Math.floor((Math.ceil(sof.width / 8) * Math.ceil(sof.height / 8)) / 8);
  if (buf.length - off < minBytes) throw new ImageReadError(file, `corrupt JPEG (declares ${sof.width}x${sof.height} but holds ${buf.length - off} bytes of scan data; at least ${minBytes} are needed)`);
  return { ...sof, orientation, adobeTransform };
}

function checkLimits(info: ImageInfo, file: string, lim: ImageLimits): void {
  const maxPx = lim.maxPixels ?? DEFAULT_MAX_PIXELS, minSide = lim.minSide ?? 1;
  const px = info.width * info.height;
  if (px > maxPx) throw new ImageReadError(file, `image too large: ${info.width}x${info.height} = ${px} pixels exceeds the limit of ${maxPx}`);
  if (Math.min(info.width, info.height) < minSide) throw new ImageReadError(file, `image too small: ${info.width}x${info.height} (smallest side must be >= ${minSide})`);
}

/** Header-only probe of an in-memory image (no pixel decoding). `file` names the source in errors. */
export function probeImageBuffer(buf: Uint8Array, file: string): ImageInfo {
  const fmt = sniff(buf, file);
  if (fmt === 'png') {
    const h = pngHeader(buf, file);
    return { format: fmt, width: h.width, height: h.height, storedWidth: h.width, storedHeight: h.height, orientation: 1, bitDepth: h.depth, colorType: h.colorType };
  }
  const j = jpegHeader(buf, file);
  const sw = swapsAxes(j.orientation);
  return { format: fmt, width: sw ? j.height : j.width, height: sw ? j.width : j.height, storedWidth: j.width, storedHeight: j.height,
    orientation: j.orientation, bitDepth: 8, colorType: j.components, adobeTransform: j.adobeTransform };
}


/**
 * Decode PNG/JPEG bytes into RGB float CHW in [0,1]. Grayscale is replicated to RGB, palettes expanded,
 * 16-bit PNG samples scaled by 1/65535 (8-bit by 1/255). Alpha (PNG colour types 4/6, or tRNS) is composited
 * over WHITE in the stored (gamma-encoded) values: rgb' = a*rgb + (1-a). JPEG EXIF orientation is applied.
 */
export function decodeImage(buf: Uint8Array, file: string, limits: ImageLimits = {}): ImageCHW {
  const info = probeImageBuffer(buf, file);
  checkLimits(info, file, limits);
  const w = info.storedWidth, h = info.storedHeight, n = w * h;
  if (info.format === 'png') {
    let png: { data: ArrayLike<number> };
    try {
      png = PNG.sync.read(Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength), { skipRescale: info.bitDepth === 16 } as never);
    } catch (e) {
      throw new ImageReadError(file, `corrupt PNG (${(e as Error).message})`);
    }
    const d = png.data, scale = info.bitDepth === 16 ? 1 / 65535 : 1 / 255;
    if (d.length < 4 * n) throw new ImageReadError(file, 'corrupt PNG (decoded data too short)');
    const out = new Float32Array(3 * n);
    for (let i = 0; i < n; i++) {
      const a = d[4 * i + 3] * scale, bg = 1 - a;
      out[i] = d[4 * i] * scale * a + bg;
      out[n + i] = d[4 * i + 1] * scale * a + bg;
      out[2 * n + i] = d[4 * i + 2] * scale * a + bg;
    }
    return { data: out, c: 3, h, w };
  }
  const d = decodeJpegRgb(buf, file, w, h, info.adobeTransform ?? null);
  const out = new Float32Array(3 * n);
  for (let i = 0; i < n; i++) {
    out[i] = d[3 * i] / 255; out[n + i] = d[3 * i + 1] / 255; out[2 * n + i] = d[3 * i + 2] / 255;
  }
  return applyOrientation({ data: out, c: 3, h, w }, info.orientation);
}

/**
 * jpeg-js options sized for one w x h image (its defaults, 100 Mpx and 512 MB, are below what the reader accepts).
 * The memory cap covers jpeg-js' coefficient blocks and sample planes for up to 4 components plus the output.
 */
export function jpegDecodeLimits(w: number, h: number): { maxResolutionInMP: number; maxMemoryUsageInMB: number } {
  const padded = (Math.ceil(w / 16) * 16 + 16) * (Math.ceil(h / 16) * 16 + 16);
  return { maxResolutionInMP: Math.ceil((w * h) / 1e6) + 1, maxMemoryUsageInMB: Math.ceil((padded * 32) / 2 ** 20) + 64 };
}

/**
 * Interleaved 8-bit RGB from a baseline/progressive JPEG. 1 component: gray; 3: YCbCr, or RGB when an Adobe marker
 * says transform 0 (jpeg-js would apply YCbCr anyway); 4 (Adobe only): CMYK (transform 0) or YCCK (2), stored
 * inverted as Adobe writes them, converted as R = (255 - C)(255 - K)/255 in ink units (libjpeg/PIL; no ICC profile).
 */
function decodeJpegRgb(buf: Uint8Array, file: string, w: number, h: number, adobeTransform: number | null): Uint8Array {
  let dec: { width: number; height: number; data: Uint8Array };
  try {
    dec = jpeg.decode(buf, { useTArray: true, formatAsRGBA: false, tolerantDecoding: false, ...jpegDecodeLimits(w, h),
      ...(adobeTransform === 0 ? { colorTransform: false } : {}) });
  } catch (e) {
    throw new ImageReadError(file, `corrupt JPEG (${(e as Error).message})`);
  }
  if (dec.width !== w || dec.height !== h || dec.data.length < 3 * w * h) throw new ImageReadError(file, 'corrupt JPEG (decoded size mismatch)');
  return dec.data;
}

/**
 * Reads a whole input file after checking with stat that it is a regular file no larger than the limit (so a
 * directory, /dev/zero or a FIFO fails at once, naming the file).
 */
export function readInputFile(path: string, maxBytes = DEFAULT_MAX_FILE_BYTES): Uint8Array {
  let fd: number;
  try { fd = openSync(path, 'r'); } catch (e) { throw new ImageReadError(path, ioReason(e)); }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw new ImageReadError(path, 'is a directory');
    if (!st.isFile()) throw new ImageReadError(path, 'not a regular file (a device, FIFO or socket)');
    if (st.size > maxBytes) throw new ImageReadError(path, `file too large: ${st.size} bytes exceeds the limit of ${maxBytes}`);
    const buf = Buffer.allocUnsafe(st.size);
    let off = 0;
    while (off < st.size) {
      const k = readSync(fd, buf, off, st.size - off, off);
      if (k === 0) break;
      off += k;
    }
    return buf.subarray(0, off);
  } catch (e) {
    if (e instanceof ImageReadError) throw e;
    throw new ImageReadError(path, ioReason(e));
  } finally { closeSync(fd); }
}
function ioReason(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  return err.code === 'ENOENT' ? 'no such file' : err.code === 'EISDIR' ? 'is a directory' : err.code === 'EACCES' ? 'permission denied' : String(err.message ?? e);
}

export async function probeImage(path: string, limits: ImageLimits = {}): Promise<ImageInfo> {
  return probeImageBuffer(readInputFile(path, limits.maxFileBytes), path);
}
/** Probes the header and checks the limits without decoding a pixel. */
export function probeImageChecked(path: string, limits: ImageLimits = {}): { info: ImageInfo; buf: Uint8Array } {
  const buf = readInputFile(path, limits.maxFileBytes);
  const info = probeImageBuffer(buf, path);
  checkLimits(info, path, limits);
  return { info, buf };
}
export async function readImage(path: string, limits: ImageLimits = {}): Promise<ImageCHW> {
  return decodeImage(readInputFile(path, limits.maxFileBytes), path, limits);
}
export function readImageSync(path: string, limits: ImageLimits = {}): ImageCHW {
  return decodeImage(readInputFile(path, limits.maxFileBytes), path, limits);
}

function toRgbOrGray(img: ImageCHW): void {
  if (img.c !== 1 && img.c !== 3) throw new Error(`hvar: can only write 1- or 3-channel images, got c=${img.c}`);
  if (img.data.length !== img.c * img.h * img.w) throw new Error(`hvar: image data length ${img.data.length} != ${img.c}*${img.h}*${img.w}`);
}
const q = (v: number, max: number) => (v <= 0 ? 0 : v >= 1 ? max : Math.round(v * max));

/** Encode as PNG RGB (8- or 16-bit); values are clamped to [0,1] and rounded. 1-channel images become gray RGB. */
export function encodePng(img: ImageCHW, bitDepth: 8 | 16 = 8): Uint8Array {
  toRgbOrGray(img);
  const { h, w, c, data } = img, n = h * w, max = bitDepth === 16 ? 65535 : 255;
  const png = new PNG({ width: w, height: h, bitDepth, colorType: 2, inputColorType: 2, inputHasAlpha: false } as never);
  const px = bitDepth === 16 ? new Uint16Array(3 * n) : new Uint8Array(3 * n);
  for (let i = 0; i < n; i++) for (let k = 0; k < 3; k++) px[3 * i + k] = q(data[(c === 3 ? k * n : 0) + i], max);
  // pngjs expects 16-bit samples as native-endian Uint16 words.
  (png as unknown as { data: Buffer }).data = Buffer.from(px.buffer, px.byteOffset, px.byteLength);
  return PNG.sync.write(png, { bitDepth, colorType: 2, inputColorType: 2, inputHasAlpha: false } as never);
}

/** Encode as baseline JPEG (jpeg-js: 4:4:4, no chroma subsampling), quality 1..100. */
export function encodeJpeg(img: ImageCHW, quality = 95): Uint8Array {
  toRgbOrGray(img);
  const { h, w, c, data } = img, n = h * w;
  const rgba = new Uint8Array(4 * n);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < 3; k++) rgba[4 * i + k] = q(data[(c === 3 ? k * n : 0) + i], 255);
    rgba[4 * i + 3] = 255;
  }
  return jpeg.encode({ data: rgba, width: w, height: h }, quality).data;
}

/** Extensions an image output may have. */
export const IMAGE_OUTPUT_EXTS = ['.png', '.jpg', '.jpeg'] as const;

/** Checks before any work that an image can be written to `path` (extension, directory, not a directory itself). */
export function checkImageOutput(path: string): void { checkOutputPath(path, IMAGE_OUTPUT_EXTS); }

/** Encode by extension: .png (8-bit unless bitDepth 16), .jpg/.jpeg (quality). */
export function encodeByExtension(path: string, img: ImageCHW, opts: { bitDepth?: 8 | 16; quality?: number } = {}): Uint8Array {
  const ext = extname(path).toLowerCase();
  if (ext === '.png') return encodePng(img, opts.bitDepth ?? 8);
  if (ext === '.jpg' || ext === '.jpeg') return encodeJpeg(img, opts.quality ?? 95);
  checkImageOutput(path);
  throw new Error(`hvar: cannot write '${path}': unsupported extension '${ext}'`);
}
/** Encodes and writes atomically (temp file + rename): on failure an existing `path` is left intact. */
export async function writeImage(path: string, img: ImageCHW, opts: { bitDepth?: 8 | 16; quality?: number } = {}): Promise<void> {
  writeImageSync(path, img, opts);
}
export function writeImageSync(path: string, img: ImageCHW, opts: { bitDepth?: 8 | 16; quality?: number } = {}): void {
  checkImageOutput(path);
  writeFileAtomic(path, encodeByExtension(path, img, opts));
}

/** Convenience: a zeroed image. */
export function makeImage(c: number, h: number, w: number): ImageCHW { return { data: new Float32Array(c * h * w), c, h, w }; }
