// Tiling for the upscaler: reflect padding of small inputs, overlapping tile positions along each axis, feather (linear ramp)
// weights normalised to sum to 1 at every output pixel, and the weighted accumulation of tile outputs into an image.

/** Index i (any integer) reflected into [0, n) without repeating the edge pixel (…2 1 0 1 2…), periodically for any i. */
export function reflectIndex(i: number, n: number): number {
  if (n === 1) return 0;
  const p = 2 * (n - 1);
  const m = ((i % p) + p) % p;
  return m < n ? m : p - m;
}

/**
 * Tile starts along an axis of n pixels for tiles of `tile` pixels overlapping by at least `overlap`: one tile at 0 when n <= tile
 * (the input is padded to the tile), else the fewest tiles that cover n with that overlap, spread evenly from 0 to n − tile.
 */
export function tileStarts(n: number, tile: number, overlap: number): number[] {
  if (!(Number.isInteger(n) && n >= 1 && Number.isInteger(tile) && tile >= 1)) throw new Error(`tileStarts: bad sizes n ${n}, tile ${tile}`);
  if (!(Number.isInteger(overlap) && overlap >= 0 && 2 * overlap <= tile)) throw new Error(`tileStarts: overlap ${overlap} must be an integer from 0 to half the tile (${tile})`);
  if (n <= tile) return [0];
  const count = Math.ceil((n - tile) / (tile - overlap)) + 1;
  return Array.from({ length: count }, (_, i) => Math.round((i * (n - tile)) / (count - 1)));
}

/**
 * Weights of each tile along one axis at output factor f (tile outputs of tile·f pixels): 1 inside, a linear ramp over the region
 * shared with each neighbour, then normalised so that the weights of all tiles covering an output pixel sum to 1. Returns one
 * Float32Array of tile·f weights per start.
 */
export function featherWeights(starts: readonly number[], tile: number, f: number): Float32Array[] {
  const T = tile * f, n = starts.length;
  const raw = starts.map((p, i) => {
    const w = new Float32Array(T).fill(1);
    const left = i > 0 ? (starts[i - 1]! + tile - p) * f : 0, right = i < n - 1 ? (p + tile - starts[i + 1]!) * f : 0;
    for (let x = 0; x < T; x++) {
      let v = 1;
      if (left > 0) v = Math.min(v, (x + 0.5) / left);
      if (right > 0) v = Math.min(v, (T - x - 0.5) / right);
      w[x] = v;
    }
    return w;
  });
  const extent = (starts[n - 1]! + tile) * f, sum = new Float64Array(extent);
  starts.forEach((p, i) => { for (let x = 0; x < T; x++) sum[p * f + x] += raw[i]![x]!; });
  return starts.map((p, i) => raw[i]!.map((v, x) => v / sum[p * f + x]!));
}

/** Whether `blend` is off in tests: 'none' pastes each tile whole (later tiles over earlier ones), to show what the seams look like. */
export type BlendMode = 'feather' | 'none';

/** The tile grid of an H×W image: padded sizes, starts per axis, and tile k's row/column (row-major order). */
export interface TileGrid {
  H: number; W: number;
  /** Padded sizes (at least one tile). */
  Hp: number; Wp: number;
  tile: number;
  ys: number[]; xs: number[];
  count: number;
}

export function tileGrid(H: number, W: number, tile: number, overlap: number): TileGrid {
  const Hp = Math.max(H, tile), Wp = Math.max(W, tile);
  const ys = tileStarts(Hp, tile, overlap), xs = tileStarts(Wp, tile, overlap);
  return { H, W, Hp, Wp, tile, ys, xs, count: ys.length * xs.length };
}

/** Tile k of a CHW image (3 planes, H×W, values as given), reflect-padded where the tile passes the image's edge: 3·tile² values. */
export function cutTile(img: { data: Float32Array; h: number; w: number }, g: TileGrid, k: number, out: Float32Array, at = 0): void {
  const t = g.tile, y0 = g.ys[Math.floor(k / g.xs.length)]!, x0 = g.xs[k % g.xs.length]!;
  const rows = Array.from({ length: t }, (_, y) => reflectIndex(y0 + y, img.h)), cols = Array.from({ length: t }, (_, x) => reflectIndex(x0 + x, img.w));
  for (let c = 0; c < 3; c++) {
    const src = c * img.h * img.w, dst = at + c * t * t;
    for (let y = 0; y < t; y++) {
      const r = src + rows[y]! * img.w, o = dst + y * t;
      for (let x = 0; x < t; x++) out[o + x] = img.data[r + cols[x]!]!;
    }
  }
}

/** An output image of the grid at factor f being assembled from weighted tile outputs (the weights sum to 1: no division). */
export class Canvas3 {
  readonly h: number; readonly w: number; readonly data: Float32Array;
  private readonly wy: Float32Array[]; private readonly wx: Float32Array[];
  constructor(readonly g: TileGrid, readonly f: number, readonly blend: BlendMode = 'feather') {
    this.h = g.H * f; this.w = g.W * f;
    this.data = new Float32Array(3 * this.h * this.w);
    this.wy = featherWeights(g.ys, g.tile, f); this.wx = featherWeights(g.xs, g.tile, f);
  }

  /** Adds tile k's output (3 planes of (tile·f)² values starting at `at` in `src`), cropped to the image. */
  add(k: number, src: Float32Array, at = 0): void {
    const g = this.g, f = this.f, T = g.tile * f, iy = Math.floor(k / g.xs.length), ix = k % g.xs.length;
    const Y0 = g.ys[iy]! * f, X0 = g.xs[ix]! * f, wy = this.wy[iy]!, wx = this.wx[ix]!;
    const yEnd = Math.min(T, this.h - Y0), xEnd = Math.min(T, this.w - X0), paste = this.blend === 'none';
    for (let c = 0; c < 3; c++) {
      const s0 = at + c * T * T, d0 = c * this.h * this.w;
      for (let y = 0; y < yEnd; y++) {
        const s = s0 + y * T, d = d0 + (Y0 + y) * this.w + X0, a = wy[y]!;
        if (paste) for (let x = 0; x < xEnd; x++) this.data[d + x] = src[s + x]!;
        else for (let x = 0; x < xEnd; x++) this.data[d + x] += a * wx[x]! * src[s + x]!;
      }
    }
  }
}
