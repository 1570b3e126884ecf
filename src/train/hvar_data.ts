// H-VAR training data: fixed (photo, crop k) samples, each an HR crop and its Real-ESRGAN LR, turned once by the
// frozen tokenizer into HIT ids of HR and of bilinear_up(LR), plus the LR latent, and cached on disk (MODEL_SPEC §5).
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fromArray, noGrad, ops, scopeAsync, type Device, type Tensor } from '../engine/index.ts';
import { openSafetensors, writeSafetensors } from '../index.ts';
import type { VQVAE } from '../models/vqvae/index.ts';
import { readImage, type ImageCHW } from '../io/image.ts';
import { randomCrop, type DatasetEntry } from './data/dataset.ts';
import { StreamRng } from './data/rng.ts';
import { realEsrganConfig, sampleDegradePlan, applyDegradePlan } from './data/degrade/index.ts';
import { gpuDegradeOps, assertCpuImage } from './data/degrade/gpu.ts';

/** One cached sample: HIT ids of the HR crop and of the upsampled LR ([L] each), and the LR latent [Cvae, S, S]. */
export interface TokenSample { name: string; idsHR: Int32Array; idsLR: Int32Array; lrLatent: Float32Array }

export interface CacheSpec {
  entries: readonly DatasetEntry[];
  /** HR crop side (the output size, e.g. 512) and the LR factor (4). */
  crop: number; scale: number;
  /** Fixed crops per photo: sample k of a photo always has the same crop, flips and degradation. */
  cropsPerImage: number;
  seed: number;
  dir: string;
  /** The tokenizer file (its bytes are hashed into every cache name, so other weights never reuse an entry). */
  vaePath: string;
}

/** sha256 of a file's bytes, 12 hex digits. */
export function fileFingerprint(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex').slice(0, 12);
}

/** Cache file of sample k of a photo: keyed by photo, k, crop, scale, seed and tokenizer fingerprint. */
export function sampleName(e: DatasetEntry, k: number, spec: CacheSpec, vaeFp: string): string {
  const id = createHash('sha256').update(JSON.stringify([e.key, k, spec.crop, spec.scale, spec.seed, vaeFp])).digest('hex').slice(0, 16);
  return `${e.key.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 40)}-${k}-${id}.safetensors`;
}

/** The LR image (in [-1, 1]) resized bilinearly to `side`, the input of the condition and of z_LR (MODEL_SPEC §4). */
export function upLR(lr_B3hw: Tensor, side: number): Tensor {
  return ops.resample(lr_B3hw, side, side, 'bilinear');
}

const signed = (img: ImageCHW) => img.data.map((v) => v * 2 - 1);

/**
 * The LR of an HR image (values in [0, 1]) as training makes it: a Real-ESRGAN plan for `scale` drawn from `rng`, applied on
 * `dev` (gpuDegradeOps), read back as 8-bit levels. `what` names the image in errors. `hvar eval-upscaler` uses it too.
 */
export async function degradeLR(dev: Device, hr: ImageCHW, rng: StreamRng, scale: number, what: string): Promise<ImageCHW> {
  const plan = sampleDegradePlan(rng, realEsrganConfig(scale), hr.h, hr.w);
  return assertCpuImage(await applyDegradePlan(hr, plan, gpuDegradeOps(dev)), what);
}

/**
 * Builds every missing cache entry (each written atomically, so an interrupted preparation resumes) and returns the
 * cache file names in canonical order (photo order, then k). `vae` must be planned for crop/16 (hitSegments).
 */
export async function prepareTokenCache(dev: Device, vae: VQVAE, spec: CacheSpec, log: (s: string) => void = () => {}): Promise<string[]> {
  mkdirSync(spec.dir, { recursive: true });
  const fp = fileFingerprint(spec.vaePath), root = StreamRng.fromSeed(spec.seed);
  if (vae.imageSide !== spec.crop) throw new Error(`token cache: the tokenizer is planned for ${vae.imageSide} px images, the crop is ${spec.crop}`);
  const names: string[] = [];
  let made = 0;
  const t0 = performance.now(), total = spec.entries.length * spec.cropsPerImage;
  for (const e of spec.entries) {
    let img: ImageCHW | null = null;
    for (let k = 0; k < spec.cropsPerImage; k++) {
      const name = sampleName(e, k, spec, fp);
      names.push(name);
      if (existsSync(join(spec.dir, name))) continue;
      img ??= await readImage(e.path);
      const s = root.split(`sample/${e.key}/${k}`);
      const hr = randomCrop(img, spec.crop, s.split('crop'), { hflip: true });
      const lr = await degradeLR(dev, hr, s.split('lr'), spec.scale, `${e.path} (sample ${k})`);
      const out = await scopeAsync(dev, async () => noGrad(dev, () => {
        const hrT = fromArray(dev, signed(hr), [1, 3, spec.crop, spec.crop]);
        const lrUp = upLR(fromArray(dev, signed(lr), [1, 3, lr.h, lr.w]), spec.crop);
        const th = vae.tokenize(hrT), tl = vae.tokenize(lrUp);
        const lat = vae.encode(lrUp);
        return [th.idx_BL, tl.idx_BL, lat];
      })).then(async ([a, b, c]) => {
        const r = [await a!.toArray(), await b!.toArray(), await c!.toArray()] as const;
        a!.dispose(); b!.dispose(); c!.dispose();
        return r;
      });
      const side = spec.crop / (vae.downsample);
      await writeSafetensors(join(spec.dir, name), {
        idsHR: { dtype: 'I32', shape: [out[0].length], data: out[0] as Int32Array },
        idsLR: { dtype: 'I32', shape: [out[1].length], data: out[1] as Int32Array },
        lrLatent: { dtype: 'F32', shape: [vae.cfg.zChannels, side, side], data: out[2] as Float32Array },
      }, { file: e.key, k: String(k), crop: String(spec.crop), scale: String(spec.scale), seed: String(spec.seed), vae: fp });
      made++;
      const per = (performance.now() - t0) / made / 1000;
      log(`tokens: ${names.length}/${total} (${e.key} #${k}) ${per.toFixed(1)} s/sample`);
    }
  }
  if (made) log(`tokens: ${made} new samples cached in ${spec.dir}`);
  return names;
}

/** Reads one cached sample; a foreign or damaged file is an error naming it. */
export async function readTokenSample(dir: string, name: string, L: number): Promise<TokenSample> {
  const path = join(dir, name);
  const f = await openSafetensors(path);
  const get = async (k: string) => { try { return (await f.read(k)).data; } catch (e) { throw new Error(`${path}: not a token-cache entry (${(e as Error).message})`); } };
  const idsHR = (await get('idsHR')) as Int32Array, idsLR = (await get('idsLR')) as Int32Array, lrLatent = (await get('lrLatent')) as Float32Array;
  if (idsHR.length !== L || idsLR.length !== L) throw new Error(`${path}: ${idsHR.length} ids, the schedule has ${L} tokens (stale cache? delete it)`);
  return { name, idsHR, idsLR, lrLatent };
}
