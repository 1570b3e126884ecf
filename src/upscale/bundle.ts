// H-VAR model bundles: one safetensors holding the tokenizer (keys `vqvae.*`) and the transformer (`hvar.*`), both configurations and
// a model card in the metadata. Built from bytes or host tensors, so that browsers can use it (the file functions are in bundle_file.ts).
import { parseSafetensors, type Device, type StInput } from '../index.ts';
import { VQVAE, type HostTensorLike } from '../models/vqvae/vqvae.ts';
import { vqvaeConfig, downsampleOf, type VQVAEConfig } from '../models/vqvae/config.ts';
import { HVAR } from '../models/hvar/hvar.ts';
import { hvarConfig, type HVARConfig } from '../models/hvar/config.ts';

/** Metadata keys of a bundle: the format version, the two configurations (JSON) and the model card (JSON). */
export const BUNDLE_FORMAT_KEY = 'hvar.bundle';
export const BUNDLE_VQVAE_KEY = 'hvar.vqvae.config';
export const BUNDLE_HVAR_KEY = 'hvar.hvar.config';
export const BUNDLE_CARD_KEY = 'hvar.model.card';
export const BUNDLE_FORMAT = '1';

/** Sampling settings a card may recommend; options given to upscale() override them. */
export interface CardSampling { cfg?: number; topK?: number; topP?: number }

/**
 * Provenance of a bundle: a name, the training data, steps and commands that made it, the licence of the weights. Only `name`
 * is required; other JSON fields are kept as they are.
 */
export interface ModelCard {
  name: string;
  data?: string;
  steps?: number;
  commands?: string[];
  licence?: string;
  sampling?: CardSampling;
  [k: string]: unknown;
}

/** How a bundle is written: floating-point tensors as F32 (default) or rounded to F16 / BF16 (half the file; read back as f32). */
export interface BundleWriteOptions { dtype?: 'F32' | 'F16' | 'BF16' }

/**
 * A loaded bundle: the tokenizer and transformer on one device, the card, and the sizes the upscaler works with. Both are in
 * eval mode with their weights laid out once for inference (VQVAE.prepareForInference, HVAR.prepareForInference: about the
 * weights' size again in GPU memory, no repacking per conv or product); a caller that trains either in place calls its
 * releaseInference() first.
 */
export interface HVARBundle {
  vae: VQVAE;
  model: HVAR;
  card: ModelCard;
  /** Where it came from (a path or 'bytes'), for messages. */
  source: string;
  /** LR side of one model tile in pixels (the first segment's image side: 128 for the paper's configuration). */
  lrSide: number;
  /** Output size of each segment relative to the LR tile (1, 2, 4). */
  factors: number[];
  dispose(): void;
}

/** The card checked: an object with a non-empty name and, where present, fields of the documented types. */
export function checkCard(card: unknown, what: string): ModelCard {
  if (typeof card !== 'object' || card === null || Array.isArray(card)) throw new Error(`${what}: the model card must be a JSON object, got ${JSON.stringify(card)}`);
  const c = card as Record<string, unknown>;
  if (typeof c.name !== 'string' || !c.name) throw new Error(`${what}: the model card needs a non-empty string 'name'`);
  for (const k of ['data', 'licence'] as const) if (c[k] !== undefined && typeof c[k] !== 'string') throw new Error(`${what}: model card field '${k}' must be a string`);
  if (c.steps !== undefined && !(Number.isInteger(c.steps) && (c.steps as number) >= 0)) throw new Error(`${what}: model card field 'steps' must be an integer >= 0`);
  if (c.commands !== undefined && !(Array.isArray(c.commands) && c.commands.every((s) => typeof s === 'string')))
    throw new Error(`${what}: model card field 'commands' must be a list of strings`);
  if (c.sampling !== undefined) {
    const s = c.sampling as Record<string, unknown>;
    if (typeof s !== 'object' || s === null || Array.isArray(s)) throw new Error(`${what}: model card field 'sampling' must be an object {cfg, topK, topP}`);
    for (const k of ['cfg', 'topK', 'topP'] as const) if (s[k] !== undefined && !(typeof s[k] === 'number' && Number.isFinite(s[k]))) throw new Error(`${what}: model card field 'sampling.${k}' must be a number`);
  }
  return c as ModelCard;
}

/** The configurations and card in a bundle's metadata, checked against each other; errors name `what` (the file). */
export function bundleMetadata(metadata: Record<string, string> | undefined, what: string): { vaeCfg: VQVAEConfig; hvarCfg: HVARConfig; card: ModelCard } {
  const m = metadata ?? {};
  const missing = [BUNDLE_VQVAE_KEY, BUNDLE_HVAR_KEY, BUNDLE_CARD_KEY].filter((k) => m[k] === undefined);
  if (missing.length)
    throw new Error(`${what}: not an H-VAR model bundle (no ${missing.map((k) => `'${k}'`).join(', ')} in its metadata; bundles are written by saveBundle / 'hvar bundle')`);
  if (m[BUNDLE_FORMAT_KEY] !== undefined && m[BUNDLE_FORMAT_KEY] !== BUNDLE_FORMAT)
    throw new Error(`${what}: bundle format '${m[BUNDLE_FORMAT_KEY]}' is not supported (this hvar reads format ${BUNDLE_FORMAT})`);
  const json = (k: string) => { try { return JSON.parse(m[k]!) as unknown; } catch (e) { throw new Error(`${what}: metadata '${k}' is not valid JSON: ${(e as Error).message}`); } };
  let vaeCfg: VQVAEConfig, hvarCfg: HVARConfig;
  try { vaeCfg = vqvaeConfig(json(BUNDLE_VQVAE_KEY) as object); } catch (e) { throw new Error(`${what}: tokenizer configuration: ${(e as Error).message}`); }
  try { hvarCfg = hvarConfig(json(BUNDLE_HVAR_KEY) as object); } catch (e) { throw new Error(`${what}: transformer configuration: ${(e as Error).message}`); }
  const card = checkCard(json(BUNDLE_CARD_KEY), what);
  checkPair(vaeCfg, hvarCfg, what);
  return { vaeCfg, hvarCfg, card };
}

/**
 * Checks that the tokenizer and transformer belong together and give the ×1, ×2, ×4 outputs: the same schedule, vocabulary and
 * code width, three segments with sides s, 2s, 4s, and an LR tile side (s × the downsampling) that divides the output side.
 */
export function checkPair(v: VQVAEConfig, h: HVARConfig, what: string): { lrSide: number; factors: number[] } {
  const seg = (s: { side: number; scales: readonly number[] }[]) => s.map((x) => `${x.side}:[${x.scales.join(',')}]`).join(' ');
  if (seg(v.segments) !== seg(h.segments)) throw new Error(`${what}: the tokenizer's schedule (${seg(v.segments)}) differs from the transformer's (${seg(h.segments)})`);
  if (v.vocabSize !== h.vocab || v.zChannels !== h.cvae)
    throw new Error(`${what}: the tokenizer (vocab ${v.vocabSize}, z ${v.zChannels}) does not match the transformer (vocab ${h.vocab}, Cvae ${h.cvae})`);
  const sides = h.segments.map((s) => s.side), s0 = sides[0]!;
  const factors = sides.map((s) => s / s0);
  if (factors.join() !== '1,2,4') throw new Error(`${what}: the upscaler needs three segments of sides s, 2s, 4s (×1, ×2, ×4); this schedule has sides [${sides.join(', ')}]`);
  const d = downsampleOf(v), lrSide = s0 * d, outSide = h.prefixSide * d;
  if (outSide % lrSide) throw new Error(`${what}: the LR tile side ${lrSide} does not divide the transformer's output side ${outSide} (prefix side ${h.prefixSide} × ${d})`);
  return { lrSide, factors };
}

/** Builds a bundle on `dev` from its metadata and a host tensor map keyed `vqvae.*` / `hvar.*` (strict: every key used, none missing). */
export function bundleFromHost(dev: Device, metadata: Record<string, string> | undefined, tensors: ReadonlyMap<string, HostTensorLike>, what: string): HVARBundle {
  const { vaeCfg, hvarCfg, card } = bundleMetadata(metadata, what);
  const vaeSd = new Map<string, HostTensorLike>(), hvarSd: Record<string, { shape: number[]; data: Float32Array | Int32Array }> = {};
  const other: string[] = [];
  for (const [k, t] of tensors) {
    if (k.startsWith('vqvae.')) vaeSd.set(k.slice(6), t);
    else if (k.startsWith('hvar.')) hvarSd[k.slice(5)] = { shape: [...t.shape], data: t.data instanceof Float32Array || t.data instanceof Int32Array ? t.data : Float32Array.from(t.data) };
    else other.push(k);
  }
  if (other.length) throw new Error(`${what}: tensors outside 'vqvae.' and 'hvar.': ${other.slice(0, 5).join(', ')}${other.length > 5 ? ` (+${other.length - 5})` : ''}`);
  let vae: VQVAE | null = null, model: HVAR | null = null;
  try {
    try { vae = VQVAE.fromStateDict(dev, vaeCfg, vaeSd, { source: `${what} (vqvae.*)` }); } catch (e) { throw new Error(`${what}: tokenizer: ${(e as Error).message}`); }
    model = new HVAR(dev, hvarCfg, { init: 'none' });
    let r;
    try { r = model.loadStateDict(hvarSd, { strict: false, source: `${what} (hvar.*)` }); } catch (e) { throw new Error(`${what}: transformer: ${(e as Error).message}`); }
    const missing = r.missing.filter((k) => !/^blocks\.\d+\.attn\.zero_k_bias$/.test(k));
    if (missing.length || r.unexpected.length)
      throw new Error(`${what}: transformer: ${[missing.length ? `missing hvar.${missing.slice(0, 5).join(', hvar.')}${missing.length > 5 ? ` (+${missing.length - 5})` : ''}` : '',
        r.unexpected.length ? `unexpected hvar.${r.unexpected.slice(0, 5).join(', hvar.')}${r.unexpected.length > 5 ? ` (+${r.unexpected.length - 5})` : ''}` : ''].filter(Boolean).join('; ')}`);
    model.eval().prepareForInference();
    vae.eval().prepareForInference();
  } catch (e) { vae?.dispose(); model?.dispose(); throw e; }
  const { lrSide, factors } = checkPair(vaeCfg, hvarCfg, what);
  const v = vae!, m = model!;
  return { vae: v, model: m, card, source: what, lrSide, factors, dispose() { v.dispose(); m.dispose(); } };
}

/** A bundle from the bytes of its file (e.g. fetched in a browser); `what` names it in errors. */
export function parseBundle(dev: Device, bytes: Uint8Array, what = 'model bundle'): HVARBundle {
  const { tensors, metadata } = parseSafetensors(bytes, what);
  return bundleFromHost(dev, metadata, tensors, what);
}

/** The tensors (F32, I32 kept) and metadata of a bundle holding `vae` and `model`, for writing as safetensors. */
export async function bundleTensors(vae: VQVAE, model: HVAR, card: ModelCard, o: BundleWriteOptions = {}): Promise<{ tensors: Record<string, StInput>; metadata: Record<string, string> }> {
  checkCard(card, 'bundle');
  checkPair(vae.cfg, model.cfg, 'bundle');
  const float = o.dtype ?? 'F32';
  if (!['F32', 'F16', 'BF16'].includes(float)) throw new Error(`bundle: dtype must be F32, F16 or BF16, got '${float}'`);
  const tensors: Record<string, StInput> = {};
  for (const [prefix, sd] of [['vqvae.', vae.stateDict()], ['hvar.', model.stateDict()]] as const)
    for (const [k, t] of Object.entries(sd)) {
      const data = await t.toArray();
      if (t.dtype === 'i32') { tensors[prefix + k] = { dtype: 'I32', shape: [...t.shape], data: data as Int32Array }; continue; }
      const f = data as Float32Array;
      if (float === 'F16') for (let i = 0; i < f.length; i++) if (Math.abs(f[i]!) > 65504) throw new Error(`bundle: '${prefix + k}' holds ${f[i]}, beyond F16's range (±65504); write the bundle as F32 or BF16`);
      tensors[prefix + k] = { dtype: float, shape: [...t.shape], data: f };
    }
  const metadata = {
    [BUNDLE_FORMAT_KEY]: BUNDLE_FORMAT, [BUNDLE_VQVAE_KEY]: JSON.stringify(vae.cfg), [BUNDLE_HVAR_KEY]: JSON.stringify(model.cfg),
    [BUNDLE_CARD_KEY]: JSON.stringify(card), format: 'pt',
  };
  return { tensors, metadata };
}
