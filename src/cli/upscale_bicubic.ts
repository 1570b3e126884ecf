// `hvar upscale --bicubic in.png out.png [--scale 4]`: the bicubic baseline (PyTorch bicubic, A = -0.75).
import { readImage, writeImage } from '../io/image.ts';
import { bicubicUpscale } from '../metrics/bicubic.ts';

const USAGE = 'usage: hvar upscale --bicubic IN OUT [--scale 4]';

export async function main(argv: string[]): Promise<number> {
  const pos: string[] = [];
  let scale = 4;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--bicubic') continue;
    else if (a === '--scale') scale = Number(argv[++i]);
    else if (a === '-h' || a === '--help') { console.log(USAGE); return 0; }
    else if (a.startsWith('--')) { console.error(`hvar upscale: unknown option '${a}'\n${USAGE}`); return 2; }
    else pos.push(a);
  }
  if (pos.length !== 2 || !(scale > 0)) { console.error(USAGE); return 2; }
  try {
    const img = await readImage(pos[0]);
    const out = bicubicUpscale(img, scale);
    await writeImage(pos[1], out);
    console.log(`${pos[0]} ${img.w}x${img.h} -> ${pos[1]} ${out.w}x${out.h} (bicubic x${scale})`);
    return 0;
  } catch (e) {
    console.error((e as Error).message);
    return 1;
  }
}
