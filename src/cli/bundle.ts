// `hvar bundle --vae FILE --hvar FILE --card CARD.json OUT.safetensors`: the tokenizer and the transformer (as `hvar train` writes
// them) and a model card in one H-VAR model bundle, the file `hvar upscale --model` and the web demo load.
import { readFileSync } from 'node:fs';
import { checkOutputPath } from '../io/atomic.ts';
import { checkInputFile, parseCommand, runCommand, stringFlag, UsageError } from './args.ts';

export const USAGE = `usage: hvar bundle --vae FILE --hvar FILE --card CARD.json OUT.safetensors [--vae-key K] [--dtype f32|f16|bf16]
  --vae FILE     the tokenizer: .safetensors from 'hvar train tokenizer' (or a VAR .pth with --vae-key); it is given the transformer's schedule
  --hvar FILE    the transformer: .safetensors from 'hvar train hvar' (DIR/hvar.safetensors)
  --card FILE    JSON model card: {"name": ..., "data": ..., "steps": N, "commands": [...], "licence": ..., "sampling": {"cfg", "topK", "topP"}};
                 only name is required; sampling gives hvar upscale's defaults
  --dtype D      how the weights are stored: f32 (default), f16 or bf16 (half the file; read back as f32)
  OUT            .safetensors, written to a temp file and renamed; 'hvar inspect OUT' shows the card`;

export async function main(argv: string[]): Promise<number> {
  return runCommand(async () => {
    const a = parseCommand('bundle', argv, { vae: { type: 'string' }, hvar: { type: 'string' }, card: { type: 'string' }, 'vae-key': { type: 'string' }, dtype: { type: 'string' } }, { names: ['OUT'] });
    if (!a) { console.log(USAGE); return 0; }
    const cmd = 'bundle';
    const vaePath = stringFlag(cmd, '--vae', a.values.vae), hvarPath = stringFlag(cmd, '--hvar', a.values.hvar), cardPath = stringFlag(cmd, '--card', a.values.card);
    if (!vaePath) throw new UsageError(cmd, 'missing --vae FILE');
    if (!hvarPath) throw new UsageError(cmd, 'missing --hvar FILE');
    if (!cardPath) throw new UsageError(cmd, 'missing --card FILE');
    const dtypeName = (stringFlag(cmd, '--dtype', a.values.dtype) ?? 'f32').toLowerCase();
    const dtype = ({ f32: 'F32', f16: 'F16', bf16: 'BF16' } as const)[dtypeName as 'f32'];
    if (!dtype) throw new UsageError(cmd, `--dtype must be f32, f16 or bf16, got '${dtypeName}'`);
    for (const [f, p] of [['--vae', vaePath], ['--hvar', hvarPath], ['--card', cardPath]] as const) checkInputFile(cmd, f, p);
    const [out] = a.positionals as [string];
    checkOutputPath(out, ['.safetensors'], 'model bundle');
    const { checkCard } = await import('../upscale/bundle.ts');
    let cardJson: unknown;
    try { cardJson = JSON.parse(readFileSync(cardPath, 'utf8')); } catch (e) { throw new Error(`hvar bundle: --card '${cardPath}' is not valid JSON: ${(e as Error).message}`); }
    const card = checkCard(cardJson, `hvar bundle: --card '${cardPath}'`);

    const { Device } = await import('../engine/index.ts');
    const { loadVQVAE } = await import('../models/vqvae/index.ts');
    const { loadHVAR } = await import('../models/hvar/index.ts');
    const { saveBundle } = await import('../upscale/bundle_file.ts');
    const dev = await Device.create();
    try {
      const model = await loadHVAR(dev, hvarPath);
      const vae = await loadVQVAE(dev, vaePath, { key: stringFlag(cmd, '--vae-key', a.values['vae-key']), cfg: { segments: model.cfg.segments } });
      await saveBundle(out, vae, model, card, { dtype });
      console.log(`${out}: '${card.name}' (${dtype}): tokenizer ${vae.numParameters().toLocaleString('en-US')} parameters (${vaePath}), transformer ${model.numParameters().toLocaleString('en-US')} (${hvarPath}); schedule ${model.cfg.segments.map((s) => s.side).join('/')}`);
      vae.dispose(); model.dispose();
    } finally { dev.destroy(); }
    return 0;
  });
}
