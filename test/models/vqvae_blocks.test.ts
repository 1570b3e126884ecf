// VQVAE blocks under autograd: input gradients of AttnBlock (strided q/k/v views, transposed matmuls), ResnetBlock
// (with nin_shortcut), Downsample (pad right/bottom, stride 2) and Upsample against finite differences, on odd sizes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Rng, gradcheck, type Tensor } from '../../src/engine/index.ts';
import { AttnBlock, Downsample, ResnetBlock, Upsample } from '../../src/models/vqvae/blocks.ts';
import { Flow, ParamMaker } from '../../src/models/vqvae/layers.ts';
import { getDevice, closeDevice } from '../helpers/gpu.ts';

const data = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(seed + i * 1.37) * 0.8);

async function check(name: string, shape: number[], make: (mk: ParamMaker) => { parameters(): Tensor[]; forward(x: Tensor, f: Flow): Tensor }) {
  const dev = await getDevice();
  const blk = make(new ParamMaker(dev, new Rng(11)));
  const r = await gradcheck(dev, ([x]) => blk.forward(x!, new Flow(x!, blk.parameters())), [{ shape, data: data(shape.reduce((a, b) => a * b, 1), shape.length) }], { eps: 1e-2, atol: 2e-3, rtol: 2e-2, samples: 12 });
  assert.ok(r.ok, `${name}: ${r.worst} (max abs err ${r.maxAbsErr})`);
}

test('AttnBlock dx (C 32, 3×5 positions, B 2)', () => check('AttnBlock', [2, 32, 3, 5], (mk) => new AttnBlock(mk, 32)));
test('ResnetBlock 32→64 dx (nin_shortcut), 5×3', () => check('ResnetBlock', [1, 32, 5, 3], (mk) => new ResnetBlock(mk, 32, 64)));
test('Downsample dx on 5×7 (odd: the padded row and column are used)', () => check('Downsample', [1, 32, 5, 7], (mk) => { const d = new Downsample(mk, 32); return { parameters: () => d.parameters(), forward: (x) => d.forward(x) }; }));
test('Upsample dx on 3×2', () => check('Upsample', [1, 32, 3, 2], (mk) => new Upsample(mk, 32)));

test.after(async () => { await closeDevice(); });
test.run();
