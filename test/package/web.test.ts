// The demo page (examples/web) in headless Chromium on WebGPU: served on 127.0.0.1 by examples/web/serve.mjs, fed a PNG
// through its file input; ×1, ×2, ×4 must appear in order with the right sizes, and their pixels must match the CPU
// bicubic reference (resampleCpu), while the page's WebGPU queue is seen doing the work; on SwiftShader and on lavapipe. Without a
// model the page says it shows the bicubic baseline; with a (tiny) bundle served at models/hvar-small.safetensors it runs H-VAR.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testIf } from '../helpers/gpu.ts';
import { resampleCpu } from '../../src/engine/cpu/resample.ts';
import { decodeImage, encodePng, readImageSync, type ImageCHW } from '../../src/io/image.ts';
import { pathToFileURL } from 'node:url';
import { getDevice, closeDevice } from '../helpers/gpu.ts';
import { saveBundle, loadBundle } from '../../src/upscale/bundle_file.ts';
import { upscale as hvarUpscale } from '../../src/upscale/index.ts';
import { tinyParts, CARD } from '../upscale/fixture.ts';

const root = process.cwd();
const TIMEOUT_MS = 180_000;
// Debian's chromium package puts the browser binary here (/usr/bin/chromium is a shell wrapper around it).
const CHROMIUM = [process.env.HVAR_CHROMIUM, '/usr/lib/chromium/chromium', '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome']
  .find((p): p is string => !!p && existsSync(p));
// Two ways to WebGPU in headless Chromium on Linux without a GPU (docs/LAVAPIPE.md §9). SwiftShader (Vulkan on the CPU)
// is what --enable-unsafe-webgpu alone gives; naming it keeps the choice explicit. Lavapipe is offered to pages only
// through Dawn's OpenGL ES backend over ANGLE over Vulkan, as a compatibility-mode adapter, which also checks that the
// engine runs on one.
const LVP_ICD = '/usr/share/vulkan/icd.d/lvp_icd.json';
const ADAPTERS = [
  { name: 'SwiftShader', flags: ['--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader', '--enable-webgpu-developer-features'], env: {}, needs: '' },
  { name: 'lavapipe (ANGLE, compatibility mode)', flags: ['--enable-unsafe-webgpu', '--use-angle=vulkan', '--use-webgpu-adapter=opengles', '--force-webgpu-compat'],
    env: { VK_ICD_FILENAMES: LVP_ICD }, needs: existsSync(LVP_ICD) ? '' : `${LVP_ICD} missing (Mesa lavapipe)` },
];

// Counts the page's WebGPU work from outside its code: compute dispatches, queue submits and buffer reads, and records
// the order in which the output figures appear.
const INIT = `(() => {
  const work = (globalThis.__gpuWork = { dispatches: 0, submits: 0, reads: 0 });
  const wrap = (cls, name, key) => { const f = cls?.prototype?.[name]; if (f) cls.prototype[name] = function (...a) { work[key]++; return f.apply(this, a); }; };
  wrap(globalThis.GPUComputePassEncoder, 'dispatchWorkgroups', 'dispatches');
  wrap(globalThis.GPUQueue, 'submit', 'submits');
  wrap(globalThis.GPUBuffer, 'mapAsync', 'reads');
  globalThis.__order = [];
  new MutationObserver((ms) => { for (const m of ms) for (const n of m.addedNodes) if (n.dataset?.scale) globalThis.__order.push(+n.dataset.scale); })
    .observe(document, { childList: true, subtree: true });
})();`;

type Browser = import('playwright-core').Browser;
const browsers: Browser[] = [];
let server: { url: string; close(): Promise<void> } | null = null;
let serveFn: ((o: { root: string; models?: string }) => Promise<{ url: string; close(): Promise<void> }>) | null = null;

/** Builds and serves the page once; '' or why nothing can run. */
async function serveOnce(): Promise<string> {
  if (!CHROMIUM) return 'no Chromium binary (bash scripts/setup.sh --with-browser installs Debian\'s chromium; or set HVAR_CHROMIUM)';
  try { await import('playwright-core'); } catch (e) { return `playwright-core is not installed (npm ci): ${(e as Error).message}`; }
  const b = spawnSync(process.execPath, [join(root, 'examples/web/build.mjs'), '--quiet'], { cwd: root, encoding: 'utf8' });
  if (b.status !== 0) throw new Error(`node examples/web/build.mjs failed:\n${b.stdout}${b.stderr}`);
  // Loaded from its file, not bundled into this test: it is the program a user runs, and checks whether it is the main module.
  const { serve } = await import(pathToFileURL(join(root, 'examples/web/serve.mjs')).href);
  serveFn = serve;
  // an empty models folder: the page finds no model and falls back to the bicubic baseline
  server = await serve({ root: join(root, 'examples/web'), models: mkdtempSync(join(tmpdir(), 'hvar-web-nomodel-')) });
  return '';
}

/** Starts Chromium with one adapter's flags and checks that a page on the served origin gets an adapter. */
async function launch(cfg: (typeof ADAPTERS)[number]): Promise<{ browser: Browser | null; why: string }> {
  if (cfg.needs) return { browser: null, why: cfg.needs };
  const { chromium } = await import('playwright-core');
  let browser: Browser;
  try { browser = await chromium.launch({ executablePath: CHROMIUM, args: cfg.flags, env: { ...process.env, ...cfg.env }, timeout: 60_000 }); }
  catch (e) { return { browser: null, why: `${CHROMIUM} did not start headless: ${(e as Error).message.split('\n')[0]}` }; }
  browsers.push(browser);
  const page = await browser.newPage();
  await page.goto(server!.url);
  const probe = await page.evaluate(async () => {
    if (!navigator.gpu) return 'navigator.gpu is missing';
    return (await navigator.gpu.requestAdapter()) ? '' : 'navigator.gpu.requestAdapter() returned null';
  });
  await page.close();
  return { browser, why: probe ? `no ${cfg.name} WebGPU adapter in headless Chromium here (${probe}; flags ${cfg.flags.join(' ')})` : '' };
}

const served = await serveOnce();
const sessions: { cfg: (typeof ADAPTERS)[number]; browser: Browser | null; why: string }[] = [];
for (const cfg of ADAPTERS) sessions.push({ cfg, ...(served ? { browser: null, why: served } : await launch(cfg)) });

const u8 = (v: number) => Math.round(Math.min(1, Math.max(0, v)) * 255);
/** Largest |a − b| over the RGB bytes of a canvas's RGBA against CHW floats turned into bytes; alpha must be 255. */
function maxDiff(rgba: Uint8Array, ref: Float32Array, w: number, h: number): number {
  const n = w * h;
  assert.is(rgba.length, 4 * n, `canvas holds ${rgba.length / 4} pixels, expected ${w}×${h}`);
  let m = 0;
  for (let i = 0; i < n; i++) {
    if (rgba[4 * i + 3] !== 255) return Infinity;
    for (let c = 0; c < 3; c++) m = Math.max(m, Math.abs(rgba[4 * i + c]! - u8(ref[c * n + i]!)));
  }
  return m;
}
/** Every (img.h / h)-th row and (img.w / w)-th column: the whole photo as a small picture full of detail. */
function subsample(img: ImageCHW, h: number, w: number): ImageCHW {
  const data = new Float32Array(3 * h * w);
  for (let c = 0; c < 3; c++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++)
    data[(c * h + y) * w + x] = img.data[(c * img.h + Math.floor((y * img.h) / h)) * img.w + Math.floor((x * img.w) / w)]!;
  return { data, c: 3, h, w };
}

interface Fig { scale: number; caption: string; w: number; h: number; rgba: Uint8Array }
async function runPage(browser: Browser, pngPath: string, readPixels: number[], url = server!.url) {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.addInitScript(INIT);
  await page.goto(url);
  await page.waitForFunction(() => document.body.dataset.state !== 'loading', null, { timeout: TIMEOUT_MS });
  const state0 = await page.evaluate(() => ({ state: document.body.dataset.state, status: document.getElementById('status')!.textContent }));
  assert.is(state0.state, 'ready', `page did not open a WebGPU device: ${state0.status} ${errors.join('; ')}`);
  const adapter = JSON.parse((await page.textContent('#adapter'))!);
  const before = await page.evaluate(() => ({ ...(globalThis as any).__gpuWork }));
  await page.setInputFiles('#file', pngPath);
  await page.waitForFunction(() => ['done', 'error'].includes(document.body.dataset.state!), null, { timeout: TIMEOUT_MS });
  // Pixels travel as base64 (a JSON array of a million numbers takes seconds to cross).
  const out = await page.evaluate((readPixels) => {
    const b64 = (u: Uint8ClampedArray) => { let t = ''; for (let i = 0; i < u.length; i += 0x8000) t += String.fromCharCode(...u.subarray(i, i + 0x8000)); return btoa(t); };
    return {
    state: document.body.dataset.state, status: document.getElementById('status')!.textContent,
    model: document.getElementById('model')!.dataset.model, modelNote: document.getElementById('model')!.textContent,
    work: (globalThis as any).__gpuWork, order: (globalThis as any).__order as number[],
    figs: Array.from(document.querySelectorAll('figure')).map((f) => {
      const c = f.querySelector('canvas')!;
      return { scale: +(f as HTMLElement).dataset.scale!, caption: f.querySelector('figcaption')!.textContent!, w: c.width, h: c.height,
        rgba: readPixels.includes(+(f as HTMLElement).dataset.scale!) ? b64(c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data) : '' };
    }),
  }; }, readPixels);
  const screenshot = await page.screenshot({ fullPage: true });
  await page.close();
  assert.is(out.state, 'done', `page ended with: ${out.status} ${errors.join('; ')}`);
  return { adapter, before, ...out, screenshot, figs: out.figs.map((f) => ({ ...f, rgba: Buffer.from(f.rgba, 'base64') })) as Fig[] };
}

let work: string;
test.before(() => { work = mkdtempSync(join(tmpdir(), 'hvar-web-')); });

for (const { cfg, browser, why } of sessions)
testIf(!why, why)(`${cfg.name}: the page reports its adapter, shows ×1, ×2, ×4 in order, and its pixels match the CPU bicubic`, async () => {
  // A photo taken down to an odd size (edges and texture), written as a plain 8-bit PNG; the page decodes it itself.
  const photo = readImageSync(join(root, 'data/train-2k/lomiri_bridge.jpg'));
  const [h, w] = [47, 61];
  const png = encodePng(subsample(photo, h, w));
  const path = join(work, 'photo.png');
  writeFileSync(path, png);
  const x = decodeImage(png, path).data;
  const r = await runPage(browser!, path, [1, 2, 4]);

  assert.is(r.adapter.runtime, 'browser');
  // SwiftShader names itself; a compatibility-mode adapter over ANGLE reports empty info and no core features.
  if (cfg.name === 'SwiftShader') assert.is(r.adapter.architecture, 'swiftshader', JSON.stringify(r.adapter));
  else assert.not.ok(r.adapter.features.includes('core-features-and-limits'), JSON.stringify(r.adapter));
  assert.equal(r.order, [1, 2, 4], `figures appeared in the order ${r.order}`);
  assert.is(r.model, 'none', r.modelNote!);
  assert.match(r.modelNote!, /no model at models\/hvar-small\.safetensors \(HTTP 404\): showing the bicubic baseline, not H-VAR/);
  assert.equal(r.figs.map((f) => [f.scale, f.w, f.h]), [[1, w, h], [2, 2 * w, 2 * h], [4, 4 * w, 4 * h]]);
  for (const f of r.figs) assert.match(f.caption, `×${f.scale} ${f.scale === 1 ? 'input' : 'bicubic'} — ${f.w}×${f.h}`);
  assert.is(maxDiff(r.figs[0]!.rgba, x, w, h), 0, '×1 is not the input as it is');
  for (const f of r.figs.slice(1)) {
    const ref = resampleCpu(x, 1, 3, h, w, f.h, f.w, 'bicubic');
    // ±1: the GPU's f32 against the f64 reference can round to the neighbouring byte.
    assert.ok(maxDiff(f.rgba, ref, f.w, f.h) <= 1, `×${f.scale}: max byte difference ${maxDiff(f.rgba, ref, f.w, f.h)} from the CPU bicubic`);
    // The tolerance tells interpolations apart: the bilinear of the same crop is off by more.
    const other = resampleCpu(x, 1, 3, h, w, f.h, f.w, 'bilinear');
    assert.ok(maxDiff(f.rgba, other, f.w, f.h) > 1, `×${f.scale}: the bilinear reference also matches, the check cannot tell`);
  }
  // The work went through the page's WebGPU device: a dispatch per stage at least, and reads back.
  assert.ok(r.work.dispatches - r.before.dispatches >= 2 && r.work.reads - r.before.reads >= 2,
    `WebGPU work during the upscale: ${JSON.stringify(r.before)} -> ${JSON.stringify(r.work)}`);
});

testIf(!sessions[0]!.why, sessions[0]!.why)('an image over 512 px is reduced on the GPU (area) before ×2 and ×4, and the caption says so', async () => {
  const [h, w] = [30, 600];
  const img = { data: Float32Array.from({ length: 3 * h * w }, (_, i) => ((i * 37) % 251) / 250), c: 3, h, w };
  const png = encodePng(img);
  const path = join(work, 'wide.png');
  writeFileSync(path, png);
  const x = decodeImage(png, path).data;
  const r = await runPage(sessions[0]!.browser!, path, [1]);
  const [h1, w1] = [Math.round(h * 512 / w), 512];
  assert.equal(r.figs.map((f) => [f.scale, f.w, f.h]), [[1, w1, h1], [2, 2 * w1, 2 * h1], [4, 4 * w1, 4 * h1]]);
  assert.match(r.figs[0]!.caption, `×1 input, reduced from ${w}×${h} — ${w1}×${h1}`);
  const x1 = resampleCpu(x, 1, 3, h, w, h1, w1, 'area');
  assert.ok(maxDiff(r.figs[0]!.rgba, x1, w1, h1) <= 1, `×1: max byte difference ${maxDiff(r.figs[0]!.rgba, x1, w1, h1)} from the CPU area reduction`);
});

testIf(!sessions[0]!.why, sessions[0]!.why)('with a bundle at models/hvar-small.safetensors the page runs H-VAR: its note, ×1, ×2, ×4 in order, and the library\'s pixels (greedy)', async () => {
  const models = join(work, 'models');
  mkdirSync(models);
  const dev = await getDevice();
  const parts = tinyParts(dev);
  // top-k 1 (the card's sampling defaults): the tokens are the argmax, so the browser's adapter and Dawn's agree on them
  const bundlePath = join(models, 'hvar-small.safetensors');
  await saveBundle(bundlePath, parts.vae, parts.model, { ...CARD, name: 'tiny-greedy', sampling: { topK: 1 } });
  parts.vae.dispose(); parts.model.dispose();
  const srv = await serveFn!({ root: join(root, 'examples/web'), models });
  try {
    const [h, w] = [11, 13];
    const photo = readImageSync(join(root, 'data/train-2k/lomiri_bridge.jpg'));
    const png = encodePng(subsample(photo, h, w));
    const path = join(work, 'small.png');
    writeFileSync(path, png);
    const r = await runPage(sessions[0]!.browser!, path, [1, 2, 4], srv.url);
    assert.is(r.model, 'hvar', r.modelNote!);
    assert.match(r.modelNote!, /^model: tiny-greedy \(models\/hvar-small\.safetensors; LR tiles of 8 px; licence MIT\)/);
    assert.equal(r.order, [1, 2, 4]);
    assert.equal(r.figs.map((f) => [f.scale, f.w, f.h]), [[1, w, h], [2, 2 * w, 2 * h], [4, 4 * w, 4 * h]]);
    for (const f of r.figs) assert.match(f.caption, `×${f.scale} H-VAR — ${f.w}×${f.h}`);
    // the page as a user sees it after the upscale: a screenshot with the three canvases drawn (not a blank page)
    const shot = decodeImage(r.screenshot, 'screenshot.png');
    let sum = 0, sq = 0;
    for (const v of shot.data) { sum += v; sq += v * v; }
    const mean = sum / shot.data.length;
    assert.ok(shot.w >= 4 * w && shot.h >= 4 * h && sq / shot.data.length - mean * mean > 1e-3, `screenshot ${shot.w}×${shot.h}, variance ${sq / shot.data.length - mean * mean}`);
    for (const f of r.figs) {
      let v = 0;
      for (let i = 0; i < f.rgba.length; i += 4) v = Math.max(v, Math.abs(f.rgba[i]! - f.rgba[0]!), Math.abs(f.rgba[i + 1]! - f.rgba[1]!));
      assert.ok(v > 0, `×${f.scale}: the canvas is one flat colour`);
    }
    const bundle = await loadBundle(dev, bundlePath);
    const want = await hvarUpscale(dev, bundle, decodeImage(png, path));
    bundle.dispose();
    for (const f of r.figs) {
      const ref = want[`x${f.scale}` as 'x1' | 'x2' | 'x4'];
      // another adapter's f32 rounding moves a few pixels by a level or two
      const d = maxDiff(f.rgba, ref.data, f.w, f.h);
      assert.ok(d <= 3, `×${f.scale}: max byte difference ${d} from the library in Node`);
    }
  } finally { await srv.close(); }
});

testIf(server !== null, served)('serve.mjs: the page and its bundle with their types; nothing outside its folder; bad paths refused', async () => {
  const get = async (path: string) => { const r = await fetch(server!.url + path); return { status: r.status, type: r.headers.get('content-type') ?? '', text: await r.text() }; };
  const page = await get('');
  assert.is(page.status, 200);
  assert.match(page.type, 'text/html');
  assert.match(page.text, '<script type="module" src="dist/main.js">');
  const js = await get('dist/main.js');
  assert.is(js.status, 200);
  assert.match(js.type, 'text/javascript');
  // fetch() normalises '..' away, so the escapes are percent-encoded as a hostile client would send them.
  for (const path of ['%2e%2e/%2e%2e/package.json', '..%2f..%2fpackage.json', 'missing.png', 'models/%2e%2e/package.json', 'models/hvar-small.safetensors'])
    assert.is((await get(path)).status, 404, path);
  assert.is((await get('%E0%A4%A')).status, 400);
});

test.after(async () => {
  for (const b of browsers) await b.close();
  await server?.close();
  await closeDevice();
  if (work) rmSync(work, { recursive: true, force: true });
});
test.run();
