// KV cache for scale-by-scale VAR sampling: preallocated keys (transposed; L2-normalised for VAR) and values per layer,
// a fill pointer per layer, and attention of one scale's queries to everything cached, in one fused kernel.
import { empty, noGrad, ops, type Tensor, type Device } from '../../engine/index.ts';

export interface KVCacheOpts {
  layers: number;
  batch: number;
  heads: number;
  /** Tokens of the whole schedule (prefix included), e.g. 2,240 for VAR-512 or 3,264 with a 1,024-token prefix. */
  maxLen: number;
  /** Head dim (default 64). */
  headDim?: number;
  /** VAR's attn_l2_norm: keys are stored L2-normalised and queries normalised and scaled by exp(min(s_h, ln 100)). */
  l2norm?: boolean;
}

/**
 * One model's cache, created by the caller and passed to every attention call (no hidden state). Keys are kept as
 * [B, H, D, Lmax4] (4 keys per vec4, the layout the attention kernel reads), values as [B, H, Lmax, D].
 */
export class KVCache {
  readonly batch: number; readonly heads: number; readonly headDim: number; readonly maxLen: number; readonly l2norm: boolean;
  private readonly kT: Tensor[] = [];
  private readonly v: Tensor[] = [];
  private readonly filled: number[];
  private readonly lmax4: number;

  constructor(readonly dev: Device, o: KVCacheOpts) {
    this.batch = o.batch; this.heads = o.heads; this.headDim = o.headDim ?? 64; this.maxLen = o.maxLen; this.l2norm = !!o.l2norm;
    for (const [k, n] of Object.entries({ layers: o.layers, batch: o.batch, heads: o.heads, maxLen: o.maxLen }))
      if (!Number.isInteger(n) || n < 1) throw new Error(`KVCache: ${k} must be a positive integer, got ${n}`);
    if (this.headDim % 4 || this.headDim < 4 || this.headDim > 128) throw new Error(`KVCache: head dim ${this.headDim} must be a multiple of 4 in [4, 128]`);
    this.lmax4 = Math.ceil(this.maxLen / 4) * 4;
    const [B, H, D] = [this.batch, this.heads, this.headDim];
    for (let l = 0; l < o.layers; l++) {
      this.kT.push(empty(dev, [B, H, D, this.lmax4], 'f32', `kv_cache.k[${l}]`).keep());
      this.v.push(empty(dev, [B, H, this.maxLen, D], 'f32', `kv_cache.v[${l}]`).keep());
    }
    this.filled = new Array(o.layers).fill(0);
  }

  get layers() { return this.filled.length; }
  /** Tokens cached in `layer`. */
  length(layer = 0): number { return this.filled[this.layerIndex('length', layer)]!; }
  /** Empties every layer (the buffers stay allocated). */
  reset() { this.filled.fill(0); }
  /** Bytes held on the GPU. */
  get bytes() { return this.layers * 4 * this.batch * this.heads * this.headDim * (this.lmax4 + this.maxLen); }

  /** Writes one step's keys (normalised first for VAR) and values, k and v [B, H, l, D], at the layer's fill pointer. */
  append(layer: number, k: Tensor, v: Tensor) {
    const op = 'KVCache.append', li = this.layerIndex(op, layer);
    const [B, H, D] = [this.batch, this.heads, this.headDim];
    const l = k.shape[2]!;
    for (const t of [k, v]) if (t.ndim !== 4 || t.shape[0] !== B || t.shape[1] !== H || t.shape[3] !== D || t.shape[2] !== l || t.dtype !== 'f32')
      throw new Error(`${op}: expected k and v as f32 [${B}, ${H}, l, ${D}] with the same l, got k ${k}, v ${v}`);
    const at = this.filled[li]!;
    if (at + l > this.maxLen)
      throw new RangeError(`${op}: layer ${layer} holds ${at} of ${this.maxLen} tokens; ${l} more do not fit (maxLen ${this.maxLen})`);
    noGrad(this.dev, () => {
      const kn = this.l2norm ? ops.headNorm(k) : k;
      const L4 = this.lmax4;
      const kDst = ops.asStrided(this.kT[li]!, [B, H, l, D], [H * D * L4, D * L4, 1, L4], at);
      const vDst = ops.asStrided(this.v[li]!, [B, H, l, D], [H * this.maxLen * D, this.maxLen * D, D, 1], at * D);
      ops.assign(kDst, kn);
      ops.assign(vDst, v);
      for (const t of [kDst, vDst]) t.dispose();
      if (kn !== k) kn.dispose();
    });
    this.filled[li] = at + l;
  }

  /** The layer's keys (transposed) and values, and how many are filled: for attendCached. */
  entries(layer: number): { kT: Tensor; v: Tensor; length: number } {
    const li = this.layerIndex('KVCache.entries', layer);
    return { kT: this.kT[li]!, v: this.v[li]!, length: this.filled[li]! };
  }

  dispose() { for (const t of [...this.kT, ...this.v]) t.dispose(); this.filled.fill(0); }

  private layerIndex(op: string, layer: number): number {
    if (!Number.isInteger(layer) || layer < 0 || layer >= this.filled.length) throw new RangeError(`${op}: layer ${layer} is out of range (cache has ${this.filled.length} layers)`);
    return layer;
  }
}

/**
 * Attention of the current step's queries q [B, H, l, D] to everything cached in `layer` (the just-appended step
 * included), with no mask — equal to the block-causal mask over the whole sequence, since later steps are not cached
 * yet. VAR caches (l2norm) need the per-head s; plain caches use `scale` (default 1/sqrt(D)). No autograd.
 */
export function attendCached(q: Tensor, cache: KVCache, layer: number, opts: { s?: Tensor; scale?: number } = {}): Tensor {
  const op = 'attendCached';
  const { kT, v, length } = cache.entries(layer);
  if (length === 0) throw new Error(`${op}: layer ${layer} of the cache is empty; append this step's keys and values first`);
  if (q.ndim !== 4 || q.shape[0] !== cache.batch || q.shape[1] !== cache.heads || q.shape[3] !== cache.headDim)
    throw new Error(`${op}: q ${q} does not match the cache's [${cache.batch}, ${cache.heads}, l, ${cache.headDim}]`);
  if (cache.l2norm !== !!opts.s) throw new Error(cache.l2norm ? `${op}: a VAR (l2norm) cache needs the per-head scale s` : `${op}: s is only for l2norm caches; pass scale instead`);
  if (cache.l2norm && opts.scale !== undefined) throw new Error(`${op}: a VAR (l2norm) cache uses softmax scale 1; do not pass scale`);
  return noGrad(cache.dev, () => {
    if (!opts.s) return ops.attentionKT(q, kT, v, length, { scale: opts.scale });
    const qn = ops.headNorm(q, opts.s);
    const out = ops.attentionKT(qn, kT, v, length, { scale: 1 });
    qn.dispose();
    return out;
  });
}
