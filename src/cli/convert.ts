// `hvar convert IN.pth OUT.safetensors [--key K]`: a PyTorch checkpoint's tensors (state-dict contents only) to safetensors.
import { basename } from 'node:path';
import { loadPthStateDict, type PthDtype, type PthTensor } from '../engine/io/pth.ts';
import { writeSafetensors, type StDtype, type StInput } from '../engine/io/safetensors.ts';
import { checkOutputPath, OutputError } from '../io/atomic.ts';
import { checkInputFile, parseCommand, runCommand, stringFlag } from './args.ts';

export const USAGE = `usage: hvar convert IN.pth OUT.safetensors [--key KEY]
  IN.pth       a torch.save zip checkpoint (torch >= 1.6); only tensors, dicts and plain values are read, nothing is run
  OUT          .safetensors, written atomically; float32/float16/bfloat16/int64/int32/uint8 keep their dtype,
               float64 is written as F32, int16/int8 as I32, bool as U8
  --key KEY    dotted path of nested dict keys to convert, e.g. trainer.vae_local (default: the whole file,
               tensors named by their dotted key paths)`;

/** The safetensors dtype each .pth dtype is written as (the data is already decoded to these array types). */
export const OUT_DTYPE: Record<PthDtype, StDtype> = {
  float32: 'F32', float16: 'F16', bfloat16: 'BF16', float64: 'F32', int64: 'I64', int32: 'I32', int16: 'I32', int8: 'I32', uint8: 'U8', bool: 'U8',
};

export function toSafetensorsInput(tensors: Map<string, PthTensor>): Record<string, StInput> {
  const out: Record<string, StInput> = {};
  for (const [name, t] of tensors) out[name] = { dtype: OUT_DTYPE[t.dtype], shape: t.shape, data: t.data };
  return out;
}

export async function main(argv: string[]): Promise<number> {
  return runCommand(async () => {
    const a = parseCommand('convert', argv, { key: { type: 'string' } }, { names: ['IN', 'OUT'] });
    if (!a) { console.log(USAGE); return 0; }
    const key = stringFlag('convert', '--key', a.values.key);
    const [inp, out] = a.positionals as [string, string];
    checkInputFile('convert', 'IN', inp);
    checkOutputPath(out, ['.safetensors']);
    const tensors = await loadPthStateDict(inp, key);
    if (tensors.size === 0) throw new Error(`hvar convert: '${inp}' has no tensors${key ? ` under key '${key}'` : ''}`);
    const meta: Record<string, string> = { format: 'pt', source: basename(inp) };
    if (key) meta.key = key;
    try {
      await writeSafetensors(out, toSafetensorsInput(tensors), meta);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      throw err.code ? new OutputError(out, err.code === 'ENOSPC' ? 'no space left on device' : err.message) : e;
    }
    let params = 0;
    for (const t of tensors.values()) params += t.data.length;
    console.log(`${inp} -> ${out}: ${tensors.size} tensors, ${params} parameters${key ? ` (key ${key})` : ''}`);
    return 0;
  });
}
