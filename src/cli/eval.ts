// `hvar eval --pred DIR --gt DIR [--json] [--crop N] [--y] [--lpips WEIGHTS [--lpips-net vgg|alex]]`: PSNR/SSIM (and
// LPIPS when its weights are given) per image, matched by stem, and the mean; bad pairs are named and make the exit 1.
import { evaluateDirs, formatEvalTable, type EvalReport } from '../metrics/eval_dirs.ts';
import { DEFAULT_MAX_PIXELS, type ImageCHW } from '../io/image.ts';
import { LPIPS_EXPORT_HELP, type LpipsNet } from '../metrics/lpips.ts';
import { checkInputDir, checkInputFile, intFlag, parseCommand, runCommand, stringFlag, UsageError } from './args.ts';

/** LPIPS runs a whole image through VGG/AlexNet on the GPU; larger pairs are reported as bad instead. */
export const LPIPS_MAX_PIXELS = 4 * 1024 * 1024;

export const USAGE = `usage: hvar eval --pred DIR --gt DIR [--json] [--crop N] [--y] [--max-pixels N] [--lpips WEIGHTS.safetensors [--lpips-net vgg|alex]]
  --crop N        pixels removed from each border before measuring (default 0)
  --y             measure PSNR/SSIM on the BT.601 Y channel
  --max-pixels N  largest image accepted, in pixels (default ${DEFAULT_MAX_PIXELS})
  --lpips         adds LPIPS (v0.1, RGB in [-1, 1], same border crop; --y does not apply; images up to ${LPIPS_MAX_PIXELS} pixels)
                  from the lpips package's weights, exported once where PyTorch and the package are installed:
                  ${LPIPS_EXPORT_HELP}
                  The network (vgg or alex) is read from the weights; --lpips-net insists on one.
  A pair that cannot be measured (unreadable, sizes differ, too small) is named on stderr; the others are still
  reported and the exit code is 1.`;

export async function main(argv: string[]): Promise<number> {
  return runCommand(async () => {
    const a = parseCommand('eval', argv, { pred: { type: 'string' }, gt: { type: 'string' }, json: { type: 'boolean' }, y: { type: 'boolean' },
      crop: { type: 'string' }, lpips: { type: 'string' }, 'lpips-net': { type: 'string' }, 'max-pixels': { type: 'string' } }, { names: [] });
    if (!a) { console.log(USAGE); return 0; }
    const pred = stringFlag('eval', '--pred', a.values.pred), gt = stringFlag('eval', '--gt', a.values.gt);
    if (!pred) throw new UsageError('eval', '--pred DIR is required');
    if (!gt) throw new UsageError('eval', '--gt DIR is required');
    const crop = intFlag('eval', '--crop', a.values.crop, 0, 0);
    const maxPixels = intFlag('eval', '--max-pixels', a.values['max-pixels'], DEFAULT_MAX_PIXELS, 1);
    const lpipsPath = stringFlag('eval', '--lpips', a.values.lpips), lpipsNet = stringFlag('eval', '--lpips-net', a.values['lpips-net']);
    if (lpipsNet && lpipsNet !== 'vgg' && lpipsNet !== 'alex') throw new UsageError('eval', `--lpips-net expects vgg or alex, got '${lpipsNet}'`);
    if (lpipsNet && !lpipsPath) throw new UsageError('eval', '--lpips-net needs --lpips WEIGHTS.safetensors');
    checkInputDir('eval', '--pred', pred);
    checkInputDir('eval', '--gt', gt);
    if (lpipsPath) checkInputFile('eval', '--lpips', lpipsPath);
    const y = !!a.values.y, json = !!a.values.json;

    let r: EvalReport, net: LpipsNet | undefined;
    if (lpipsPath) {
      const { Device } = await import('../engine/index.ts');
      const { loadLpips, lpipsImages } = await import('../metrics/lpips.ts');
      const dev = await Device.create();
      try {
        const model = await loadLpips(dev, lpipsPath, lpipsNet as LpipsNet | undefined);
        net = model.kind;
        try {
          const extra = async (p: ImageCHW, g: ImageCHW) => {
            if (p.w * p.h > LPIPS_MAX_PIXELS) throw new Error(`LPIPS on ${p.w}x${p.h} is over its limit of ${LPIPS_MAX_PIXELS} pixels`);
            return lpipsImages(model, dev, p, g, crop);
          };
          r = await evaluateDirs(pred, gt, { crop, y, extra }, { maxPixels });
        } finally { model.dispose(); }
      } finally { dev.destroy(); }
    } else r = await evaluateDirs(pred, gt, { crop, y }, { maxPixels });

    if (json) console.log(JSON.stringify(jsonReport(r, net), (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v), 1));
    else {
      const table = formatEvalTable(r);
      console.log(net ? appendColumn(table, `LPIPS (${net})`, r.rows.map((row) => (row.extra as number).toFixed(4)), (r.mean.extra as number).toFixed(4)) : table);
      if (r.unmatchedPred.length || r.unmatchedGt.length)
        console.log(`\nunmatched: ${r.unmatchedPred.length} prediction(s) [${r.unmatchedPred.slice(0, 5).join(', ')}], ${r.unmatchedGt.length} ground truth(s) [${r.unmatchedGt.slice(0, 5).join(', ')}]`);
    }
    for (const f of r.failed) console.error(`hvar eval: bad pair '${f.pred}' / '${f.gt}': ${f.reason}`);
    if (r.rows.length === 0 && r.failed.length === 0) { console.error('hvar eval: no prediction matched a ground-truth file by name'); return 1; }
    if (r.failed.length) { console.error(`hvar eval: ${r.failed.length} of ${r.failed.length + r.rows.length} pair(s) could not be measured`); return 1; }
    return 0;
  });
}

/** The JSON report: `lpips` on every row and on the mean, and options.lpips = the network (absent without --lpips). */
function jsonReport(r: EvalReport, net: LpipsNet | undefined) {
  const strip = <T extends { extra?: number }>({ extra, ...rest }: T) => (net ? { ...rest, lpips: extra } : rest);
  return { ...r, options: net ? { ...r.options, lpips: net } : r.options, rows: r.rows.map(strip), mean: strip(r.mean) };
}

/** Appends a right-aligned column to a markdown table: header, separator, one cell per body row, the last in bold. */
function appendColumn(table: string, header: string, cells: string[], last: string): string {
  const lines = table.split('\n');
  if (lines.length !== cells.length + 3) throw new Error(`hvar eval: internal error: ${lines.length} table lines for ${cells.length} rows`);
  return lines.map((l, i) => (i === 1 ? `${l}---:|` : `${l} ${i === 0 ? header : i === lines.length - 1 ? `**${last}**` : cells[i - 2]} |`)).join('\n');
}
