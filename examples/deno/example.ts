// The library under Deno (wgpu, Deno's own navigator.gpu): a matrix product and a bicubic ×2 upsampling on the GPU, each checked against the CPU.
// A Deno user of the npm package would import 'npm:hvar' (resolved through the package's `deno` export, dist/node.mjs). This
// example runs offline from the repository, where no registry serves the package, so it imports that built file directly
// (`npm run build` makes it). Run: node_modules/.bin/deno run -A examples/deno/example.ts
// @ts-types="../../dist/types/node.d.ts"
import { Device, fromArray, ops, resampleCpu } from '../../dist/node.mjs';

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

dev.destroy();
if (c.some((v, i) => v !== cCpu[i]) || !(err <= 1e-5)) throw new Error('deno example: GPU results differ from the CPU');
console.log('ok');
