// The comparison sheet of one upscaled image: LR, bicubic ×4, H-VAR ×1, ×2, ×4 side by side at the ×4 size (capped), each labelled
// with the repository's bitmap font.
import { resampleCpu } from '../engine/index.ts';
import type { ImageCHW } from '../io/image.ts';
import { Canvas } from '../viz/canvas.ts';
import { drawText, textHeight } from '../viz/font.ts';

/** Longest side of one panel; larger ×4 outputs are shown reduced (area). */
export const SHEET_MAX_PANEL = 1024;
const MARGIN = 8, GAP = 8;

/** Panel size (the ×4 size of an h×w input, reduced to fit SHEET_MAX_PANEL) and the sheet's size. */
export function sheetLayout(h: number, w: number): { ph: number; pw: number; width: number; height: number; fontScale: number; labelH: number } {
  const k = Math.min(1, SHEET_MAX_PANEL / (4 * Math.max(h, w)));
  const ph = Math.max(1, Math.round(4 * h * k)), pw = Math.max(1, Math.round(4 * w * k));
  const fontScale = pw >= 150 ? 2 : 1, labelH = textHeight(fontScale) + 8;
  return { ph, pw, width: 5 * pw + 4 * GAP + 2 * MARGIN, height: MARGIN + labelH + ph + MARGIN, fontScale, labelH };
}

/** img shown at ph×pw: pixel replication when enlarging (the pixels stay visible), area averaging when reducing. */
function panel(img: ImageCHW, ph: number, pw: number): Float32Array {
  if (img.h === ph && img.w === pw) return img.data;
  return resampleCpu(img.data, 1, 3, img.h, img.w, ph, pw, ph >= img.h && pw >= img.w ? 'nearest' : 'area');
}

/**
 * The sheet: LR (the input), its bicubic ×4, and the three H-VAR outputs, each as a panel of the ×4 size with a label above it.
 * Returns an RGB image in [0, 1].
 */
export function comparisonSheet(lr: ImageCHW, x1: ImageCHW, x2: ImageCHW, x4: ImageCHW): ImageCHW {
  const L = sheetLayout(lr.h, lr.w), { ph, pw } = L;
  const bicubic = resampleCpu(lr.data, 1, 3, lr.h, lr.w, ph, pw, 'bicubic');
  const panels: [string, Float32Array][] = [
    [`LR ${lr.w}x${lr.h}`, panel(lr, ph, pw)], ['bicubic x4', bicubic],
    [`H-VAR x1`, panel(x1, ph, pw)], [`H-VAR x2`, panel(x2, ph, pw)], [`H-VAR x4 ${x4.w}x${x4.h}`, panel(x4, ph, pw)],
  ];
  const c = new Canvas(L.width, L.height, '#ffffff'), n = ph * pw;
  panels.forEach(([label, data], i) => {
    const x0 = MARGIN + i * (pw + GAP), y0 = MARGIN + L.labelH;
    c.clip = { x: x0, y: 0, w: pw, h: L.height };
    drawText(c, x0, MARGIN, label, { scale: L.fontScale, color: '#202020' });
    c.clip = null;
    for (let y = 0; y < ph; y++) for (let x = 0; x < pw; x++) {
      const d = ((y0 + y) * L.width + x0 + x) * 3;
      for (let k = 0; k < 3; k++) c.data[d + k] = Math.round(Math.min(1, Math.max(0, data[k * n + y * pw + x]!)) * 255);
    }
  });
  return c.toImage();
}
