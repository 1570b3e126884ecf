// `hvar train tokenizer|hvar ...`: the training commands (the HIT tokenizer, the H-VAR transformer).
import { numberFlag, intFlag, parseCommand, runCommand, stringFlag, checkInputDir, checkInputFile, UsageError } from './args.ts';
import { TOKENIZER_PRESETS } from '../train/tokenizer_presets.ts';
import { HVAR_PRESETS } from '../train/hvar_presets.ts';

export const USAGE = `usage: hvar train hvar --vae FILE --out DIR ... (see 'hvar train hvar --help')
       hvar train tokenizer --out DIR [--data DIR[,DIR...]] [--config NAME | --init FILE [--key K]] [options]
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
  --restart-dead N dead-code restart every N steps: codes unused in the window are re-drawn from the step's encoder
                   outputs and their AdamW moments zeroed; logs codes in use and restarted (default 0 = off)
  --resume         continue DIR's run exactly where its checkpoint stopped (same losses as an uninterrupted run)`;

export async function main(argv: string[]): Promise<number> {
  return runCommand(async () => {
    const [what, ...rest] = argv;
    if (!what || what === '--help' || what === '-h') { console.log(USAGE); return what ? 0 : 2; }
    if (what === 'hvar') return trainHvarMain(rest);
    if (what !== 'tokenizer') throw new UsageError('train', `unknown model '${what}' (one of: tokenizer, hvar)`);
    const cmd = 'train tokenizer';
    const f = { type: 'string' } as const;
    const a = parseCommand(cmd, rest, {
      out: f, data: f, config: f, init: f, key: f, train: f, crop: f, batch: f, steps: f, lr: f, warmup: f, 'min-lr': f, wd: f, clip: f,
      beta: f, qdrop: f, lpips: f, 'lpips-weight': f, seed: f, every: f, 'sample-every': f, 'val-fraction': f, 'restart-dead': f, resume: { type: 'boolean' },
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
        restartDead: intFlag(cmd, '--restart-dead', v['restart-dead'], 0, 0),
      }, { resume: false });
      return 0;
    } finally { dev.destroy(); }
  });
}

export const HVAR_USAGE = `usage: hvar train hvar --vae FILE --out DIR [--data DIR[,DIR...]] [--config NAME] [options]
       hvar train hvar --out DIR --resume [--steps N]
  Trains the H-VAR transformer on HR/LR pairs (Real-ESRGAN degradation of fixed crops), whose HIT tokens the frozen
  tokenizer computes once into DIR/tokens: CE over all scale tokens (1/L) + DPO (−log σ(β·(log p(z_HR) − log p(z_LR)))).
  Writes DIR/checkpoint.safetensors (weights, optimizer, data position; atomic), DIR/hvar.safetensors, DIR/log.jsonl, DIR/loss.png.
  --vae FILE          the tokenizer (.safetensors from 'hvar train tokenizer', or a VAR .pth with --vae-key)
  --config NAME       ${Object.keys(HVAR_PRESETS).join(', ')} (default small)
  --crop N            HR crop = output size (default 256); --scale N LR factor (default 4); --crops-per-image N (default 8)
  --batch N (default 2)  --steps N (default 2000)  --lr X (default 3e-4)  --warmup N (default 100)  --min-lr X (default lr/10)
  --wd X (default 0.05)  --clip X (default 1)  --cond-drop P  null-condition probability for CFG (default 0.1)
  --dpo W             DPO weight, 0 switches it off (default 1)   --beta X  DPO β (default 0.2)
  --seed S (default 0)  --every N  checkpoint interval (default 25)  --resume  continue DIR's run exactly`;

async function trainHvarMain(rest: string[]): Promise<number> {
  const cmd = 'train hvar';
  const f = { type: 'string' } as const;
  const a = parseCommand(cmd, rest, {
    out: f, data: f, vae: f, 'vae-key': f, config: f, crop: f, scale: f, 'crops-per-image': f, batch: f, steps: f, lr: f, warmup: f, 'min-lr': f,
    wd: f, clip: f, 'cond-drop': f, dpo: f, beta: f, seed: f, every: f, 'val-fraction': f, resume: { type: 'boolean' },
  }, { names: [] });
  if (!a) { console.log(HVAR_USAGE); return 0; }
  const v = a.values;
  const out = stringFlag(cmd, '--out', v.out);
  if (!out) throw new UsageError(cmd, '--out DIR is required');
  const resume = !!v.resume;
  if (resume) {
    const extra = Object.keys(v).filter((k) => v[k] !== undefined && !['out', 'resume', 'steps'].includes(k));
    if (extra.length) throw new UsageError(cmd, `--resume takes the run's configuration from its checkpoint; drop --${extra[0]}`);
  }
  const steps = intFlag(cmd, '--steps', v.steps, 2000, 1);
  let cfg: import('../train/hvar.ts').HVARRunConfig | null = null;
  if (!resume) {
    const vae = stringFlag(cmd, '--vae', v.vae);
    if (!vae) throw new UsageError(cmd, '--vae FILE (the tokenizer) is required');
    checkInputFile(cmd, '--vae', vae);
    const data = (stringFlag(cmd, '--data', v.data) ?? 'data/train-2k').split(',');
    for (const d of data) checkInputDir(cmd, '--data', d);
    const name = stringFlag(cmd, '--config', v.config) ?? 'small';
    const preset = HVAR_PRESETS[name];
    if (!preset) throw new UsageError(cmd, `--config: unknown '${name}' (one of ${Object.keys(HVAR_PRESETS).join(', ')})`);
    const lr = numberFlag(cmd, '--lr', v.lr, 3e-4, 0);
    cfg = {
      data, vae, vaeKey: stringFlag(cmd, '--vae-key', v['vae-key']) ?? null, model: preset,
      crop: intFlag(cmd, '--crop', v.crop, 256, 16), scale: intFlag(cmd, '--scale', v.scale, 4, 1, 16), cropsPerImage: intFlag(cmd, '--crops-per-image', v['crops-per-image'], 8, 1),
      batch: intFlag(cmd, '--batch', v.batch, 2, 1, 256), steps, lr, warmup: intFlag(cmd, '--warmup', v.warmup, 100, 0),
      minLr: numberFlag(cmd, '--min-lr', v['min-lr'], lr / 10, 0), weightDecay: numberFlag(cmd, '--wd', v.wd, 0.05, 0), clip: numberFlag(cmd, '--clip', v.clip, 1, 0),
      dpo: numberFlag(cmd, '--dpo', v.dpo, 1, 0), beta: numberFlag(cmd, '--beta', v.beta, 0.2, 0), condDrop: numberFlag(cmd, '--cond-drop', v['cond-drop'], 0.1, 0, 1),
      seed: intFlag(cmd, '--seed', v.seed, 0, 0), valFraction: numberFlag(cmd, '--val-fraction', v['val-fraction'], 0.1, 0, 0.9), every: intFlag(cmd, '--every', v.every, 25, 1),
    };
  }
  const { Device } = await import('../engine/index.ts');
  const { trainHVAR } = await import('../train/hvar.ts');
  const dev = await Device.create();
  try {
    const r = await trainHVAR(dev, out, cfg, { resume, steps: resume && v.steps ? steps : undefined });
    r.model.dispose(); r.vae.dispose();
    return 0;
  } finally { dev.destroy(); }
}
