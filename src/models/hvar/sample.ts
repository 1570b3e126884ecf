// sampleHVAR: one KV-cached sampling pass over the HIT schedule that yields the ×1, ×2, ×4 images as their segments finish
// (MODEL_SPEC §6): prefix + start token at step 0, CFG pair with the null condition row, VAR's guidance ramp and filters.
import { Tensor, Rng, ops, fromArray, noGrad, scope } from '../../engine/index.ts';
import { KVCache, sampleRowsRng } from '../var/index.ts';
import type { VQVAE } from '../vqvae/index.ts';
import { HVAR_NULL_COND, type HVAR } from './hvar.ts';
import { checkLR, lrLatent } from './lr.ts';

export interface SampleHVAROpts {
  /** Guidance: logits = (1 + t)·cond − t·null with t = cfg·si/(K − 1) (VAR's ramp); the batch is doubled when cfg > 0. Default 0 (off). */
  cfg?: number;
  /** Official filters (0 = off): see topKTopPRemoved; topK 1 is greedy. */
  topK?: number;
  topP?: number;
  /** Draws come from new Rng(seed) (host stream): the same seed gives the same images. */
  seed: number | bigint;
  /** Output side in pixels: the LR is resized bilinearly to it before encoding. Default and only value: the model's prefix side × the VQVAE's downsampling. */
  outSide?: number;
  /** Return the guided logits of every step ([B·pn², V] each, before filtering) with each yield. */
  keepLogits?: boolean;
  /** Called after the ids of scale si are drawn (before f_hat is updated): progress or instrumentation. */
  onScale?: (si: number) => void;
  /**
   * Awaited at the end of each phase of the pass (benchmarks: sync the device and time the phase). Every phase's GPU work is
   * enqueued when it is called, so a probe that waits for the GPU sees the phase finished. See HVARPhase for the order.
   */
  probe?: (e: HVARPhase) => void | Promise<void>;
}

/**
 * A phase of the sampling pass, reported at its end: 'encode' (the LR resized to the output side, VQVAE encoder + quant_conv),
 * 'prefix' (condition, AdaLN modulations, level/position rows, cond_proj's prefix tokens and the start tokens), then per scale si
 * 'transformer' (blocks + head with the KV cache, guided logits read back), 'sample' (host top-k / top-p draws), 'quantize'
 * (f_hat update and the next scale's input tokens) and, where a segment ends, 'decode' (decoder of f_hat, before its yield).
 * si is −1 for the first two.
 */
export interface HVARPhase { phase: 'encode' | 'prefix' | 'transformer' | 'sample' | 'quantize' | 'decode'; si: number }

/** One finished segment. */
export interface HVARSegmentImage {
  /** Segment index n (0 = the smallest image). */
  segment: number;
  /** Its size relative to the first segment's image (1, 2, 4 for HIT: for a 128 LR the 128, 256 and 512 images). */
  scale: number;
  /** Image side in pixels (the VQVAE's downsampling × the segment's latent side). */
  side: number;
  /** decoder(post_quant_conv(f_hat)) after the segment's last scale, clamped to [−1, 1]: [B, 3, side, side]. The caller owns it. */
  image_B3HW: Tensor;
  /** Token ids of every scale sampled so far, [B, pn²] row-major each (host). */
  ids: Int32Array[];
  /** Guided logits of every step so far (keepLogits). */
  logits?: Float32Array[];
}

/**
 * H-VAR super-resolution of lr_B3hw (f32 [B, 3, h, h] in [−1, 1], h dividing the output side). The LR latent (lrLatent) gives the
 * prefix; one pass with a KV cache samples the scales in order (step 0: prefix + start token, MODEL_SPEC §4; scaleSpans), updates
 * f_hat with quantizer.step (carried to each new segment's side with bicubic up, MODEL_SPEC §3) and, as soon as a segment's last
 * scale is in, decodes f_hat and yields that image. Stopping early (break) frees everything. Seeded and deterministic.
 * Bad arguments throw at the call; the work starts with the first next().
 */
export function sampleHVAR(model: HVAR, vae: VQVAE, lr_B3hw: Tensor, o: SampleHVAROpts): AsyncGenerator<HVARSegmentImage, void, undefined> {
  const cfg = model.cfg, q = vae.quantize, scales = model.sizes.scales, K = scales.length, V = cfg.vocab;
  const pns = q.plan.scales.map((s) => s.pn);
  if (pns.length !== K || pns.some((p, i) => p !== scales[i]))
    throw new Error(`sampleHVAR: the VQVAE's scales [${pns}] differ from the model's [${scales}]`);
  const modelSides = cfg.segments.flatMap((s) => s.scales.map(() => s.side)), vaeSides = q.plan.scales.map((s) => s.side);
  if (modelSides.some((s, i) => s !== vaeSides[i])) throw new Error(`sampleHVAR: the VQVAE's segment sides [${vaeSides}] differ from the model's [${modelSides}]`);
  if (q.cfg.width !== cfg.cvae || q.cfg.vocab !== V)
    throw new Error(`sampleHVAR: the VQVAE (V ${q.cfg.vocab}, Cvae ${q.cfg.width}) does not match the model (V ${V}, Cvae ${cfg.cvae})`);
  const outSide = o.outSide ?? model.prefixSide * vae.downsample;
  if (outSide !== model.prefixSide * vae.downsample)
    throw new Error(`sampleHVAR: outSide ${outSide} does not fit the model's prefix side ${model.prefixSide} (× the VQVAE's downsampling ${vae.downsample} = ${model.prefixSide * vae.downsample})`);
  checkLR(lr_B3hw, outSide, vae.downsample, 'sampleHVAR');
  const gCfg = o.cfg ?? 0;
  if (!(Number.isFinite(gCfg) && gCfg >= 0)) throw new Error(`sampleHVAR: cfg must be a finite number >= 0, got ${o.cfg}`);
  return run(model, vae, lr_B3hw, o, outSide, gCfg);
}

/** The sampling pass of sampleHVAR (arguments checked). */
async function* run(model: HVAR, vae: VQVAE, lr_B3hw: Tensor, o: SampleHVAROpts, outSide: number, gCfg: number): AsyncGenerator<HVARSegmentImage, void, undefined> {
  const dev = model.dev, z = model.sizes, cfg = model.cfg, q = vae.quantize;
  const { K, prefix: P, firstL } = z, V = cfg.vocab, scales = z.scales;
  const rng = new Rng(o.seed);
  const filt = { topK: o.topK ?? 0, topP: o.topP ?? 0 };
  const B = lr_B3hw.shape[0]!, pair = gCfg > 0, NB = pair ? 2 * B : B;
  const segEnd = new Set(vae.segmentEnds.map((e) => q.plan.scales.findIndex((s) => s.col + s.pn * s.pn === e)));
  const firstSide = q.plan.scales[0]!.side;

  const cache = new KVCache(dev, { layers: cfg.depth, batch: NB, heads: z.H, maxLen: P + z.L, headDim: z.headDim, l2norm: cfg.attnL2Norm });
  const prepared = q.prepare({ search: false });
  const held: Tensor[] = [];
  const hold = <T extends Tensor>(t: T) => { held.push(t.keep()); return t; };
  const ids: Int32Array[] = [], logits: Float32Array[] = [];
  let fHat: Tensor | null = null, x: Tensor | null = null;
  try {
    const lat = lrLatent(vae, lr_B3hw, outSide);
    if (o.probe) await o.probe({ phase: 'encode', si: -1 });
    const { cond, mods, lvlPos } = noGrad(dev, () => scope(dev, () => {
      const cond = model.condition([...new Array<number>(B).fill(0), ...new Array<number>(pair ? B : 0).fill(HVAR_NULL_COND)]);
      const bc = model.blockCondition(cond);
      return { cond, mods: model.blocks.map((b) => b.modulation(bc)), lvlPos: model.levelPositions() };
    }));
    [cond, ...mods, lvlPos].forEach(hold);
    x = noGrad(dev, () => scope(dev, () => {
      const l2 = pair ? ops.concat([lat, lat], 0) : lat;
      return ops.concat([model.prefixTokens(l2, lvlPos), model.startTokens(cond, lvlPos)], 1);
    })).keep();
    lat.dispose();
    if (o.probe) await o.probe({ phase: 'prefix', si: -1 });
    for (let si = 0; si < K; si++) {
      const l = scales[si]! ** 2;
      const guided = noGrad(dev, () => scope(dev, () => {
        let h = x!;
        model.blocks.forEach((b, i) => { h = b.forward(h, cond, { cache, layer: i, mod: mods[i] }); });
        if (si === 0) h = ops.slice(h, 1, P, P + firstL); // the prefix positions give no logits
        const lg = model.logits(h, cond);
        if (!pair) return lg;
        const t = K > 1 ? (gCfg * si) / (K - 1) : 0;
        return ops.sub(ops.mulScalar(ops.slice(lg, 0, 0, B), 1 + t), ops.mulScalar(ops.slice(lg, 0, B, 2 * B), t));
      })).keep();
      x!.dispose(); x = null;
      const host = (await guided.toArray()) as Float32Array;
      guided.dispose();
      if (o.probe) await o.probe({ phase: 'transformer', si });
      if (o.keepLogits) logits.push(host);
      const stepIds = sampleRowsRng(host, B * l, V, filt, rng);
      ids.push(stepIds);
      o.onScale?.(si);
      if (o.probe) await o.probe({ phase: 'sample', si });
      const idsT = fromArray(dev, stepIds, [B, l], 'i32');
      const st = q.step(si, fHat, idsT, { prepared });
      idsT.dispose();
      if (fHat && st.fHat !== fHat) fHat.dispose();
      fHat = st.fHat.keep();
      if (st.next) {
        const next = st.next;
        x = noGrad(dev, () => scope(dev, () => { const t = model.scaleTokens(si + 1, next, lvlPos); return pair ? ops.concat([t, t], 0) : t; })).keep();
        next.dispose();
      }
      if (o.probe) await o.probe({ phase: 'quantize', si });
      if (segEnd.has(si)) {
        const f = fHat;
        const image = noGrad(dev, () => scope(dev, () => vae.decodeLatent(f))).keep();
        if (o.probe) { try { await o.probe({ phase: 'decode', si }); } catch (e) { image.dispose(); throw e; } }
        const s = q.plan.scales[si]!;
        yield { segment: s.segment, scale: s.side / firstSide, side: s.side * vae.downsample, image_B3HW: image,
          ids: ids.map((a) => a.slice()), ...(o.keepLogits ? { logits: [...logits] } : {}) };
      }
    }
  } finally {
    x?.dispose();
    fHat?.dispose();
    held.forEach((t) => t.dispose());
    prepared.dispose();
    cache.dispose();
  }
}

/** Runs sampleHVAR to the end and returns its images in order (×1, ×2, ×4 for HIT). */
export async function upscaleImages(model: HVAR, vae: VQVAE, lr_B3hw: Tensor, o: SampleHVAROpts): Promise<HVARSegmentImage[]> {
  const out: HVARSegmentImage[] = [];
  try {
    for await (const r of sampleHVAR(model, vae, lr_B3hw, o)) out.push(r);
  } catch (e) { out.forEach((r) => r.image_B3HW.dispose()); throw e; }
  return out;
}
