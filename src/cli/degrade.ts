// `hvar degrade IN OUT [--scale 4] [--seed S] [--no-usm] [--plan FILE.json]`: one Real-ESRGAN degradation of a whole image.
import { writeFile } from 'node:fs/promises';
import { readImage, writeImage } from '../io/image.ts';
import { StreamRng } from '../train/data/rng.ts';
import { realEsrganConfig } from '../train/data/degrade/config.ts';
import { applyDegradePlan, cpuDegradeOps, sampleDegradePlan } from '../train/data/degrade/pipeline.ts';

const USAGE = 'usage: hvar degrade IN OUT [--scale 4] [--seed 0] [--no-usm] [--plan plan.json]';

export async function main(argv: string[]): Promise<number> {
  const pos: string[] = [];
  let scale = 4, seed: string | number = 0, usm = true, planOut = '';
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--scale') scale = Number(argv[++i]);
    else if (a === '--seed') { const s = argv[++i] ?? ''; seed = /^\d+$/.test(s) ? Number(s) : s; }
    else if (a === '--no-usm') usm = false;
    else if (a === '--plan') planOut = argv[++i] ?? '';
    else if (a === '-h' || a === '--help') { console.log(USAGE); return 0; }
    else if (a.startsWith('--')) { console.error(`hvar degrade: unknown option '${a}'\n${USAGE}`); return 2; }
    else pos.push(a);
  }
  if (pos.length !== 2 || !Number.isInteger(scale) || scale < 1) { console.error(USAGE); return 2; }
  try {
    const hr = await readImage(pos[0]);
    const cfg = { ...realEsrganConfig(scale), usm };
    const plan = sampleDegradePlan(StreamRng.fromSeed(seed), cfg, hr.h, hr.w);
    const lr = await applyDegradePlan(hr, plan, cpuDegradeOps);
    await writeImage(pos[1], lr);
    if (planOut) await writeFile(planOut, JSON.stringify(plan, null, 1));
    const k = (d: { type: string; size: number }) => `${d.type}/${d.size}`;
    console.log(`${pos[0]} ${hr.w}x${hr.h} -> ${pos[1]} ${lr.w}x${lr.h} (seed ${seed}): blur1 ${k(plan.blur1)}, ` +
      `resize1 ${plan.resize1.dir} ${plan.resize1.mode}, ${plan.noise1.kind} noise, jpeg ${plan.jpeg1.toFixed(0)}; ` +
      `blur2 ${plan.blur2 ? k(plan.blur2) : 'none'}, resize2 ${plan.resize2.dir} ${plan.resize2.mode}, ${plan.noise2.kind} noise; ` +
      `final ${plan.finalOrder} ${plan.finalMode}, sinc ${plan.sinc.type}, jpeg ${plan.jpeg2.toFixed(0)}`);
    return 0;
  } catch (e) {
    console.error((e as Error).message);
    return 1;
  }
}
