// The `hvar` command line: dispatches sub-commands (doctor, degrade, eval, upscale, bundle, convert, inspect, flops, bench, tokenize, sample-var, train, eval-tokenizer, eval-upscaler).
import { runFiltered, runsHere } from './quiet_dawn.ts';

/** `gpu`: the command may open a WebGPU device (it then runs behind the Dawn start-up warning filter). */
const COMMANDS: Record<string, { help: string; gpu?: boolean; load: () => Promise<{ main(argv: string[]): Promise<number> }> }> = {
  doctor: { help: 'report the WebGPU adapter, features and limits [--json]', gpu: true, load: () => import('./doctor.ts') },
  degrade: { help: 'IN OUT [--scale 4] [--seed S] [--no-usm]: Real-ESRGAN two-stage degradation of one image', load: () => import('./degrade.ts') },
  eval: { help: '--pred DIR --gt DIR [--json] [--crop N] [--y] [--lpips W.safetensors]: PSNR / SSIM (/ LPIPS) table', gpu: true, load: () => import('./eval.ts') },
  convert: { help: 'IN.pth OUT.safetensors [--key trainer.vae_local]: PyTorch checkpoint (state-dict contents only) to safetensors', load: () => import('./convert.ts') },
  inspect: { help: 'FILE [--json] [--key K]: tensor names, shapes, dtypes, parameter count of a .pth or .safetensors file', load: () => import('./inspect.ts') },
  flops: { help: '--model NAME [--json]: analytic parameter and FLOP counts per part (paper accounting and full)', load: () => import('./flops.ts') },
  bench: { help: 'paper|kernels [...]: the paper benchmark (one ×4 H-VAR generation) or the kernel roofline against tfjs-webgpu', gpu: true, load: () => import('./bench.ts') },
  'eval-tokenizer': { help: '--vae FILE [--data DIR] [--size N] [--out DIR] [--json]: prefix-decode PSNR/SSIM, HIT vs plain VAR', gpu: true, load: () => import('./eval_tokenizer.ts') },
  'eval-upscaler': { help: '--model FILE [--data DIR] [--split val] [--size N] [--lr degrade|bicubic] [--out DIR] [--json]: H-VAR x1/x2/x4 PSNR/SSIM vs bicubic', gpu: true, load: () => import('./eval_upscaler.ts') },
  train: { help: 'tokenizer|hvar --out DIR ... [--resume]: train the HIT tokenizer or the H-VAR transformer (checkpoints, resume)', gpu: true, load: () => import('./train.ts') },
  tokenize: { help: '--vae FILE IMG --out DIR [--schedule hit512]: VQVAE tokens of an image and the image decoded per segment', gpu: true, load: () => import('./tokenize.ts') },
  'sample-var': { help: '--vae FILE --var FILE --class N OUT [--cfg --top-k --top-p --seed]: one class-conditional VAR image', gpu: true, load: () => import('./sample_var.ts') },
  upscale: { help: '<images or folders...> [--out DIR] [--model FILE] [--seed S]: H-VAR x1, x2, x4 (and a sheet) of each image; --bicubic IN OUT: the baseline', gpu: true, load: () => import('./upscale.ts') },
  bundle: { help: '--vae FILE --hvar FILE --card CARD.json OUT.safetensors: one H-VAR model bundle (tokenizer + transformer + model card)', gpu: true, load: () => import('./bundle.ts') },
};

async function run(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    console.log('usage: hvar <command> [options]\n\ncommands:\n' + Object.entries(COMMANDS).map(([k, v]) => `  ${k.padEnd(10)} ${v.help}`).join('\n'));
    return cmd ? 0 : 1;
  }
  const c = COMMANDS[cmd];
  if (!c) { console.error(`hvar: unknown command '${cmd}' (try: ${Object.keys(COMMANDS).join(', ')})`); return 2; }
  if (c.gpu && !runsHere()) return runFiltered();
  return (await c.load()).main(rest);
}

process.env.XDG_RUNTIME_DIR ??= '/tmp';
run(process.argv.slice(2)).then((code) => process.exit(code), (e) => { console.error(`hvar: ${e?.message ?? e}`); process.exit(1); });
