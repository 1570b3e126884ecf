// Engine benchmark cases at VAR-d16 / H-VAR d16 / VQVAE sizes: each builds its inputs once for hvar and for tfjs-webgpu and returns
// a function that enqueues one run; counts give FLOPs and bytes for GFLOP/s and GB/s. Ops not yet in the registry skip.
import { ops, noGrad, backward, fromArray, type Device, type Tensor } from '../src/engine/index.ts';
import { VARIANTS } from '../src/engine/ops/matmul.ts';
import { HIT_512 } from '../src/models/quant/schedule.ts';
import { levelIds, visiblePairs } from '../src/models/var/index.ts';

/** One side of a case: `run` enqueues one run (no waiting); `read` computes once and reads the result back (NCHW/row-major). */
export interface Side { run(): void; read(): Promise<Float32Array>; dispose(): void }
export interface Case {
  name: string;
  group: string;
  /** What is computed, in words and shapes. */
  what: string;
  flops?: number;
  bytes?: number;
  /** Only run when the filter names the group (slow sweeps). */
  optIn?: boolean;
  /** hvar side, or a reason to skip it. */
  ours(dev: Device): Side | string;
  /** tfjs side (tf = @tensorflow/tfjs-core on the webgpu backend), or a reason there is none. */
  tfjs?(tf: any): Side | string;
}

/** Uniform values in [-1, 1) from a small LCG: fast to make at these sizes, the same for both sides. */
function values(n: number, seed: number): Float32Array {
  const v = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; v[i] = s / 2 ** 31 - 1; }
  return v;
}
const numel = (s: number[]) => s.reduce((a, b) => a * b, 1);
const gpu = (dev: Device, shape: number[], seed: number) => fromArray(dev, values(numel(shape), seed), shape).keep();
const tfT = (tf: any, shape: number[], seed: number) => tf.tensor(values(numel(shape), seed), shape);
/** The same values as hvar's tensor of `shape`, transposed to tfjs's layout (NCHW -> NHWC, OIHW -> HWIO). */
const permuted = (tf: any, shape: number[], seed: number, perm: number[]) => { const t = tfT(tf, shape, seed), p = tf.transpose(t, perm); t.dispose(); return p; };
const has = (name: string) => typeof (ops as any)[name] === 'function';

/** hvar side: inputs, one op call under noGrad, output freed at once (its buffer returns to the pool after submit). */
function oursSide(dev: Device, inputs: Tensor[], f: (...xs: Tensor[]) => Tensor): Side {
  return {
    run: () => noGrad(dev, () => f(...inputs).dispose()),
    read: async () => { const y = noGrad(dev, () => f(...inputs)); const v = await y.toArray(); y.dispose(); return v as Float32Array; },
    dispose: () => inputs.forEach((t) => t.dispose()),
  };
}
/** tfjs side; `toOurs` maps tfjs's result to hvar's layout for the cross-check (NHWC -> NCHW for conv). */
function tfjsSide(tf: any, inputs: any[], f: (...xs: any[]) => any, toOurs?: (y: any) => any): Side {
  return {
    run: () => f(...inputs).dispose(),
    read: async () => { const y = f(...inputs), z = toOurs ? toOurs(y) : y; const v = await z.data(); y.dispose(); z.dispose(); return v; },
    dispose: () => inputs.forEach((t) => t.dispose()),
  };
}

// ---- matmul: the three linear layers of a VAR-d16 block at 2,240 tokens (M×K×N) ----------------------------------
const MATMUL: [number, number, number, string][] = [
  [2240, 1024, 3072, 'qkv projection'], [2240, 1024, 4096, 'MLP fc1'], [2240, 4096, 1024, 'MLP fc2'],
];
const matmulCases: Case[] = MATMUL.flatMap(([M, K, N, role]): Case[] => [
  {
    name: `matmul ${M}×${K}×${N}`, group: 'matmul', what: `${role}: [${M}, ${K}] @ [${K}, ${N}]`,
    flops: 2 * M * N * K, bytes: 4 * (M * K + K * N + M * N),
    ours: (dev) => oursSide(dev, [gpu(dev, [M, K], 1), gpu(dev, [K, N], 2)], (a, b) => ops.matmul(a, b)),
    tfjs: (tf) => tfjsSide(tf, [tfT(tf, [M, K], 1), tfT(tf, [K, N], 2)], (a, b) => tf.matMul(a, b)),
  },
  {
    name: `linear ${M}×${K}×${N}`, group: 'matmul', what: `${role} as nn.Linear: x [${M}, ${K}] · wᵀ [${N}, ${K}] + b (tfjs: fused.matMul, transposeB, bias)`,
    flops: 2 * M * N * K, bytes: 4 * (M * K + K * N + M * N + N),
    ours: (dev) => oursSide(dev, [gpu(dev, [M, K], 1), gpu(dev, [N, K], 2), gpu(dev, [N], 3)], (x, w, b) => ops.linear(x, w, b)),
    tfjs: (tf) => tfjsSide(tf, [tfT(tf, [M, K], 1), tfT(tf, [N, K], 2), tfT(tf, [N], 3)], (a, b, bias) => tf.fused.matMul({ a, b, transposeB: true, bias })),
  },
  {
    name: `linear ${M}×${K}×${N} prepared`, group: 'matmul', what: `${role} as nn.Linear with the weight laid out once by ops.prepareLinear (inference)`,
    flops: 2 * M * N * K, bytes: 4 * (M * K + K * N + M * N + N),
    ours: (dev) => {
      const [x, w, b] = [gpu(dev, [M, K], 1), gpu(dev, [N, K], 2), gpu(dev, [N], 3)], prepared = ops.prepareLinear(w);
      const side = oursSide(dev, [x, w, b], (x, w, b) => ops.linear(x, w, b, { prepared }));
      return { ...side, dispose: () => { side.dispose(); prepared.dispose(); } };
    },
  },
]);
// The gradient layouts of fc1: dx = dy·w (NN, [2240, 4096] @ [4096, 1024]) is above; dw = dyᵀ·x is TN.
matmulCases.push({
  name: 'matmul TN 4096×2240×1024', group: 'matmul', what: 'fc1 weight grad: dyᵀ·x, dy [2240, 4096], x [2240, 1024]',
  flops: 2 * 4096 * 2240 * 1024, bytes: 4 * (2240 * 4096 + 2240 * 1024 + 4096 * 1024),
  ours: (dev) => oursSide(dev, [gpu(dev, [2240, 4096], 1), gpu(dev, [2240, 1024], 2)], (a, b) => ops.matmul(a, b, { transA: true })),
  tfjs: (tf) => tfjsSide(tf, [tfT(tf, [2240, 4096], 1), tfT(tf, [2240, 1024], 2)], (a, b) => tf.matMul(a, b, true, false)),
});

// Every variant of the variant table on one shape (opt-in: `npm run bench -- variants`).
const variantCases: Case[] = VARIANTS.map((v): Case => ({
  name: `matmul 2240×1024×4096 ${v.name}`, group: 'variants', optIn: true, what: `${v.kernel}, workgroup ${v.wg.join('×')}`,
  flops: 2 * 2240 * 1024 * 4096,
  ours: (dev) => oursSide(dev, [gpu(dev, [2240, 1024], 1), gpu(dev, [1024, 4096], 2)], (a, b) => ops.matmul(a, b, { variant: v.name })),
}));

// ---- conv at the VQVAE's shapes (vae_ch160v4096z32 on a 512² image; NCHW for hvar, NHWC — tfjs's native layout — for
// tfjs). Each shape twice: the weight repacked per call, and prepared once (ops.prepareConv; hvar only) ---------------
interface ConvShape { C: number; O: number; S: number; k: number; stride: number; pad: [number, number, number, number]; role: string }
const P1: [number, number, number, number] = [1, 1, 1, 1], P0: [number, number, number, number] = [0, 0, 0, 0];
const CONV: ConvShape[] = [
  { C: 160, O: 160, S: 128, k: 3, stride: 1, pad: P1, role: 'a ResnetBlock conv at 128² (a 256² image\'s level 1)' },
  { C: 640, O: 640, S: 32, k: 3, stride: 1, pad: P1, role: 'level 4 (decoder up.4, mid)' },
  { C: 3, O: 160, S: 512, k: 3, stride: 1, pad: P1, role: 'encoder.conv_in' },
  { C: 160, O: 160, S: 512, k: 3, stride: 1, pad: P1, role: 'level 0 ResnetBlock conv (encoder down.0, decoder up.0)' },
  { C: 160, O: 160, S: 256, k: 3, stride: 1, pad: P1, role: 'level 1 ResnetBlock conv' },
  { C: 320, O: 320, S: 128, k: 3, stride: 1, pad: P1, role: 'level 2 ResnetBlock conv' },
  { C: 160, O: 160, S: 512, k: 3, stride: 2, pad: [0, 1, 0, 1], role: 'encoder down.0 Downsample (pad right/bottom, stride 2)' },
  { C: 320, O: 160, S: 256, k: 1, stride: 1, pad: P0, role: 'decoder up.1 block.0 nin_shortcut' },
  { C: 160, O: 3, S: 512, k: 3, stride: 1, pad: P1, role: 'decoder.conv_out' },
];
const convName = (c: ConvShape) => `conv${c.k}x${c.k}${c.stride > 1 ? ` s${c.stride}` : ''} ${c.C}→${c.O} @${c.S}²`;
const outSide = (c: ConvShape) => Math.floor((c.S + c.pad[0] + c.pad[1] - c.k) / c.stride) + 1;
const convFlops = (c: ConvShape) => 2 * outSide(c) ** 2 * c.O * c.C * c.k * c.k;
const convCases: Case[] = CONV.flatMap((c): Case[] => {
  const opts = { stride: c.stride, padding: c.pad }, n = outSide(c);
  const base = {
    group: 'conv', flops: convFlops(c), bytes: 4 * (c.C * c.S * c.S + c.O * n * n + c.O * c.C * c.k * c.k + c.O),
    what: `${c.role}: conv2d ${c.k}×${c.k}, stride ${c.stride}, padding ${JSON.stringify(c.pad)}, bias; x [1, ${c.C}, ${c.S}, ${c.S}]`,
  };
  const inputs = (dev: Device) => [gpu(dev, [1, c.C, c.S, c.S], 1), gpu(dev, [c.O, c.C, c.k, c.k], 2), gpu(dev, [c.O], 3)];
  return [
    {
      ...base, name: convName(c), what: `${base.what} (tfjs: NHWC, fused.conv2d)`,
      ours: (dev) => oursSide(dev, inputs(dev), (x, w, b) => ops.conv2d(x, w, b, opts)),
      tfjs: (tf) => tfjsSide(tf, [permuted(tf, [1, c.C, c.S, c.S], 1, [0, 2, 3, 1]), permuted(tf, [c.O, c.C, c.k, c.k], 2, [2, 3, 1, 0]), tfT(tf, [c.O], 3)],
        (x, filter, bias) => tf.fused.conv2d({ x, filter, strides: c.stride, bias,
          pad: c.pad.every((p) => p === 0) ? 'valid' : c.pad.every((p) => p === 1) && c.stride === 1 ? 'same' : [[0, 0], [c.pad[0], c.pad[1]], [c.pad[2], c.pad[3]], [0, 0]] }),
        (y) => tf.transpose(y, [0, 3, 1, 2])),
    },
    {
      ...base, name: `${convName(c)} prepared`, what: `${base.what}; the weight laid out once by ops.prepareConv`,
      ours: (dev) => {
        const [x, w, b] = inputs(dev), prepared = ops.prepareConv(w!, b!, opts);
        const side = oursSide(dev, [x!, w!, b!], (x, w, b) => ops.conv2d(x, w, b, { ...opts, prepared }));
        return { ...side, dispose: () => { side.dispose(); prepared.dispose(); } };
      },
    },
  ];
});
// conv2d forward + weight gradient (x needs none) at the VQVAE training's widths: the dw share is this minus the forward
for (const [C, S] of [[32, 256], [64, 256], [64, 128]] as const) {
  const c: ConvShape = { C, O: C, S, k: 3, stride: 1, pad: P1, role: '' };
  convCases.push({
    name: `conv3x3 fwd+dW ${C}→${C} @${S}²`, group: 'conv', flops: 2 * convFlops(c),
    what: `conv2d 3×3 pad 1 forward, then backward to the weight only (autograd): x [1, ${C}, ${S}, ${S}]`,
    ours: (dev) => {
      const x = gpu(dev, [1, C, S, S], 1), w = gpu(dev, [C, C, 3, 3], 2), dy = gpu(dev, [1, C, S, S], 3);
      w.requiresGrad = true;
      const step = () => { const y = ops.conv2d(x, w, null, { padding: 1 }); backward(y, dy); y.dispose(); const g = w.grad!; w.grad = null; return g; };
      return {
        run: () => step().dispose(),
        read: async () => { const g = step(), v = await g.toArray(); g.dispose(); return v as Float32Array; },
        dispose: () => [x, w, dy].forEach((t) => t.dispose()),
      };
    },
  });
}

// ---- row ops: softmax (odd row length) and layer norm at VAR width ------------------------------------------------
const rowCases: Case[] = [
  {
    name: 'softmax [4096, 4097]', group: 'softmax', what: 'softmax over the last dim of [4096, 4097] (odd rows)',
    bytes: 2 * 4 * 4096 * 4097,
    ours: (dev) => !has('softmax') ? 'ops.softmax is not in the registry yet' : oursSide(dev, [gpu(dev, [4096, 4097], 1)], (x) => (ops as any).softmax(x, -1)),
    tfjs: (tf) => tfjsSide(tf, [tfT(tf, [4096, 4097], 1)], (x) => tf.softmax(x, -1)),
  },
  {
    name: 'softmax [8·2240, 2240]', group: 'softmax', what: 'attention-row softmax: half the heads of one 2,240-token block',
    bytes: 2 * 4 * 8 * 2240 * 2240,
    ours: (dev) => !has('softmax') ? 'ops.softmax is not in the registry yet' : oursSide(dev, [gpu(dev, [8 * 2240, 2240], 1)], (x) => (ops as any).softmax(x, -1)),
    tfjs: (tf) => tfjsSide(tf, [tfT(tf, [8 * 2240, 2240], 1)], (x) => tf.softmax(x, -1)),
  },
  {
    name: 'layerNorm [2240, 1024]', group: 'layernorm', what: 'layer norm over 1,024 with weight and bias, eps 1e-6 (tfjs: moments + batchNorm)',
    bytes: 4 * (2 * 2240 * 1024 + 2 * 1024),
    ours: (dev) => !has('layerNorm') ? 'ops.layerNorm is not in the registry yet'
      : oursSide(dev, [gpu(dev, [2240, 1024], 1), gpu(dev, [1024], 2), gpu(dev, [1024], 3)], (x, w, b) => (ops as any).layerNorm(x, w, b, 1e-6)),
    // tfjs has no layer norm: moments over the last dim, then batchNorm (which wants every operand at x's rank).
    tfjs: (tf) => tfjsSide(tf, [tfT(tf, [2240, 1024], 1), tfT(tf, [1, 1024], 2), tfT(tf, [1, 1024], 3)], (x, w, b) => tf.tidy(() => {
      const { mean, variance } = tf.moments(x, -1, true);
      return tf.batchNorm(x, mean, variance, b, w, 1e-6);
    })),
  },
];

// ---- elementwise: a residual add over the d16 sequence and AdaLN's modulation (a per-sample row broadcast over tokens) ----
const elementwiseCases: Case[] = [
  {
    name: 'add [3179, 1024]', group: 'elementwise', what: 'residual add over the d16 sequence (flat, both operands streamed)',
    bytes: 3 * 4 * 3179 * 1024,
    ours: (dev) => oursSide(dev, [gpu(dev, [3179, 1024], 1), gpu(dev, [3179, 1024], 2)], (x, y) => ops.add(x, y)),
    tfjs: (tf) => tfjsSide(tf, [tfT(tf, [3179, 1024], 1), tfT(tf, [3179, 1024], 2)], (x, y) => tf.add(x, y)),
  },
  {
    name: 'mul [2, 3179, 1024] · [2, 1, 1024]', group: 'elementwise', what: 'AdaLN scale: a per-sample row broadcast over the tokens (strided)',
    bytes: 4 * (2 * 2 * 3179 * 1024 + 2 * 1024),
    ours: (dev) => oursSide(dev, [gpu(dev, [2, 3179, 1024], 1), gpu(dev, [2, 1, 1024], 2)], (x, s) => ops.mul(x, s)),
    tfjs: (tf) => tfjsSide(tf, [tfT(tf, [2, 3179, 1024], 1), tfT(tf, [2, 1, 1024], 2)], (x, s) => tf.mul(x, s)),
  },
];

// ---- H-VAR d16 at its own shapes: 1,024 prefix + 2,155 scale tokens = 3,179 (docs/MODEL_SPEC.md §4) -------------------
// Linears over the whole sequence (teacher forcing, a step without the cache) and over the 2,155 scale tokens. The model
// runs mat_qkv as three 1,024 → 1,024 products (q, k, v row blocks with their own biases: the proj shape); the 3,072 case
// is the fused product for comparison. The head (1,024 → 4,096 codes) runs on the scale tokens only.
const D16_LINEARS: [string, number, number][] = [['qkv', 1024, 3072], ['proj', 1024, 1024], ['fc1', 1024, 4096], ['fc2', 4096, 1024], ['head', 1024, 4096]];
const d16Linears: Case[] = [3179, 2155].flatMap((M) => D16_LINEARS.filter(([role]) => role !== 'head' || M === 2155).map(([role, K, N]): Case => ({
  name: `d16 ${role} linear ${M}×${K}×${N}`, group: 'matmul', what: `H-VAR d16 ${role} at ${M} tokens: x [${M}, ${K}] · wᵀ [${N}, ${K}] + b`,
  flops: 2 * M * N * K, bytes: 4 * (M * K + K * N + M * N + N),
  ours: (dev) => oursSide(dev, [gpu(dev, [M, K], 1), gpu(dev, [N, K], 2), gpu(dev, [N], 3)], (x, w, b) => ops.linear(x, w, b)),
  tfjs: (tf) => tfjsSide(tf, [tfT(tf, [M, K], 1), tfT(tf, [N, K], 2), tfT(tf, [N], 3)], (a, b, bias) => tf.fused.matMul({ a, b, transposeB: true, bias })),
})));

// Fused attention at the d16 sequence: 3,179 tokens, head dim 64, the block-causal level mask (prefix and start token at
// level 0), per head count; and the last KV-cache step (the 32×32 scale's 1,024 queries against all 3,179 keys, no mask).
// FLOPs count the visible pairs only (4·64 per pair and head). tfjs has no fused attention: its side composes matMul, the
// additive mask, softmax and matMul where the scores fit its storage binding (128 MiB on lavapipe: one head only).
const D16_LEVELS = levelIds(HIT_512.flatMap((g) => g.scales), 1024);
const D16_PAIRS = visiblePairs(D16_LEVELS);
const attnCase = (H: number): Case => {
  const L = D16_LEVELS.length, D = 64, shape = [1, H, L, D];
  return {
    name: `d16 attention ${H}×${L}×${L} masked`, group: 'attention', what: `fused attention, ${H} head(s) × ${L} queries and keys, head dim ${D}, block-causal (${(100 * D16_PAIRS / L / L).toFixed(0)} % of pairs visible)`,
    flops: 4 * D * H * D16_PAIRS, bytes: 4 * 4 * H * L * D,
    ours: (dev) => {
      const lv = fromArray(dev, D16_LEVELS, [L], 'i32').keep();
      const side = oursSide(dev, [gpu(dev, shape, 1), gpu(dev, shape, 2), gpu(dev, shape, 3)], (q, k, v) => ops.attention(q, k, v, { levels: lv }));
      return { ...side, dispose: () => { side.dispose(); lv.dispose(); } };
    },
    tfjs: (tf) => 4 * H * L * L > tfjsBinding(tf) ? `composed scores [${H}, ${L}, ${L}] (${(4 * H * L * L / 2 ** 20).toFixed(0)} MiB) exceed tfjs's storage binding (${(tfjsBinding(tf) / 2 ** 20).toFixed(0)} MiB)`
      : tfjsSide(tf, [tfT(tf, [H, L, D], 1), tfT(tf, [H, L, D], 2), tfT(tf, [H, L, D], 3), maskBias(tf, D16_LEVELS)], (q, k, v, bias) => tf.tidy(() =>
        tf.matMul(tf.softmax(tf.add(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(D)), bias)), v))),
  };
};
/** maxStorageBufferBindingSize of tfjs's own GPUDevice (WebGPU's default 128 MiB when it cannot be read). */
const tfjsBinding = (tf: any): number => tf.backend()?.device?.limits?.maxStorageBufferBindingSize ?? 2 ** 27;
/** 0 where key level <= query level, −1e9 elsewhere: the additive form of the block-causal mask. */
function maskBias(tf: any, lv: Int32Array): any {
  const L = lv.length, m = new Float32Array(L * L);
  for (let i = 0; i < L; i++) for (let j = 0; j < L; j++) m[i * L + j] = lv[j]! <= lv[i]! ? 0 : -1e9;
  return tf.tensor(m, [L, L]);
}
const cachedStep: Case = (() => {
  const H = 16, D = 64, Lq = 1024, Lk = 3179, L4 = Math.ceil(Lk / 4) * 4;
  return {
    name: `d16 attention cached ${H}×${Lq}×${Lk}`, group: 'attention', what: `the last KV-cache step: ${H} heads, ${Lq} queries against ${Lk} cached keys (keys stored transposed), head dim ${D}`,
    flops: 4 * D * H * Lq * Lk, bytes: 4 * H * D * (2 * Lq + 2 * Lk),
    ours: (dev) => oursSide(dev, [gpu(dev, [1, H, Lq, D], 1), gpu(dev, [1, H, D, L4], 2), gpu(dev, [1, H, Lk, D], 3)], (q, kT, v) => ops.attentionKT(q, kT, v, Lk, { scale: 1 / Math.sqrt(D) })),
    tfjs: (tf) => 4 * H * Lq * Lk > tfjsBinding(tf) ? `composed scores [${H}, ${Lq}, ${Lk}] (${(4 * H * Lq * Lk / 2 ** 20).toFixed(0)} MiB) exceed tfjs's storage binding (${(tfjsBinding(tf) / 2 ** 20).toFixed(0)} MiB)`
      : tfjsSide(tf, [tfT(tf, [H, Lq, D], 1), tfT(tf, [H, D, L4], 2), tfT(tf, [H, Lk, D], 3)], (q, kT, v) => tf.tidy(() =>
        tf.matMul(tf.softmax(tf.mul(tf.matMul(q, tf.slice(kT, [0, 0, 0], [H, D, Lk])), 1 / Math.sqrt(D))), v))),
  };
})();
const d16Rows: Case[] = [{
  name: 'd16 layerNorm [3179, 1024]', group: 'layernorm', what: 'the blocks\' LayerNorm (no affine, eps 1e-6) over the d16 sequence (tfjs: moments + batchNorm)',
  bytes: 4 * 2 * 3179 * 1024,
  ours: (dev) => oursSide(dev, [gpu(dev, [3179, 1024], 1)], (x) => ops.layerNorm(x, null, null, 1e-6)),
  tfjs: (tf) => tfjsSide(tf, [tfT(tf, [3179, 1024], 1)], (x) => tf.tidy(() => {
    const { mean, variance } = tf.moments(x, -1, true);
    return tf.batchNorm(x, mean, variance, undefined, undefined, 1e-6);
  })),
}];

export const CASES: Case[] = [...matmulCases, ...variantCases, ...convCases, ...rowCases, ...elementwiseCases, ...d16Linears, attnCase(1), attnCase(16), cachedStep, ...d16Rows];
