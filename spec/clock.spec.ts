import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as net from 'node:net';
import { VirtualClock, DEFAULT_AUTOJUMP_THRESHOLD } from '../lib/clock.ts';
import { run } from '../lib/runners.ts';
import { createTask, sleep } from '../lib/tasks.ts';
import { getRunningLoop } from '../lib/events.ts';
import { timeout } from '../lib/timeouts.ts';
import { waitFor } from '../lib/wait.ts';
import { asyncWith } from '../lib/contextlib.ts';
import { wrapPromise } from '../lib/promises.ts';
import { EventLoop } from '../lib/loop.ts';
import { DeadlockError, RuntimeError, TimeoutError } from '../lib/exceptions.ts';
import { AsyncClient } from '../lib/http/client.ts';
import { ReadTimeout } from '../lib/http/errors.ts';
import type { Coro } from '../lib/coroutines.ts';
import { ok, startHttpServer } from './_support/http-servers.ts';
import { rejection, thrown } from './_support/virtual.ts';

/** Loose bound on real time: "well under a second", not a timing assertion. */
const REAL_BOUND_MS = 900;

/** A loopback server that accepts connections and never answers. */
async function silentServer(): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); s.on('error', () => {}); });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => new Promise<void>((resolve) => { for (const s of sockets) s.destroy(); server.close(() => resolve()); }),
  };
}

test('a server that never answers: AsyncClient({timeout: 5}) fails with ReadTimeout in well under a second of real time', async () => {
  const server = await silentServer();
  const t0 = performance.now();
  try {
    const err = await rejection(run((function* (): Coro<void> {
      yield* asyncWith(new AsyncClient({ timeout: 5 }), function* (client) {
        yield* client.get(`http://127.0.0.1:${server.port}/`);
      });
    })(), { virtualTime: true }));
    assert.instance(err, ReadTimeout);
  } finally {
    await server.close();
  }
  assert.ok(performance.now() - t0 < REAL_BOUND_MS, `took ${performance.now() - t0} ms`);
});

test('a pool\'s keepaliveExpiry of 60 s expires at once under the virtual clock', async () => {
  const server = await startHttpServer((_req, socket) => socket.write(ok('x')));
  const t0 = performance.now();
  try {
    const reused = await run((function* (): Coro<[boolean, boolean, number]> {
      const loop = getRunningLoop();
      const client = new AsyncClient({ limits: { keepaliveExpiry: 60 } });
      const url = `http://127.0.0.1:${server.port}/`;
      yield* client.get(url);
      const soon = (yield* client.get(url)).extensions.reused as boolean;
      yield* sleep(61);
      const after = (yield* client.get(url)).extensions.reused as boolean;
      yield* client.aclose();
      return [soon, after, loop.time()];
    })(), { virtualTime: true });
    assert.equal(reused.slice(0, 2), [true, false]);
    assert.ok(reused[2] >= 61);
  } finally {
    await server.close();
  }
  assert.ok(performance.now() - t0 < REAL_BOUND_MS);
});

test('a 30 s timeout() around a Promise that settles after 20 ms of real time does not fire: the Promise wins', async () => {
  const [value, now] = await run((function* (): Coro<[string, number]> {
    const v = yield* asyncWith(timeout(30), function* () {
      return yield* wrapPromise(new Promise<string>((resolve) => setTimeout(resolve, 20, 'settled')));
    });
    return [v as string, getRunningLoop().time()];
  })(), { virtualTime: true });
  assert.is(value, 'settled');
  assert.is(now, 0, 'the clock never moved: something was about to happen');
});

test('waitFor with a one-hour timeout takes milliseconds, both ways', async () => {
  const t0 = performance.now();
  const result = await run((function* (): Coro<[string, unknown, number]> {
    const fast = yield* waitFor(sleep(1800, 'half an hour'), 3600);
    let err: unknown = null;
    try {
      yield* waitFor(sleep(7200), 3600);
    } catch (e) {
      err = e;
    }
    return [fast, err, getRunningLoop().time()];
  })(), { virtualTime: true });
  assert.is(result[0], 'half an hour');
  assert.instance(result[1], TimeoutError);
  assert.is(result[2], 1800 + 3600);
  assert.ok(performance.now() - t0 < REAL_BOUND_MS);
});

test('autojump waits for real quiet: activity before the threshold resets the wait', async () => {
  // An outside wait that ticks every 10 ms of real time for 60 ms, then settles; with a
  // threshold of 40 ms the clock must not jump while it ticks.
  const clock = new VirtualClock({ autojumpThreshold: 0.04 });
  const seen = await run((function* (): Coro<number[]> {
    const loop = getRunningLoop();
    const times: number[] = [];
    const ticker = new Promise<void>((resolve) => {
      let n = 0;
      const id = setInterval(() => {
        loop.callSoon(() => times.push(loop.time()));
        if (++n === 6) { clearInterval(id); resolve(); }
      }, 10);
    });
    const sleeper = createTask(sleep(100));
    yield* wrapPromise(ticker);
    yield* sleeper; // nothing outside now: jumps at once
    times.push(loop.time());
    return times;
  })(), { clock });
  assert.equal(seen, [0, 0, 0, 0, 0, 0, 100]);
});

test('autojumpThreshold: Infinity never jumps while an outside wait is pending; clock.jump() moves it by hand', async () => {
  const clock = new VirtualClock({ autojumpThreshold: Infinity });
  const t = await run((function* (): Coro<number> {
    const loop = getRunningLoop();
    const woke = createTask(sleep(10, 'woke'));
    // Stay "waiting on the outside world" until the clock is moved by hand.
    yield* wrapPromise(new Promise<void>((resolve) => {
      setTimeout(() => {
        assert.is(loop.time(), 0);
        clock.jump(10);
        resolve();
      }, 30);
    }));
    assert.is(yield* woke, 'woke');
    return loop.time();
  })(), { clock });
  assert.is(t, 10);
  assert.is(clock.time(), 10);
});

test('clock.jump() from outside wakes an idle loop whose timers became due', async () => {
  const clock = new VirtualClock({ autojumpThreshold: Infinity });
  const fired: number[] = [];
  await run((function* (): Coro<void> {
    const loop = getRunningLoop();
    loop.callLater(5, () => fired.push(loop.time()));
    // An outside wait with no activity: the loop idles until the jump.
    const never = new Promise<void>(() => {});
    const wait = wrapPromise(never);
    setTimeout(() => clock.jump(5), 10);
    yield* sleep(5);
    wait.cancel();
  })(), { clock });
  assert.equal(fired, [5]);
});

test('the deadlock report stays exact under the virtual clock', async () => {
  const err = await rejection(run((function* (): Coro<void> {
    yield* sleep(3600); // timers jump
    yield* getRunningLoop().createFuture<void>(); // nobody sets it, nothing outside
  })(), { clock: new VirtualClock() }));
  assert.instance(err, DeadlockError);
});

test('VirtualClock: options checked, start honoured, one open loop per clock', () => {
  assert.instance(thrown(() => new VirtualClock({ autojumpThreshold: -1 })), TypeError);
  assert.instance(thrown(() => new VirtualClock({ start: Number.NaN })), TypeError);
  const clock = new VirtualClock({ start: 100 });
  assert.is(clock.autojumpThreshold, DEFAULT_AUTOJUMP_THRESHOLD);
  assert.instance(thrown(() => clock.jump(-1)), RangeError);
  const loop = new EventLoop({ clock });
  assert.is(loop.time(), 100);
  assert.instance(thrown(() => new EventLoop({ clock })), RuntimeError);
  loop.close();
  const next = new EventLoop({ clock }); // the first loop is closed: the clock may move on
  assert.is(next.time(), 100);
  assert.match(String(clock), /VirtualClock time=100/);
});

test.run();
