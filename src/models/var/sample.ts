// sampleVAR: VAR's autoregressive_infer_cfg — doubled CFG batch, KV cache per block, guidance ramp, top-k/top-p draws, f_hat.
import { Tensor, Rng, ops, fromArray, noGrad, scope } from '../../engine/index.ts';
import type { MultiScaleQuantizer } from '../quant/quantizer.ts';
import { KVCache } from './kv_cache.ts';
import { sampleRowsRng } from './sampling.ts';
import type { VAR } from './var.ts';

export interface SampleVAROpts {
  /** One class per image, in [0, numClasses] (numClasses = the null class, as VAR's label_B < 0). */
  labels: readonly number[] | Int32Array;
  /** Guidance: logits = (1 + t)·cond − t·uncond with t = cfg·si/(K − 1). Default 1.5. */
  cfg?: number;
  /** Official filters (0 = off): see topKTopPRemoved. */
  topK?: number;
  topP?: number;
  /** Draws come from `rng` (host stream) or from new Rng(seed); seed defaults to 0. */
  seed?: number | bigint;
  rng?: Rng;
  /** The VQVAE's multi-scale quantizer (codebook and φ convs): builds f_hat and the next scale's input. */
  quantizer: MultiScaleQuantizer;
  /** f_hat [B, Cvae, S, S] → image (e.g. vae.decodeLatent); its result is returned as `image`. */
  decode?: (fHat: Tensor) => Tensor | Promise<Tensor>;
  /** Return each step's guided logits [B·pn², V] (before filtering), e.g. to compare with teacher forcing. */
  keepLogits?: boolean;
}

export interface SampleVARResult {
  /** Token ids per scale, [B, pn²] row-major each (host). */
  ids: Int32Array[];
  /** The same ids as one i32 tensor [B, L] (scales concatenated). */
  idx_BL: Tensor;
  /** f_hat after the last scale [B, Cvae, S, S]. */
  fHat: Tensor;
  /** decode(fHat) when a decoder was given. */
  image: Tensor | null;
  /** Guided logits per step (keepLogits). */
  logits: Float32Array[] | null;
}

/**
 * VAR.autoregressive_infer_cfg: the batch is doubled with the null class; step si runs every block on the scale's tokens
 * with a KV cache (keys and values of earlier steps, no mask: the same as the block-causal rule), guides the logits,
 * filters and draws one token per position (both halves use the same ids), updates f_hat by the quantizer (bicubic up,
 * φ, add; area down for the next input) and embeds the next scale. The AdaLN projections depend on the class only and
 * are computed once. Sampling runs on the host after each step's logits are read back; everything else stays on the GPU.
 */
export async function sampleVAR(v: VAR, o: SampleVAROpts): Promise<SampleVARResult> {
  const dev = v.dev, cfg = v.cfg, z = v.sizes, q = o.quantizer;
  const B = o.labels.length, K = z.K, V = cfg.vocab;
  if (!B) throw new Error('sampleVAR: no labels');
  const pns = q.plan.scales.map((s) => s.pn);
  if (pns.length !== K || pns.some((p, i) => p !== cfg.patchNums[i]))
    throw new Error(`sampleVAR: the quantizer's scales [${pns}] differ from the model's patch_nums [${cfg.patchNums}]`);
  if (q.cfg.width !== cfg.cvae || q.cfg.vocab !== V)
    throw new Error(`sampleVAR: the quantizer (V ${q.cfg.vocab}, Cvae ${q.cfg.width}) does not match the model (V ${V}, Cvae ${cfg.cvae})`);
  const gCfg = o.cfg ?? 1.5;
  if (!Number.isFinite(gCfg)) throw new Error(`sampleVAR: cfg must be a finite number, got ${gCfg}`);
  const rng = o.rng ?? new Rng(o.seed ?? 0);
  const filt = { topK: o.topK ?? 0, topP: o.topP ?? 0 };

  const cache = new KVCache(dev, { layers: cfg.depth, batch: 2 * B, heads: z.H, maxLen: z.L, headDim: z.headDim, l2norm: cfg.attnL2Norm });
  const prepared = q.prepare({ search: false });
  const held: Tensor[] = [];
  const hold = <T extends Tensor>(t: T) => { held.push(t.keep()); return t; };
  const ids: Int32Array[] = [], logits: Float32Array[] = [];
  let fHat: Tensor | null = null, x: Tensor | null = null;
  try {
    const { cond, mods, lvlPos } = noGrad(dev, () => scope(dev, () => {
      const cond = v.condition([...o.labels, ...new Array<number>(B).fill(cfg.numClasses)]);
      const bc = v.blockCondition(cond);
      return { cond, mods: v.blocks.map((b) => b.modulation(bc)), lvlPos: v.levelPositions() };
    }));
    [cond, ...mods, lvlPos].forEach(hold);
    x = noGrad(dev, () => v.startTokens(cond, lvlPos)).keep();
    for (let si = 0; si < K; si++) {
      const pn = cfg.patchNums[si]!, l = pn * pn;
      const guided = noGrad(dev, () => scope(dev, () => {
        let h = x!;
        v.blocks.forEach((b, i) => { h = b.forward(h, cond, { cache, layer: i, mod: mods[i] }); });
        const lg = v.logits(h, cond);
        const t = K > 1 ? (gCfg * si) / (K - 1) : 0;
        return ops.sub(ops.mulScalar(ops.slice(lg, 0, 0, B), 1 + t), ops.mulScalar(ops.slice(lg, 0, B, 2 * B), t));
      })).keep();
      x!.dispose(); x = null;
      const host = (await guided.toArray()) as Float32Array;
      guided.dispose();
      if (o.keepLogits) logits.push(host);
      const stepIds = sampleRowsRng(host, B * l, V, filt, rng);
      ids.push(stepIds);
      const idsT = fromArray(dev, stepIds, [B, l], 'i32');
      const st = q.step(si, fHat, idsT, { prepared });
      idsT.dispose();
      if (fHat && st.fHat !== fHat) fHat.dispose();
      fHat = st.fHat.keep();
      if (st.next) {
        const next = st.next;
        x = noGrad(dev, () => scope(dev, () => { const t = v.scaleTokens(si + 1, next, lvlPos); return ops.concat([t, t], 0); })).keep();
        next.dispose();
      }
    }
  } catch (e) {
    fHat?.dispose();
    throw e;
  } finally {
    x?.dispose();
    held.forEach((t) => t.dispose());
    prepared.dispose();
    cache.dispose();
  }
  const L = z.L, all = new Int32Array(B * L);
  let col = 0;
  ids.forEach((a, si) => {
    const l = cfg.patchNums[si]! ** 2;
    for (let b = 0; b < B; b++) all.set(a.subarray(b * l, (b + 1) * l), b * L + col);
    col += l;
  });
  const idx_BL = fromArray(dev, all, [B, L], 'i32');
  const image = o.decode ? await o.decode(fHat!) : null;
  return { ids, idx_BL, fHat: fHat!, image, logits: o.keepLogits ? logits : null };
}
