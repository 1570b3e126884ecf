// loadVAR: a VAR checkpoint (.pth or .safetensors) → configuration inferred from the tensor shapes → model loaded strictly.
import { loadPthStateDict, loadSafetensors, type Device, type Module } from '../../index.ts';
import { VAR_SCHEDULES } from '../quant/schedule.ts';
import { levelIds } from './masks.ts';
import { checkConfig, type VARConfig } from './config.ts';
import { VAR, VAR_DERIVED_BUFFERS } from './var.ts';

export interface LoadVAROpts {
  /** .pth: the nested dict holding the state dict ('trainer.var_wo_ddp'); .safetensors: a key prefix ('var_wo_ddp'). */
  key?: string;
  /** Fields the tensors cannot tell (patchNums when neither lvl_1L nor a known schedule fits, numHeads without attn_l2_norm) or
   * hyper-parameters to set (normEps, condDropRate, dropPathRate). */
  overrides?: Partial<VARConfig>;
}

export interface LoadedVAR {
  model: VAR;
  config: VARConfig;
  /** One line per inferred or assumed field, saying from what. */
  inferred: string[];
}

type Shapes = Map<string, number[]>;
type HostTensor = Parameters<Module['loadStateDict']>[0][string];

/**
 * The configuration of a VAR state dict from its shapes: depth (blocks.<i>), embed_dim and Cvae (word_embed.weight), classes
 * (class_emb rows − 1), V (head.weight), mlp_ratio (fc1 rows / C), shared AdaLN (shared_ada_lin.1.weight present),
 * attn_l2_norm and heads (scale_mul_1H11 [1, H, 1, 1]), patch_nums (lvl_1L counts per level, else the VAR schedule with
 * K = lvl_embed rows and L = pos_1LC rows). norm_eps, cond_drop_rate and drop_path_rate are not stored: the released models'
 * values (1e-6, 0.1, 0.1·depth/24) are assumed unless overridden. Levels: `lvl` = the lvl_1L buffer when present.
 */
export function inferVARConfig(shapes: Shapes, lvl?: ArrayLike<number>, overrides: Partial<VARConfig> = {}): { config: VARConfig; inferred: string[] } {
  const need = (k: string) => {
    const s = shapes.get(k);
    if (!s) throw new Error(`VAR checkpoint: no '${k}'${k === 'pos_1LC' && shapes.has('pos_start') ? ' (a VARSR-style checkpoint with a prefix has no pos_1LC; it is not a plain VAR)' : ''}`);
    return s;
  };
  const inferred: string[] = [];
  const blockIds = new Set<number>();
  for (const k of shapes.keys()) { const m = /^blocks\.(\d+)\./.exec(k); if (m) blockIds.add(+m[1]!); }
  const depth = blockIds.size;
  if (!depth || Math.max(...blockIds) !== depth - 1) throw new Error(`VAR checkpoint: blocks must be numbered 0..depth−1, found [${[...blockIds].sort((a, b) => a - b)}]`);
  inferred.push(`depth ${depth} (blocks.0..${depth - 1})`);
  const [C, cvae] = need('word_embed.weight') as [number, number];
  inferred.push(`embed_dim ${C}, Cvae ${cvae} (word_embed.weight [${C}, ${cvae}])`);
  const numClasses = need('class_emb.weight')[0]! - 1;
  inferred.push(`num_classes ${numClasses} (class_emb has ${numClasses + 1} rows; the last is the null class)`);
  const vocab = need('head.weight')[0]!;
  inferred.push(`vocab ${vocab} (head.weight rows)`);
  const hidden = need('blocks.0.ffn.fc1.weight')[0]!;
  const mlpRatio = hidden / C;
  inferred.push(`mlp_ratio ${mlpRatio} (fc1 ${hidden} rows / ${C})`);
  const sharedAln = shapes.has('shared_ada_lin.1.weight');
  inferred.push(sharedAln ? 'shared_aln (shared_ada_lin.1.weight present)' : 'per-block AdaLN (blocks.*.ada_lin.1.weight)');
  const sm = shapes.get('blocks.0.attn.scale_mul_1H11');
  const attnL2Norm = !!sm;
  let numHeads: number;
  if (sm) { numHeads = sm[1]!; inferred.push(`attn_l2_norm, ${numHeads} heads (scale_mul_1H11 [1, ${numHeads}, 1, 1])`); }
  else { numHeads = overrides.numHeads ?? C / 64; inferred.push(`no attn_l2_norm (no scale_mul_1H11): ${numHeads} heads ${overrides.numHeads ? '(given)' : 'assumed (head dim 64)'}`); }
  const L = need('pos_1LC')[1]!, K = need('lvl_embed.weight')[0]!, firstL = need('pos_start')[1]!;
  let patchNums: number[];
  if (overrides.patchNums) { patchNums = [...overrides.patchNums]; inferred.push(`patch_nums [${patchNums}] (given)`); }
  else if (lvl) {
    const counts = new Array<number>(K).fill(0);
    for (let i = 0; i < lvl.length; i++) { const l = lvl[i]!; if (!(l >= 0 && l < K && Number.isInteger(l))) throw new Error(`VAR checkpoint: lvl_1L holds level ${l}, outside [0, ${K})`); counts[l]!++; }
    patchNums = counts.map((n, i) => { const p = Math.round(Math.sqrt(n)); if (p * p !== n) throw new Error(`VAR checkpoint: level ${i} of lvl_1L has ${n} tokens, not a square`); return p; });
    inferred.push(`patch_nums [${patchNums}] (token counts per level of lvl_1L)`);
  } else {
    const hit = Object.entries(VAR_SCHEDULES).find(([, s]) => s.length === K && s.reduce((a, p) => a + p * p, 0) === L);
    if (!hit) throw new Error(`VAR checkpoint: no lvl_1L and no VAR schedule has ${K} scales and ${L} tokens; pass overrides.patchNums`);
    patchNums = [...hit[1]];
    inferred.push(`patch_nums [${patchNums}] (the ${hit[0]}-px schedule: ${K} scales, ${L} tokens = pos_1LC rows)`);
  }
  if (patchNums.length !== K || patchNums.reduce((a, p) => a + p * p, 0) !== L || patchNums[0]! ** 2 !== firstL)
    throw new Error(`VAR checkpoint: patch_nums [${patchNums}] do not fit lvl_embed (${K} levels), pos_1LC (${L} tokens) and pos_start (${firstL} start tokens)`);
  const rest = { normEps: 1e-6, condDropRate: 0.1, dropPathRate: (0.1 * depth) / 24 };
  const why = { normEps: '1e-6', condDropRate: '0.1', dropPathRate: `0.1·${depth}/24 = ${rest.dropPathRate.toFixed(4)}` };
  for (const k of Object.keys(rest) as (keyof typeof rest)[]) if (overrides[k] === undefined) inferred.push(`${k} ${why[k]} assumed (not stored; the released models' setting)`);
  const config: VARConfig = { depth, embedDim: C, numHeads, mlpRatio, sharedAln, attnL2Norm, numClasses, patchNums, vocab, cvae, ...rest, ...overrides };
  checkConfig(config);
  return { config, inferred };
}

/** The state dict of a .pth (optionally nested under `key`) or .safetensors file (optionally under the prefix `key.`). */
export async function readVARStateDict(path: string, key?: string): Promise<Map<string, HostTensor>> {
  const out = new Map<string, HostTensor>();
  if (/\.safetensors$/i.test(path)) {
    const pre = key ? `${key}.` : '';
    for (const [k, t] of await loadSafetensors(path)) if (k.startsWith(pre)) out.set(k.slice(pre.length), t as HostTensor);
    if (key && !out.size) throw new Error(`${path}: no tensor names start with '${pre}'`);
  } else if (/\.(pth|pt|bin|ckpt)$/i.test(path)) {
    for (const [k, t] of await loadPthStateDict(path, key)) out.set(k, t as HostTensor);
  } else throw new Error(`loadVAR: ${path} is neither .pth (torch.save) nor .safetensors`);
  return out;
}

/**
 * Builds VAR from a checkpoint's shapes and loads it strictly: every parameter must be present and no key may be left over,
 * except the derived buffers lvl_1L and attn_bias_for_masking (lvl_1L, when present, must match the inferred schedule) and
 * blocks.*.attn.zero_k_bias (loaded when present, zeros otherwise; it is all zeros in VAR).
 */
export async function loadVAR(dev: Device, path: string, o: LoadVAROpts = {}): Promise<LoadedVAR> {
  const sd = await readVARStateDict(path, o.key);
  const shapes: Shapes = new Map([...sd].map(([k, t]) => [k, t.shape]));
  const lvl = sd.get('lvl_1L')?.data;
  const { config, inferred } = inferVARConfig(shapes, lvl, o.overrides);
  if (lvl) {
    const want = levelIds(config.patchNums);
    if (lvl.length !== want.length || want.some((l, i) => l !== lvl[i])) throw new Error(`${path}: lvl_1L does not match patch_nums [${config.patchNums}]`);
  }
  const model = new VAR(dev, config, { init: 'none' });
  try {
    const r = model.loadStateDict(Object.fromEntries(sd), { strict: false, ignore: VAR_DERIVED_BUFFERS, source: path });
    const missing = r.missing.filter((k) => !/^blocks\.\d+\.attn\.zero_k_bias$/.test(k));
    if (missing.length || r.unexpected.length)
      throw new Error(`loadVAR ${path}: ${missing.length ? `missing ${missing.slice(0, 8).join(', ')}${missing.length > 8 ? ` (+${missing.length - 8})` : ''}` : ''}${missing.length && r.unexpected.length ? '; ' : ''}${r.unexpected.length ? `unexpected ${r.unexpected.slice(0, 8).join(', ')}${r.unexpected.length > 8 ? ` (+${r.unexpected.length - 8})` : ''}` : ''}`);
    if (r.missing.length) inferred.push(`zero_k_bias absent in ${r.missing.length} blocks: zeros used`);
  } catch (e) { model.dispose(); throw e; }
  return { model, config, inferred };
}
