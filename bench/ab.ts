/**
 * A/B: two copies of lib/ on one workload, against native async/await, to measure what a
 * change to the core buys. How docs/benchmarks-core.md's before/after figures were taken.
 *
 *   git worktree add /tmp/yieldio-before <commit>
 *   node --expose-gc --import tsx bench/ab.ts w3 /tmp/yieldio-before/lib lib
 *   node --expose-gc --import tsx bench/ab.ts w1 /tmp/yieldio-before/lib lib
 *
 * w3 (ping-pong, 500k round trips) runs A, B and native in one process, rotating their
 * order each round; its rounds are steady (two identical copies agree within ~2 %).
 * w1 (spawn + gather, 100k tasks) is half young-generation GC and its rounds swing 2×
 * with heap state, so each copy runs in a process of its own, with a full collection
 * before every round — slower in absolute terms than `npm run bench`, but repeatable to
 * ~5 %. Medians of `rounds` (default 15).
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { median } from './harness.ts';
import { w1Native, w3Native } from './core.ts';

type Lib = typeof import('../lib/index.ts');

const [which = '', dirA = '', dirB = '', roundsText = '15'] = process.argv.slice(2);
const rounds = Number(roundsText);
const N1 = 100_000;
const N3 = 500_000;

/** W1 of bench/core.ts against a given copy of lib/. */
function w1(L: Lib): () => Promise<number> {
  function* child(i: number): Generator<unknown, number, unknown> { return i; }
  function* main(): Generator<unknown, number, unknown> {
    const t0 = performance.now();
    const tasks = new Array(N1);
    for (let i = 0; i < N1; i++) tasks[i] = L.createTask(child(i));
    const results = yield* L.gather(tasks);
    if (results.length !== N1) throw new Error('W1 lost results');
    return ((performance.now() - t0) * 1e6) / N1;
  }
  return () => L.run(main());
}

/** W3 of bench/core.ts against a given copy of lib/. */
function w3(L: Lib): () => Promise<number> {
  function* main(): Generator<unknown, number, unknown> {
    const loop = L.getRunningLoop();
    let toPong = loop.createFuture<number>();
    let toPing = loop.createFuture<number>();
    function* pong(): Generator<unknown, void, unknown> {
      for (let i = 0; i < N3; i++) {
        const v = yield* toPong;
        toPong = loop.createFuture<number>();
        toPing.setResult(v + 1);
      }
    }
    const t0 = performance.now();
    const p = L.createTask(pong());
    for (let i = 0; i < N3; i++) {
      const reply = toPing;
      toPong.setResult(i);
      if ((yield* reply) !== i + 1) throw new Error('W3 wrong reply');
      toPing = loop.createFuture<number>();
    }
    yield* p;
    return ((performance.now() - t0) * 1e6) / N3;
  }
  return () => L.run(main());
}

const load = async (dir: string): Promise<Lib> => import(path.resolve(dir, 'index.ts')) as Promise<Lib>;
const gc = (globalThis as { gc?: () => void }).gc;

async function oneProcessW3(): Promise<void> {
  const runs = [w3(await load(dirA)), w3(await load(dirB)), () => w3Native(N3)];
  const times: number[][] = [[], [], []];
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < 3; k++) {
      const i = (k + r) % 3;
      times[i]!.push(await runs[i]!());
    }
  }
  const [a, b, n] = times.map(median) as [number, number, number];
  console.log(`w3  A ${a.toFixed(0)}  B ${b.toFixed(0)}  native ${n.toFixed(0)} ns/round trip  |  A÷native ${(a / n).toFixed(2)}  B÷native ${(b / n).toFixed(2)}  B÷A ${(b / a).toFixed(3)}`);
}

/** The child side of w1: one copy (or native), `rounds` rounds after a full gc each. */
async function childW1(target: string): Promise<void> {
  const f = target === 'native' ? () => w1Native(N1) : w1(await load(target));
  const times: number[] = [];
  for (let r = 0; r < rounds; r++) {
    gc?.();
    times.push(await f());
  }
  console.log(median(times).toFixed(1));
}

function separateProcessesW1(): void {
  const self = process.argv[1] as string;
  const measure = (target: string): number => {
    const out = spawnSync(process.execPath, [...process.execArgv, self, 'w1-child', target, '', String(rounds)], { encoding: 'utf8' });
    if (out.status !== 0) throw new Error(out.stderr);
    return Number(out.stdout.trim());
  };
  const rows: number[][] = [[], [], []];
  for (let r = 0; r < 3; r++) [dirA, dirB, 'native'].forEach((t, i) => rows[i]!.push(measure(t)));
  const [a, b, n] = rows.map(median) as [number, number, number];
  console.log(`w1  A ${a.toFixed(0)}  B ${b.toFixed(0)}  native ${n.toFixed(0)} ns/task (gc before each round)  |  A÷native ${(a / n).toFixed(2)}  B÷native ${(b / n).toFixed(2)}  B÷A ${(b / a).toFixed(3)}`);
}

if (which === 'w3') await oneProcessW3();
else if (which === 'w1') separateProcessesW1();
else if (which === 'w1-child') await childW1(dirA);
else {
  console.error('usage: node --expose-gc --import tsx bench/ab.ts <w1|w3> <libA> <libB> [rounds]');
  process.exit(2);
}
