// H-VAR files: safetensors with every parameter and buffer under its state-dict name and the configuration as JSON in the
// metadata (`hvar.hvar.config`); written to a temp file and renamed, loaded strictly.
import { openSafetensors, writeSafetensors, type Device, type StInput } from '../../index.ts';
import { checkOutputPath } from '../../io/atomic.ts';
import { hvarConfig, type HVARConfig, type HVARConfigInput } from './config.ts';
import { HVAR } from './hvar.ts';

/** Metadata key of the configuration JSON in H-VAR safetensors files. */
export const HVAR_CONFIG_KEY = 'hvar.hvar.config';

/** Writes the state dict as F32 (the level ids are derived, not stored) with the config in the metadata; temp file then rename. */
export async function saveHVAR(model: HVAR, path: string): Promise<void> {
  checkOutputPath(path, ['.safetensors'], 'H-VAR checkpoint');
  const tensors: Record<string, StInput> = {};
  for (const [k, t] of Object.entries(model.stateDict())) {
    const data = await t.toArray();
    tensors[k] = { dtype: t.dtype === 'i32' ? 'I32' : 'F32', shape: [...t.shape], data: data as Float32Array | Int32Array };
  }
  await writeSafetensors(path, tensors, { [HVAR_CONFIG_KEY]: JSON.stringify(model.cfg), format: 'pt' });
}

/** The configuration stored in an H-VAR safetensors file (no tensor data read). */
export async function describeHVAR(path: string): Promise<HVARConfig> {
  const f = await openSafetensors(path);
  const stored = f.metadata?.[HVAR_CONFIG_KEY];
  if (!stored) throw new Error(`loadHVAR: ${path} has no '${HVAR_CONFIG_KEY}' metadata (not written by saveHVAR; a VAR checkpoint goes through readVARStateDict + initHVARFromVAR)`);
  let parsed: HVARConfigInput;
  try { parsed = JSON.parse(stored) as HVARConfigInput; } catch (e) { throw new Error(`loadHVAR: ${path}: metadata '${HVAR_CONFIG_KEY}' is not valid JSON: ${(e as Error).message}`); }
  return hvarConfig(parsed);
}

/**
 * Builds H-VAR from the stored configuration (`overrides` may change training hyper-parameters such as condDropRate or
 * dropPathRate, not shapes) and loads every tensor strictly: a missing or unexpected key, or a shape that differs, is an error
 * naming the key. `blocks.*.attn.zero_k_bias` (all zeros) may be absent.
 */
export async function loadHVAR(dev: Device, path: string, o: { overrides?: Partial<Pick<HVARConfig, 'condDropRate' | 'dropPathRate' | 'normEps'>> } = {}): Promise<HVAR> {
  const cfg = hvarConfig({ ...(await describeHVAR(path)), ...o.overrides });
  const f = await openSafetensors(path);
  const sd: Record<string, { shape: number[]; data: Float32Array | Int32Array }> = {};
  for (const k of f.keys()) { const t = await f.read(k); sd[k] = { shape: [...t.shape], data: t.data instanceof Int32Array ? t.data : Float32Array.from(t.data as ArrayLike<number>) }; }
  const model = new HVAR(dev, cfg, { init: 'none' });
  try {
    const r = model.loadStateDict(sd, { strict: false, source: path });
    const missing = r.missing.filter((k) => !/^blocks\.\d+\.attn\.zero_k_bias$/.test(k));
    if (missing.length || r.unexpected.length)
      throw new Error(`loadHVAR ${path}: ${[missing.length ? `missing ${missing.slice(0, 8).join(', ')}${missing.length > 8 ? ` (+${missing.length - 8})` : ''}` : '',
        r.unexpected.length ? `unexpected ${r.unexpected.slice(0, 8).join(', ')}${r.unexpected.length > 8 ? ` (+${r.unexpected.length - 8})` : ''}` : ''].filter(Boolean).join('; ')}`);
  } catch (e) { model.dispose(); throw e; }
  return model;
}
