// Dead-code restart: the restart function against a host reference (dead rows take latent columns, live rows and
// their moments untouched, dead rows' moments zeroed), and short tiny-preset runs with --restart-dead: restarts are
// logged, and a run stopped inside a restart window and resumed logs exactly the uninterrupted run's losses.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, mkdirSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromArray } from '../../src/engine/index.ts';
import { writeImageSync, makeImage } from '../../src/io/image.ts';
import { AdamW } from '../../src/train/optim/adamw.ts';
import { StreamRng } from '../../src/train/data/rng.ts';
import { restartDeadCodes, countCodes, codesInUse } from '../../src/train/dead_codes.ts';
import { trainTokenizer, type TokenizerRunConfig } from '../../src/train/tokenizer.ts';
import { TOKENIZER_PRESETS } from '../../src/train/tokenizer_presets.ts';
import { getDevice, closeDevice } from '../helpers/gpu.ts';
import { rand } from '../helpers/ref.ts';

const root = mkdtempSync(join(tmpdir(), 'hvar-dead-'));
const data = join(root, 'data');
mkdirSync(data);
for (let k = 0; k < 4; k++) {
  const img = makeImage(3, 48, 48);
  for (let c = 0; c < 3; c++) for (let y = 0; y < 48; y++) for (let x = 0; x < 48; x++)
    img.data[(c * 48 + y) * 48 + x] = Math.min(1, Math.max(0, 0.5 + 0.35 * Math.sin((x * (k + 2)) / 7 + c) * Math.cos((y * (4 - c + k)) / 9)));
  writeImageSync(join(data, `p${k}.png`), img);
}

test('countCodes / codesInUse count hits per code and refuse ids outside the codebook', () => {
  const c = new Float64Array(5);
  countCodes(c, Int32Array.from([0, 3, 3, 4, 0, 0]));
  assert.equal(Array.from(c), [3, 0, 0, 2, 1]);
  assert.is(codesInUse(c), 3);
  assert.throws(() => countCodes(c, Int32Array.from([5])), /token id 5 at 0 is outside the codebook's 5 codes/);
});

test('restartDeadCodes: exactly the dead rows change, each to a latent column; their moments are zeroed, the rest kept', async () => {
  const dev = await getDevice();
  const V = 9, C = 3, B = 2, h = 3, w = 5;
  const cb0 = Float32Array.from(rand([V, C], 11).data);
  const codebook = fromArray(dev, cb0, [V, C]).keep();
  codebook.requiresGrad = true;
  const opt = new AdamW([codebook], { lr: 1e-2, betas: [0.9, 0.95] });
  codebook.grad = fromArray(dev, Float32Array.from(rand([V, C], 12).data), [V, C]).keep();
  opt.step(); opt.zeroGrad();
  const cbBefore = (await codebook.toArray()) as Float32Array;
  const st = opt.state.get(codebook)!;
  const m0 = (await st.exp_avg.toArray()) as Float32Array, v0 = (await st.exp_avg_sq.toArray()) as Float32Array;
  const zHost = Float32Array.from(rand([B, C, h, w], 13).data);
  const z = fromArray(dev, zHost, [B, C, h, w]).keep();
  const counts = [4, 0, 1, 0, 0, 7, 2, 0, 1];
  const deadWant = counts.flatMap((n, v) => (n === 0 ? [v] : []));
  const r = await restartDeadCodes(codebook, opt, counts, z, StreamRng.fromSeed(3).split('restart/2'));
  assert.equal(r.dead, deadWant);
  // The same stream draws the same positions (what makes a resumed run restart alike).
  const again = StreamRng.fromSeed(3).split('restart/2');
  assert.equal(r.picks, deadWant.map(() => again.int(B * h * w)));
  const cb = (await codebook.toArray()) as Float32Array;
  const m = (await st.exp_avg.toArray()) as Float32Array, v = (await st.exp_avg_sq.toArray()) as Float32Array;
  const column = (pos: number) => { const b = Math.floor(pos / (h * w)), p = pos % (h * w); return Array.from({ length: C }, (_, c) => zHost[(b * C + c) * h * w + p]!); };
  for (let k = 0; k < V; k++) {
    const row = Array.from(cb.subarray(k * C, (k + 1) * C));
    const i = deadWant.indexOf(k);
    if (i < 0) {
      assert.equal(row, Array.from(cbBefore.subarray(k * C, (k + 1) * C)), `live row ${k} unchanged`);
      assert.equal(Array.from(m.subarray(k * C, (k + 1) * C)), Array.from(m0.subarray(k * C, (k + 1) * C)), `exp_avg of live row ${k}`);
      assert.equal(Array.from(v.subarray(k * C, (k + 1) * C)), Array.from(v0.subarray(k * C, (k + 1) * C)), `exp_avg_sq of live row ${k}`);
    } else {
      assert.equal(row, column(r.picks[i]!), `dead row ${k} = latent column ${r.picks[i]}`);
      assert.ok(Array.from(m0.subarray(k * C, (k + 1) * C)).some((x) => x !== 0), `exp_avg of row ${k} was nonzero before`);
      assert.equal(Array.from(m.subarray(k * C, (k + 1) * C)), [0, 0, 0], `exp_avg of dead row ${k} zeroed`);
      assert.equal(Array.from(v.subarray(k * C, (k + 1) * C)), [0, 0, 0], `exp_avg_sq of dead row ${k} zeroed`);
    }
  }
  assert.is(st.step, 1, 'the step count stays');
  // No dead code: nothing changes; a mismatched latent is refused naming the shapes.
  const none = await restartDeadCodes(codebook, opt, counts.map(() => 1), z, StreamRng.fromSeed(4));
  assert.equal(none, { dead: [], picks: [] });
  assert.equal(Array.from((await codebook.toArray()) as Float32Array), Array.from(cb));
  const zBad = fromArray(dev, new Float32Array(2 * 4 * 2 * 2), [2, 4, 2, 2]);
  let msg = '';
  try { await restartDeadCodes(codebook, opt, counts, zBad, StreamRng.fromSeed(4)); } catch (e) { msg = (e as Error).message; }
  assert.match(msg, /latent must be f32 \[B, 3, h, w\]/);
  for (const t of [zBad, z, codebook]) t.dispose();
  opt.dispose();
});

const base = (over: Partial<TokenizerRunConfig> = {}): TokenizerRunConfig => ({
  data: [data], model: TOKENIZER_PRESETS.tiny!, init: null, initKey: null, train: 'all', crop: 32, batch: 2, steps: 8,
  lr: 2e-3, warmup: 2, minLr: 2e-4, weightDecay: 0, clip: 1, beta: 0.25, qdrop: 0.5, lpips: null, lpipsWeight: 5,
  seed: 5, valFraction: 0, every: 3, sampleEvery: 0, restartDead: 2, ...over,
});

test('--restart-dead 2: restarts at steps 2, 4, 6, 8 are logged; codes in use after the restarts >= before; resume is bit-exact', async () => {
  const dev = await getDevice();
  const lines: string[] = [];
  const a = await trainTokenizer(dev, join(root, 'a'), base(), { resume: false, log: (l) => lines.push(l) });
  const cbA = Array.from((await a.vae.quantize.codebook.toArray()) as Float32Array);
  a.vae.dispose();
  const at = (s: number) => a.rows.find((r) => r.step === s)!;
  for (const s of [1, 3, 5, 7]) assert.is(at(s).restarted, undefined, `no restart at step ${s}`);
  for (const s of [2, 4, 6, 8]) {
    assert.ok(Number.isInteger(at(s).restarted) && Number.isInteger(at(s).codes), `restart logged at step ${s}`);
    assert.is(at(s).codes! + at(s).restarted!, 64, `step ${s}: codes in use + restarted = V`);
    assert.ok(lines.some((l) => l.startsWith(`step ${s}/8`) && l.includes(`codes ${at(s).codes}/64 in use, restarted ${at(s).restarted}`)), `progress line of step ${s}`);
  }
  assert.ok(at(2).restarted! > 0, `a fresh tiny codebook has dead codes in its first window (${at(2).codes} in use)`);
  // The window right after a restart can dip (new codes displace old ones at first); by the last window more are in use.
  assert.ok(at(8).codes! >= at(2).codes!, `codes in use per window: ${[2, 4, 6, 8].map((s) => at(s).codes).join(', ')}`);
  const logged = readFileSync(join(root, 'a', 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.is(logged[1].restarted, at(2).restarted);

  // Stopped at step 3 (inside the window of steps 3–4, counts in the checkpoint), resumed to 8: the same run.
  const b1 = await trainTokenizer(dev, join(root, 'b'), base(), { resume: false, stopAfter: 3, log: () => {} });
  b1.vae.dispose();
  const b = await trainTokenizer(dev, join(root, 'b'), null, { resume: true, log: () => {} });
  const cbB = Array.from((await b.vae.quantize.codebook.toArray()) as Float32Array);
  b.vae.dispose();
  assert.equal(b.rows.map((r) => r.step), [1, 2, 3, 4, 5, 6, 7, 8]);
  for (let i = 0; i < 8; i++) {
    assert.is(b.rows[i]!.loss, a.rows[i]!.loss, `loss at step ${i + 1}`);
    assert.is(b.rows[i]!.codes, a.rows[i]!.codes, `codes at step ${i + 1}`);
    assert.is(b.rows[i]!.restarted, a.rows[i]!.restarted, `restarted at step ${i + 1}`);
  }
  assert.equal(cbB, cbA, 'final codebooks equal');
});

test('a configuration without restartDead (older checkpoints) trains with restarts off', async () => {
  const dev = await getDevice();
  const cfg = base({ steps: 2, every: 2 }) as Partial<TokenizerRunConfig>;
  delete cfg.restartDead;
  const r = await trainTokenizer(dev, join(root, 'c'), cfg as TokenizerRunConfig, { resume: false, log: () => {} });
  r.vae.dispose();
  assert.is(r.rows.length, 2);
  assert.ok(r.rows.every((x) => x.restarted === undefined && x.codes === undefined));
});

test.after(async () => { rmSync(root, { recursive: true, force: true }); await closeDevice(); });
test.run();
