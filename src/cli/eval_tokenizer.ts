// `hvar eval-tokenizer --vae FILE --data DIR ...`: the HIT ablation — prefix-decode PSNR / SSIM (/ LPIPS) of HIT
// against plain VAR tokenization of the same model, as a Markdown table, JSON and a PNG grid.
import { join } from 'node:path';
import { intFlag, parseCommand, runCommand, stringFlag, checkInputDir, checkInputFile, UsageError } from './args.ts';

export const USAGE = `usage: hvar eval-tokenizer --vae FILE [--key K] [--data DIR[,DIR...]] [--split val|all] [--size N] [--max-images N]
                          [--lpips WEIGHTS.safetensors] [--out DIR] [--json]
  Center-crops each photo to N×N (default 256), tokenizes it with HIT (segments at ¼, ½ and 1 of N) and with plain VAR over
  the same scales, decodes every prefix, and scores it against the crop area-resized to the prefix's size.
  --data     photos (default data/train-2k); --split val (default) takes the files training held back (10 %, hashed by name)
  --out DIR  also writes DIR/eval.md, DIR/eval.json and DIR/eval.png (rows: image; columns: crop, HIT ¼ ½ 1, plain ¼ ½ 1)`;

export async function main(argv: string[]): Promise<number> {
  return runCommand(async () => {
    const cmd = 'eval-tokenizer', f = { type: 'string' } as const;
    const a = parseCommand(cmd, argv, { vae: f, key: f, data: f, split: f, size: f, 'max-images': f, lpips: f, out: f, json: { type: 'boolean' }, 'val-fraction': f }, { names: [] });
    if (!a) { console.log(USAGE); return 0; }
    const v = a.values;
    const vaePath = stringFlag(cmd, '--vae', v.vae);
    if (!vaePath) throw new UsageError(cmd, '--vae FILE is required');
    checkInputFile(cmd, '--vae', vaePath);
    const data = (stringFlag(cmd, '--data', v.data) ?? 'data/train-2k').split(',');
    for (const d of data) checkInputDir(cmd, '--data', d);
    const split = stringFlag(cmd, '--split', v.split) ?? 'val';
    if (split !== 'val' && split !== 'all') throw new UsageError(cmd, `--split expects val or all, got '${split}'`);
    const size = intFlag(cmd, '--size', v.size, 256, 16, 4096), maxImages = intFlag(cmd, '--max-images', v['max-images'], 1000, 1);
    const lpipsPath = stringFlag(cmd, '--lpips', v.lpips);
    if (lpipsPath) checkInputFile(cmd, '--lpips', lpipsPath);
    const out = stringFlag(cmd, '--out', v.out);
    const { Device } = await import('../engine/index.ts');
    const { loadVQVAE } = await import('../models/vqvae/index.ts');
    const { evalTokenizer, formatTokenizerEval } = await import('../train/eval_tokenizer.ts');
    const { scanDataset } = await import('../train/data/dataset.ts');
    const scan = await scanDataset({ roots: data, crop: size, split, valFraction: Number(v['val-fraction'] ?? 0.1) });
    if (!scan.entries.length) throw new Error(`eval-tokenizer: no ${split === 'val' ? 'held-back ' : ''}photo of at least ${size}px in ${data.join(', ')}`);
    const paths = scan.entries.slice(0, maxImages).map((e) => e.path);
    const dev = await Device.create();
    try {
      const vae = await loadVQVAE(dev, vaePath, { key: stringFlag(cmd, '--key', v.key) });
      const lpips = lpipsPath ? await (await import('../metrics/lpips.ts')).loadLpips(dev, lpipsPath) : null;
      const rows: import('../io/image.ts').ImageCHW[][] = [];
      const r = await evalTokenizer(dev, vae, paths, { size, lpips, grid: out ? { n: 6, onImage: (row) => rows.push(row) } : undefined }, (s) => console.error(s));
      const table = formatTokenizerEval(r);
      if (v.json) console.log(JSON.stringify(r, null, 1)); else console.log(table);
      if (out) {
        const { mkdirSync } = await import('node:fs');
        const { writeFileAtomic } = await import('../io/atomic.ts');
        const { writeImageSync, makeImage } = await import('../io/image.ts');
        const { blit } = await import('../train/tokenizer.ts');
        mkdirSync(out, { recursive: true });
        writeFileAtomic(join(out, 'eval.md'), `# Tokenizer evaluation\n\n\`hvar eval-tokenizer --vae ${vaePath} --size ${size} --split ${split}\`\n\n${table}\n`);
        writeFileAtomic(join(out, 'eval.json'), JSON.stringify(r, null, 1));
        const cell = Math.min(size, 256), gap = 4, order = [8, 0, 3, 6, 1, 4, 7];
        const grid = makeImage(3, rows.length * (cell + gap) - gap, order.length * (cell + gap) - gap);
        grid.data.fill(1);
        rows.forEach((row, i) => order.forEach((k, j) => { if (row[k]) blit(grid, row[k]!, i * (cell + gap), j * (cell + gap), cell); }));
        writeImageSync(join(out, 'eval.png'), grid);
      }
      lpips?.dispose(); vae.dispose();
      return 0;
    } finally { dev.destroy(); }
  });
}
