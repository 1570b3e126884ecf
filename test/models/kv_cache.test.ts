// KV cache and level masks: sampling scale by scale through the cache gives the outputs of one block-causal pass over the
// whole sequence (VAR schedule; schedule with prefix tokens; VAR l2-norm and plain variants; on the default kernels and on
// the texture-fed attention kernels at every size), plus its errors.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Device, ops, type Tensor } from '../../src/engine/index.ts';
import { attentionPlan } from '../../src/engine/ops/attention.ts';
import { KVCache, attendCached } from '../../src/models/var/kv_cache.ts';
import { levelIds, scaleSpans, levelTensor, visiblePairs } from '../../src/models/var/masks.ts';
import { getDevice, closeDevice, testIf } from '../helpers/gpu.ts';
import { rand, toGpu, assertClose, host } from '../helpers/ref.ts';

test('levelIds, scaleSpans, visiblePairs', () => {
  assert.equal([...levelIds([1, 2, 3])], [0, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2]);
  assert.equal([...levelIds([1, 2], 3)], [0, 0, 0, 0, 1, 1, 1, 1]);
  assert.equal(scaleSpans([1, 2, 3], 16), [{ start: 0, end: 17 }, { start: 17, end: 21 }, { start: 21, end: 30 }]);
  assert.is(levelIds([1, 2, 3, 4, 6, 9, 13, 18, 24, 32]).length, 2240);
  assert.is(levelIds([1, 2, 3, 4, 6, 9, 13, 18, 24, 32], 1024).length, 3264);
  // Brute force on a small case: query i sees key j iff level j <= level i.
  const ids = levelIds([1, 2, 3], 5);
  let pairs = 0;
  for (const a of ids) for (const b of ids) if (b <= a) pairs++;
  assert.is(visiblePairs(ids), pairs);
  assert.throws(() => levelIds([1, 0]), /levelIds: scale sides must be positive integers/);
});

/** Runs the steps through a fresh cache (two layers with different data) and compares with the masked full pass. */
async function cachedEqualsMasked(scales: number[], prefix: number, l2norm: boolean, on: Device | null = null) {
  const dev = on ?? await getDevice();
  const [B, H, D, layers] = [2, 2, 64, 2];
  const ids = levelIds(scales, prefix), L = ids.length;
  const lv = levelTensor(dev, ids);
  const s = toGpu(dev, host([1, H, 1, 1], [Math.log(4), 5.0]));
  const cache = new KVCache(dev, { layers, batch: B, heads: H, maxLen: L, headDim: D, l2norm });
  const data = Array.from({ length: layers }, (_, li) => [1, 2, 3].map((k) => toGpu(dev, rand([B, H, L, D], 10 * li + k, -2, 2))));
  const full = data.map(([q, k, v]) => (l2norm ? ops.varAttention(q!, k!, v!, s, { levels: lv }) : ops.attention(q!, k!, v!, { levels: lv })));
  const got: Tensor[][] = data.map(() => []);
  for (const { start, end } of scaleSpans(scales, prefix)) {
    for (let li = 0; li < layers; li++) {
      const [q, k, v] = data[li]!.map((t) => ops.slice(t, 2, start, end));
      cache.append(li, k!, v!);
      assert.is(cache.length(li), end);
      got[li]!.push(attendCached(q!, cache, li, l2norm ? { s } : {}));
      for (const t of [q, k, v]) t!.dispose();
    }
  }
  for (let li = 0; li < layers; li++) {
    const cat = ops.concat(got[li]!, 2);
    assertClose(await cat.toArray(), await full[li]!.toArray(), `layer ${li}: cached steps vs one masked pass`, 1e-5, 1e-5);
    cat.dispose();
  }
  // reset() empties the cache; the buffers are reused.
  cache.reset();
  assert.is(cache.length(1), 0);
  for (const t of [lv, s, ...data.flat(), ...full, ...got.flat()]) t.dispose();
  cache.dispose();
}

test('VAR schedule (1, 2, 3, 4), L = 30: cached = masked, l2norm variant', () => cachedEqualsMasked([1, 2, 3, 4], 0, true));
test('16 prefix tokens + start token + scales (2, 3), L = 30: cached = masked, l2norm variant', () => cachedEqualsMasked([1, 2, 3], 16, true));
test('16 prefix tokens, scales (1, 2, 3, 4): cached = masked, plain scaled variant', () => cachedEqualsMasked([1, 2, 3, 4], 16, false));

// A device whose profile takes the texture-fed attention kernels at every size (the tests' sizes are below the default
// threshold), so that every cached step and the masked pass run on them.
const texDev = (await getDevice()).profile.attention.textureForward ? await Device.create({ profile: { attention: { textureMin: 0 } } }) : null;
const NO_TEX = 'no texture-fed attention kernels on this adapter';
testIf(!!texDev, NO_TEX)('texture kernels: VAR schedule with 16 prefix tokens, l2norm and plain variants: cached = masked', async () => {
  for (const [Lq, Lk] of [[1, 17], [9, 30], [30, 30]]) assert.is(attentionPlan(texDev!, { B: 2, H: 2, Lq, Lk, D: 64 }).forward, 'texture');
  await cachedEqualsMasked([1, 2, 3, 4], 16, true, texDev);
  await cachedEqualsMasked([1, 2, 3, 4], 16, false, texDev);
});

test('errors: overflow, shapes, layer, variant', async () => {
  const dev = await getDevice();
  const cache = new KVCache(dev, { layers: 1, batch: 1, heads: 2, maxLen: 5, headDim: 8 });
  const k4 = toGpu(dev, rand([1, 2, 4, 8], 1)), k2 = toGpu(dev, rand([1, 2, 2, 8], 2)), bad = toGpu(dev, rand([1, 3, 2, 8], 3));
  assert.throws(() => attendCached(k2, cache, 0), /attendCached: layer 0 of the cache is empty/);
  cache.append(0, k4, k4);
  assert.throws(() => cache.append(0, k2, k2), /KVCache.append: layer 0 holds 4 of 5 tokens; 2 more do not fit \(maxLen 5\)/);
  assert.throws(() => cache.append(0, bad, bad), /KVCache.append: expected k and v as f32 \[1, 2, l, 8\] with the same l, got k Tensor\(\[1, 3, 2, 8\]/);
  assert.throws(() => cache.append(1, k2, k2), /KVCache.append: layer 1 is out of range \(cache has 1 layers\)/);
  assert.throws(() => attendCached(bad, cache, 0), /attendCached: q Tensor\(\[1, 3, 2, 8\], f32\) does not match the cache's \[1, 2, l, 8\]/);
  assert.throws(() => attendCached(k2, cache, 0, { s: k2 }), /s is only for l2norm caches/);
  assert.throws(() => new KVCache(dev, { layers: 1, batch: 1, heads: 1, maxLen: 4, headDim: 6 }), /KVCache: head dim 6/);
  // The plain cache after one 4-token step equals unmasked attention over those 4 tokens.
  assertClose(await attendCached(k2, cache, 0, { scale: 0.5 }).toArray(), await ops.attention(k2, k4, k4, { scale: 0.5 }).toArray(), 'cached plain', 1e-6, 1e-6);
  for (const t of [k4, k2, bad]) t.dispose();
  cache.dispose();
});

test.after(async () => { texDev?.destroy(); await closeDevice(); });
test.run();
