// Training checkpoints: model parameters and buffers, AdamW moments and step counts, and the loop's own state (step,
// data position, seed, log) in one safetensors file, written atomically; loading checks every name and shape.
import { fromArray, type Module, type Tensor } from '../engine/index.ts';
import { openSafetensors, writeSafetensors, type StInput } from '../index.ts';
import type { AdamW } from './optim/adamw.ts';

/** Metadata key holding the checkpoint's JSON (format, optimizer step counts, the loop state). */
export const CHECKPOINT_META = 'hvar.checkpoint';
const FORMAT = 1;

/** What a training loop needs to continue exactly where it stopped; `kind` guards against resuming the wrong trainer. */
export interface LoopState {
  kind: string;
  /** Optimizer steps taken. */
  step: number;
  /** Data position of the next batch: epoch and batch index within it. */
  epoch: number; batch: number;
  /** Wall time spent so far (ms), summed over runs. */
  wallMs: number;
  /** The run's configuration (checked on resume) and anything else JSON the trainer keeps. */
  config: Record<string, unknown>;
  extra?: Record<string, unknown>;
}

interface Meta { format: number; optSteps: Record<string, number>; hyper: { betas: [number, number]; eps: number }; loop: LoopState }

async function host(t: Tensor): Promise<StInput> {
  const data = await t.toArray();
  return { dtype: t.dtype === 'i32' ? 'I32' : 'F32', shape: [...t.shape], data: data as Float32Array | Int32Array };
}

/**
 * Writes `path` (temp file + rename): `model/<name>` for every parameter and buffer, `adam/<name>/exp_avg|exp_avg_sq` for
 * every parameter the optimizer has state for, and the loop state in the metadata.
 */
export async function saveCheckpoint(path: string, model: Module, opt: AdamW | null, loop: LoopState): Promise<void> {
  const tensors: Record<string, StInput> = {};
  for (const [k, t] of Object.entries(model.stateDict())) tensors[`model/${k}`] = await host(t);
  const optSteps: Record<string, number> = {};
  if (opt) {
    for (const [k, p] of model.namedParameters()) {
      const s = opt.state.get(p);
      if (!s) continue;
      optSteps[k] = s.step;
      tensors[`adam/${k}/exp_avg`] = await host(s.exp_avg);
      tensors[`adam/${k}/exp_avg_sq`] = await host(s.exp_avg_sq);
    }
  }
  const meta: Meta = { format: FORMAT, optSteps, hyper: { betas: opt?.betas ?? [0.9, 0.999], eps: opt?.eps ?? 1e-8 }, loop };
  await writeSafetensors(path, tensors, { [CHECKPOINT_META]: JSON.stringify(meta) });
}

/** Reads only the loop state of a checkpoint (to pick the configuration before building the model). */
export async function readLoopState(path: string): Promise<LoopState> {
  return (await readMeta(path)).meta.loop;
}

async function readMeta(path: string) {
  const f = await openSafetensors(path);
  const raw = f.metadata?.[CHECKPOINT_META];
  if (!raw) throw new Error(`${path}: not an hvar training checkpoint (no '${CHECKPOINT_META}' metadata); to start from weights alone, pass them with --init`);
  let meta: Meta;
  try { meta = JSON.parse(raw) as Meta; } catch { throw new Error(`${path}: the '${CHECKPOINT_META}' metadata is not valid JSON`); }
  if (meta.format !== FORMAT) throw new Error(`${path}: checkpoint format ${meta.format}, this hvar reads format ${FORMAT}`);
  return { f, meta };
}

/**
 * Loads a checkpoint into `model` (strict: every parameter and buffer, same shapes) and `opt` (its moments and step
 * counts, replacing any state it had). Returns the loop state. `kind` must match the trainer that wrote it.
 */
export async function loadCheckpoint(path: string, model: Module, opt: AdamW | null, kind: string): Promise<LoopState> {
  const { f, meta } = await readMeta(path);
  if (meta.loop.kind !== kind) throw new Error(`${path}: a '${meta.loop.kind}' checkpoint, cannot resume '${kind}' training from it`);
  const keys = new Set(f.keys());
  const sd: Record<string, { shape: number[]; data: Float32Array | Int32Array }> = {};
  for (const k of keys) if (k.startsWith('model/')) {
    const t = await f.read(k);
    if (t.dtype !== 'F32' && t.dtype !== 'I32') throw new Error(`${path}: '${k}' is ${t.dtype}, checkpoints hold F32/I32`);
    sd[k.slice(6)] = { shape: t.shape, data: t.data as Float32Array | Int32Array };
  }
  model.loadStateDict(sd, { source: path });
  if (opt) {
    for (const s of opt.state.values()) { s.exp_avg.dispose(); s.exp_avg_sq.dispose(); }
    opt.state.clear();
    const byName = new Map(model.namedParameters());
    for (const [name, step] of Object.entries(meta.optSteps)) {
      const p = byName.get(name);
      if (!p) throw new Error(`${path}: optimizer state for '${name}', which the model does not have`);
      const moment = async (which: string): Promise<Tensor> => {
        const k = `adam/${name}/${which}`;
        if (!keys.has(k)) throw new Error(`${path}: missing '${k}' (truncated or foreign checkpoint)`);
        const t = await f.read(k);
        if (t.shape.length !== p.shape.length || t.shape.some((d, i) => d !== p.shape[i]))
          throw new Error(`${path}: '${k}' has shape [${t.shape}], the parameter is [${p.shape}]`);
        return fromArray(p.dev, t.data as Float32Array, p.shape).keep();
      };
      opt.state.set(p, { step, exp_avg: await moment('exp_avg'), exp_avg_sq: await moment('exp_avg_sq') });
    }
  }
  return meta.loop;
}
