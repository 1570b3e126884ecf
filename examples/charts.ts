// Renders docs/chart_examples/bar.png (GFLOP/s as a fraction of peak, hvar vs a peer) and line.png (loss curves, log y).
// Run: npx esbuild --bundle --platform=node --format=esm --packages=external examples/charts.ts --outfile=.build/charts.mjs && node .build/charts.mjs
import { mkdirSync } from 'node:fs';
import { barChart, lineChart, writeChartPng } from '../src/viz/chart.ts';

const OUT = 'docs/chart_examples';
mkdirSync(OUT, { recursive: true });

// Illustrative numbers (not measurements): achieved GFLOP/s over an assumed 20,000 GFLOP/s adapter peak.
const PEAK = 20000;
const cases: [string, number, number][] = [
  ['matmul 2240x1024x4096', 14100, 11800], ['matmul 1024x1024x1024', 9600, 10400], ['matmul 4096x4096x4096', 16900, 15200],
  ['batched matmul 16x256x64', 3100, 2400], ['attention 1x8x1024x64', 7400, 3900], ['conv2d 3x3 64->64 128px', 6200, 5100],
  ['layernorm 4096x1024', 820, 640], ['softmax 8x1024x1024', 1150, 1300], ['gelu 16M', 410, 380], ['adamw step 25M params', 530, 0],
];
const bar = barChart({
  title: 'GFLOP/s per case, as a fraction of adapter peak',
  series: [{ name: 'hvar', color: '#1f77b4' }, { name: 'tfjs-webgpu', color: '#ff7f0e' }],
  groups: cases.map(([label, a, b]) => ({
    label,
    bars: [{ series: 'hvar', value: a / PEAK, note: `${a} GF/s` }, ...(b ? [{ series: 'tfjs-webgpu', value: b / PEAK, note: `${b} GF/s` }] : [])],
  })),
  yLabel: `share of the adapter's peak (${PEAK} GFLOP/s)`,
  valueFormat: (v) => `${(100 * v).toFixed(1)} %`,
  tickFormat: (v) => `${Math.round(100 * v)} %`,
  yMax: 1,
  refLine: { value: 1, label: 'FMA peak (100 %)' },
});
writeChartPng(`${OUT}/bar.png`, bar);

// A synthetic loss curve per run: exponential decay to a floor with deterministic wiggle.
const curve = (l0: number, floor: number, tau: number, phase: number): [number, number][] =>
  Array.from({ length: 201 }, (_, i) => {
    const step = i * 50;
    return [step, floor + (l0 - floor) * Math.exp(-step / tau) * (1 + 0.08 * Math.sin(step / 170 + phase))];
  });
const line = lineChart({
  title: 'Training loss (synthetic example)',
  series: [
    { name: 'lr 3e-4', color: '#1f77b4', points: curve(6.5, 0.42, 1400, 0) },
    { name: 'lr 1e-3', color: '#d62728', points: curve(6.5, 0.31, 700, 1) },
    { name: 'lr 1e-3, warmup 500', color: '#2ca02c', points: curve(6.5, 0.27, 900, 2) },
  ],
  xLabel: 'step',
  yLabel: 'loss (log scale)',
  logY: true,
});
writeChartPng(`${OUT}/line.png`, line);
console.log(`wrote ${OUT}/bar.png (${bar.orientation}) and ${OUT}/line.png`);
