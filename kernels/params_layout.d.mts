// Types of kernels/params_layout.mjs (the bundler's struct Params reader), for tests that import it.
export interface LayoutField { name: string; type: string; kind: 'u' | 'i' | 'f'; offset: number; lanes: number; count: number; stride: number }
export function paramsLayout(kernel: string, src: string): { bytes: number; fields: LayoutField[] };
export function fieldTsType(f: LayoutField): string;
