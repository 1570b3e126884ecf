// Bar and line charts drawn on a Canvas with the bitmap font (axes, 1-2-5 ticks, legend, labels), written as PNG.
import { encodePng } from '../io/image.ts';
import { checkOutputPath, writeFileAtomic } from '../io/atomic.ts';
import { Canvas, type Color, type Rect } from './canvas.ts';
import { drawText, textHeight, textWidth } from './font.ts';

/** Readable default series colours (Tableau 10 order). */
export const PALETTE: readonly string[] = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

const INK = '#222222', AXIS = '#444444', GRID = '#e3e3e3', MUTED = '#555555', WHITE = '#ffffff';
const M = 16; // outer margin

export interface Ticks { min: number; max: number; step: number; ticks: number[] }

const clean = (v: number) => Number(v.toPrecision(12));

/** A 1, 2 or 5 x 10^k step that cuts `span` into at most about `maxTicks` intervals. */
export function niceStep(span: number, maxTicks = 6): number {
  if (!(span > 0) || !Number.isFinite(span)) return 1;
  const raw = span / Math.max(1, maxTicks), mag = 10 ** Math.floor(Math.log10(raw)), f = raw / mag;
  return clean((f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag);
}

/** Axis bounds widened to multiples of a 1-2-5 step, and the ticks between them. */
export function niceTicks(lo: number, hi: number, maxTicks = 6): Ticks {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) { lo = 0; hi = 1; }
  if (lo > hi) [lo, hi] = [hi, lo];
  if (lo === hi) { const d = lo === 0 ? 1 : Math.abs(lo) * 0.1; lo -= d; hi += d; }
  const step = niceStep(hi - lo, maxTicks);
  const i0 = Math.floor(lo / step + 1e-9), i1 = Math.ceil(hi / step - 1e-9);
  const ticks: number[] = [];
  for (let i = i0; i <= i1; i++) ticks.push(clean(i * step));
  return { min: ticks[0], max: ticks[ticks.length - 1], step, ticks };
}

/** Ticks for a log axis: bounds at 1-2-5 x 10^k values around [lo, hi] (both > 0); powers of ten when the range is wide. */
export function logTicks(lo: number, hi: number, maxTicks = 8): Ticks {
  if (!(lo > 0) || !(hi > 0) || !Number.isFinite(lo) || !Number.isFinite(hi)) { lo = 1; hi = 10; }
  if (lo > hi) [lo, hi] = [hi, lo];
  if (lo === hi) { lo /= 2; hi *= 2; }
  const cands = (mults: number[]) => {
    const out: number[] = [];
    for (let e = Math.floor(Math.log10(lo)) - 1; e <= Math.ceil(Math.log10(hi)) + 1; e++) for (const m of mults) out.push(clean(m * 10 ** e));
    return out;
  };
  const bounded = (mults: number[]) => {
    const c = cands(mults), a = c.filter((v) => v <= lo * (1 + 1e-9)).pop()!, b = c.find((v) => v >= hi * (1 - 1e-9))!;
    return { min: a, max: b, ticks: c.filter((v) => v >= a && v <= b) };
  };
  let t = bounded([1, 2, 5]);
  if (t.ticks.length < 3) t = bounded([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  else if (t.ticks.length > maxTicks) {
    const p = bounded([1]), k = Math.ceil(p.ticks.length / maxTicks);
    t = { ...p, ticks: p.ticks.filter((_, i) => i % k === 0) };
  }
  return { ...t, step: 0 };
}

/** A short number: at most `digits` significant digits, no trailing zeros, exponent form outside 1e-4 .. 1e6. */
export function formatNumber(v: number, digits = 3): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e6 || a < 1e-4) return v.toExponential(Math.max(0, digits - 1)).replace(/\.?0+e/, 'e').replace('e+', 'e');
  if (a >= 10 ** digits) return String(Math.round(v));
  return String(Number(v.toPrecision(digits)));
}

/** A tick label with as many decimals as the step needs. */
function formatTick(v: number, step: number): string {
  const a = Math.abs(v);
  if (v !== 0 && (a >= 1e6 || a < 1e-4)) return formatNumber(v, 3);
  const dec = step > 0 ? Math.max(0, Math.ceil(-Math.log10(step) - 1e-9)) : 0;
  return step > 0 ? v.toFixed(Math.min(dec, 10)) : formatNumber(v, 3);
}

export interface Series { name: string; color?: Color }

/** The legend in one row (wrapping to more rows when needed) starting at (x, y); returns its height. */
function legend(c: Canvas, x: number, y: number, maxX: number, items: { name: string; color: Color }[], s: number): number {
  const th = textHeight(s), sw = th + 3 * s, gap = 14 * s;
  let cx = x, cy = y;
  for (const it of items) {
    const w = sw + 5 * s + textWidth(it.name, s);
    if (cx > x && cx + w > maxX) { cx = x; cy += th + 8 * s; }
    c.fillRect(cx, cy - s, sw, th + 2 * s, it.color);
    drawText(c, cx + sw + 5 * s, cy, it.name, { color: INK, scale: s });
    cx += w + gap;
  }
  return items.length ? cy - y + th : 0;
}

/** A rectangle on whole pixels, at least 2 x 2. */
function intRect(r: Rect): Rect {
  const x = Math.round(r.x), y = Math.round(r.y);
  return { x, y, w: Math.max(2, Math.floor(r.x + r.w) - x), h: Math.max(2, Math.floor(r.y + r.h) - y) };
}

function dashedH(c: Canvas, x0: number, x1: number, y: number, color: Color): void { c.line(x0, y, x1, y, color, { width: 2, dash: [6, 4] }); }
function dashedV(c: Canvas, x: number, y0: number, y1: number, color: Color): void { c.line(x, y0, x, y1, color, { width: 2, dash: [6, 4] }); }

export interface Bar { series: string; value: number; note?: string }
export interface BarGroup { label: string; bars: Bar[] }

export interface BarChartOptions {
  title: string;
  groups: BarGroup[];
  series: Series[];
  /** Label of the value axis (vertical in a vertical chart, horizontal in a horizontal one). */
  yLabel: string;
  /** Value-axis end (default: a nice bound above the largest value and the reference line). */
  yMax?: number;
  /** A dashed line at a constant value across the groups, e.g. { value: 1, label: '100 % of peak' }. */
  refLine?: { value: number; label: string; color?: Color };
  /** 'auto' (default): vertical bars when every group label fits under its group, else horizontal bars. */
  orientation?: 'auto' | 'vertical' | 'horizontal';
  /** Text on each bar (default formatNumber(value)); a bar's note follows it in parentheses. */
  valueFormat?: (v: number) => string;
  /** Text of a value-axis tick (default: the tick with the decimals its step needs). */
  tickFormat?: (v: number) => string;
  width?: number;
  /** Default 500, or taller for a horizontal chart with many bars. */
  height?: number;
  /** Integer font scale for labels (title is twice this); default 1. */
  fontScale?: number;
}

export interface BarChart {
  canvas: Canvas;
  /** The plot area (inside the axes). */
  plot: Rect;
  orientation: 'vertical' | 'horizontal';
  /** Pixel coordinate of a value along the value axis (y for vertical, x for horizontal bars). */
  valueToPx(v: number): number;
}

/** Grouped bars: one band per group, one bar per series in series order, value labels, legend and an optional reference line. */
export function barChart(o: BarChartOptions): BarChart {
  const s = Math.max(1, Math.round(o.fontScale ?? 1)), th = textHeight(s), W = o.width ?? 900;
  const series = o.series.map((se, i) => ({ name: se.name, color: se.color ?? PALETTE[i % PALETTE.length] }));
  const nG = Math.max(1, o.groups.length), nS = Math.max(1, series.length);
  const fmt = o.valueFormat ?? ((v: number) => formatNumber(v));
  const label = (b: Bar) => fmt(b.value) + (b.note ? ` (${b.note})` : '');
  const values = o.groups.flatMap((g) => g.bars.map((b) => b.value)).filter(Number.isFinite);
  const dataMax = Math.max(0, ...values, o.refLine?.value ?? 0), dataMin = Math.min(0, ...values);
  const t = niceTicks(dataMin, o.yMax ?? (dataMax > 0 ? dataMax : 1), 6);
  const vMin = t.min, vMax = o.yMax ?? t.max, ticks = t.ticks.filter((v) => v <= vMax + 1e-9 * Math.abs(vMax));
  const tickLabels = ticks.map((v) => (o.tickFormat ? o.tickFormat(v) : formatTick(v, t.step)));
  const maxGroupLabel = Math.max(0, ...o.groups.map((g) => textWidth(g.label, s)));
  const maxTickLabel = Math.max(...tickLabels.map((l) => textWidth(l, s)));

  // Vertical if each group label fits its band with a little air.
  const vBand = (W - 2 * M - maxTickLabel - 8 * s) / nG;
  const orientation = o.orientation === 'vertical' || o.orientation === 'horizontal' ? o.orientation
    : maxGroupLabel <= vBand * 0.9 ? 'vertical' : 'horizontal';
  const H = o.height ?? (orientation === 'horizontal' ? Math.max(500, 130 * s + nG * Math.max(26 * s, nS * (th + 7 * s) + 10 * s)) : 500);
  const c = new Canvas(W, H);

  // Title, legend, then the plot.
  let y = M;
  drawText(c, W / 2, y, o.title, { color: INK, scale: 2 * s, align: 'center' });
  y += textHeight(2 * s) + 12 * s;
  const legendX = orientation === 'horizontal' ? M + maxGroupLabel + 8 * s : M + maxTickLabel + 8 * s;
  y += legend(c, legendX, y, W - M, series, s) + 12 * s;

  let plot: Rect;
  if (orientation === 'vertical') {
    drawText(c, M + maxTickLabel + 8 * s, y, o.yLabel, { color: INK, scale: s });
    y += th + 8 * s;
    const x0 = M + maxTickLabel + 8 * s, bottom = H - M - th - 8 * s;
    plot = { x: x0, y, w: W - M - x0, h: bottom - y };
  } else {
    y += o.refLine ? th + 6 * s : 0;
    const x0 = M + maxGroupLabel + 10 * s, bottom = H - M - 2 * th - 16 * s;
    plot = { x: x0, y, w: W - M - x0 - textWidth(tickLabels[tickLabels.length - 1], s) / 2, h: bottom - y };
  }
  plot = intRect(plot);
  const horizontal = orientation === 'horizontal';
  const span = vMax - vMin || 1;
  const valueToPx = horizontal ? (v: number) => plot.x + ((v - vMin) / span) * (plot.w - 1)
    : (v: number) => plot.y + plot.h - 1 - ((v - vMin) / span) * (plot.h - 1);

  // Grid and tick labels along the value axis.
  ticks.forEach((v, i) => {
    const p = Math.round(valueToPx(v));
    if (horizontal) {
      c.fillRect(p, plot.y, 1, plot.h, GRID);
      drawText(c, p, plot.y + plot.h + 6 * s, tickLabels[i], { color: INK, scale: s, align: 'center' });
    } else {
      c.fillRect(plot.x, p, plot.w, 1, GRID);
      drawText(c, plot.x - 6 * s, p - Math.floor(th / 2), tickLabels[i], { color: INK, scale: s, align: 'right' });
    }
  });
  if (horizontal) drawText(c, plot.x + plot.w / 2, plot.y + plot.h + th + 14 * s, o.yLabel, { color: INK, scale: s, align: 'center' });

  // Bars, from the zero line (or the axis minimum when it is above zero).
  const base = Math.round(valueToPx(Math.max(vMin, Math.min(0, vMax))));
  const band = (horizontal ? plot.h : plot.w) / nG, pad = band * 0.18, thick = Math.max(1, Math.floor((band - 2 * pad) / nS));
  const clampV = (v: number) => Math.max(vMin, Math.min(vMax, v));
  // Value labels are drawn last: [x, y, text, outside the bar (dark on a white knock-out) or inside it (white)].
  const labels: [number, number, string, boolean][] = [];
  o.groups.forEach((g, gi) => {
    const b0 = (horizontal ? plot.y : plot.x) + gi * band;
    const start = Math.round(b0 + (band - thick * nS) / 2);
    if (horizontal) drawText(c, plot.x - 8 * s, b0 + band / 2 - th / 2, g.label, { color: INK, scale: s, align: 'right' });
    else drawText(c, b0 + band / 2, plot.y + plot.h + 8 * s, g.label, { color: INK, scale: s, align: 'center' });
    series.forEach((se, si) => {
      const b = g.bars.find((x) => x.series === se.name);
      if (!b || !Number.isFinite(b.value)) return;
      const end = Math.round(valueToPx(clampV(b.value))), lo = Math.min(base, end), len = Math.abs(end - base) + 1;
      const p = start + si * thick, bw = Math.max(1, thick - (thick > 4 ? 1 : 0));
      const text = label(b), tw = textWidth(text, s);
      if (horizontal) {
        c.fillRect(lo, p, len, bw, se.color);
        const ty = p + Math.round((bw - th) / 2);
        if (b.value >= 0 && end + 5 * s + tw <= W - 2) labels.push([end + 5 * s, ty, text, true]);
        else if (b.value < 0 && lo - 5 * s - tw >= 2) labels.push([lo - 5 * s - tw, ty, text, true]);
        else labels.push([end - 4 * s - tw, ty, text, false]);
      } else {
        c.fillRect(p, lo, bw, len, se.color);
        const ty = b.value >= 0 ? Math.max(plot.y - th - 2 * s, end - th - 4 * s) : end + 4 * s;
        labels.push([Math.round(p + bw / 2 - tw / 2), ty, text, true]);
      }
    });
  });

  // Axes over the bars' roots, then the reference line on top.
  if (horizontal) { c.fillRect(base, plot.y, 1, plot.h, AXIS); c.fillRect(plot.x, plot.y + plot.h, plot.w, 1, AXIS); }
  else { c.fillRect(plot.x - 1, plot.y, 1, plot.h, AXIS); c.fillRect(plot.x, base, plot.w, 1, AXIS); }
  if (o.refLine && o.refLine.value >= vMin && o.refLine.value <= vMax) {
    const rc = o.refLine.color ?? '#b03030', p = Math.round(valueToPx(o.refLine.value));
    if (horizontal) {
      dashedV(c, p, plot.y, plot.y + plot.h - 1, rc);
      const tw = textWidth(o.refLine.label, s), lx = Math.min(W - 2 - tw / 2, Math.max(2 + tw / 2, p));
      drawText(c, lx, plot.y - th - 4 * s, o.refLine.label, { color: rc, scale: s, align: 'center' });
    } else {
      dashedH(c, plot.x, plot.x + plot.w - 1, p, rc);
      drawText(c, plot.x + plot.w - 4 * s, p - th - 5 * s, o.refLine.label, { color: rc, scale: s, align: 'right' });
    }
  }
  for (const [lx, ly, text, outside] of labels) {
    if (outside) c.fillRect(lx - 2 * s, ly - 2 * s, textWidth(text, s) + 4 * s, th + 4 * s, WHITE);
    drawText(c, lx, ly, text, { color: outside ? INK : WHITE, scale: s });
  }
  return { canvas: c, plot, orientation, valueToPx };
}

export interface LineSeries extends Series { points: readonly (readonly [number, number])[] }

export interface LineChartOptions {
  title: string;
  series: LineSeries[];
  xLabel: string;
  yLabel: string;
  /** Logarithmic y axis (points with y <= 0 are left out). */
  logY?: boolean;
  /** Axis bounds (default: nice bounds around the data). */
  xMin?: number; xMax?: number; yMin?: number; yMax?: number;
  width?: number;
  height?: number;
  /** Line thickness in pixels, 1 or 2 (default 2). */
  lineWidth?: number;
  fontScale?: number;
}

export interface LineChart {
  canvas: Canvas;
  plot: Rect;
  xToPx(x: number): number;
  yToPx(y: number): number;
}

/** Lines through each series' points, with x and y axes, 1-2-5 ticks (or decades on a log axis), grid and legend. */
export function lineChart(o: LineChartOptions): LineChart {
  const s = Math.max(1, Math.round(o.fontScale ?? 1)), th = textHeight(s), W = o.width ?? 900, H = o.height ?? 500;
  const series = o.series.map((se, i) => ({ ...se, color: se.color ?? PALETTE[i % PALETTE.length] }));
  const ok = (p: readonly [number, number]) => Number.isFinite(p[0]) && Number.isFinite(p[1]) && (!o.logY || p[1] > 0);
  const pts = series.flatMap((se) => se.points.filter(ok));
  const xs = pts.map((p) => p[0]), ys = pts.map((p) => p[1]);
  const xt = niceTicks(o.xMin ?? (xs.length ? Math.min(...xs) : 0), o.xMax ?? (xs.length ? Math.max(...xs) : 1), 8);
  const yLo = o.yMin ?? (ys.length ? Math.min(...ys) : o.logY ? 1 : 0), yHi = o.yMax ?? (ys.length ? Math.max(...ys) : o.logY ? 10 : 1);
  const yt = o.logY ? logTicks(yLo, yHi, 8) : niceTicks(yLo, yHi, 6);
  const x0v = o.xMin ?? xt.min, x1v = o.xMax ?? xt.max, y0v = o.yMin ?? yt.min, y1v = o.yMax ?? yt.max;
  const inRange = (v: number, a: number, b: number) => v >= a - 1e-9 * Math.abs(b - a) && v <= b + 1e-9 * Math.abs(b - a);
  const xTicks = xt.ticks.filter((v) => inRange(v, x0v, x1v)), yTicks = yt.ticks.filter((v) => inRange(v, y0v, y1v));
  const xLabels = xTicks.map((v) => formatTick(v, xt.step)), yLabels = yTicks.map((v) => formatTick(v, yt.step));
  const maxY = Math.max(0, ...yLabels.map((l) => textWidth(l, s)));

  const c = new Canvas(W, H);
  let y = M;
  drawText(c, W / 2, y, o.title, { color: INK, scale: 2 * s, align: 'center' });
  y += textHeight(2 * s) + 12 * s;
  const left = M + maxY + 8 * s;
  y += legend(c, left, y, W - M, series, s) + 12 * s;
  drawText(c, left, y, o.yLabel, { color: INK, scale: s });
  y += th + 8 * s;
  const lastX = xLabels.length ? textWidth(xLabels[xLabels.length - 1], s) / 2 : 0;
  const plot = intRect({ x: left, y, w: W - M - left - Math.max(0, lastX - 4), h: H - M - 2 * th - 16 * s - y });

  const ly = (v: number) => (o.logY ? Math.log10(v) : v);
  const xToPx = (v: number) => plot.x + ((v - x0v) / (x1v - x0v || 1)) * (plot.w - 1);
  const yToPx = (v: number) => plot.y + plot.h - 1 - ((ly(v) - ly(y0v)) / (ly(y1v) - ly(y0v) || 1)) * (plot.h - 1);

  // Minor grid on a log axis: 2..9 x 10^k between the labelled ticks.
  if (o.logY) {
    for (let e = Math.floor(Math.log10(y0v)); e <= Math.ceil(Math.log10(y1v)); e++) for (let m = 1; m <= 9; m++) {
      const v = m * 10 ** e;
      if (inRange(v, y0v, y1v)) c.fillRect(plot.x, Math.round(yToPx(v)), plot.w, 1, '#f2f2f2');
    }
  }
  yTicks.forEach((v, i) => {
    const p = Math.round(yToPx(v));
    c.fillRect(plot.x, p, plot.w, 1, GRID);
    drawText(c, plot.x - 6 * s, p - Math.floor(th / 2), yLabels[i], { color: INK, scale: s, align: 'right' });
  });
  xTicks.forEach((v, i) => {
    const p = Math.round(xToPx(v));
    c.fillRect(p, plot.y, 1, plot.h, GRID);
    c.fillRect(p, plot.y + plot.h, 1, 4 * s, AXIS);
    drawText(c, p, plot.y + plot.h + 7 * s, xLabels[i], { color: INK, scale: s, align: 'center' });
  });
  drawText(c, plot.x + plot.w / 2, plot.y + plot.h + th + 14 * s, o.xLabel, { color: INK, scale: s, align: 'center' });

  c.clip = plot;
  const lw = Math.max(1, Math.min(2, Math.round(o.lineWidth ?? 2)));
  // A 2 px line widens right/down; shift by half a pixel so it stays centred on the path.
  const off = lw === 2 ? -0.5 : 0;
  for (const se of series) c.polyline(se.points.filter(ok).map((p) => [xToPx(p[0]) + off, yToPx(p[1]) + off] as const), se.color, { width: lw });
  c.clip = null;
  c.fillRect(plot.x - 1, plot.y, 1, plot.h + 1, AXIS);
  c.fillRect(plot.x - 1, plot.y + plot.h, plot.w + 1, 1, AXIS);
  return { canvas: c, plot, xToPx, yToPx };
}

/** Encodes a chart (or a bare canvas) as an 8-bit RGB PNG and writes it atomically (temp file + rename). */
export function writeChartPng(path: string, chart: Canvas | { canvas: Canvas }): void {
  checkOutputPath(path, ['.png'], 'chart');
  const canvas = chart instanceof Canvas ? chart : chart.canvas;
  writeFileAtomic(path, encodePng(canvas.toImage()));
}
