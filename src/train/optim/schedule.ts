// Learning-rate schedule: linear warmup then cosine decay to a floor (nanoGPT's get_lr).
export function warmupCosine(step: number, o: { lr: number; warmup: number; total: number; minLr?: number }): number {
  const minLr = o.minLr ?? 0;
  if (step < o.warmup) return (o.lr * (step + 1)) / o.warmup;
  if (step >= o.total) return minLr;
  const t = (step - o.warmup) / Math.max(1, o.total - o.warmup);
  return minLr + 0.5 * (1 + Math.cos(Math.PI * t)) * (o.lr - minLr);
}
