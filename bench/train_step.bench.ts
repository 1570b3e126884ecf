// Benchmark: one training step of a small transformer (pre-LN blocks: attention + GELU MLP, token embedding, linear head,
// cross-entropy), forward + backward + grad clipping + AdamW, one awaited sync per step; steps/s and tokens/s, with the
// device waiting by sleeping and by spinning in the same process (runtime/wait.ts), steps interleaved.
// Run: npm run bench:train-step [-- --layers 4 --width 256 --heads 4 --tokens 1024 --vocab 512 --steps 6]
// Writes bench/results/train_step-<date>.json (adapter report, git rev, settings, every step's time).
import { writeFileAtomic } from '../src/io/atomic.ts';
import { execSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { Device, Module, Rng, backward, fromArray, ops, scope, nn, AdamW, clipGradNorm, type Tensor, type WaitMode } from '../src/index.ts';

const args = process.argv.slice(2);
const opt = (name: string, def: number) => { const i = args.indexOf(`--${name}`); return i >= 0 ? Number(args[i + 1]) : def; };
const [LAYERS, C, H, L, V, STEPS] = [opt('layers', 4), opt('width', 256), opt('heads', 4), opt('tokens', 1024), opt('vocab', 512), opt('steps', 6)];

class Block extends Module {
  ln1: nn.LayerNorm; qkv: nn.Linear; proj: nn.Linear; ln2: nn.LayerNorm; fc1: nn.Linear; fc2: nn.Linear;
  constructor(dev: Device, rng: Rng) {
    super();
    this.ln1 = new nn.LayerNorm(dev, C); this.qkv = new nn.Linear(dev, rng, C, 3 * C); this.proj = new nn.Linear(dev, rng, C, C);
    this.ln2 = new nn.LayerNorm(dev, C); this.fc1 = new nn.Linear(dev, rng, C, 4 * C); this.fc2 = new nn.Linear(dev, rng, 4 * C, C);
  }
  forward(x_BLC: Tensor): Tensor {
    const [B] = x_BLC.shape as [number];
    const qkv = ops.permute(ops.reshape(this.qkv.forward(this.ln1.forward(x_BLC)), [B, L, 3, H, C / H]), [2, 0, 3, 1, 4]);
    const [q, k, v] = [0, 1, 2].map((i) => ops.reshape(ops.slice(qkv, 0, i, i + 1), [B, H, L, C / H])) as [Tensor, Tensor, Tensor];
    const a = ops.reshape(ops.permute(ops.attention(q, k, v), [0, 2, 1, 3]), [B, L, C]);
    const x = ops.add(x_BLC, this.proj.forward(a));
    return ops.add(x, this.fc2.forward(ops.gelu(this.fc1.forward(this.ln2.forward(x)))));
  }
}
class Net extends Module {
  emb: nn.Embedding; blocks: Block[]; ln: nn.LayerNorm; head: nn.Linear;
  constructor(dev: Device, rng: Rng) {
    super();
    this.emb = new nn.Embedding(dev, rng, V, C);
    this.blocks = Array.from({ length: LAYERS }, () => new Block(dev, rng));
    this.ln = new nn.LayerNorm(dev, C); this.head = new nn.Linear(dev, rng, C, V);
  }
  loss(idx_BL: Tensor, target_BL: Tensor): Tensor {
    let x = this.emb.forward(idx_BL);
    for (const b of this.blocks) x = b.forward(x);
    return ops.crossEntropy(ops.reshape(this.head.forward(this.ln.forward(x)), [L, V]), ops.reshape(target_BL, [L]));
  }
}

const ids = (seed: number) => { let s = seed >>> 0; return Int32Array.from({ length: L }, () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) % V)); };
interface Runner { mode: WaitMode; dev: Device; net: Net; opt: AdamW; times: number[]; losses: number[] }
async function runner(mode: WaitMode): Promise<Runner> {
  const dev = await Device.create({ wait: mode });
  const net = new Net(dev, new Rng(0));
  return { mode, dev, net, opt: new AdamW(AdamW.decayGroups(net.namedParameters(), 0.05), { lr: 3e-4, betas: [0.9, 0.95] }), times: [], losses: [] };
}
async function step(r: Runner, s: number) {
  const t0 = performance.now();
  const loss = scope(r.dev, () => {
    const l = r.net.loss(fromArray(r.dev, ids(2 * s + 1), [1, L], 'i32'), fromArray(r.dev, ids(2 * s + 2), [1, L], 'i32'));
    r.opt.zeroGrad();
    backward(l);
    clipGradNorm(r.net.parameters(), 1.0);
    r.opt.step();
    return l;
  });
  const v = await loss.item();
  loss.dispose();
  r.times.push(performance.now() - t0); r.losses.push(v);
}

const rs = [await runner('sleep'), await runner('spin')];
console.log(`train step: ${LAYERS} layers, width ${C}, ${H} heads, ${L} tokens, vocab ${V}; ${rs[0]!.net.numParameters().toLocaleString()} parameters; adapter ${rs[0]!.dev.report().description}`);
const load0 = loadavg()[0]!;
for (let s = 0; s < STEPS; s++) for (const r of s % 2 ? [...rs].reverse() : rs) {
  await step(r, s);
  console.log(`step ${s} ${r.mode.padEnd(5)} ${r.times.at(-1)!.toFixed(0)} ms  loss ${r.losses.at(-1)!.toFixed(4)}`);
}
const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2; };
// The first step compiles the pipelines; the median is over the others.
const summary = rs.map((r) => ({ wait: r.mode, firstStepMs: r.times[0], medianMs: median(r.times.slice(1)), tokensPerS: L / (median(r.times.slice(1)) / 1000), stepsMs: r.times, losses: r.losses }));
for (const x of summary) console.log(`${x.wait}: median ${x.medianMs.toFixed(0)} ms per step (${x.tokensPerS.toFixed(0)} tokens/s), first step ${x.firstStepMs!.toFixed(0)} ms`);
console.log(`sleep-wait is ${(summary[1]!.medianMs / summary[0]!.medianMs).toFixed(2)}x faster per step`);
const rev = (() => { try { return execSync('git rev-parse HEAD', { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim(); } catch { return null; } })();
const date = new Date().toISOString();
const dir = new URL('../bench/results/', import.meta.url).pathname;
mkdirSync(dir, { recursive: true });
const file = `${dir}train_step-${date.replace(/[:.]/g, '-')}.json`;
writeFileAtomic(file, JSON.stringify({ bench: 'train_step', date, git: rev, node: process.version, cpu: `${cpus()[0]?.model} ×${cpus().length}`, load: [load0, loadavg()[0]],
  adapter: rs[0]!.dev.report(), settings: { layers: LAYERS, width: C, heads: H, tokens: L, vocab: V, steps: STEPS, parameters: rs[0]!.net.numParameters() }, results: summary }, null, 1) + '\n');
console.log(`wrote ${file}`);
for (const r of rs) r.dev.destroy();
