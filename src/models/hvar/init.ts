// H-VAR initialisation: VAR's init_weights rule from scratch (initHVAR), or the weights of a VAR checkpoint such as var_d16
// mapped onto H-VAR's layout (initHVARFromVAR, MODEL_SPEC §4), with notes saying what was mapped and what was not.
import { Tensor, ops, fromArray, noGrad, scope, type Rng } from '../../engine/index.ts';
import { inferVARConfig, type VARInitOpts } from '../var/index.ts';
import type { HVAR } from './hvar.ts';

/**
 * VAR's init_weights (VAR_FACTS §3.7) applied to H-VAR: Linear and Embedding weights (cond_proj included) and the position
 * tables (pos_start, pos_master) ~ N(0, √(1/(3C))) clamped to [−2, 2], biases 0, head × initHead, proj and fc2 ÷ √(2·depth),
 * ada_lin gamma rows × initAdalnGamma and the rest × initAdaln, head_nm's ada_lin × initAdaln, ada_gss ~ N(0, 1/C) scaled the
 * same way, q_bias and v_bias 0, temperatures ln 4. Same seed, same weights.
 */
export function initHVAR(h: HVAR, rng: Rng, o: VARInitOpts = {}): void {
  const dev = h.dev, C = h.sizes.C, depth = h.cfg.depth;
  const initAdaln = o.initAdaln ?? 0.5, gamma = o.initAdalnGamma ?? 1e-5, initHead = o.initHead ?? 0.02;
  const posStd = Math.sqrt(1 / C / 3);
  const std = (o.initStd ?? -1) < 0 ? posStd : o.initStd!;
  noGrad(dev, () => scope(dev, () => {
    const normal = (t: Tensor, s: number, clamp = true) => { const r = rng.normal(dev, t.shape, 0, s); ops.assign(t, clamp ? ops.clamp(r, -2, 2) : r); };
    const zero = (t: Tensor | null) => { if (t) ops.assign(t, ops.fill(dev, t.shape, 0)); };
    const scaleRows = (t: Tensor, r0: number, r1: number, s: number) => { const w = ops.slice(t, 0, r0, r1); ops.assign(w, ops.mulScalar(w, s)); };
    const linear = (l: { weight: Tensor; bias: Tensor | null }) => { normal(l.weight, std); zero(l.bias); };
    normal(h.pos_start, posStd); normal(h.pos_master, posStd);
    linear(h.word_embed); linear(h.cond_proj); normal(h.class_emb.weight, std); normal(h.lvl_embed.weight, std);
    if (h.shared_ada_lin) linear(h.shared_ada_lin.lin);
    linear(h.head_nm.ada_lin.lin); linear(h.head);
    scaleRows(h.head.weight, 0, h.cfg.vocab, initHead);
    scaleRows(h.head_nm.ada_lin.lin.weight, 0, 2 * C, initAdaln);
    for (const b of h.blocks) {
      const a = b.attn;
      for (const l of [a.mat_qkv, a.proj, b.ffn.fc1, b.ffn.fc2]) linear(l);
      zero(a.q_bias); zero(a.v_bias);
      if (a.scale_mul_1H11) ops.assign(a.scale_mul_1H11, ops.fill(dev, a.scale_mul_1H11.shape, Math.log(4)));
      scaleRows(a.proj.weight, 0, C, 1 / Math.sqrt(2 * depth));
      scaleRows(b.ffn.fc2.weight, 0, C, 1 / Math.sqrt(2 * depth));
      if (b.ada_lin) {
        linear(b.ada_lin.lin);
        scaleRows(b.ada_lin.lin.weight, 2 * C, 6 * C, initAdaln);
        scaleRows(b.ada_lin.lin.weight, 0, 2 * C, gamma);
      } else {
        const g = b.ada_gss!;
        normal(g, 1 / Math.sqrt(C), false);
        const chunks = ops.reshape(g, [6, C]);
        scaleRows(chunks, 2, 6, initAdaln);
        scaleRows(chunks, 0, 2, gamma);
      }
    }
  }));
}

/** A host tensor as readVARStateDict / loadPthStateDict / safetensors readers give it. */
export interface HostTensorIn { shape: readonly number[]; data: ArrayLike<number> }
export type VARStateDictIn = ReadonlyMap<string, HostTensorIn> | Readonly<Record<string, HostTensorIn>>;

export interface InitFromVARResult {
  /** H-VAR keys filled from the VAR dict (class_emb and pos_master by the rules below). */
  mapped: string[];
  /** H-VAR keys left as they were (not in VAR, or the shapes differ), each with the reason. */
  kept: string[];
  /** VAR keys that were not used, each with the reason. */
  unused: string[];
  /** One line per decision, for printing. */
  notes: string[];
}

/**
 * Fills H-VAR from a VAR state dict (var_d16.pth style, e.g. from readVARStateDict), MODEL_SPEC §4:
 * - every key H-VAR shares with VAR (blocks.*, head_nm.*, head.*, word_embed.*, lvl_embed.weight, pos_start, shared_ada_lin.*)
 *   is copied when its shape is the same, else left as it is and reported;
 * - class_emb: VAR's null class row (its last, num_classes) becomes row 1 and the mean of its num_classes class rows row 0;
 * - pos_master: the rows of VAR's last scale in pos_1LC (pn × pn, row-major), seen as a [1, C, pn, pn] image, bicubic up to S × S;
 * - cond_proj has no VAR counterpart and keeps its values (initialise it first, e.g. with initHVAR).
 * VAR's last scale is read from lvl_1L when present, else from its schedule (inferVARConfig). Returns what was mapped, kept and unused.
 */
export function initHVARFromVAR(h: HVAR, varStateDict: VARStateDictIn): InitFromVARResult {
  const sd = varStateDict instanceof Map ? new Map(varStateDict) : new Map(Object.entries(varStateDict as Record<string, HostTensorIn>));
  const shapes = new Map([...sd].map(([k, t]) => [k, [...t.shape]]));
  const lvl = sd.get('lvl_1L')?.data;
  const { config: vc } = inferVARConfig(shapes, lvl);
  const dev = h.dev, C = h.sizes.C, S = h.cfg.prefixSide;
  const mine = h.stateDict();
  const r: InitFromVARResult = { mapped: [], kept: [], unused: [], notes: [] };
  const used = new Set<string>();
  const fmt = (s: readonly number[]) => `[${s.join(', ')}]`;
  const put = (t: Tensor, data: ArrayLike<number>) => {
    const f = fromArray(dev, data instanceof Float32Array ? data : Float32Array.from(data), t.shape);
    noGrad(dev, () => ops.assign(t, f));
    f.dispose();
  };
  const direct = (k: string) => /^(blocks\.|head_nm\.|head\.|word_embed\.|lvl_embed\.|shared_ada_lin\.|pos_start$)/.test(k);
  for (const [k, t] of Object.entries(mine)) {
    if (!direct(k)) continue;
    const src = sd.get(k);
    if (!src) { r.kept.push(`${k}: not in the VAR dict`); continue; }
    used.add(k);
    if (src.shape.length !== t.shape.length || src.shape.some((d: number, i: number) => d !== t.shape[i])) {
      r.kept.push(`${k}: shape ${fmt(src.shape)} in VAR, ${fmt(t.shape)} in H-VAR`);
      continue;
    }
    put(t, src.data);
    r.mapped.push(k);
  }
  // class_emb: row 1 = VAR's null row, row 0 = mean of the class rows
  const ce = sd.get('class_emb.weight');
  if (ce && ce.shape.length === 2 && ce.shape[1] === C && ce.shape[0]! >= 2) {
    used.add('class_emb.weight');
    const n = ce.shape[0]! - 1, rows = new Float32Array(2 * C), mean = new Float64Array(C);
    for (let i = 0; i < n; i++) for (let c = 0; c < C; c++) mean[c]! += ce.data[i * C + c]!;
    for (let c = 0; c < C; c++) { rows[c] = mean[c]! / n; rows[C + c] = ce.data[n * C + c]!; }
    put(h.class_emb.weight, rows);
    r.mapped.push('class_emb.weight');
    r.notes.push(`class_emb.weight: row 1 (null) = VAR's null class row ${n}; row 0 (super-resolve) = the mean of VAR's ${n} class rows 0..${n - 1}`);
  } else {
    if (ce) used.add('class_emb.weight');
    r.kept.push(`class_emb.weight: ${ce ? `VAR's ${fmt(ce.shape)} does not have width ${C}` : 'not in the VAR dict'}`);
  }
  // pos_master: bicubic up of the last scale's rows of pos_1LC
  const pos = sd.get('pos_1LC');
  const pn = vc.patchNums[vc.patchNums.length - 1]!, L = vc.patchNums.reduce((a, p) => a + p * p, 0);
  if (pos && pos.shape.length === 3 && pos.shape[1] === L && pos.shape[2] === C) {
    used.add('pos_1LC');
    const last = Float32Array.from({ length: pn * pn * C }, (_, i) => pos.data[(L - pn * pn) * C + i]!);
    noGrad(dev, () => scope(dev, () => {
      const rows = fromArray(dev, last, [1, pn, pn, C]);
      const img = ops.permute(rows, [0, 3, 1, 2]);
      const up = pn === S ? ops.contiguous(img) : ops.resample(img, S, S, 'bicubic');
      ops.assign(h.pos_master, ops.reshape(ops.permute(up, [0, 2, 3, 1]), [1, S * S, C]));
    }));
    r.mapped.push('pos_master');
    r.notes.push(`pos_master: the rows ${L - pn * pn}..${L - 1} of VAR's pos_1LC (its last scale, ${pn}×${pn}) ${pn === S ? 'copied' : `bicubic up to ${S}×${S}`}`);
  } else {
    if (pos) used.add('pos_1LC');
    r.kept.push(`pos_master: ${pos ? `VAR's pos_1LC ${fmt(pos.shape)} is not [1, ${L}, ${C}]` : 'no pos_1LC in the VAR dict'}`);
  }
  r.kept.push('cond_proj.weight: H-VAR only (the LR latent projection), not in VAR', 'cond_proj.bias: H-VAR only, not in VAR');
  for (const k of sd.keys()) {
    if (used.has(k)) continue;
    r.unused.push(`${k}: ${k === 'lvl_1L' || k === 'attn_bias_for_masking' ? 'derived buffer (H-VAR builds its own level layout)' : 'no H-VAR counterpart'}`);
  }
  if (sd.get('pos_1LC') && used.has('pos_1LC') && r.mapped.includes('pos_master'))
    r.notes.push(`pos_1LC rows 0..${L - pn * pn - 1} (VAR's scales before ${pn}) are not used`);
  const nBlocks = r.mapped.filter((k) => k.startsWith('blocks.')).length;
  r.notes.unshift(`copied ${r.mapped.length - nBlocks - r.mapped.filter((k) => k === 'class_emb.weight' || k === 'pos_master').length} tensors outside the blocks and ${nBlocks} block tensors with equal shapes`
    + ` (VAR: depth ${vc.depth}, C ${vc.embedDim}, ${vc.patchNums.length} scales [${vc.patchNums}], V ${vc.vocab}, Cvae ${vc.cvae})`);
  for (const k of r.kept) r.notes.push(`not mapped: ${k}`);
  for (const k of r.unused) r.notes.push(`unused VAR key: ${k}`);
  return r;
}
