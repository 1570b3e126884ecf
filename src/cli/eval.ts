// `hvar eval --pred DIR --gt DIR [--json] [--crop N] [--y]`: PSNR/SSIM per image (matched by stem) and the mean.
import { evaluateDirs, formatEvalTable } from '../metrics/eval_dirs.ts';

const USAGE = 'usage: hvar eval --pred DIR --gt DIR [--json] [--crop N] [--y]';

export async function main(argv: string[]): Promise<number> {
  let pred = '', gt = '', json = false, y = false, crop = 0;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--pred') pred = argv[++i] ?? '';
    else if (a === '--gt') gt = argv[++i] ?? '';
    else if (a === '--json') json = true;
    else if (a === '--y') y = true;
    else if (a === '--crop') crop = Number(argv[++i]);
    else if (a === '-h' || a === '--help') { console.log(USAGE); return 0; }
    else { console.error(`hvar eval: unknown argument '${a}'\n${USAGE}`); return 2; }
  }
  if (!pred || !gt || !Number.isInteger(crop) || crop < 0) { console.error(USAGE); return 2; }
  try {
    const r = await evaluateDirs(pred, gt, { crop, y });
    if (json) console.log(JSON.stringify(r, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v), 1));
    else {
      console.log(formatEvalTable(r));
      if (r.unmatchedPred.length || r.unmatchedGt.length)
        console.log(`\nunmatched: ${r.unmatchedPred.length} prediction(s) [${r.unmatchedPred.slice(0, 5).join(', ')}], ${r.unmatchedGt.length} ground truth(s) [${r.unmatchedGt.slice(0, 5).join(', ')}]`);
    }
    if (r.rows.length === 0) { console.error('hvar eval: no prediction matched a ground-truth file by name'); return 1; }
    return 0;
  } catch (e) {
    console.error((e as Error).message);
    return 1;
  }
}
