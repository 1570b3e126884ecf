// Packs a kernel's `Params` uniform with WGSL alignment rules: 4-byte scalars, vec4 fields on 16-byte boundaries.
export class Params {
  readonly words: number[] = [];
  readonly kinds: ('u' | 'i' | 'f')[] = [];
  u32(...v: number[]) { for (const x of v) { this.words.push(x >>> 0); this.kinds.push('u'); } return this; }
  i32(...v: number[]) { for (const x of v) { this.words.push(x | 0); this.kinds.push('i'); } return this; }
  f32(...v: number[]) { for (const x of v) { this.words.push(x); this.kinds.push('f'); } return this; }
  /** A vec4<u32> (or array<vec4<u32>, n> when given more than 4 values): aligned to 16 bytes, zero-padded. */
  vec4u(v: readonly number[]) { this.align16(); this.u32(...v); while (this.words.length % 4) this.u32(0); return this; }
  vec4i(v: readonly number[]) { this.align16(); this.i32(...v); while (this.words.length % 4) this.i32(0); return this; }
  private align16() { while (this.words.length % 4) this.u32(0); }
  /** Bytes, padded to 16 (uniform struct size rule). */
  byteLength() { return Math.max(16, Math.ceil(this.words.length / 4) * 16); }
  writeTo(dv: DataView, byteOffset: number) {
    for (let i = 0; i < this.words.length; i++) {
      const k = this.kinds[i], v = this.words[i]!, o = byteOffset + 4 * i;
      if (k === 'f') dv.setFloat32(o, v, true); else if (k === 'i') dv.setInt32(o, v, true); else dv.setUint32(o, v, true);
    }
  }
}
export const params = () => new Params();
