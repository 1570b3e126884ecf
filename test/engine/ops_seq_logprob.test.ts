// seqLogProb / tokenLogProb / levelSum on the real adapter: an f64 CPU log-softmax gather, finite differences of the
// fused backward, strided logits, dispatch splitting, and errors for ids outside the vocabulary.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ops, fromArray, backward } from '../../src/engine/index.ts';
import { assertIdsInRange } from '../../src/engine/ops/seq_logprob.ts';
import { getDevice, closeDevice } from '../helpers/gpu.ts';
import { checkOp, rand, toGpu, assertClose, type Host } from '../helpers/ref.ts';

/** Deterministic ids in [0, V). */
const idsFor = (n: number, V: number, seed: number) => Array.from({ length: n }, (_, i) => (i * 7919 + seed * 104729) % V);

/** f64 log p(ids) per token: x[id] − max − log Σ exp(x − max). */
function refTokens(x: Host, ids: number[]): Host {
  const [B, L, V] = x.shape as [number, number, number];
  const out = new Float64Array(B * L);
  for (let r = 0; r < B * L; r++) {
    let m = -Infinity, s = 0;
    for (let v = 0; v < V; v++) m = Math.max(m, x.data[r * V + v]!);
    for (let v = 0; v < V; v++) s += Math.exp(x.data[r * V + v]! - m);
    out[r] = x.data[r * V + ids[r]!]! - m - Math.log(s);
  }
  return { shape: [B, L], data: out };
}

for (const [B, L, V] of [[1, 1, 1], [1, 3, 5], [2, 65, 37], [1, 3, 257], [2, 2, 4096]] as const) {
  test(`tokenLogProb [${B}, ${L}, ${V}] vs f64 and finite differences`, async () => {
    const dev = await getDevice();
    const ids = idsFor(B * L, V, L);
    await checkOp(dev, 'tokenLogProb', [rand([B, L, V], V + L, -4, 4)], ([x]) => ops.tokenLogProb(x!, ids), ([x]) => refTokens(x!, ids),
      { atol: 2e-6, rtol: 2e-6, gradAtol: 1e-4, gradRtol: 1e-3, eps: 1e-3 });
  });
}

test('seqLogProb: per sequence, per scale and cross-entropy from one pass; merged backward vs finite differences', async () => {
  const dev = await getDevice();
  const [B, L, V] = [2, 14, 33];
  const levels = [0, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2]; // scales 1, 2, 3 (1 + 4 + 9 tokens)
  const ids = idsFor(B * L, V, 3);
  const combine = (lpB: number[], lpBK: number[], ce: number) => [...lpB, ...lpBK, ce];
  await checkOp(dev, 'seqLogProb', [rand([B, L, V], 77, -3, 3)],
    ([x]) => {
      const r = ops.seqLogProb(x!, fromArray(dev, ids, [B, L], 'i32'), { levelsOfL: levels, crossEntropy: true });
      return ops.concat([r.logp_B, ops.reshape(r.logp_BK!, [B * 3]), ops.reshape(r.ce!, [1])], 0);
    },
    ([x]) => {
      const t = refTokens(x!, ids).data;
      const lpB = [0, 1].map((b) => t.slice(b * L, (b + 1) * L).reduce((a, c) => a + c, 0));
      const lpBK = [0, 1].flatMap((b) => [0, 1, 2].map((k) => levels.reduce((a, lv, l) => a + (lv === k ? t[b * L + l]! : 0), 0)));
      const ce = -t.reduce((a, c) => a + c, 0) / (B * L);
      return { shape: [B + B * 3 + 1], data: Float64Array.from(combine(lpB, lpBK, ce)) };
    }, { atol: 1e-5, rtol: 1e-5, gradAtol: 1e-4, gradRtol: 1e-3, eps: 1e-3 });
});

test('strided logits (the target rows of a longer sequence) and split dispatches give the same values and grads', async () => {
  const dev = await getDevice();
  const [B, Lf, L, V] = [3, 20, 12, 37];
  const x = rand([B, Lf, V], 5, -3, 3);
  const ids = idsFor(B * L, V, 9);
  const sub: Host = { shape: [B, L, V], data: new Float64Array(B * L * V) };
  for (let b = 0; b < B; b++) sub.data.set(x.data.subarray((b * Lf + Lf - L) * V, (b * Lf + Lf) * V), b * L * V);
  const want = refTokens(sub, ids).data;
  for (const tiny of [false, true]) {
    const saved = dev.maxBinding;
    if (tiny) (dev as { maxBinding: number }).maxBinding = 2048; // ~10 rows of logits per dispatch
    try {
      const xt = toGpu(dev, x); xt.requiresGrad = true;
      const view = ops.slice(xt, 1, Lf - L, Lf);
      const lp = ops.tokenLogProb(view, fromArray(dev, ids, [B, L], 'i32'));
      assertClose(await lp.toArray(), want, `strided logits${tiny ? ', split dispatches' : ''}`, 2e-6, 2e-6);
      backward(ops.sum(lp));
      const g = await xt.grad!.toArray();
      for (let b = 0; b < B; b++) for (let l = 0; l < Lf; l++) {
        const r = b * L + l - (Lf - L);
        let m = -Infinity, s = 0;
        if (l >= Lf - L) { for (let v = 0; v < V; v++) m = Math.max(m, sub.data[r * V + v]!); for (let v = 0; v < V; v++) s += Math.exp(sub.data[r * V + v]! - m); }
        for (let v = 0; v < V; v++) {
          const e = l < Lf - L ? 0 : (v === ids[r] ? 1 : 0) - Math.exp(sub.data[r * V + v]! - m) / s;
          if (Math.abs(g[(b * Lf + l) * V + v]! - e) > 1e-6) assert.unreachable(`grad at b=${b} l=${l} v=${v}: ${g[(b * Lf + l) * V + v]} vs ${e}`);
        }
      }
    } finally { (dev as { maxBinding: number }).maxBinding = saved; }
  }
});

test('levelSum alone: K from the levels, gradient broadcast back', async () => {
  const dev = await getDevice();
  const levels = [0, 2, 2, 1, 2];
  await checkOp(dev, 'levelSum', [rand([3, 5], 8)], ([x]) => ops.levelSum(x!, levels), ([x]) => {
    const out = new Float64Array(9);
    for (let b = 0; b < 3; b++) levels.forEach((k, l) => (out[b * 3 + k] += x!.data[b * 5 + l]!));
    return { shape: [3, 3], data: out };
  });
});

test('errors: ids outside the vocabulary (host: thrown; GPU: NaN and assertIdsInRange), shape mismatches', async () => {
  const dev = await getDevice();
  const x = toGpu(dev, rand([1, 3, 10], 1));
  assert.throws(() => ops.seqLogProb(x, [1, 10, 2]), /seqLogProb: token id 10 at position 1 is outside the vocabulary \[0, 10\)/);
  assert.throws(() => ops.seqLogProb(x, [1, -1, 2]), /token id -1 at position 1/);
  assert.throws(() => ops.seqLogProb(x, [1, 2]), /seqLogProb: 2 ids do not fill \[1, 3\]/);
  assert.throws(() => ops.seqLogProb(x, fromArray(dev, [1, 2, 3, 4], [2, 2], 'i32')), /seqLogProb: ids must be i32 \[1, 3\] to match logits/);
  assert.throws(() => ops.seqLogProb(toGpu(dev, rand([3, 10], 2)), [1, 2, 3]), /seqLogProb: logits must be f32 \[B, L, V\]/);
  const gpuIds = fromArray(dev, [1, 12, 2], [1, 3], 'i32');
  const lp = await ops.tokenLogProb(x, gpuIds).toArray();
  assert.ok(Number.isFinite(lp[0]!) && Number.isNaN(lp[1]!) && Number.isFinite(lp[2]!), `got ${[...lp]}`);
  try { await assertIdsInRange('dpo', gpuIds, 10); assert.unreachable('expected a throw'); } catch (e) { assert.match(String(e), /dpo: token id 12 at position 1 is outside the vocabulary \[0, 10\)/); }
  assert.throws(() => ops.levelSum(toGpu(dev, rand([2, 3], 3)), [0, 1]), /levelSum: need x \[B, L\] and 3 levels/);
});

test.after(closeDevice);
test.run();
