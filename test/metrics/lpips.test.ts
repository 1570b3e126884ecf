// LPIPS (VGG16 and AlexNet) against PyTorch on deterministic weights (test/fixtures/golden/lpips.safetensors): state-dict
// names, per-layer terms, distances and input gradients; zero for identical images; directional finite differences;
// loading the package's export from .safetensors with clear errors; `hvar eval --lpips`.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromArray, backward, noGrad, ops, type Tensor, type Device } from '../../src/engine/index.ts';
import { openSafetensors, writeSafetensors, type StInput } from '../../src/engine/io/safetensors.ts';
import { LPIPS, lpipsFromStateDict, loadLpips, lpipsImages, type LpipsNet } from '../../src/metrics/lpips.ts';
import { encodePng, type ImageCHW } from '../../src/io/image.ts';
import { main as evalMain } from '../../src/cli/eval.ts';
import { getDevice, closeDevice } from '../helpers/gpu.ts';
import { assertClose } from '../helpers/ref.ts';
import { detStateDict, detValue, uniform } from './lpips_fixture.ts';

const golden = await openSafetensors('test/fixtures/golden/lpips.safetensors');
const read = async (k: string) => (await golden.read(k)) as { shape: number[]; data: Float32Array };
const torchKeys = (net: LpipsNet): Record<string, number[]> => JSON.parse(golden.metadata![`${net}.state_dict`]!);
const models = new Map<LpipsNet, LPIPS>();
async function model(net: LpipsNet): Promise<LPIPS> {
  const dev = await getDevice();
  if (!models.has(net)) models.set(net, lpipsFromStateDict(dev, detStateDict(torchKeys(net)), { source: `deterministic ${net}` }));
  return models.get(net)!;
}
const maxAbs = (a: ArrayLike<number>) => Array.from(a).reduce((m, v) => Math.max(m, Math.abs(v)), 0);

/**
 * Input gradients of a deep ReLU network in f32 against PyTorch's: a pre-activation within f32 rounding of zero falls on
 * the other side of its ReLU under another summation order (make_lpips_golden's VGG input has relu3_3 units at ~7e-7
 * of the layer's maximum), which changes the gradient over that unit's receptive field (~10 % of dx0 here, by up to
 * 3e-3·max|g|; which units flip depends on the conv kernels' summation order: relative L2 error under 3e-3 with the direct
 * kernels, 3.3e-3 with the texture path). So: relative L2 error at most `rel`, every element within 1e-2·max|g|, and
 * the median within 1e-5·max|g|.
 */
function assertGradNear(got: ArrayLike<number>, want: Float32Array, what: string, rel: number) {
  const m = maxAbs(want);
  let e2 = 0, n2 = 0;
  const errs = Array.from(want, (w, i) => { e2 += (got[i]! - w) ** 2; n2 += w * w; return Math.abs(got[i]! - w); }).sort((a, b) => a - b);
  assert.ok(Math.sqrt(e2 / n2) <= rel, `${what}: relative L2 error ${Math.sqrt(e2 / n2).toExponential(2)} > ${rel}`);
  assert.ok(errs[errs.length - 1]! <= 1e-2 * m, `${what}: largest error ${errs[errs.length - 1]!.toExponential(2)} > 1e-2 · max|g| = ${(1e-2 * m).toExponential(2)}`);
  assert.ok(errs[errs.length >> 1]! <= 1e-5 * m, `${what}: median error ${errs[errs.length >> 1]!.toExponential(2)} > 1e-5 · max|g|`);
}

test('state-dict names and shapes are those of lpips.LPIPS (vgg, alex); the generator matches PyTorch', async () => {
  const dev = await getDevice();
  for (const net of ['vgg', 'alex'] as const) {
    const want = Object.entries(torchKeys(net)).filter(([k]) => !k.startsWith('lins.')).sort();
    const m = new LPIPS(dev, net);
    const got = Object.entries(m.stateDict()).map(([k, t]) => [k, [...t.shape]]).sort();
    m.dispose();
    assert.equal(got, want, `${net} state dict`);
    assert.ok(want.some(([k]) => k === 'lin0.model.1.weight') && Object.keys(torchKeys(net)).includes('lins.0.model.1.weight'));
    const probe = [...detValue('net.slice1.0.weight', torchKeys(net)['net.slice1.0.weight']!).slice(0, 4), ...detValue('lin4.model.1.weight', [1, 256, 1, 1]).slice(0, 4)];
    assert.equal(probe, [...(await read(`${net}.probe`)).data], `${net}: weight generator vs PyTorch's`);
  }
});

for (const net of ['vgg', 'alex'] as const) {
  test(`LPIPS-${net} matches PyTorch: per-layer terms, distance, input gradients`, async () => {
    const dev = await getDevice();
    const m = await model(net);
    const [x0h, x1h] = [await read(`${net}.x0`), await read(`${net}.x1`)];
    const x0 = fromArray(dev, x0h.data, x0h.shape), x1 = fromArray(dev, x1h.data, x1h.shape);
    x0.requiresGrad = x1.requiresGrad = true;
    const { d, layers } = m.distances(x0, x1);
    const want = await read(`${net}.layers`);
    for (let k = 0; k < 5; k++) assertClose(await layers[k]!.toArray(), want.data.subarray(2 * k, 2 * k + 2), `${net} layer ${k}`, 1e-7, 1e-4);
    assertClose(await d.toArray(), (await read(`${net}.d`)).data, `${net} distance`, 1e-7, 1e-4);
    backward(ops.sum(d));
    for (const [x, k] of [[x0, 'dx0'], [x1, 'dx1']] as const) {
      const g = (await read(`${net}.${k}`)).data, got = await x.grad!.toArray();
      if (net === 'alex') assertClose(got, g, `${net} ${k}`, 1e-4 * maxAbs(g), 1e-3);
      else assertGradNear(got, g, `${net} ${k}`, 4e-3);
    }
    for (const t of [x0, x1, d]) t.dispose();
  });
}

test('identical images give exactly 0; the distance is symmetric; bad shapes are refused', async () => {
  const dev = await getDevice();
  const m = await model('alex');
  const a = fromArray(dev, Float32Array.from(uniform('same.a', 2 * 3 * 37 * 41)), [2, 3, 37, 41]);
  const b = fromArray(dev, Float32Array.from(uniform('same.b', 2 * 3 * 37 * 41)), [2, 3, 37, 41]);
  const [same, ab, ba] = noGrad(dev, () => [m.forward(a, a), m.forward(a, b), m.forward(b, a)]);
  assert.equal([...await same!.toArray()], [0, 0]);
  const v = await ab!.toArray();
  assert.ok(v[0]! > 0.01 && v[1]! > 0.01, `different images are apart: ${v}`);
  assert.equal([...await ba!.toArray()], [...v]);
  const small = fromArray(dev, new Float32Array(3 * 30 * 40), [1, 3, 30, 40]);
  assert.throws(() => m.forward(small, small), /lpips: LPIPS-alex needs images of at least 31×31 pixels, got \[1, 3, 30, 40\]/);
  assert.throws(() => m.forward(a, small), /lpips: inputs differ in shape: \[2, 3, 37, 41\] vs \[1, 3, 30, 40\]/);
  for (const t of [a, b, same!, ab!, ba!, small]) t.dispose();
});

/**
 * (L(x + εv) − L(x − εv)) / 2ε against ⟨∇L, v⟩ for random directions v, L = Σ_b LPIPS(x0, x1)_b. The terms g_i·v_i
 * mostly cancel (⟨∇L, v⟩ is a few % of Σ|g_i·v_i|), and f32 rounding of L and the ReLU/max-pool kinks crossed by the
 * step bound the accuracy of the difference quotient, so the error is measured against Σ|g_i·v_i| (measured: ≤ 7e-4
 * at ε = 1e-4; a wrong or missing gradient path is off by several %).
 */
async function directional(dev: Device, m: LPIPS, shape: number[], tag: string) {
  const n = shape.reduce((a, b) => a * b, 1);
  const h0 = Float32Array.from(uniform(`${tag}.x0`, n)), h1 = Float32Array.from(uniform(`${tag}.x1`, n), (v, i) => 0.6 * h0[i]! + 0.4 * v);
  const x0 = fromArray(dev, h0, shape), x1 = fromArray(dev, h1, shape);
  x0.requiresGrad = x1.requiresGrad = true;
  const loss = ops.sum(m.forward(x0, x1));
  backward(loss);
  const grads = [await x0.grad!.toArray(), await x1.grad!.toArray()] as Float32Array[];
  const L = async (a: Float32Array, b: Float32Array) => {
    const [t0, t1] = [fromArray(dev, a, shape), fromArray(dev, b, shape)];
    const v = await noGrad(dev, () => ops.sum(m.forward(t0, t1))).item();
    t0.dispose(); t1.dispose();
    return v;
  };
  const eps = 1e-4;
  for (let j = 0; j < 2; j++) {
    const which = j, v = uniform(`${tag}.dir${j}`, n);
    const shift = (s: number) => [h0, h1].map((h, i) => (i === which ? Float32Array.from(h, (x, q) => x + s * v[q]!) : h)) as [Float32Array, Float32Array];
    const fd = ((await L(...shift(eps))) - (await L(...shift(-eps)))) / (2 * eps);
    const an = grads[which]!.reduce((s, g, q) => s + g * v[q]!, 0);
    const scale = grads[which]!.reduce((s, g, q) => s + Math.abs(g * v[q]!), 0);
    assert.ok(Math.abs(an) > 1e-3, `${tag} direction ${j}: the derivative is not negligible (${an})`);
    assert.ok(Math.abs(fd - an) <= 3e-3 * scale, `${tag} direction ${j} (x${which}): autograd ${an}, finite differences ${fd} (Σ|g·v| = ${scale})`);
  }
  for (const t of [x0, x1, loss]) t.dispose();
}

test('gradients flow to both images: directional finite differences (vgg 16×16, alex 35×35)', async () => {
  const dev = await getDevice();
  await directional(dev, await model('vgg'), [1, 3, 16, 16], 'fd.vgg');
  await directional(dev, await model('alex'), [1, 3, 35, 35], 'fd.alex');
});

const dir = mkdtempSync(join(tmpdir(), 'hvar-lpips-'));
/** The deterministic AlexNet state dict as the package exports it, optionally edited, written to `name`. */
async function writeWeights(name: string, edit: (sd: Record<string, StInput>) => void = () => {}): Promise<string> {
  const sd: Record<string, StInput> = {};
  for (const [k, h] of Object.entries(detStateDict(torchKeys('alex')))) sd[k] = { dtype: 'F32', shape: h.shape, data: h.data as Float32Array };
  edit(sd);
  const path = join(dir, name);
  await writeSafetensors(path, sd);
  return path;
}

test('loadLpips: the export loads (net detected); missing, mis-shaped, foreign and absent files fail clearly', async () => {
  const dev = await getDevice();
  const good = await writeWeights('alex.safetensors');
  const m = await loadLpips(dev, good);
  assert.is(m.kind, 'alex');
  const x0h = await read('alex.x0'), x1h = await read('alex.x1');
  const [x0, x1] = [fromArray(dev, x0h.data, x0h.shape), fromArray(dev, x1h.data, x1h.shape)];
  const d = noGrad(dev, () => m.forward(x0, x1));
  assertClose(await d.toArray(), (await read('alex.d')).data, 'alex distance from file', 1e-7, 1e-4);
  for (const t of [x0, x1, d]) t.dispose();
  m.dispose();

  const noBias = await writeWeights('missing.safetensors', (sd) => { delete sd['net.slice3.6.bias']; });
  await assertRejects(loadLpips(dev, noBias), /lpips: '.*missing\.safetensors' does not match LPIPS-alex: missing 'net\.slice3\.6\.bias'/);
  const bad = await writeWeights('shape.safetensors', (sd) => { sd['lin2.model.1.weight'] = { dtype: 'F32', shape: [1, 383, 1, 1], data: new Float32Array(383) }; });
  await assertRejects(loadLpips(dev, bad), /'.*shape\.safetensors': 'lin2\.model\.1\.weight' has shape \[1, 383, 1, 1\] in the checkpoint, the model expects \[1, 384, 1, 1\]/);
  await assertRejects(loadLpips(dev, good, 'vgg'), /alex\.safetensors' holds LPIPS-alex weights .* but LPIPS-vgg was asked for/);
  const foreign = join(dir, 'foreign.safetensors');
  await writeSafetensors(foreign, { 'features.0.weight': { dtype: 'F32', shape: [2], data: new Float32Array(2) } });
  await assertRejects(loadLpips(dev, foreign), /foreign\.safetensors' has no 'net\.slice1\.0\.weight': not an lpips\.LPIPS state dict \(export it with: python -c/);
  await assertRejects(loadLpips(dev, join(dir, 'nope.safetensors')), /lpips: cannot read weights '.*nope\.safetensors'/);
  const nan = await writeWeights('nan.safetensors', (sd) => { (sd['lin1.model.1.weight']!.data as Float32Array)[5] = NaN; });
  await assertRejects(loadLpips(dev, nan), /^lpips: '.*nan\.safetensors': tensor '(lin1\.model\.1\.weight|lins\.1\.model\.1\.weight)' holds NaN at index 5; the weights must be finite$/);
  const inf = await writeWeights('inf.safetensors', (sd) => { (sd['net.slice1.0.bias']!.data as Float32Array)[0] = -Infinity; });
  await assertRejects(loadLpips(dev, inf), /tensor 'net\.slice1\.0\.bias' holds -Infinity at index 0/);
});

async function assertRejects(p: Promise<unknown>, re: RegExp) {
  try { await p; } catch (e) { assert.match((e as Error).message, re); return; }
  assert.unreachable(`expected a rejection matching ${re}`);
}

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const log = console.log, error = console.error;
  let out = '', err = '';
  console.log = (...a: unknown[]) => { out += a.join(' ') + '\n'; };
  console.error = (...a: unknown[]) => { err += a.join(' ') + '\n'; };
  try { return { code: await evalMain(argv), out, err }; } finally { console.log = log; console.error = error; }
}

test('hvar eval --lpips: a column per image, the mean, and a JSON field; bad options are refused', async () => {
  const dev = await getDevice();
  const weights = join(dir, 'alex.safetensors');
  const pd = join(dir, 'pred'), gd = join(dir, 'gt');
  mkdirSync(pd); mkdirSync(gd);
  const img = (key: string, h: number, w: number): ImageCHW => ({ c: 3, h, w, data: Float32Array.from(uniform(key, 3 * h * w), (v) => Math.round((v + 1) * 127.5) / 255) });
  const pairs = [['a', 40, 36], ['b', 33, 47]] as const;
  for (const [name, h, w] of pairs) {
    writeFileSync(join(gd, `${name}.png`), encodePng(img(`gt.${name}`, h, w)));
    writeFileSync(join(pd, `${name}.png`), encodePng(img(`pred.${name}`, h, w)));
  }
  const r = await run(['--pred', pd, '--gt', gd, '--lpips', weights, '--json']);
  assert.is(r.code, 0, r.err);
  const j = JSON.parse(r.out);
  const m = await loadLpips(dev, weights);
  const { readImage } = await import('../../src/io/image.ts');
  const want: number[] = [];
  for (const [name] of pairs) want.push(await lpipsImages(m, dev, await readImage(join(pd, `${name}.png`)), await readImage(join(gd, `${name}.png`))));
  m.dispose();
  assertClose(j.rows.map((row: { lpips: number }) => row.lpips), want, 'per-image LPIPS', 1e-6, 1e-5);
  assertClose([j.mean.lpips], [(want[0]! + want[1]!) / 2], 'mean LPIPS', 1e-6, 1e-5);
  assert.is(j.options.lpips, 'alex');
  const t = await run(['--pred', pd, '--gt', gd, '--lpips', weights, '--lpips-net', 'alex']);
  assert.is(t.code, 0, t.err);
  const lines = t.out.split('\n');
  assert.match(lines[0]!, /\| image \| PSNR \(RGB\) dB \| SSIM \(RGB\) \| LPIPS \(alex\) \|/);
  assert.match(lines[1]!, /\|---\|---:\|---:\|---:\|/);
  assert.ok(lines[2]!.endsWith(` ${want[0]!.toFixed(4)} |`), lines[2]);
  assert.match(t.out, new RegExp(`\\*\\*mean \\(2\\)\\*\\* .* \\*\\*${((want[0]! + want[1]!) / 2).toFixed(4)}\\*\\* \\|`));
  assert.is((await run(['--pred', pd, '--gt', gd, '--lpips', weights, '--lpips-net', 'squeeze'])).code, 2);
  assert.is((await run(['--pred', pd, '--gt', gd, '--lpips-net', 'alex'])).code, 2);
  const missing = await run(['--pred', pd, '--gt', gd, '--lpips', join(dir, 'nope.safetensors')]);
  assert.is(missing.code, 2);
  assert.match(missing.err, /^hvar eval: --lpips: cannot read '.*nope\.safetensors': no such file/);
});

test.after(async () => { for (const m of models.values()) m.dispose(); await closeDevice(); });
test.run();
