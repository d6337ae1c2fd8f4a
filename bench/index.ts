/**
 * `npm run bench` — every benchmark, ratios against the peer measured in the same run.
 *
 *   npm run bench                         all groups
 *   npm run bench -- core                 only the scheduling workloads (W1–W6)
 *   npm run bench -- core co effection    yieldio, co and effection on W1–W6
 *   npm run bench -- --report             all groups, then docs/benchmarks.md and its charts
 *   BENCH_SCALE=0.01 npm run bench -- --report   the same at 1/100 of the counts: a smoke
 *                                         test of the pipeline (don't commit its numbers)
 *
 * Groups: core (yieldio vs native), border (wrapPromise vs await), http (vs undici and node:http), sync (Queue, Lock),
 * co, effection, cpython (CPython asyncio and uvloop via bench/python/workloads.py).
 *
 * Run it on a quiet machine: the two cores are shared, and another process skews both
 * sides of a pair but not equally.
 */
import os from 'node:os';
import { benchCore, benchTrace } from './core.ts';
import { benchBorder } from './border.ts';
import { benchHttp } from './http.ts';
import { benchQueue, benchLock } from './locks-queues.ts';
import { benchCo } from './peers/co.ts';
import { benchEffection, EFFECTION_REDUCE } from './peers/effection.ts';
import { benchCPython } from './peers/cpython.ts';
import { formatTable, SCALE, type Measurement } from './harness.ts';
import { writeReport } from './report.ts';

const groups: Record<string, () => Promise<Measurement[]>> = {
  core: () => benchCore(),
  trace: () => benchTrace(),
  border: () => benchBorder(),
  http: () => benchHttp(),
  sync: async () => {
    const rows: Measurement[] = [];
    for (const r of [await benchQueue(SCALE), await benchLock(SCALE)]) {
      rows.push({ name: r.name, unit: 'ns/op', yieldio: r.yieldioNs, peer: r.nativeNs, peerName: 'async/await + promise peer' });
    }
    return rows;
  },
  co: () => benchCo(),
  effection: () => benchEffection(),
  cpython: () => benchCPython(),
};

const args = process.argv.slice(2);
const report = args.includes('--report');
const wanted = args.filter((a) => !a.startsWith('-'));
const names = wanted.length > 0 ? wanted : Object.keys(groups);
const cpus = os.cpus();
const machine = `${cpus[0]?.model.trim() ?? 'cpu'} × ${cpus.length}`;
const date = new Date().toISOString().slice(0, 10);
console.log(`yieldio benchmarks — node ${process.version}, ${machine}, ${date}${SCALE === 1 ? '' : `, BENCH_SCALE=${SCALE}`}`);
const results: Record<string, Measurement[]> = {};
for (const name of names) {
  const group = groups[name];
  if (!group) throw new Error(`unknown benchmark group ${name}; known: ${Object.keys(groups).join(', ')}`);
  const rows = await group();
  results[name] = rows;
  console.log(`\n## ${name}\n\n${formatTable(rows)}`);
}

if (report) {
  const command = `${SCALE === 1 ? '' : `BENCH_SCALE=${SCALE} `}npm run bench -- ${args.join(' ')}`;
  const notes = results.effection
    ? [`effection runs at 1/${EFFECTION_REDUCE} of these counts except W4 (bench/peers/effection.ts says why), its native side at the same counts.`]
    : [];
  const written = writeReport({ groups: results, command, machine, node: process.version, date, scale: SCALE, notes });
  console.log(`\nreport: ${written.join(', ')}`);
}
