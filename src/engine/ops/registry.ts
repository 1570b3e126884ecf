// The op registry: every public op in one table (name -> function). Adding an op touches its .wgsl, its ops/*.ts
// entry, one line here, and one test line.
import './index.ts';
import * as ew from './elementwise.ts';
import * as red from './reduce.ts';
import * as mv from './movement.ts';
// row ops, losses, embedding (softmax.ts, layernorm.ts, loss.ts, embedding.ts)
import * as sm from './softmax.ts';
import * as ln from './layernorm.ts';
import * as ls from './loss.ts';
import * as em from './embedding.ts';

export const ops = {
  // elementwise (ops/elementwise.ts, kernels/elementwise/*)
  add: ew.add, sub: ew.sub, mul: ew.mul, div: ew.div, pow: ew.pow, maximum: ew.maximum, minimum: ew.minimum,
  neg: ew.neg, exp: ew.exp, log: ew.log, sqrt: ew.sqrt, rsqrt: ew.rsqrt, abs: ew.abs, tanh: ew.tanh,
  sigmoid: ew.sigmoid, silu: ew.silu, gelu: ew.gelu, relu: ew.relu, square: ew.square,
  affine: ew.affine, mulScalar: ew.mulScalar, addScalar: ew.addScalar, powScalar: ew.powScalar, clamp: ew.clamp,
  where: ew.where, compare: ew.compare, cast: ew.cast, fill: ew.fill,
  // reductions (ops/reduce.ts, kernels/reduce/reduce.wgsl)
  sum: red.sum, mean: red.mean, max: red.max, min: red.min, argmax: red.argmax, variance: red.variance, sumTo: red.sumTo,
  // movement (ops/movement.ts)
  reshape: mv.reshape, permute: mv.permute, transpose: mv.transpose, expand: mv.expand, slice: mv.slice,
  contiguous: mv.contiguous, copy: mv.copy, concat: mv.concat, pad: mv.pad,
  // row ops: softmax / log-softmax along any axis (ops/softmax.ts, kernels/softmax/*)
  softmax: sm.softmax, logSoftmax: sm.logSoftmax,
  layerNorm: ln.layerNorm,
  // losses (ops/loss.ts, kernels/loss/*) and the embedding gather (ops/embedding.ts, kernels/embed/*)
  crossEntropy: ls.crossEntropy, mseLoss: ls.mseLoss, l1Loss: ls.l1Loss, embedding: em.embedding,
} as const;
export type OpName = keyof typeof ops;
