// MultiScaleQuantizer: VAR's multi-scale residual quantizer (models/quant.py) and its HIT generalisation: tokenize, decode,
// teacher-forcing input, usage counts, the sampling step, and the training forward (straight-through output + VQ losses with gradients).
import { Tensor, empty, noGrad, Module, parameter, ops, type Device, type PreparedCodebook, type PrepareCodebookOpts } from '../../engine/index.ts';
import { planOf, varSegments, type Plan, type Segment } from './schedule.ts';

export interface QuantizerConfig {
  /** Codebook size V (VAR: 4096) and code width C (VAR: 32). */
  vocab: number; width: number;
  /** Scale schedule: plain VAR is varSegments(VAR_SCHEDULES[512]); H-VAR's is HIT_512. */
  segments: readonly Segment[];
  /** Commitment weight β (0.25), quant_resi r (0.5: φ(h) = (1 − r)·h + r·conv(h)), number of shared φ convs (4). */
  beta?: number; quantResi?: number; phiCount?: number;
  /** VAR applies φ at the last scale too; VARSR and HART do not. */
  phiAtLastScale?: boolean;
}

/** One φ conv, named like VAR's quant_resi.qresi_ls.<i> (weight [C, C, 3, 3], bias [C]). */
export class PhiConv extends Module {
  constructor(public weight: Tensor, public bias: Tensor) { super(); }
}
class PhiList extends Module { constructor(public qresi_ls: PhiConv[]) { super(); } }
class CodebookModule extends Module { constructor(public weight: Tensor) { super(); } }

export interface TokenizeResult {
  /** Token ids of every scale, row-major within a scale, scales concatenated: [B, L] i32. */
  idx_BL: Tensor;
  /** f_hat at the end of each segment ([B, C, side, side]); the last one is the full reconstruction. */
  fHats: Tensor[];
  /** Teacher-forcing input [B, L − first, C] (area-down of f_hat to each next scale), when asked for. */
  varInput: Tensor | null;
  /** Per-scale code usage [K, V] i32, when asked for (encode only). */
  usage: Tensor | null;
}

/** Parameters laid out for the no-grad kernels (codebook transposed + |e|², φ weights packed); valid until they change. */
export interface PreparedQuantizer { codebook: PreparedCodebook | null; phi: Tensor[]; dispose(): void }
type LoopOpts = { teacherInput?: boolean; usage?: boolean; prepared?: PreparedQuantizer };

export class MultiScaleQuantizer extends Module {
  readonly plan: Plan;
  readonly beta: number; readonly quantResi: number; readonly phiAtLastScale: boolean;
  embedding: CodebookModule;
  quant_resi: PhiList;

  /** Parameters are given (load or init them elsewhere): codebook [V, C], φ weights [C, C, 3, 3] and biases [C]. */
  constructor(readonly cfg: QuantizerConfig, p: { codebook: Tensor; phiW: Tensor[]; phiB: Tensor[] }) {
    super();
    const { vocab: V, width: C } = cfg, Q = cfg.phiCount ?? 4;
    this.plan = planOf(cfg.segments, Q);
    this.beta = cfg.beta ?? 0.25; this.quantResi = cfg.quantResi ?? 0.5; this.phiAtLastScale = cfg.phiAtLastScale ?? true;
    const want = (t: Tensor, shape: number[], what: string) => {
      if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) throw new Error(`MultiScaleQuantizer: ${what} must be [${shape}], got ${t}`);
      return parameter(t, what);
    };
    if (p.phiW.length !== Q || p.phiB.length !== Q) throw new Error(`MultiScaleQuantizer: expected ${Q} φ convs, got ${p.phiW.length} weights and ${p.phiB.length} biases`);
    this.embedding = new CodebookModule(want(p.codebook, [V, C], 'embedding.weight'));
    this.quant_resi = new PhiList(p.phiW.map((w, i) => new PhiConv(want(w, [C, C, 3, 3], `qresi_ls.${i}.weight`), want(p.phiB[i]!, [C], `qresi_ls.${i}.bias`))));
  }

  /** Plain VAR over one schedule. */
  static var(cfg: Omit<QuantizerConfig, 'segments'> & { scales: readonly number[] }, p: ConstructorParameters<typeof MultiScaleQuantizer>[1]) {
    return new MultiScaleQuantizer({ ...cfg, segments: varSegments(cfg.scales) }, p);
  }

  get codebook(): Tensor { return this.embedding.weight; }
  /** Tokens per image L over all scales. */
  get tokens(): number { return this.plan.tokens; }

  /**
   * Lays the parameters out for tokenize (codebook for the search: 3 dispatches; φ weights: 4) or decode (φ only);
   * reuse it while the parameters are unchanged, dispose it after. `codebookPath` picks the search's layout
   * (ops.prepareCodebook's path: 'auto' by default, the texture form where the adapter profile takes it).
   */
  prepare(o: { search?: boolean; codebookPath?: PrepareCodebookOpts['path'] } = {}): PreparedQuantizer {
    return noGrad(this.codebook.dev, () => {
      const codebook = o.search === false ? null : ops.prepareCodebook(this.codebook, { path: o.codebookPath });
      const phi = this.quant_resi.qresi_ls.map((c) => ops.packPhiWeight(c.weight).keep());
      return { codebook, phi, dispose() { codebook?.dispose(); phi.forEach((t) => t.dispose()); } };
    });
  }

  /**
   * Tokenizes latents (one per segment: VAR has one f [B, C, S, S]; HIT has Z at each segment's side). No gradient.
   * Per scale: one fused area-pool + nearest-code + lookup + usage dispatch, one bicubic up, one fused φ update.
   */
  tokenize(z: Tensor | Tensor[], o: LoopOpts = {}): TokenizeResult {
    const zs = Array.isArray(z) ? z : [z];
    this.checkLatents(zs);
    return noGrad(zs[0]!.dev, () => this.loop(zs[0]!.dev, zs[0]!.shape[0]!, { zs }, o));
  }

  /** f_hat (per segment) and optionally the teacher-forcing input from token ids [B, L]; same kernels as tokenize. */
  decode(idx_BL: Tensor, o: { teacherInput?: boolean; prepared?: PreparedQuantizer } = {}): TokenizeResult {
    if (idx_BL.dtype !== 'i32' || idx_BL.ndim !== 2 || idx_BL.shape[1] !== this.tokens)
      throw new Error(`MultiScaleQuantizer.decode: expected i32 ids [B, ${this.tokens}], got ${idx_BL}`);
    return noGrad(idx_BL.dev, () => this.loop(idx_BL.dev, idx_BL.shape[0]!, { idx: idx_BL }, o));
  }

  private checkLatents(zs: Tensor[]) {
    const segs = this.plan.segments;
    if (zs.length !== segs.length) throw new Error(`MultiScaleQuantizer: ${segs.length} segment latents expected, got ${zs.length}`);
    zs.forEach((t, n) => {
      const s = segs[n]!.side, want = [zs[0]!.shape[0]!, this.cfg.width, s, s];
      if (t.dtype !== 'f32' || t.ndim !== 4 || t.shape.some((d, i) => d !== want[i]))
        throw new Error(`MultiScaleQuantizer: latent ${n} must be f32 [${want}] (C = ${this.cfg.width}, side ${s}), got ${t}`);
    });
  }

  /** The shared scale loop of tokenize (zs given) and decode (idx given). */
  private loop(dev: Device, B: number, src: { zs?: Tensor[]; idx?: Tensor }, o: LoopOpts): TokenizeResult {
    const { scales, tokens } = this.plan, K = scales.length, C = this.cfg.width, V = this.cfg.vocab;
    const encode = !!src.zs;
    const idx_BL = src.idx ?? empty(dev, [B, tokens], 'i32', 'tokenize');
    const first = scales[0]!.pn ** 2;
    const varInput = o.teacherInput ? empty(dev, [B, tokens - first, C], 'f32', 'varInput') : null;
    const usage = encode && o.usage ? ops.fill(dev, [K, V], 0, 'i32') : null;
    const prep = o.prepared ?? this.prepare({ search: encode });
    if (encode && !prep.codebook) throw new Error('MultiScaleQuantizer.tokenize: the prepared parameters lack the codebook search layout (prepare({ search: true }))');
    const fHats: Tensor[] = [];
    let fHat: Tensor | null = null, fRest: Tensor | null = null;
    for (let k = 0; k < K; k++) {
      const s = scales[k]!, S = s.side;
      if (!fHat || fHat.shape[2] !== S) { // a new segment: carry f_hat into its side (zeros for the first)
        const prev: Tensor | null = fHat;
        fHat = prev ? ops.resample(prev, S, S, 'bicubic') : ops.fill(dev, [B, C, S, S], 0);
        if (prev) fHats.push(prev);
        fRest?.dispose();
        fRest = encode ? (prev ? ops.sub(src.zs![s.segment]!, fHat) : ops.copy(src.zs![s.segment]!)) : null;
      }
      const cols = ops.slice(idx_BL, 1, s.col, s.col + s.pn * s.pn);
      let h: Tensor;
      if (encode) h = ops.nearestCodeArea(fRest!, this.codebook, s.pn, s.pn, { prepared: prep.codebook!, idxOut: cols, lookup: true, counts: usage ?? undefined, countsRow: k }).h!;
      else { const e = ops.codeLookup(cols, this.codebook, { channelsFirst: true }); h = ops.asStrided(e, [B, C, s.pn, s.pn], [C * s.pn * s.pn, s.pn * s.pn, s.pn, 1], e.offset); e.dispose(); }
      cols.dispose();
      const hUp = s.pn === S ? h : ops.resample(h, S, S, 'bicubic');
      const phi = this.quant_resi.qresi_ls[s.phi]!;
      const plain = k === K - 1 && !this.phiAtLastScale;
      ops.phiUpdate(hUp, phi.weight, phi.bias, fHat, fRest, plain ? 1 : 1 - this.quantResi, plain ? 0 : this.quantResi, prep.phi[s.phi]);
      if (hUp !== h) hUp.dispose();
      h.dispose();
      if (varInput && k < K - 1) this.teacherRows(fHat, scales[k + 1]!, varInput, first);
    }
    fHats.push(fHat!);
    fRest?.dispose();
    if (prep !== o.prepared) prep.dispose();
    return { idx_BL, fHats, varInput, usage };
  }

  /**
   * One step of scale-by-scale sampling (VAR's get_next_autoregressive_input, for HIT segments too): adds scale k's token ids
   * [B, pn²] (i32, row-major) to f_hat and returns it with the transformer input of scale k + 1, area(f_hat, pn_{k+1}) as rows
   * [B, pn_{k+1}², C] (null after the last scale). `fHat` is null at k = 0 (zeros are made); when scale k opens a new segment
   * f_hat is first carried to its side with bicubic, as tokenize does. The caller's fHat is updated in place when its side
   * stays; otherwise a new tensor is returned and the old one is left to the caller. Same kernels as decode; no gradient.
   */
  step(k: number, fHat: Tensor | null, ids_Bl: Tensor, o: { prepared?: PreparedQuantizer } = {}): { fHat: Tensor; next: Tensor | null } {
    const { scales } = this.plan, K = scales.length, C = this.cfg.width;
    const s = scales[k];
    if (!s || !Number.isInteger(k)) throw new RangeError(`MultiScaleQuantizer.step: scale ${k} is outside the plan's ${K} scales`);
    const B = ids_Bl.shape[0]!, n = s.pn * s.pn;
    if (ids_Bl.dtype !== 'i32' || ids_Bl.ndim !== 2 || ids_Bl.shape[1] !== n)
      throw new Error(`MultiScaleQuantizer.step: scale ${k} (pn ${s.pn}) needs i32 ids [B, ${n}], got ${ids_Bl}`);
    if (fHat && (fHat.ndim !== 4 || fHat.shape[0] !== B || fHat.shape[1] !== C || fHat.shape[2] !== fHat.shape[3] || fHat.shape[2]! > s.side))
      throw new Error(`MultiScaleQuantizer.step: f_hat must be [${B}, ${C}, S, S] with S <= ${s.side}, got ${fHat}`);
    if (!fHat && k !== 0) throw new Error(`MultiScaleQuantizer.step: f_hat is needed for scale ${k} (only scale 0 starts from zeros)`);
    const dev = ids_Bl.dev;
    return noGrad(dev, () => {
      const S = s.side;
      const f = !fHat ? ops.fill(dev, [B, C, S, S], 0) : fHat.shape[2] === S ? fHat : ops.resample(fHat, S, S, 'bicubic');
      const prep = o.prepared ?? this.prepare({ search: false });
      const e = ops.codeLookup(ids_Bl, this.codebook, { channelsFirst: true });
      const h = ops.asStrided(e, [B, C, s.pn, s.pn], [C * n, n, s.pn, 1], e.offset);
      const hUp = s.pn === S ? h : ops.resample(h, S, S, 'bicubic');
      const plain = k === K - 1 && !this.phiAtLastScale;
      ops.phiUpdate(hUp, this.quant_resi.qresi_ls[s.phi]!.weight, this.quant_resi.qresi_ls[s.phi]!.bias, f, null,
        plain ? 1 : 1 - this.quantResi, plain ? 0 : this.quantResi, prep.phi[s.phi]);
      for (const t of new Set([hUp, h, e])) t.dispose();
      if (prep !== o.prepared) prep.dispose();
      const nx = scales[k + 1];
      if (!nx) return { fHat: f, next: null };
      const next = empty(dev, [B, nx.pn * nx.pn, C], 'f32', 'quantizer.step');
      this.teacherRows(f, nx, next, nx.col);
      return { fHat: f, next };
    });
  }

  /** Writes area-down(f_hat carried to the next scale's side, pn_next) into rows [col − first, + pn²) of varInput. */
  private teacherRows(fHat: Tensor, next: Plan['scales'][number], varInput: Tensor, first: number) {
    const [B, C] = fHat.shape as [number, number];
    const carried = fHat.shape[2] === next.side ? fHat : ops.resample(fHat, next.side, next.side, 'bicubic');
    const Lm = varInput.shape[1]!;
    const rows = ops.asStrided(varInput, [B, C, next.pn, next.pn], [Lm * C, 1, next.pn * C, C], varInput.offset + (next.col - first) * C);
    ops.resample(carried, next.pn, next.pn, 'area', { out: rows });
    rows.dispose();
    if (carried !== fHat) carried.dispose();
  }

  /**
   * Training forward (VAR's VectorQuantizer2.forward): tokenizes without gradient, then rebuilds every scale's f_hat
   * differentiably from the ids (codebook lookup → bicubic up → φ via ops.conv2d) so the codebook and φ convs learn, and
   * returns the straight-through outputs f_hat_st = z + (f_hat − z).detach (one per segment), the VQ loss
   * mean over scales of β·MSE(f_hat.detach, z) + MSE(f_hat, z.detach), the ids and the usage counts.
   */
  forwardTrain(z: Tensor | Tensor[]): { fHatSt: Tensor[]; vqLoss: Tensor; idx_BL: Tensor; usage: Tensor } {
    const zs = Array.isArray(z) ? z : [z];
    const tok = this.tokenize(zs, { usage: true });
    const fhs = this.rebuild(tok.idx_BL);
    const vqLoss = ops.vqLoss(fhs.map((t, k) => [t, zs[this.plan.scales[k]!.segment]!] as [Tensor, Tensor]), this.beta);
    const fHatSt = zs.map((zn, n) => ops.straightThrough(zn, tok.fHats[n]!));
    if (!vqLoss.node) for (const t of fhs) t.dispose(); // else the loss's backward reads them (freed with the scope)
    tok.fHats.forEach((t) => t.dispose());
    return { fHatSt, vqLoss, idx_BL: tok.idx_BL, usage: tok.usage! };
  }

  /** f_hat after every scale, recorded for autograd (gradients reach the codebook and the φ convs). */
  rebuild(idx_BL: Tensor): Tensor[] {
    const { scales } = this.plan, K = scales.length, C = this.cfg.width, B = idx_BL.shape[0]!;
    const out: Tensor[] = [];
    let fHat: Tensor | null = null;
    for (let k = 0; k < K; k++) {
      const s = scales[k]!, S = s.side;
      if (fHat && fHat.shape[2] !== S) fHat = ops.resample(fHat, S, S, 'bicubic');
      const cols = ops.slice(idx_BL, 1, s.col, s.col + s.pn * s.pn);
      const h = ops.reshape(ops.codeLookup(cols, this.codebook, { channelsFirst: true }), [B, C, s.pn, s.pn]);
      const hUp: Tensor = s.pn === S ? h : ops.resample(h, S, S, 'bicubic');
      const phi = this.quant_resi.qresi_ls[s.phi]!;
      const hPhi: Tensor = k === K - 1 && !this.phiAtLastScale ? hUp
        : ops.add(ops.mulScalar(hUp, 1 - this.quantResi), ops.mulScalar(ops.conv2d(hUp, phi.weight, phi.bias, { padding: 1 }), this.quantResi));
      fHat = fHat ? ops.add(fHat, hPhi) : hPhi;
      out.push(fHat);
    }
    return out;
  }
}
