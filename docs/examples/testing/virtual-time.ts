/**
 * docs/testing.md, "Virtual time": code that sleeps, times out and reads the clock,
 * tested in milliseconds. Real code: lib/clock.ts → VirtualClock; lib/driver.ts → Driver.
 *
 * `run(main, { virtualTime: true })` runs `main` on a clock that moves only when no
 * task can run: then it jumps to the next timer, at once. The tests below wait through
 * 7 s of back-off, a 60 s deadline, 31 s of heartbeats and a 60 s cache lifetime; they
 * take a few milliseconds of real time, and every time they see is exact.
 */
import assert from 'node:assert/strict';
import { asyncWith, createTask, getRunningLoop, run, Runner, sleep, timeout, TimeoutError, VirtualClock, type Coro } from '../../../lib/index.ts';
import { test } from './harness.ts';

// ---- the code under test ----

/** Calls `op` until it succeeds, `tries` times at most, waiting 1 s, 2 s, 4 s… in between. */
function* retry<T>(op: () => Coro<T>, tries: number): Coro<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return yield* op();
    } catch (err) {
      if (attempt + 1 === tries) throw err;
      yield* sleep(2 ** attempt);
    }
  }
}

/** Calls `beat()` every `period` seconds, for ever. */
function* heartbeat(period: number, beat: () => void): Coro<void> {
  for (;;) {
    yield* sleep(period);
    beat();
  }
}

/** Values kept for `ttl` seconds of loop time — `loop.time()`, never `Date.now()`. */
class TtlCache<V> {
  readonly #entries = new Map<string, { value: V; stored: number }>();
  constructor(readonly ttl: number) {}

  *get(key: string, load: () => Coro<V>): Coro<V> {
    const now = getRunningLoop().time();
    const hit = this.#entries.get(key);
    if (hit !== undefined && now - hit.stored < this.ttl) return hit.value;
    const value = yield* load();
    this.#entries.set(key, { value, stored: now });
    return value;
  }
}

// ---- the tests ----

/** An operation that fails until its fourth call, noting the loop time of each. */
function flaky(calls: number[]): () => Coro<string> {
  return function* () {
    calls.push(getRunningLoop().time());
    if (calls.length < 4) throw new Error('busy');
    return 'done';
  };
}

const started = performance.now();

await test('retry backs off 1 s, 2 s, 4 s', async () => {
  const calls: number[] = [];
  const result = await run(retry(flaky(calls), 5), { virtualTime: true });
  assert.equal(result, 'done');
  assert.deepEqual(calls, [0, 1, 3, 7]); // exact: nothing else moves the clock
});

await test('a deadline of 60 s stops a retry that would take 17 minutes', async () => {
  function* down(): Coro<string> {
    throw new Error('down');
  }
  const gaveUpAt = await run((function* (): Coro<number> {
    try {
      yield* asyncWith(timeout(60), () => retry(down, 11)); // 1 + 2 + … + 512 s of waits
      assert.fail('the retry cannot succeed');
    } catch (err) {
      assert.ok(err instanceof TimeoutError);
    }
    return getRunningLoop().time();
  })(), { virtualTime: true });
  assert.equal(gaveUpAt, 60);
});

await test('the test body moves the clock by sleeping', async () => {
  await run((function* (): Coro<void> {
    const beats: number[] = [];
    const task = createTask(heartbeat(10, () => beats.push(getRunningLoop().time())));
    yield* sleep(9);
    assert.deepEqual(beats, []);
    yield* sleep(2);
    assert.deepEqual(beats, [10]);
    yield* sleep(20);
    assert.deepEqual(beats, [10, 20, 30]); // each beat at its own time
    task.cancel();
  })(), { virtualTime: true });
});

await test('clock.jump() moves it from outside the loop, here between two runs', async () => {
  const clock = new VirtualClock();
  const runner = new Runner({ clock });
  const cache = new TtlCache<string>(60);
  let loads = 0;
  function* load(): Coro<string> {
    loads++;
    return `config #${loads}`;
  }
  try {
    assert.equal(await runner.run(cache.get('config', load)), 'config #1');
    clock.jump(59);
    assert.equal(await runner.run(cache.get('config', load)), 'config #1'); // still fresh
    clock.jump(1);
    assert.equal(await runner.run(cache.get('config', load)), 'config #2'); // expired at 60
  } finally {
    await runner.close();
  }
});

console.log('real time under a second:', performance.now() - started < 1000);

// expect:
// ok   retry backs off 1 s, 2 s, 4 s
// ok   a deadline of 60 s stops a retry that would take 17 minutes
// ok   the test body moves the clock by sleeping
// ok   clock.jump() moves it from outside the loop, here between two runs
// real time under a second: true
