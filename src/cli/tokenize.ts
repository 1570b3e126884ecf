// `hvar tokenize --vae FILE IMG --out DIR`: tokenizes one image with a VQVAE and writes the prefix decodes (one PNG per
// segment: ¼, ½ and full size for HIT_512) and the token ids.
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { decodeImage, probeImageChecked, writeImage, DEFAULT_MAX_PIXELS } from '../io/image.ts';
import { writeFileAtomic } from '../io/atomic.ts';
import { HIT_512, VAR_SCHEDULES, varSegments, type Segment } from '../models/quant/schedule.ts';
import { checkInputFile, parseCommand, runCommand, stringFlag, UsageError } from './args.ts';

const SCHEDULES: Record<string, Segment[]> = {
  var256: varSegments(VAR_SCHEDULES[256]), var512: varSegments(VAR_SCHEDULES[512]), hit512: HIT_512.map((s) => ({ side: s.side, scales: [...s.scales] })),
};

export const USAGE = `usage: hvar tokenize --vae FILE IMG --out DIR [--key KEY] [--schedule ${Object.keys(SCHEDULES).join('|')}]
  --vae FILE     VQVAE weights: VAR's .pth (e.g. vae_ch160v4096z32.pth) or hvar's .safetensors
  IMG            PNG or JPEG; the centre square is resized to the schedule's image side (area down, bicubic up)
  --out DIR      writes seg<n>_<side>px.png per segment (the image of the tokens up to that segment's end) and
                 tokens.safetensors (ids [1, L] I32; metadata: the schedule); DIR is created if missing
  --key KEY      .pth only: dotted key path of a nested state dict (e.g. trainer.vae_local)
  --schedule S   var256, var512 (one segment) or hit512 (MODEL_SPEC §1); default: the file's stored config, else var256`;

export async function main(argv: string[]): Promise<number> {
  return runCommand(async () => {
    const a = parseCommand('tokenize', argv, { vae: { type: 'string' }, out: { type: 'string' }, key: { type: 'string' }, schedule: { type: 'string' } }, { names: ['IMG'] });
    if (!a) { console.log(USAGE); return 0; }
    const vaePath = stringFlag('tokenize', '--vae', a.values.vae), out = stringFlag('tokenize', '--out', a.values.out);
    const key = stringFlag('tokenize', '--key', a.values.key), sched = stringFlag('tokenize', '--schedule', a.values.schedule);
    if (!vaePath) throw new UsageError('tokenize', 'missing --vae FILE');
    if (!out) throw new UsageError('tokenize', 'missing --out DIR');
    if (sched !== undefined && !(sched in SCHEDULES)) throw new UsageError('tokenize', `--schedule must be one of ${Object.keys(SCHEDULES).join(', ')}, got '${sched}'`);
    const [imgPath] = a.positionals as [string];
    checkInputFile('tokenize', '--vae', vaePath);
    checkInputFile('tokenize', 'IMG', imgPath);
    if (existsSync(out) && !statSync(out).isDirectory()) throw new UsageError('tokenize', `--out '${out}' exists and is not a directory`);
    const { info, buf } = probeImageChecked(imgPath, { maxPixels: DEFAULT_MAX_PIXELS });
    const img = decodeImage(buf, imgPath, { maxPixels: DEFAULT_MAX_PIXELS });

    const { Device, fromArray, noGrad, ops, serializeSafetensors } = await import('../index.ts');
    const { loadVQVAE } = await import('../models/vqvae/io.ts');
    const dev = await Device.create();
    try {
      const t0 = performance.now();
      const vae = await loadVQVAE(dev, vaePath, { key, cfg: sched ? { segments: SCHEDULES[sched] } : undefined });
      const S = vae.imageSide, side = Math.min(info.width, info.height);
      const x = noGrad(dev, () => {
        const full = fromArray(dev, img.data, [1, img.c, img.h, img.w]);
        const rgb = img.c === 3 ? full : ops.expand(ops.slice(full, 1, 0, 1), [1, 3, img.h, img.w]);
        const y0 = (img.h - side) >> 1, x0 = (img.w - side) >> 1;
        const sq = ops.slice(ops.slice(rgb, 2, y0, y0 + side), 3, x0, x0 + side);
        const r = side === S ? ops.contiguous(sq) : ops.resample(ops.contiguous(sq), S, S, side > S ? 'area' : 'bicubic');
        return ops.affine(r, 2, -1);
      });
      const tLoad = performance.now();
      const tok = vae.tokenize(x);
      const imgs = vae.decodeTokens(tok.idx_BL);
      mkdirSync(out, { recursive: true });
      const written: string[] = [];
      for (const [n, im] of imgs.entries()) {
        const s = im.shape[2]!;
        const u = noGrad(dev, () => ops.affine(im, 0.5, 0.5));
        const p = join(out, `seg${n}_${s}px.png`);
        await writeImage(p, { data: (await u.toArray()) as Float32Array, c: 3, h: s, w: s });
        written.push(p);
      }
      const ids = (await tok.idx_BL.toArray()) as Int32Array;
      const tp = join(out, 'tokens.safetensors');
      writeFileAtomic(tp, serializeSafetensors({ idx_BL: { dtype: 'I32', shape: [1, ids.length], data: ids } }, { schedule: JSON.stringify(vae.cfg.segments), vae: vaePath }));
      written.push(tp);
      const t1 = performance.now();
      for (const n of vae.configNotes) console.log(`config: ${n}`);
      console.log(`${imgPath} ${img.w}x${img.h} -> ${S}x${S}: ${vae.tokens} tokens over ${vae.plan.scales.length} scales; load ${((tLoad - t0) / 1000).toFixed(1)} s, tokenize + decode ${((t1 - tLoad) / 1000).toFixed(1)} s`);
      for (const p of written) console.log(`  ${p}`);
      vae.dispose();
    } finally {
      dev.destroy();
    }
    return 0;
  });
}
