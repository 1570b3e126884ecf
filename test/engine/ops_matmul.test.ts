// matmul and linear on the real adapter: forward vs an f64 CPU product, backward vs finite differences, on odd shapes,
// broadcast batches, every transpose, the vec4 fast path's shapes, strided views, and dispatches split past binding limits.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ops, backward, countWork, empty, Device, type Tensor } from '../../src/engine/index.ts';
import { getDevice, closeDevice, testIf } from '../helpers/gpu.ts';
import { packTex, packTiledB, runMatmulTex, texTileKernel, tiledSteps, TILE_M, type Dim } from '../../src/engine/ops/matmul.ts';
import { checkOp, rand, toGpu, assertClose, bshape, bidx, numel, type Host } from '../helpers/ref.ts';

/** op(a)·op(b) in f64 with numpy batch broadcasting. */
function refMatmul(a: Host, b: Host, tA = false, tB = false): Host {
  const [ab, bb] = [a.shape.slice(0, -2), b.shape.slice(0, -2)];
  const [r, c] = [a.shape.at(-2)!, a.shape.at(-1)!], [r2, c2] = [b.shape.at(-2)!, b.shape.at(-1)!];
  const [M, K, N] = [tA ? c : r, tA ? r : c, tB ? r2 : c2];
  const batch = bshape(ab, bb), out = new Float64Array(numel(batch) * M * N);
  for (let z = 0; z < numel(batch); z++) {
    const ao = bidx({ shape: ab, data: a.data }, batch, z) * r * c, bo = bidx({ shape: bb, data: b.data }, batch, z) * r2 * c2;
    for (let m = 0; m < M; m++) for (let n = 0; n < N; n++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += a.data[ao + (tA ? k * c + m : m * c + k)]! * b.data[bo + (tB ? n * c2 + k : k * c2 + n)]!;
      out[(z * M + m) * N + n] = s;
    }
  }
  return { shape: [...batch, M, N], data: out };
}
/** x·wᵀ + b. */
function refLinear(x: Host, w: Host, b?: Host): Host {
  const x2 = x.shape.length === 1 ? { shape: [1, ...x.shape], data: x.data } : x;
  const y = refMatmul(x2, w, false, true), n = w.shape[0]!;
  if (b) for (let i = 0; i < y.data.length; i++) y.data[i]! += b.data[i % n]!;
  return x.shape.length === 1 ? { shape: [n], data: y.data } : y;
}

/** The subgroup variant: skipped where the adapter has no subgroups of at least 8 (Deno). */
const SG = 'subgroup-8?';
const SG8 = (await getDevice()).profile.subgroups8;
/** The texture variant: skipped where the adapter has no texture product (profile.textureMatmul). It runs matmul/matmul_tex
 * where the adapter has subgroups (Dawn) and matmul/matmul_tex_loads where it has none (Deno). */
const TX = 'texture-32x64?';
const TEX = (await getDevice()).profile.matmul.includes('texture-32x64');
/** The same texture cases again on a device run as one without subgroups (profile { subgroups8: false }), so that both
 * kernels are checked in one runtime; where the adapter has no subgroups the cases above ran matmul_tex_loads already. */
const TEX_LOADS = TEX && SG8;
type Case = [name: string, a: number[], b: number[], opts?: { transA?: boolean; transB?: boolean; variant?: string; narrow?: boolean }];
const CASES: Case[] = [
  // odd shapes: the strided general path
  ['1x1x1', [1, 1], [1, 1]], ['3x65x1', [3, 65], [65, 1]], ['65x3x257', [65, 3], [3, 257]], ['257x65x3', [257, 65], [65, 3]],
  ['1x257x65', [1, 257], [257, 65]], ['13x37x22 unaligned', [13, 37], [37, 22]],
  // batches with broadcasting
  ['batch [2,3] @ 2-D', [2, 3, 5, 7], [7, 6]], ['2-D @ batch [3]', [5, 8], [3, 8, 4]], ['batch [3,1] @ [4]', [3, 1, 5, 8], [4, 8, 6]],
  ['batch [1] @ [2]', [1, 3, 4], [2, 4, 5]],
  // transposes (general path and vec4 path)
  ['transA odd', [65, 3], [65, 5], { transA: true }], ['transB odd', [3, 65], [5, 65], { transB: true }],
  ['transA transB odd', [7, 3], [5, 7], { transA: true, transB: true }],
  ['transB batch broadcast', [2, 5, 12], [8, 12], { transB: true }], ['transA batch', [2, 12, 5], [2, 12, 8], { transA: true }],
  // the vec4 path (B contiguous along n, n % 4 == 0; A any layout), both workgroup shapes; rows not a multiple of 8
  ['vec4 NN 8x32x32', [8, 32], [32, 32], { variant: 'vec4-8x1' }], ['vec4 NN 20x36x44', [20, 36], [36, 44], { variant: 'vec4-8x1' }],
  ['vec4 odd M and K', [13, 37], [37, 12], { variant: 'vec4-8x1' }], ['vec4 TN', [16, 12], [16, 36], { transA: true, variant: 'vec4-8x1' }],
  ['vec4 batch [2,3] @ 2-D', [2, 3, 9, 16], [16, 8], { variant: 'vec4-8x1' }], ['vec4 8x8 wg', [24, 32], [32, 40], { variant: 'vec4-8x8' }],
  ['vec4 batch broadcast 8x8 wg', [3, 1, 4, 8], [2, 8, 4], { variant: 'vec4-8x8' }],
  // B stored along k (nn.Linear's weight): the strided kernel, aligned or not
  ['NT aligned', [12, 16], [36, 16], { transB: true }], ['NT odd M, N', [13, 20], [37, 20], { transB: true }],
  ['TT aligned', [16, 20], [8, 16], { transA: true, transB: true }], ['NT 8x8 wg batch', [2, 9, 8], [2, 5, 8], { transB: true, variant: 'strided-8x8' }],
  // the subgroup path (v3; Dawn on lavapipe, where subgroups exist): every vec4 layout, odd rows, columns and batches
  ['subgroup NN', [13, 16], [16, 36], { variant: SG }], ['subgroup NT odd N', [13, 16], [37, 16], { transB: true, variant: SG }],
  ['subgroup TN (M % 8 == 4)', [16, 12], [16, 36], { transA: true, variant: SG }], ['subgroup TT', [8, 20], [9, 8], { transA: true, transB: true, variant: SG }],
  ['subgroup batch broadcast', [2, 1, 9, 8], [3, 8, 12], { variant: SG }], ['subgroup NT batch', [2, 9, 8], [2, 5, 8], { transB: true, variant: SG }],
  ['strided kernel on aligned shapes', [16, 32], [32, 32], { variant: 'strided-8x8' }],
  // the texture path (packed operands, 32×64 tiles): any strides and sizes, edges, transposes, broadcast batches
  ['texture 1x1x1', [1, 1], [1, 1], { variant: TX }], ['texture 3x65x1', [3, 65], [65, 1], { variant: TX }],
  ['texture 65x3x257', [65, 3], [3, 257], { variant: TX }], ['texture 257x65x3', [257, 65], [65, 3], { variant: TX }],
  ['texture 1x257x65', [1, 257], [257, 65], { variant: TX }], ['texture 33x37x70', [33, 37], [37, 70], { variant: TX }],
  ['texture TN', [37, 33], [37, 70], { transA: true, variant: TX }], ['texture NT', [33, 37], [70, 37], { transB: true, variant: TX }],
  ['texture TT', [37, 33], [70, 37], { transA: true, transB: true, variant: TX }],
  ['texture batch [2,3] @ 2-D', [2, 3, 5, 7], [7, 66], { variant: TX }], ['texture 2-D @ batch [3]', [5, 9], [3, 9, 4], { variant: TX }],
  ['texture batch [3,1] @ [4]', [3, 1, 35, 8], [4, 8, 6], { variant: TX }], ['texture batch [1] @ [2] TN', [1, 3, 4], [2, 3, 5], { transA: true, variant: TX }],
  ['texture NT batch', [2, 9, 8], [2, 65, 8], { transB: true, variant: TX }],
  // at most 32 columns: the 32 × 32 tile (define NARROW; these run on a device with matmulNarrowMin 0), whole and
  // partial, over several row tiles and batch items
  ['texture narrow 70x130x32', [70, 130], [130, 32], { variant: TX, narrow: true }], ['texture narrow NT 33x37x29', [33, 37], [29, 37], { transB: true, variant: TX, narrow: true }],
  ['texture narrow batch [3] 40x9x17', [3, 40, 9], [3, 9, 17], { variant: TX, narrow: true }],
];
for (const [name, sa, sb, o = {}] of CASES) {
  const [ok, why] = o.variant === SG ? [SG8, 'no subgroups of at least 8 on this adapter']
    : o.variant === TX ? [TEX, 'no texture matmul on this adapter (needs subgroups of at least 8 and read-only storage textures)'] : [true, ''];
  testIf(ok, why)(`matmul ${name}: ${JSON.stringify(sa)} @ ${JSON.stringify(sb)} ${JSON.stringify(o)}`, async () => {
    const dev = o.narrow ? await narrowDevice() : await getDevice();
    const variant = o.variant === SG ? 'subgroup-8' : o.variant === TX ? 'texture-32x64' : o.variant;
    const { counter } = await countWork(dev, () => checkOp(dev, 'matmul', [rand(sa, 1), rand(sb, 2)], ([a, b]) => ops.matmul(a!, b!, { transA: o.transA, transB: o.transB, variant }),
      ([a, b]) => refMatmul(a!, b!, o.transA, o.transB)));
    if (o.narrow) assert.ok(narrowRan(dev, counter), 'the 32 × 32 tile ran');
  });
  if (o.variant === TX) testIf(TEX_LOADS, TEX ? 'no subgroups on this adapter: the case above ran matmul_tex_loads' : 'no texture matmul on this adapter')(
    `matmul ${name} on matmul_tex_loads (no subgroups): ${JSON.stringify(sa)} @ ${JSON.stringify(sb)} ${JSON.stringify(o)}`, async () => {
      const dev = await loadsDevice();
      assert.is(texTileKernel(dev), 'matmul/matmul_tex_loads');
      const { counter } = await countWork(dev, () => checkOp(dev, 'matmul', [rand(sa, 1), rand(sb, 2)], ([a, b]) => ops.matmul(a!, b!, { ...o, variant: 'texture-32x64' }),
        ([a, b]) => refMatmul(a!, b!, o.transA, o.transB)));
      assert.ok((counter.kernels.get('matmul/matmul_tex_loads')?.dispatches ?? 0) > 0, 'the loads kernel ran');
      assert.not.ok(counter.kernels.has('matmul/matmul_tex'), 'not the subgroup kernel');
    });
}
/** A second device on the same adapter run as one without subgroups (created once, destroyed after the file). */
let loadsDev: Device | null = null;
async function loadsDevice(): Promise<Device> { return (loadsDev ??= await Device.create({ profile: { subgroups8: false, matmulNarrowMin: 0 } })); }
/** A second device whose texture products of at most 32 columns all take the 32 × 32 tile (matmulNarrowMin 0). */
let narrowDev: Device | null = null;
async function narrowDevice(): Promise<Device> { return (narrowDev ??= await Device.create({ profile: { matmulNarrowMin: 0 } })); }
test.after(() => { loadsDev?.destroy(); narrowDev?.destroy(); });
/** Whether a texture product ran with define NARROW on dev (its pipeline exists) during counter's span. */
const narrowRan = (dev: Device, counter: { kernels: Map<string, unknown> }) => [...(dev as any).pipelines.keys() as Iterable<string>]
  .some((k) => k.startsWith(texTileKernel(dev)) && k.includes('"NARROW":"true"')) && counter.kernels.has(texTileKernel(dev));

test('strided views from permute and slice work without copies', async () => {
  const dev = await getDevice();
  // q [B, L, H, c] -> [B, H, L, c] and kᵀ: the attention layout, then scores · v (vec4 along c).
  const heads = (x: Tensor) => ops.permute(ops.reshape(x, [2, 12, 3, 8]), [0, 2, 1, 3]);
  const headsRef = (h: Host) => permHost(h, [2, 12, 3, 8], [0, 2, 1, 3]);
  await checkOp(dev, 'q·kᵀ', [rand([2, 12, 24], 3), rand([2, 12, 24], 4)], ([q, k]) => ops.matmul(heads(q!), heads(k!), { transB: true }),
    ([q, k]) => refMatmul(headsRef(q!), headsRef(k!), false, true));
  await checkOp(dev, 'p·v', [rand([2, 3, 12, 12], 3), rand([2, 12, 24], 4)], ([p, v]) => ops.matmul(p!, heads(v!), { variant: 'vec4-8x1' }),
    ([p, v]) => refMatmul(p!, headsRef(v!)));
  // a column slice: odd offset and row stride (general path).
  await checkOp(dev, 'slice', [rand([5, 9], 5), rand([4, 3], 6)], ([a, b]) => ops.matmul(ops.slice(a!, 1, 3, 7), b!),
    ([a, b]) => refMatmul({ shape: [5, 4], data: Float64Array.from({ length: 20 }, (_, i) => a!.data[Math.floor(i / 4) * 9 + 3 + (i % 4)]!) }, b!));
});
function permHost(h: Host, shape: number[], dims: number[]): Host {
  const outShape = dims.map((d) => shape[d]!), data = new Float64Array(h.data.length);
  const st = shape.map((_, i) => numel(shape.slice(i + 1)));
  for (let i = 0; i < data.length; i++) {
    let rem = i, src = 0;
    for (let d = outShape.length - 1; d >= 0; d--) { src += (rem % outShape[d]!) * st[dims[d]!]!; rem = Math.floor(rem / outShape[d]!); }
    data[i] = h.data[src]!;
  }
  return { shape: outShape, data };
}

const LINEAR: [string, number[], number[], boolean][] = [
  ['odd with bias', [3, 5, 65], [3, 65], true], ['1-D x', [7], [5, 7], true], ['no bias', [2, 4, 16], [12, 16], false],
  ['vec4 with bias', [2, 9, 32], [36, 32], true], ['one row', [1, 257], [3, 257], true],
];
for (const [name, sx, sw, hasBias] of LINEAR) {
  test(`linear ${name}: x ${JSON.stringify(sx)} w ${JSON.stringify(sw)}`, async () => {
    const dev = await getDevice();
    const inputs = [rand(sx, 7), rand(sw, 8), ...(hasBias ? [rand([sw[0]!], 9)] : [])];
    await checkOp(dev, 'linear', inputs, ([x, w, b]) => ops.linear(x!, w!, b), ([x, w, b]) => refLinear(x!, w!, b));
  });
}

test('empty sizes: M = 0 gives an empty result, K = 0 gives zeros (plus bias)', async () => {
  const dev = await getDevice();
  const y0 = ops.matmul(toGpu(dev, rand([0, 3], 1)), toGpu(dev, rand([3, 4], 2)));
  assert.equal([...y0.shape], [0, 4]);
  const y1 = ops.linear(toGpu(dev, rand([2, 0], 1)), toGpu(dev, rand([3, 0], 2)), toGpu(dev, { shape: [3], data: Float64Array.from([1, 2, 3]) }));
  assertClose(await y1.toArray(), [1, 2, 3, 1, 2, 3], 'K = 0 with bias');
});

test('dispatches split along batch, rows and k past maxStorageBufferBindingSize and the workgroup limit', async () => {
  const dev = await getDevice();
  const d = dev as any, saved = { maxBinding: d.maxBinding, maxWorkgroups: d.maxWorkgroups };
  try {
    d.maxBinding = 4096; // 1024 floats less alignment slack per binding: every operand below is larger
    const x = rand([3, 20, 16], 11), w = rand([24, 16], 12), b = rand([24], 13), g = rand([3, 20, 24], 14);
    const [xt, wt, bt, gt] = [x, w, b, g].map((h) => toGpu(dev, h));
    for (const t of [xt, wt, bt]) t!.requiresGrad = true;
    const y = ops.linear(xt!, wt!, bt!); // M split (60 folded rows)
    assertClose(await y.toArray(), refLinear(x, w, b).data, 'linear forward, split rows');
    backward(y, gt!); // dw and db split k (60 rows), dx splits rows
    const g2 = { shape: [60, 24], data: g.data }, x2 = { shape: [60, 16], data: x.data };
    assertClose(await xt!.grad!.toArray(), refMatmul(g, w).data, 'dx');
    assertClose(await wt!.grad!.toArray(), refMatmul(g2, x2, true).data, 'dw, split k');
    assertClose(await bt!.grad!.toArray(), refMatmul({ shape: [1, 60], data: new Float64Array(60).fill(1) }, g2).data, 'db, split k');
    const p = rand([6, 8, 12], 15), q = rand([6, 12, 8], 16);
    assertClose(await ops.matmul(toGpu(dev, p), toGpu(dev, q)).toArray(), refMatmul(p, q).data, 'batch split');
    d.maxBinding = saved.maxBinding; d.maxWorkgroups = 2; // z and y limits: batch and rows split into dispatches
    const r = rand([5, 40, 8], 17), s = rand([8, 8], 18);
    assertClose(await ops.matmul(toGpu(dev, r), toGpu(dev, s), { transA: false }).toArray(), refMatmul(r, s).data, 'workgroup limit');
    const r2 = rand([5, 3, 7], 19), s2 = rand([5, 7, 2], 20);
    assertClose(await ops.matmul(toGpu(dev, r2), toGpu(dev, s2)).toArray(), refMatmul(r2, s2).data, 'workgroup limit in z');
  } finally { Object.assign(d, saved); }
});

testIf(TEX, 'no texture matmul on this adapter')('texture path for every product (matmulTextureMin 0): forward and backward, bias, splits past maxTextureDimension2D, fallback', async () => {
  const { Device } = await import('../../src/engine/index.ts');
  const dev = await Device.create({ profile: { matmulTextureMin: 0, matmulTextureMinRows: 0, matmulTextureMinRowsContiguousB: 0, matmulNarrowMin: 0 } });
  try {
    assert.is(dev.profile.matmul[0], 'texture-32x64');
    const mm = (o: { transA?: boolean; transB?: boolean }) => ([a, b]: Tensor[]) => ops.matmul(a!, b!, o);
    await checkOp(dev, 'TN batch', [rand([2, 37, 33], 21), rand([2, 37, 70], 22)], mm({ transA: true }), ([a, b]) => refMatmul(a!, b!, true));
    await checkOp(dev, 'NT broadcast', [rand([3, 1, 9, 13], 23), rand([4, 66, 13], 24)], mm({ transB: true }), ([a, b]) => refMatmul(a!, b!, false, true));
    await checkOp(dev, 'TT', [rand([3, 257], 25), rand([65, 3], 26)], mm({ transA: true, transB: true }), ([a, b]) => refMatmul(a!, b!, true, true));
    await checkOp(dev, 'linear', [rand([3, 5, 65], 27), rand([70, 65], 28), rand([70], 29)], ([x, w, b]) => ops.linear(x!, w!, b), ([x, w, b]) => refLinear(x!, w!, b));
    await checkOp(dev, 'linear, 24 outputs (32 × 32 tile)', [rand([3, 5, 65], 37), rand([24, 65], 38), rand([24], 39)], ([x, w, b]) => ops.linear(x!, w!, b), ([x, w, b]) => refLinear(x!, w!, b));
    const before = dev.stats.dispatches;
    (dev as any).maxTexture2D = 64;
    // K = 150 needs more than 64 texture rows of B: k chunks accumulate into C, the first adding the bias; the 300
    // folded rows need row chunks; dW (K = 300 rows) and db split k as well.
    await checkOp(dev, 'linear split k and rows', [rand([3, 100, 150], 30), rand([70, 150], 31), rand([70], 32)],
      ([x, w, b]) => ops.linear(x!, w!, b), ([x, w, b]) => refLinear(x!, w!, b));
    // 4 batch items of 40 rows (padded to 64) do not fit 64 texture rows: batch chunks
    await checkOp(dev, 'batch split', [rand([4, 40, 20], 33), rand([4, 20, 30], 34)], mm({}), ([a, b]) => refMatmul(a!, b!));
    await checkOp(dev, 'linear split k, 20 outputs (32 × 32 tile)', [rand([2, 50, 150], 40), rand([20, 150], 41), rand([20], 42)],
      ([x, w, b]) => ops.linear(x!, w!, b), ([x, w, b]) => refLinear(x!, w!, b));
    // N = 300 needs more than 64 texels of width: the buffer kernels take it
    await checkOp(dev, 'too wide for the texture', [rand([5, 8], 35), rand([8, 300], 36)], mm({}), ([a, b]) => refMatmul(a!, b!));
    assert.ok(dev.stats.dispatches > before);
    assert.ok(dev.poolStats().textureBytes > 0, 'scratch textures are accounted');
  } finally { dev.destroy(); }
});

/** x[..., lo:hi] along the last dim, on the host. */
function sliceLast(h: Host, lo: number, hi: number): Host {
  const c = h.shape.at(-1)!, rows = h.data.length / c, w = hi - lo, data = new Float64Array(rows * w);
  for (let r = 0; r < rows; r++) for (let j = 0; j < w; j++) data[r * w + j] = h.data[r * c + lo + j]!;
  return { shape: [...h.shape.slice(0, -1), w], data };
}
const PACK = { rows: 'matmul/pack_tex_rows', cols: 'matmul/pack_tex_cols', scalar: 'matmul/pack_tex' } as const;
type PackCase = [name: string, a: number[], b: number[], o: { transA?: boolean; transB?: boolean; sliceA?: [number, number]; sliceB?: [number, number] },
  packs: (keyof typeof PACK)[]];
// Each pack kernel on odd shapes: ragged rows and columns (1, 3, 65, 257; K and N not multiples of 4 through column
// slices of 4-aligned rows), nonzero window offsets, broadcast batches; the kernels that must run are checked, so a
// layout that must not take a vec4 path (an offset or stride not a multiple of 4) is seen to take the scalar one.
const PACK_CASES: PackCase[] = [
  ['contiguous rows, N % 4 == 0', [3, 65], [65, 68], {}, ['rows', 'scalar']],
  ['one row of A, 1 column of B', [1, 8], [8, 1], {}, ['rows', 'cols']],
  ['ragged columns through a slice (K = 65, N = 257)', [3, 68], [65, 260], { sliceA: [0, 65], sliceB: [0, 257] }, ['rows']],
  ['aligned nonzero offset (slice from column 4)', [65, 72], [67, 264], { sliceA: [4, 71], sliceB: [4, 261] }, ['rows']],
  ['misaligned offset (slice from column 1): scalar path', [33, 68], [65, 260], { sliceA: [1, 66], sliceB: [1, 258] }, ['scalar']],
  ['transposed B (x·wᵀ, w [257, 68])', [5, 68], [257, 68], { transB: true }, ['rows', 'cols']],
  ['transposed B, ragged K (w [257, 72] sliced to 65)', [5, 72], [257, 72], { transB: true, sliceA: [0, 65], sliceB: [0, 65] }, ['rows', 'cols']],
  ['transposed A (aᵀ, a [65, 36])', [65, 36], [65, 4], { transA: true }, ['cols', 'rows']],
  ['transposed A and B, M and N odd through slices', [3, 260], [65, 8], { transA: true, transB: true, sliceA: [0, 257], sliceB: [0, 3] }, ['cols']],
  ['transposed B with a misaligned column stride: scalar path', [2, 65], [7, 65], { transB: true }, ['scalar']],
  ['batch [3,1] @ [4] (aligned slab strides)', [3, 1, 35, 8], [4, 8, 12], {}, ['rows']],
  ['batch [2] @ [2] transposed B', [2, 9, 8], [2, 65, 8], { transB: true }, ['rows', 'cols']],
  ['batch, slab stride not a multiple of 4: scalar path', [3, 5, 8], [3, 8, 3], {}, ['rows', 'scalar']],
  ['whole aligned rows of A and B, no padding: copied without a kernel (B column-tiled by copies)', [32, 64], [64, 64], {}, []],
  ['batch [2] of whole aligned rows @ transposed B', [2, 32, 64], [2, 68, 64], { transB: true }, ['cols']],
];
for (const [name, sa, sb, o, packs] of PACK_CASES) {
  testIf(TEX, 'no texture matmul on this adapter')(`texture pack kernels: ${name}`, async () => {
    const dev = await getDevice();
    const ha = rand(sa, 41), hb = rand(sb, 42);
    const [ta, tb] = [toGpu(dev, ha), toGpu(dev, hb)];
    const va = o.sliceA ? ops.slice(ta, -1, ...o.sliceA) : ta, vb = o.sliceB ? ops.slice(tb, -1, ...o.sliceB) : tb;
    const { result: y, counter } = await countWork(dev, () => ops.matmul(va, vb, { transA: o.transA, transB: o.transB, variant: 'texture-32x64' }));
    const ra = o.sliceA ? sliceLast(ha, ...o.sliceA) : ha, rb = o.sliceB ? sliceLast(hb, ...o.sliceB) : hb;
    assertClose(await y.toArray(), refMatmul(ra, rb, o.transA, o.transB).data, name);
    const ran = [...counter.kernels.keys()].filter((k) => k.startsWith('matmul/pack_tex')).sort();
    assert.equal(ran, [...new Set(packs.map((k) => PACK[k]))].sort(), `${name}: pack kernels`);
    for (const t of [ta, tb, va, vb, y]) t.dispose();
  });
}

// A [33, 64] is copied into the texture without a kernel although its last row tile is ragged: rows 33 .. 63 keep what
// the product before left there (NaN), and no row of C may read them.
testIf(TEX, 'no texture matmul on this adapter')('A with a ragged last row tile is copied as it is; stale padding rows do not reach C', async () => {
  const dev = await getDevice();
  const nan = toGpu(dev, { shape: [64, 64], data: new Float64Array(64 * 64).fill(NaN) }), hb = rand([68, 64], 51), b = toGpu(dev, hb);
  const y0 = ops.matmul(nan, b, { transB: true, variant: 'texture-32x64' });
  assert.ok(Number.isNaN((await y0.toArray())[0]), 'the first product fills the A texture with NaN');
  const ha = rand([33, 64], 52), a = toGpu(dev, ha);
  const { result: y, counter } = await countWork(dev, () => ops.matmul(a, b, { transB: true, variant: 'texture-32x64' }));
  assertClose(await y.toArray(), refMatmul(ha, hb, false, true).data, 'ragged A after NaN rows');
  const ran = [...counter.kernels.keys()].filter((k) => k.startsWith('matmul/pack_tex')).sort();
  assert.equal(ran, ['matmul/pack_tex_cols'], 'A is copied, only transposed B goes through a pack kernel');
  for (const t of [nan, b, y0, a, y]) t.dispose();
});

// The 32 × 32 tile is a pipeline of its own: products of at most 32 columns take it from matmulNarrowMin multiply-adds
// (512·1024·32 = 2^24 by default), smaller ones the 64-column tile's pipeline.
testIf(TEX, 'no texture matmul on this adapter')('texture products of at most 32 columns take the 32 × 32 tile from matmulNarrowMin multiply-adds', async () => {
  const dev = await Device.create();
  try {
    assert.is(dev.profile.matmulNarrowMin, 2 ** 24);
    const narrow = () => [...(dev as any).pipelines.keys() as Iterable<string>].some((k) => k.includes('"NARROW":"true"'));
    for (const [M, expect] of [[511, false], [512, true]] as const) {
      const ha = rand([M, 1024], 81), hb = rand([1024, 32], 82), [a, b] = [toGpu(dev, ha), toGpu(dev, hb)];
      const y = ops.matmul(a, b, { variant: 'texture-32x64' });
      assertClose(await y.toArray(), refMatmul(ha, hb).data, `${M}×1024×32`, 1e-4, 1e-4);
      assert.is(narrow(), expect, `${M}·1024·32 multiply-adds: NARROW ${expect}`);
      for (const t of [a, b, y]) t.dispose();
    }
  } finally { dev.destroy(); }
});

/**
 * The whole packed texture (padding included) as a [height, 4·width] matrix: I·T on matmul_tex, with the identity
 * packed from a window at offset 1 (the scalar kernel).
 */
async function dumpTex(dev: Awaited<ReturnType<typeof getDevice>>, tex: Parameters<typeof packTex>[2], height: number, width: number): Promise<Float32Array> {
  const eye = new Float32Array(1 + height * height);
  for (let i = 0; i < height; i++) eye[1 + i * height + i] = 1;
  const ti = toGpu(dev, { shape: [eye.length], data: Float64Array.from(eye) }), c = empty(dev, [height, 4 * width]);
  const mp = Math.ceil(height / TILE_M) * TILE_M, texI = dev.scratchTexture('test.eye', height / 4, mp);
  packTex(dev, ti.window('dump', 1, eye.length), texI, height, height, height, 1, mp, height / 4);
  runMatmulTex(dev, { texA: texI, texB: tex, m: height, n: 4 * width, kq: height / 4, mp, c: c.window('dump', 0, c.numel), cRs: 4 * width,
    bias: null, dummy: ti.binding('dump'), accumulate: false, bshape: [1], aBs: [0], bBs: [0], cBs: [0] });
  const out = await c.toArray() as Float32Array;
  ti.dispose(); c.dispose();
  return out;
}
type DirectPack = [name: string, o: { rows: number; cols: number; rs: number; cs: number; lo: number; rowsP?: number; slabs?: [number, number][];
  /** A lowered maxStorageBufferBindingSize (bytes): the staging buffer is filled and copied in chunks of rows. */
  binding?: number },
  kernel: 'rows' | 'cols' | 'scalar' | 'copy'];
// packTex on its own, every texel of the texture checked (padding rows and columns must be exact zeros): odd rows and
// columns (1, 3, 65, 257), windows at aligned and misaligned offsets, two slab dims, and layouts that must fall back
// to the scalar kernel.
const DIRECT: DirectPack[] = [
  ['rows: 65 × 257 in rows of 260, offset 8', { rows: 65, cols: 257, rs: 260, cs: 1, lo: 8 }, 'rows'],
  ['rows: 3 × 1, row stride 4', { rows: 3, cols: 1, rs: 4, cs: 1, lo: 0 }, 'rows'],
  ['rows: one row of 65, rows padded to 32', { rows: 1, cols: 65, rs: 65, cs: 1, lo: 4, rowsP: 32 }, 'rows'],
  ['rows: slabs [2, 3] with strides 4·(260·66), 260·66', { rows: 65, cols: 3, rs: 260, cs: 1, lo: 4, slabs: [[2, 3 * 260 * 66], [3, 260 * 66]] }, 'rows'],
  ['rows refused: offset 1', { rows: 65, cols: 257, rs: 260, cs: 1, lo: 1 }, 'scalar'],
  ['rows refused: row stride 257', { rows: 3, cols: 257, rs: 257, cs: 1, lo: 0 }, 'scalar'],
  ['cols: 257 × 65 transposed (column stride 260)', { rows: 257, cols: 65, rs: 1, cs: 260, lo: 0 }, 'cols'],
  ['cols: 3 × 257, offset 12, rows padded to 32', { rows: 3, cols: 257, rs: 1, cs: 4, lo: 12, rowsP: 32 }, 'cols'],
  ['cols: 65 × 1', { rows: 65, cols: 1, rs: 1, cs: 7, lo: 4 }, 'cols'],
  ['cols: slabs [3] with stride 68·9', { rows: 65, cols: 9, rs: 1, cs: 68, lo: 0, slabs: [[3, 68 * 9]] }, 'cols'],
  ['cols refused: column stride 66', { rows: 65, cols: 9, rs: 1, cs: 66, lo: 0 }, 'scalar'],
  ['cols refused: slab stride 2 mod 4', { rows: 8, cols: 9, rs: 1, cs: 8, lo: 0, slabs: [[2, 74]] }, 'scalar'],
  ['cols refused: offset 3', { rows: 65, cols: 9, rs: 1, cs: 68, lo: 3 }, 'scalar'],
  ['scalar: both strides > 1', { rows: 33, cols: 65, rs: 3, cs: 100, lo: 5 }, 'scalar'],
  ['copy: 8 whole rows of 68 at pitch 128, offset 4', { rows: 8, cols: 68, rs: 128, cs: 1, lo: 4 }, 'copy'],
  ['copy: slabs [3] of 4 × 8 at pitch 64', { rows: 4, cols: 8, rs: 64, cs: 1, lo: 0, slabs: [[3, 64 * 5]] }, 'copy'],
  ['copy refused: pitch 68 (not 256 bytes)', { rows: 8, cols: 68, rs: 68, cs: 1, lo: 0 }, 'rows'],
  ['copy refused: rows padded', { rows: 8, cols: 68, rs: 128, cs: 1, lo: 0, rowsP: 12 }, 'rows'],
  // An 8 KiB binding holds 15, 28 and 15 staging rows of these widths: chunks cut slabs and span slab ends.
  ['rows in staging chunks: slabs [3] of 9 rows padded to 12', { rows: 9, cols: 65, rs: 68, cs: 1, lo: 4, rowsP: 12, slabs: [[3, 68 * 10]], binding: 8192 }, 'rows'],
  ['cols in staging chunks (4-row aligned): slabs [2] of 65 × 9', { rows: 65, cols: 9, rs: 1, cs: 68, lo: 0, slabs: [[2, 68 * 9]], binding: 8192 }, 'cols'],
  ['scalar in staging chunks: slabs [3] of 9 × 65', { rows: 9, cols: 65, rs: 3, cs: 12, lo: 5, slabs: [[3, 4]], binding: 8192 }, 'scalar'],
];
for (const [name, o, kernel] of DIRECT) {
  testIf(TEX, 'no texture matmul on this adapter')(`packTex ${name}`, async () => {
    const dev = await getDevice();
    const slabs = o.slabs ?? [], ds: Dim[] = slabs.map(([size, b]) => ({ size, a: 0, b, c: 0 }));
    const nSlab = numel(slabs.map(([n]) => n)), rowsP = o.rowsP ?? Math.ceil(o.rows / 4) * 4, width = Math.ceil(o.cols / 4), height = nSlab * rowsP;
    const span = slabs.reduce((m, [n, st]) => m + (n - 1) * st, 0) + (o.rows - 1) * o.rs + (o.cols - 1) * o.cs + 1;
    const src = rand([o.lo + span + 3], 51), t = toGpu(dev, src);
    const tex = dev.scratchTexture('test.pack', width, height);
    const copies = dev.stats.textureCopies, saved = dev.maxBinding, win = t.window('pack', o.lo, o.lo + span);
    if (o.binding) (dev as unknown as { maxBinding: number }).maxBinding = o.binding;
    let counter;
    try { ({ counter } = await countWork(dev, () => packTex(dev, win, tex, o.rows, o.cols, o.rs, o.cs, rowsP, width, ds, (d) => d.b))); }
    finally { (dev as unknown as { maxBinding: number }).maxBinding = saved; }
    assert.equal([...counter.kernels.keys()], kernel === 'copy' ? [] : [PACK[kernel]], `${name}: kernel`);
    const nCopies = dev.stats.textureCopies - copies;
    if (o.binding) assert.ok(nCopies > 2, `${name}: staged in chunks (${nCopies} copies)`);
    else assert.is(nCopies, kernel === 'copy' ? nSlab : 1, `${name}: copies into the texture`);
    const got = await dumpTex(dev, tex, height, width), want = new Float64Array(got.length);
    for (let s = 0; s < nSlab; s++) {
      let off = o.lo;
      for (let d = slabs.length - 1, rem = s; d >= 0; d--) { off += (rem % slabs[d]![0]) * slabs[d]![1]; rem = Math.floor(rem / slabs[d]![0]); }
      for (let r = 0; r < o.rows; r++) for (let c = 0; c < o.cols; c++) want[(s * rowsP + r) * 4 * width + c] = Math.fround(src.data[off + r * o.rs + c * o.cs]!);
    }
    assertClose(got, want, name, 0, 0);
    t.dispose();
  });
}

type TiledPack = [name: string, o: { k: number; n: number; rs: number; cs: number; lo: number; q: number; slabs?: [number, number][]; binding?: number },
  kernels: (keyof typeof PACK)[]];
// packTiledB on its own, every texel checked against the column-tiled layout of matmul_tex's header: tile X of item i
// is rows (X·items + i)·R .. +R − 1, layout row v (k) at texel row ⌊v / 4q⌋, texels 16·(v mod 4q) .. +15 holding
// columns 64X .. 64X + 63; zeros past k and past n. The texture is filled with a sentinel first (finite: dumpTex reads it
// through a product), so padding left unwritten fails.
// Whole tiles of a B contiguous along n whose folded rows are whole 256-byte source rows (4q·rs a multiple of 64) are
// copied without a kernel (no kernel listed), a ragged last tile still through the staging buffer.
const TILED: TiledPack[] = [
  ['rows: B [65, 130] in rows of 132, offset 4, 1 step per row', { k: 65, n: 130, rs: 132, cs: 1, lo: 4, q: 1 }, ['rows']],
  ['copies: B [3, 64] (one whole tile), 2 steps per row', { k: 3, n: 64, rs: 64, cs: 1, lo: 0, q: 2 }, []],
  ['copies and a ragged tile: B [65, 197] in rows of 256, offset 4, 1 step per row', { k: 65, n: 197, rs: 256, cs: 1, lo: 4, q: 1 }, ['rows']],
  ['copies: B [257, 128] in rows of 128, 4 steps per row (k a multiple of 4 only at 260)', { k: 257, n: 128, rs: 128, cs: 1, lo: 0, q: 4 }, []],
  ['copies: slabs [3] of B [6, 64] in rows of 64, 1 step per row', { k: 6, n: 64, rs: 64, cs: 1, lo: 8, q: 1, slabs: [[3, 64 * 6 + 4]] }, []],
  ['rows: B [9, 1] (only a ragged tile), 4 steps per row', { k: 9, n: 1, rs: 4, cs: 1, lo: 8, q: 4 }, ['rows']],
  ['cols: wᵀ for w [257, 65] (column stride 68), 2 steps per row', { k: 65, n: 257, rs: 1, cs: 68, lo: 0, q: 2 }, ['cols']],
  ['scalar: column stride 66', { k: 33, n: 66, rs: 1, cs: 66, lo: 0, q: 1 }, ['scalar']],
  ['rows: slabs [2, 3] of B [17, 65] in rows of 68', { k: 17, n: 65, rs: 68, cs: 1, lo: 0, q: 1, slabs: [[2, 3 * 68 * 17], [3, 68 * 17]] }, ['rows']],
  // 2 KiB texture rows in an 8 KiB binding: 3 rows per staging chunk, so chunks cut the slabs (2 rows each).
  ['rows in staging chunks: slabs [2] of B [12, 70]', { k: 12, n: 70, rs: 76, cs: 1, lo: 0, q: 2, slabs: [[2, 76 * 12]], binding: 8192 }, ['rows']],
];
for (const [name, o, kernels] of TILED) {
  testIf(TEX, 'no texture matmul on this adapter')(`packTiledB ${name}`, async () => {
    const dev = await getDevice();
    const slabs = o.slabs ?? [], ds: Dim[] = slabs.map(([size, b]) => ({ size, a: 0, b, c: 0 }));
    const items = numel(slabs.map(([n]) => n)), tiles = Math.ceil(o.n / 64), R = Math.ceil(Math.ceil(o.k / 4) / o.q), W = 64 * o.q, H = tiles * items * R;
    const span = slabs.reduce((m, [n, st]) => m + (n - 1) * st, 0) + (o.k - 1) * o.rs + (o.n - 1) * o.cs + 1;
    const src = rand([o.lo + span + 3], 52), t = toGpu(dev, src), Hd = Math.ceil(H / 4) * 4;
    const tex = dev.scratchTexture('test.tiled', W, Hd);
    const stale = toGpu(dev, { shape: [Hd * 4 * W], data: new Float64Array(Hd * 4 * W).fill(12345.5) });
    dev.copyToTexture(stale.window('test', 0, stale.numel).binding.buffer, 0, 16 * W, tex, 0, W, Hd);
    const copies = dev.stats.textureCopies, saved = dev.maxBinding, win = t.window('pack', o.lo, o.lo + span);
    if (o.binding) (dev as unknown as { maxBinding: number }).maxBinding = o.binding;
    let counter, layout;
    try { ({ result: layout, counter } = await countWork(dev, () => packTiledB(dev, win, tex, o.k, o.n, o.rs, o.cs, o.q, ds, (d) => d.b))); }
    finally { (dev as unknown as { maxBinding: number }).maxBinding = saved; }
    assert.equal(layout, { q: o.q, ts: items * R }, `${name}: layout`);
    assert.equal([...counter.kernels.keys()].filter((k) => k.startsWith('matmul/pack_tex')), kernels.map((k) => PACK[k]), `${name}: kernels`);
    if (o.binding) assert.ok(dev.stats.textureCopies - copies > 2, `${name}: staged in chunks`);
    const got = (await dumpTex(dev, tex, Hd, W)).subarray(0, H * 4 * W), want = new Float64Array(H * 4 * W);
    for (let i = 0; i < items; i++) {
      let off = o.lo;
      for (let d = slabs.length - 1, rem = i; d >= 0; d--) { off += (rem % slabs[d]![0]) * slabs[d]![1]; rem = Math.floor(rem / slabs[d]![0]); }
      for (let X = 0; X < tiles; X++) for (let v = 0; v < o.k; v++) for (let c = 0; c < 64 && 64 * X + c < o.n; c++) {
        const row = (X * items + i) * R + Math.floor(v / (4 * o.q));
        want[row * 4 * W + (v % (4 * o.q)) * 64 + c] = Math.fround(src.data[off + v * o.rs + (64 * X + c) * o.cs]!);
      }
    }
    assertClose(got, want, name, 0, 0);
    t.dispose(); stale.dispose();
  });
}

testIf(TEX, 'no texture matmul on this adapter')('column-tiled B: several steps per texture row under a lowered limit, and row-major B where 4 batch dims of B leave the pack no dim for the tiles', async () => {
  const { Device } = await import('../../src/engine/index.ts');
  const dev = await Device.create({ profile: { matmulTextureMin: 0, matmulTextureMinRows: 0, matmulTextureMinRowsContiguousB: 0 } });
  try {
    assert.is(tiledSteps(256, 3, 1, 100), 2, '3 tiles of 100 steps: 300 rows at 1 step per row, 150 at 2');
    assert.is(tiledSteps(256, 3, 2, 100), 4);
    assert.is(tiledSteps(64, 1, 1, 65), 0, 'nothing fits: 65 rows of 64 texels');
    (dev as any).maxTexture2D = 256;
    const mm = (o: { transA?: boolean; transB?: boolean }) => ([a, b]: Tensor[]) => ops.matmul(a!, b!, o);
    await checkOp(dev, '2 steps per row', [rand([5, 400], 61), rand([400, 130], 62)], mm({}), ([a, b]) => refMatmul(a!, b!));
    await checkOp(dev, 'batch [2], 4 steps per row, transposed B', [rand([2, 7, 400], 63), rand([2, 130, 400], 64)], mm({ transB: true }), ([a, b]) => refMatmul(a!, b!, false, true));
    (dev as any).maxTexture2D = 16384;
    // B [3, 2, 3, 2, 8, 9] viewed from [2, 3, 2, 3, 8, 9] by a permute: 4 batch dims that do not merge.
    const hb = rand([2, 3, 2, 3, 8, 9], 65), ha = rand([3, 2, 3, 2, 5, 8], 66);
    const b = ops.permute(toGpu(dev, hb), [3, 2, 1, 0, 4, 5]), a = toGpu(dev, ha);
    const hbp: Host = { shape: [3, 2, 3, 2, 8, 9], data: new Float64Array(hb.data.length) };
    for (let i0 = 0; i0 < 3; i0++) for (let i1 = 0; i1 < 2; i1++) for (let i2 = 0; i2 < 3; i2++) for (let i3 = 0; i3 < 2; i3++) for (let e = 0; e < 72; e++)
      hbp.data[(((i0 * 2 + i1) * 3 + i2) * 2 + i3) * 72 + e] = hb.data[(((i3 * 3 + i2) * 2 + i1) * 3 + i0) * 72 + e]!;
    const y = ops.matmul(a, b, { variant: 'texture-32x64' });
    assertClose(await y.toArray(), refMatmul(ha, hbp).data, '4 batch dims of B: row-major B');
  } finally { dev.destroy(); }
});

// A whose rows are contiguous (aᵀ of a row-major a, as dyᵀ in linear's weight gradient) with a row pitch of whole 256-byte
// rows is copied k-major (matmul_tex define A_KMAJOR) instead of transposed by a pack kernel: the same sums as the
// row-major A path (bit for bit against the same values laid out [M, K]) and the f64 reference, on odd k (the zeroed
// padding rows), ragged row tiles (M sliced to 36 or 4), batches with A broadcast or not, and k in chunks (lowered
// texture limit: partial sums accumulated into C).
type KmajorCase = [name: string, a: number[], b: number[], o: { sliceA?: [number, number]; texture?: number }];
const KMAJOR: KmajorCase[] = [
  ['aᵀ for a [65, 64] · b [65, 68]', [65, 64], [65, 68], {}],
  ['aᵀ for a [3, 128] sliced to 36 columns · b [3, 260]', [3, 128], [3, 260], { sliceA: [0, 36] }],
  ['aᵀ for a [257, 64] sliced to columns 8 .. 12 · b [257, 64]', [257, 64], [257, 64], { sliceA: [8, 12] }],
  ['batch [2]: aᵀ for a [2, 33, 64] · b [2, 33, 96]', [2, 33, 64], [2, 33, 96], {}],
  ['batch [3], b broadcast: aᵀ for a [3, 9, 128] · b [9, 40]', [3, 9, 128], [9, 40], {}],
  ['k in chunks of a 64-texel texture limit: aᵀ for a [301, 64] · b [301, 68]', [301, 64], [301, 68], { texture: 64 }],
];
for (const [name, sa, sb, o] of KMAJOR) {
  testIf(TEX, 'no texture matmul on this adapter')(`k-major A: ${name}`, async () => {
    const dev = await Device.create({ profile: { matmulTextureMin: 0, matmulTextureMinRows: 0, matmulTextureMinRowsContiguousB: 0 } });
    try {
      if (o.texture) (dev as unknown as { maxTexture2D: number }).maxTexture2D = o.texture;
      const ha = rand(sa, 71), hb = rand(sb, 72), ta = toGpu(dev, ha), tb = toGpu(dev, hb);
      const va = o.sliceA ? ops.slice(ta, -1, ...o.sliceA) : ta, ra = o.sliceA ? sliceLast(ha, ...o.sliceA) : ha;
      const { result: y, counter } = await countWork(dev, () => ops.matmul(va, tb, { transA: true, variant: 'texture-32x64' }));
      // B's layouts here take pack_tex_rows or copies, so a transposing or scalar pack could only be A's.
      assert.not.ok(counter.kernels.has('matmul/pack_tex_cols') || counter.kernels.has('matmul/pack_tex'), `${name}: A copied, not packed`);
      const got = await y.toArray();
      assertClose(got, refMatmul(ra, hb, true, false).data, name);
      // The same values as a row-major [..., M, K] A: the transposing pack and the row-major step. Under the lowered
      // texture limit the two layouts cut k into different chunks (rounding differs), so only the chunking is checked.
      const rm = ops.contiguous(ops.transpose(va, -1, -2));
      const y2 = ops.matmul(rm, tb, { variant: 'texture-32x64' });
      if (o.texture) assert.ok(counter.kernels.get(texTileKernel(dev))!.dispatches > 1, `${name}: k in chunks`);
      else assertClose(got, await y2.toArray(), `${name}: bit for bit against row-major A`, 0, 0);
      for (const t of [ta, tb, va, rm, y, y2]) t.dispose();
    } finally { dev.destroy(); }
  });
}

// The k-major A texture's padding rows (k .. 4·⌈k / 4⌉ − 1) are read by the kernel's last step: a product over NaN
// leaves NaN there, and the next product's odd k must not reach it.
testIf(TEX, 'no texture matmul on this adapter')('k-major A: stale NaN padding rows from an earlier product do not reach C', async () => {
  const dev = await getDevice();
  const nan = toGpu(dev, { shape: [68, 64], data: new Float64Array(68 * 64).fill(NaN) }), b0 = toGpu(dev, rand([68, 64], 73));
  const y0 = ops.matmul(nan, b0, { transA: true, variant: 'texture-32x64' });
  assert.ok(Number.isNaN((await y0.toArray())[0]), 'the first product fills the k-major A texture with NaN');
  const ha = rand([65, 64], 74), hb = rand([65, 64], 75), a = toGpu(dev, ha), b = toGpu(dev, hb);
  const y = ops.matmul(a, b, { transA: true, variant: 'texture-32x64' });
  assertClose(await y.toArray(), refMatmul(ha, hb, true, false).data, 'odd k after NaN rows');
  for (const t of [nan, b0, y0, a, b, y]) t.dispose();
});

test('errors name the op and both shapes', async () => {
  const dev = await getDevice();
  const a = toGpu(dev, rand([3, 4], 1)), b = toGpu(dev, rand([5, 6], 2)), v = toGpu(dev, rand([4], 3));
  assert.throws(() => ops.matmul(a, b), /matmul: inner dimensions differ: a \[3, 4\] has K=4, b \[5, 6\] has K=5/);
  assert.throws(() => ops.matmul(a, v), /matmul: b Tensor\(\[4\], f32\) needs at least 2 dims/);
  assert.throws(() => ops.matmul(toGpu(dev, rand([2, 3, 4], 4)), toGpu(dev, rand([3, 4, 5], 5))), /matmul: .*\[2, 3, 4\].*\[3, 4, 5\]/);
  assert.throws(() => ops.linear(a, b), /linear: x \[3, 4\] and w \[5, 6\] do not match/);
  assert.throws(() => ops.matmul(a, toGpu(dev, rand([4, 6], 6)), { variant: 'vec4-8x1' }), /matmul: variant 'vec4-8x1' needs layout 'bn'/);
});

test.after(closeDevice);
test.run();
