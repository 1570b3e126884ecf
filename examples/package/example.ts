// Ten lines against the published package: a device, a matrix product, a safetensors round trip, one AdamW step.
import { Device, fromArray, ops, backward, nn, AdamW, writeSafetensors, loadSafetensors } from 'hvar';
const dev = await Device.create();
const c = ops.matmul(fromArray(dev, [1, 2, 3, 4, 5, 6], [2, 3]), fromArray(dev, [1, 0, 0, 1, 1, 1], [3, 2]));
console.log('matmul', Array.from(await c.toArray()));
await writeSafetensors('w.safetensors', { w: { dtype: 'F32', shape: [2], data: new Float32Array([1, -1]) } });
const w = nn.parameter(fromArray(dev, (await loadSafetensors('w.safetensors')).get('w')!.data, [2]), 'w');
backward(ops.sum(ops.square(w)));
const opt = new AdamW([w], { lr: 0.1, weightDecay: 0 }); opt.step(); opt.zeroGrad();
console.log('adamw', Array.from(await w.toArray()), Array.from(await opt.state.get(w)!.exp_avg.toArray()));
dev.destroy();
