// Renders docs/degradation_sheet.png (+ .md captions): one photo through every Real-ESRGAN degradation stage, labelled.
// Run: npx esbuild --bundle --platform=node --format=esm --packages=external examples/degradation_sheet.ts --outfile=.build/sheet.mjs && node .build/sheet.mjs [--seed N]
import { writeFileSync } from 'node:fs';
import { readImage, encodePng, type ImageCHW } from '../src/io/image.ts';
import { cropFlip } from '../src/train/data/dataset.ts';
import { StreamRng } from '../src/train/data/rng.ts';
import { realEsrganConfig } from '../src/train/data/degrade/config.ts';
import { applyDegradePlan, cpuDegradeOps, sampleDegradePlan, type DegradePlan, type StageName } from '../src/train/data/degrade/pipeline.ts';
import type { KernelDesc } from '../src/train/data/degrade/kernels.ts';
import { resampleCpu } from '../src/engine/cpu/resample.ts';
import { bicubicUpscale } from '../src/metrics/bicubic.ts';

const PHOTO = 'data/train-2k/skimage_chelsea.jpg'; // CC0, Stefan van der Walt (see PROVENANCE.md there)
const CROP = { top: 20, left: 110, size: 256 };
const TILE = 256, PAD = 8, FS = 2, LINE = 7 * FS + 4, LABEL = 2 * LINE + 2, COLS = 4;

// 5x7 bitmap font: 35 bits per glyph, row-major, '1' = ink.
const G: Record<string, string> = {
  A: '01110100011000111111100011000110001', B: '11110100011000111110100011000111110', C: '01110100011000010000100001000101110',
  D: '11110100011000110001100011000111110', E: '11111100001000011110100001000011111', F: '11111100001000011110100001000010000',
  G: '01110100011000010111100011000101111', H: '10001100011000111111100011000110001', I: '01110001000010000100001000010001110',
  J: '00111000100001000010000101001001100', K: '10001100101010011000101001001010001', L: '10000100001000010000100001000011111',
  M: '10001110111010110101100011000110001', N: '10001100011100110101100111000110001', O: '01110100011000110001100011000101110',
  P: '11110100011000111110100001000010000', Q: '01110100011000110001101011001001101', R: '11110100011000111110101001001010001',
  S: '01111100001000001110000010000111110', T: '11111001000010000100001000010000100', U: '10001100011000110001100011000101110',
  V: '10001100011000110001100010101000100', W: '10001100011000110101101011010101010', X: '10001100010101000100010101000110001',
  Y: '10001100010101000100001000010000100', Z: '11111000010001000100010001000011111',
  '0': '01110100011001110101110011000101110', '1': '00100011000010000100001000010001110', '2': '01110100010000100010001000100011111',
  '3': '11111000100010000010000011000101110', '4': '00010001100101010010111110001000010', '5': '11111100001111000001000011000101110',
  '6': '00110010001000011110100011000101110', '7': '11111000010001000100010000100001000', '8': '01110100011000101110100011000101110',
  '9': '01110100011000101111000010001001100', ' ': '0'.repeat(35), '.': '00000000000000000000000000110001100',
  '-': '00000000000000011111000000000000000', ':': '00000011000110000000011000110000000', '/': '00000000010001000100010001000000000',
  '(': '00010001000100001000010000010000010', ')': '01000001000001000010000100010001000', '=': '00000000001111100000111110000000000',
  ',': '00000000000000000000011000010001000', '+': '00000001000010011111001000010000000', '_': '00000000000000000000000000000011111',
};

function drawText(canvas: ImageCHW, text: string, x0: number, y0: number, rgb: [number, number, number]): void {
  const { h, w, data } = canvas;
  let x = x0;
  for (const ch of text.toUpperCase()) {
    const g = G[ch] ?? G[' '];
    for (let r = 0; r < 7; r++) for (let c = 0; c < 5; c++) {
      if (g[r * 5 + c] !== '1') continue;
      for (let dy = 0; dy < FS; dy++) for (let dx = 0; dx < FS; dx++) {
        const px = x + c * FS + dx, py = y0 + r * FS + dy;
        if (px < 0 || py < 0 || px >= w || py >= h) continue;
        for (let k = 0; k < 3; k++) data[k * h * w + py * w + px] = rgb[k];
      }
    }
    x += 6 * FS;
  }
}

/** Fit into TILE x TILE: nearest when enlarging (pixels stay visible), area when shrinking. */
function fitTile(img: ImageCHW): ImageCHW {
  const s = TILE / Math.max(img.h, img.w), oh = Math.max(1, Math.round(img.h * s)), ow = Math.max(1, Math.round(img.w * s));
  const out = resampleCpu(img.data, 1, img.c, img.h, img.w, oh, ow, s >= 1 ? 'nearest' : 'area');
  return { data: out, c: img.c, h: oh, w: ow };
}

function blit(canvas: ImageCHW, img: ImageCHW, x0: number, y0: number): void {
  for (let k = 0; k < 3; k++) for (let y = 0; y < img.h; y++) for (let x = 0; x < img.w; x++)
    canvas.data[k * canvas.h * canvas.w + (y0 + y) * canvas.w + x0 + x] = img.data[k * img.h * img.w + y * img.w + x];
}

const kdesc = (d: KernelDesc | null) => !d ? 'SKIPPED' : d.type === 'pulse' ? 'NONE' : d.type === 'sinc'
  ? `SINC ${d.size} W=${d.omega.toFixed(2)}` : `${d.type.replace('generalized', 'GEN').replace('plateau', 'PLAT')} ${d.size} S=${d.sigmaX.toFixed(1)}`;

function caption(name: StageName, p: DegradePlan): string {
  switch (name) {
    case 'usm': return 'USM SHARPEN W=0.5';
    case 'blur1': return kdesc(p.blur1);
    case 'resize1': return `${p.resize1.dir} ${p.resize1.mode} X${p.resize1.factor.toFixed(2)}`;
    case 'noise1': return `${p.noise1.kind} ${p.noise1.amount.toFixed(1)}${p.noise1.gray ? ' GRAY' : ''}`;
    case 'jpeg1': return `JPEG Q=${p.jpeg1.toFixed(0)}`;
    case 'blur2': return kdesc(p.blur2);
    case 'resize2': return `${p.resize2.dir} ${p.resize2.mode} X${p.resize2.factor.toFixed(2)}`;
    case 'noise2': return `${p.noise2.kind} ${p.noise2.amount.toFixed(1)}${p.noise2.gray ? ' GRAY' : ''}`;
    case 'resize3': return `TO LR ${p.finalMode}`;
    case 'sinc': return kdesc(p.sinc);
    case 'jpeg2': return `JPEG Q=${p.jpeg2.toFixed(0)}`;
    case 'quantize': return 'ROUND TO 8 BIT: LR';
  }
}

const args = process.argv.slice(2);
const cfg = realEsrganConfig(4);
let seed = args.includes('--seed') ? Number(args[args.indexOf('--seed') + 1]) : -1;
if (seed < 0) { // first seed whose plan exercises every optional stage (second blur, final sinc, downscale)
  for (seed = 0; ; seed++) {
    const p = sampleDegradePlan(StreamRng.fromSeed(seed), cfg, CROP.size, CROP.size);
    if (p.blur2 && p.sinc.type === 'sinc' && p.resize1.dir === 'down' && p.resize1.factor > 0.5 && p.blur1.type !== 'iso') break;
  }
}
const photo = await readImage(PHOTO);
const hr = cropFlip(photo, CROP.top, CROP.left, CROP.size, false, false);
const plan = sampleDegradePlan(StreamRng.fromSeed(seed), cfg, hr.h, hr.w);
const tiles: { name: string; params: string; img: ImageCHW }[] = [{ name: 'HR CROP', params: 'ORIGINAL', img: hr }];
const lr = await applyDegradePlan(hr, plan, cpuDegradeOps, (name, img) => tiles.push({ name, params: caption(name, plan), img }));
tiles.push({ name: 'BICUBIC X4', params: 'BASELINE FROM THE LR', img: bicubicUpscale(lr, 4) });

const rows = Math.ceil(tiles.length / COLS), HEAD = LINE + 8;
const W = COLS * (TILE + PAD) + PAD, H = HEAD + rows * (TILE + LABEL + PAD) + PAD;
const canvas: ImageCHW = { c: 3, h: H, w: W, data: new Float32Array(3 * H * W).fill(0.12) };
drawText(canvas, `REAL-ESRGAN DEGRADATION X4, SEED ${seed}`, PAD, 6, [1, 1, 1]);
tiles.forEach((t, i) => {
  const x0 = PAD + (i % COLS) * (TILE + PAD), y0 = HEAD + Math.floor(i / COLS) * (TILE + LABEL + PAD);
  drawText(canvas, `${i} ${t.name} ${t.img.w}X${t.img.h}`.slice(0, 21), x0, y0, [1, 0.85, 0.3]);
  drawText(canvas, t.params.slice(0, 21), x0, y0 + LINE, [0.85, 0.85, 0.85]);
  const f = fitTile(t.img);
  blit(canvas, f, x0 + ((TILE - f.w) >> 1), y0 + LABEL + ((TILE - f.h) >> 1));
});
writeFileSync('docs/degradation_sheet.png', encodePng(canvas));
const md = [
  '# Degradation sheet', '',
  `![stages](degradation_sheet.png)`, '',
  `One ${CROP.size}x${CROP.size} crop of \`skimage_chelsea.jpg\` (CC0, Stefan van der Walt; see data/train-2k/PROVENANCE.md) ` +
  `through the Real-ESRGAN x4 degradation (src/train/data/degrade/), seed ${seed}. Every tile is shown at ${TILE} px: smaller stages are enlarged ` +
  'with nearest-neighbour (pixels stay visible), larger ones shrunk with area averaging. Regenerate with `examples/degradation_sheet.ts`.', '',
  '| tile | stage | parameters | size |', '|---:|---|---|---|',
  ...tiles.map((t, i) => `| ${i} | ${t.name.toLowerCase()} | ${t.params.toLowerCase()} | ${t.img.w}x${t.img.h} |`),
  '', 'Plan (JSON, as produced by `sampleDegradePlan`):', '', '```json', JSON.stringify(plan, (_k, v) => (typeof v === 'number' ? +v.toFixed(4) : v)), '```', '',
];
writeFileSync('docs/degradation_sheet.md', md.join('\n'));
console.log(`seed ${seed}: wrote docs/degradation_sheet.png (${W}x${H}, ${tiles.length} tiles) and docs/degradation_sheet.md`);
