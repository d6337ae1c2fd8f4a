import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { asyncWith, type AsyncContextManager } from '../lib/contextlib.ts';
import { Lock } from '../lib/locks.ts';
import { createTask, sleep } from '../lib/tasks.ts';
import type { Coro } from '../lib/coroutines.ts';
import { runVirtual, trace, type Trace } from './_support/virtual.ts';

function go(body: () => Coro<void>): Promise<void> {
  return runVirtual(body());
}

/** A context manager that records its calls; `suppress` decides exit()'s answer. */
class Recorder implements AsyncContextManager<string> {
  constructor(readonly t: Trace, readonly suppress: boolean | undefined = undefined) {}

  *enter(): Coro<string> {
    yield* sleep(1);   // enter and exit are coroutines: they may wait
    this.t.log('enter');
    return 'value';
  }

  *exit(error?: unknown): Coro<boolean | void> {
    yield* sleep(1);
    this.t.log(`exit ${error === undefined ? 'clean' : (error as Error).name}`);
    return this.suppress;
  }
}

test('asyncWith: enter, body with the entered value, exit(undefined); returns the body\'s result', () => go(function* () {
  const t = trace();
  const result = yield* asyncWith(new Recorder(t), function* (v) {
    t.log(`body ${v}`);
    return 42;
  });
  assert.is(result, 42);
  assert.equal(t.entries, ['enter', 'body value', 'exit clean']);
}));

test('asyncWith: an error from the body reaches exit() and is rethrown', () => go(function* () {
  const t = trace();
  const boom = new TypeError('boom');
  try {
    yield* asyncWith(new Recorder(t, false), function* () { throw boom; });
    assert.unreachable();
  } catch (e) {
    assert.is(e, boom);
  }
  assert.equal(t.entries, ['enter', 'exit TypeError']);
}));

test('asyncWith: exit() returning true suppresses the error; the result is undefined', () => go(function* () {
  const t = trace();
  const result = yield* asyncWith(new Recorder(t, true), function* (): Coro<number> { throw new Error('x'); });
  assert.is(result, undefined);
  assert.equal(t.entries, ['enter', 'exit Error']);
}));

test('asyncWith: exit() runs with the CancelledError when the task is cancelled in the body, and it propagates', () => go(function* () {
  const t = trace();
  const task = createTask(asyncWith(new Recorder(t), function* () {
    yield* sleep(100);
    t.log('not reached');
  }));
  yield* sleep(2);
  task.cancel();
  yield* sleep(5);
  assert.equal(t.entries, ['enter', 'exit CancelledError']);
  assert.is(task.cancelled(), true);
}));

test('asyncWith: exit() may suppress a cancellation (as a timeout does)', () => go(function* () {
  const t = trace();
  const task = createTask(asyncWith(new Recorder(t, true), function* () { yield* sleep(100); return 1; }));
  yield* sleep(2);
  task.cancel();
  assert.is(yield* task, undefined);
  assert.equal(t.entries, ['enter', 'exit CancelledError']);
}));

test('asyncWith: if enter() throws, neither the body nor exit() runs', () => go(function* () {
  const t = trace();
  const cm: AsyncContextManager<void> = {
    *enter() { throw new Error('cannot enter'); },
    *exit() { t.log('exit'); },
  };
  try {
    yield* asyncWith(cm, function* () { t.log('body'); });
    assert.unreachable();
  } catch (e) {
    assert.is((e as Error).message, 'cannot enter');
  }
  assert.equal(t.entries, []);
}));

test('asyncWith: an error thrown by exit() replaces the body\'s', () => go(function* () {
  const cm: AsyncContextManager<void> = {
    *enter() {},
    *exit() { throw new Error('from exit'); },
  };
  try {
    yield* asyncWith(cm, function* () { throw new Error('from body'); });
    assert.unreachable();
  } catch (e) {
    assert.is((e as Error).message, 'from exit');
  }
}));

test('asyncWith: nested managers exit in reverse order', () => go(function* () {
  const t = trace();
  const named = (name: string): AsyncContextManager<string> => ({
    *enter() { t.log(`enter ${name}`); return name; },
    *exit() { t.log(`exit ${name}`); },
  });
  yield* asyncWith(named('outer'), function* () {
    yield* asyncWith(named('inner'), function* () { t.log('body'); });
  });
  assert.equal(t.entries, ['enter outer', 'enter inner', 'body', 'exit inner', 'exit outer']);
}));

test('types: asyncWith over a non-suppressing manager is Coro<R>, over a suppressing one Coro<R | undefined>', () => go(function* () {
  const n: number = yield* asyncWith(new Lock(), function* () { return 1; });
  assert.is(n, 1);
  const t = trace();
  // @ts-expect-error — Recorder's exit() may return true, so the result may be undefined
  const m: number = yield* asyncWith(new Recorder(t), function* () { return 2; });
  assert.is(m, 2);
}));

test.run();
