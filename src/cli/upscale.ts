// `hvar upscale <images or folders…>`: H-VAR ×1, ×2, ×4 of each image, each PNG written as soon as its segment is ready, then a
// comparison sheet; a progress line per image and a summary. `hvar upscale --bicubic IN OUT` is the bicubic baseline (upscale_bicubic.ts).
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeImage, encodePng, probeImageChecked, ImageReadError, type ImageCHW } from '../io/image.ts';
import { checkOutputPath, writeFileAtomic } from '../io/atomic.ts';
import { DEFAULT_UPSCALE_MAX_PIXELS, type UpscaleProgress } from '../upscale/upscale.ts';
import { checkInputFile, intFlag, numberFlag, parseCommand, runCommand, stringFlag, UsageError } from './args.ts';
import { main as bicubicMain, USAGE as BICUBIC_USAGE } from './upscale_bicubic.ts';

/** The model shipped with the package (weights come later): <package>/models/hvar-small.safetensors. */
export const EMBEDDED_MODEL = 'models/hvar-small.safetensors';

export const USAGE = `usage: hvar upscale <images or folders...> [--out DIR] [--model FILE] [--seed S] [--top-k K] [--top-p P] [--cfg X] [--tile N]
                    [--overlap N] [--batch N] [--max-pixels N]
  images, folders  PNG or JPEG files, or folders of them (their .png, .jpg, .jpeg files, sorted by name; not recursive).
                   Alpha is composited on white, gray and 16-bit are converted; any size: small images are padded, large
                   ones processed in overlapping tiles blended without seams.
  --out DIR        writes <name>_x1.png, <name>_x2.png, <name>_x4.png (each as soon as it is ready) and <name>_sheet.png
                   (LR, bicubic x4, x1, x2, x4 side by side); created if missing (default: the current directory)
  --model FILE     H-VAR model bundle (.safetensors from 'hvar bundle'; default: the package's ${EMBEDDED_MODEL})
  --seed S         decimal integer from 0 to 2^53 - 1 (default 0); the same seed gives the same images
  --top-k K        keep the K largest logits per token, 0 = all; --top-p P nucleus filter in [0, 1], 0 = off;
  --cfg X          guidance from 0 to 100, 0 = off. Defaults: the model card's 'sampling', else 0
  --tile N         LR tile side in pixels (default: the model's LR side, 128 for the paper's model; others are resampled to it)
  --overlap N      LR pixels shared by neighbouring tiles (default tile / 4, at most tile / 2)
  --batch N        most tiles sampled together, in groups as even as that allows (default: as many as fit 2 GiB of KV cache, at most 8)
  --max-pixels N   largest input in pixels (default ${DEFAULT_UPSCALE_MAX_PIXELS}); larger ones are refused
Exit code 1 when any input failed (the others are still written), 2 for a bad command line.
${BICUBIC_USAGE.replace(/^usage: /, '       ')}`;

const IMAGE_EXT = /\.(png|jpe?g)$/i;

/** Files to process: files as given, folders expanded to their images (sorted); what cannot be used is reported, not fatal. */
function expandInputs(paths: string[]): { files: string[]; errors: string[] } {
  const files: string[] = [], errors: string[] = [];
  for (const p of paths) {
    let st;
    try { st = statSync(p); } catch { errors.push(`hvar: cannot read image '${p}': no such file`); continue; }
    if (!st.isDirectory()) { files.push(p); continue; }
    let names: string[];
    try { names = readdirSync(p); } catch (e) { errors.push(`hvar upscale: cannot list folder '${p}': ${(e as Error).message}`); continue; }
    const imgs = names.filter((n) => IMAGE_EXT.test(n)).sort().map((n) => join(p, n)).filter((f) => { try { return statSync(f).isFile(); } catch { return false; } });
    if (!imgs.length) errors.push(`hvar upscale: folder '${p}' holds no .png, .jpg or .jpeg files`);
    files.push(...imgs);
  }
  return { files, errors };
}

/** m:ss or h:mm:ss. */
export function clock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds)), h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  return h ? `${h}:${String(m).padStart(2, '0')}:${String(r).padStart(2, '0')}` : `${m}:${String(r).padStart(2, '0')}`;
}

/** The progress line of one image. */
export function progressLine(prefix: string, p: UpscaleProgress): string {
  const tiles = p.tiles > 1 ? `tile${p.tileEnd > p.tile ? `s ${p.tile}-${p.tileEnd}` : ` ${p.tile}`}/${p.tiles}, ` : '';
  return `${prefix}: ${tiles}scale ${p.step}/${p.steps} (×${p.factor})${p.replay ? ' replay' : ''} ETA ${p.eta === null ? '?' : clock(p.eta)}`;
}

export async function main(argv: string[]): Promise<number> {
  if (argv.includes('--bicubic')) return bicubicMain(argv);
  return runCommand(async () => {
    const a = parseCommand('upscale', argv, {
      out: { type: 'string' }, model: { type: 'string' }, seed: { type: 'string' }, 'top-k': { type: 'string' }, 'top-p': { type: 'string' },
      cfg: { type: 'string' }, tile: { type: 'string' }, overlap: { type: 'string' }, batch: { type: 'string' }, 'max-pixels': { type: 'string' },
    }, { names: ['<images or folders>'], min: 1, rest: true });
    if (!a) { console.log(USAGE); return 0; }
    const cmd = 'upscale', v = a.values;
    const seed = intFlag(cmd, '--seed', v.seed, 0, 0);
    const topK = v['top-k'] === undefined ? undefined : intFlag(cmd, '--top-k', v['top-k'], 0, 0);
    const topP = v['top-p'] === undefined ? undefined : numberFlag(cmd, '--top-p', v['top-p'], 0, 0, 1);
    const cfg = v.cfg === undefined ? undefined : numberFlag(cmd, '--cfg', v.cfg, 0, 0, 100);
    const tile = v.tile === undefined ? undefined : intFlag(cmd, '--tile', v.tile, 0, 2, 4096);
    const overlap = v.overlap === undefined ? undefined : intFlag(cmd, '--overlap', v.overlap, 0, 0, 2048);
    const batch = v.batch === undefined ? undefined : intFlag(cmd, '--batch', v.batch, 0, 1, 1024);
    const maxPixels = intFlag(cmd, '--max-pixels', v['max-pixels'], DEFAULT_UPSCALE_MAX_PIXELS, 1);
    const outDir = stringFlag(cmd, '--out', v.out) ?? '.';
    let modelPath = stringFlag(cmd, '--model', v.model);
    if (modelPath) checkInputFile(cmd, '--model', modelPath);
    else {
      modelPath = fileURLToPath(new URL(`../${EMBEDDED_MODEL}`, import.meta.url));
      try { statSync(modelPath); } catch { throw new Error(`hvar upscale: no embedded model yet: pass --model FILE or use --bicubic (looked for ${modelPath})`); }
    }
    try { mkdirSync(outDir, { recursive: true }); } catch (e) { throw new UsageError(cmd, `--out: cannot create folder '${outDir}': ${(e as Error).message}`); }
    if (!statSync(outDir).isDirectory()) throw new UsageError(cmd, `--out: '${outDir}' is not a directory`);
    const { files, errors } = expandInputs(a.positionals);
    for (const e of errors) console.error(e);

    const { Device } = await import('../engine/index.ts');
    const { loadBundle } = await import('../upscale/bundle_file.ts');
    const { upscaleStream } = await import('../upscale/upscale.ts');
    const { comparisonSheet } = await import('../upscale/sheet.ts');
    const dev = await Device.create();
    const t0 = performance.now();
    let ok = 0;
    try {
      const bundle = await loadBundle(dev, modelPath);
      const c = bundle.card;
      console.log(`model: ${c.name} (${modelPath}); LR tile ${bundle.lrSide} px, outputs x1, x2, x4${c.licence ? `; licence ${c.licence}` : ''}`);
      const tty = !!process.stderr.isTTY, used = new Map<string, string>();
      for (const [i, file] of files.entries()) {
        const prefix = `[${i + 1}/${files.length}] ${basename(file)}`;
        const ti = performance.now();
        try {
          const name = basename(file, extname(file));
          const prev = used.get(name);
          if (prev) throw new Error(`hvar upscale: '${file}' would write the same outputs as '${prev}' (${name}_x*.png); rename one`);
          used.set(name, file);
          const outs = { 1: join(outDir, `${name}_x1.png`), 2: join(outDir, `${name}_x2.png`), 4: join(outDir, `${name}_x4.png`), sheet: join(outDir, `${name}_sheet.png`) };
          Object.values(outs).forEach((p) => checkOutputPath(p, ['.png']));
          let img: ImageCHW;
          try {
            const { buf } = probeImageChecked(file, { maxPixels });
            img = decodeImage(buf, file, { maxPixels });
          } catch (e) {
            if (e instanceof ImageReadError && /image too large/.test(e.reason)) throw new Error(`${e.message} (--max-pixels)`);
            throw e;
          }
          let lastPrint = 0;
          const onProgress = (p: UpscaleProgress) => {
            const now = performance.now();
            if (!tty && lastPrint && now - lastPrint < 5000) return;
            lastPrint = now;
            const line = progressLine(prefix, p);
            if (tty) process.stderr.write(`\r\x1b[K${line}`); else console.error(line);
          };
          const got: Partial<Record<1 | 2 | 4, ImageCHW>> = {};
          for await (const s of upscaleStream(dev, bundle, img, { seed, topK, topP, cfg, tile, overlap, batch, maxPixels, onProgress })) {
            writeFileAtomic(outs[s.scale], encodePng(s.image));
            got[s.scale] = s.image;
            if (tty) process.stderr.write('\r\x1b[K');
            console.log(`${prefix}: x${s.scale} ${s.image.w}x${s.image.h} -> ${outs[s.scale]} (${((performance.now() - ti) / 1000).toFixed(1)} s)`);
          }
          writeFileAtomic(outs.sheet, encodePng(comparisonSheet(img, got[1]!, got[2]!, got[4]!)));
          console.log(`${prefix}: sheet -> ${outs.sheet}`);
          ok++;
        } catch (e) {
          if (tty) process.stderr.write('\r\x1b[K');
          errors.push((e as Error).message);
          console.error(`${prefix}: failed: ${(e as Error).message.split('\n')[0]}`);
        }
      }
      bundle.dispose();
    } finally {
      dev.destroy();
    }
    const failed = errors.length;
    console.log(`upscaled ${ok} of ${files.length} image${files.length === 1 ? '' : 's'} in ${clock((performance.now() - t0) / 1000)} to ${resolve(outDir)}` +
      (failed ? `; ${failed} problem${failed === 1 ? '' : 's'} (see above)` : ''));
    return failed ? 1 : 0;
  });
}
