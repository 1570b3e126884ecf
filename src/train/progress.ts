// Training progress: the per-step line (step, loss, images/s, ETA), the JSONL log kept in step with checkpoints,
// and the loss-curve PNG.
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../io/atomic.ts';
import { lineChart, writeChartPng, PALETTE } from '../viz/chart.ts';

/** One logged step: `step` and any numeric fields (loss terms, rates, lr). */
export type LogRow = { step: number } & Record<string, number>;

export function formatDuration(s: number): string {
  if (!Number.isFinite(s) || s < 0) return '?';
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = Math.floor(s % 60);
  return h ? `${h}h${String(m).padStart(2, '0')}m` : m ? `${m}m${String(sec).padStart(2, '0')}s` : `${sec}s`;
}

/** Images/s and ETA over a sliding window of recent steps (the first steps, which compile kernels, drop out). */
export class Progress {
  private readonly times: number[] = [];
  constructor(readonly total: number, readonly batch: number, private readonly window = 20) {}

  /** Call once per finished step; returns the line to print. */
  line(step: number, fields: Record<string, number>): string {
    const now = performance.now();
    this.times.push(now);
    if (this.times.length > this.window + 1) this.times.shift();
    const n = this.times.length - 1;
    const perStep = n > 0 ? (now - this.times[0]!) / n / 1000 : NaN;
    const ips = this.batch / perStep, eta = (this.total - step) * perStep;
    const f = Object.entries(fields).map(([k, v]) => `${k} ${fmt(v)}`).join('  ');
    return `step ${step}/${this.total}  ${f}  ${Number.isFinite(ips) ? ips.toFixed(2) : '-'} img/s  ETA ${n > 0 ? formatDuration(eta) : '?'}`;
  }
}

function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? v.toExponential(3) : v.toFixed(a >= 100 ? 1 : 4);
}

/** The run's JSONL log: appended every step; on resume, cut back to the checkpoint's step so no step appears twice. */
export class RunLog {
  constructor(readonly path: string) {}

  rows(): LogRow[] {
    if (!existsSync(this.path)) return [];
    return readFileSync(this.path, 'utf8').split('\n').filter((l) => l.trim()).map((l, i) => {
      try { return JSON.parse(l) as LogRow; } catch { throw new Error(`${this.path}: line ${i + 1} is not JSON`); }
    });
  }

  /** Keeps only rows with step <= `step` (atomic rewrite); returns them. */
  truncate(step: number): LogRow[] {
    const keep = this.rows().filter((r) => r.step <= step);
    writeFileAtomic(this.path, keep.map((r) => JSON.stringify(r) + '\n').join(''));
    return keep;
  }

  append(row: LogRow) { appendFileSync(this.path, JSON.stringify(row) + '\n'); }
}

/** Loss curves of the chosen fields against step (log y), smoothed over `smooth` steps, written atomically. */
export function writeLossPng(path: string, rows: readonly LogRow[], fields: readonly string[], title: string, smooth = 10): void {
  const series = fields.map((name, i) => {
    const pts = rows.filter((r) => Number.isFinite(r[name]) && r[name]! > 0).map((r) => [r.step, r[name]!] as const);
    const out: [number, number][] = [];
    let acc = 0;
    const win: number[] = [];
    for (const [x, y] of pts) {
      win.push(y); acc += y;
      if (win.length > smooth) acc -= win.shift()!;
      out.push([x, acc / win.length]);
    }
    return { name, color: PALETTE[i % PALETTE.length]!, points: out };
  }).filter((s) => s.points.length > 0);
  if (!series.length) return;
  writeChartPng(path, lineChart({ title, series, xLabel: 'step', yLabel: `loss (mean of ${smooth} steps)`, logY: true }));
}
