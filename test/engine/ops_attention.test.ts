// Fused attention on the real adapter, on every kernel path it can take (texture-fed, subgroup and portable buffer kernels):
// forward vs an f64 CPU reference (odd lengths, B/H > 1, masks by level ids, strided views, cached transposed keys),
// backward vs finite differences, paths against each other, chunked dispatches (binding and texture limits lowered;
// operand packs staged in row chunks bit for bit),
// VAR's l2-normalised variant vs the PyTorch golden, and argument errors.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ops, fromArray, backward, countWork, type Tensor, type Device } from '../../src/engine/index.ts';
import { view } from '../../src/engine/tensor.ts';
import { LN100, attentionPlan, type AttentionOpts } from '../../src/engine/ops/attention.ts';
import { openSafetensors } from '../../src/engine/io/safetensors.ts';
import { getDevice, closeDevice, testIf } from '../helpers/gpu.ts';
import { checkOp, chunkedAgrees, rand, toGpu, assertClose, host, type Host } from '../helpers/ref.ts';

// ---- f64 reference -------------------------------------------------------------------------------------------------
interface Ref { scale?: number; lq?: number[]; lk?: number[]; s?: ArrayLike<number> }
/** softmax(scale q kᵀ + mask) v in f64; with `s`: VAR's normalise(q)·exp(min(s_h, ln 100)), normalise(k), scale 1. */
function refAttention(q: Host, k: Host, v: Host, o: Ref = {}): Host {
  const [B, H, Lq, D] = q.shape as [number, number, number, number], Lk = k.shape[2]!;
  const scale = o.s ? 1 : o.scale ?? 1 / Math.sqrt(D);
  const out = new Float64Array(B * H * Lq * D);
  const row = (x: Host, L: number, b: number, h: number, i: number, t = 1) => {
    const r = Array.from(x.data.subarray(((b * H + h) * L + i) * D, ((b * H + h) * L + i + 1) * D));
    if (!o.s) return r;
    const n = Math.max(Math.hypot(...r), 1e-12);
    return r.map((e) => (e / n) * t);
  };
  for (let b = 0; b < B; b++) for (let h = 0; h < H; h++) {
    const t = o.s ? Math.exp(Math.min(o.s[h]!, LN100)) : 1;
    const ks = Array.from({ length: Lk }, (_, j) => row(k, Lk, b, h, j));
    for (let i = 0; i < Lq; i++) {
      const qi = row(q, Lq, b, h, i, t);
      const vis = ks.map((_, j) => !o.lq || o.lk![j]! <= o.lq[i]!);
      const s = ks.map((kj, j) => (vis[j] ? scale * kj.reduce((a, e, d) => a + e * qi[d]!, 0) : -Infinity));
      const m = Math.max(...s);
      const p = s.map((x) => (x === -Infinity ? 0 : Math.exp(x - m)));
      const z = p.reduce((a, e) => a + e, 0);
      for (let j = 0; j < Lk; j++) if (p[j]) for (let d = 0; d < D; d++) out[((b * H + h) * Lq + i) * D + d] += (p[j]! / z) * v.data[((b * H + h) * Lk + j) * D + d]!;
    }
  }
  return { shape: [B, H, Lq, D], data: out };
}

/** Level ids of a VAR-like sequence: `prefix` tokens at level 0 with the first scale, then pn² tokens per scale. */
const levelsOf = (prefix: number, schedule: number[]) => [...Array(prefix).fill(0), ...schedule.flatMap((pn, si) => Array(pn * pn).fill(si))];
const ids = (dev: Device, l: number[]) => fromArray(dev, l, [l.length], 'i32');

// ---- forward -------------------------------------------------------------------------------------------------------
const FWD: { name: string; B: number; H: number; Lq: number; Lk?: number; D?: number; lq?: number[]; lk?: number[]; scale?: number }[] = [
  { name: 'L1', B: 1, H: 1, Lq: 1 },
  { name: 'L3 masked', B: 1, H: 1, Lq: 3, lq: [0, 1, 1] },
  { name: 'L65 B2 H3', B: 2, H: 3, Lq: 65 },
  { name: 'L65 B2 H3 masked, 10 prefix + scales 1..5', B: 2, H: 3, Lq: 65, lq: levelsOf(10, [1, 2, 3, 4, 5]) },
  { name: 'L257 masked, schedule 1..6 + 166 prefix', B: 1, H: 2, Lq: 257, lq: levelsOf(166, [1, 2, 3, 4, 5, 6]) },
  { name: 'cross Lq 3, Lk 65, masked', B: 2, H: 2, Lq: 3, Lk: 65, lq: [0, 2, 5], lk: levelsOf(10, [1, 2, 3, 4, 5]) },
  { name: 'unsorted levels', B: 1, H: 2, Lq: 65, lq: Array.from({ length: 65 }, (_, i) => (i * 7919) % 5) },
  { name: 'scale 0.3, L33', B: 2, H: 1, Lq: 33, scale: 0.3, lq: levelsOf(0, [1, 2, 3, 4]).concat([4, 4, 4]) },
  { name: 'head dim 128, L40 masked', B: 1, H: 2, Lq: 40, D: 128, lq: levelsOf(10, [1, 2, 3, 4]) },
  { name: 'head dim 4, L24 masked', B: 2, H: 1, Lq: 24, D: 4, lq: levelsOf(5, [1, 2, 3]).concat([2, 2, 2, 2, 2]) },
];
// Each case on every forward kernel this adapter has: the texture-fed kernel (skipped without subgroups of 8 or read-only
// storage textures, e.g. Deno), the default buffer kernel (on lavapipe the subgroup kernel, 2 rows per lane), then the
// subgroup buffer kernel with 1 row per lane and the portable one (forced with subgroups: false). The last two run the
// cases at head dim 8: every variant is a compile of its own, and the unrolled subgroup kernels take LLVM 10-90 s each at
// D 64 on a cold Mesa shader cache (a fresh CI machine).
type Tuning = NonNullable<AttentionOpts['tuning']>;
const PROFILE = (await getDevice()).profile;
const SG8 = PROFILE.subgroups8, TEX = SG8 && PROFILE.storageTextures;
const NO_SG = 'no subgroups of at least 8 on this adapter';
const NO_TEX = 'no subgroups of at least 8 or no read-only storage textures on this adapter';
/** Texture kernels forced (any size), or all off (the buffer kernels). */
const TEX_ON: Tuning = { textureForward: true, textureDq: true, textureDkdv: true, textureMin: 0 };
const TEX_OFF: Tuning = { textureForward: false, textureDq: false, textureDkdv: false };
const KERNELS: { name: string; tuning: Tuning; D?: number; sg?: boolean; tex?: boolean }[] = [
  { name: 'texture kernel', tuning: TEX_ON, tex: true },
  { name: 'buffer kernel', tuning: TEX_OFF },
  { name: 'subgroup kernel, 1 row per lane, D 8', tuning: { ...TEX_OFF, subgroups: true, rowsPerLane: 1 }, D: 8, sg: true },
  { name: 'portable kernel, D 8', tuning: { subgroups: false }, D: 8 },
];
const why = (kn: { sg?: boolean; tex?: boolean }) => (kn.tex ? NO_TEX : NO_SG);
const can = (kn: { sg?: boolean; tex?: boolean }) => (kn.tex ? TEX : kn.sg ? SG8 : true);
for (const c of FWD) for (const kn of KERNELS) testIf(can(kn), why(kn))(`forward ${c.name} (${kn.name})`, async () => {
  const dev = await getDevice();
  const cc = kn.D && (c.D ?? 64) >= 64 ? { ...c, D: kn.D } : c;
  if (kn.tex) assert.is(attentionPlan(dev, { B: cc.B, H: cc.H, Lq: cc.Lq, Lk: cc.Lk ?? cc.Lq, D: cc.D ?? 64 }, kn.tuning).forward, 'texture');
  await forwardCase(dev, cc, kn.tuning);
});
async function forwardCase(dev: Device, c: (typeof FWD)[number], tuning: Tuning) {
  const D = c.D ?? 64, Lk = c.Lk ?? c.Lq;
  const q = rand([c.B, c.H, c.Lq, D], 1, -2, 2), k = rand([c.B, c.H, Lk, D], 2, -2, 2), v = rand([c.B, c.H, Lk, D], 3);
  const lk = c.lk ?? c.lq;
  const lvq = c.lq && ids(dev, c.lq), lvk = lk && ids(dev, lk);
  const [qt, kt, vt] = [q, k, v].map((h) => toGpu(dev, h));
  const y = ops.attention(qt!, kt!, vt!, { scale: c.scale, levelsQ: lvq, levelsK: lvk, tuning });
  assertClose(await y.toArray(), refAttention(q, k, v, { scale: c.scale, lq: c.lq, lk }).data, c.name, 2e-6, 1e-5);
  for (const t of [qt, kt, vt, y, lvq, lvk]) t?.dispose();
}

for (const kn of KERNELS.slice(0, 2)) testIf(can(kn), why(kn))(`forward reads strided q, k, v views of a fused qkv [B, L, 3, H, D] in place (${kn.name})`, async () => {
  const dev = await getDevice();
  const [B, L, H, D] = [2, 13, 3, 64];
  const qkv = rand([B, L, 3, H, D], 4, -2, 2);
  const t = toGpu(dev, qkv);
  // Part i as [B, H, L, D]: strides (L·3·H·D, D, 3·H·D, 1) from element i·H·D: what the model's qkv linear produces.
  const strides = [L * 3 * H * D, D, 3 * H * D, 1];
  const [q, k, v] = [0, 1, 2].map((i) => view(t, [B, H, L, D], strides, i * H * D));
  const part = (i: number): Host => {
    const d = new Float64Array(B * H * L * D);
    for (let b = 0; b < B; b++) for (let h = 0; h < H; h++) for (let l = 0; l < L; l++) for (let e = 0; e < D; e++)
      d[((b * H + h) * L + l) * D + e] = qkv.data[(((b * L + l) * 3 + i) * H + h) * D + e]!;
    return { shape: [B, H, L, D], data: d };
  };
  const lq = levelsOf(4, [1, 2, 2]).slice(0, L);
  const lv = ids(dev, lq);
  const y = ops.attention(q!, k!, v!, { levels: lv, tuning: kn.tuning });
  assertClose(await y.toArray(), refAttention(part(0), part(1), part(2), { lq, lk: lq }).data, 'strided views', 2e-6, 1e-5);
  for (const x of [t, q, k, v, lv, y]) x!.dispose();
});

// q and v (contiguous, head dim 64) are copied into the rows texture head by head, no pack kernel; the texture's rows
// past L must then be zeroed: the call before leaves NaN there (same texture size), and a masked-out key's weight 0
// times a NaN value row would be NaN.
testIf(TEX, NO_TEX)('texture kernels: rows copied per head without a pack kernel; the padding rows past L are zeroed, not stale', async () => {
  const dev = await getDevice();
  const nan = (L: number) => toGpu(dev, { shape: [1, 2, L, 64], data: new Float64Array(2 * L * 64).fill(NaN) });
  const [q0, k0, v0] = [toGpu(dev, rand([1, 2, 64, 64], 61)), toGpu(dev, rand([1, 2, 64, 64], 62)), nan(64)];
  const y0 = ops.attention(q0, k0, v0, { tuning: TEX_ON });
  assert.ok(Number.isNaN((await y0.toArray())[0]), 'the first call fills the rows texture with NaN values');
  const [hq, hk, hv] = [rand([1, 2, 40, 64], 63), rand([1, 2, 40, 64], 64), rand([1, 2, 40, 64], 65)];
  const [q, k, v] = [toGpu(dev, hq), toGpu(dev, hk), toGpu(dev, hv)];
  const { result: y, counter } = await countWork(dev, () => ops.attention(q, k, v, { tuning: TEX_ON }));
  assertClose(await y.toArray(), refAttention(hq, hk, hv).data, 'L 40 after NaN rows', 2e-6, 1e-5);
  assert.is(counter.kernels.get('attention/pack_tex')?.dispatches, 1, 'only the keys (columns layout) go through attention/pack_tex');
  for (const t of [q0, k0, v0, y0, q, k, v, y]) t.dispose();
});

// The model's pattern: q, k, v viewed out of projections [B, L, H·D], the output permuted and reshaped back. Outputs
// and gradients come out token-major like their inputs, so the output's reshape and the gradients' way back into the
// projections copy nothing; the same values bit for bit as with contiguous (head-major) inputs, whose outputs stay
// head-major.
for (const kn of KERNELS.slice(0, 2)) for (const variant of ['attention', 'varAttention'] as const)
  testIf(can(kn), why(kn))(`${variant}: token-major q, k, v views give token-major outputs and gradients, no copies but one (${kn.name})`, async () => {
    const dev = await getDevice();
    const [B, L, H, D] = [2, 40, 3, 64], C = H * D;
    const hy = [71, 72, 73].map((seed) => rand([B, L, C], seed, -2, 2)), hg = rand([B, L, C], 74);
    const s = toGpu(dev, rand([1, H, 1, 1], 75));
    const run = async (tokenMajor: boolean) => {
      const ys = hy.map((h) => { const t = toGpu(dev, h); t.requiresGrad = true; return t; }), g = toGpu(dev, hg);
      const { result, counter } = await countWork(dev, () => {
        const [q, k, v] = ys.map((y) => { const p = ops.permute(ops.reshape(y, [B, L, H, D]), [0, 2, 1, 3]); return tokenMajor ? p : ops.contiguous(p); });
        const o = variant === 'attention' ? ops.attention(q!, k!, v!, { tuning: kn.tuning }) : ops.varAttention(q!, k!, v!, s, { tuning: kn.tuning });
        const out = ops.reshape(ops.permute(o, [0, 2, 1, 3]), [B, L, C]);
        backward(out, g);
        return { o, out };
      });
      const copies = ['copy', 'copy.grad', 'reshape'].reduce((n, k) => n + (counter.ops.get(k)?.calls ?? 0), 0);
      const r = { strides: [...result.o.strides], out: await result.out.toArray(), grads: await Promise.all(ys.map((y) => y.grad!.toArray())), copies };
      for (const t of [...ys, g, result.o, result.out]) t.dispose();
      return r;
    };
    const tm = await run(true), hm = await run(false);
    assert.equal(tm.strides, [L * H * D, D, H * D, 1], 'token-major output');
    assert.equal(hm.strides, [H * L * D, L * D, D, 1], 'head-major output from contiguous inputs');
    // Head-major: q, k, v made contiguous (3), their gradients through copy's and permute's backward (3 + 3), o by the
    // reshape (1), its gradient by the permute's backward (1). Token-major: only the last.
    assert.is(hm.copies, 11, 'copies with head-major inputs');
    assert.is(tm.copies, 1, 'token-major: one copy (the output gradient made head-major for the backward kernels)');
    assert.equal(Array.from(tm.out), Array.from(hm.out), 'outputs bit for bit');
    for (let i = 0; i < 3; i++) assert.equal(Array.from(tm.grads[i]!), Array.from(hm.grads[i]!), `gradient ${'qkv'[i]} bit for bit`);
    s.dispose();
  });

for (const kn of KERNELS.slice(0, 2)) testIf(can(kn), why(kn))(`VAR variant forward (l2 norm, per-head temperature, one head clamped) (${kn.name})`, async () => {
  const dev = await getDevice();
  const [B, H, L, D] = [2, 3, 65, 64];
  const q = rand([B, H, L, D], 5, -2, 2), k = rand([B, H, L, D], 6, -2, 2), v = rand([B, H, L, D], 7);
  const s = host([1, H, 1, 1], [Math.log(4), 5.0, 1.0]);
  const lq = levelsOf(10, [1, 2, 3, 4, 5]);
  const lv = ids(dev, lq);
  const [qt, kt, vt, st] = [q, k, v, s].map((h) => toGpu(dev, h));
  const y = ops.varAttention(qt!, kt!, vt!, st!, { levels: lv, tuning: kn.tuning });
  // Temperatures up to 100 scale the f32 rounding of the logits by up to 100.
  assertClose(await y.toArray(), refAttention(q, k, v, { s: s.data, lq, lk: lq }).data, 'varAttention', 1e-5, 1e-4);
  for (const t of [qt, kt, vt, st, y, lv]) t!.dispose();
});

test('portable kernels, head dim 16, another tuning (16 lanes = two SIMD groups on lavapipe, 2 rows): forward and backward', async () => {
  const dev = await getDevice();
  const q = rand([2, 2, 75, 16], 8, -2, 2), k = rand([2, 2, 75, 16], 9, -2, 2), v = rand([2, 2, 75, 16], 10);
  const lq = levelsOf(20, [1, 2, 3, 4, 5]);
  const lv = ids(dev, lq);
  const tuning = { lanes: 16, rows: 2, rowsBackward: 2, subgroups: false };
  try {
    await checkOp(dev, 'attention D 16, 16 lanes, 2 rows', [q, k, v], ([a, b, c]) => ops.attention(a!, b!, c!, { levels: lv, tuning }),
      ([a, b, c]) => refAttention(a!, b!, c!, { lq, lk: lq }), { atol: 2e-6, rtol: 1e-5 });
  } finally { lv.dispose(); }
});

// ---- backward vs finite differences ----------------------------------------------------------------------------------
const BWD: { name: string; B: number; H: number; Lq: number; Lk?: number; D: number; lq?: number[]; lk?: number[]; scale?: number }[] = [
  { name: 'L1', B: 1, H: 1, Lq: 1, D: 64 },
  { name: 'L5 masked', B: 1, H: 2, Lq: 5, D: 64, lq: [0, 1, 1, 2, 2] },
  { name: 'L5 no mask, scale 0.7', B: 2, H: 1, Lq: 5, D: 64, scale: 0.7 },
  { name: 'cross Lq 3, Lk 6, masked', B: 1, H: 2, Lq: 3, Lk: 6, D: 64, lq: [0, 1, 2], lk: [0, 0, 1, 1, 2, 2] },
  { name: 'L37 masked (crosses key and query blocks)', B: 1, H: 1, Lq: 37, D: 64, lq: levelsOf(2, [1, 2, 3, 4]).concat([4, 4, 4, 4, 4]) },
  { name: 'cross Lq 35, Lk 40, masked, unsorted query levels', B: 1, H: 1, Lq: 35, Lk: 40, D: 64,
    lq: Array.from({ length: 35 }, (_, i) => (i * 13) % 6), lk: levelsOf(4, [1, 2, 3, 4, 3]).slice(0, 40) },
];
// The backward cases on the texture-fed kernels (forward, dQ and dK/dV), the buffer kernels (lavapipe: the subgroup ones,
// 2 rows per lane, D 64; Deno: the portable ones) and the portable ones (at D 8). The subgroup backward kernels are the
// slowest to compile on a cold Mesa cache (dQ ~60 s and dK/dV ~40 s at D 64; ~20 and ~35 s at D 8), so their other row
// counts (rowsPerLaneBackward 1) are left to the bench.
const BWD_KERNELS: { name: string; tuning: Tuning; D?: number; tex?: boolean }[] = [
  { name: 'texture kernels', tuning: TEX_ON, tex: true },
  { name: 'buffer kernels', tuning: TEX_OFF },
  { name: 'portable kernels, D 8', tuning: { subgroups: false }, D: 8 },
];
const backwardCase = async (c: (typeof BWD)[number], tuning: Tuning) => {
  const dev = await getDevice();
  const Lk = c.Lk ?? c.Lq, lk = c.lk ?? c.lq;
  const lvq = c.lq && ids(dev, c.lq), lvk = lk && ids(dev, lk);
  try {
    await checkOp(dev, `attention ${c.name}`, [rand([c.B, c.H, c.Lq, c.D], 11, -2, 2), rand([c.B, c.H, Lk, c.D], 12, -2, 2), rand([c.B, c.H, Lk, c.D], 13)],
      ([q, k, v]) => ops.attention(q!, k!, v!, { scale: c.scale, levelsQ: lvq, levelsK: lvk, tuning }),
      ([q, k, v]) => refAttention(q!, k!, v!, { scale: c.scale, lq: c.lq, lk }), { atol: 2e-6, rtol: 1e-5 });
  } finally { lvq?.dispose(); lvk?.dispose(); }
};
for (const c0 of BWD) for (const kn of BWD_KERNELS) testIf(can(kn), why(kn))(`backward ${c0.name} (${kn.name})`,
  () => backwardCase(kn.D && c0.D >= 64 ? { ...c0, D: kn.D } : c0, kn.tuning));
// The texture kernels at the other head dims they specialise for (ceil(D / 32) vec4 columns per lane: 1 and 4).
for (const c of [{ name: 'head dim 4, L 9 masked', B: 2, H: 1, Lq: 9, D: 4, lq: [0, 1, 1, 1, 1, 2, 2, 2, 2] },
                 { name: 'head dim 128, cross Lq 3, Lk 5, masked', B: 1, H: 2, Lq: 3, Lk: 5, D: 128, lq: [0, 1, 2], lk: [0, 1, 1, 2, 2] }])
  testIf(TEX, NO_TEX)(`backward ${c.name} (texture kernels)`, () => backwardCase(c, TEX_ON));

// Every kernel combination against the first (the plans can mix texture and buffer kernels: dQ writes Δ for dK/dV).
const COMBOS: { name: string; tuning: Tuning; tex: boolean }[] = [
  { name: 'subgroup buffer kernels', tuning: { ...TEX_OFF, subgroups: true }, tex: false },
  { name: 'portable kernels', tuning: { subgroups: false }, tex: false },
  { name: 'texture kernels', tuning: TEX_ON, tex: true },
  { name: 'texture forward and dQ, buffer dK/dV', tuning: { ...TEX_ON, textureDkdv: false }, tex: true },
  { name: 'buffer forward and dQ, texture dK/dV', tuning: { ...TEX_ON, textureForward: false, textureDq: false }, tex: true },
];
testIf(SG8, NO_SG)('every gradient entry: all kernel combinations agree (L 257 with prefix; cross 70 x 300)', async () => {
  const dev = await getDevice();
  for (const c of [{ B: 2, H: 2, Lq: 257, Lk: 257, lq: levelsOf(53, [1, 2, 3, 4, 5, 6, 7, 8]), lk: null as number[] | null },
                   { B: 1, H: 3, Lq: 70, Lk: 300, lq: Array.from({ length: 70 }, (_, i) => i % 9), lk: levelsOf(15, [1, 2, 3, 4, 5, 6, 7, 8, 10]).slice(0, 300) }]) {
    const lk = c.lk ?? c.lq;
    const host3 = [rand([c.B, c.H, c.Lq, 64], 21, -2, 2), rand([c.B, c.H, c.Lk, 64], 22, -2, 2), rand([c.B, c.H, c.Lk, 64], 23)];
    const g = toGpu(dev, rand([c.B, c.H, c.Lq, 64], 24));
    const lvq = ids(dev, c.lq), lvk = ids(dev, lk);
    const grads: ArrayLike<number>[][] = [];
    const combos = COMBOS.filter((k) => TEX || !k.tex);
    for (const { tuning } of combos) {
      const xs = host3.map((h) => { const t = toGpu(dev, h); t.requiresGrad = true; return t; });
      const y = ops.attention(xs[0]!, xs[1]!, xs[2]!, { levelsQ: lvq, levelsK: lvk, tuning });
      backward(y, g);
      grads.push([await y.toArray(), ...(await Promise.all(xs.map((t) => t.grad!.toArray())))]);
      for (const t of [...xs, y]) t.dispose();
    }
    for (let k = 1; k < combos.length; k++)
      ['out', 'dq', 'dk', 'dv'].forEach((n, i) => assertClose(grads[k]![i]!, grads[0]![i]!, `Lq ${c.Lq}, Lk ${c.Lk}: ${n}, ${combos[k]!.name} vs ${combos[0]!.name}`, 2e-6, 1e-5));
    for (const t of [g, lvq, lvk]) t.dispose();
  }
});

// ---- chunked dispatches and texture limits ---------------------------------------------------------------------------
const chunkCase = { B: 3, H: 2, Lq: 37, Lk: 45, D: 8, lq: levelsOf(5, [1, 2, 3, 4, 3]).slice(0, 37), lk: levelsOf(9, [1, 2, 3, 4, 3]).slice(0, 45) };
for (const kn of [KERNELS[0]!, KERNELS[1]!]) testIf(can(kn), why(kn))(`batches split above the binding limit (limit lowered to 8 KiB): forward and backward (${kn.name})`, async () => {
  const dev = await getDevice();
  const c = chunkCase, lvq = ids(dev, c.lq), lvk = ids(dev, c.lk);
  try {
    await chunkedAgrees(dev, `attention ${kn.name}`, 8192, [rand([c.B, c.H, c.Lq, c.D], 31, -2, 2), rand([c.B, c.H, c.Lk, c.D], 32, -2, 2), rand([c.B, c.H, c.Lk, c.D], 33)],
      ([q, k, v]) => ops.attention(q!, k!, v!, { levelsQ: lvq, levelsK: lvk, tuning: { ...kn.tuning, textureDq: !!kn.tex, textureDkdv: !!kn.tex } }),
      ([q, k, v]) => refAttention(q!, k!, v!, { lq: c.lq, lk: c.lk }));
  } finally { lvq.dispose(); lvk.dispose(); }
});

testIf(TEX, NO_TEX)('texture kernels: heads split over dispatches when maxTextureDimension2D is small (lowered to 64); longer sequences fall back', async () => {
  const dev = await getDevice();
  const c = chunkCase, lvq = ids(dev, c.lq), lvk = ids(dev, c.lk);
  const inputs = [rand([c.B, c.H, c.Lq, c.D], 34, -2, 2), rand([c.B, c.H, c.Lk, c.D], 35, -2, 2), rand([c.B, c.H, c.Lk, c.D], 36)];
  const dy = toGpu(dev, rand([c.B, c.H, c.Lq, c.D], 37));
  const run = async () => {
    const xs = inputs.map((h) => { const t = toGpu(dev, h); t.requiresGrad = true; return t; });
    const y = ops.attention(xs[0]!, xs[1]!, xs[2]!, { levelsQ: lvq, levelsK: lvk, tuning: TEX_ON });
    backward(y, dy);
    const out = [await y.toArray(), ...(await Promise.all(xs.map((t) => t.grad!.toArray())))];
    for (const t of [...xs, y]) t.dispose();
    return out;
  };
  let n0 = dev.stats.dispatches;
  const whole = await run();
  const nWhole = dev.stats.dispatches - n0;
  const d = dev as unknown as { maxTexture2D: number }, saved = d.maxTexture2D;
  let split: ArrayLike<number>[] = [];
  try {
    d.maxTexture2D = 64;
    // 6 heads of D 8: the dQ rows texture (4 operands × 2 texels per head) and columns texture (2 × 8 rows per head) hold
    // 4 heads at most, so each kernel runs in 2 dispatches, its packs in 2 rounds.
    const plan = attentionPlan(dev, { B: c.B, H: c.H, Lq: c.Lq, Lk: c.Lk, D: c.D }, TEX_ON);
    assert.equal(plan, { forward: 'texture', dq: 'texture', dkdv: 'texture' });
    n0 = dev.stats.dispatches;
    split = await run();
    assert.ok(dev.stats.dispatches - n0 > nWhole, 'the lowered limit did not split the heads');
    // Rows past the limit (a 65-key sequence pads to 128) take the buffer kernels.
    assert.equal(attentionPlan(dev, { B: 1, H: 1, Lq: 10, Lk: 65, D: 8 }, TEX_ON), { forward: 'subgroup', dq: 'subgroup', dkdv: 'subgroup' });
  } finally { d.maxTexture2D = saved; }
  assertClose(whole[0]!, refAttention(inputs[0]!, inputs[1]!, inputs[2]!, { lq: c.lq, lk: c.lk }).data, 'whole forward', 2e-6, 1e-5);
  split.forEach((v, i) => assertClose(v, whole[i]!, `${i ? `grad of input ${i - 1}` : 'forward'}, head chunks vs whole`, 2e-6, 1e-5));
  for (const t of [lvq, lvk, dy]) t.dispose();
});

testIf(TEX, NO_TEX)('texture kernels: operand packs staged in row chunks (binding lowered to 4 KiB) agree bit for bit with whole-texture staging, forward and backward', async () => {
  const dev = await getDevice();
  // One batch, so no window of a tensor changes; the rows textures (64 rows of 256 B) and columns textures (16-32 rows)
  // are staged in chunks of 14 rows instead of at once.
  const [B, H, Lq, Lk, D] = [1, 2, 37, 45, 8];
  const inputs = [rand([B, H, Lq, D], 51, -2, 2), rand([B, H, Lk, D], 52, -2, 2), rand([B, H, Lk, D], 53)];
  const dy = toGpu(dev, rand([B, H, Lq, D], 54));
  const run = async () => {
    const xs = inputs.map((h) => { const t = toGpu(dev, h); t.requiresGrad = true; return t; });
    const y = ops.attention(xs[0]!, xs[1]!, xs[2]!, { tuning: TEX_ON });
    backward(y, dy);
    const out = [await y.toArray(), ...(await Promise.all(xs.map((t) => t.grad!.toArray())))];
    for (const t of [...xs, y]) t.dispose();
    return out;
  };
  const c0 = dev.stats.textureCopies, whole = await run(), c1 = dev.stats.textureCopies;
  const d = dev as unknown as { maxBinding: number }, saved = d.maxBinding;
  let split: ArrayLike<number>[] = [];
  try { d.maxBinding = 4096; split = await run(); } finally { d.maxBinding = saved; }
  assert.ok(dev.stats.textureCopies - c1 > c1 - c0, `the lowered limit did not split the staging (${dev.stats.textureCopies - c1} vs ${c1 - c0} copies)`);
  assertClose(whole[0]!, refAttention(inputs[0]!, inputs[1]!, inputs[2]!, {}).data, 'whole forward', 2e-6, 1e-5);
  ['out', 'dq', 'dk', 'dv'].forEach((n, i) => {
    let at = -1;
    for (let j = 0; j < whole[i]!.length && at < 0; j++) if (!Object.is(split[i]![j], whole[i]![j])) at = j;
    assert.is(at, -1, `${n}: chunked staging ${split[i]![at]} vs whole ${whole[i]![at]} at ${at}`);
  });
  dy.dispose();
});

testIf(TEX, NO_TEX)('cached transposed keys (attentionKT, the KV cache entry point) on the texture kernel = the buffer kernel = the reference', async () => {
  const dev = await getDevice();
  const [B, H, Lq, Lk, cap, D] = [2, 3, 9, 70, 77, 64];
  const q = rand([B, H, Lq, D], 41, -2, 2), k = rand([B, H, Lk, D], 42, -2, 2), v = rand([B, H, Lk, D], 43);
  // The cache's layout: keys transposed with room for cap keys (rounded up to 4), values with room for cap rows.
  const cap4 = Math.ceil(cap / 4) * 4, kT = new Float32Array(B * H * D * cap4), vc = new Float32Array(B * H * cap * D).fill(7);
  for (let bh = 0; bh < B * H; bh++) for (let j = 0; j < Lk; j++) for (let d = 0; d < D; d++) {
    kT[(bh * D + d) * cap4 + j] = k.data[(bh * Lk + j) * D + d]!;
    vc[(bh * cap + j) * D + d] = v.data[(bh * Lk + j) * D + d]!;
  }
  const [qt, kt, vt] = [toGpu(dev, q), fromArray(dev, kT, [B, H, D, cap4]), fromArray(dev, vc, [B, H, cap, D])];
  const want = refAttention(q, k, v, { scale: 0.2 }).data;
  for (const tuning of [TEX_ON, TEX_OFF]) {
    const y = ops.attentionKT(qt, kt, vt, Lk, { scale: 0.2, tuning });
    assertClose(await y.toArray(), want, `attentionKT ${tuning === TEX_ON ? 'texture' : 'buffer'}`, 2e-6, 1e-5);
    y.dispose();
  }
  for (const t of [qt, kt, vt]) t.dispose();
});

for (const kn of BWD_KERNELS.slice(0, 2)) testIf(can(kn), why(kn))(`backward VAR variant: q, k, v and s (ds = 0 above ln 100) (${kn.name})`, async () => {
  const dev = await getDevice();
  const lq = [0, 1, 1, 1, 1, 2];
  const lv = ids(dev, lq);
  await checkOp(dev, 'varAttention', [rand([1, 2, 6, 64], 14, -2, 2), rand([1, 2, 6, 64], 15, -2, 2), rand([1, 2, 6, 64], 16), host([1, 2, 1, 1], [0.3, 5.0])],
    ([q, k, v, s]) => ops.varAttention(q!, k!, v!, s!, { levels: lv, tuning: kn.tuning }),
    ([q, k, v, s]) => refAttention(q!, k!, v!, { s: s!.data, lq, lk: lq }), { atol: 2e-6, rtol: 1e-5 });
  lv.dispose();
});

// ---- PyTorch golden --------------------------------------------------------------------------------------------------
for (const kn of BWD_KERNELS.slice(0, 2)) testIf(can(kn), why(kn))(`PyTorch golden: VAR attention with a level mask, out and dq, dk, dv, ds (${kn.name})`, async () => {
  const dev = await getDevice();
  const f = await openSafetensors('test/fixtures/golden/attention.safetensors');
  const get = async (n: string) => f.read(n);
  const [q, k, v, s, dout] = await Promise.all(['q', 'k', 'v', 's', 'dout'].map(async (n) => { const t = await get(n); return fromArray(dev, t.data, t.shape); }));
  const lvRaw = await get('levels');
  assert.is(lvRaw.shape[0], 7);
  const lv = fromArray(dev, lvRaw.data, lvRaw.shape, 'i32');
  for (const t of [q, k, v, s]) t!.requiresGrad = true;
  const out = ops.varAttention(q!, k!, v!, s!, { levels: lv, tuning: kn.tuning });
  assertClose(await out.toArray(), (await get('out')).data as Float32Array, 'golden out', 1e-5, 1e-5);
  backward(out, dout);
  for (const [t, n] of [[q, 'dq'], [k, 'dk'], [v, 'dv'], [s, 'ds']] as [Tensor, string][])
    assertClose(await t.grad!.toArray(), (await get(n)).data as Float32Array, `golden ${n}`, 1e-5, 1e-4);
  const ds = await s!.grad!.toArray();
  assert.is(ds[1], 0, 'head 1 has s above ln 100: its gradient is exactly 0');
  for (const t of [q, k, v, s, dout, lv, out]) t!.dispose();
});

// ---- errors ------------------------------------------------------------------------------------------------------------
test('errors name the op and the shapes', async () => {
  const dev = await getDevice();
  const q = toGpu(dev, rand([1, 2, 5, 8], 1)), k = toGpu(dev, rand([1, 2, 6, 8], 2)), v = toGpu(dev, rand([1, 2, 6, 8], 3));
  const k3 = toGpu(dev, rand([2, 6, 8], 4)), d6 = toGpu(dev, rand([1, 2, 6, 6], 5)), vBad = toGpu(dev, rand([1, 2, 5, 8], 6));
  assert.throws(() => ops.attention(q, k3, v), /attention: expected q, k, v as \[B, H, L, D\], got q \[1, 2, 5, 8\], k \[2, 6, 8\]/);
  assert.throws(() => ops.attention(q, k, vBad), /attention: shapes do not match: q \[1, 2, 5, 8\], k \[1, 2, 6, 8\], v \[1, 2, 5, 8\]/);
  assert.throws(() => ops.attention(d6, d6, d6), /attention: head dim 6 .* must be a multiple of 4/);
  const l5 = ids(dev, [0, 1, 1, 2, 2]), l4 = ids(dev, [0, 1, 1, 2]), f5 = toGpu(dev, rand([5], 7));
  assert.throws(() => ops.attention(q, k, v, { levels: l5 }), /attention: levels has 5 ids but there are 6 key rows \(levels needs Lq = Lk; got Lq 5, Lk 6\)/);
  assert.throws(() => ops.attention(q, q, q, { levels: l4 }), /attention: levels has 4 ids but there are 5 query rows/);
  assert.throws(() => ops.attention(q, k, v, { levelsQ: l5 }), /levelsQ and levelsK must be given together/);
  assert.throws(() => ops.attention(q, q, q, { levels: f5 }), /attention: query level ids must be a contiguous i32 \[5\] tensor, got Tensor\(\[5\], f32\)/);
  const sBad = toGpu(dev, rand([1, 3, 1, 1], 8));
  assert.throws(() => ops.varAttention(q, q, q, sBad), /headNorm: per-head scale s must be f32 \[1, 2, 1, 1\] or \[2\], got Tensor\(\[1, 3, 1, 1\]/);
  for (const t of [q, k, v, k3, d6, vBad, l5, l4, f5, sBad]) t.dispose();
});

test.after(closeDevice);
test.run();
