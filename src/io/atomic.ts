// Crash-safe output files: write to a temp name in the same directory, then rename; output-path checks done up front.
import { accessSync, closeSync, constants, fsyncSync, openSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';

/** Writes `data` to an open file descriptor; replaceable in tests to simulate a full disk. */
export type TempWriter = (fd: number, data: Uint8Array) => void;

const writeAll: TempWriter = (fd, data) => {
  let off = 0;
  while (off < data.length) off += writeSync(fd, data, off, data.length - off);
};

/** Error for an output that cannot be (or was not) written; always names the file. */
export class OutputError extends Error {
  readonly file: string;
  constructor(file: string, reason: string) {
    super(`hvar: cannot write '${file}': ${reason}`);
    this.name = 'OutputError';
    this.file = file;
  }
}

function reasonOf(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  switch (err.code) {
    case 'ENOSPC': return 'no space left on device';
    case 'EDQUOT': return 'disk quota exceeded';
    case 'EACCES': case 'EPERM': return 'permission denied';
    case 'EROFS': return 'read-only file system';
    case 'ENOENT': return 'directory does not exist';
    case 'EISDIR': return 'output is a directory';
    default: return String(err.message ?? e);
  }
}

let tempCounter = 0;
/** The temp name used next to `path` (hidden, unique per process and call). */
export function tempNameFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${++tempCounter}.tmp`);
}

/**
 * Writes `data` to `path` atomically: a temp file in the same directory is written, flushed and renamed over `path`.
 * On any failure the temp file is removed and an existing `path` is left as it was.
 */
export function writeFileAtomic(path: string, data: Uint8Array | string, write: TempWriter = writeAll): void {
  checkOutputPath(path);
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const t = openTemp(path);
  try { write(t.fd, bytes); t.commit(); } catch (e) { t.abandon(); throw new OutputError(path, reasonOf(e)); }
}

/**
 * Streams an output through `produce(write)` into a temp file, then renames it over `path`; as writeFileAtomic, no
 * partial file is left on failure. `write` may be called any number of times.
 */
export async function streamFileAtomic(path: string, produce: (write: (chunk: Uint8Array) => void) => Promise<void> | void, write: TempWriter = writeAll): Promise<void> {
  checkOutputPath(path);
  const t = openTemp(path);
  try { await produce((chunk) => write(t.fd, chunk)); t.commit(); } catch (e) {
    t.abandon();
    // The producer's own errors (a bad input image) pass unchanged; file-system errors name the output.
    if (e instanceof OutputError || !(e as NodeJS.ErrnoException).code) throw e;
    throw new OutputError(path, reasonOf(e));
  }
}

/** A temp file beside `path`: commit() flushes, closes and renames it over `path`; abandon() closes and removes it. */
function openTemp(path: string): { fd: number; commit(): void; abandon(): void } {
  const tmp = tempNameFor(path);
  let fd: number;
  try { fd = openSync(tmp, 'wx', 0o644); } catch (e) { throw new OutputError(path, reasonOf(e)); }
  let open = true;
  return {
    fd,
    commit() { fsyncSync(fd); closeSync(fd); open = false; renameSync(tmp, path); },
    abandon() {
      if (open) try { closeSync(fd); } catch { /* already failing */ }
      open = false;
      try { unlinkSync(tmp); } catch { /* never created, or renamed */ }
    },
  };
}

/**
 * Checks, before any work, that `path` can be written: an allowed extension (when `exts` is given), not a
 * directory, not an existing non-regular file (device, FIFO), and its directory exists and is writable.
 */
export function checkOutputPath(path: string, exts?: readonly string[], what = 'output'): void {
  if (!path) throw new OutputError(path, `empty ${what} path`);
  let st;
  try { st = statSync(path); } catch { st = null; }
  if (st?.isDirectory() || path.endsWith('/')) throw new OutputError(path, `${what} is a directory`);
  if (exts) {
    const ext = extname(path).toLowerCase();
    if (!exts.includes(ext)) throw new OutputError(path, `${what} extension '${ext}' is not supported (use ${exts.join(', ')})`);
  }
  if (st && !st.isFile()) throw new OutputError(path, `${what} exists and is not a regular file`);
  const dir = dirname(path);
  let ds;
  try { ds = statSync(dir); } catch { throw new OutputError(path, `directory '${dir}' does not exist`); }
  if (!ds.isDirectory()) throw new OutputError(path, `'${dir}' is not a directory`);
  try { accessSync(dir, constants.W_OK | constants.X_OK); } catch { throw new OutputError(path, `directory '${dir}' is not writable`); }
}
