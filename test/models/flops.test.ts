// The analytic counter: the paper's FLOP and parameter figures, VAR_FACTS' exact counts, and the parts' consistency.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { attentionPairs, countModel, MODEL_CONFIGS, refinerSize, varsrStem, vqvaeDecoder, vqvaeEncoder, vqvaeOther, VQVAE_CH160, type ModelConfig } from '../../src/models/flops.ts';
import { HIT_512, VAR_SCHEDULES } from '../../src/models/quant/schedule.ts';

const count = (name: string) => countModel(MODEL_CONFIGS[name]!);
const within = (x: number, target: number, rel: number, what: string) =>
  assert.ok(Math.abs(x / target - 1) <= rel, `${what}: ${x} is not within ${rel * 100} % of ${target}`);
const part = (name: string, p: string) => count(name).parts.find((x) => x.name.startsWith(p))!;

test('paper accounting: H-VAR d16 0.921 T and VARSR d24 3.071 T within 0.1 %', () => {
  within(count('d16').totals.paperFlops, 0.921e12, 1e-3, 'd16');
  within(count('varsr-d24').totals.paperFlops, 3.071e12, 1e-3, 'varsr-d24');
  // The exact values of VAR_FACTS §4.3: 2 × per-token weights × 2,240.
  assert.is(count('d16').totals.paperFlops, 2 * 205_520_896 * 2240);
  assert.is(count('varsr-d24').totals.paperFlops, 2 * 685_768_704 * 2240);
});

test('the paper rule depends on the token count: H-VAR over its own 2,155 tokens misses 0.921 T', () => {
  const t = count('d16').totals;
  within(t.paperRuleOwnTokens, 0.886e12, 1e-3, 'own tokens');
  within(t.paperRuleOwnTokensWithPrefix, 1.298e12, 1e-3, 'own tokens + prefix');
  assert.ok(Math.abs(t.paperRuleOwnTokens / 0.921e12 - 1) > 1e-3);
});

test('parameters: VAR-d16 exact (VAR_FACTS §3.1, §3.9) and in 310–312 M for both schedules', () => {
  assert.is(count('var-d16').totals.paramsTransformer, 310_283_520);
  assert.is(count('var-d16-512').totals.paramsTransformer, 311_880_960);
  for (const n of ['var-d16', 'var-d16-512']) {
    const p = count(n).totals.paramsTransformer;
    assert.ok(p >= 310e6 && p <= 312e6, `${n}: ${p}`);
  }
  assert.is(count('var-d24').totals.paramsTransformer, 1_033_399_360);
  assert.is(count('var-d24-512').totals.paramsTransformer, 1_035_795_520);
});

test('parameters: H-VAR d16 is MODEL_SPEC §4\'s 309,646,592 ("310M" rounded), not inside 310–312 M', () => {
  const p = count('d16').totals.paramsTransformer;
  assert.is(p, 309_646_592);
  assert.is(Math.round(p / 1e6), 310);
  assert.is(part('d16', 'cond_proj').params, 33_792);
  assert.is(part('d16', 'pos_master').params, 1024 * 1024);
  assert.is(part('d16', 'class_emb').params, 2 * 1024);
});

test('parameters: VARSR d24 transformer in 1.03–1.04 B; with stem and refiner VAR_FACTS §5\'s 1,101,916,448', () => {
  const t = count('varsr-d24').totals;
  assert.ok(t.paramsTransformer >= 1.03e9 && t.paramsTransformer <= 1.04e9, String(t.paramsTransformer));
  assert.is(t.paramsNoVqvae, 1_101_916_448);
  assert.is(part('varsr-d24', 'con_embedding').params, 32_934_560);
  assert.is(part('varsr-d24', 'diffloss').params, 36_585_536);
  assert.is(part('varsr-d24', 'pos_start').params, 1_574_400);
  assert.is(varsrStem(1536, 512).params, 32_934_560);
  within(varsrStem(1536, 512).flops, 145.4e9, 1e-3, 'stem FLOPs');
  const r = refinerSize(MODEL_CONFIGS['varsr-d24']!.refiner!, 1536, 32);
  within(r.macsPerTokenStep, 36.54e6, 1e-3, 'refiner MACs');
});

test('VQVAE: parameters exact and FLOPs as FlopCounterMode reports (VAR_FACTS §1.5, §4.2)', () => {
  const e = vqvaeEncoder(VQVAE_CH160, 16), d = vqvaeDecoder(VQVAE_CH160, 16), o = vqvaeOther(VQVAE_CH160);
  assert.is(e.params, 44_107_872);
  assert.is(d.params, 64_653_923);
  assert.is(e.params + d.params + o.codebook + o.phi + o.quantConvs, 108_948_355);
  within(d.flops, 393.7e9, 1e-3, 'decoder 256');
  within(vqvaeDecoder(VQVAE_CH160, 32).flops, 1582.9e9, 1e-3, 'decoder 512');
  within(e.flops, 215.2e9, 2e-3, 'encoder 256');
  within(vqvaeEncoder(VQVAE_CH160, 32).flops, 866.8e9, 2e-3, 'encoder 512');
});

test('full count matches VAR_FACTS §4.2 (d16 and d24, both schedules)', () => {
  const rows: [string, number, number, number][] = [
    ['var-d16', 273.80, 18.77, 300.4], ['var-d16-512', 901.94, 214.29, 1137.2],
    ['var-d24', 924.09, 42.24, 981.8], ['var-d24-512', 3044.06, 482.16, 3561.5],
  ];
  for (const [n, lin, att, tot] of rows) {
    const c = count(n), blocks = c.parts.filter((p) => /^blocks\.(attn\.(qkv|proj)|ffn)/.test(p.name)).reduce((a, p) => a + p.fullFlops, 0);
    within(blocks, lin * 1e9, 1e-4, `${n} block linears`);
    within(c.attention.kvCache, att * 1e9, 1e-3, `${n} attention`);
    within(c.totals.transformerFlops, tot * 1e9, 1e-3, `${n} transformer`);
  }
});

test('attention pairs: VAR_FACTS §4.1 statistics, VARSR prefix, and the KV cache below recomputation', () => {
  assert.is(attentionPairs(VAR_SCHEDULES[256], 0).kvCache, 286_434);
  assert.is(attentionPairs(VAR_SCHEDULES[512], 0).kvCache, 3_269_850);
  assert.is(attentionPairs(HIT_512.flatMap((s) => [...s.scales]), 0).kvCache, 3_062_110);
  assert.is(attentionPairs(VAR_SCHEDULES[512], 1024).kvCache, 6_613_210);
  assert.is(attentionPairs([1, 2], 0).recompute, 1 + (1 + 4 * 5));
  for (const n of Object.keys(MODEL_CONFIGS)) {
    const a = count(n).attention;
    assert.ok(a.kvCache < a.recompute, n);
    assert.ok(a.kvCacheNoPrefix < a.recomputeNoPrefix, n);
    if (MODEL_CONFIGS[n]!.prefix) assert.ok(a.kvCacheNoPrefix < a.kvCache, n);
    else assert.is(a.kvCacheNoPrefix, a.kvCache);
  }
});

test('parts sum to the totals; CFG doubles the transformer part', () => {
  for (const n of Object.keys(MODEL_CONFIGS)) {
    const c = count(n);
    const s = (f: (p: (typeof c.parts)[number]) => number) => c.parts.reduce((a, p) => a + f(p), 0);
    assert.is(s((p) => p.params), c.totals.params, n);
    assert.is(s((p) => p.paperFlops), c.totals.paperFlops, n);
    assert.ok(Math.abs(s((p) => p.fullFlops) - c.totals.fullFlops) < 1, n);
    const tf = c.parts.filter((p) => p.group === 'transformer').reduce((a, p) => a + p.fullFlops, 0);
    const cfgHalf = c.parts.find((p) => p.group === 'cfg')!.fullFlops;
    const refiner = c.parts.filter((p) => p.group === 'refiner').reduce((a, p) => a + p.fullFlops, 0);
    // The condition's projection (cond_proj) runs once; everything else of the transformer twice.
    const once = c.parts.find((p) => p.name.startsWith('cond_proj'))?.fullFlops ?? 0;
    assert.ok(Math.abs(cfgHalf - (tf - once) - refiner) < 1, n);
    const off = countModel({ ...MODEL_CONFIGS[n]!, cfg: false } as ModelConfig);
    assert.ok(Math.abs(c.totals.fullFlops - off.totals.fullFlops - cfgHalf) < 1, n);
    assert.is(off.totals.paperFlops, c.totals.paperFlops, 'the paper accounting has no CFG');
  }
});

test('H-VAR full count: the 1,024 prefix tokens through the blocks, three decodes and the LR encode', () => {
  const c = count('d16');
  within(part('d16', 'blocks: 1024').fullFlops, 2 * 12 * 1024 ** 2 * 1024 * 16, 1e-12, 'prefix linears');
  const dec = [8, 16, 32].reduce((a, s) => a + vqvaeDecoder(VQVAE_CH160, s).flops + 2 * 9 * 32 * 32 * s * s, 0);
  within(part('d16', 'vqvae.decoder').fullFlops, dec, 1e-12, 'decodes');
  assert.ok(c.totals.fullFlops > 5 * c.totals.paperFlops);
  const small = count('small');
  assert.is(small.config.depth, 4);
  assert.is(small.config.width, 256);
  assert.ok(small.totals.paramsTransformer < 10e6);
});

test.run();
