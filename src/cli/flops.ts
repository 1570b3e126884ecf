// `hvar flops --model NAME [--json]`: analytic parameter and FLOP counts per part (paper accounting and full count).
import { countModel, formatCount, MODEL_CONFIGS, MODEL_NAMES } from '../models/flops.ts';
import { parseCommand, runCommand, stringFlag, UsageError } from './args.ts';

export const USAGE = `usage: hvar flops --model NAME [--json]
  --model NAME  one of ${MODEL_NAMES.join(', ')}
                (d16 = H-VAR as in the paper; var-d16 uses the 256 schedule, var-d16-512 the 512 one)
  --json        the count as JSON: {config, parts: [{name, group, params, paperFlops, fullFlops}], attention, totals}`;

export async function main(argv: string[]): Promise<number> {
  return runCommand(async () => {
    const a = parseCommand('flops', argv, { model: { type: 'string' }, json: { type: 'boolean' } }, { names: [] });
    if (!a) { console.log(USAGE); return 0; }
    const name = stringFlag('flops', '--model', a.values.model);
    if (!name) throw new UsageError('flops', '--model is required');
    const cfg = MODEL_CONFIGS[name];
    if (!cfg) throw new UsageError('flops', `unknown model '${name}' (one of ${MODEL_NAMES.join(', ')})`);
    const c = countModel(cfg);
    console.log(a.values.json ? JSON.stringify(c, null, 2) : formatCount(c));
    return 0;
  });
}
