// `hvar eval-upscaler --model FILE ...`: PSNR / SSIM of an H-VAR bundle's ×1, ×2, ×4 on held-back photos against the LR and
// bicubic, as a Markdown table, JSON and a PNG grid.
import { join } from 'node:path';
import { checkInputDir, checkInputFile, intFlag, numberFlag, parseCommand, runCommand, stringFlag, UsageError } from './args.ts';

export const USAGE = `usage: hvar eval-upscaler --model FILE [--data DIR[,DIR...]] [--split val|train|all] [--val-fraction F] [--size N]
                          [--seed S] [--lr degrade|bicubic] [--max-images N] [--out DIR] [--json]
  Centre-crops each photo to N×N (HR), makes its LR ×4 smaller, runs the model bundle (hvar upscale's upscaler, --seed) and
  scores its x1, x2, x4 against the HR area-downsampled to those sizes (x4: the HR itself); baselines: the LR itself at x1,
  bicubic x2 and x4 of the LR. PSNR / SSIM on RGB 0..255 without border crop, as 'hvar eval' by default.
  --model FILE      H-VAR model bundle (.safetensors from 'hvar bundle')
  --data DIR        photos (default data/train-2k); --split val (default) takes the files training held back: a hashed
                    --val-fraction (default 0.1, as 'hvar train') of them; train the others; all every file
  --size N          HR crop side, a multiple of 16 (default 256, the training crop); smaller photos are named and skipped
  --seed S          the upscaler's seed and the root of the per-photo degradation seeds (default 0)
  --lr degrade      the Real-ESRGAN degradation exactly as training makes its LR (default); bicubic: the clean downsample
                    of the bicubic-degradation benchmarks, made by 4x4 area averaging (the engine's bicubic has no
                    antialiasing) and rounded to 8 bits; it is then close to the x1 ground truth
  --max-images N    the first N photos of the split only (default all)
  --out DIR         also writes DIR/report.md, DIR/report.json and DIR/grid.png (per photo: LR, bicubic x4, H-VAR x4, GT;
                    the first 8 photos)
  --json            prints the JSON report instead of the table`;

export async function main(argv: string[]): Promise<number> {
  return runCommand(async () => {
    const cmd = 'eval-upscaler', f = { type: 'string' } as const;
    const a = parseCommand(cmd, argv, { model: f, data: f, split: f, 'val-fraction': f, size: f, seed: f, lr: f, 'max-images': f, out: f, json: { type: 'boolean' } }, { names: [] });
    if (!a) { console.log(USAGE); return 0; }
    const v = a.values;
    const modelPath = stringFlag(cmd, '--model', v.model);
    if (!modelPath) throw new UsageError(cmd, '--model FILE is required');
    const data = (stringFlag(cmd, '--data', v.data) ?? 'data/train-2k').split(',');
    const split = stringFlag(cmd, '--split', v.split) ?? 'val';
    if (split !== 'val' && split !== 'train' && split !== 'all') throw new UsageError(cmd, `--split expects val, train or all, got '${split}'`);
    const valFraction = numberFlag(cmd, '--val-fraction', v['val-fraction'], 0.1, 0, 0.9);
    const size = intFlag(cmd, '--size', v.size, 256, 16, 4096);
    if (size % 16) throw new UsageError(cmd, `--size expects a multiple of 16 (the LR is size/4 and needs a side divisible by 4), got '${size}'`);
    const seed = intFlag(cmd, '--seed', v.seed, 0, 0);
    const lr = stringFlag(cmd, '--lr', v.lr) ?? 'degrade';
    if (lr !== 'degrade' && lr !== 'bicubic') throw new UsageError(cmd, `--lr expects degrade or bicubic, got '${lr}'`);
    const maxImages = intFlag(cmd, '--max-images', v['max-images'], Number.MAX_SAFE_INTEGER, 1);
    const out = stringFlag(cmd, '--out', v.out);
    checkInputFile(cmd, '--model', modelPath);
    for (const d of data) checkInputDir(cmd, '--data', d);
    const files = out ? { md: join(out, 'report.md'), json: join(out, 'report.json'), png: join(out, 'grid.png') } : null;
    if (out && files) {
      const { mkdirSync, statSync } = await import('node:fs');
      const { checkOutputPath } = await import('../io/atomic.ts');
      try { mkdirSync(out, { recursive: true }); } catch (e) { throw new UsageError(cmd, `--out: cannot create folder '${out}': ${(e as Error).message}`); }
      if (!statSync(out).isDirectory()) throw new UsageError(cmd, `--out: '${out}' is not a directory`);
      checkOutputPath(files.md, ['.md']); checkOutputPath(files.json, ['.json']); checkOutputPath(files.png, ['.png']);
    }

    const { Device } = await import('../engine/index.ts');
    const { loadBundle } = await import('../upscale/bundle_file.ts');
    const { readImage } = await import('../io/image.ts');
    const { evalUpscaler, formatUpscalerEval, upscalerGrid, GRID_PHOTOS } = await import('../train/eval_upscaler.ts');
    const dev = await Device.create();
    try {
      let bundle;
      try { bundle = await loadBundle(dev, modelPath); } catch (e) { throw new Error(`hvar ${cmd}: --model: ${(e as Error).message}`); }
      try {
        const { scanDataset } = await import('../train/data/dataset.ts');
        const scan = await scanDataset({ roots: data, crop: size, split, valFraction });
        for (const p of scan.tooSmall) console.error(`${cmd}: skipped '${p}': smaller than ${size}px`);
        for (const u of scan.unreadable) console.error(`${cmd}: skipped '${u.path}': ${u.reason}`);
        const what = split === 'val' ? 'held-back ' : split === 'train' ? 'training ' : '';
        if (!scan.entries.length) throw new Error(`hvar ${cmd}: no ${what}photo of at least ${size}px in ${data.join(', ')} (${describe(scan.tooSmall.length, scan.unreadable.length, scan.otherSplit)})`);
        const photos = scan.entries.slice(0, maxImages);
        console.error(`${cmd}: '${bundle.card.name}' (${modelPath}) on ${photos.length} ${what}photo${photos.length === 1 ? '' : 's'} of ${data.join(', ')}, ${size}px crops, LR by ${lr}`);
        const rows: import('../io/image.ts').ImageCHW[][] = [];
        const r = await evalUpscaler(dev, bundle, photos, { size, seed, lr, grid: files ? { n: GRID_PHOTOS, onPhoto: (row) => rows.push(row) } : undefined },
          (path) => readImage(path), (s) => console.error(s));
        const table = formatUpscalerEval(r);
        const report = { ...r, data, split, valFraction: split === 'all' ? null : valFraction, skipped: [...scan.tooSmall, ...scan.unreadable.map((u) => u.path)] };
        const json = JSON.stringify(report, (_k, x) => (typeof x === 'number' && !Number.isFinite(x) ? String(x) : x), 1);
        if (v.json) console.log(json); else console.log(table);
        if (files) {
          const { writeFileAtomic } = await import('../io/atomic.ts');
          const { encodePng } = await import('../io/image.ts');
          const line = `hvar eval-upscaler --model ${modelPath} --data ${data.join(',')} --split ${split}${split === 'all' ? '' : ` --val-fraction ${valFraction}`} --size ${size} --seed ${seed} --lr ${lr}`
            + (photos.length < scan.entries.length ? ` --max-images ${maxImages}` : '');
          writeFileAtomic(files.md, `# Upscaler evaluation\n\n\`${line}\`\n\n${table}\n`);
          writeFileAtomic(files.json, json + '\n');
          writeFileAtomic(files.png, encodePng(upscalerGrid(rows, size)));
        }
      } finally { bundle.dispose(); }
      return 0;
    } finally { dev.destroy(); }
  });
}

function describe(small: number, unreadable: number, other: number): string {
  return `${small} smaller, ${unreadable} unreadable, ${other} in the other split`;
}
