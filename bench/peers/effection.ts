/**
 * The scheduling workloads (bench/core.ts) written for effection 4.x, the structured-
 * concurrency library on generators — yieldio's closest relative in TypeScript. Each is
 * measured alternately with the native async/await function bench/core.ts uses.
 *
 * - `run(op)` is effection's entry point (a Task that is also a Promise), as `run()` is ours;
 * - a task is `yield* spawn(op)`; gather is `yield* all(tasks)`;
 * - a future is `withResolvers()`: an operation plus resolve/reject functions;
 * - a call is `yield*`, as in yieldio.
 * - a switch is `yield* yieldNow()`, an `action` resolved from a microtask. effection has no
 *   "let the others run" of its own: its `sleep(0)` is a `setTimeout(0)`, which Node clamps
 *   to 1 ms, so W2 with it would measure the timer, not the scheduler.
 *
 * Counts: 1/100 of bench/core.ts's except W4 (and the native side is run at the same counts).
 * effection 4.1 spends a few µs per suspension (3.6 spent 60–600 µs, which is why the
 * project moved to 4.x) and W1's spawn+all grows faster than linearly (~160 µs per task
 * at 1000 tasks), so full counts would take minutes per round;
 * figures are per operation, and the reduced counts are printed in the report.
 *
 * effection has no eager task factory: a spawned operation already starts at once and runs
 * to its first suspension inside `spawn`, which is what W1 measures, so "W1 eager" has no
 * effection row.
 */
import { run, spawn, all, action, withResolvers, type Operation, type Task } from 'effection';
import { type Measurement, pair, gc } from '../harness.ts';
import * as core from '../core.ts';
import { w1Native, w2Native, w3Native, w4Native, w5Native, w6Native, W2_TASKS, W6_TASKS, W6_DEPTH } from '../core.ts';

/** effection runs every workload at 1/REDUCE of the counts (see above). */
export const EFFECTION_REDUCE = 100;
const reduce = (n: number): number => Math.max(1, Math.round(n / EFFECTION_REDUCE));
const W1_N = reduce(core.W1_N), W2_SWITCHES = reduce(core.W2_SWITCHES), W3_N = reduce(core.W3_N);
/** W4 never suspends, so effection's scheduler is not involved: full count. */
const W4_N = core.W4_N, W5_N = reduce(core.W5_N), W6_SWITCHES = reduce(core.W6_SWITCHES);

const now = (): number => performance.now();
const noop = (): void => {};

/** Suspends until the next microtask: the `await null` of effection. */
function yieldNow(): Operation<void> {
  return action<void>((resolve) => {
    queueMicrotask(() => resolve());
    return noop;
  });
}

// ---- W1: spawn + gather ----
function* w1Child(i: number): Operation<number> { return i; }
function* w1Main(): Operation<number> {
  const t0 = now();
  const tasks: Task<number>[] = new Array(W1_N);
  for (let i = 0; i < W1_N; i++) tasks[i] = yield* spawn(() => w1Child(i));
  const results = yield* all(tasks);
  if (results.length !== W1_N) throw new Error('W1 lost results');
  return ((now() - t0) * 1e6) / W1_N;
}

// ---- W2: 100 tasks × sleep(0) ----
function* w2Child(): Operation<void> { for (let i = 0; i < W2_SWITCHES; i++) yield* yieldNow(); }
function* w2Main(): Operation<number> {
  const t0 = now();
  const tasks: Task<void>[] = [];
  for (let i = 0; i < W2_TASKS; i++) tasks.push(yield* spawn(w2Child));
  yield* all(tasks);
  return ((now() - t0) * 1e6) / (W2_TASKS * W2_SWITCHES);
}

// ---- W3: ping-pong through fresh futures (withResolvers) ----
function* w3Main(): Operation<number> {
  let toPong = withResolvers<number>();
  let toPing = withResolvers<number>();
  function* pong(): Operation<void> {
    for (let i = 0; i < W3_N; i++) {
      const v = yield* toPong.operation;
      toPong = withResolvers<number>();
      toPing.resolve(v + 1);
    }
  }
  const t0 = now();
  const p = yield* spawn(pong);
  for (let i = 0; i < W3_N; i++) {
    const reply = toPing;
    toPong.resolve(i);
    const v = yield* reply.operation;
    if (v !== i + 1) throw new Error('W3 wrong reply');
    toPing = withResolvers<number>();
  }
  yield* p;
  return ((now() - t0) * 1e6) / W3_N;
}

// ---- W4: 10-deep call that never suspends ----
function* w4Nested(depth: number): Operation<number> {
  if (depth === 0) return 1;
  return 1 + (yield* w4Nested(depth - 1));
}
function* w4Main(): Operation<number> {
  const t0 = now();
  let sum = 0;
  for (let i = 0; i < W4_N; i++) sum += yield* w4Nested(9);
  if (sum !== W4_N * 10) throw new Error('W4 wrong sum');
  return ((now() - t0) * 1e6) / W4_N;
}

// ---- W5: bytes per task parked on one future ----
function* w5Main(): Operation<number> {
  const gate = withResolvers<void>();
  gc();
  const before = process.memoryUsage().heapUsed;
  const tasks: Task<void>[] = [];
  for (let i = 0; i < W5_N; i++) tasks.push(yield* spawn(() => gate.operation));
  yield* yieldNow();
  yield* yieldNow();
  gc();
  const bytes = (process.memoryUsage().heapUsed - before) / W5_N;
  gate.resolve();
  yield* all(tasks);
  return bytes;
}

// ---- W6: sleep(0) under a 100-deep yield* chain ----
function* w6Chain(depth: number): Operation<void> {
  if (depth > 0) return yield* w6Chain(depth - 1);
  for (let i = 0; i < W6_SWITCHES; i++) yield* yieldNow();
}
function* w6Main(): Operation<number> {
  const t0 = now();
  const tasks: Task<void>[] = [];
  for (let i = 0; i < W6_TASKS; i++) tasks.push(yield* spawn(() => w6Chain(W6_DEPTH)));
  yield* all(tasks);
  return ((now() - t0) * 1e6) / (W6_TASKS * W6_SWITCHES);
}

export async function benchEffection(rounds = 7): Promise<Measurement[]> {
  const rows: Measurement[] = [];
  const add = async (key: string, name: string, unit: string, e: () => Operation<number>, n: () => Promise<number>): Promise<void> => {
    const [ev, nv] = await pair(rounds, () => run(e), n);
    rows.push({ key, name, unit, yieldio: ev, subject: 'effection', peer: nv, peerName: 'async/await' });
  };
  await add('W1', `W1 spawn + all ${W1_N}`, 'ns/task', w1Main, () => w1Native(W1_N));
  rows.push({ key: 'W1 eager', name: 'W1 eager tasks', unit: 'ns/task', yieldio: NaN, subject: 'effection', peer: NaN, peerName: 'async/await', note: 'spawn is already eager (the child runs to its first suspension inside spawn): see W1' });
  await add('W2', `W2 ${W2_TASKS} tasks × ${W2_SWITCHES} yields`, 'ns/switch', w2Main, () => w2Native(W2_SWITCHES));
  await add('W3', `W3 ping-pong ${W3_N}`, 'ns/round trip', w3Main, () => w3Native(W3_N));
  await add('W4', `W4 10-deep call (yield*), ${W4_N}`, 'ns/call', w4Main, () => w4Native(W4_N));
  await add('W5', `W5 ${W5_N} parked tasks`, 'bytes/task', w5Main, () => w5Native(W5_N));
  await add('W6', `W6 ${W6_TASKS} × ${W6_DEPTH}-deep yield* chain × ${W6_SWITCHES} yields`, 'ns/switch', w6Main, () => w6Native(W6_SWITCHES));
  return rows;
}
