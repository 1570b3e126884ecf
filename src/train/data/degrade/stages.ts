// Pure CPU degradation stages over ImageCHW: resize, Gaussian / Poisson noise, JPEG round trip, clamp and 8-bit quantise.
import jpeg from 'jpeg-js';
import type { ImageCHW } from '../../../io/image.ts';
import { resampleCpu, type ResampleMode } from '../../../engine/index.ts';
import type { StreamRng } from '../rng.ts';

/** F.interpolate(size=(outH,outW), align_corners=False) via the engine's PyTorch-exact CPU resampler. */
export function resize(img: ImageCHW, outH: number, outW: number, mode: ResampleMode): ImageCHW {
  if (outH === img.h && outW === img.w) return { ...img, data: img.data.slice() }; // identity for every mode
  return { data: resampleCpu(img.data, 1, img.c, img.h, img.w, outH, outW, mode), c: img.c, h: outH, w: outW };
}

export function clamp01(img: ImageCHW): ImageCHW {
  const d = img.data, out = new Float32Array(d.length);
  for (let i = 0; i < d.length; i++) { const v = d[i]; out[i] = v < 0 ? 0 : v > 1 ? 1 : v; }
  return { ...img, data: out };
}

/** clamp(round(x * 255), 0, 255) / 255. */
export function quantize8(img: ImageCHW): ImageCHW {
  const d = img.data, out = new Float32Array(d.length);
  for (let i = 0; i < d.length; i++) { const v = Math.round(d[i] * 255); out[i] = (v < 0 ? 0 : v > 255 ? 255 : v) / 255; }
  return { ...img, data: out };
}

/** Additive N(0, (sigma/255)^2) noise, per channel or one gray plane shared by all channels; result clipped to [0,1]. */
export function addGaussianNoise(img: ImageCHW, sigma255: number, gray: boolean, rng: StreamRng): ImageCHW {
  const { c, h, w, data } = img, n = h * w, std = sigma255 / 255;
  const noise = rng.fillNormal(new Float32Array(gray ? n : c * n), std);
  const out = new Float32Array(data.length);
  for (let ch = 0; ch < c; ch++) {
    const nb = gray ? 0 : ch * n, b = ch * n;
    for (let i = 0; i < n; i++) { const v = data[b + i] + noise[nb + i]; out[b + i] = v < 0 ? 0 : v > 1 ? 1 : v; }
  }
  return { data: out, c, h, w };
}

/**
 * Shot noise as BasicSR generate_poisson_noise_pt: x8 = round(clip(x)*255)/255, vals = 2^ceil(log2(#unique levels)),
 * noise = Poisson(x8 * vals) / vals - x8, scaled by `scale`, added and clipped to [0,1]. Gray mode draws on the
 * luma (0.2989 R + 0.587 G + 0.114 B, as torchvision rgb_to_grayscale) and adds the same noise to every channel.
 */
export function addPoissonNoise(img: ImageCHW, scale: number, gray: boolean, rng: StreamRng): ImageCHW {
  const { c, h, w, data } = img, n = h * w;
  let src: Float32Array;
  if (gray && c === 3) {
    src = new Float32Array(n);
    for (let i = 0; i < n; i++) src[i] = 0.2989 * data[i] + 0.587 * data[n + i] + 0.114 * data[2 * n + i];
  } else src = data;
  const levels = new Uint8Array(src.length), seen = new Uint8Array(256);
  let uniq = 0;
  for (let i = 0; i < src.length; i++) {
    const v = Math.round(src[i] * 255), l = v < 0 ? 0 : v > 255 ? 255 : v;
    levels[i] = l;
    if (!seen[l]) { seen[l] = 1; uniq++; }
  }
  const vals = 2 ** Math.ceil(Math.log2(Math.max(uniq, 1)));
  const noise = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) {
    const x8 = levels[i] / 255;
    noise[i] = (rng.poisson(x8 * vals) / vals - x8) * scale;
  }
  const out = new Float32Array(data.length), shared = src !== data;
  for (let ch = 0; ch < c; ch++) {
    const b = ch * n;
    for (let i = 0; i < n; i++) { const v = data[b + i] + noise[shared ? i : b + i]; out[b + i] = v < 0 ? 0 : v > 1 ? 1 : v; }
  }
  return { data: out, c, h, w };
}

/** Tile side of the JPEG round trip: a multiple of 8, so tiling leaves every 8x8 block (and the result) unchanged. */
export const JPEG_TILE = 512;

/**
 * Real JPEG round trip through jpeg-js (encode at `quality`, decode): input clamped to [0,1], output k/255 levels.
 * jpeg-js writes 4:4:4 and codes 8x8 blocks independently, so the image is processed in JPEG_TILE tiles (block
 * aligned): the result is identical to one whole-image round trip while memory stays bounded for any image size.
 */
export function jpegRoundTrip(img: ImageCHW, quality: number, tile = JPEG_TILE): ImageCHW {
  const { c, h, w, data } = img, n = h * w;
  if (c !== 3 && c !== 1) throw new Error(`jpegRoundTrip: need 1 or 3 channels, got ${c}`);
  if (!(tile > 0 && tile % 8 === 0)) throw new Error(`jpegRoundTrip: tile must be a positive multiple of 8, got ${tile}`);
  const out = new Float32Array(c * n);
  const rgba = new Uint8Array(4 * Math.min(tile, w) * Math.min(tile, h));
  for (let y0 = 0; y0 < h; y0 += tile) for (let x0 = 0; x0 < w; x0 += tile) {
    const th = Math.min(tile, h - y0), tw = Math.min(tile, w - x0);
    for (let y = 0; y < th; y++) for (let x = 0; x < tw; x++) {
      const i = (y0 + y) * w + x0 + x, o = 4 * (y * tw + x);
      for (let k = 0; k < 3; k++) {
        const v = Math.round(data[(c === 3 ? k * n : 0) + i] * 255);
        rgba[o + k] = v < 0 ? 0 : v > 255 ? 255 : v;
      }
      rgba[o + 3] = 255;
    }
    const enc = jpeg.encode({ data: rgba.subarray(0, 4 * tw * th), width: tw, height: th }, quality);
    const dec = jpeg.decode(enc.data, { useTArray: true, formatAsRGBA: false, maxResolutionInMP: 1 + Math.ceil((tw * th) / 1e6),
      maxMemoryUsageInMB: 64 + Math.ceil((tw + 16) * (th + 16) * 32 / 2 ** 20) });
    const d = dec.data;
    for (let y = 0; y < th; y++) for (let x = 0; x < tw; x++) {
      const i = (y0 + y) * w + x0 + x, s = 3 * (y * tw + x);
      if (c === 3) for (let k = 0; k < 3; k++) out[k * n + i] = d[s + k] / 255;
      else out[i] = (d[s] * 0.299 + d[s + 1] * 0.587 + d[s + 2] * 0.114) / 255;
    }
  }
  return { data: out, c, h, w };
}
