// Model bundle files (Node, Deno): saveBundle writes one safetensors (temp file + rename), loadBundle reads it tensor by tensor,
// describeBundle reads only its header (card and configurations) for `hvar inspect`.
import { statSync } from 'node:fs';
import { openSafetensors, writeSafetensors, type Device } from '../index.ts';
import { checkOutputPath } from '../io/atomic.ts';
import type { VQVAE, HostTensorLike } from '../models/vqvae/vqvae.ts';
import type { HVAR } from '../models/hvar/hvar.ts';
import type { VQVAEConfig } from '../models/vqvae/config.ts';
import type { HVARConfig } from '../models/hvar/config.ts';
import { bundleFromHost, bundleMetadata, bundleTensors, checkPair, type BundleWriteOptions, type HVARBundle, type ModelCard } from './bundle.ts';

/** Writes the tokenizer, the transformer and the card to `path` (.safetensors) through a temp file renamed into place; `dtype`
 * F16 / BF16 rounds the floating-point tensors (round to nearest even) to halve the file. */
export async function saveBundle(path: string, vae: VQVAE, model: HVAR, card: ModelCard, o: BundleWriteOptions = {}): Promise<void> {
  checkOutputPath(path, ['.safetensors'], 'model bundle');
  const { tensors, metadata } = await bundleTensors(vae, model, card, o);
  await writeSafetensors(path, tensors, metadata);
}

/** Errors for a path that is not a readable regular file, naming it. */
function checkFile(path: string): void {
  let st;
  try { st = statSync(path); } catch { throw new Error(`model bundle '${path}': no such file`); }
  if (!st.isFile()) throw new Error(`model bundle '${path}': not a regular file`);
}

/** Loads a bundle onto `dev`. Errors name the file: missing, not safetensors, truncated, not a bundle, mismatched parts. */
export async function loadBundle(dev: Device, path: string): Promise<HVARBundle> {
  checkFile(path);
  let f;
  try { f = await openSafetensors(path); } catch (e) { throw new Error(`model bundle ${(e as Error).message}`); }
  bundleMetadata(f.metadata, path); // fails before any tensor is read
  const tensors = new Map<string, HostTensorLike>();
  for (const k of f.keys()) tensors.set(k, await f.read(k));
  return bundleFromHost(dev, f.metadata, tensors, path);
}

/** The card, the two configurations and the parameter counts of a bundle, from its header alone. */
export async function describeBundle(path: string): Promise<{ card: ModelCard; vae: VQVAEConfig; hvar: HVARConfig; lrSide: number; parameters: { vqvae: number; hvar: number } }> {
  checkFile(path);
  const f = await openSafetensors(path);
  const { vaeCfg, hvarCfg, card } = bundleMetadata(f.metadata, path);
  const count = (p: string) => f.keys().filter((k) => k.startsWith(p) && !/zero_k_bias$|ema_vocab_hit_SV$/.test(k))
    .reduce((s, k) => s + f.info(k).shape.reduce((a, d) => a * d, 1), 0);
  return { card, vae: vaeCfg, hvar: hvarCfg, lrSide: checkPair(vaeCfg, hvarCfg, path).lrSide, parameters: { vqvae: count('vqvae.'), hvar: count('hvar.') } };
}
