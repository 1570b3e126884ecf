// The H-VAR tile runner: a batch of LR tiles sampled segment by segment (MODEL_SPEC §6) with a KV cache, as sampleHVAR does, but
// resumable: between segments the GPU state can be released and later rebuilt by replaying the tokens already drawn (no new draws).
import { Rng, ops, fromArray, noGrad, scope, type Tensor } from '../engine/index.ts';
import { KVCache } from '../models/var/kv_cache.ts';
import { sampleRows } from '../models/var/sampling.ts';
import { HVAR_NULL_COND } from '../models/hvar/hvar.ts';
import { lrLatent } from '../models/hvar/lr.ts';
import type { PreparedQuantizer } from '../models/quant/quantizer.ts';
import type { HVARBundle } from './bundle.ts';

/** Sampling settings (see SampleHVAROpts): guidance with VAR's ramp (0 = off), and the official filters (0 = off). */
export interface SampleSettings { cfg: number; topK: number; topP: number }

/** A source of tile outputs per segment: the H-VAR model, or a stand-in in tests. */
export interface TileRunner {
  /** LR tile side the runner takes (pixels). */
  readonly tile: number;
  /** Output factor of each segment (1, 2, 4). */
  readonly factors: readonly number[];
  /** Segment of each scale step, and the step's cost in tokens (the prefix counts at step 0), for progress and ETA. */
  readonly steps: readonly { segment: number; units: number }[];
  /** Cost of decoding one tile's segment n, in the same units. */
  decodeUnits(segment: number): number;
  /** GPU bytes a group of B tiles holds between segments (its KV cache), for the keep-or-replay choice. */
  liveBytes(B: number): number;
  /** A group of tiles: lr holds B tiles as 3 planes of tile² values in [0, 1]; seeds, one per tile, make the draws. */
  open(lr: Float32Array, B: number, seeds: readonly bigint[]): TileGroup;
}

/** What a group reports after each scale step. */
export interface StepEvent { scale: number; units: number; replay: boolean }

export interface TileGroup {
  /** Samples segment n (segments in order) and returns the B tile images: 3 planes of (tile·f)² values in [0, 1] each. */
  segment(n: number, onStep?: (e: StepEvent) => void): Promise<Float32Array>;
  /** Frees the GPU state; the next segment() rebuilds it by replaying the tokens drawn so far. */
  release(): void;
  dispose(): void;
}

/** Bytes of decoder activations one decode call may hold by default (UpscaleOptions.decodeBudget), counting
 * DECODE_LIVE tensors of the decoder's top level per tile. */
export const DEFAULT_DECODE_BUDGET = 256 * 2 ** 20;
const DECODE_LIVE = 4;
/** The decoder activations one tile of m × m output pixels is counted at against the decode budget. */
export function decodeTileBytes(vae: HVARBundle['vae'], m: number): number {
  return DECODE_LIVE * 4 * vae.cfg.ch * vae.cfg.chMult[0]! * m * m;
}

/** The GPU state of a group between steps. */
interface Live {
  cache: KVCache;
  prepared: PreparedQuantizer;
  held: Tensor[];
  cond: Tensor; mods: Tensor[]; lvlPos: Tensor;
  x: Tensor | null; fHat: Tensor | null;
  /** Next scale to run. */
  si: number;
}

/** The H-VAR model as a TileRunner: tiles of `tile` LR pixels (resampled to the model's LR side when they differ). */
export function modelRunner(bundle: HVARBundle, s: SampleSettings, tile = bundle.lrSide, decodeBudget = DEFAULT_DECODE_BUDGET): TileRunner {
  if (!(decodeBudget >= 0)) throw new Error(`upscale: decodeBudget must be a number of bytes >= 0, got ${decodeBudget}`);
  const { vae, model } = bundle, q = vae.quantize, z = model.sizes, cfg = model.cfg;
  const plan = q.plan.scales, K = plan.length;
  const pair = s.cfg > 0;
  const firstOf = (n: number) => plan.findIndex((sc) => sc.segment === n);
  const lastOf = (n: number) => plan.reduce((j, sc, i) => (sc.segment === n ? i : j), -1);
  const steps = plan.map((sc, i) => ({ segment: sc.segment, units: i === 0 ? z.prefix + z.firstL : sc.pn * sc.pn }));
  const factors = bundle.factors;
  const outSide = model.prefixSide * vae.downsample, Tm = bundle.lrSide;
  return {
    tile, factors, steps,
    decodeUnits: (n) => 8 * cfg.segments[n]!.side ** 2,
    liveBytes: (B) => cfg.depth * 4 * (pair ? 2 * B : B) * z.C * (Math.ceil((z.prefix + z.L) / 4) * 4 + z.prefix + z.L),
    open(lrHost, B, seeds) {
      if (lrHost.length !== B * 3 * tile * tile) throw new Error(`modelRunner.open: ${lrHost.length} values are not ${B} tiles of 3×${tile}×${tile}`);
      const dev = model.dev, NB = pair ? 2 * B : B, V = cfg.vocab;
      const rngs = seeds.map((sd) => new Rng(sd));
      const ids: Int32Array[] = [];
      let live: Live | null = null;

      const openLive = (): Live => {
        const held: Tensor[] = [];
        const hold = <T extends Tensor>(t: T) => { held.push(t.keep()); return t; };
        const cache = new KVCache(dev, { layers: cfg.depth, batch: NB, heads: z.H, maxLen: z.prefix + z.L, headDim: z.headDim, l2norm: cfg.attnL2Norm });
        const prepared = q.prepare({ search: false });
        try {
          const lat = noGrad(dev, () => scope(dev, () => {
            const x01 = fromArray(dev, lrHost, [B, 3, tile, tile]);
            const x = ops.affine(tile === Tm ? x01 : ops.resample(x01, Tm, Tm, tile < Tm ? 'bicubic' : 'area'), 2, -1);
            return lrLatent(vae, x, outSide);
          }));
          const { cond, mods, lvlPos } = noGrad(dev, () => scope(dev, () => {
            const cond = model.condition([...new Array<number>(B).fill(0), ...new Array<number>(pair ? B : 0).fill(HVAR_NULL_COND)]);
            const bc = model.blockCondition(cond);
            return { cond, mods: model.blocks.map((b) => b.modulation(bc)), lvlPos: model.levelPositions() };
          }));
          [cond, ...mods, lvlPos].forEach(hold);
          const x = noGrad(dev, () => scope(dev, () => {
            const l2 = pair ? ops.concat([lat, lat], 0) : lat;
            return ops.concat([model.prefixTokens(l2, lvlPos), model.startTokens(cond, lvlPos)], 1);
          })).keep();
          lat.dispose();
          return { cache, prepared, held, cond, mods, lvlPos, x, fHat: null, si: 0 };
        } catch (e) { held.forEach((t) => t.dispose()); prepared.dispose(); cache.dispose(); throw e; }
      };

      const freeLive = () => {
        if (!live) return;
        live.x?.dispose(); live.fHat?.dispose();
        live.held.forEach((t) => t.dispose());
        live.prepared.dispose(); live.cache.dispose();
        live = null;
      };

      /** Runs scale si: the blocks over its tokens (filling the cache), then its ids drawn (or replayed) and f_hat updated. */
      const step = async (L: Live, si: number): Promise<void> => {
        const replay = si < ids.length, l = plan[si]!.pn ** 2;
        const guided = noGrad(dev, () => scope(dev, () => {
          let h = L.x!;
          model.blocks.forEach((b, i) => { h = b.forward(h, L.cond, { cache: L.cache, layer: i, mod: L.mods[i] }); });
          if (replay) return null; // only the cache was wanted
          if (si === 0) h = ops.slice(h, 1, z.prefix, z.prefix + z.firstL); // the prefix positions give no logits
          const lg = model.logits(h, L.cond);
          if (!pair) return lg;
          const t = K > 1 ? (s.cfg * si) / (K - 1) : 0;
          return ops.sub(ops.mulScalar(ops.slice(lg, 0, 0, B), 1 + t), ops.mulScalar(ops.slice(lg, 0, B, 2 * B), t));
        }));
        guided?.keep();
        L.x!.dispose(); L.x = null;
        let stepIds: Int32Array;
        if (replay) stepIds = ids[si]!;
        else {
          const host = (await guided!.toArray()) as Float32Array;
          guided!.dispose();
          stepIds = new Int32Array(B * l);
          // One stream per tile: a tile's draws do not depend on the batch it runs in.
          for (let b = 0; b < B; b++)
            stepIds.set(sampleRows(host.subarray(b * l * V, (b + 1) * l * V), l, V, s, rngs[b]!.uniformHost(l)), b * l);
          ids.push(stepIds);
        }
        const idsT = fromArray(dev, stepIds, [B, l], 'i32');
        const st = q.step(si, L.fHat, idsT, { prepared: L.prepared });
        idsT.dispose();
        if (L.fHat && st.fHat !== L.fHat) L.fHat.dispose();
        L.fHat = st.fHat.keep();
        if (st.next) {
          const next = st.next;
          L.x = noGrad(dev, () => scope(dev, () => { const t = model.scaleTokens(si + 1, next, L.lvlPos); return pair ? ops.concat([t, t], 0) : t; })).keep();
          next.dispose();
        }
        L.si = si + 1;
      };

      return {
        async segment(n, onStep) {
          const first = firstOf(n);
          if (first < 0) throw new RangeError(`TileGroup.segment: segment ${n} is not in the schedule`);
          if (ids.length < first) throw new Error(`TileGroup.segment: segment ${n} needs the segments before it sampled first`);
          if (live && live.si > first) freeLive(); // asked again: rebuild from the start
          live ??= openLive();
          const L = live;
          while (L.si <= lastOf(n)) {
            const si = L.si, replay = si < ids.length;
            await step(L, si);
            onStep?.({ scale: si, units: steps[si]!.units, replay });
          }
          // Decode f_hat in batches of tiles whose decoder activations fit decodeBudget (the activations at the
          // largest side dominate: ch·chMult[0] channels there, a few alive at once), every batch encoded before the
          // first read-back so that the GPU does not wait for the host between them.
          const f = factors[n]!, side = tile * f, m = Tm * f, out = new Float32Array(B * 3 * side * side);
          const db = Math.max(1, Math.min(B, Math.floor(decodeBudget / decodeTileBytes(vae, m))));
          const imgs: Tensor[] = [];
          try {
            for (let b0 = 0; b0 < B; b0 += db) {
              imgs.push(noGrad(dev, () => scope(dev, () => {
                const y = vae.decodeLatent(db >= B ? L.fHat! : ops.slice(L.fHat!, 0, b0, Math.min(B, b0 + db)));
                const r = side === m ? y : ops.resample(y, side, side, side < m ? 'area' : 'bicubic');
                return ops.affine(r, 0.5, 0.5);
              })));
            }
            const host = await Promise.all(imgs.map((img) => img.toArray()));
            host.forEach((h, i) => out.set(h as Float32Array, i * db * 3 * side * side));
          } finally { for (const img of imgs) img.dispose(); }
          return out;
        },
        release: freeLive,
        dispose() { freeLive(); ids.length = 0; },
      };
    },
  };
}
