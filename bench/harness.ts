/**
 * The benchmark harness: every workload is a pair (yieldio, peer) measured in the same
 * process, alternating, several rounds; we report medians and the ratio yieldio ÷ peer.
 * Absolute figures on these shared 2-core machines drift from run to run; ratios taken
 * in one run, with the two sides interleaved, are what stays comparable.
 */
export interface Measurement {
  name: string;
  unit: string;
  /** The measured figure: yieldio's, or `subject`'s when another runtime is measured. */
  yieldio: number;
  /** The baseline measured alternately with it in the same run (NaN: none, see `subject`). */
  peer: number;
  peerName: string;
  target?: number;
  /** What `yieldio` holds when it is not yieldio: 'co', 'effection', 'CPython asyncio'… */
  subject?: string;
  /** The workload this row measures ('W1', 'W1 eager', …), to join rows across groups. */
  key?: string;
  /** Why a workload has no figure for this subject (the figures are then NaN). */
  note?: string;
}

/**
 * `BENCH_SCALE=0.01 npm run bench` multiplies every iteration count by 0.01 — a smoke test
 * of the pipeline, not a measurement. The shape of a workload (100 tasks, a 100-deep chain)
 * does not scale.
 */
export const SCALE = benchScale(process.env.BENCH_SCALE);

function benchScale(text: string | undefined): number {
  const n = text === undefined || text === '' ? 1 : Number(text);
  if (!(n > 0)) throw new Error(`BENCH_SCALE must be a positive number, got ${text}`);
  return n;
}

/** An iteration count under BENCH_SCALE (at least 1). */
export function scaled(n: number): number {
  return Math.max(1, Math.round(n * SCALE));
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Runs `a` and `b` alternately `rounds` times (after a warm-up of each); medians of what they return. */
export async function pair(rounds: number, a: () => Promise<number>, b: () => Promise<number>): Promise<[number, number]> {
  await a();
  await b();
  const as: number[] = [];
  const bs: number[] = [];
  for (let i = 0; i < rounds; i++) {
    if (i % 2 === 0) {
      as.push(await a());
      bs.push(await b());
    } else {
      bs.push(await b());
      as.push(await a());
    }
  }
  return [median(as), median(bs)];
}

/**
 * One rep as a user meets it (the method of ../shared/bench-sched): a forced GC first
 * (not timed), then the whole call — `run()` with its fresh loop, driver start and
 * shutdown, or the whole async function — timed from outside; ns per op.
 */
export async function timedRep(ops: number, fn: () => Promise<unknown>): Promise<number> {
  gc();
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / ops;
}

export function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (!g) throw new Error('run the benchmarks with node --expose-gc (npm run bench does).');
  g();
  g();
}

export function formatTable(rows: Measurement[]): string {
  const subjects = rows.some((r) => r.subject !== undefined);
  const lines = [
    `| workload | ${subjects ? 'measured' : 'yieldio'} | peer | ratio | target |`,
    '| --- | ---: | ---: | ---: | ---: |',
  ];
  for (const r of rows) {
    const measured = r.note ?? `${fmt(r.yieldio)} ${r.unit}${subjects ? ` (${r.subject ?? 'yieldio'})` : ''}`;
    const peer = Number.isNaN(r.peer) ? '—' : `${fmt(r.peer)} ${r.unit} (${r.peerName})`;
    const ratio = r.yieldio / r.peer;
    const target = r.target === undefined || Number.isNaN(ratio) ? '—' : `≤ ${r.target.toFixed(1)}×${ratio <= r.target ? ' ✓' : ' ✗'}`;
    lines.push(`| ${r.name} | ${measured} | ${peer} | ${Number.isNaN(ratio) ? '—' : `${ratio.toFixed(2)}×`} | ${target} |`);
  }
  return lines.join('\n');
}

export function fmt(n: number): string {
  return n >= 100 ? n.toFixed(0) : n.toFixed(1);
}
