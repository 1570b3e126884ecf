// `hvar eval --pred DIR --gt DIR [--json] [--crop N] [--y] [--lpips WEIGHTS [--lpips-net vgg|alex]]`: PSNR/SSIM (and
// LPIPS when its weights are given) per image, matched by stem, and the mean.
import { evaluateDirs, formatEvalTable, type EvalReport } from '../metrics/eval_dirs.ts';
import { readImage } from '../io/image.ts';
import { Device } from '../engine/runtime/device.ts';
import { loadLpips, lpipsImages, LPIPS_EXPORT_HELP, type LpipsNet } from '../metrics/lpips.ts';

const USAGE = `usage: hvar eval --pred DIR --gt DIR [--json] [--crop N] [--y] [--lpips WEIGHTS.safetensors [--lpips-net vgg|alex]]
  --lpips  adds LPIPS (v0.1, RGB in [-1, 1], same border crop; --y does not apply) from the lpips package's weights,
           exported once where PyTorch and the package are installed:
           ${LPIPS_EXPORT_HELP}
           The network (vgg or alex) is read from the weights; --lpips-net insists on one.`;

export async function main(argv: string[]): Promise<number> {
  let pred = '', gt = '', json = false, y = false, crop = 0, lpipsPath = '', lpipsNet = '';
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--pred') pred = argv[++i] ?? '';
    else if (a === '--gt') gt = argv[++i] ?? '';
    else if (a === '--json') json = true;
    else if (a === '--y') y = true;
    else if (a === '--crop') crop = Number(argv[++i]);
    else if (a === '--lpips') lpipsPath = argv[++i] ?? '';
    else if (a === '--lpips-net') lpipsNet = argv[++i] ?? '';
    else if (a === '-h' || a === '--help') { console.log(USAGE); return 0; }
    else { console.error(`hvar eval: unknown argument '${a}'\n${USAGE}`); return 2; }
  }
  if (!pred || !gt || !Number.isInteger(crop) || crop < 0) { console.error(USAGE); return 2; }
  if (lpipsNet && lpipsNet !== 'vgg' && lpipsNet !== 'alex') { console.error(`hvar eval: --lpips-net must be vgg or alex, got '${lpipsNet}'`); return 2; }
  if (lpipsNet && !lpipsPath) { console.error('hvar eval: --lpips-net needs --lpips WEIGHTS.safetensors'); return 2; }
  try {
    const r: EvalReport & { lpips?: LpipsColumn } = await evaluateDirs(pred, gt, { crop, y });
    if (lpipsPath) r.lpips = await lpipsColumn(r, lpipsPath, (lpipsNet || undefined) as LpipsNet | undefined, crop);
    if (json) console.log(JSON.stringify(withLpipsFields(r), (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v), 1));
    else {
      const table = formatEvalTable(r);
      console.log(r.lpips ? appendColumn(table, `LPIPS (${r.lpips.net})`, r.lpips.values.map((v) => v.toFixed(4)), r.lpips.mean.toFixed(4)) : table);
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

interface LpipsColumn { net: LpipsNet; values: number[]; mean: number }

/** LPIPS of every matched pair, on the GPU, one pair at a time. */
async function lpipsColumn(r: EvalReport, path: string, net: LpipsNet | undefined, crop: number): Promise<LpipsColumn> {
  const dev = await Device.create();
  try {
    const model = await loadLpips(dev, path, net);
    const values: number[] = [];
    for (const row of r.rows) {
      const [p, g] = await Promise.all([readImage(row.pred), readImage(row.gt)]);
      values.push(await lpipsImages(model, dev, p, g, crop));
    }
    model.dispose();
    return { net: model.kind, values, mean: values.length ? values.reduce((s, v) => s + v, 0) / values.length : NaN };
  } finally { dev.destroy(); }
}

/** The JSON report: `lpips` on every row and on the mean, and options.lpips = the network (absent without --lpips). */
function withLpipsFields(r: EvalReport & { lpips?: LpipsColumn }) {
  const { lpips, ...rest } = r;
  if (!lpips) return rest;
  return {
    ...rest,
    options: { ...rest.options, lpips: lpips.net },
    rows: rest.rows.map((row, i) => ({ ...row, lpips: lpips.values[i] })),
    mean: { ...rest.mean, lpips: lpips.mean },
  };
}

/** Appends a right-aligned column to a markdown table: header, separator, one cell per body row, the last in bold. */
function appendColumn(table: string, header: string, cells: string[], last: string): string {
  const lines = table.split('\n');
  if (lines.length !== cells.length + 3) throw new Error(`hvar eval: internal error: ${lines.length} table lines for ${cells.length} rows`);
  return lines.map((l, i) => (i === 1 ? `${l}---:|` : `${l} ${i === 0 ? header : i === lines.length - 1 ? `**${last}**` : cells[i - 2]} |`)).join('\n');
}
