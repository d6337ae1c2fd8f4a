/**
 * The Node border (issue #10): what a coroutine pays to wait on a Promise, against
 * async code awaiting the same Promise, in the same process.
 *
 *   node --expose-gc --import tsx bench/index.ts border
 *
 * Each rep is one whole `run()` timed from outside (a fresh loop, as a user calls it),
 * and on the native side one whole async call; GC before each rep.
 *
 * - P1: `yield* wrapPromise(Promise.resolve(i))` 100k times in one task, against
 *   `await Promise.resolve(i)`. The yieldio side pays the Promise reaction, the
 *   future, the outside-wait bookkeeping, and one loop iteration per await (the
 *   coroutine resumes in the loop, never in the microtask: docs/decisions.md); the
 *   driver wakes through setImmediate when the loop had gone idle.
 * - P2: the same with 100 tasks awaiting at once (1k each), where one driver tick
 *   serves many settled Promises.
 */
import { run, createTask, gather, wrapPromise, type Coro, type Task } from '../lib/index.ts';
import { type Measurement, pair, scaled, timedRep } from './harness.ts';


export const P1_N = scaled(100_000);
function* p1Main(n: number): Coro<number> {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += yield* wrapPromise(Promise.resolve(i));
  return sum;
}
async function p1Native(n: number): Promise<number> {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += await Promise.resolve(i);
  return sum;
}

export const P2_TASKS = 100, P2_EACH = scaled(1_000);
function* p2Main(): Coro<number> {
  const tasks: Task<number>[] = [];
  for (let t = 0; t < P2_TASKS; t++) tasks.push(createTask(p1Main(P2_EACH)));
  const sums = yield* gather(tasks);
  return sums.length;
}
async function p2Native(): Promise<number> {
  const ps: Promise<number>[] = [];
  for (let t = 0; t < P2_TASKS; t++) ps.push(p1Native(P2_EACH));
  return (await Promise.all(ps)).length;
}

export async function benchBorder(rounds = 7): Promise<Measurement[]> {
  const [p1y, p1n] = await pair(rounds, () => timedRep(P1_N, () => run(p1Main(P1_N))), () => timedRep(P1_N, () => p1Native(P1_N)));
  const total = P2_TASKS * P2_EACH;
  const [p2y, p2n] = await pair(rounds, () => timedRep(total, () => run(p2Main())), () => timedRep(total, () => p2Native()));
  return [
    { name: 'P1 yield* wrapPromise(resolved) vs await, 1 task × 100k', unit: 'ns/await', yieldio: p1y, peer: p1n, peerName: 'async/await' },
    { name: 'P2 the same, 100 tasks × 1k', unit: 'ns/await', yieldio: p2y, peer: p2n, peerName: 'async/await' },
  ];
}
