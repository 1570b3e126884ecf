// Tests for src/viz: the bitmap font, the canvas, bar and line chart geometry, ticks, and the PNG writer.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Canvas, rgb } from '../../src/viz/canvas.ts';
import { drawText, glyphRows, textHeight, textWidth, toAscii, FIRST_CODE, LAST_CODE, GLYPH_H, GLYPH_W } from '../../src/viz/font.ts';
import { barChart, formatNumber, lineChart, logTicks, niceTicks, writeChartPng } from '../../src/viz/chart.ts';
import { decodeImage } from '../../src/io/image.ts';
import { OutputError } from '../../src/io/atomic.ts';

const dir = mkdtempSync(join(tmpdir(), 'hvar-viz-'));

/** Bounding box of the pixels of colour `c` (inclusive), or null. */
function bbox(cv: Canvas, c: string, r = { x: 0, y: 0, w: cv.width, h: cv.height }) {
  let x0 = Infinity, y0 = Infinity, x1 = -1, y1 = -1;
  for (let y = r.y; y < r.y + r.h; y++) for (let x = r.x; x < r.x + r.w; x++) if (cv.is(x, y, c)) {
    x0 = Math.min(x0, x); y0 = Math.min(y0, y); x1 = Math.max(x1, x); y1 = Math.max(y1, y);
  }
  return x1 < 0 ? null : { x0, y0, x1, y1 };
}

test('font: a 5x8 glyph with ink for every printable ASCII code (space blank), all distinct', () => {
  const seen = new Map<string, string>();
  for (let code = 32; code <= 126; code++) {
    const rows = glyphRows(code);
    assert.is(rows.length, GLYPH_H);
    assert.ok(rows.every((r) => r < 1 << GLYPH_W), `glyph ${code} wider than ${GLYPH_W}`);
    const lit = rows.reduce((n, r) => n + r.toString(2).split('1').length - 1, 0);
    if (code === 32) assert.is(lit, 0); else assert.ok(lit > 0, `glyph '${String.fromCharCode(code)}' is blank`);
    const key = Array.from(rows).join(',');
    assert.not.ok(seen.has(key), `'${String.fromCharCode(code)}' looks the same as '${seen.get(key)}'`);
    seen.set(key, String.fromCharCode(code));
  }
  assert.is(FIRST_CODE, 32); assert.is(LAST_CODE, 126);
  assert.throws(() => glyphRows(31)); assert.throws(() => glyphRows(127));
  // Capitals and digits stand on the baseline (row 6) and leave the descender row empty; g, j, p, q, y use it.
  for (const ch of 'AHMZ0189') { const r = glyphRows(ch.charCodeAt(0)); assert.ok(r[0] && r[6] && !r[7], ch); }
  for (const ch of 'gjpqy') assert.ok(glyphRows(ch.charCodeAt(0))[7], ch);
});

test('font: non-ASCII maps to ASCII look-alikes, unknown to ?', () => {
  assert.is(toAscii('2240×1024 → 3·2² µs'), '2240x1024 > 3.22 us');
  assert.is(toAscii('a\u4e2db'), 'a?b');
  assert.is(textWidth('×→'), textWidth('x>'));
});

test('font: textWidth and textHeight match the drawn extent at several scales and alignments', () => {
  for (const scale of [1, 2, 3]) for (const text of ['Hello, World', 'H', 'matmul 2240x1024x4096 GFLOP/s']) {
    const cv = new Canvas(700, 60);
    const w = drawText(cv, 10, 5, text, { color: '#000000', scale });
    const b = bbox(cv, '#000000')!;
    assert.is(w, textWidth(text, scale));
    assert.is(b.x0, 10); assert.is(b.x1 - b.x0 + 1, textWidth(text, scale), `${text} @${scale}`);
    assert.is(b.y0, 5);
  }
  const cv = new Canvas(200, 40);
  drawText(cv, 20, 10, 'HELLO', { scale: 2, color: '#ff0000' });
  const b = bbox(cv, '#ff0000')!;
  assert.is(b.y1 - b.y0 + 1, textHeight(2));
  for (const [align, x0] of [['right', 150 - textWidth('HM', 2)], ['center', 100 - textWidth('HM', 2) / 2]] as const) {
    const c2 = new Canvas(200, 40);
    drawText(c2, align === 'right' ? 150 : 100, 5, 'HM', { scale: 2, align });
    assert.is(bbox(c2, '#000000')!.x0, Math.round(x0), align);
  }
  assert.is(textWidth(''), 0);
});

test('canvas: Bresenham lines include both ends, are clipped, and 2 px lines are 2 px thick', () => {
  const cv = new Canvas(50, 50);
  cv.line(5, 5, 25, 15, '#ff0000');
  let n = 0;
  for (let y = 0; y < 50; y++) for (let x = 0; x < 50; x++) n += cv.is(x, y, '#ff0000') ? 1 : 0;
  assert.is(n, 21);
  assert.ok(cv.is(5, 5, '#ff0000') && cv.is(25, 15, '#ff0000'));
  const c2 = new Canvas(50, 50);
  c2.clip = { x: 10, y: 0, w: 20, h: 50 };
  c2.line(-1000, 20, 1000, 20, '#00ff00', { width: 2 });
  assert.equal(bbox(c2, '#00ff00'), { x0: 10, y0: 20, x1: 29, y1: 21 });
  assert.equal(rgb('#1f77b4'), [31, 119, 180]); assert.equal(rgb('#fff'), [255, 255, 255]);
  assert.throws(() => rgb('blue'));
  const img = cv.toImage();
  assert.is(img.c, 3); assert.is(img.data[5 * 50 + 5], 1); assert.is(img.data[2500 + 5 * 50 + 5], 0);
});

test('ticks: 1-2-5 steps, bounds on step multiples; log ticks at 1-2-5 x 10^k', () => {
  assert.equal(niceTicks(0, 0.87), { min: 0, max: 1, step: 0.2, ticks: [0, 0.2, 0.4, 0.6, 0.8, 1] });
  assert.equal(niceTicks(3, 97).ticks, [0, 20, 40, 60, 80, 100]);
  assert.equal(niceTicks(0, 10000, 8).ticks, [0, 2000, 4000, 6000, 8000, 10000]);
  assert.equal(niceTicks(-8, 55).ticks, [-20, 0, 20, 40, 60]);
  assert.equal(niceTicks(5, 5).ticks.length > 1, true);
  const l = logTicks(0.27, 6.5);
  assert.equal([l.min, l.max, l.ticks], [0.2, 10, [0.2, 0.5, 1, 2, 5, 10]]);
  assert.equal(logTicks(1e-6, 1e3).ticks.every((v) => Number.isInteger(Math.log10(v))), true);
  assert.equal(logTicks(0.3, 0.45).ticks, [0.3, 0.4, 0.5]);
  assert.equal([0.705, 14100, 0.0123, 2e-7, 3e9, 0].map((v) => formatNumber(v)), ['0.705', '14100', '0.0123', '2e-7', '3e9', '0']);
});

/** Lengths of the bars of colour `c` inside the plot: runs along rows (horizontal) or columns (vertical). */
function barLengths(ch: ReturnType<typeof barChart>, c: string): number[] {
  const { canvas: cv, plot } = ch, out: number[] = [];
  const horizontal = ch.orientation === 'horizontal';
  const [outer, inner] = horizontal ? [plot.h, plot.w] : [plot.w, plot.h];
  let prev = 0;
  for (let i = 0; i < outer; i++) {
    let len = 0;
    for (let j = 0; j < inner; j++) if (horizontal ? cv.is(plot.x + j, plot.y + i, c) : cv.is(plot.x + i, plot.y + j, c)) len++;
    if (len > 0 && prev === 0) out.push(len);
    prev = len;
  }
  return out;
}

test('bar chart: bar lengths are proportional to the values (horizontal and vertical), yMax is the axis end', () => {
  const values = [10, 20, 40, 25, 50];
  for (const orientation of ['horizontal', 'vertical'] as const) {
    const ch = barChart({
      title: 'T', yLabel: 'GFLOP/s', yMax: 50, orientation, series: [{ name: 'hvar', color: '#123456' }, { name: 'peer', color: '#abcdef' }],
      groups: values.map((v, i) => ({ label: `case ${i}`, bars: [{ series: 'hvar', value: v }, { series: 'peer', value: v / 2, note: 'x' }] })),
    });
    assert.is(ch.orientation, orientation);
    const a = barLengths(ch, '#123456'), b = barLengths(ch, '#abcdef');
    assert.is(a.length, values.length, `${orientation}: one bar per group`);
    assert.is(b.length, values.length);
    // The axis (drawn over the bar roots) hides one pixel of each bar; a bar of the full yMax spans the plot.
    const full = (orientation === 'horizontal' ? ch.plot.w : ch.plot.h) - 1;
    values.forEach((v, i) => {
      assert.ok(Math.abs(a[i] - (v / 50) * full) <= 1, `${orientation} bar ${i}: ${a[i]} px for ${v} (full ${full})`);
      assert.ok(Math.abs(b[i] - (v / 100) * full) <= 1, `${orientation} peer bar ${i}: ${b[i]} px`);
    });
    assert.ok(Math.abs(a[2] / a[0] - 4) < 0.05);
  }
});

test('bar chart: orientation auto-picks by label length; legend, labels and reference line are drawn', () => {
  const mk = (label: string) => barChart({
    title: 'Peak', yLabel: 'fraction', series: [{ name: 'hvar', color: '#1f77b4' }], refLine: { value: 1, label: 'FMA peak', color: '#b03030' },
    groups: Array.from({ length: 10 }, (_, i) => ({ label: `${label} ${i}`, bars: [{ series: 'hvar', value: 0.1 * (i + 1) - 0.05 }] })),
  });
  assert.is(mk('mm').orientation, 'vertical');
  const long = mk('matmul 2240x1024x4096');
  assert.is(long.orientation, 'horizontal');
  // The reference line at 1.0 is the dashed column at valueToPx(1).
  const x = Math.round(long.valueToPx(1));
  let dashes = 0;
  for (let y = long.plot.y; y < long.plot.y + long.plot.h; y++) dashes += long.canvas.is(x, y, '#b03030') ? 1 : 0;
  assert.ok(dashes > long.plot.h * 0.4 && dashes < long.plot.h * 0.9, `dashed: ${dashes} of ${long.plot.h}`);
  // Legend swatch above the plot; dark label text left of the plot and beside the bars.
  assert.ok(bbox(long.canvas, '#1f77b4', { x: 0, y: 0, w: long.canvas.width, h: long.plot.y })!);
  assert.ok(bbox(long.canvas, '#222222', { x: 0, y: long.plot.y, w: long.plot.x, h: long.plot.h })!);
  assert.ok(bbox(long.canvas, '#222222', { x: long.plot.x + 2, y: long.plot.y, w: long.plot.w - 2, h: long.plot.h })!);
});

/** Rows of the series colour in column x of the plot. */
function rowsAt(ch: ReturnType<typeof lineChart>, x: number, c: string): number[] {
  const out: number[] = [];
  for (let y = ch.plot.y; y < ch.plot.y + ch.plot.h; y++) if (ch.canvas.is(x, y, c)) out.push(y);
  return out;
}

test('line chart: the series lies on its path (linear and log y), inside the plot', () => {
  const lin = lineChart({ title: 'loss', xLabel: 'step', yLabel: 'loss', series: [
    { name: 'up', color: '#d62728', points: Array.from({ length: 11 }, (_, i) => [i * 10, i * 20] as [number, number]) },
    { name: 'flat', color: '#2ca02c', points: [[0, 50], [100, 50]] },
  ] });
  const { plot } = lin;
  // The data spans exactly the nice bounds 0..100 x 0..200, so the plot's corners are the data's.
  for (const xv of [5, 15, 50, 85, 95]) {
    const px = Math.round(plot.x + (xv / 100) * (plot.w - 1)), py = plot.y + plot.h - 1 - ((2 * xv) / 200) * (plot.h - 1);
    const ys = rowsAt(lin, px, '#d62728');
    assert.ok(ys.length > 0, `no series pixel at x=${xv}`);
    assert.ok(ys.every((y) => Math.abs(y - py) <= 2.5), `x=${xv}: rows ${ys} vs ${py.toFixed(1)}`);
    const flat = rowsAt(lin, px, '#2ca02c');
    assert.ok(flat.length > 0 && flat.every((y) => Math.abs(y - (plot.y + plot.h - 1 - 0.25 * (plot.h - 1))) <= 1.5));
  }
  const log = lineChart({ title: 'loss', xLabel: 'step', yLabel: 'loss', logY: true, width: 600, height: 400, series: [
    { name: 'exp', color: '#1f77b4', points: Array.from({ length: 101 }, (_, i) => [i, 10 ** (i / 50)] as [number, number]) },
    { name: 'bad', color: '#9467bd', points: [[0, 0], [50, -1], [100, Number.NaN]] },
  ] });
  for (const xv of [10, 30, 50, 70, 90]) {
    const px = Math.round(log.plot.x + (xv / 100) * (log.plot.w - 1)), py = log.plot.y + log.plot.h - 1 - (xv / 100) * (log.plot.h - 1);
    const ys = rowsAt(log, px, '#1f77b4');
    assert.ok(ys.length > 0 && ys.every((y) => Math.abs(y - py) <= 2.5), `log x=${xv}: rows ${ys} vs ${py.toFixed(1)}`);
  }
  // No series pixel outside the plot except the legend swatches above it.
  const outside = bbox(log.canvas, '#1f77b4', { x: 0, y: log.plot.y + log.plot.h + 1, w: 600, h: 400 - log.plot.y - log.plot.h - 1 });
  assert.is(outside, null);
  // Axis bounds narrower than the data: the line is cut at the plot's edges.
  const cut = lineChart({ title: 't', xLabel: 'x', yLabel: 'y', xMin: 0, xMax: 50, yMin: 0, yMax: 50, series: [
    { name: 's', color: '#d62728', points: [[0, 0], [100, 100]] }] });
  const right = { x: cut.plot.x + cut.plot.w, y: 0, w: cut.canvas.width - cut.plot.x - cut.plot.w, h: cut.canvas.height };
  assert.is(bbox(cut.canvas, '#d62728', right), null);
  const inside = bbox(cut.canvas, '#d62728', cut.plot)!;
  assert.ok(inside.x1 >= cut.plot.x + cut.plot.w - 2 && inside.y0 <= cut.plot.y + 1, JSON.stringify(inside));
});

test('writeChartPng: the PNG decodes to the canvas size and colours; writes atomically; checks the path', () => {
  const ch = barChart({ title: 'x', yLabel: 'y', width: 640, height: 360, series: [{ name: 'a', color: '#123456' }],
    groups: [{ label: 'g', bars: [{ series: 'a', value: 3 }] }] });
  const f = join(dir, 'bar.png');
  writeFileSync(f, 'old');
  writeChartPng(f, ch);
  const img = decodeImage(readFileSync(f), f);
  assert.equal([img.c, img.h, img.w], [3, 360, 640]);
  const b = bbox(ch.canvas, '#123456', ch.plot)!;
  const at = (k: number, x: number, y: number) => Math.round(img.data[k * 360 * 640 + y * 640 + x] * 255);
  assert.equal([at(0, b.x0 + 2, b.y1 - 2), at(1, b.x0 + 2, b.y1 - 2), at(2, b.x0 + 2, b.y1 - 2)], [0x12, 0x34, 0x56]);
  assert.equal([at(0, 1, 1), at(1, 1, 1), at(2, 1, 1)], [255, 255, 255]);
  writeChartPng(join(dir, 'canvas.png'), ch.canvas);
  assert.equal(readdirSync(dir).sort(), ['bar.png', 'canvas.png']);
  assert.throws(() => writeChartPng(join(dir, 'bar.jpg'), ch), (e: unknown) => e instanceof OutputError);
  assert.throws(() => writeChartPng(join(dir, 'missing', 'bar.png'), ch), (e: unknown) => e instanceof OutputError);
  assert.equal(readdirSync(dir).sort(), ['bar.png', 'canvas.png']);
});

test.run();
