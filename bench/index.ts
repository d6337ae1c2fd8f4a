/**
 * `npm run bench` — every benchmark, ratios against the peer measured in the same run.
 *
 *   npm run bench               all groups
 *   npm run bench -- core       only the scheduling workloads (W1–W6)
 *
 * Run it on a quiet machine: the two cores are shared, and another process skews both
 * sides of a pair but not equally.
 */
import os from 'node:os';
import { benchCore } from './core.ts';
import { benchHttp } from './http.ts';
import { benchQueue, benchLock } from './locks-queues.ts';
import { formatTable, type Measurement } from './harness.ts';

const groups: Record<string, () => Promise<Measurement[]>> = {
  core: () => benchCore(),
  http: () => benchHttp(),
  sync: async () => {
    const rows: Measurement[] = [];
    for (const r of [await benchQueue(), await benchLock()]) {
      rows.push({ name: r.name, unit: 'ns/op', yieldio: r.yieldioNs, peer: r.nativeNs, peerName: 'async/await + promise peer' });
    }
    return rows;
  },
};

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const names = wanted.length > 0 ? wanted : Object.keys(groups);
console.log(`yieldio benchmarks — node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${new Date().toISOString().slice(0, 10)}`);
for (const name of names) {
  const group = groups[name];
  if (!group) throw new Error(`unknown benchmark group ${name}; known: ${Object.keys(groups).join(', ')}`);
  const rows = await group();
  console.log(`\n## ${name}\n\n${formatTable(rows)}`);
}
