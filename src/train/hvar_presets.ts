// H-VAR transformer configurations: `tiny` for tests, `small` for the embedded model, `d16` as in the paper (≈310 M).
import type { HVARConfigInput } from '../models/hvar/index.ts';

export const HVAR_PRESETS: Record<string, HVARConfigInput> = {
  tiny: { depth: 2, embedDim: 64, numHeads: 1 },
  small: { depth: 6, embedDim: 256, numHeads: 4 },
  d16: { depth: 16, embedDim: 1024, numHeads: 16 },
};
