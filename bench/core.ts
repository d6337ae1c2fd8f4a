/**
 * The scheduling workloads W1–W6 (issue #2): yieldio against native async/await.
 *
 *   node --expose-gc --import tsx bench/index.ts core
 */
import { run, createTask, gather, sleep, getRunningLoop, type Coro, type Task } from '../lib/index.ts';
import { type Measurement, pair, gc, scaled, timedRep } from './harness.ts';
import { eagerTaskFactory } from '../lib/eager.ts';
import { TraceRecorder } from '../lib/trace.ts';

const now = (): number => performance.now();

// ---- W1: spawn + gather of 100k tasks that return their index ----
export const W1_N = scaled(100_000);
function* w1Child(i: number): Coro<number> { return i; }
function* w1Main(): Coro<number> {
  const t0 = now();
  const tasks: Task<number>[] = new Array(W1_N);
  for (let i = 0; i < W1_N; i++) tasks[i] = createTask(w1Child(i));
  // Spread, as ../shared/bench-sched/yieldio.mjs writes it (a user's gather(...tasks)).
  const results = yield* gather(...tasks);
  if (results.length !== W1_N) throw new Error('W1 lost results');
  return ((now() - t0) * 1e6) / W1_N;
}
async function w1NativeChild(i: number): Promise<number> { return i; }
export async function w1Native(n = W1_N): Promise<number> {
  const t0 = now();
  const ps: Promise<number>[] = new Array(n);
  for (let i = 0; i < n; i++) ps[i] = w1NativeChild(i);
  const results = await Promise.all(ps);
  if (results.length !== n) throw new Error('W1 lost results');
  return ((now() - t0) * 1e6) / n;
}

// ---- W2: 100 tasks × 10k sleep(0) ----
export const W2_TASKS = 100, W2_SWITCHES = scaled(10_000);
function* w2Child(): Coro<void> { for (let i = 0; i < W2_SWITCHES; i++) yield* sleep(0); }
export function* w2Main(): Coro<number> {
  const t0 = now();
  const tasks = [];
  for (let i = 0; i < W2_TASKS; i++) tasks.push(createTask(w2Child()));
  yield* gather(tasks);
  return ((now() - t0) * 1e6) / (W2_TASKS * W2_SWITCHES);
}
async function w2NativeChild(switches: number): Promise<void> { for (let i = 0; i < switches; i++) await null; }
export async function w2Native(switches = W2_SWITCHES): Promise<number> {
  const t0 = now();
  const ps = [];
  for (let i = 0; i < W2_TASKS; i++) ps.push(w2NativeChild(switches));
  await Promise.all(ps);
  return ((now() - t0) * 1e6) / (W2_TASKS * switches);
}

// ---- W3: ping-pong, 500k round trips through fresh futures ----
export const W3_N = scaled(500_000);
function* w3Main(): Coro<number> {
  const loop = getRunningLoop();
  let toPong = loop.createFuture<number>();
  let toPing = loop.createFuture<number>();
  function* pong(): Coro<void> {
    for (let i = 0; i < W3_N; i++) {
      const v = yield* toPong;
      toPong = loop.createFuture<number>();
      toPing.setResult(v + 1);
    }
  }
  const t0 = now();
  const p = createTask(pong());
  for (let i = 0; i < W3_N; i++) {
    const reply = toPing;
    toPong.setResult(i);
    const v = yield* reply;
    if (v !== i + 1) throw new Error('W3 wrong reply');
    toPing = loop.createFuture<number>();
  }
  yield* p;
  return ((now() - t0) * 1e6) / W3_N;
}
export function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => { resolve = r; });
  return { promise, resolve };
}
export async function w3Native(n = W3_N): Promise<number> {
  let toPong = deferred<number>();
  let toPing = deferred<number>();
  async function pong(): Promise<void> {
    for (let i = 0; i < n; i++) {
      const v = await toPong.promise;
      toPong = deferred<number>();
      toPing.resolve(v + 1);
    }
  }
  const t0 = now();
  const p = pong();
  for (let i = 0; i < n; i++) {
    const reply = toPing;
    toPong.resolve(i);
    const v = await reply.promise;
    if (v !== i + 1) throw new Error('W3 wrong reply');
    toPing = deferred<number>();
  }
  await p;
  return ((now() - t0) * 1e6) / n;
}

// ---- W4: 1M calls of a coroutine nested 10 deep that never suspends ----
export const W4_N = scaled(1_000_000);
function* w4Nested(depth: number): Coro<number> {
  if (depth === 0) return 1;
  return 1 + (yield* w4Nested(depth - 1));
}
function* w4Main(): Coro<number> {
  const t0 = now();
  let sum = 0;
  for (let i = 0; i < W4_N; i++) sum += yield* w4Nested(9);
  if (sum !== W4_N * 10) throw new Error('W4 wrong sum');
  return ((now() - t0) * 1e6) / W4_N;
}
async function w4NativeNested(depth: number): Promise<number> {
  if (depth === 0) return 1;
  return 1 + (await w4NativeNested(depth - 1));
}
export async function w4Native(n = W4_N): Promise<number> {
  const t0 = now();
  let sum = 0;
  for (let i = 0; i < n; i++) sum += await w4NativeNested(9);
  if (sum !== n * 10) throw new Error('W4 wrong sum');
  return ((now() - t0) * 1e6) / n;
}

// ---- W5: bytes per task with 100k tasks parked on one future (after gc) ----
export const W5_N = scaled(100_000);
function* w5Parked(gate: import('../lib/index.ts').Future<void>): Coro<void> { yield* gate; }
function* w5Main(): Coro<number> {
  const loop = getRunningLoop();
  const gate = loop.createFuture<void>();
  gc();
  const before = process.memoryUsage().heapUsed;
  const tasks = [];
  for (let i = 0; i < W5_N; i++) tasks.push(createTask(w5Parked(gate)));
  yield* sleep(0); // every task takes its first step and parks on the gate
  yield* sleep(0);
  gc();
  const bytes = (process.memoryUsage().heapUsed - before) / W5_N;
  gate.setResult();
  yield* gather(tasks);
  return bytes;
}
async function w5NativeParked(gate: Promise<void>): Promise<void> { await gate; }
export async function w5Native(n = W5_N): Promise<number> {
  const gate = deferred<void>();
  gc();
  const before = process.memoryUsage().heapUsed;
  const ps = [];
  for (let i = 0; i < n; i++) ps.push(w5NativeParked(gate.promise));
  await null;
  gc();
  const bytes = (process.memoryUsage().heapUsed - before) / n;
  gate.resolve();
  await Promise.all(ps);
  return bytes;
}

// ---- W6: 10 tasks each under a 100-deep yield* chain doing 10k sleep(0) ----
export const W6_TASKS = 10, W6_DEPTH = 100, W6_SWITCHES = scaled(10_000);
function* w6Chain(depth: number): Coro<void> {
  if (depth > 0) return yield* w6Chain(depth - 1);
  for (let i = 0; i < W6_SWITCHES; i++) yield* sleep(0);
}
function* w6Main(): Coro<number> {
  const t0 = now();
  const tasks = [];
  for (let i = 0; i < W6_TASKS; i++) tasks.push(createTask(w6Chain(W6_DEPTH)));
  yield* gather(tasks);
  return ((now() - t0) * 1e6) / (W6_TASKS * W6_SWITCHES);
}
async function w6NativeChain(depth: number, switches: number): Promise<void> {
  if (depth > 0) return w6NativeChain(depth - 1, switches);
  for (let i = 0; i < switches; i++) await null;
}
export async function w6Native(switches = W6_SWITCHES): Promise<number> {
  const t0 = now();
  const ps = [];
  for (let i = 0; i < W6_TASKS; i++) ps.push(w6NativeChain(W6_DEPTH, switches));
  await Promise.all(ps);
  return ((now() - t0) * 1e6) / (W6_TASKS * switches);
}

/**
 * W1's rounds are short (~50 ms) and half young-generation GC on both sides, so single
 * rounds vary up to 2× (350–950 ns/task for yieldio, 120–390 for async/await in one
 * process); it gets more rounds than the others for a median that holds still.
 */
const W1_ROUNDS = 15;

/**
 * The workloads as ../shared/bench-sched measures them, so that both agree: each rep is
 * one whole `run()` from outside (timedRep), GC before each, yieldio and async/await
 * alternating, medians. The bodies' own inside timings (what each workload function
 * returns) are not used here; bench/ab.ts still uses them to compare two copies of lib/
 * on the loop's cost alone, and says so.
 */
export async function benchCore(rounds = 7): Promise<Measurement[]> {
  const rows: Measurement[] = [];
  const add = async (name: string, unit: string, target: number | undefined, ops: number, y: () => Coro<number>, n: () => Promise<number>, r = rounds): Promise<void> => {
    const [yv, nv] = await pair(r, () => timedRep(ops, () => run(y())), () => timedRep(ops, n));
    rows.push({ name, unit, yieldio: yv, peer: nv, peerName: 'async/await', target });
  };
  await add('W1 spawn + gather 100k', 'ns/task', 1.5, W1_N, w1Main, () => w1Native(), Math.max(rounds, W1_ROUNDS));
  {
    // W1 again with asyncio 3.12's eager tasks: each child runs to completion inside
    // createTask, so it never enters the ready queue (issue #3).
    const eager = () => run(w1Main(), { setup: (loop) => loop.setTaskFactory(eagerTaskFactory) });
    const [yv, nv] = await pair(Math.max(rounds, W1_ROUNDS), () => timedRep(W1_N, eager), () => timedRep(W1_N, () => w1Native()));
    rows.push({ name: 'W1 eager tasks', unit: 'ns/task', yieldio: yv, peer: nv, peerName: 'async/await', target: 1.2 });
  }
  const switches = W2_TASKS * W2_SWITCHES;
  await add('W2 100 tasks × 10k sleep(0)', 'ns/switch', 1.0, switches, w2Main, () => w2Native());
  await add('W3 ping-pong 500k', 'ns/round trip', 1.2, W3_N, w3Main, () => w3Native());
  await add('W4 10-deep call, no suspension, 1M', 'ns/call', 0.5, W4_N, w4Main, () => w4Native());
  {
    // Bytes, not time: measured inside, between two collections, as the reference does.
    const [yv, nv] = await pair(rounds, () => run(w5Main()), () => w5Native());
    rows.push({ name: 'W5 100k parked tasks', unit: 'bytes/task', yieldio: yv, peer: nv, peerName: 'async/await', target: 0.75 });
  }
  await add('W6 100-deep yield* chain × 10k sleep(0)', 'ns/switch', undefined, W6_TASKS * W6_SWITCHES, w6Main, () => w6Native());
  return rows;
}

/**
 * What tracing costs (issue #6): W2 run with a TraceRecorder against W2 without one, in
 * the same process. "Off" costs one field check per step, which bench W3 cannot tell
 * apart from a build with the hooks deleted (docs/benchmarks-core.md).
 */
export async function benchTrace(rounds = 7): Promise<Measurement[]> {
  const [on, off] = await pair(rounds, () => run(w2Main(), { trace: new TraceRecorder() }), () => run(w2Main()));
  return [{ name: 'W2 with tracing on', unit: 'ns/switch', yieldio: on, peer: off, peerName: 'yieldio, tracing off' }];
}
