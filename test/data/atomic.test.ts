// Tests for src/io/atomic.ts and the streamed PNG writer: a failing write (full disk) leaves the old file and no temp.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic, streamFileAtomic, checkOutputPath, OutputError, type TempWriter } from '../../src/io/atomic.ts';
import { writePngStream } from '../../src/io/png_stream.ts';
import { decodeImage, type ImageCHW } from '../../src/io/image.ts';
import { bicubicUpscale, bicubicUpscaleBands } from '../../src/metrics/bicubic.ts';

const dir = mkdtempSync(join(tmpdir(), 'hvar-atomic-'));
/** Writes half the bytes, then fails as a full disk does. */
const fullDisk: TempWriter = (fd, data) => {
  writeSync(fd, data, 0, data.length >> 1);
  throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
};

test('writeFileAtomic: replaces the file; on a write failure the old file is intact and no temp is left', () => {
  const f = join(dir, 'r.json');
  writeFileAtomic(f, '{"a":1}');
  assert.is(readFileSync(f, 'utf8'), '{"a":1}');
  const err = (() => { try { writeFileAtomic(f, 'x'.repeat(1000), fullDisk); } catch (e) { return e as Error; } return null; })();
  assert.ok(err instanceof OutputError);
  assert.is(err!.message, `hvar: cannot write '${f}': no space left on device`);
  assert.is(readFileSync(f, 'utf8'), '{"a":1}');
  assert.equal(readdirSync(dir), ['r.json']);
});

test('streamFileAtomic: a failing stream leaves the old file and no temp; errors of the producer pass through', async () => {
  const f = join(dir, 's.png');
  writeFileSync(f, 'old');
  const img: ImageCHW = { c: 3, h: 40, w: 30, data: Float32Array.from({ length: 3600 }, (_, i) => (i * 0.618) % 1) };
  let calls = 0;
  const failLater: TempWriter = (fd, d) => { if (++calls > 2) throw Object.assign(new Error('ENOSPC'), { code: 'ENOSPC' }); writeSync(fd, d); };
  try { await streamFileAtomic(f, (w) => writePngStream(60, 80, w, (emit) => bicubicUpscaleBands(img, 2, 8, emit)), failLater); assert.unreachable(); }
  catch (e) { assert.is((e as Error).message, `hvar: cannot write '${f}': no space left on device`); }
  try { await streamFileAtomic(f, () => { throw new Error('boom'); }); assert.unreachable(); } catch (e) { assert.is((e as Error).message, 'boom'); }
  assert.is(readFileSync(f, 'utf8'), 'old');
  assert.equal(readdirSync(dir).filter((n) => n.includes('s.png')), ['s.png']);
});

test('streamed banded bicubic PNG decodes to exactly bicubicUpscale (several band sizes)', async () => {
  const img: ImageCHW = { c: 3, h: 13, w: 17, data: Float32Array.from({ length: 3 * 13 * 17 }, (_, i) => (Math.sin(i * 0.9) + 1) / 2) };
  const want = bicubicUpscale(img, 3);
  for (const band of [1, 5, 64]) {
    const f = join(dir, `b${band}.png`);
    await streamFileAtomic(f, (w) => writePngStream(want.w, want.h, w, (emit) => bicubicUpscaleBands(img, 3, band, emit)));
    const got = decodeImage(readFileSync(f), f);
    const q = (v: number) => Math.round(Math.min(1, Math.max(0, v)) * 255);
    assert.equal([got.w, got.h], [want.w, want.h]);
    assert.ok(got.data.every((v, i) => Math.round(v * 255) === q(want.data[i]!)), `band ${band}`);
  }
});

test('checkOutputPath: directory, extension, missing directory, non-regular file', () => {
  assert.throws(() => checkOutputPath(dir, ['.png']), /output is a directory/);
  assert.throws(() => checkOutputPath(join(dir, 'a.gif'), ['.png']), /extension '\.gif' is not supported/);
  assert.throws(() => checkOutputPath(join(dir, 'no', 'a.png'), ['.png']), /directory '.*no' does not exist/);
  assert.throws(() => checkOutputPath('/dev/null', ['.png', '']), /exists and is not a regular file/);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
