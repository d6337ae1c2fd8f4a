/**
 * The benchmark harness: every workload is a pair (yieldio, peer) measured in the same
 * process, alternating, several rounds; we report medians and the ratio yieldio ÷ peer.
 * Absolute figures on these shared 2-core machines drift from run to run; ratios taken
 * in one run, with the two sides interleaved, are what stays comparable.
 */
export interface Measurement {
  name: string;
  unit: string;
  yieldio: number;
  peer: number;
  peerName: string;
  target?: number;
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

export function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (!g) throw new Error('run the benchmarks with node --expose-gc (npm run bench does).');
  g();
  g();
}

export function formatTable(rows: Measurement[]): string {
  const lines = [
    '| workload | yieldio | peer | ratio | target |',
    '| --- | ---: | ---: | ---: | ---: |',
  ];
  for (const r of rows) {
    const ratio = r.yieldio / r.peer;
    const target = r.target === undefined ? '—' : `≤ ${r.target.toFixed(1)}×${ratio <= r.target ? ' ✓' : ' ✗'}`;
    lines.push(`| ${r.name} | ${fmt(r.yieldio)} ${r.unit} | ${fmt(r.peer)} ${r.unit} (${r.peerName}) | ${ratio.toFixed(2)}× | ${target} |`);
  }
  return lines.join('\n');
}

function fmt(n: number): string {
  return n >= 100 ? n.toFixed(0) : n.toFixed(1);
}
