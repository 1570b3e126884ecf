// Minimal read-only zip reader for torch.save archives: end-of-central-directory (ZIP64 too), central directory, local headers, STORED entries only.

/** Random access to the bytes of a file or buffer; `read` returns exactly [begin, end) or throws. */
export interface ByteSource {
  readonly size: number;
  read(begin: number, end: number): Promise<Uint8Array>;
}

/** A byte source over an in-memory buffer (browser-friendly). */
export function bufferSource(buf: Uint8Array): ByteSource {
  // A plain Uint8Array view, so that .slice() of a read copies even when `buf` is a Node Buffer.
  const bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  return {
    size: bytes.length,
    read: async (b, e) => {
      if (b < 0 || e > bytes.length || e < b) throw new Error(`read [${b}, ${e}) is outside the buffer's ${bytes.length} bytes`);
      return bytes.subarray(b, e);
    },
  };
}

export interface ZipEntry {
  name: string;
  /** Compression method (0 = STORED). */
  method: number;
  size: number;
  compressedSize: number;
  crc32: number;
  /** Offset of the local file header. */
  localOffset: number;
}

export interface ZipArchive {
  entries: Map<string, ZipEntry>;
  /** Absolute byte range of an entry's data; checks the local header, the method and the bounds. */
  dataRange(e: ZipEntry): Promise<{ begin: number; end: number }>;
  /** Reads an entry's data (STORED only). */
  read(e: ZipEntry): Promise<Uint8Array>;
}

const EOCD = 0x06054b50, Z64_LOCATOR = 0x07064b50, Z64_EOCD = 0x06064b50, CEN = 0x02014b50, LOC = 0x04034b50;
const MAX_COMMENT = 0xffff;

/** Thrown for a byte stream that is not a zip archive at all (the caller may then look for another format). */
export class NotZipError extends Error {}

const u16 = (b: Uint8Array, o: number) => b[o]! | (b[o + 1]! << 8);
const u32 = (b: Uint8Array, o: number) => (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
function u64(b: Uint8Array, o: number, what: string, field: string): number {
  const v = u32(b, o) + u32(b, o + 4) * 2 ** 32;
  if (!Number.isSafeInteger(v)) throw new Error(`${what}: bad zip: ${field} ${v} is too large`);
  return v;
}

/**
 * Opens a zip archive: `what` names the file in errors (e.g. "pth: 'x.pth'"). Throws NotZipError when the source
 * does not start with a zip local header; any other structural problem is an Error naming the file.
 */
export async function openZip(src: ByteSource, what: string): Promise<ZipArchive> {
  const size = src.size;
  const head = await src.read(0, Math.min(4, size));
  if (size < 4 || u32(head, 0) !== LOC) {
    // An archive whose first entry is not at offset 0 is legal zip, but torch never writes one.
    throw new NotZipError(`${what}: not a zip archive (expected the zip magic 'PK\\x03\\x04' at byte 0)`);
  }
  // End of central directory: 22 bytes + comment, searched backwards from the end.
  const tailLen = Math.min(size, 22 + MAX_COMMENT);
  const tail = await src.read(size - tailLen, size);
  let eocd = -1;
  for (let i = tailLen - 22; i >= 0; i--) {
    if (u32(tail, i) === EOCD && i + 22 + u16(tail, i + 20) === tailLen) { eocd = i; break; }
  }
  if (eocd < 0) throw new Error(`${what}: truncated zip: no end-of-central-directory record in the last ${tailLen} bytes of ${size}`);
  const eocdAbs = size - tailLen + eocd;
  let count = u16(tail, eocd + 10), cdSize = u32(tail, eocd + 12), cdOffset = u32(tail, eocd + 16);
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    if (eocdAbs < 20) throw new Error(`${what}: bad zip: ZIP64 end-of-central-directory locator missing`);
    const loc = await src.read(eocdAbs - 20, eocdAbs);
    if (u32(loc, 0) !== Z64_LOCATOR) throw new Error(`${what}: bad zip: ZIP64 end-of-central-directory locator missing`);
    const z64 = u64(loc, 8, what, 'ZIP64 record offset');
    if (z64 + 56 > eocdAbs) throw new Error(`${what}: bad zip: ZIP64 end-of-central-directory record at ${z64} is out of bounds`);
    const r = await src.read(z64, z64 + 56);
    if (u32(r, 0) !== Z64_EOCD) throw new Error(`${what}: bad zip: no ZIP64 end-of-central-directory record at ${z64}`);
    count = u64(r, 32, what, 'entry count');
    cdSize = u64(r, 40, what, 'central directory size');
    cdOffset = u64(r, 48, what, 'central directory offset');
  }
  if (cdOffset + cdSize > eocdAbs)
    throw new Error(`${what}: truncated zip: central directory [${cdOffset}, ${cdOffset + cdSize}) runs past its end record at ${eocdAbs}`);
  const cd = await src.read(cdOffset, cdOffset + cdSize);
  const entries = new Map<string, ZipEntry>();
  let p = 0;
  const utf8 = new TextDecoder('utf-8', { fatal: false });
  for (let i = 0; i < count; i++) {
    if (p + 46 > cd.length || u32(cd, p) !== CEN) throw new Error(`${what}: bad zip: central directory entry ${i} of ${count} is missing or corrupt`);
    const method = u16(cd, p + 10), crc32 = u32(cd, p + 16);
    let compressedSize = u32(cd, p + 20), sz = u32(cd, p + 24);
    const nameLen = u16(cd, p + 28), extraLen = u16(cd, p + 30), commentLen = u16(cd, p + 32);
    let localOffset = u32(cd, p + 42);
    const end = p + 46 + nameLen + extraLen + commentLen;
    if (end > cd.length) throw new Error(`${what}: bad zip: central directory entry ${i} runs past the directory`);
    const name = utf8.decode(cd.subarray(p + 46, p + 46 + nameLen));
    // ZIP64 extra field (id 1): 8-byte values for exactly those fields that hold 0xffffffff, in this order.
    for (let x = p + 46 + nameLen; x + 4 <= p + 46 + nameLen + extraLen;) {
      const id = u16(cd, x), len = u16(cd, x + 2);
      if (id === 1) {
        let q = x + 4;
        const take = (field: string) => {
          if (q + 8 > x + 4 + len) throw new Error(`${what}: bad zip: entry '${name}': ZIP64 extra field too short`);
          const v = u64(cd, q, what, field); q += 8; return v;
        };
        if (sz === 0xffffffff) sz = take('size');
        if (compressedSize === 0xffffffff) compressedSize = take('compressed size');
        if (localOffset === 0xffffffff) localOffset = take('local header offset');
      }
      x += 4 + len;
    }
    if (entries.has(name)) throw new Error(`${what}: bad zip: entry '${name}' appears twice`);
    entries.set(name, { name, method, size: sz, compressedSize, crc32, localOffset });
    p = end;
  }
  const dataEnd = cdOffset;
  const dataRange = async (e: ZipEntry) => {
    if (e.method !== 0)
      throw new Error(`${what}: entry '${e.name}' is compressed (method ${e.method}); only STORED entries, as torch.save writes them, are supported`);
    if (e.compressedSize !== e.size) throw new Error(`${what}: bad zip: STORED entry '${e.name}' has size ${e.size} but compressed size ${e.compressedSize}`);
    if (e.localOffset + 30 > dataEnd) throw new Error(`${what}: bad zip: entry '${e.name}': local header at ${e.localOffset} is out of bounds`);
    const lh = await src.read(e.localOffset, e.localOffset + 30);
    if (u32(lh, 0) !== LOC) throw new Error(`${what}: bad zip: entry '${e.name}': no local header at ${e.localOffset}`);
    const begin = e.localOffset + 30 + u16(lh, 26) + u16(lh, 28), end = begin + e.size;
    if (end > dataEnd) throw new Error(`${what}: truncated zip: entry '${e.name}' data [${begin}, ${end}) runs past the entries' end at ${dataEnd}`);
    return { begin, end };
  };
  return {
    entries,
    dataRange,
    read: async (e) => { const r = await dataRange(e); return src.read(r.begin, r.end); },
  };
}

let crcTable: Uint32Array | undefined;
/** CRC-32 (IEEE, as zip uses). */
export function crc32(b: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < b.length; i++) c = crcTable[(c ^ b[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
