// VAR's Encoder (basic_vae.py, VAR_FACTS §1.3): conv_in, levels of ResnetBlocks (attention at the last level) with
// Downsample between levels, middle block_1 / attn_1 / block_2, GN + SiLU, conv_out to z channels.
import { Tensor, Module } from '../../engine/index.ts';
import { AttnBlock, Downsample, ResnetBlock } from './blocks.ts';
import { Conv, Flow, Norm, type ParamMaker } from './layers.ts';
import type { VQVAEConfig } from './config.ts';

/** One encoder level: `block.<i>`, `attn.<i>` (last level only), `downsample` (all but the last level). */
export class DownLevel extends Module {
  block: ResnetBlock[] = []; attn: AttnBlock[] = []; downsample?: Downsample;
}
/** The middle: block_1, attn_1, block_2 (shared by encoder and decoder). */
export class Mid extends Module {
  block_1: ResnetBlock; attn_1: AttnBlock; block_2: ResnetBlock;
  constructor(mk: ParamMaker, C: number) {
    super();
    this.block_1 = new ResnetBlock(mk, C, C);
    this.attn_1 = new AttnBlock(mk, C);
    this.block_2 = new ResnetBlock(mk, C, C);
  }
  forward(h: Tensor, flow: Flow): Tensor {
    h = flow.then(h, (t) => this.block_1.forward(t, flow));
    h = flow.then(h, (t) => this.attn_1.forward(t, flow));
    return flow.then(h, (t) => this.block_2.forward(t, flow));
  }
}

export class Encoder extends Module {
  conv_in: Conv; down: DownLevel[] = []; mid: Mid; norm_out: Norm; conv_out: Conv;
  constructor(mk: ParamMaker, cfg: VQVAEConfig) {
    super();
    const { ch, chMult, numResBlocks: n } = cfg, L = chMult.length;
    this.conv_in = new Conv(mk, 3, ch, 3, 1, 1);
    let c = ch;
    for (let l = 0; l < L; l++) {
      const lvl = new DownLevel(), o = ch * chMult[l]!;
      for (let b = 0; b < n; b++) {
        lvl.block.push(new ResnetBlock(mk, c, o)); c = o;
        if (l === L - 1) lvl.attn.push(new AttnBlock(mk, c));
      }
      if (l !== L - 1) lvl.downsample = new Downsample(mk, c);
      this.down.push(lvl);
    }
    this.mid = new Mid(mk, c);
    this.norm_out = new Norm(mk, c);
    this.conv_out = new Conv(mk, c, cfg.zChannels, 3, 1, 1);
  }

  /** x [B, 3, H, W] in [−1, 1] → [B, z, H/2^(L−1), W/2^(L−1)]. */
  forward(x: Tensor): Tensor {
    const flow = new Flow(x, this.parameters());
    let h = this.conv_in.forward(x);
    for (const lvl of this.down) {
      lvl.block.forEach((blk, i) => {
        h = flow.then(h, (t) => blk.forward(t, flow));
        const a = lvl.attn[i];
        if (a) h = flow.then(h, (t) => a.forward(t, flow));
      });
      const d = lvl.downsample;
      if (d) h = flow.then(h, (t) => d.forward(t));
    }
    h = this.mid.forward(h, flow);
    return flow.then(h, (t) => this.conv_out.forwardAfter(this.norm_out, t));
  }
}
