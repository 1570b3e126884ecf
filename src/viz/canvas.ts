// RGB raster for charts: 8-bit interleaved pixels, solid fills, rectangles and 1-2 px Bresenham lines, to ImageCHW.
import type { ImageCHW } from '../io/image.ts';

/** An sRGB colour: '#rrggbb' / '#rgb', or [r, g, b] with 0..255 components. */
export type Color = string | readonly [number, number, number];
export type RGB = readonly [number, number, number];
export interface Rect { x: number; y: number; w: number; h: number }

/** Parses a colour to [r, g, b] in 0..255; throws on a malformed string. */
export function rgb(c: Color): RGB {
  if (typeof c !== 'string') return [c[0] & 255, c[1] & 255, c[2] & 255];
  const m = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(c);
  if (!m) throw new Error(`hvar: bad colour '${c}' (use #rrggbb or [r, g, b])`);
  const h = m[1].length === 3 ? m[1].replace(/./g, (d) => d + d) : m[1];
  return [parseInt(h.slice(0, 2), 16), parseInt(h.slice(2, 4), 16), parseInt(h.slice(4, 6), 16)];
}

export interface LineStyle {
  /** Thickness in pixels (1 or 2; default 1). A 2 px line widens to the right and down. */
  width?: number;
  /** Dash pattern [on, off] in pixels along the line's major axis. */
  dash?: readonly [number, number];
}

/** A width x height RGB canvas (row-major, 3 bytes per pixel). Drawing outside the canvas or the clip rect is dropped. */
export class Canvas {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
  /** When set, pixels outside this rectangle are not drawn. */
  clip: Rect | null = null;

  constructor(width: number, height: number, background: Color = '#ffffff') {
    if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) throw new Error(`hvar: bad canvas size ${width}x${height}`);
    this.width = width; this.height = height;
    this.data = new Uint8Array(width * height * 3);
    this.fill(background);
  }

  fill(color: Color): void {
    const [r, g, b] = rgb(color), d = this.data;
    for (let i = 0; i < d.length; i += 3) { d[i] = r; d[i + 1] = g; d[i + 2] = b; }
  }

  /** The pixel at (x, y) as [r, g, b]. */
  get(x: number, y: number): RGB {
    const i = (y * this.width + x) * 3;
    return [this.data[i], this.data[i + 1], this.data[i + 2]];
  }

  /** True when pixel (x, y) has exactly colour `c`. */
  is(x: number, y: number, c: Color): boolean {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return false;
    const [r, g, b] = rgb(c), i = (y * this.width + x) * 3;
    return this.data[i] === r && this.data[i + 1] === g && this.data[i + 2] === b;
  }

  private bounds(): [number, number, number, number] {
    const c = this.clip;
    return c ? [Math.max(0, c.x), Math.max(0, c.y), Math.min(this.width, c.x + c.w), Math.min(this.height, c.y + c.h)]
      : [0, 0, this.width, this.height];
  }

  /** Sets one pixel (coordinates are rounded). */
  set(x: number, y: number, color: Color): void { this.fillRect(x, y, 1, 1, color); }

  /** Fills the rectangle [x, x+w) x [y, y+h) (coordinates are rounded). */
  fillRect(x: number, y: number, w: number, h: number, color: Color): void {
    const [r, g, b] = rgb(color), [cx0, cy0, cx1, cy1] = this.bounds();
    const x0 = Math.max(cx0, Math.round(x)), y0 = Math.max(cy0, Math.round(y));
    const x1 = Math.min(cx1, Math.round(x) + Math.round(w)), y1 = Math.min(cy1, Math.round(y) + Math.round(h));
    const d = this.data;
    for (let yy = y0; yy < y1; yy++) for (let xx = x0, i = (yy * this.width + x0) * 3; xx < x1; xx++, i += 3) {
      d[i] = r; d[i + 1] = g; d[i + 2] = b;
    }
  }

  /** Outlines the rectangle [x, x+w) x [y, y+h) with a `t`-pixel border inside it. */
  rect(x: number, y: number, w: number, h: number, color: Color, t = 1): void {
    this.fillRect(x, y, w, t, color); this.fillRect(x, y + h - t, w, t, color);
    this.fillRect(x, y, t, h, color); this.fillRect(x + w - t, y, t, h, color);
  }

  /** A Bresenham line from (x0, y0) to (x1, y1), both ends included; the segment is clipped before stepping. */
  line(x0: number, y0: number, x1: number, y1: number, color: Color, style: LineStyle = {}): void {
    const [cx0, cy0, cx1, cy1] = this.bounds();
    const seg = clipSegment(x0, y0, x1, y1, cx0 - 2, cy0 - 2, cx1 + 1, cy1 + 1);
    if (!seg) return;
    let ax = Math.round(seg[0]), ay = Math.round(seg[1]);
    const bx = Math.round(seg[2]), by = Math.round(seg[3]);
    const w = Math.max(1, Math.round(style.width ?? 1)), [on, off] = style.dash ?? [1, 0];
    const dx = Math.abs(bx - ax), dy = -Math.abs(by - ay), sx = ax < bx ? 1 : -1, sy = ay < by ? 1 : -1;
    let err = dx + dy, k = 0;
    for (;;) {
      if (off === 0 || k % (on + off) < on) this.fillRect(ax, ay, w, w, color);
      if (ax === bx && ay === by) break;
      const e2 = 2 * err;
      if (e2 >= dy) { err += dy; ax += sx; }
      if (e2 <= dx) { err += dx; ay += sy; }
      k++;
    }
  }

  /** A polyline through `pts` ([x, y] pixel coordinates). */
  polyline(pts: readonly (readonly [number, number])[], color: Color, style: LineStyle = {}): void {
    if (pts.length === 1) this.fillRect(pts[0][0] - 1, pts[0][1] - 1, 3, 3, color);
    for (let i = 1; i < pts.length; i++) this.line(pts[i - 1][0], pts[i - 1][1], pts[i][0], pts[i][1], color, style);
  }

  /** The canvas as a float RGB CHW image in [0, 1] (what encodePng takes). */
  toImage(): ImageCHW {
    const { width: w, height: h, data } = this, n = w * h, out = new Float32Array(3 * n);
    for (let i = 0; i < n; i++) for (let k = 0; k < 3; k++) out[k * n + i] = data[3 * i + k] / 255;
    return { data: out, c: 3, h, w };
  }
}

/** Liang-Barsky clipping of a segment to [xmin, xmax] x [ymin, ymax]; null when nothing is left. */
function clipSegment(x0: number, y0: number, x1: number, y1: number, xmin: number, ymin: number, xmax: number, ymax: number): [number, number, number, number] | null {
  if (![x0, y0, x1, y1].every(Number.isFinite)) return null;
  const dx = x1 - x0, dy = y1 - y0;
  let t0 = 0, t1 = 1;
  const p = [-dx, dx, -dy, dy], q = [x0 - xmin, xmax - x0, y0 - ymin, ymax - y0];
  for (let i = 0; i < 4; i++) {
    if (p[i] === 0) { if (q[i] < 0) return null; continue; }
    const t = q[i] / p[i];
    if (p[i] < 0) { if (t > t1) return null; if (t > t0) t0 = t; } else { if (t < t0) return null; if (t < t1) t1 = t; }
  }
  return [x0 + t0 * dx, y0 + t0 * dy, x0 + t1 * dx, y0 + t1 * dy];
}
