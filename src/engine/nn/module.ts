// Module: named parameters and buffers found by walking fields (PyTorch naming), train/eval, stateDict / load.
import { Tensor, fromArray } from '../tensor.ts';
import { fmt } from '../shape.ts';

export type StateDict = Record<string, Tensor>;
export interface HostTensor { shape: number[]; data: Float32Array | Int32Array; dtype?: string }

export class Module {
  training = true;
  /** Persistent non-trainable tensors (e.g. VAR's zero_k_bias), saved in the state dict. */
  protected buffers: Record<string, Tensor> = {};

  /** Children and parameters in field order; arrays of modules are named `field.i` as nn.ModuleList. */
  private entries(): [string, Module | Tensor][] {
    const out: [string, Module | Tensor][] = [];
    for (const [k, v] of Object.entries(this)) {
      if (k === 'buffers') continue;
      if (v instanceof Module) out.push([k, v]);
      else if (v instanceof Tensor && v.requiresGrad) out.push([k, v]);
      else if (Array.isArray(v)) v.forEach((m, i) => { if (m instanceof Module) out.push([`${k}.${i}`, m]); });
    }
    return out;
  }

  namedParameters(prefix = ''): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [k, v] of this.entries()) {
      if (v instanceof Module) out.push(...v.namedParameters(prefix + k + '.'));
      else out.push([prefix + k, v]);
    }
    return out;
  }
  parameters(): Tensor[] { return this.namedParameters().map(([, t]) => t); }
  numParameters(): number { return this.parameters().reduce((s, t) => s + t.numel, 0); }

  namedBuffers(prefix = ''): [string, Tensor][] {
    const out: [string, Tensor][] = Object.entries(this.buffers).map(([k, t]) => [prefix + k, t]);
    for (const [k, v] of this.entries()) if (v instanceof Module) out.push(...v.namedBuffers(prefix + k + '.'));
    return out;
  }

  train(on = true): this {
    this.training = on;
    for (const [, v] of this.entries()) if (v instanceof Module) v.train(on);
    return this;
  }
  eval(): this { return this.train(false); }

  /** Parameters and buffers by their PyTorch names. */
  stateDict(): StateDict { return Object.fromEntries([...this.namedParameters(), ...this.namedBuffers()]); }

  /**
   * Copies host tensors into the module's parameters and buffers. `strict` (default) requires exactly the same
   * key set; `ignore` lists keys (or RegExps) present in checkpoints but not needed (e.g. VAR's attn_bias_for_masking).
   */
  loadStateDict(sd: Record<string, HostTensor>, o: { strict?: boolean; ignore?: (string | RegExp)[]; source?: string } = {}): { missing: string[]; unexpected: string[] } {
    const mine = this.stateDict();
    const src = o.source ? ` from ${o.source}` : '';
    const ignored = (k: string) => (o.ignore ?? []).some((p) => (typeof p === 'string' ? p === k : p.test(k)));
    const missing = Object.keys(mine).filter((k) => !(k in sd));
    const unexpected = Object.keys(sd).filter((k) => !(k in mine) && !ignored(k));
    if ((o.strict ?? true) && (missing.length || unexpected.length))
      throw new Error(`loadStateDict${src}: ${missing.length ? `missing keys: ${missing.slice(0, 8).join(', ')}${missing.length > 8 ? ` (+${missing.length - 8} more)` : ''}` : ''}${missing.length && unexpected.length ? '; ' : ''}${unexpected.length ? `unexpected keys: ${unexpected.slice(0, 8).join(', ')}${unexpected.length > 8 ? ` (+${unexpected.length - 8} more)` : ''}` : ''}`);
    for (const [k, t] of Object.entries(mine)) {
      const h = sd[k];
      if (!h) continue;
      if (h.shape.length !== t.shape.length || h.shape.some((d, i) => d !== t.shape[i]))
        throw new Error(`loadStateDict${src}: '${k}' has shape ${fmt(h.shape)} in the checkpoint, the model expects ${fmt(t.shape)}`);
      const want = t.dtype === 'i32' ? Int32Array : Float32Array;
      const data = h.data instanceof want ? h.data : want.from(h.data as ArrayLike<number>);
      const src2 = fromArray(t.dev, data, t.shape, t.dtype);
      t.dev.copy(src2.storage.buffer, 0, t.storage.buffer, t.offset * 4, t.numel * 4);
      src2.dispose();
    }
    return { missing, unexpected };
  }

  /** Frees every parameter, gradient and buffer. */
  dispose() { for (const [, t] of [...this.namedParameters(), ...this.namedBuffers()]) t.dispose(); }
}

/** Registers a tensor as a trainable parameter (kept out of scopes). */
export function parameter(t: Tensor, name = ''): Tensor { t.requiresGrad = true; t.name = name; return t.keep(); }
