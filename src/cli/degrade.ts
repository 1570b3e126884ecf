// `hvar degrade IN OUT [--scale 4] [--seed S] [--no-usm] [--plan FILE.json]`: one Real-ESRGAN degradation of a whole image.
import { checkImageOutput, decodeImage, probeImageChecked, writeImage, DEFAULT_MAX_PIXELS } from '../io/image.ts';
import { checkOutputPath, writeFileAtomic } from '../io/atomic.ts';
import { StreamRng } from '../train/data/rng.ts';
import { realEsrganConfig } from '../train/data/degrade/config.ts';
import { applyDegradePlan, cpuDegradeOps, sampleDegradePlan } from '../train/data/degrade/pipeline.ts';
import { SCALES, choiceIntFlag, intFlag, parseCommand, runCommand, stringFlag, UsageError } from './args.ts';

export const USAGE = `usage: hvar degrade IN OUT [--scale 4] [--seed 0] [--no-usm] [--plan plan.json] [--max-pixels N]
  IN, OUT           PNG or JPEG (OUT: .png, .jpg or .jpeg); OUT is replaced only once it is complete
  --scale S         one of ${SCALES.join(', ')} (default 4)
  --seed S          decimal integer from 0 to 2^53 - 1 (default 0); the same seed gives the same output
  --no-usm          skip the unsharp mask
  --plan FILE.json  also write the sampled degradation plan
  --max-pixels N    largest input accepted, in pixels (default ${DEFAULT_MAX_PIXELS})`;

export async function main(argv: string[]): Promise<number> {
  return runCommand(async () => {
    const a = parseCommand('degrade', argv, { scale: { type: 'string' }, seed: { type: 'string' }, 'no-usm': { type: 'boolean' },
      plan: { type: 'string' }, 'max-pixels': { type: 'string' } }, { names: ['IN', 'OUT'] });
    if (!a) { console.log(USAGE); return 0; }
    const scale = choiceIntFlag('degrade', '--scale', a.values.scale, 4, SCALES);
    const seed = intFlag('degrade', '--seed', a.values.seed, 0, 0);
    const maxPixels = intFlag('degrade', '--max-pixels', a.values['max-pixels'], DEFAULT_MAX_PIXELS, 1);
    const planOut = stringFlag('degrade', '--plan', a.values.plan);
    const [inp, out] = a.positionals as [string, string];
    checkImageOutput(out);
    if (planOut) {
      checkOutputPath(planOut, ['.json'], 'plan');
      if (planOut === out) throw new UsageError('degrade', `--plan '${planOut}' is the same file as OUT`);
    }
    const { info, buf } = probeImageChecked(inp, { maxPixels });
    if (Math.floor(info.width / scale) < 1 || Math.floor(info.height / scale) < 1)
      throw new Error(`hvar degrade: '${inp}' is ${info.width}x${info.height}, smaller than the scale ${scale}`);
    const hr = decodeImage(buf, inp, { maxPixels });
    const cfg = { ...realEsrganConfig(scale), usm: !a.values['no-usm'] };
    const plan = sampleDegradePlan(StreamRng.fromSeed(seed), cfg, hr.h, hr.w);
    let lr;
    try { lr = await applyDegradePlan(hr, plan, cpuDegradeOps); } catch (e) { throw new Error(`hvar degrade: '${inp}': ${(e as Error).message}`); }
    await writeImage(out, lr);
    if (planOut) writeFileAtomic(planOut, JSON.stringify(plan, null, 1));
    const k = (d: { type: string; size: number }) => `${d.type}/${d.size}`;
    console.log(`${inp} ${hr.w}x${hr.h} -> ${out} ${lr.w}x${lr.h} (seed ${seed}): blur1 ${k(plan.blur1)}, ` +
      `resize1 ${plan.resize1.dir} ${plan.resize1.mode}, ${plan.noise1.kind} noise, jpeg ${plan.jpeg1.toFixed(0)}; ` +
      `blur2 ${plan.blur2 ? k(plan.blur2) : 'none'}, resize2 ${plan.resize2.dir} ${plan.resize2.mode}, ${plan.noise2.kind} noise; ` +
      `final ${plan.finalOrder} ${plan.finalMode}, sinc ${plan.sinc.type}, jpeg ${plan.jpeg2.toFixed(0)}`);
    return 0;
  });
}
