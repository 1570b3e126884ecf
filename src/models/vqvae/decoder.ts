// VAR's Decoder (basic_vae.py, VAR_FACTS §1.4): conv_in, middle, levels from the top down with numResBlocks + 1
// ResnetBlocks each (attention at the top level) and Upsample between levels, GN + SiLU, conv_out to 3 channels.
import { Tensor, Module } from '../../engine/index.ts';
import { AttnBlock, ResnetBlock, Upsample } from './blocks.ts';
import { Mid } from './encoder.ts';
import { Conv, Flow, Norm, type ParamMaker } from './layers.ts';
import type { VQVAEConfig } from './config.ts';

/** One decoder level: `block.<i>`, `attn.<i>` (top level only), `upsample` (all but level 0). */
export class UpLevel extends Module {
  block: ResnetBlock[] = []; attn: AttnBlock[] = []; upsample?: Upsample;
}

export class Decoder extends Module {
  conv_in: Conv; mid: Mid;
  /** Indexed by level (0 = full resolution) as VAR's state dict names them; forward runs them from the top. */
  up: UpLevel[] = [];
  norm_out: Norm; conv_out: Conv;
  constructor(mk: ParamMaker, cfg: VQVAEConfig) {
    super();
    const { ch, chMult, numResBlocks: n } = cfg, L = chMult.length;
    let c = ch * chMult[L - 1]!;
    this.conv_in = new Conv(mk, cfg.zChannels, c, 3, 1, 1);
    this.mid = new Mid(mk, c);
    const levels: UpLevel[] = [];
    for (let l = L - 1; l >= 0; l--) {
      const lvl = new UpLevel(), o = ch * chMult[l]!;
      for (let b = 0; b <= n; b++) {
        lvl.block.push(new ResnetBlock(mk, c, o)); c = o;
        if (l === L - 1) lvl.attn.push(new AttnBlock(mk, c));
      }
      if (l !== 0) lvl.upsample = new Upsample(mk, c);
      levels[l] = lvl;
    }
    this.up = levels;
    this.norm_out = new Norm(mk, c);
    this.conv_out = new Conv(mk, c, 3, 3, 1, 1);
  }

  /** z [B, zc, h, w] → [B, 3, h·2^(L−1), w·2^(L−1)] (not clamped; VQVAE.decodeLatent clamps). */
  forward(z: Tensor): Tensor {
    const flow = new Flow(z, this.parameters());
    let h = this.conv_in.forward(z);
    h = this.mid.forward(h, flow);
    for (let l = this.up.length - 1; l >= 0; l--) {
      const lvl = this.up[l]!;
      lvl.block.forEach((blk, i) => {
        h = flow.then(h, (t) => blk.forward(t, flow));
        const a = lvl.attn[i];
        if (a) h = flow.then(h, (t) => a.forward(t, flow));
      });
      const u = lvl.upsample;
      if (u) h = flow.then(h, (t) => u.forward(t, flow));
    }
    return flow.then(h, (t) => this.conv_out.forwardAfter(this.norm_out, t));
  }
}
