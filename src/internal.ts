// hvar/internal: what model code needs to write fused ops of its own (custom autograd nodes, views, elementwise
// expressions, kernel launches). Stable within a minor version; ops themselves live in src/engine/ops.
export { record } from './engine/autograd.ts';
export { view } from './engine/tensor.ts';
export { mapN } from './engine/ops/map.ts';
