import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Timeout, timeout, timeoutAt, withTimeout } from '../lib/timeouts.ts';
import { createTask, currentTask, sleep } from '../lib/tasks.ts';
import { getRunningLoop } from '../lib/events.ts';
import { CancelledError, RuntimeError, TimeoutError } from '../lib/exceptions.ts';
import type { Coro } from '../lib/coroutines.ts';
import { asyncWith } from '../lib/contextlib.ts';
import { manualLoop, rejection, runVirtual, spin, thrown, trace, caught } from './_support/virtual.ts';

const now = (): number => getRunningLoop().time();

// ---- expiry ----

test('the deadline passes: TimeoutError at the deadline, caused by the CancelledError', async () => {
  await runVirtual((function* () {
    const t = timeout(5);
    const err = yield* caught(() => asyncWith(t, function* () {
      yield* sleep(100);
    }));
    assert.instance(err, TimeoutError);
    assert.instance((err as Error).cause, CancelledError);
    assert.is(now(), 5);
    assert.ok(t.expired());
    assert.is(t.state, 'EXPIRED');
    assert.is(currentTask()?.cancelling(), 0, 'the timeout withdrew its cancel request');
  })());
});

test('the body finishes in time: its value, state EXITED, the timer disarmed', async () => {
  await runVirtual((function* () {
    const t = timeout(5);
    const v = yield* asyncWith(t, function* (entered) {
      assert.is(entered, t, 'enter() gives the Timeout itself');
      assert.is(t.state, 'ENTERED');
      yield* sleep(1);
      return 'ok';
    });
    assert.is(v, 'ok');
    assert.is(t.state, 'EXITED');
    assert.not.ok(t.expired());
    assert.is(getRunningLoop()._liveTimerCount(), 0);
  })());
});

test('an error of the body passes through unchanged, expired or not', async () => {
  await runVirtual((function* () {
    const boom = new Error('boom');
    const e1 = yield* caught(() => asyncWith(timeout(5), function* () {
      yield* sleep(1);
      throw boom;
    }));
    assert.is(e1, boom);
    // Expired, then the body turns the CancelledError into another error: that one goes on.
    const t = timeout(1);
    const e2 = yield* caught(() => asyncWith(t, function* () {
      try {
        yield* sleep(10);
      } catch {
        throw boom;
      }
    }));
    assert.is(e2, boom);
    assert.ok(t.expired());
    assert.is(currentTask()?.cancelling(), 0);
  })());
});

test('the body swallows the cancellation: no TimeoutError, expired() is still true', async () => {
  await runVirtual((function* () {
    const t = timeout(1);
    const v = yield* asyncWith(t, function* () {
      try {
        yield* sleep(10);
      } catch (err) {
        assert.instance(err, CancelledError);
      }
      return 'swallowed';
    });
    assert.is(v, 'swallowed');
    assert.ok(t.expired());
    assert.is(currentTask()?.cancelling(), 0);
  })());
});

test('timeout(0) and a negative timeout expire before the body\'s next step', async () => {
  await runVirtual((function* () {
    for (const seconds of [0, -1]) {
      const log = trace();
      const err = yield* caught(() => asyncWith(timeout(seconds), function* () {
        log.log('before');
        yield* sleep(0);
        log.log('after');
      }));
      assert.instance(err, TimeoutError);
      assert.equal(log.entries, ['before']);
    }
  })());
});

test('timeout(null) never expires; timeoutAt(null) neither', async () => {
  await runVirtual((function* () {
    for (const t of [timeout(null), timeoutAt(null)]) {
      assert.is(t.when(), null);
      yield* asyncWith(t, function* () {
        yield* sleep(3600);
      });
      assert.is(t.state, 'EXITED');
    }
  })());
});

test('timeoutAt(when) expires at loop time `when`; when() reports it', async () => {
  await runVirtual((function* () {
    yield* sleep(2);
    const t = timeoutAt(now() + 3);
    assert.is(t.when(), 5);
    assert.is(timeout(1).when(), 3, 'timeout(s) computes its deadline from the clock at creation');
    const err = yield* caught(() => asyncWith(t, () => sleep(10)));
    assert.instance(err, TimeoutError);
    assert.is(now(), 5);
  })());
});

// ---- reschedule ----

test('reschedule() moves the deadline later, earlier, or removes it', async () => {
  await runVirtual((function* () {
    const later = timeout(1);
    const e1 = yield* caught(() => asyncWith(later, function* (t) {
      t.reschedule(now() + 4);
      assert.is(t.when(), 4);
      yield* sleep(100);
    }));
    assert.instance(e1, TimeoutError);
    assert.is(now(), 4);

    const never = timeout(1);
    yield* asyncWith(never, function* (t) {
      t.reschedule(null);
      yield* sleep(100);
    });
    assert.is(never.state, 'EXITED');
    assert.is(now(), 104);

    const sooner = timeout(null);
    const e2 = yield* caught(() => asyncWith(sooner, function* (t) {
      yield* sleep(1);
      t.reschedule(now() + 0.5);
      yield* sleep(100);
    }));
    assert.instance(e2, TimeoutError);
    assert.is(now(), 105.5);
  })());
});

test('reschedule() to a past deadline expires before the body\'s next step', async () => {
  await runVirtual((function* () {
    const log = trace();
    const err = yield* caught(() => asyncWith(timeout(10), function* (t) {
      t.reschedule(now() - 1);
      log.log('rescheduled'); // the cancel never lands inside reschedule()
      yield* sleep(0);
      log.log('unreachable');
    }));
    assert.instance(err, TimeoutError);
    assert.equal(log.entries, ['rescheduled']);
  })());
});

test('reschedule() outside ENTERED is a RuntimeError naming the state', async () => {
  await runVirtual((function* () {
    const t = timeout(1);
    const e1 = thrown(() => t.reschedule(5));
    assert.instance(e1, RuntimeError);
    assert.match((e1 as Error).message, /not been entered/);
    yield* asyncWith(t, () => sleep(0));
    const e2 = thrown(() => t.reschedule(5));
    assert.match((e2 as Error).message, /EXITED/);
    const expired = timeout(0);
    yield* caught(() => asyncWith(expired, function* (x) {
      yield* sleep(1);
      x.reschedule(100); // not reached
    }));
    assert.match((thrown(() => expired.reschedule(5)) as Error).message, /EXPIRED/);
  })());
});

test('reschedule() while EXPIRING is refused: the cancel has already been sent', async () => {
  await runVirtual((function* () {
    const err = yield* caught(() => asyncWith(timeout(1), function* (t) {
      try {
        yield* sleep(10);
      } catch {
        assert.is(t.state, 'EXPIRING');
        assert.match((thrown(() => t.reschedule(now() + 10)) as Error).message, /EXPIRING/);
        throw new CancelledError();
      }
    }));
    assert.instance(err, TimeoutError);
  })());
});

// ---- misuse ----

test('a Timeout can be entered once; exit() must follow enter()', async () => {
  await runVirtual((function* () {
    const t = timeout(1);
    const e0 = yield* caught(() => t.exit());
    assert.instance(e0, RuntimeError);
    assert.match((e0 as Error).message, /CREATED/);
    yield* asyncWith(t, () => sleep(0));
    const e1 = yield* caught(() => t.enter());
    assert.instance(e1, RuntimeError);
    assert.match((e1 as Error).message, /EXITED.*only once/);
  })());
});

test('entering a Timeout outside a task (in a plain callback) is a RuntimeError', () => {
  const loop = manualLoop();
  let err: unknown;
  loop.callSoon(() => {
    err = thrown(() => new Timeout(null).enter().next());
  });
  spin(loop, 1);
  assert.instance(err, RuntimeError);
  assert.match((err as Error).message, /inside a task/);
});

test('toString() names the state and deadline', () => {
  assert.is(String(new Timeout(3)), '<Timeout CREATED when=3>');
});

// ---- whose cancellation is it? ----

test('nested: the inner deadline passes — inner TimeoutError, the outer goes on', async () => {
  await runVirtual((function* () {
    const outer = timeout(10);
    const inner = timeout(1);
    const v = yield* asyncWith(outer, function* () {
      const err = yield* caught(() => asyncWith(inner, () => sleep(5)));
      assert.instance(err, TimeoutError);
      yield* sleep(2);
      return 'outer finished';
    });
    assert.is(v, 'outer finished');
    assert.ok(inner.expired());
    assert.not.ok(outer.expired());
    assert.is(now(), 3);
  })());
});

test('nested: the outer deadline passes — the inner sees CancelledError, the outer throws TimeoutError', async () => {
  await runVirtual((function* () {
    const outer = timeout(1);
    const inner = timeout(10);
    let innerSaw: unknown;
    const err = yield* caught(() => asyncWith(outer, function* () {
      try {
        yield* asyncWith(inner, () => sleep(5));
      } catch (e) {
        innerSaw = e;
        throw e;
      }
    }));
    assert.instance(innerSaw, CancelledError);
    assert.not.instance(innerSaw, TimeoutError);
    assert.instance(err, TimeoutError);
    assert.not.ok(inner.expired());
    assert.ok(outer.expired());
    assert.is(currentTask()?.cancelling(), 0);
  })());
});

test('nested: both deadlines at once — the inner lets the CancelledError through, the outer times out', async () => {
  await runVirtual((function* () {
    const outer = timeout(1);
    const inner = timeout(1);
    let innerSaw: unknown;
    const err = yield* caught(() => asyncWith(outer, function* () {
      try {
        yield* asyncWith(inner, () => sleep(5));
      } catch (e) {
        innerSaw = e;
        throw e;
      }
    }));
    assert.ok(inner.expired() && outer.expired());
    assert.instance(innerSaw, CancelledError);
    assert.not.instance(innerSaw, TimeoutError);
    assert.instance(err, TimeoutError);
    assert.is(currentTask()?.cancelling(), 0);
  })());
});

test('an outside cancel() during the timeout is a CancelledError, never a TimeoutError', async () => {
  await runVirtual((function* () {
    const t = timeout(10);
    const child = createTask(asyncWith(t, () => sleep(100)));
    yield* sleep(1);
    child.cancel('stop');
    const err = yield* caught(() => child);
    assert.instance(err, CancelledError);
    assert.is((err as Error).message, 'stop');
    assert.not.ok(t.expired());
  })());
});

test('an outside cancel() and the deadline at the same moment: CancelledError wins', async () => {
  await runVirtual((function* () {
    const t = timeout(1);
    const child = createTask(asyncWith(t, () => sleep(100)));
    // Two timers due at 1: both requests reach the child in one iteration, before its next step.
    getRunningLoop().callLater(1, () => child.cancel());
    const err = yield* caught(() => child);
    assert.ok(t.expired());
    assert.instance(err, CancelledError);
    assert.not.instance(err, TimeoutError);
    assert.is(child.cancelling(), 1, 'the outside request is still counted');
  })());
});

test('a task already being cancelled on entry: the deadline still yields TimeoutError only for its own part', async () => {
  await runVirtual((function* () {
    const task = currentTask()!;
    task.cancel(); // a request that arrives before the timeout is entered
    try {
      yield* sleep(0);
    } catch {
      // handled, but not uncancelled: cancelling() stays 1
    }
    assert.is(task.cancelling(), 1);
    const err = yield* caught(() => asyncWith(timeout(1), () => sleep(5)));
    assert.instance(err, TimeoutError, 'the count came back to the entry value (1)');
    assert.is(task.cancelling(), 1);
    task.uncancel();
  })());
});

test('the body catches the timeout\'s cancel and awaits again: not cancelled twice', async () => {
  await runVirtual((function* () {
    const log = trace();
    const v = yield* asyncWith(timeout(1), function* () {
      try {
        yield* sleep(5);
      } catch {
        log.log(`cancelled at ${now()}`);
      }
      yield* sleep(5); // the timeout fired once; it does not fire again
      log.log(`done at ${now()}`);
      return 1;
    });
    assert.is(v, 1);
    assert.equal(log.entries, ['cancelled at 1', 'done at 6']);
  })());
});

// ---- withTimeout ----

test('withTimeout(): the body\'s value, or TimeoutError', async () => {
  await runVirtual((function* () {
    const v = yield* withTimeout(2, function* (t) {
      assert.instance(t, Timeout);
      yield* sleep(1);
      return 42;
    });
    assert.is(v, 42);
    const err = yield* caught(() => withTimeout(2, () => sleep(3)));
    assert.instance(err, TimeoutError);
    const boom = new Error('boom');
    const e2 = yield* caught(() => withTimeout(2, function* () {
      throw boom;
    }));
    assert.is(e2, boom);
  })());
});

test('a TimeoutError escaping main rejects run()', async () => {
  const err = await rejection(runVirtual(withTimeout(1, () => sleep(2))));
  assert.instance(err, TimeoutError);
});

test.run();
