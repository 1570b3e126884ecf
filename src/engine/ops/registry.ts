// The op registry: every public op in one table (name -> function). Adding an op touches its .wgsl, its ops/*.ts
// entry, one line here, and one test line.
import './index.ts';
import * as ew from './elementwise.ts';
import * as red from './reduce.ts';
import * as mv from './movement.ts';
import * as rs from './resample.ts'; // resampling
import * as vq from './vq.ts'; // vector quantisation
import * as slp from './seq_logprob.ts'; // sequence log-probabilities
// row ops, losses, embedding (softmax.ts, layernorm.ts, loss.ts, embedding.ts)
import * as sm from './softmax.ts';
import * as ln from './layernorm.ts';
import * as ls from './loss.ts';
import * as em from './embedding.ts';
// fused attention, block-causal level masks, VAR head norm (attention.ts, kernels/attention/*)
import * as at from './attention.ts';
// matrix products: matmul, linear (ops/matmul.ts, kernels/matmul/*)
import * as mm from './matmul.ts';
// convolution (and its prepared weights), group norm, nearest ×2 upsampling (ops/conv.ts, conv_tex.ts, groupnorm.ts, upsample.ts;
// kernels/conv, norm/groupnorm*, resample/nearest*)
import * as cv from './conv.ts';
import * as gn from './groupnorm.ts';
import * as up from './upsample.ts';
// max pooling, forward + argmax backward (ops/pool.ts, kernels/pool/*)
import * as pl from './pool.ts';

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
  contiguous: mv.contiguous, copy: mv.copy, concat: mv.concat, pad: mv.pad, assign: mv.assign, asStrided: mv.asStrided,
  // resampling: F.interpolate area / bilinear / bicubic (ops/resample.ts, kernels/resample/resample.wgsl)
  resample: rs.resample,
  // vector quantisation (ops/vq.ts, kernels/quant/*)
  nearestCode: vq.nearestCode, nearestCodeArea: vq.nearestCodeArea, codeNorms: vq.codeNorms, codeLookup: vq.codeLookup,
  codeHistogram: vq.codeHistogram, phiUpdate: vq.phiUpdate, checkIds: vq.checkIds,
  prepareCodebook: vq.prepareCodebook, packPhiWeight: vq.packPhiWeight, vqLoss: vq.vqLoss, straightThrough: vq.straightThrough,
  // sequence log-probabilities: fused log-softmax gather, per-sequence / per-scale sums, CE (ops/seq_logprob.ts, kernels/seqlogp/*)
  seqLogProb: slp.seqLogProb, tokenLogProb: slp.tokenLogProb, levelSum: slp.levelSum,
  // row ops: softmax / log-softmax along any axis (ops/softmax.ts, kernels/softmax/*)
  softmax: sm.softmax, logSoftmax: sm.logSoftmax,
  layerNorm: ln.layerNorm,
  // losses (ops/loss.ts, kernels/loss/*) and the embedding gather (ops/embedding.ts, kernels/embed/*)
  crossEntropy: ls.crossEntropy, mseLoss: ls.mseLoss, l1Loss: ls.l1Loss, embedding: em.embedding,
  // fused attention (ops/attention.ts, kernels/attention/*)
  attention: at.attention, varAttention: at.varAttention, headNorm: at.headNorm, attentionKT: at.attentionKT,
  // matrix products: batched matmul with transpose flags, linear = x·wᵀ + b (ops/matmul.ts, kernels/matmul/*)
  matmul: mm.matmul, linear: mm.linear, prepareLinear: mm.prepareLinear,
  // convolution, its weights prepared once for inference, group norm (and SiLU after it, fused without gradients; and into
  // the conv's input reads after it), nearest ×2 upsampling (ops/conv.ts, ops/groupnorm.ts, ops/upsample.ts)
  conv2d: cv.conv2d, prepareConv: cv.prepareConv, groupNorm: gn.groupNorm, groupNormSilu: gn.groupNormSilu,
  groupNormSiluConv2d: cv.groupNormSiluConv2d, upsampleNearest2x: up.upsampleNearest2x,
  // max pooling (ops/pool.ts, kernels/pool/*)
  maxPool2d: pl.maxPool2d, maxPool2dWithIndices: pl.maxPool2dWithIndices,
} as const;
export type OpName = keyof typeof ops;
