// `hvar inspect FILE [--json] [--key K]`: tensor names, shapes, dtypes and parameter count of a .pth or .safetensors file.
import { extname } from 'node:path';
import { inspectPth, type PthTree } from '../engine/io/pth.ts';
import { openSafetensors } from '../engine/io/safetensors.ts';
import { numel } from '../engine/shape.ts';
import { checkInputFile, parseCommand, runCommand, stringFlag, UsageError } from './args.ts';
import { inferVQVAEConfig, vqvaeConfig, vqvaeParamCount, type VQVAEConfig } from '../models/vqvae/config.ts';

const VQVAE_CONFIG_KEY = 'hvar.vqvae.config';

export const USAGE = `usage: hvar inspect FILE [--json] [--key KEY]
  FILE         .safetensors (by extension), or any other name: a torch.save zip checkpoint (.pth, .pt, .ckpt)
  --json       one JSON object: {file, format, count, parameters, tensors: [{name, dtype, shape}], tree (.pth) | metadata,
               vqvae (a VAR VQVAE state dict: {config, notes, parameters} or {error})}
  --key KEY    .pth only: list the tensors under this dotted key path (e.g. trainer.vae_local)`;

interface Row { name: string; dtype: string; shape: number[] }
type VqvaeInfo = { config: VQVAEConfig; notes: string[]; parameters: number } | { error: string };

/** For a VAR VQVAE state dict: the config stored by hvar, or inferred from names and shapes (what was defaulted is noted). */
function vqvaeInfo(file: string, rows: Row[], metadata?: Record<string, string>): VqvaeInfo | undefined {
  const shapes = new Map(rows.map((r) => [r.name, r.shape]));
  if (!shapes.has('quantize.embedding.weight') || !shapes.has('encoder.conv_in.weight')) return undefined;
  try {
    const stored = metadata?.[VQVAE_CONFIG_KEY];
    const { cfg, notes } = stored ? { cfg: vqvaeConfig(JSON.parse(stored)), notes: [`config from the metadata (${VQVAE_CONFIG_KEY})`] } : inferVQVAEConfig(shapes, {}, file);
    return { config: cfg, notes, parameters: vqvaeParamCount(cfg) };
  } catch (e) { return { error: (e as Error).message }; }
}

function vqvaeLines(v: VqvaeInfo): string[] {
  if ('error' in v) return [`VQVAE: ${v.error}`];
  const c = v.config, share = c.shareQuantResi === 0 ? `${c.defaultQresiCounts || 'one per scale'} non-shared` : c.shareQuantResi === 1 ? '1 shared' : `${c.shareQuantResi} partially shared`;
  return [
    `VQVAE: vocab ${c.vocabSize}, z ${c.zChannels}, ch ${c.ch}, chMult [${c.chMult.join(', ')}], numResBlocks ${c.numResBlocks} (decoder ${c.numResBlocks + 1}), ` +
      `downsample x${2 ** (c.chMult.length - 1)}, φ ${share}, quant_conv ${c.quantConvKs}x${c.quantConvKs}; ${v.parameters.toLocaleString('en-US')} parameters`,
    `  schedule: ${c.segments.map((s) => `side ${s.side}: ${s.scales.join(', ')}`).join(' | ')}; beta ${c.beta}, quantResi ${c.quantResi}`,
    ...v.notes.map((n) => `  ${n}`),
  ];
}

function treeLines(t: PthTree, indent: string, out: string[]): void {
  if (t !== null && typeof t === 'object' && !Array.isArray(t)) {
    for (const [k, v] of Object.entries(t)) {
      if (v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length > 0) { out.push(`${indent}${k}:`); treeLines(v, indent + '  ', out); }
      else out.push(`${indent}${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`);
    }
  } else out.push(`${indent}${typeof t === 'string' ? t : JSON.stringify(t)}`);
}

export async function main(argv: string[]): Promise<number> {
  return runCommand(async () => {
    const a = parseCommand('inspect', argv, { json: { type: 'boolean' }, key: { type: 'string' } }, { names: ['FILE'] });
    if (!a) { console.log(USAGE); return 0; }
    const key = stringFlag('inspect', '--key', a.values.key);
    const [file] = a.positionals as [string];
    checkInputFile('inspect', 'FILE', file);
    const isSt = extname(file).toLowerCase() === '.safetensors';
    if (isSt && key) throw new UsageError('inspect', '--key applies to .pth files only');
    const rows: Row[] = [];
    let tree: PthTree | undefined, metadata: Record<string, string> | undefined;
    if (isSt) {
      const f = await openSafetensors(file);
      for (const name of f.keys()) { const i = f.info(name); rows.push({ name, dtype: i.dtype, shape: i.shape }); }
      metadata = f.metadata;
    } else {
      const info = await inspectPth(file, { key });
      for (const [name, t] of info.tensors) rows.push({ name, dtype: t.dtype, shape: t.shape });
      tree = info.tree;
    }
    const parameters = rows.reduce((s, r) => s + numel(r.shape), 0);
    const format = isSt ? 'safetensors' : 'pth';
    const vqvae = vqvaeInfo(file, rows, metadata);
    if (a.values.json) {
      console.log(JSON.stringify({ file, format, ...(key ? { key } : {}), count: rows.length, parameters, tensors: rows, ...(isSt ? { metadata: metadata ?? {} } : { tree }), ...(vqvae ? { vqvae } : {}) }));
      return 0;
    }
    const lines = [`${file}: ${format}, ${rows.length} tensors, ${parameters} parameters${key ? ` under '${key}'` : ''}`];
    if (tree !== undefined) { lines.push('tree:'); treeLines(tree, '  ', lines); }
    if (metadata && Object.keys(metadata).length) lines.push('metadata: ' + JSON.stringify(metadata));
    if (vqvae) lines.push(...vqvaeLines(vqvae));
    const w = Math.max(4, ...rows.map((r) => r.name.length)), dw = Math.max(5, ...rows.map((r) => r.dtype.length));
    if (rows.length) lines.push('tensors:');
    for (const r of rows) lines.push(`  ${r.name.padEnd(w)}  ${r.dtype.padEnd(dw)}  [${r.shape.join(', ')}]`);
    console.log(lines.join('\n'));
    return 0;
  });
}
