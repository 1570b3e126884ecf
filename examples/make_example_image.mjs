// Makes the README's example input: a 512×512 crop of a photo the training split holds back, reduced 4× by a box filter
// (examples/images/<name>_lr.png, 128×128) with the crop itself as ground truth (<name>_gt.png). Run: node examples/make_example_image.mjs
import { readImageSync, writeImageSync } from '../dist/node.mjs';

const jobs = [{ src: 'data/train-2k/lomiri_wine.jpg', name: 'wine', x: 420, y: 760, side: 512 }];
for (const j of jobs) {
  const img = readImageSync(j.src), { side } = j, f = 4, s = side / f;
  if (j.x + side > img.w || j.y + side > img.h) throw new Error(`${j.src}: the crop ${j.x},${j.y}+${side} leaves the ${img.w}×${img.h} image`);
  const gt = { data: new Float32Array(3 * side * side), c: 3, h: side, w: side };
  const lr = { data: new Float32Array(3 * s * s), c: 3, h: s, w: s };
  for (let c = 0; c < 3; c++) for (let y = 0; y < side; y++) for (let x = 0; x < side; x++)
    gt.data[(c * side + y) * side + x] = img.data[(c * img.h + j.y + y) * img.w + j.x + x];
  for (let c = 0; c < 3; c++) for (let y = 0; y < s; y++) for (let x = 0; x < s; x++) {
    let a = 0;
    for (let dy = 0; dy < f; dy++) for (let dx = 0; dx < f; dx++) a += gt.data[(c * side + y * f + dy) * side + x * f + dx];
    lr.data[(c * s + y) * s + x] = a / (f * f);
  }
  writeImageSync(`examples/images/${j.name}_gt.png`, gt);
  writeImageSync(`examples/images/${j.name}_lr.png`, lr);
  console.log(`examples/images/${j.name}_lr.png ${s}×${s} and _gt.png ${side}×${side} from ${j.src}`);
}
