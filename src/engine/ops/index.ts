// Wires the ops that autograd itself needs (kept here to avoid an import cycle).
import { setBackwardOps } from '../autograd.ts';
import { add, fill } from './elementwise.ts';
import { copy } from './movement.ts';
setBackwardOps({ add, clone: copy, onesLike: (t) => fill(t.dev, t.shape, 1, t.dtype) });
export {};
