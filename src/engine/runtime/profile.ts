// The adapter profile: every per-adapter kernel choice (matmul variants, attention kernels and tiles) in one place.
//
// A Device detects its profile once from the adapter (Device.create({ profile }) overrides any field); ops read
// `dev.profile` and never test adapter names themselves. Measurements behind the defaults: docs/LAVAPIPE_FINDINGS.md
// and bench/results/.

/** Tiles of the fused attention kernels (kernels/attention/*). */
export interface AttentionTuning {
  /** Use the subgroup kernels (*_sg): 8 lanes share rows by subgroupBroadcast. Needs `subgroups8`. */
  subgroups: boolean;
  /** Subgroup kernels: 8·rowsPerLane query rows per workgroup forward, 8·rowsPerLaneBackward rows backward, for head
   * dims up to 64; above 64 both use `rowsPerLaneWide` (the unrolled kernels' compile time grows with the rows). */
  rowsPerLane: number;
  rowsPerLaneBackward: number;
  rowsPerLaneWide: number;
  /** Portable kernels: invocations per workgroup (each owns 4 keys of a block and every lanes-th vec4 column). */
  lanes: number;
  /** Portable kernels: query rows per workgroup forward; query rows (dQ) or key rows (dK/dV) backward. */
  rows: number;
  rowsBackward: number;
  /** Texture-fed kernels (*_tex: operands packed into read-only rgba32float storage textures, 32-row × 64-column
   * tiles) for the forward, dQ and dK/dV, where the adapter has `subgroups8` and `storageTextures` and `subgroups` is
   * on, from textureMin multiply-adds of q·kᵀ (B·H·Lq·Lk·D; Infinity turns them off) and while the packed operands fit
   * maxTextureDimension2D; elsewhere the buffer kernels above run (ops/attention.ts attentionPlan). */
  textureForward: boolean;
  textureDq: boolean;
  textureDkdv: boolean;
  textureMin: number;
}

/** Matmul kernel variants (ops/matmul.ts VARIANTS) by name. */
export type MatmulVariant = 'texture-32x64' | 'subgroup-8' | 'vec4-8x1' | 'strided-8x1' | 'vec4-8x8' | 'strided-8x8';

export interface AdapterProfile {
  /** 'cpu': a software adapter (llvmpipe/lavapipe, SwiftShader), or one that reports no name (Deno's wgpu); else 'gpu'. */
  kind: 'cpu' | 'gpu';
  /** Subgroup operations with at least 8 invocations per subgroup (what the *_sg kernels and subgroup-8 assume). */
  subgroups8: boolean;
  /** Read-only storage textures (WGSL language feature readonly_and_readwrite_storage_textures; rgba32float is core). */
  storageTextures: boolean;
  /** The texture product can run (operands packed into read-only rgba32float storage textures, 32 × 64 tiles; the
   * 'texture-32x64' matmul variant, linear with a prepared weight, conv2d's texture paths): `storageTextures` and
   * either `subgroups8` (matmul/matmul_tex: A's rows shared by subgroupBroadcast) or a CPU adapter without them
   * (matmul/matmul_tex_loads: every lane loads all A rows; Deno's wgpu on lavapipe). Derived; false turns it off. */
  textureMatmul: boolean;
  /** Matmul variants in order of preference; the first whose operand layout fits runs (the last must take any layout). */
  matmul: readonly MatmulVariant[];
  /** M·N·K (times batch) from which 'texture-32x64' may run by default; below it packing costs more than it saves. */
  matmulTextureMin: number;
  /** Rows (M per batch item) from which 'texture-32x64' may run by default: with fewer, packing B (K·N values) costs
   * more than the product saves over the subgroup kernel, whatever the MAC count. matmulTextureMinRowsContiguousB
   * applies where B is contiguous along n (its pack reads whole vec4 rows), matmulTextureMinRows elsewhere (a
   * transposed B, e.g. linear's wᵀ, is gathered down columns). */
  matmulTextureMinRows: number;
  matmulTextureMinRowsContiguousB: number;
  /** Multiply-adds (M·N·K per dispatch, batch included) from which a texture product of at most 32 columns runs the
   * 32 × 32 tile (matmul_tex's define NARROW) instead of half a 64-column tile of padding: each variant of the narrow
   * tile is a pipeline of its own, slow to create on lavapipe, and the gain on smaller products does not pay for that
   * in a short run such as one upscale (docs/LAVAPIPE_FINDINGS.md, "Why the adapter profile picks what it picks"). */
  matmulNarrowMin: number;
  /** Rows of x (all leading dims) from which linear with a prepared weight (ops.prepareLinear) runs on the texture
   * matmul; fewer rows run the product the profile picks without it (matmul_tex's 32-row tile would be mostly padding). */
  linearPreparedMinRows: number;
  /** Forward conv2d as an implicit GEMM on the texture matmul (ops/conv.ts convTex), where `textureMatmul`, from
   * convTextureMin multiply-adds (B·O·OH·OW·C·KH·KW; Infinity turns it off, the default without subgroups) and, in
   * output channels, convShiftMinOut for kernels of several taps (the shifted rows for 3×3, stride 1, pad 1, W % 4 = 0;
   * im2col for strides and other widths, whose k = taps·C amortises the copy) or convTextureMinOut for 1×1 kernels
   * (k = C: the copy costs about what the direct kernel does): the copy's cost does not depend on the output channels,
   * the product grows with them, so few output channels keep the direct kernels. */
  convTextureMin: number;
  /** convTextureMin and convWeightGradTextureMin for convolutions whose output planes are smaller than matmul_tex's
   * 64-column tile in a batch of several images (B > 1, OH·OW < 64): those run folded (ops/conv_tex.ts: the forward's
   * images side by side in the column tiles, the weight gradient's along k in one product), where the direct kernels
   * spend most of their time on per-plane overhead. Not used where the other threshold is Infinity. */
  convTextureMinSmallPlanes: number;
  convTextureMinOut: number;
  convShiftMinOut: number;
  /** conv2d's weight gradient as one product over pixels on the texture matmul (ops/conv_tex.ts convWeightGradTex)
   * from convWeightGradTextureMin multiply-adds (B·O·OH·OW·C·KH·KW; Infinity turns it off) and convWeightGradMinOut
   * output channels (the product's columns: below half of matmul_tex's 64-column tile the padding dominates), else
   * the direct kernel conv/conv2d_dw. */
  convWeightGradTextureMin: number;
  convWeightGradMinOut: number;
  /** The direct weight gradient reads x through a 64 KiB uniform window (conv/conv2d_dw_sgu) where x's window holds at
   * most 16,384 values: lavapipe loads a uniform buffer as one gather and a storage buffer lane by lane. Needs
   * `subgroups8` (else conv/conv2d_dw_sg's storage reads, or conv/conv2d_dw without subgroups). */
  convWeightGradUniformX: boolean;
  /** The quantizer's nearest-code search (ops/vq.ts) from storage textures (quant/nearest_code_tex: codebook and z in
   * read-only rgba32float textures, 32-row × 64-code tiles shared by subgroupBroadcast), where the adapter has
   * `subgroups8` and `storageTextures`, while the codebook texture fits maxTextureDimension2D; false keeps the buffer
   * kernel quant/nearest_code. Both give the same indices, bit for bit. Calls of fewer
   * than nearestCodeTextureMinRows rows (B·gh·gw) run the buffer kernel all the same: its tiles are 8 rows against
   * the texture kernel's 32 (one workgroup, one core, up to 32 rows), so a scale of a few tokens costs it less. */
  nearestCodeTexture: boolean;
  nearestCodeTextureMinRows: number;
  /** Reductions along rows (layerNorm forward and backward: norm/layernorm_rows, norm/layernorm_bwd_rows; groupNorm's
   * per-plane sums: norm/groupnorm_moments_rows, norm/groupnorm_rows_per_plane; conv2d's bias gradient:
   * conv/conv2d_db_per_channel) with one invocation per row, no workgroup memory and no barriers, for calls of at
   * least perRowReductionMinRows rows (planes, channels); otherwise (and where 0) one 64-invocation workgroup per row
   * with a workgroup tree. The same sums in another order. */
  perRowReductionMinRows: number;
  attention: AttentionTuning;
}

export type ProfileOverrides = Partial<Omit<AdapterProfile, 'attention'>> & { attention?: Partial<AttentionTuning> };

const CPU_ADAPTER = /llvmpipe|lavapipe|swiftshader|\bcpu\b/i;

/** Facts of an adapter that the profile depends on. */
export interface AdapterFacts { vendor?: string; architecture?: string; description?: string; subgroupMinSize?: number; features: Iterable<string>;
  /** navigator.gpu.wgslLanguageFeatures. */
  wgslFeatures?: Iterable<string> }

export function detectProfile(a: AdapterFacts, overrides: ProfileOverrides = {}): AdapterProfile {
  const name = [a.vendor, a.architecture, a.description].filter(Boolean).join(' ');
  const kind = name === '' || CPU_ADAPTER.test(name) ? 'cpu' : 'gpu';
  const hasSubgroups8 = [...a.features].includes('subgroups') && (a.subgroupMinSize ?? 0) >= 8;
  const hasStorageTextures = [...(a.wgslFeatures ?? [])].includes('readonly_and_readwrite_storage_textures');
  // subgroups8 / storageTextures: false runs the adapter as one without them (every choice below follows); true
  // cannot give an adapter what it lacks.
  for (const [k, has] of [['subgroups8', hasSubgroups8], ['storageTextures', hasStorageTextures]] as const)
    if (overrides[k] === true && !has) throw new Error(`adapter profile: ${k}: true, but this adapter lacks ${k === 'subgroups8' ? 'subgroups of at least 8 invocations' : 'read-only storage textures'}`);
  const subgroups8 = hasSubgroups8 && overrides.subgroups8 !== false;
  const storageTextures = hasStorageTextures && overrides.storageTextures !== false;
  const cpu = kind === 'cpu';
  const texturePossible = storageTextures && (subgroups8 || cpu);
  if (overrides.textureMatmul === true && !texturePossible)
    throw new Error('adapter profile: textureMatmul needs read-only storage textures and subgroups of at least 8 invocations or a CPU adapter, which this adapter lacks');
  const textureMatmul = texturePossible && overrides.textureMatmul !== false;
  // The texture kernels are subgroup kernels: an override that turns the attention subgroup kernels off turns them off.
  const tex = cpu && subgroups8 && storageTextures && (overrides.attention?.subgroups ?? true);
  // CPU adapters (lavapipe): one 8-lane SIMD group per workgroup; loads per FMA decide, so the subgroup kernels that
  // load an operand once and broadcast it win, and texture loads cost about half of storage-buffer loads. GPU rows are
  // unmeasured guesses (a warp wants more invocations).
  const matmul: MatmulVariant[] = cpu ? ['texture-32x64', 'subgroup-8', 'vec4-8x1', 'strided-8x1'] : ['vec4-8x8', 'strided-8x8'];
  const base: AdapterProfile = {
    kind, subgroups8, storageTextures, textureMatmul,
    matmul: matmul.filter((v) => (v !== 'subgroup-8' || subgroups8) && (v !== 'texture-32x64' || textureMatmul)),
    matmulTextureMin: 2 ** 26,
    matmulTextureMinRows: 64,
    matmulTextureMinRowsContiguousB: 32,
    matmulNarrowMin: 2 ** 24,
    linearPreparedMinRows: 16,
    // Without subgroups the forward conv keeps the direct kernels: on matmul_tex_loads it was slower than
    // conv/conv2d_3x3 under Deno, while its weight gradient beat conv2d_dw (docs/LAVAPIPE_FINDINGS.md, "A texture
    // product without subgroups, and row pairs on 16 registers").
    convTextureMin: subgroups8 ? 2 ** 25 : Infinity,
    convTextureMinSmallPlanes: 2 ** 20,
    convTextureMinOut: 128,
    convShiftMinOut: 32,
    convWeightGradTextureMin: 2 ** 25,
    convWeightGradMinOut: 32,
    convWeightGradUniformX: cpu && subgroups8,
    nearestCodeTexture: cpu && subgroups8 && storageTextures,
    nearestCodeTextureMinRows: 16,
    // A CPU adapter runs a workgroup's barriers as coroutine switches: per row they cost more than the row's
    // arithmetic (docs/LAVAPIPE_FINDINGS.md, "Row reductions without barriers"). From 16 rows both cores have work.
    perRowReductionMinRows: cpu ? 16 : 0,
    attention: {
      subgroups: subgroups8 && cpu, rowsPerLane: 2, rowsPerLaneBackward: 2, rowsPerLaneWide: 1,
      lanes: cpu ? 8 : 16, rows: cpu ? 16 : 8, rowsBackward: 8,
      textureForward: tex, textureDq: tex, textureDkdv: tex, textureMin: 2 ** 20,
    },
  };
  const p: AdapterProfile = { ...base, ...overrides, attention: { ...base.attention, ...overrides.attention } };
  if (p.attention.subgroups && !p.subgroups8) throw new Error('adapter profile: attention.subgroups needs subgroups of at least 8 invocations, which this adapter lacks');
  for (const k of ['textureForward', 'textureDq', 'textureDkdv'] as const)
    if (p.attention[k] && !(p.subgroups8 && p.storageTextures && p.attention.subgroups))
      throw new Error(`adapter profile: attention.${k} needs subgroups of at least 8 invocations (and attention.subgroups) and read-only storage textures, which this adapter lacks`);
  if (p.matmul.includes('texture-32x64') && !p.textureMatmul)
    throw new Error("adapter profile: matmul variant 'texture-32x64' needs the texture product (textureMatmul: read-only storage textures and subgroups of at least 8 invocations or a CPU adapter)");
  if (p.convWeightGradUniformX && !p.subgroups8)
    throw new Error('adapter profile: convWeightGradUniformX needs subgroups of at least 8 invocations, which this adapter lacks');
  if (p.nearestCodeTexture && !(p.subgroups8 && p.storageTextures))
    throw new Error('adapter profile: nearestCodeTexture needs subgroups of at least 8 invocations and read-only storage textures, which this adapter lacks');
  if (p.matmul.includes('subgroup-8') && !p.subgroups8) throw new Error("adapter profile: matmul variant 'subgroup-8' needs subgroups of at least 8 invocations, which this adapter lacks");
  return Object.freeze({ ...p, matmul: Object.freeze([...p.matmul]), attention: Object.freeze(p.attention) });
}
