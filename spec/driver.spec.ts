import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Driver, type DriverHooks } from '../lib/driver.ts';
import { EventLoop } from '../lib/loop.ts';
import { VirtualClock } from '../lib/clock.ts';
import { run } from '../lib/runners.ts';
import { sleep } from '../lib/tasks.ts';
import { getRunningLoop } from '../lib/events.ts';
import { wrapPromise } from '../lib/promises.ts';
import type { Coro } from '../lib/coroutines.ts';

/** A driver on `loop` whose hooks are counted; `stopped` settles on onStopped. */
function drive(loop: EventLoop): { driver: Driver; stuck: () => number; stopped: Promise<void> } {
  let stuckCount = 0;
  let resolveStopped!: () => void;
  const stopped = new Promise<void>((resolve) => { resolveStopped = resolve; });
  const hooks: DriverHooks = { onStuck: () => void stuckCount++, onStopped: () => resolveStopped() };
  return { driver: new Driver(loop, hooks), stuck: () => stuckCount, stopped };
}

/** Resolves after Node's next check phase (one setImmediate turn). */
function nextImmediate(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

test('a setImmediate callback still runs while a task spins on sleep(0) forever', async () => {
  let fired = false;
  const spins = await run((function* (): Coro<number> {
    setImmediate(() => { fired = true; });
    let n = 0;
    // Bounded so a starving driver fails the spec instead of hanging it.
    while (!fired && n < 50_000_000) {
      yield* sleep(0);
      n++;
    }
    return n;
  })());
  assert.ok(fired, `the immediate never fired in ${spins} switches`);
  assert.ok(spins < 50_000_000);
});

test('a chain of zero-delay timers does not starve Node either', async () => {
  let fired = false;
  const chained = await run((function* (): Coro<number> {
    const loop = getRunningLoop();
    const done = loop.createFuture<number>();
    let n = 0;
    // Each timer schedules the next: every iteration only fires an expired timer.
    const again = (): void => {
      n++;
      if (fired || n >= 1_000_000) done.setResult(n);
      else loop.callLater(0, again);
    };
    setImmediate(() => { fired = true; });
    loop.callLater(0, again);
    return yield* done;
  })());
  assert.ok(fired, `the immediate never fired in ${chained} timer iterations`);
  assert.ok(chained < 1_000_000);
});

test('CPU-only switching does not return to Node on each switch', async () => {
  const loop = new EventLoop();
  const { driver, stopped } = drive(loop);
  const switches = 10_000;
  const task = loop.createTask((function* (): Coro<void> {
    for (let i = 0; i < switches; i++) yield* sleep(0);
  })());
  task.addDoneCallback(() => driver.requestStop());
  driver.start();
  await stopped;
  assert.ok(task.done());
  assert.ok(driver.ticks >= 1);
  assert.ok(driver.ticks < switches / 20, `${driver.ticks} ticks for ${switches} switches`);
  assert.is(driver.state, 'STOPPED');
});

test('callSoon from a Node callback re-arms an IDLE driver', async () => {
  const loop = new EventLoop();
  const { driver, stuck, stopped } = drive(loop);
  loop._ioRef(); // waiting on "I/O": idle, not stuck
  driver.start();
  assert.is(driver.state, 'IMMEDIATE');
  await nextImmediate();
  assert.is(driver.state, 'IDLE');
  assert.is(stuck(), 0);
  let ran = false;
  await new Promise<void>((resolve) => setTimeout(() => {
    loop.callSoon(() => { ran = true; });
    assert.is(driver.state, 'IMMEDIATE', 'the callSoon woke the driver');
    resolve();
  }, 1));
  await nextImmediate();
  assert.ok(ran);
  assert.is(driver.state, 'IDLE');
  driver.requestStop();
  await stopped;
  assert.is(driver.state, 'STOPPED');
  assert.is(loop._onWork, null, 'a stopped driver is no longer woken');
});

test('with nothing ready, no timer and no I/O, the driver reports it is stuck', async () => {
  const loop = new EventLoop();
  const { driver, stuck } = drive(loop);
  driver.start();
  await nextImmediate();
  assert.is(stuck(), 0, 'the verdict waits one Node turn for async code about to call in');
  await nextImmediate();
  assert.is(stuck(), 1);
  assert.is(driver.state, 'IDLE');
});

test('work arriving from the microtasks of the last tick cancels the stuck verdict', async () => {
  const loop = new EventLoop();
  const { driver, stuck, stopped } = drive(loop);
  let ran = false;
  loop.callSoon(() => {
    // Queued during the tick; it runs after the tick ends, before the verdict.
    void Promise.resolve().then(() => Promise.resolve()).then(() => loop.callSoon(() => { ran = true; }));
  });
  driver.start();
  await nextImmediate();
  await nextImmediate();
  await nextImmediate();
  assert.ok(ran);
  assert.is(stuck(), 1, 'stuck once, after the late work ran — not before it');
  driver.requestStop();
  await stopped;
});

test('only a timer left: the driver waits with one setTimeout, then runs it (real time)', async () => {
  const loop = new EventLoop();
  const { driver, stopped } = drive(loop);
  const t0 = loop.time();
  let firedAt = -1;
  loop.callLater(0.005, () => {
    firedAt = loop.time();
    driver.requestStop();
  });
  driver.start();
  await nextImmediate();
  assert.is(driver.state, 'TIMER');
  await stopped;
  assert.ok(firedAt - t0 >= 0.004, `fired after ${firedAt - t0}s`);
  assert.ok(firedAt - t0 < 5, 'loose upper bound');
});

test('a deadline beyond setTimeout\'s range (~24.8 days) is waited for without a 1 ms poll', async () => {
  const loop = new EventLoop();
  const { driver, stopped } = drive(loop);
  loop.callLater(30 * 24 * 3600, () => {});
  const warnings: string[] = [];
  const original = process.emitWarning;
  process.emitWarning = ((warning: string | Error) => void warnings.push(String(warning))) as typeof process.emitWarning;
  try {
    driver.start();
    await nextImmediate();
    assert.is(driver.state, 'TIMER');
  } finally {
    process.emitWarning = original;
    driver.requestStop(); // also when the assertion fails: a 1 ms poll would keep Node alive
    await stopped;
  }
  assert.equal(warnings, [], 'Node would clamp an overflowing delay to 1 ms');
});

test('work arriving while the driver waits on a timer cancels the wait and runs at once', async () => {
  const loop = new EventLoop();
  const { driver, stopped } = drive(loop);
  loop.callLater(60, () => {});
  driver.start();
  await nextImmediate();
  assert.is(driver.state, 'TIMER');
  const order: string[] = [];
  loop.callSoon(() => order.push('soon'));
  assert.is(driver.state, 'IMMEDIATE');
  await nextImmediate();
  assert.equal(order, ['soon']);
  assert.is(driver.state, 'TIMER', 'back to waiting for the 60 s timer');
  driver.requestStop();
  await stopped;
});

test('a timer already due is run in the same tick as the ready work', async () => {
  const loop = new EventLoop({ virtualTime: true });
  const { driver, stopped } = drive(loop);
  const order: string[] = [];
  loop.callSoon(() => {
    order.push('soon');
    loop.callLater(5, () => {
      order.push('timer');
      driver.requestStop();
    });
  });
  driver.start();
  await stopped;
  assert.equal(order, ['soon', 'timer']);
  assert.is(driver.ticks, 1);
  assert.is(loop.time(), 5);
});

test('virtual time does not jump the clock at once while I/O is pending: it waits for real quiet (AUTOJUMP)', async () => {
  const loop = new EventLoop({ clock: new VirtualClock({ autojumpThreshold: 60 }) });
  const { driver, stuck, stopped } = drive(loop);
  loop._ioRef();
  let fired = false;
  loop.callLater(10, () => { fired = true; });
  driver.start();
  await nextImmediate();
  assert.not.ok(fired);
  assert.is(loop.time(), 0);
  assert.is(driver.state, 'AUTOJUMP');
  assert.is(stuck(), 0);
  loop._ioUnref();
  loop.callSoon(() => {});
  await nextImmediate();
  assert.ok(fired, 'the jump happens once the I/O wait is over');
  assert.is(loop.time(), 10);
  driver.requestStop();
  await stopped;
});

test('requestStop() from inside a tick stops after the current iteration', async () => {
  const loop = new EventLoop();
  const { driver, stopped } = drive(loop);
  const order: string[] = [];
  loop.callSoon(() => {
    order.push('a');
    driver.requestStop();
    driver.requestStop(); // a second request changes nothing
    loop.callSoon(() => order.push('never'));
  });
  driver.start();
  await stopped;
  assert.equal(order, ['a']);
  assert.is(driver.state, 'STOPPED');
  driver.wake();
  assert.is(driver.state, 'STOPPED', 'a stopped driver stays stopped');
});

test('requestStop() while IDLE stops in a tick of its own', async () => {
  const loop = new EventLoop();
  const { driver, stopped } = drive(loop);
  assert.is(driver.state, 'IDLE');
  driver.requestStop();
  assert.is(driver.state, 'STOPPING');
  await stopped;
  assert.is(driver.state, 'STOPPED');
  assert.is(driver.ticks, 0);
});

test('a driver stopping late leaves a newer driver of the same loop in charge', async () => {
  const loop = new EventLoop();
  const first = drive(loop);
  first.driver.requestStop(); // its stop tick is still to come
  const second = drive(loop);
  await first.stopped;
  let ran = false;
  loop.callSoon(() => {
    ran = true;
    second.driver.requestStop();
  });
  await second.stopped;
  assert.ok(ran, 'callSoon woke the second driver: the first did not take its hook away');
  assert.is(loop._onWork, null);
});

test('a tick that exhausts its time slice hands back with setImmediate', async () => {
  const loop = new EventLoop();
  const { driver, stopped } = drive(loop);
  const busyUntil = performance.now() + 30;
  const spin = (): void => {
    if (performance.now() < busyUntil) loop.callSoon(spin);
    else driver.requestStop();
  };
  loop.callSoon(spin);
  driver.start();
  await stopped;
  assert.ok(driver.ticks >= 2, `${driver.ticks} ticks for ~30 ms of work with a 5 ms slice`);
});

// ---- MICROTASK: Promises settled during a tick ----

test('awaiting Promises that settle during the tick does not return to Node on each await', async () => {
  const loop = new EventLoop();
  const { driver, stopped } = drive(loop);
  const awaits = 10_000;
  const task = loop.createTask((function* (): Coro<number> {
    let sum = 0;
    for (let i = 0; i < awaits; i++) sum += yield* wrapPromise(Promise.resolve(1));
    return sum;
  })());
  task.addDoneCallback(() => driver.requestStop());
  driver.start();
  await stopped;
  assert.is(task.result(), awaits);
  assert.ok(driver.ticks < awaits / 20, `${driver.ticks} ticks for ${awaits} awaits`);
});

test('a setImmediate callback still runs while a task awaits settled Promises forever', async () => {
  let fired = false;
  const awaits = await run((function* (): Coro<number> {
    setImmediate(() => { fired = true; });
    let n = 0;
    while (!fired && n < 5_000_000) {
      yield* wrapPromise(Promise.resolve());
      n++;
    }
    return n;
  })());
  assert.ok(fired, `the immediate never fired in ${awaits} awaits`);
  assert.ok(awaits > 1, 'the awaits went on within the slice');
});

test('requestStop() while waiting for the microtasks stops once, in a tick of its own', async () => {
  const loop = new EventLoop();
  let stops = 0;
  let resolveStopped!: () => void;
  const stopped = new Promise<void>((resolve) => { resolveStopped = resolve; });
  const driver = new Driver(loop, { onStuck: () => {}, onStopped: () => { stops++; resolveStopped(); } });
  loop._ioRef(); // an outside wait: a tick that runs dry hops through the microtasks
  let seen = '';
  loop.callSoon(() => {
    // Queued before the tick's hop, so it runs once the tick has ended, before the hop.
    queueMicrotask(() => {
      seen = driver.state;
      driver.requestStop();
    });
  });
  driver.start();
  await stopped;
  assert.is(seen, 'MICROTASK');
  await nextImmediate();
  assert.is(stops, 1);
  assert.is(driver.state, 'STOPPED');
});

test.run();
