// `hvar sample-var --vae FILE --var FILE --class N OUT`: one class-conditional image from VAR (KV-cache sampling with CFG) decoded by the VQVAE.
import { checkImageOutput, writeImage } from '../io/image.ts';
import { checkInputFile, intFlag, parseCommand, runCommand, stringFlag, UsageError } from './args.ts';

export const USAGE = `usage: hvar sample-var --vae FILE --var FILE --class N OUT [--cfg 1.5] [--top-k 900] [--top-p 0.96] [--seed 0]
  --vae FILE      VQVAE weights: VAR's .pth (vae_ch160v4096z32.pth) or hvar's .safetensors
  --var FILE      VAR transformer weights: VAR's .pth (var_d16.pth ...) or a .safetensors of the same keys
  --class N       class index from 0 to num_classes - 1 (ImageNet for the released models), or num_classes for the null class
  OUT             .png, .jpg or .jpeg; replaced only once complete
  --cfg G         classifier-free guidance, ramped t = G·si/(K − 1) over the scales (default 1.5; VAR's demo uses 4)
  --top-k K       keep the K largest logits per token, 0 = all (default 900)
  --top-p P       nucleus filter in [0, 1], 0 = off (default 0.96)
  --seed S        decimal integer from 0 to 2^53 - 1 (default 0); the same seed gives the same image
  --vae-key K, --var-key K   .pth: dotted key path of a nested state dict (e.g. trainer.vae_local, trainer.var_wo_ddp)`;

/** A finite decimal number within [min, max]. */
function numFlag(flag: string, v: string | boolean | undefined, dflt: number, min: number, max: number): number {
  if (v === undefined) return dflt;
  const s = String(v), n = Number(s);
  if (!/^[0-9]*\.?[0-9]+(e[+-]?[0-9]+)?$/i.test(s) || !Number.isFinite(n) || n < min || n > max)
    throw new UsageError('sample-var', `${flag} expects a number from ${min} to ${max}, got '${s}'`);
  return n;
}

export async function main(argv: string[]): Promise<number> {
  return runCommand(async () => {
    const a = parseCommand('sample-var', argv, {
      vae: { type: 'string' }, var: { type: 'string' }, class: { type: 'string' }, cfg: { type: 'string' }, 'top-k': { type: 'string' },
      'top-p': { type: 'string' }, seed: { type: 'string' }, 'vae-key': { type: 'string' }, 'var-key': { type: 'string' },
    }, { names: ['OUT'] });
    if (!a) { console.log(USAGE); return 0; }
    const vaePath = stringFlag('sample-var', '--vae', a.values.vae), varPath = stringFlag('sample-var', '--var', a.values.var);
    if (!vaePath) throw new UsageError('sample-var', 'missing --vae FILE');
    if (!varPath) throw new UsageError('sample-var', 'missing --var FILE');
    if (a.values.class === undefined) throw new UsageError('sample-var', 'missing --class N');
    const cls = intFlag('sample-var', '--class', a.values.class, 0, 0);
    const cfg = numFlag('--cfg', a.values.cfg, 1.5, 0, 100);
    const topK = intFlag('sample-var', '--top-k', a.values['top-k'], 900, 0);
    const topP = numFlag('--top-p', a.values['top-p'], 0.96, 0, 1);
    const seed = intFlag('sample-var', '--seed', a.values.seed, 0, 0);
    const vaeKey = stringFlag('sample-var', '--vae-key', a.values['vae-key']), varKey = stringFlag('sample-var', '--var-key', a.values['var-key']);
    const [out] = a.positionals as [string];
    checkImageOutput(out);
    checkInputFile('sample-var', '--vae', vaePath);
    checkInputFile('sample-var', '--var', varPath);

    const { Device, noGrad, ops } = await import('../index.ts');
    const { loadVAR, sampleVAR } = await import('../models/var/index.ts');
    const { loadVQVAE } = await import('../models/vqvae/index.ts');
    const { varSegments } = await import('../models/quant/schedule.ts');
    const dev = await Device.create();
    try {
      const t0 = performance.now();
      const { model, config, inferred } = await loadVAR(dev, varPath, { key: varKey });
      if (cls > config.numClasses) throw new UsageError('sample-var', `--class must be from 0 to ${config.numClasses} (${config.numClasses} = the null class) for this model, got ${cls}`);
      const vae = await loadVQVAE(dev, vaePath, { key: vaeKey, cfg: { segments: varSegments(config.patchNums) } });
      if (vae.cfg.vocabSize !== config.vocab || vae.cfg.zChannels !== config.cvae)
        throw new Error(`sample-var: the VQVAE (vocab ${vae.cfg.vocabSize}, Cvae ${vae.cfg.zChannels}) does not match the transformer (vocab ${config.vocab}, Cvae ${config.cvae})`);
      model.eval().prepareForInference();
      vae.eval().prepareForInference();
      const t1 = performance.now();
      const r = await sampleVAR(model, { labels: [cls], cfg, topK, topP, seed, quantizer: vae.quantize, decode: (f) => noGrad(dev, () => vae.decodeLatent(f)) });
      const img = noGrad(dev, () => ops.affine(r.image!, 0.5, 0.5));
      const [, , h, w] = img.shape as [number, number, number, number];
      await writeImage(out, { data: (await img.toArray()) as Float32Array, c: 3, h, w });
      const t2 = performance.now();
      for (const l of inferred) console.log(`var: ${l}`);
      for (const l of vae.configNotes) console.log(`vae: ${l}`);
      console.log(`class ${cls}, cfg ${cfg}, top-k ${topK}, top-p ${topP}, seed ${seed}: ${model.sizes.L} tokens over ${model.sizes.K} scales -> ${w}x${h} ${out}; load ${((t1 - t0) / 1000).toFixed(1)} s, sample + decode ${((t2 - t1) / 1000).toFixed(1)} s`);
      model.dispose(); vae.dispose();
    } finally {
      dev.destroy();
    }
    return 0;
  });
}
