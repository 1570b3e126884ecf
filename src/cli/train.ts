// `hvar train tokenizer ...`: the training commands (tokenizer now; the H-VAR transformer joins here).
import { numberFlag, intFlag, parseCommand, runCommand, stringFlag, checkInputDir, checkInputFile, UsageError } from './args.ts';
import { TOKENIZER_PRESETS } from '../train/tokenizer_presets.ts';

export const USAGE = `usage: hvar train tokenizer --out DIR [--data DIR[,DIR...]] [--config NAME | --init FILE [--key K]] [options]
       hvar train tokenizer --out DIR --resume [--steps N]
  Trains the VQVAE tokenizer with HIT prefixes (¼, ½, 1 of the crop): ℓ2 (+ w·LPIPS with --lpips) over the three prefix
  decodes, the VQ loss, quantization dropout; AdamW (0.9, 0.95), warmup + cosine, gradient clipping. Writes DIR/checkpoint.safetensors
  (weights, optimizer, data position; atomic), DIR/vqvae.safetensors (weights), DIR/log.jsonl, DIR/loss.png, DIR/samples/*.png.
  --data DIR       training photos (default data/train-2k); a hashed 10 % of the files is held back for samples and eval
  --config NAME    build from scratch: ${Object.keys(TOKENIZER_PRESETS).join(', ')} (default small)
  --init FILE      fine-tune weights from .pth (VAR's vae_ch160v4096z32.pth) or .safetensors; --key picks a nested state dict
  --train WHAT     codebook (codebook + φ convs), decoder (+ decoder), all (default: all from scratch, codebook with --init)
  --crop N         square training crop in pixels (default 128); a multiple of 4 × the VQVAE's downsampling
  --batch N        images per step (default 4)      --steps N   total steps (default 2000)
  --lr X           peak learning rate (default 4e-4) --warmup N  warmup steps (default 100)  --min-lr X (default lr/10)
  --wd X           weight decay (default 0.01)       --clip X    gradient-norm clip, 0 = off (default 1)
  --beta X         VQ commitment weight (default 0.25) --qdrop P  quantization dropout probability (default 0.5)
  --lpips FILE     LPIPS weights (.safetensors, see 'hvar eval --help'); --lpips-weight X (default 5)
  --seed S         seed of initialisation, data order and dropout (default 0)
  --every N        checkpoint interval in steps (default 50)  --sample-every N  sample sheet interval (default 250)
  --resume         continue DIR's run exactly where its checkpoint stopped (same losses as an uninterrupted run)`;

export async function main(argv: string[]): Promise<number> {
  return runCommand(async () => {
    const [what, ...rest] = argv;
    if (!what || what === '--help' || what === '-h') { console.log(USAGE); return what ? 0 : 2; }
    if (what !== 'tokenizer') throw new UsageError('train', `unknown model '${what}' (one of: tokenizer)`);
    const cmd = 'train tokenizer';
    const f = { type: 'string' } as const;
    const a = parseCommand(cmd, rest, {
      out: f, data: f, config: f, init: f, key: f, train: f, crop: f, batch: f, steps: f, lr: f, warmup: f, 'min-lr': f, wd: f, clip: f,
      beta: f, qdrop: f, lpips: f, 'lpips-weight': f, seed: f, every: f, 'sample-every': f, 'val-fraction': f, resume: { type: 'boolean' },
    }, { names: [] });
    if (!a) { console.log(USAGE); return 0; }
    const v = a.values;
    const out = stringFlag(cmd, '--out', v.out);
    if (!out) throw new UsageError(cmd, '--out DIR is required');
    const resume = !!v.resume;
    if (resume) {
      const allowed = new Set(['out', 'resume', 'steps']);
      const extra = Object.keys(v).filter((k) => v[k] !== undefined && !allowed.has(k));
      if (extra.length) throw new UsageError(cmd, `--resume takes the run's configuration from its checkpoint; drop --${extra[0]}`);
    }
    const steps = intFlag(cmd, '--steps', v.steps, 2000, 1);
    const { Device } = await import('../engine/index.ts');
    const { trainTokenizer } = await import('../train/tokenizer.ts');
    const dev = await Device.create();
    try {
      if (resume) { await trainTokenizer(dev, out, null, { resume: true, steps: v.steps ? steps : undefined }); return 0; }
      const data = (stringFlag(cmd, '--data', v.data) ?? 'data/train-2k').split(',');
      for (const d of data) checkInputDir(cmd, '--data', d);
      const init = stringFlag(cmd, '--init', v.init) ?? null;
      if (init) checkInputFile(cmd, '--init', init);
      const configName = stringFlag(cmd, '--config', v.config);
      if (init && configName) throw new UsageError(cmd, '--config and --init exclude each other (the weights carry their configuration)');
      const preset = TOKENIZER_PRESETS[configName ?? 'small'];
      if (!init && !preset) throw new UsageError(cmd, `--config: unknown '${configName}' (one of ${Object.keys(TOKENIZER_PRESETS).join(', ')})`);
      const train = (stringFlag(cmd, '--train', v.train) ?? (init ? 'codebook' : 'all'));
      if (train !== 'codebook' && train !== 'decoder' && train !== 'all') throw new UsageError(cmd, `--train expects codebook, decoder or all, got '${train}'`);
      const lpips = stringFlag(cmd, '--lpips', v.lpips) ?? null;
      if (lpips) checkInputFile(cmd, '--lpips', lpips);
      const lr = numberFlag(cmd, '--lr', v.lr, 4e-4, 0);
      const { mkdirSync } = await import('node:fs');
      mkdirSync(out, { recursive: true });
      await trainTokenizer(dev, out, {
        data, model: init ? null : preset!, init, initKey: stringFlag(cmd, '--key', v.key) ?? null, train,
        crop: intFlag(cmd, '--crop', v.crop, 128, 8), batch: intFlag(cmd, '--batch', v.batch, 4, 1, 256), steps,
        lr, warmup: intFlag(cmd, '--warmup', v.warmup, 100, 0), minLr: numberFlag(cmd, '--min-lr', v['min-lr'], lr / 10, 0),
        weightDecay: numberFlag(cmd, '--wd', v.wd, 0.01, 0), clip: numberFlag(cmd, '--clip', v.clip, 1, 0),
        beta: numberFlag(cmd, '--beta', v.beta, 0.25, 0), qdrop: numberFlag(cmd, '--qdrop', v.qdrop, 0.5, 0, 1),
        lpips, lpipsWeight: numberFlag(cmd, '--lpips-weight', v['lpips-weight'], 5, 0),
        seed: intFlag(cmd, '--seed', v.seed, 0, 0), valFraction: numberFlag(cmd, '--val-fraction', v['val-fraction'], 0.1, 0, 0.9),
        every: intFlag(cmd, '--every', v.every, 50, 1), sampleEvery: intFlag(cmd, '--sample-every', v['sample-every'], 250, 0),
      }, { resume: false });
      return 0;
    } finally { dev.destroy(); }
  });
}
