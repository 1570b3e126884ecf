// The demo page: opens a WebGPU device with hvar, reports the adapter, and shows ×1, ×2, ×4 of a picked or dropped image as each stage arrives.
import { Device, fromArray, ops } from 'hvar';
import { fromRgba8, toRgba8, type RgbImage } from './image.ts';
import { upscale } from './upscale.ts';

/** Inputs with a longer side are reduced to it first (area averaging), so that ×4 stays within a canvas and GPU memory. */
const MAX_SIDE = 512;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const status = (text: string, state: string) => { $('status').textContent = text; document.body.dataset.state = state; };

async function decode(file: Blob): Promise<RgbImage> {
  const bmp = await createImageBitmap(file, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  const canvas = new OffscreenCanvas(bmp.width, bmp.height);
  const ctx = canvas.getContext('2d')!;
  ctx.drawImage(bmp, 0, 0);
  bmp.close();
  return fromRgba8(ctx.getImageData(0, 0, canvas.width, canvas.height).data, canvas.width, canvas.height);
}

async function fit(dev: Device, img: RgbImage): Promise<RgbImage> {
  const k = MAX_SIDE / Math.max(img.width, img.height);
  if (k >= 1) return img;
  const [h, w] = [Math.max(1, Math.round(img.height * k)), Math.max(1, Math.round(img.width * k))];
  const x = fromArray(dev, img.data, [1, 3, img.height, img.width]);
  const y = ops.resample(x, h, w, 'area');
  const data = (await y.toArray()) as Float32Array;
  x.dispose(); y.dispose();
  return { width: w, height: h, data };
}

function show(scale: number, img: RgbImage, note: string, ms: number) {
  const fig = document.createElement('figure');
  fig.dataset.scale = String(scale);
  const canvas = document.createElement('canvas');
  [canvas.width, canvas.height] = [img.width, img.height];
  canvas.getContext('2d')!.putImageData(new ImageData(toRgba8(img), img.width, img.height), 0, 0);
  const cap = document.createElement('figcaption');
  cap.textContent = `×${scale} ${note} — ${img.width}×${img.height}` + (scale > 1 ? `, ${ms.toFixed(0)} ms` : '');
  fig.append(cap, canvas);
  $('outputs').append(fig);
}

async function run(dev: Device, file: Blob) {
  $('outputs').replaceChildren();
  status('decoding…', 'busy');
  const input = await decode(file);
  const img = await fit(dev, input);
  const note = img === input ? 'input' : `input, reduced from ${input.width}×${input.height}`;
  let t0 = performance.now();
  for await (const stage of upscale(dev, img)) {
    show(stage.scale, stage.image, stage.scale === 1 ? note : 'bicubic', performance.now() - t0);
    status(`×${stage.scale} done`, 'busy');
    t0 = performance.now();
  }
  status('done', 'done');
}

async function main() {
  let dev: Device;
  try { dev = await Device.create(); }
  catch (e) { status(`no WebGPU device: ${(e as Error).message}`, 'error'); return; }
  $('adapter').textContent = JSON.stringify({ ...dev.report(), limits: undefined }, null, 1);
  status('pick or drop an image', 'ready');
  let busy = Promise.resolve();
  const go = (file: Blob | undefined) => {
    if (!file) return;
    busy = busy.then(() => run(dev, file)).catch((e) => status(`failed: ${(e as Error).message}`, 'error'));
  };
  const input = $<HTMLInputElement>('file');
  input.addEventListener('change', () => go(input.files?.[0]));
  document.addEventListener('dragover', (e) => e.preventDefault());
  document.addEventListener('drop', (e) => { e.preventDefault(); go(e.dataTransfer?.files[0]); });
}

void main();
