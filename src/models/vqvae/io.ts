// VQVAE files: load from a PyTorch .pth (optionally nested: `trainer.vae_local`) or the project's safetensors (config
// as JSON in the metadata under `hvar.vqvae.config`), inferring the config from shapes when none is stored or given;
// save as safetensors atomically.
import { openPth, inspectPth, openSafetensors, serializeSafetensors, type Device, type StInput } from '../../index.ts';
import { writeFileAtomic } from '../../io/atomic.ts';
import { inferVQVAEConfig, vqvaeConfig, type VQVAEConfig, type VQVAEConfigInput } from './config.ts';
import { VQVAE, type HostTensorLike } from './vqvae.ts';

/** Metadata key of the config JSON in hvar's VQVAE safetensors. */
export const VQVAE_CONFIG_KEY = 'hvar.vqvae.config';

export interface LoadVQVAEOptions {
  /** Dotted key path of a nested state dict in a .pth (e.g. 'trainer.vae_local'). */
  key?: string;
  /**
   * Config fields. For a .pth (and a safetensors file without a stored config) the architecture is inferred from the
   * key names and shapes and these fields override it (e.g. `segments: HIT_512`); for hvar's safetensors they override
   * the stored config.
   */
  cfg?: VQVAEConfigInput;
}

const isSafetensors = (path: string) => /\.safetensors$/i.test(path);

/** The config a checkpoint would load with, and how it was obtained (no tensor data read). */
export async function describeVQVAE(path: string, o: LoadVQVAEOptions = {}): Promise<{ cfg: VQVAEConfig; notes: string[] }> {
  if (isSafetensors(path)) {
    const f = await openSafetensors(path);
    const stored = f.metadata?.[VQVAE_CONFIG_KEY];
    if (stored) return { cfg: vqvaeConfig({ ...parseStored(stored, path), ...o.cfg }), notes: [`config from the file's metadata (${VQVAE_CONFIG_KEY})`] };
    return inferVQVAEConfig(new Map(f.keys().map((k) => [k, f.info(k).shape])), o.cfg, path);
  }
  const info = await inspectPth(path, { key: o.key });
  return inferVQVAEConfig(new Map([...info.tensors].map(([k, t]) => [k, t.shape])), o.cfg, path + (o.key ? ` [${o.key}]` : ''));
}

function parseStored(json: string, path: string): VQVAEConfigInput {
  try { return JSON.parse(json) as VQVAEConfigInput; } catch (e) { throw new Error(`${path}: metadata '${VQVAE_CONFIG_KEY}' is not valid JSON: ${(e as Error).message}`); }
}

/** Loads a VQVAE from a .pth (VAR's vae_ch160v4096z32.pth, trainer states with `key`) or hvar's .safetensors. */
export async function loadVQVAE(dev: Device, path: string, o: LoadVQVAEOptions = {}): Promise<VQVAE> {
  const { cfg, notes } = await describeVQVAE(path, o);
  const sd = new Map<string, HostTensorLike>();
  let source = path;
  if (isSafetensors(path)) {
    if (o.key) throw new Error(`loadVQVAE: --key/key selects a nested dict in a .pth; ${path} is a safetensors file`);
    const f = await openSafetensors(path);
    for (const k of f.keys()) sd.set(k, await f.read(k));
  } else {
    for (const [k, t] of (await openPth(path, { key: o.key })).tensors) sd.set(k, t);
    if (o.key) source = `${path} [${o.key}]`;
  }
  const vae = VQVAE.fromStateDict(dev, cfg, sd, { source });
  vae.configNotes = notes;
  return vae;
}

/** Writes every parameter and buffer (VAR's names) as F32 with the config in the metadata; temp file then rename. */
export async function saveVQVAE(vae: VQVAE, path: string): Promise<void> {
  const tensors: Record<string, StInput> = {};
  for (const [k, t] of Object.entries(vae.stateDict())) {
    const data = await t.toArray();
    tensors[k] = { dtype: t.dtype === 'i32' ? 'I32' : 'F32', shape: [...t.shape], data: data as Float32Array | Int32Array };
  }
  writeFileAtomic(path, serializeSafetensors(tensors, { [VQVAE_CONFIG_KEY]: JSON.stringify(vae.cfg), format: 'pt' }));
}
