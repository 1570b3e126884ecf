// Renders the pictures of docs/var-internals.md (schedules, token maps, mask, f_hat per scale, HIT prefix decodes, KV cache) into docs/internals/.
// Run: npx esbuild --bundle --platform=node --format=esm --packages=external examples/internals.ts --outfile=.build/internals.mjs && node .build/internals.mjs [--vae FILE] [--image FILE] [--out DIR] [--size N]
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Device, Rng, loadBundle, openSafetensors, readImage } from '../src/node.ts';
import { VQVAE, loadVQVAE } from '../src/models/vqvae/index.ts';
import { TOKENIZER_PRESETS } from '../src/train/tokenizer_presets.ts';
import { renderInternals } from './internals/render.ts';

const BUNDLE = 'models/hvar-small.safetensors';
const PHOTOS = ['data/train-2k/skimage_chelsea.jpg', 'data/train-2k/skimage_coffee.jpg'];
const USAGE = `usage: node .build/internals.mjs [--vae FILE] [--image FILE] [--out DIR] [--size N]
  --vae FILE    VQVAE (.safetensors from 'hvar train tokenizer', VAR's .pth, or a model bundle; default: the tokenizer in
                ${BUNDLE} when it exists, else a randomly initialised 'small' tokenizer, marked on every picture)
  --image FILE  photo (default ${PHOTOS[0]}); its central square is area-resized to --size
  --out DIR     output folder (default docs/internals)
  --size N      image side in pixels, a multiple of 4 x the tokenizer's downsampling (default 128)`;

function fail(msg: string): never { console.error(`internals: ${msg}\n${USAGE}`); process.exit(2); }

const OPTIONS = { vae: { type: 'string' }, image: { type: 'string' }, out: { type: 'string' }, size: { type: 'string' }, help: { type: 'boolean', short: 'h' } } as const;
function parse() {
  try { return parseArgs({ options: OPTIONS, strict: true }).values; } catch (e) { return fail((e as Error).message.split('\n')[0]!); }
}
const args = parse();
if (args.help) { console.log(USAGE); process.exit(0); }
const size = args.size === undefined ? 128 : /^[1-9][0-9]*$/.test(args.size) ? Number(args.size) : fail(`--size expects a positive integer, got '${args.size}'`);
if (size > 1024) fail(`--size ${size} is above 1024`);
const out = args.out ?? 'docs/internals';
const image = args.image ?? PHOTOS.find((p) => existsSync(p)) ?? fail(`--image is needed: none of ${PHOTOS.join(', ')} exists here`);
for (const [flag, f] of [['--image', image], ['--vae', args.vae]] as const) {
  if (f !== undefined && !(existsSync(f) && statSync(f).isFile())) fail(`${flag} '${f}' is not a file`);
}
mkdirSync(out, { recursive: true });

const dev = await Device.create();
/** The tokenizer and the words that describe its weights on the pictures. */
async function tokenizer(): Promise<{ vae: VQVAE; weights: string }> {
  const path = args.vae ?? (existsSync(BUNDLE) ? BUNDLE : null);
  if (!path) {
    console.log(`internals: no --vae and no ${BUNDLE}: using a RANDOMLY INITIALISED 'small' tokenizer; the pictures show structure only`);
    return { vae: VQVAE.create(dev, TOKENIZER_PRESETS.small!, new Rng(0)), weights: "RANDOM 'small' tokenizer (structure only)" };
  }
  const isBundle = /\.safetensors$/i.test(path) && !!(await openSafetensors(path)).metadata?.['hvar.bundle'];
  if (isBundle) {
    const b = await loadBundle(dev, path);
    b.model.dispose();
    return { vae: b.vae, weights: `tokenizer of ${path} (${b.card.name})` };
  }
  return { vae: await loadVQVAE(dev, path), weights: path };
}

const { vae, weights } = await tokenizer();
console.log(`internals: ${weights}; ${image} at ${size} px -> ${out}/`);
const t0 = Date.now();
try {
  const r = await renderInternals({ dev, vae, weights, photo: await readImage(image), size, out, log: (l) => console.log(l) });
  console.log(`internals: ${Object.keys(r.files).length} pictures in ${((Date.now() - t0) / 1000).toFixed(1)} s; HIT prefix PSNR ${r.prefixPsnr.map((p) => p.toFixed(2)).join(' / ')} dB`);
} catch (e) {
  console.error(`internals: ${(e as Error).message}`);
  process.exitCode = 1;
} finally {
  vae.dispose();
  dev.destroy();
}
