/**
 * The scheduling workloads (bench/core.ts) written for `co` 4.x, the generator runner that
 * Koa 1 was built on. Each is measured alternately with the same native async/await
 * function bench/core.ts uses, so the ratio is co ÷ native from one run.
 *
 * co has no tasks and no loop of its own: `co(gen)` wraps a generator in a Promise and
 * steps it from that promise's `then` callbacks. So
 *
 * - a task is `co(function* () { ... })` — it starts at once and runs to its first yield;
 * - gather is yielding an array of those promises (co turns it into `Promise.all`);
 * - a switch (`sleep(0)`, `await null`) is yielding an already-resolved promise: co resumes
 *   from its `then`, one microtask later, as `await` does;
 * - a future is a promise with its resolve function outside (`deferred()`);
 * - a call is `yield*` — plain generator delegation, which co never sees. co can also run
 *   a yielded generator as a nested co (`yield gen()`, a Promise per level); that is
 *   measured separately as "W4 co call".
 * - W5 (memory of a parked task) is one co per task waiting on one shared promise.
 *
 * co cannot express eager tasks as a separate mode: every co already runs eagerly up to
 * its first yield, which is what W1 measures below, so "W1 eager" has no co row.
 */
import co from 'co';
import { type Measurement, pair, gc } from '../harness.ts';
import {
  W1_N, W2_TASKS, W2_SWITCHES, W3_N, W4_N, W5_N, W6_TASKS, W6_DEPTH, W6_SWITCHES,
  w1Native, w2Native, w3Native, w4Native, w5Native, w6Native, deferred,
} from '../core.ts';

const now = (): number => performance.now();
/** What a co generator yields to let the others run: a settled promise (one microtask). */
const TICK: Promise<void> = Promise.resolve();

// ---- W1: spawn + gather ----
function* w1Child(i: number): Generator<never, number, unknown> { return i; }
function w1Co(): Promise<number> {
  return co(function* (): Generator<unknown, number, number[]> {
    const t0 = now();
    const ps: Promise<number>[] = new Array(W1_N);
    for (let i = 0; i < W1_N; i++) ps[i] = co(w1Child, i);
    const results = yield ps;
    if (results.length !== W1_N) throw new Error('W1 lost results');
    return ((now() - t0) * 1e6) / W1_N;
  });
}

// ---- W2: 100 tasks × sleep(0) ----
function* w2Child(): Generator<unknown, void, unknown> { for (let i = 0; i < W2_SWITCHES; i++) yield TICK; }
function w2Co(): Promise<number> {
  return co(function* (): Generator<unknown, number, unknown> {
    const t0 = now();
    const ps = [];
    for (let i = 0; i < W2_TASKS; i++) ps.push(co(w2Child));
    yield ps;
    return ((now() - t0) * 1e6) / (W2_TASKS * W2_SWITCHES);
  });
}

// ---- W3: ping-pong through fresh futures (deferred promises) ----
function w3Co(): Promise<number> {
  return co(function* (): Generator<unknown, number, number> {
    let toPong = deferred<number>();
    let toPing = deferred<number>();
    function* pong(): Generator<unknown, void, number> {
      for (let i = 0; i < W3_N; i++) {
        const v = yield toPong.promise;
        toPong = deferred<number>();
        toPing.resolve(v + 1);
      }
    }
    const t0 = now();
    const p = co(pong);
    for (let i = 0; i < W3_N; i++) {
      const reply = toPing;
      toPong.resolve(i);
      const v = yield reply.promise;
      if (v !== i + 1) throw new Error('W3 wrong reply');
      toPing = deferred<number>();
    }
    yield p;
    return ((now() - t0) * 1e6) / W3_N;
  });
}

// ---- W4: 10-deep call that never suspends ----
function* w4Nested(depth: number): Generator<unknown, number, unknown> {
  if (depth === 0) return 1;
  return 1 + (yield* w4Nested(depth - 1));
}
function w4Co(): Promise<number> {
  return co(function* (): Generator<unknown, number, unknown> {
    const t0 = now();
    let sum = 0;
    for (let i = 0; i < W4_N; i++) sum += yield* w4Nested(9);
    if (sum !== W4_N * 10) throw new Error('W4 wrong sum');
    return ((now() - t0) * 1e6) / W4_N;
  });
}
/** co's own call: a yielded generator runs as a nested co (a Promise per level). */
function* w4CallNested(depth: number): Generator<unknown, number, number> {
  if (depth === 0) return 1;
  return 1 + (yield w4CallNested(depth - 1));
}
function w4CoCall(): Promise<number> {
  return co(function* (): Generator<unknown, number, number> {
    const t0 = now();
    let sum = 0;
    for (let i = 0; i < W4_N; i++) sum += yield w4CallNested(9);
    if (sum !== W4_N * 10) throw new Error('W4 wrong sum');
    return ((now() - t0) * 1e6) / W4_N;
  });
}

// ---- W5: bytes per parked co ----
function* w5Parked(gate: Promise<void>): Generator<unknown, void, unknown> { yield gate; }
function w5Co(): Promise<number> {
  return co(function* (): Generator<unknown, number, unknown> {
    const gate = deferred<void>();
    gc();
    const before = process.memoryUsage().heapUsed;
    const ps = [];
    for (let i = 0; i < W5_N; i++) ps.push(co(w5Parked, gate.promise));
    yield TICK; // every co has already run to its yield; let their `then`s attach
    gc();
    const bytes = (process.memoryUsage().heapUsed - before) / W5_N;
    gate.resolve();
    yield ps;
    return bytes;
  });
}

// ---- W6: sleep(0) under a 100-deep yield* chain ----
function* w6Chain(depth: number): Generator<unknown, void, unknown> {
  if (depth > 0) return yield* w6Chain(depth - 1);
  for (let i = 0; i < W6_SWITCHES; i++) yield TICK;
}
function w6Co(): Promise<number> {
  return co(function* (): Generator<unknown, number, unknown> {
    const t0 = now();
    const ps = [];
    for (let i = 0; i < W6_TASKS; i++) ps.push(co(w6Chain, W6_DEPTH));
    yield ps;
    return ((now() - t0) * 1e6) / (W6_TASKS * W6_SWITCHES);
  });
}

export async function benchCo(rounds = 7): Promise<Measurement[]> {
  const rows: Measurement[] = [];
  const add = async (key: string, name: string, unit: string, c: () => Promise<number>, n: () => Promise<number>): Promise<void> => {
    const [cv, nv] = await pair(rounds, c, n);
    rows.push({ key, name, unit, yieldio: cv, subject: 'co', peer: nv, peerName: 'async/await' });
  };
  await add('W1', 'W1 spawn + gather', 'ns/task', w1Co, w1Native);
  rows.push({ key: 'W1 eager', name: 'W1 eager tasks', unit: 'ns/task', yieldio: NaN, subject: 'co', peer: NaN, peerName: 'async/await', note: 'every co is already eager (it runs to its first yield inside co()): see W1' });
  await add('W2', 'W2 tasks × sleep(0)', 'ns/switch', w2Co, w2Native);
  await add('W3', 'W3 ping-pong', 'ns/round trip', w3Co, w3Native);
  await add('W4', 'W4 10-deep call (yield*)', 'ns/call', w4Co, w4Native);
  await add('W4 co call', 'W4 10-deep call as co does it (yield gen())', 'ns/call', w4CoCall, w4Native);
  await add('W5', 'W5 parked tasks', 'bytes/task', w5Co, w5Native);
  await add('W6', 'W6 100-deep yield* chain × sleep(0)', 'ns/switch', w6Co, w6Native);
  return rows;
}
