// 5x7 bitmap font (with a one-row descender) for printable ASCII, and text drawing on a Canvas.
import type { Canvas, Color } from './canvas.ts';

/** Glyph box: 5 columns, 8 rows (rows 0-6 cap height with the baseline under row 6, row 7 the descender). */
export const GLYPH_W = 5;
export const GLYPH_H = 8;
/** Cap height in rows (digits and capitals fill rows 0-6). */
export const CAP_H = 7;
/** Horizontal advance per character: the glyph plus one blank column. */
export const ADVANCE = GLYPH_W + 1;

// Glyphs for codes 32..126 in order, 16 hex digits each: 8 row bytes, top row first, bit 4 = leftmost column.
const HEX =
  '000000000000000004040404040004000a0a0a00000000000a0a1f0a1f0a0a00040f140e051e040018190204081303000c12140815120d000404080000000000' +
  '020408080804020008040202020408000004150e150400000004041f0404000000000000000c04080000001f0000000000000000000c0c000101020408101000' +
  '0e11131519110e00040c040404040e000e11010204081f001f02040201110e0002060a121f0202001f101e0101110e000608101e11110e001f01020408080800' +
  '0e11110e11110e000e11110f01020c00000c0c000c0c0000000c0c000c040800020408100804020000001f001f00000008040201020408000e11010204000400' +
  '0e11010d15150e000e11111f111111001e11111e11111e000e11101010110e001e11111111111e001f10101e10101f001f10101e101010000e11101711110f00' +
  '1111111f111111000e04040404040e000702020202120c0011121418141211001010101010101f00111b15151111110011111915131111000e11111111110e00' +
  '1e11111e101010000e11111115120d001e11111e141211000f10100e01011e001f040404040404001111111111110e0011111111110a04001111111515150a00' +
  '11110a040a11110011110a04040404001f01020408101f000e08080808080e0010100804020101000e02020202020e00040a110000000000000000000000001f' +
  '080402000000000000000e010f110f001010161911111e0000000e1010110e0001010d1311110f0000000e111f100e000609081c0808080000000f11110f010e' +
  '101016191111110004000c0404040e00020006020202120c10101214181412000c04040404040e0000001a1515111100000016191111110000000e1111110e00' +
  '00001e11111e101000000f11110f0101000016191010100000000f100e011e0008081c08080906000000111111130d0000001111110a04000000111115150a00' +
  '0000110a040a110000001111110f010e00001f0204081f000304040804040300040404040404040018040402040418000000081502000000';

export const FIRST_CODE = 32;
export const LAST_CODE = 126;

const ROWS = new Uint8Array((LAST_CODE - FIRST_CODE + 1) * GLYPH_H);
for (let i = 0; i < ROWS.length; i++) ROWS[i] = parseInt(HEX.slice(2 * i, 2 * i + 2), 16);

/** The 8 row bitmasks of printable ASCII `code` (bit 4 = leftmost column); throws outside 32..126. */
export function glyphRows(code: number): Uint8Array {
  if (!(code >= FIRST_CODE && code <= LAST_CODE)) throw new Error(`hvar: no glyph for code ${code}`);
  const o = (code - FIRST_CODE) * GLYPH_H;
  return ROWS.subarray(o, o + GLYPH_H);
}

// Non-ASCII characters drawn as ASCII look-alikes; anything else unknown becomes '?'.
const FALLBACK: Record<string, string> = {
  '×': 'x', '·': '.', '•': '*', '→': '>', '←': '<', '⇒': '=>', '²': '2', '³': '3', '¹': '1', '°': 'o', 'µ': 'u', 'μ': 'u',
  '–': '-', '—': '-', '−': '-', '‘': "'", '’': "'", '“': '"', '”': '"', '…': '...', '≈': '~', '±': '+-', '≤': '<=', '≥': '>=',
  '\u00a0': ' ', '\t': ' ',
};

/** The text as drawn: every character mapped to printable ASCII. */
export function toAscii(text: string): string {
  let out = '';
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    out += c >= FIRST_CODE && c <= LAST_CODE ? ch : (FALLBACK[ch] ?? '?');
  }
  return out;
}

/** Width in pixels of `text` drawn at `scale` (first lit column to last possible column; no trailing gap). */
export function textWidth(text: string, scale = 1): number {
  const n = toAscii(text).length;
  return n === 0 ? 0 : (n * ADVANCE - 1) * scale;
}

/** Height of a line of text at `scale`: cap height (descenders hang one row lower). */
export function textHeight(scale = 1): number { return CAP_H * scale; }

export interface TextStyle {
  color?: Color;
  /** Integer pixel size of one font dot (default 1). */
  scale?: number;
  /** Horizontal anchor: x is the left edge (default), the centre or the right edge of the text. */
  align?: 'left' | 'center' | 'right';
}

/** Draws `text` with its top-left corner (cap top) at (x, y); returns the drawn width. */
export function drawText(canvas: Canvas, x: number, y: number, text: string, style: TextStyle = {}): number {
  const s = Math.max(1, Math.round(style.scale ?? 1)), color = style.color ?? '#000000';
  const str = toAscii(text), w = textWidth(str, s);
  let x0 = Math.round(style.align === 'center' ? x - w / 2 : style.align === 'right' ? x - w : x);
  const y0 = Math.round(y);
  for (const ch of str) {
    const rows = glyphRows(ch.charCodeAt(0));
    for (let r = 0; r < GLYPH_H; r++) {
      const bits = rows[r];
      if (bits) for (let c = 0; c < GLYPH_W; c++) if (bits & (16 >> c)) canvas.fillRect(x0 + c * s, y0 + r * s, s, s, color);
    }
    x0 += ADVANCE * s;
  }
  return w;
}
