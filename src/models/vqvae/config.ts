// VQVAE configuration: VAR's VQVAE constructor arguments (camelCased), defaults, checks, state-dict shapes and the
// parameter count computed from a config alone, and the config inferred from a checkpoint's key names and shapes.
import { VAR_SCHEDULES, varSegments, type Segment } from '../quant/schedule.ts';

/**
 * VAR's `VQVAE(vocab_size, z_channels, ch, dropout, beta, using_znorm, quant_conv_ks, quant_resi, share_quant_resi,
 * default_qresi_counts, v_patch_nums)` plus the encoder/decoder's ch_mult and num_res_blocks (fixed to (1, 1, 2, 2, 4)
 * and 2 in VAR's class, free here) and the scale schedule as HIT segments (plain VAR = one segment).
 */
export interface VQVAEConfig {
  vocabSize: number;
  zChannels: number;
  ch: number;
  chMult: number[];
  /** Residual blocks per level: the encoder has this many, the decoder one more (as VAR's Encoder/Decoder). */
  numResBlocks: number;
  /** Only 0 (VAR's VQVAE never trains with dropout; the official module would add nn.Dropout). */
  dropout: number;
  beta: number;
  /** Only false. */
  usingZnorm: boolean;
  quantConvKs: number;
  quantResi: number;
  /** 0: one φ per scale (or defaultQresiCounts), 1: a single shared φ, n ≥ 2: n partially shared φ (VAR: 4). */
  shareQuantResi: number;
  defaultQresiCounts: number;
  /** The scale schedule; `patchNums` in the input is shorthand for one segment. */
  segments: Segment[];
  /** VAR applies φ at the last scale (true); VARSR and HART do not. */
  phiAtLastScale: boolean;
}

export type VQVAEConfigInput = Partial<Omit<VQVAEConfig, 'segments'>> & { segments?: readonly Segment[]; patchNums?: readonly number[] };

/**
 * Defaults: the released vae_ch160v4096z32 (VAR_FACTS §1.1) — VAR's class defaults except ch (its default is 128,
 * the release uses 160) — with VAR's 256-px schedule (the class default `v_patch_nums`).
 */
export const VQVAE_DEFAULTS: Omit<VQVAEConfig, 'segments'> = {
  vocabSize: 4096, zChannels: 32, ch: 160, chMult: [1, 1, 2, 2, 4], numResBlocks: 2, dropout: 0, beta: 0.25,
  usingZnorm: false, quantConvKs: 3, quantResi: 0.5, shareQuantResi: 4, defaultQresiCounts: 0, phiAtLastScale: true,
};

/** GroupNorm groups and eps of VAR's Normalize(). */
export const GN_GROUPS = 32, GN_EPS = 1e-6;

/** Fills defaults and checks every field; errors name the field, the value and what is accepted. */
export function vqvaeConfig(c: VQVAEConfigInput = {}): VQVAEConfig {
  if (c.segments && c.patchNums) throw new Error('VQVAE config: give either segments or patchNums, not both');
  const segments = c.segments ? c.segments.map((s) => ({ side: s.side, scales: [...s.scales] }))
    : varSegments(c.patchNums ?? VAR_SCHEDULES[256]);
  const { patchNums: _p, segments: _s, ...rest } = c;
  const cfg: VQVAEConfig = { ...VQVAE_DEFAULTS, ...rest, chMult: [...(c.chMult ?? VQVAE_DEFAULTS.chMult)], segments };
  const bad = (f: string, v: unknown, want: string) => { throw new Error(`VQVAE config: ${f} = ${JSON.stringify(v)}; ${want}`); };
  const posInt = (f: keyof VQVAEConfig) => { const v = cfg[f]; if (!(Number.isInteger(v) && (v as number) > 0)) bad(f, v, 'expected a positive integer'); };
  posInt('vocabSize'); posInt('zChannels'); posInt('ch');
  if (!cfg.chMult.length || cfg.chMult.some((m) => !(Number.isInteger(m) && m > 0))) bad('chMult', cfg.chMult, 'expected a non-empty list of positive integers');
  for (const m of [1, ...cfg.chMult]) if ((cfg.ch * m) % GN_GROUPS) bad('ch', cfg.ch, `every level's channels (ch × chMult) must divide into ${GN_GROUPS} GroupNorm groups; ${cfg.ch} × ${m} does not`);
  if (!(Number.isInteger(cfg.numResBlocks) && cfg.numResBlocks >= 0)) bad('numResBlocks', cfg.numResBlocks, 'expected an integer >= 0');
  if (cfg.dropout !== 0) bad('dropout', cfg.dropout, 'only 0 is supported (VAR trains its VQVAE without dropout)');
  if (cfg.usingZnorm !== false) bad('usingZnorm', cfg.usingZnorm, 'only false is supported (the cosine-distance search is disabled in VAR)');
  if (!(Number.isInteger(cfg.quantConvKs) && cfg.quantConvKs > 0 && cfg.quantConvKs % 2 === 1)) bad('quantConvKs', cfg.quantConvKs, 'expected an odd positive integer');
  if (!(cfg.quantResi > 1e-6 && cfg.quantResi <= 1)) bad('quantResi', cfg.quantResi, 'expected a value in (0, 1] (0 would make φ the identity, which this quantizer does not express)');
  if (!(cfg.beta >= 0)) bad('beta', cfg.beta, 'expected a number >= 0');
  if (!(Number.isInteger(cfg.shareQuantResi) && cfg.shareQuantResi >= 0)) bad('shareQuantResi', cfg.shareQuantResi, 'expected 0 (one φ per scale), 1 (shared) or n >= 2 (partially shared)');
  if (!(Number.isInteger(cfg.defaultQresiCounts) && cfg.defaultQresiCounts >= 0)) bad('defaultQresiCounts', cfg.defaultQresiCounts, 'expected an integer >= 0');
  if (typeof cfg.phiAtLastScale !== 'boolean') bad('phiAtLastScale', cfg.phiAtLastScale, 'expected a boolean');
  if (!segments.length) bad('segments', segments, 'expected at least one segment');
  return cfg;
}

/** Number of scales K of the schedule. */
export const scaleCount = (cfg: VQVAEConfig) => cfg.segments.reduce((n, s) => n + s.scales.length, 0);
/** Image-to-latent factor 2^(levels − 1). */
export const downsampleOf = (cfg: VQVAEConfig) => 2 ** (cfg.chMult.length - 1);
/** Image side the schedule encodes (its last segment's latent side × the downsampling factor). */
export const imageSideOf = (cfg: VQVAEConfig) => cfg.segments[cfg.segments.length - 1]!.side * downsampleOf(cfg);

/** φ convs the quantizer holds and how VAR names them (VAR_FACTS §2.3). */
export function phiLayout(cfg: VQVAEConfig): { count: number; keys: (i: number) => string } {
  const s = cfg.shareQuantResi;
  if (s === 0) return { count: cfg.defaultQresiCounts || scaleCount(cfg), keys: (i) => `quantize.quant_resi.${i}` };
  if (s === 1) return { count: 1, keys: () => 'quantize.quant_resi.qresi' };
  return { count: s, keys: (i) => `quantize.quant_resi.qresi_ls.${i}` };
}

export interface StateEntry { key: string; shape: number[]; buffer?: boolean }

/**
 * Every state-dict key of VAR's VQVAE with this config, with its shape, in VAR's order (computed from the config, not
 * from a module; the tests cross-check it against a built module and the official key list).
 */
export function vqvaeStateShapes(cfg: VQVAEConfig): StateEntry[] {
  const out: StateEntry[] = [];
  const conv = (k: string, o: number, i: number, ks: number) => { out.push({ key: `${k}.weight`, shape: [o, i, ks, ks] }, { key: `${k}.bias`, shape: [o] }); };
  const norm = (k: string, c: number) => { out.push({ key: `${k}.weight`, shape: [c] }, { key: `${k}.bias`, shape: [c] }); };
  const rb = (k: string, i: number, o: number) => {
    norm(`${k}.norm1`, i); conv(`${k}.conv1`, o, i, 3); norm(`${k}.norm2`, o); conv(`${k}.conv2`, o, o, 3);
    if (i !== o) conv(`${k}.nin_shortcut`, o, i, 1);
  };
  const ab = (k: string, c: number) => { norm(`${k}.norm`, c); conv(`${k}.qkv`, 3 * c, c, 1); conv(`${k}.proj_out`, c, c, 1); };
  const { ch, chMult: m, numResBlocks: n, zChannels: z } = cfg, L = m.length;
  // encoder
  conv('encoder.conv_in', ch, 3, 3);
  let c = ch;
  for (let l = 0; l < L; l++) {
    const o = ch * m[l]!;
    for (let b = 0; b < n; b++) { rb(`encoder.down.${l}.block.${b}`, c, o); c = o; }
    if (l === L - 1) for (let b = 0; b < n; b++) ab(`encoder.down.${l}.attn.${b}`, c);
    if (l !== L - 1) conv(`encoder.down.${l}.downsample.conv`, c, c, 3);
  }
  rb('encoder.mid.block_1', c, c); ab('encoder.mid.attn_1', c); rb('encoder.mid.block_2', c, c);
  norm('encoder.norm_out', c); conv('encoder.conv_out', z, c, 3);
  // decoder (VAR numbers up.<l> by level although the top level runs first; the state dict lists them by index)
  c = ch * m[L - 1]!;
  conv('decoder.conv_in', c, z, 3);
  rb('decoder.mid.block_1', c, c); ab('decoder.mid.attn_1', c); rb('decoder.mid.block_2', c, c);
  const ups: StateEntry[][] = [];
  for (let l = L - 1; l >= 0; l--) {
    const mark = out.length, o = ch * m[l]!;
    for (let b = 0; b <= n; b++) { rb(`decoder.up.${l}.block.${b}`, c, o); c = o; }
    if (l === L - 1) for (let b = 0; b <= n; b++) ab(`decoder.up.${l}.attn.${b}`, c);
    if (l !== 0) conv(`decoder.up.${l}.upsample.conv`, c, c, 3);
    ups[l] = out.splice(mark);
  }
  for (const u of ups) out.push(...u);
  norm('decoder.norm_out', c); conv('decoder.conv_out', 3, c, 3);
  // quantizer
  const phi = phiLayout(cfg);
  for (let i = 0; i < phi.count; i++) conv(phi.keys(i), z, z, 3);
  out.push({ key: 'quantize.ema_vocab_hit_SV', shape: [scaleCount(cfg), cfg.vocabSize], buffer: true });
  out.push({ key: 'quantize.embedding.weight', shape: [cfg.vocabSize, z] });
  conv('quant_conv', z, z, cfg.quantConvKs); conv('post_quant_conv', z, z, cfg.quantConvKs);
  return out;
}

/** Trainable parameters of the config (buffers excluded): 108,948,355 for vae_ch160v4096z32 (VAR_FACTS §1.5). */
export function vqvaeParamCount(cfg: VQVAEConfig): number {
  return vqvaeStateShapes(cfg).reduce((s, e) => s + (e.buffer ? 0 : e.shape.reduce((a, d) => a * d, 1)), 0);
}

/**
 * The architecture read off a state dict's names and shapes (vocab, z, ch, chMult, numResBlocks, quantConvKs, φ
 * sharing); what cannot be read (the schedule, β, quant_resi) comes from `given` or the defaults, and `notes` says which.
 */
export function inferVQVAEConfig(shapes: ReadonlyMap<string, readonly number[]>, given: VQVAEConfigInput = {}, what = 'checkpoint'): { cfg: VQVAEConfig; notes: string[] } {
  const need = (k: string, nd: number): readonly number[] => {
    const s = shapes.get(k);
    if (!s) throw new Error(`${what}: cannot infer the VQVAE config: no '${k}' (is this a VAR VQVAE state dict? pass the key path of a nested one)`);
    if (s.length !== nd) throw new Error(`${what}: cannot infer the VQVAE config: '${k}' has shape [${s}], expected ${nd} dims`);
    return s;
  };
  const [vocabSize, zChannels] = need('quantize.embedding.weight', 2) as [number, number];
  const ch = need('encoder.conv_in.weight', 4)[0]!;
  const levels = new Set<number>(), encBlocks = new Set<number>();
  const phiIdx = new Set<number>();
  let phiShared = false, phiNonShared = false;
  for (const k of shapes.keys()) {
    let m = /^decoder\.up\.(\d+)\./.exec(k); if (m) levels.add(+m[1]!);
    m = /^encoder\.down\.0\.block\.(\d+)\./.exec(k); if (m) encBlocks.add(+m[1]!);
    m = /^quantize\.quant_resi\.qresi_ls\.(\d+)\.weight$/.exec(k); if (m) phiIdx.add(+m[1]!);
    m = /^quantize\.quant_resi\.(\d+)\.weight$/.exec(k); if (m) { phiIdx.add(+m[1]!); phiNonShared = true; }
    if (k === 'quantize.quant_resi.qresi.weight') phiShared = true;
  }
  if (!levels.size) throw new Error(`${what}: cannot infer the VQVAE config: no decoder.up.<level> keys`);
  const chMult = Array.from({ length: Math.max(...levels) + 1 }, (_, l) => need(`decoder.up.${l}.block.0.conv1.weight`, 4)[0]! / ch);
  const decBlocks = new Set<number>();
  for (const k of shapes.keys()) { const m = /^decoder\.up\.0\.block\.(\d+)\./.exec(k); if (m) decBlocks.add(+m[1]!); }
  const numResBlocks = decBlocks.size - 1;
  if (encBlocks.size && encBlocks.size !== numResBlocks) throw new Error(`${what}: encoder.down.0 has ${encBlocks.size} blocks and decoder.up.0 has ${decBlocks.size}; VAR's decoder has one more than the encoder`);
  const quantConvKs = need('quant_conv.weight', 4)[2]!;
  const inferred: VQVAEConfigInput = { vocabSize, zChannels, ch, chMult, numResBlocks, quantConvKs };
  if (phiShared) inferred.shareQuantResi = 1;
  else if (phiNonShared) { inferred.shareQuantResi = 0; inferred.defaultQresiCounts = phiIdx.size; }
  else if (phiIdx.size) inferred.shareQuantResi = phiIdx.size;
  const notes: string[] = [];
  const notInferable = ['segments', 'beta', 'quantResi', 'phiAtLastScale'] as const;
  const taken = notInferable.filter((k) => !(k in given) && !(k === 'segments' && 'patchNums' in given));
  if (taken.length) notes.push(`not in the checkpoint, defaults used: ${taken.map((k) => k === 'segments' ? 'schedule = VAR 256 (1, 2, 3, 4, 5, 6, 8, 10, 13, 16)' : `${k} = ${JSON.stringify(VQVAE_DEFAULTS[k])}`).join(', ')}`);
  // A non-shared φ list has one conv per scale unless default_qresi_counts set it: keep 0 when it matches the schedule.
  const cfg = vqvaeConfig({ ...inferred, ...given });
  if (cfg.shareQuantResi === 0 && inferred.defaultQresiCounts === scaleCount(cfg) && !('defaultQresiCounts' in given)) cfg.defaultQresiCounts = 0;
  notes.unshift(`inferred from shapes: vocabSize ${vocabSize}, zChannels ${zChannels}, ch ${ch}, chMult [${chMult}], numResBlocks ${numResBlocks}, quantConvKs ${quantConvKs}, shareQuantResi ${cfg.shareQuantResi}`);
  return { cfg, notes };
}
