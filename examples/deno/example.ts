// The library under Deno (wgpu, Deno's own navigator.gpu): a matrix product and a bicubic ×2 upsampling on the GPU, each checked
// against the CPU, then one H-VAR upscale (×1, ×2, ×4) with the embedded model.
// A Deno user of the npm package would import 'npm:hvar' (resolved through the package's `deno` export, dist/node.mjs). This
// example runs offline from the repository, where no registry serves the package, so it imports that built file directly
// (`npm run build` makes it). Run: node_modules/.bin/deno run -A examples/deno/example.ts
// @ts-types="../../dist/types/node.d.ts"
import { Device, fromArray, loadBundle, ops, readImage, resampleCpu, upscale } from '../../dist/node.mjs';

const dev = await Device.create();
const info = dev.report();
console.log(`adapter ${info.runtime} ${[info.vendor, info.architecture, info.description].filter(Boolean).join(' ') || '(no name)'}`);

// [2,3]·[3,2] on the GPU against the row-by-column sums on the CPU.
const a = [1, 2, 3, 4, 5, 6], b = [1, 0, 0, 1, 1, 1];
const c = Array.from(await ops.matmul(fromArray(dev, a, [2, 3]), fromArray(dev, b, [3, 2])).toArray());
const cCpu = [0, 1].flatMap((i) => [0, 1].map((j) => a[i * 3]! * b[j]! + a[i * 3 + 1]! * b[2 + j]! + a[i * 3 + 2]! * b[4 + j]!));
console.log(`matmul ${JSON.stringify(c)} cpu ${JSON.stringify(cCpu)}`);

// A 3-channel 5×7 image upsampled to 10×14 (PyTorch bicubic, A = −0.75) against the library's f64 CPU reference.
const [C, H, W] = [3, 5, 7];
const img = Float32Array.from({ length: C * H * W }, (_, i) => 0.5 + 0.5 * Math.sin(i * 0.7));
const up = await ops.resample(fromArray(dev, img, [1, C, H, W]), 2 * H, 2 * W, 'bicubic').toArray();
const ref = resampleCpu(img, 1, C, H, W, 2 * H, 2 * W, 'bicubic');
const err = ref.reduce((m, r, i) => Math.max(m, Math.abs(r - up[i]!)), 0);
console.log(`resample bicubic [1,${C},${H},${W}] -> [1,${C},${2 * H},${2 * W}] ${up.length} values, max |gpu - cpu| ${err.toExponential(2)}`);

// One upscale with the embedded model: a 16×16 corner of the README's example image (one tile, reflect-padded) to ×1, ×2, ×4.
const modelPath = new URL('../../models/hvar-small.safetensors', import.meta.url).pathname;
let upOk = true;
if (await Deno.stat(modelPath).then(() => true, () => false)) {
  const t0 = performance.now();
  const model = await loadBundle(dev, modelPath);
  const photo = await readImage(new URL('../images/wine_lr.png', import.meta.url).pathname);
  const s = 16, data = new Float32Array(3 * s * s);
  for (let ch = 0; ch < 3; ch++) for (let y = 0; y < s; y++) for (let x = 0; x < s; x++) data[(ch * s + y) * s + x] = photo.data[(ch * photo.h + y) * photo.w + x]!;
  const { x1, x2, x4 } = await upscale(dev, model, { data, c: 3, h: s, w: s }, { seed: 0 });
  model.dispose();
  upOk = [x1, x2, x4].every((im) => im.data.every((v) => v >= 0 && v <= 1));
  console.log(`upscale ${s}x${s} -> x1 ${x1.w}x${x1.h}, x2 ${x2.w}x${x2.h}, x4 ${x4.w}x${x4.h}, values in [0, 1]: ${upOk} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
} else console.log(`upscale skipped: no embedded model at ${modelPath}`);

dev.destroy();
if (c.some((v, i) => v !== cCpu[i]) || !(err <= 1e-5) || !upOk) throw new Error('deno example: GPU results differ from the CPU, or the upscale is out of range');
console.log('ok');
