// Draws the pictures of docs/var-internals.md from the running code: schedules, token maps, the block-causal mask, f_hat per scale, HIT prefix decodes, KV-cache filling.
import { join } from 'node:path';
import { fromArray, noGrad, ops, resampleCpu, Rng, type Device, type Tensor } from '../../src/index.ts';
import type { ImageCHW } from '../../src/io/image.ts';
import { psnr } from '../../src/metrics/psnr.ts';
import { Canvas, rgb, type Color, type RGB } from '../../src/viz/canvas.ts';
import { drawText, textWidth } from '../../src/viz/font.ts';
import { PALETTE, writeChartPng } from '../../src/viz/chart.ts';
import { HIT_512, VAR_SCHEDULES, hitSegments, planOf, varSegments, type Segment } from '../../src/models/quant/schedule.ts';
import { VQVAE } from '../../src/models/vqvae/index.ts';
import { KVCache, levelIds } from '../../src/models/var/index.ts';
import { HVAR, hvarConfig, initHVAR, sampleHVAR } from '../../src/models/hvar/index.ts';

export interface InternalsOptions {
  dev: Device;
  /** The tokenizer (any schedule: its weights are reused under the two schedules of `size`). */
  vae: VQVAE;
  /** Where its weights came from, printed on every picture ('random init' marks the pictures as structure only). */
  weights: string;
  /** The photo, CHW in [0, 1]; its central square is area-resized to `size`. */
  photo: ImageCHW;
  /** Image side in pixels: a multiple of 4 × the tokenizer's downsampling. */
  size: number;
  /** Output folder (must exist). */
  out: string;
  log?: (line: string) => void;
}

/** Pixel geometry of a token grid drawn in a picture: cell (r, c) covers [x + c·cell, +cell) × [y + r·cell, +cell). */
export interface GridBox { x: number; y: number; cell: number; pn: number }
/** Geometry of a mask matrix: query i is row y + i·cell, key j column x + j·cell. */
export interface MaskBox { x: number; y: number; cell: number; levels: Int32Array; prefix: number }
/** One step of cached sampling as observed on layer 0 of the KV cache: keys [start, end) appended, `end` keys attended. */
export interface CacheStep { step: number; start: number; end: number }

export interface InternalsResult {
  files: { schedule: string; tokenMaps: string; mask: string; fhat: string; hitPrefix: string; kvCache: string };
  /** The two schedules used at `size`. */
  varSegs: Segment[];
  hitSegs: Segment[];
  /** The input image at `size` (CHW, [0, 1]) and its token ids under each schedule (row-major per scale, scales concatenated). */
  input: ImageCHW;
  ids: { var: Int32Array; hit: Int32Array };
  tokenMaps: { var: GridBox[]; hit: GridBox[] };
  mask: { var: MaskBox; hvar: MaskBox };
  /** The cache steps recorded from sampleHVAR, and where row `step` of the picture sits (cell = pixels per position). */
  kv: { steps: CacheStep[]; layers: number; maxLen: number; x: number; y0: number; rowH: number; cell: number };
  /** Largest |decodeTokens(prefix through segment n) − decodeTokens(all ids)[n]| over the segments. */
  prefixVsFull: number;
  /** PSNR (dB) of each segment's prefix decode against the input area-resized to that side. */
  prefixPsnr: number[];
}

// ---- colours and drawing helpers -------------------------------------------------------------------------------------

const BG = '#ffffff', INK = '#1a1a1a', MUTED = '#6b6b6b', FRAME = '#444444', PREFIX = '#8d99ae';
export const MASK_OFF: RGB = [255, 255, 255];

/** Colour of scale level k (the chart palette, repeated). */
export const levelColor = (k: number): RGB => rgb(PALETTE[k % PALETTE.length]!);
/** `c` mixed with white: f = 0 keeps it, 1 gives white. */
export const tint = (c: RGB, f: number): RGB => [0, 1, 2].map((i) => Math.round(c[i]! + (255 - c[i]!) * f)) as unknown as RGB;

/**
 * Colour of token id `id`: id times an odd constant modulo 2^24, XOR a constant, as 0xRRGGBB. Both steps are bijections of
 * 24-bit values, so distinct ids below 2^24 always get distinct colours (no hash collisions), and neighbouring ids differ a lot.
 */
export function idColor(id: number): RGB {
  const v = (Math.imul(id, 0x9e3779) & 0xffffff) ^ 0x5a3c96;
  return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
}

function text(cv: Canvas, x: number, y: number, s: string, color: Color = INK, scale = 1, align: 'left' | 'center' | 'right' = 'left') {
  return drawText(cv, x, y, s, { color, scale, align });
}

/** Draws an RGB image (CHW, [0, 1]) with its top-left at (x, y), each pixel as an s×s block. */
function blit(cv: Canvas, img: ImageCHW, x: number, y: number, s = 1) {
  const n = img.h * img.w;
  for (let r = 0; r < img.h; r++) for (let c = 0; c < img.w; c++) {
    const i = r * img.w + c;
    const px = [0, 1, 2].map((k) => Math.round(255 * Math.min(1, Math.max(0, img.data[(img.c === 1 ? 0 : k) * n + i]!)))) as unknown as RGB;
    cv.fillRect(x + c * s, y + r * s, s, s, px);
  }
}

/** The image shown in a tile of side `tile`: whole-number nearest enlargement, or area reduction when larger. Returns the drawn side. */
function blitFit(cv: Canvas, img: ImageCHW, x: number, y: number, tile: number): number {
  if (img.h <= tile) { const s = Math.max(1, Math.floor(tile / img.h)); blit(cv, img, x, y, s); return img.h * s; }
  const small = { data: resampleCpu(img.data, 1, img.c, img.h, img.w, tile, tile, 'area'), c: img.c, h: tile, w: tile };
  blit(cv, small, x, y, 1);
  return tile;
}

/** A pn×pn token grid: cells coloured by `fill(r, c)`, no lines inside (so every pixel of a cell is the cell's colour). */
function grid(cv: Canvas, box: GridBox, fill: (r: number, c: number) => Color) {
  for (let r = 0; r < box.pn; r++) for (let c = 0; c < box.pn; c++) cv.fillRect(box.x + c * box.cell, box.y + r * box.cell, box.cell, box.cell, fill(r, c));
}

function areaResize(img: ImageCHW, side: number): ImageCHW {
  return img.h === side ? img : { data: resampleCpu(img.data, 1, img.c, img.h, img.w, side, side, 'area'), c: img.c, h: side, w: side };
}

/** A decoded [1, 3, h, w] tensor in [−1, 1] as an image in [0, 1]; the tensor is disposed. */
async function toImage(t: Tensor): Promise<ImageCHW> {
  const [, c, h, w] = t.shape as [number, number, number, number];
  const d = (await t.toArray()) as Float32Array;
  t.dispose();
  return { data: d.map((v) => (v + 1) / 2), c, h, w };
}

// ---- schedules -------------------------------------------------------------------------------------------------------

/** VAR's scale list for a latent side S: VAR_SCHEDULES where one ends on S, else the 256 list cut below S and closed by S. */
export function varScalesFor(S: number): number[] {
  for (const s of Object.values(VAR_SCHEDULES)) if (s[s.length - 1] === S) return [...s];
  return [...VAR_SCHEDULES[256].filter((p) => p < S), S];
}

const tokensOf = (segs: readonly Segment[]) => planOf(segs).tokens;

/** A copy of `vae` (same weights) over another schedule. */
async function withSegments(vae: VQVAE, segments: Segment[]): Promise<VQVAE> {
  const sd = new Map<string, { shape: number[]; data: Float32Array | Int32Array }>();
  for (const [k, t] of Object.entries(vae.stateDict())) sd.set(k, { shape: [...t.shape], data: (await t.toArray()) as Float32Array | Int32Array });
  const v = VQVAE.fromStateDict(vae.dev, { ...vae.cfg, segments }, sd, { source: vae.source });
  return v;
}

// ---- pictures ----------------------------------------------------------------------------------------------------------

/** A canvas at least w × h and wide enough for the header's title and lines. */
function canvasFor(w: number, h: number, title: string, lines: string[]): Canvas {
  return new Canvas(Math.max(w, textWidth(title, 2) + 24, ...lines.map((l) => textWidth(l) + 24)), h, BG);
}

/** Header lines common to every picture; returns the y below them. */
function header(cv: Canvas, title: string, lines: string[]): number {
  text(cv, 12, 10, title, INK, 2);
  lines.forEach((l, i) => text(cv, 12, 30 + 11 * i, l, MUTED));
  return 30 + 11 * lines.length + 8;
}

function drawSchedule(path: string, size: number, S: number, down: number) {
  interface Row { title: string; segs: Segment[]; unit: number; down: number }
  const rows: Row[] = [
    { title: `VAR, 256 px: VAR_SCHEDULES[256], one latent 16x16, 10 scales, ${tokensOf(varSegments(VAR_SCHEDULES[256]))} tokens`, segs: varSegments(VAR_SCHEDULES[256]), unit: 4, down: 16 },
    { title: `H-VAR, 512 px: HIT_512, segments of sides 8 / 16 / 32, ${tokensOf(HIT_512)} tokens`, segs: HIT_512.map((s) => ({ side: s.side, scales: [...s.scales] })), unit: 5, down: 16 },
    { title: `This run (${size} px, latent ${S}): varScalesFor(${S}), ${tokensOf(varSegments(varScalesFor(S)))} tokens`, segs: varSegments(varScalesFor(S)), unit: Math.max(1, Math.floor(64 / S)), down },
    { title: `This run: hitSegments(${S}), ${tokensOf(hitSegments(S))} tokens`, segs: hitSegments(S), unit: Math.max(1, Math.floor(96 / S)), down },
  ];
  const GAP = 8, LEFT = 12, SEG = 14, top = 60;
  // box side of a scale: its segment's side × unit (so a segment's boxes show its latent's size), at least 24 px
  const boxOf = (row: Row, side: number) => Math.max(24, side * row.unit);
  const segLabels = (row: Row, n: number) => {
    const plan = planOf(row.segs), seg = row.segs[n]!;
    const end = plan.scales.filter((s) => s.segment <= n).reduce((a, s) => a + s.pn * s.pn, 0);
    return [`x${2 ** n}: side ${seg.side}, ${seg.side * row.down} px`, `decodable prefix: ${end} tokens`];
  };
  const segWidth = (row: Row, n: number) => {
    const boxes = row.segs[n]!.scales.length * (boxOf(row, row.segs[n]!.side) + GAP) - GAP;
    return row.segs.length > 1 ? Math.max(boxes, ...segLabels(row, n).map((l) => textWidth(l))) : boxes;
  };
  const widths = rows.map((row) => row.segs.reduce((a, _, n) => a + segWidth(row, n) + SEG, 0));
  const heights = rows.map((row) => Math.max(...row.segs.map((s) => boxOf(row, s.side))) + (row.segs.length > 1 ? 84 : 56));
  const title = 'Scale schedules: each scale is a pn x pn token map, generated in order';
  const lines = ['Boxes of one segment share its latent side (drawn to scale within a row); lines mark tokens. Under each box: pn, and @ its first token column (planOf).'];
  const cv = canvasFor(Math.max(...widths) + 2 * LEFT, top + heights.reduce((a, b) => a + b, 0) + 16, title, lines);
  header(cv, title, lines);
  let y = top;
  for (const [ri, row] of rows.entries()) {
    text(cv, LEFT, y, row.title);
    const plan = planOf(row.segs);
    const maxBox = Math.max(...row.segs.map((s) => boxOf(row, s.side)));
    let x = LEFT, k = 0;
    for (const [n, seg] of row.segs.entries()) {
      const b = boxOf(row, seg.side), x0 = x;
      let bx = x;
      for (const pn of seg.scales) {
        const s = plan.scales[k]!, by = y + 14 + (maxBox - b);
        cv.fillRect(bx, by, b, b, tint(levelColor(k), 0.75));
        for (let i = 1; i < pn; i++) { const o = Math.round((i * b) / pn); cv.fillRect(bx + o, by, 1, b, tint(levelColor(k), 0.25)); cv.fillRect(bx, by + o, b, 1, tint(levelColor(k), 0.25)); }
        cv.rect(bx, by, b, b, FRAME);
        text(cv, bx, by + b + 4, `${pn}`, INK);
        text(cv, bx, by + b + 14, `@${s.col}`, MUTED);
        bx += b + GAP; k++;
      }
      if (row.segs.length > 1) { // segment bracket: ×2^n of the first segment's image, and the prefix that decodes to it
        const by = y + 14 + maxBox + 28;
        cv.fillRect(x0, by, bx - GAP - x0, 2, INK);
        segLabels(row, n).forEach((l, j) => text(cv, x0, by + 5 + 10 * j, l, j ? MUTED : INK));
      }
      x = x0 + segWidth(row, n) + SEG;
    }
    y += heights[ri]!;
  }
  text(cv, LEFT, cv.height - 14, 'src/models/quant/schedule.ts: VAR_SCHEDULES, HIT_512, hitSegments, planOf. varScalesFor is the example\'s own (examples/internals/render.ts).', MUTED);
  writeChartPng(path, cv);
}

/** Token maps of both schedules next to the input. */
function drawTokenMaps(path: string, input: ImageCHW, rows: { title: string; segs: Segment[]; ids: Int32Array }[], weights: string): GridBox[][] {
  const TILE = 128, LEFT = 12, GAP = 10, MAP = 96;
  const perRow = rows.map((r) => planOf(r.segs).scales.map((s) => { const cell = Math.max(1, Math.floor(MAP / s.pn)); return { pn: s.pn, cell, side: s.pn * cell }; }));
  const rowW = perRow.map((r) => r.reduce((a, s) => a + s.side + GAP, 0));
  const W = LEFT + TILE + 2 * GAP + Math.max(...rowW) + LEFT, top = 60, rowH = MAP + 44;
  const title = 'Token maps per scale: the ids of one photo, one colour per id';
  const lines = [`VQVAE.tokenize (src/models/vqvae/vqvae.ts); colour = bijective hash of the id (equal colour <=> equal id). Weights: ${weights}.`];
  const cv = canvasFor(W, top + rows.length * rowH + 16, title, lines);
  header(cv, title, lines);
  blitFit(cv, input, LEFT, top + 12, TILE);
  text(cv, LEFT, top + 12 + TILE + 4, `input ${input.h} px`, MUTED);
  const boxes: GridBox[][] = [];
  rows.forEach((row, ri) => {
    const y = top + ri * rowH, plan = planOf(row.segs);
    text(cv, LEFT + TILE + 2 * GAP, y, row.title);
    let x = LEFT + TILE + 2 * GAP;
    const out: GridBox[] = [];
    perRow[ri]!.forEach((s, k) => {
      const sp = plan.scales[k]!, box: GridBox = { x, y: y + 12 + (MAP - s.side), cell: s.cell, pn: s.pn };
      grid(cv, box, (r, c) => idColor(row.ids[sp.col + r * s.pn + c]!));
      const distinct = new Set(row.ids.subarray(sp.col, sp.col + s.pn * s.pn)).size;
      text(cv, x, y + 12 + MAP + 4, `${s.pn}x${s.pn}`, INK);
      text(cv, x, y + 12 + MAP + 14, `${distinct} ids`, MUTED);
      out.push(box);
      x += s.side + GAP;
    });
    boxes.push(out);
  });
  writeChartPng(path, cv);
  return boxes;
}

/** Two block-causal masks: VAR's over its scales, H-VAR's with the LR prefix at level 0. */
function drawMask(path: string, mats: { title: string; levels: Int32Array; prefix: number }[]): MaskBox[] {
  const LEFT = 12, STRIP = 6, GAP = 40, top = 81;
  const cells = mats.map((m) => Math.max(1, Math.floor(420 / m.levels.length)));
  const sides = mats.map((m, i) => m.levels.length * cells[i]!);
  const W = LEFT + sides.reduce((a, s) => a + s + STRIP + 2 + GAP, 0) + LEFT;
  const title = 'Block-causal attention mask: row = query, column = key';
  const lines = [
    'A key is visible iff level(key) <= level(query): coloured by the key\'s level, white = masked.',
    'The LR prefix (grey) shares level 0 with the start token, so it sees itself and is seen by every scale.',
    'Level ids: levelIds in src/models/var/masks.ts (HVAR.levelIdsHost for H-VAR); the attention op takes them, no L x L mask is stored.',
  ];
  const cv = canvasFor(W, top + 11 + Math.max(...sides) + STRIP + 60, title, lines);
  header(cv, title, lines);
  const boxes: MaskBox[] = [];
  let x = LEFT;
  mats.forEach((m, i) => {
    const cell = cells[i]!, N = m.levels.length, x0 = x + STRIP + 2, y0 = top + STRIP + 2 + 12;
    text(cv, x, top, m.title);
    const keyColor = (j: number): RGB => (j < m.prefix ? rgb(PREFIX) : levelColor(m.levels[j]!));
    for (let j = 0; j < N; j++) { cv.fillRect(x0 + j * cell, y0 - STRIP - 2, cell, STRIP, keyColor(j)); cv.fillRect(x, y0 + j * cell, STRIP, cell, keyColor(j)); }
    for (let q = 0; q < N; q++) for (let j = 0; j < N; j++)
      cv.fillRect(x0 + j * cell, y0 + q * cell, cell, cell, m.levels[j]! <= m.levels[q]! ? tint(keyColor(j), 0.15) : MASK_OFF);
    cv.rect(x0 - 1, y0 - 1, N * cell + 2, N * cell + 2, FRAME);
    let pairs = 0;
    for (let q = 0; q < N; q++) for (let j = 0; j < N; j++) if (m.levels[j]! <= m.levels[q]!) pairs++;
    text(cv, x0, y0 + N * cell + 8, `${N} tokens${m.prefix ? ` (${m.prefix} prefix)` : ''}, ${pairs} visible pairs = ${(100 * pairs / (N * N)).toFixed(1)} %`, MUTED);
    boxes.push({ x: x0, y: y0, cell, levels: m.levels, prefix: m.prefix });
    x += N * cell + STRIP + 2 + GAP;
  });
  writeChartPng(path, cv);
  return boxes;
}

/** Rows of decoded images with captions, all at one magnification (so sizes compare across the picture). */
function drawRows(path: string, title: string, lines: string[], rows: { label: string; tiles: { img: ImageCHW; cap: string[] }[] }[], tile: number) {
  const LEFT = 12, GAP = 8, capH = 26, top = 30 + 11 * lines.length + 16;
  const mag = Math.max(1, Math.floor(tile / Math.max(...rows.flatMap((r) => r.tiles.map((t) => t.img.h)))));
  const advance = (t: { img: ImageCHW; cap: string[] }) => Math.max(t.img.w * mag, ...t.cap.map((c) => textWidth(c) + 4)) + GAP;
  const W = LEFT * 2 + Math.max(...rows.map((r) => r.tiles.reduce((a, t) => a + advance(t), 0)));
  const cv = canvasFor(W, top + rows.length * (tile + capH + 20) + 8, title, lines);
  header(cv, title, lines);
  rows.forEach((row, ri) => {
    const y = top + ri * (tile + capH + 20);
    text(cv, LEFT, y, row.label);
    let x = LEFT;
    for (const t of row.tiles) {
      const side = t.img.h * mag, yi = y + 12 + tile - side; // bottom-aligned
      blit(cv, t.img, x, yi, mag);
      cv.rect(x - 1, yi - 1, side + 2, side + 2, '#bbbbbb');
      t.cap.forEach((c, j) => text(cv, x, y + 12 + tile + 4 + 10 * j, c, j ? MUTED : INK));
      x += advance(t);
    }
  });
  writeChartPng(path, cv);
}

/** HIT prefix decodes at their own size next to the input reduced to that size. */
function drawPrefix(path: string, decs: ImageCHW[], refs: ImageCHW[], ends: number[], total: number, psnrs: number[], weights: string, S: number) {
  const LEFT = 12, GAP = 16, top = 71, size = decs[decs.length - 1]!.h, mag = Math.max(1, Math.floor(128 / size));
  const BAR = 180;
  const label = (n: number) => `segment ${n} (x${2 ** n}): ${ends[n]} of ${total} tokens`;
  const colW = (n: number) => Math.max(decs[n]!.h * mag, BAR, textWidth(label(n)), textWidth(`input area-reduced to ${decs[n]!.h} px`));
  const W = LEFT * 2 + decs.reduce((a, _, n) => a + colW(n) + GAP, 0);
  const title = 'HIT prefix decodes: the first tokens alone give a whole smaller image';
  const lines = [
    `VQVAE.decodeTokens(ids[:, :end], n) with hitSegments(${S}): top, the decode of the prefix; bottom, the input area-reduced to that side.`,
    `dB = PSNR between the two. Weights: ${weights}.`,
  ];
  const cv = canvasFor(W, top + 11 + 30 + 2 * (size * mag + 30) + 20, title, lines);
  header(cv, title, lines);
  let x = LEFT;
  decs.forEach((d, n) => {
    const w = colW(n);
    // the token sequence as a bar, the part decoded filled
    cv.rect(x, top, BAR, 10, FRAME);
    cv.fillRect(x + 1, top + 1, Math.max(1, Math.round(((BAR - 2) * ends[n]!) / total)), 8, levelColor(n));
    text(cv, x, top + 14, label(n), INK);
    const y1 = top + 30;
    blit(cv, d, x, y1, mag);
    text(cv, x, y1 + size * mag + 4, `${d.h} px decode, ${psnrs[n]!.toFixed(1)} dB`, MUTED);
    const y2 = y1 + size * mag + 30;
    blit(cv, refs[n]!, x, y2, mag);
    text(cv, x, y2 + size * mag + 4, `input area-reduced to ${d.h} px`, MUTED);
    x += w + GAP;
  });
  writeChartPng(path, cv);
}

/** Occupancy of the KV cache (layer 0) at every sampling step. */
function drawCache(path: string, steps: CacheStep[], levels: Int32Array, prefix: number, maxLen: number, layers: number, heads: number, headDim: number) {
  const LEFT = 12, top = 85, rowH = 14, LABEL = 250;
  const cell = Math.max(1, Math.floor(720 / maxLen));
  const W = LEFT + maxLen * cell + 12 + LABEL;
  const title = 'KV cache while sampling: which keys exist when each scale is generated';
  const lines = [
    'One row per step of sampleHVAR (src/models/hvar/sample.ts); columns = sequence positions (LR prefix, then the scales).',
    'Dark = keys appended at this step (the step\'s queries), light = cached earlier and attended again, white = not yet written.',
    `Recorded from KVCache.append (src/models/var/kv_cache.ts) on layer 0 of a tiny random H-VAR (the pattern depends only on the schedule);`,
    `all ${layers} layers fill alike; ${heads} head(s) of ${headDim}.`,
  ];
  const cv = canvasFor(W, top + steps.length * rowH + 40, title, lines);
  header(cv, title, lines);
  const colorOf = (j: number): RGB => (j < prefix ? rgb(PREFIX) : levelColor(levels[j]!));
  steps.forEach((s, i) => {
    const y = top + i * rowH;
    cv.fillRect(LEFT, y, maxLen * cell, rowH - 3, BG);
    for (let j = 0; j < s.end; j++) cv.fillRect(LEFT + j * cell, y, cell, rowH - 3, j >= s.start ? colorOf(j) : tint(colorOf(j), 0.7));
    cv.rect(LEFT - 1, y - 1, maxLen * cell + 2, rowH - 1, '#cccccc');
    text(cv, LEFT + maxLen * cell + 12, y + 2, `step ${s.step}: +${s.end - s.start} keys, ${s.end} attended`, INK);
  });
  text(cv, LEFT, top + steps.length * rowH + 8, `cache length ${maxLen} = prefix ${prefix} + ${maxLen - prefix} scale tokens; step 0 = prefix + start token (scaleSpans in masks.ts)`, MUTED);
  writeChartPng(path, cv);
  return { x: LEFT, y0: top, rowH, cell };
}

// ---- the run -----------------------------------------------------------------------------------------------------------

export async function renderInternals(o: InternalsOptions): Promise<InternalsResult> {
  const { dev, size, out } = o, log = o.log ?? (() => {});
  const down = o.vae.downsample, S = size / down;
  if (!(Number.isInteger(S) && S >= 4 && S % 4 === 0))
    throw new Error(`internals: --size ${size} must be a multiple of 4 × the tokenizer's downsampling ${down} (a latent side divisible by 4), e.g. ${16 * down}`);
  const files = {
    schedule: join(out, 'schedule.png'), tokenMaps: join(out, 'token_maps.png'), mask: join(out, 'mask.png'),
    fhat: join(out, 'fhat.png'), hitPrefix: join(out, 'hit_prefix.png'), kvCache: join(out, 'kv_cache.png'),
  };
  const t0 = Date.now(), lap = (what: string) => log(`  ${what} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  const varSegs = varSegments(varScalesFor(S)), hitSegs = hitSegments(S);
  const w = o.weights;

  drawSchedule(files.schedule, size, S, down);
  lap(`wrote ${files.schedule}`);

  // the input: central square, area-resized to size
  const p = o.photo, side = Math.min(p.h, p.w), top = (p.h - side) >> 1, left = (p.w - side) >> 1;
  const sq = new Float32Array(3 * side * side);
  for (let k = 0; k < 3; k++) for (let r = 0; r < side; r++) for (let c = 0; c < side; c++)
    sq[k * side * side + r * side + c] = p.data[(p.c === 1 ? 0 : k) * p.h * p.w + (top + r) * p.w + left + c]!;
  const input = areaResize({ data: sq, c: 3, h: side, w: side }, size);
  const x = fromArray(dev, input.data.map((v) => 2 * v - 1), [1, 3, size, size]).keep();

  const vaeVar = await withSegments(o.vae, varSegs), vaeHit = await withSegments(o.vae, hitSegs);
  try {
    // token maps
    const tv = vaeVar.tokenize(x), th = vaeHit.tokenize(x);
    const ids = { var: (await tv.idx_BL.toArray()) as Int32Array, hit: (await th.idx_BL.toArray()) as Int32Array };
    for (const r of [tv, th]) { r.perScale.forEach((t) => t.dispose()); r.fHats.forEach((t) => t.dispose()); }
    const [bv, bh] = drawTokenMaps(files.tokenMaps, input, [
      { title: `VAR-style (one latent ${S}x${S}): scales ${varSegs[0]!.scales.join(', ')}`, segs: varSegs, ids: ids.var },
      { title: `HIT, hitSegments(${S}): ${hitSegs.map((s) => `[${s.scales.join(', ')}] at side ${s.side}`).join(', ')}`, segs: hitSegs, ids: ids.hit },
    ], w);
    lap(`wrote ${files.tokenMaps}`);

    // the H-VAR model whose sampling we watch: tiny and random (the cache pattern depends only on the schedule)
    const hcfg = hvarConfig({ depth: 2, embedDim: 64, numHeads: 1, vocab: o.vae.cfg.vocabSize, cvae: o.vae.cfg.zChannels, segments: hitSegs });
    const model = new HVAR(dev, hcfg, { init: 'none' });
    initHVAR(model, new Rng(0));
    try {
      const varLevels = levelIds(varSegs[0]!.scales), hvarLevels = model.levelIdsHost();
      const [mv, mh] = drawMask(files.mask, [
        { title: `VAR: ${varLevels.length} tokens, ${varSegs[0]!.scales.length} levels`, levels: varLevels, prefix: 0 },
        { title: `H-VAR: ${model.sizes.prefix} LR prefix + ${model.sizes.L} HIT tokens`, levels: hvarLevels, prefix: model.sizes.prefix },
      ]);
      lap(`wrote ${files.mask}`);

      // f_hat after every scale, decoded
      const rows: { label: string; tiles: { img: ImageCHW; cap: string[] }[] }[] = [];
      for (const [name, v, idsH] of [['VAR', vaeVar, ids.var], ['HIT', vaeHit, ids.hit]] as const) {
        const idsT = fromArray(dev, idsH, [1, idsH.length], 'i32');
        const fh = v.fHatPerScale(idsT);
        idsT.dispose();
        const tiles: { img: ImageCHW; cap: string[] }[] = [];
        for (const [k, f] of fh.entries()) {
          const sp = v.plan.scales[k]!;
          const img = await toImage(noGrad(dev, () => v.decodeLatent(f)));
          f.dispose();
          tiles.push({ img, cap: [`k${k} pn ${sp.pn}: ${img.h} px`, `${sp.col + sp.pn * sp.pn} tok, ${psnr(img, areaResize(input, img.h)).toFixed(1)} dB`] });
        }
        rows.push({ label: name === 'VAR' ? `VAR: f_hat after scale k, always at side ${S}, decoded at ${size} px`
          : `HIT: f_hat after scale k at its segment's side (${hitSegs.map((s) => s.side).join(' / ')}), decoded at ${hitSegs.map((s) => s.side * down).join(' / ')} px`, tiles });
      }
      rows[0]!.tiles.push({ img: input, cap: ['input', `${size} px`] });
      drawRows(files.fhat, 'f_hat accumulating scale by scale', [
        'VQVAE.fHatPerScale then VQVAE.decodeLatent (src/models/vqvae/vqvae.ts): the partial sums of the residual quantizer, decoded.',
        `dB = PSNR against the input at the decode's size; tok = tokens used so far. Weights: ${w}.`,
      ], rows, size * Math.max(1, Math.floor(128 / size)));
      lap(`wrote ${files.fhat}`);

      // HIT prefix decodes: ids cut after each segment, decoded alone
      const idsAll = fromArray(dev, ids.hit, [1, ids.hit.length], 'i32').keep();
      const full = await Promise.all(vaeHit.decodeTokens(idsAll).map(toImage));
      const ends = vaeHit.segmentEnds, decs: ImageCHW[] = [], refs: ImageCHW[] = [], psnrs: number[] = [];
      let prefixVsFull = 0;
      for (let n = 0; n < hitSegs.length; n++) {
        const cut = ops.slice(idsAll, 1, 0, ends[n]!);
        const imgs = vaeHit.decodeTokens(cut, n);
        cut.dispose();
        const last = imgs.pop()!;
        imgs.forEach((t) => t.dispose());
        const d = await toImage(last), ref = areaResize(input, d.h);
        for (let i = 0; i < d.data.length; i++) prefixVsFull = Math.max(prefixVsFull, Math.abs(d.data[i]! - full[n]!.data[i]!));
        decs.push(d); refs.push(ref); psnrs.push(psnr(d, ref));
      }
      idsAll.dispose();
      drawPrefix(files.hitPrefix, decs, refs, ends, vaeHit.tokens, psnrs, w, S);
      lap(`wrote ${files.hitPrefix} (prefix decode vs full decode: max |diff| ${prefixVsFull.toExponential(2)})`);

      // KV cache: watch KVCache.append during one sampling pass
      const steps: CacheStep[] = [];
      let pending: { start: number; end: number } | null = null;
      const append = KVCache.prototype.append;
      KVCache.prototype.append = function (this: KVCache, layer: number, k: Tensor, v: Tensor) {
        const at = this.length(layer);
        append.call(this, layer, k, v);
        if (layer === 0) pending = { start: at, end: this.length(0) };
      };
      const lrSide = size / 4, lr = ops.resample(x, lrSide, lrSide, 'area');
      try {
        for await (const r of sampleHVAR(model, vaeHit, lr, { seed: 0, onScale: (si) => { if (pending) steps.push({ step: si, ...pending }); pending = null; } })) r.image_B3HW.dispose();
      } finally { KVCache.prototype.append = append; lr.dispose(); }
      const kvGeom = drawCache(files.kvCache, steps, hvarLevels, model.sizes.prefix, model.sizes.sequence, hcfg.depth, model.sizes.H, model.sizes.headDim);
      lap(`wrote ${files.kvCache} (${steps.length} steps: ${steps.map((s) => `+${s.end - s.start}`).join(' ')})`);

      return {
        files, varSegs, hitSegs, input, ids, tokenMaps: { var: bv!, hit: bh! }, mask: { var: mv!, hvar: mh! },
        kv: { steps, layers: hcfg.depth, maxLen: model.sizes.sequence, ...kvGeom }, prefixVsFull, prefixPsnr: psnrs,
      };
    } finally { model.dispose(); }
  } finally { x.dispose(); vaeVar.dispose(); vaeHit.dispose(); }
}
