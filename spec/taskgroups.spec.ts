import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TaskGroup } from '../lib/taskgroups.ts';
import { timeout } from '../lib/timeouts.ts';
import { eagerTaskFactory } from '../lib/eager.ts';
import { type Task, createTask, currentTask, sleep } from '../lib/tasks.ts';
import { getRunningLoop } from '../lib/events.ts';
import { CancelledError, ExceptionGroup, RuntimeError, TimeoutError } from '../lib/exceptions.ts';
import type { Coro } from '../lib/coroutines.ts';
import { asyncWith } from '../lib/contextlib.ts';
import { collectErrors, runVirtual, thrown, trace, type Trace, caught } from './_support/virtual.ts';

const now = (): number => getRunningLoop().time();

/** Sleeps `seconds`, logging `name:done` — or `name:cancelled` and rethrowing. */
function* worker(log: Trace, name: string, seconds: number, result: unknown = name): Coro<unknown> {
  try {
    yield* sleep(seconds);
  } catch (err) {
    log.log(`${name}:cancelled@${now()}`);
    throw err;
  }
  log.log(`${name}:done@${now()}`);
  return result;
}

function* failing(log: Trace, name: string, seconds: number, error: Error): Coro<never> {
  yield* sleep(seconds);
  log.log(`${name}:fails@${now()}`);
  throw error;
}

function groupOf(err: unknown): readonly unknown[] {
  assert.instance(err, ExceptionGroup);
  assert.match((err as Error).message, /unhandled errors in a TaskGroup/);
  return (err as ExceptionGroup).exceptions;
}

// ---- the happy path ----

test('every child is awaited at exit, even those that outlive the body', async () => {
  await runVirtual((function* () {
    const log = trace();
    let a!: Task<unknown>;
    let b!: Task<unknown>;
    const tg = new TaskGroup();
    yield* asyncWith(tg, function* (g) {
      assert.is(g, tg);
      assert.is(tg.state, 'OPEN');
      a = g.createTask(worker(log, 'a', 1), { name: 'alpha' });
      b = g.createTask(worker(log, 'b', 3));
      log.log('body:end');
    });
    log.log(`exit@${now()}`);
    assert.equal(log.entries, ['body:end', 'a:done@1', 'b:done@3', 'exit@3']);
    assert.is(a.result(), 'a');
    assert.is(b.result(), 'b');
    assert.is(a.getName(), 'alpha');
    assert.is(tg.state, 'CLOSED');
    assert.is(tg.abortReason, null);
  })());
});

test('an empty group exits at once', async () => {
  await runVirtual((function* () {
    const tg = new TaskGroup();
    yield* asyncWith(tg, function* () {});
    assert.is(tg.state, 'CLOSED');
    assert.is(now(), 0);
  })());
});

test('children may create children, also while the group is exiting', async () => {
  await runVirtual((function* () {
    const log = trace();
    yield* asyncWith(new TaskGroup(), function* (tg) {
      tg.createTask((function* () {
        yield* sleep(1);
        tg.createTask(worker(log, 'grandchild', 2));
        log.log('child:done');
      })());
    });
    log.log(`exit@${now()}`);
    assert.equal(log.entries, ['child:done', 'grandchild:done@3', 'exit@3']);
  })());
});

// ---- failures ----

test('one child fails: siblings and the body are cancelled; one ExceptionGroup; the code after runs', async () => {
  await runVirtual((function* () {
    const log = trace();
    const boom = new Error('boom');
    const tg = new TaskGroup();
    const err = yield* caught(() => asyncWith(tg, function* (g) {
      g.createTask(worker(log, 'slow', 10));
      g.createTask(failing(log, 'bad', 1, boom));
      try {
        yield* sleep(100);
      } catch (e) {
        log.log(`body:${(e as Error).name}@${now()}`);
        throw e;
      }
    }));
    assert.equal(groupOf(err), [boom]);
    assert.equal(log.entries, ['bad:fails@1', 'slow:cancelled@1', 'body:CancelledError@1']);
    assert.is(tg.abortReason, 'CHILD_FAILED');
    assert.is(currentTask()?.cancelling(), 0, 'the group withdrew the cancel it sent its parent');
    yield* sleep(1); // the parent is not cancelled any more
    assert.is(now(), 2);
  })());
});

test('two children fail in the same iteration: both errors, in completion order', async () => {
  await runVirtual((function* () {
    const log = trace();
    const e1 = new Error('one');
    const e2 = new TypeError('two');
    const err = yield* caught(() => asyncWith(new TaskGroup(), function* (g) {
      g.createTask(failing(log, 'x', 1, e1));
      g.createTask(failing(log, 'y', 1, e2));
      g.createTask(worker(log, 'z', 5));
    }));
    assert.equal(groupOf(err), [e1, e2]);
    assert.equal(log.entries, ['x:fails@1', 'y:fails@1', 'z:cancelled@1']);
  })());
});

test('a child that catches the cancellation and fails too: its error joins the group', async () => {
  await runVirtual((function* () {
    const log = trace();
    const first = new Error('first');
    const cleanup = new Error('cleanup failed');
    const err = yield* caught(() => asyncWith(new TaskGroup(), function* (g) {
      g.createTask((function* () {
        try {
          yield* sleep(10);
        } catch {
          yield* sleep(1); // cleaning up takes a while; the group waits
          throw cleanup;
        }
      })());
      g.createTask(failing(log, 'bad', 1, first));
    }));
    assert.equal(groupOf(err), [first, cleanup]);
    assert.is(now(), 2);
  })());
});

test('the body fails: children cancelled, the body\'s error comes last in the group', async () => {
  await runVirtual((function* () {
    const log = trace();
    const childErr = new Error('child');
    const bodyErr = new Error('body');
    const tg = new TaskGroup();
    const err = yield* caught(() => asyncWith(tg, function* (g) {
      g.createTask(worker(log, 'w', 10));
      g.createTask((function* () {
        try {
          yield* sleep(10);
        } finally {
          // fails while being cancelled
          // eslint-disable-next-line no-unsafe-finally
          throw childErr;
        }
      })());
      yield* sleep(1);
      throw bodyErr;
    }));
    assert.equal(groupOf(err), [childErr, bodyErr]);
    assert.equal(log.entries, ['w:cancelled@1']);
    assert.is(tg.abortReason, 'BODY_FAILED');
  })());
});

test('a cancelled child alone is not a failure', async () => {
  await runVirtual((function* () {
    const log = trace();
    const v = yield* asyncWith(new TaskGroup(), function* (g) {
      const t = g.createTask(worker(log, 'victim', 5));
      g.createTask(worker(log, 'other', 2));
      yield* sleep(1);
      t.cancel();
      return 'fine';
    });
    assert.is(v, 'fine');
    assert.equal(log.entries, ['victim:cancelled@1', 'other:done@2']);
  })());
});

test('a child that swallows its cancellation is still awaited to its end', async () => {
  await runVirtual((function* () {
    const log = trace();
    const err = yield* caught(() => asyncWith(new TaskGroup(), function* (g) {
      g.createTask((function* () {
        try {
          yield* sleep(10);
        } catch {
          log.log(`stubborn:cancelled@${now()}`);
        }
        yield* sleep(3);
        log.log(`stubborn:done@${now()}`);
      })());
      g.createTask(failing(log, 'bad', 1, new Error('x')));
    }));
    assert.is(groupOf(err).length, 1);
    assert.equal(log.entries, ['bad:fails@1', 'stubborn:cancelled@1', 'stubborn:done@4']);
  })());
});

// ---- cancellation of the parent ----

test('the parent is cancelled from outside while the body runs: children cancelled, CancelledError propagates', async () => {
  await runVirtual((function* () {
    const log = trace();
    const tg = new TaskGroup();
    const parent = createTask(asyncWith(tg, function* (g) {
      g.createTask(worker(log, 'c', 10));
      yield* sleep(10);
    }));
    yield* sleep(1);
    parent.cancel('outside');
    const err = yield* caught(() => parent);
    assert.instance(err, CancelledError);
    assert.not.instance(err, ExceptionGroup);
    assert.is((err as Error).message, 'outside');
    assert.equal(log.entries, ['c:cancelled@1']);
    assert.is(tg.abortReason, 'PARENT_CANCELLED');
  })());
});

test('the parent is cancelled while exit() waits: children cancelled first, then CancelledError', async () => {
  await runVirtual((function* () {
    const log = trace();
    const tg = new TaskGroup();
    const parent = createTask((function* () {
      try {
        yield* asyncWith(tg, function* (g) {
          g.createTask((function* () {
            try {
              yield* sleep(10);
            } catch (e) {
              yield* sleep(1); // cleanup the parent must wait for
              log.log(`child:cleaned@${now()}`);
              throw e;
            }
          })());
        });
      } catch (e) {
        log.log(`parent:${(e as Error).name}@${now()}`);
        throw e;
      }
    })());
    yield* sleep(1);
    assert.is(tg.state, 'EXITING');
    parent.cancel();
    yield* caught(() => parent);
    assert.equal(log.entries, ['child:cleaned@2', 'parent:CancelledError@2']);
    assert.ok(parent.cancelled());
  })());
});

test('repeated outside cancels while exiting: the group keeps waiting, then CancelledError', async () => {
  await runVirtual((function* () {
    const log = trace();
    const parent = createTask(asyncWith(new TaskGroup(), function* (g) {
      g.createTask((function* () {
        try {
          yield* sleep(10);
        } catch {
          yield* sleep(2);
          log.log(`child:end@${now()}`);
        }
      })());
    }));
    yield* sleep(1);
    parent.cancel();
    yield* sleep(1);
    parent.cancel();
    const err = yield* caught(() => parent);
    assert.instance(err, CancelledError);
    assert.equal(log.entries, ['child:end@3']);
  })());
});

test('an outside cancel plus a child failure: the ExceptionGroup wins, the cancel stays pending', async () => {
  await runVirtual((function* () {
    const log = trace();
    const boom = new Error('boom');
    const parent = createTask((function* () {
      const err = yield* caught(() => asyncWith(new TaskGroup(), function* (g) {
        g.createTask((function* () {
          try {
            yield* sleep(10);
          } catch {
            yield* sleep(1);
            throw boom; // fails while the group is cancelled from outside
          }
        })());
        yield* sleep(10);
      }));
      log.log(`group:${(err as Error).name}`);
      assert.equal(groupOf(err), [boom]);
      assert.is(currentTask()?.cancelling(), 1, 'the outside request still counts');
      try {
        yield* sleep(1);
      } catch (e) {
        log.log(`then:${(e as Error).name}`); // the outside cancel is delivered again
        throw e;
      }
    })());
    yield* sleep(1);
    parent.cancel();
    const err = yield* caught(() => parent);
    assert.instance(err, CancelledError);
    assert.equal(log.entries, ['group:ExceptionGroup', 'then:CancelledError']);
  })());
});

test('a timeout around a group: children cancelled, TimeoutError', async () => {
  await runVirtual((function* () {
    const log = trace();
    const err = yield* caught(() => asyncWith(timeout(2), () => asyncWith(new TaskGroup(), function* (g) {
      g.createTask(worker(log, 'a', 5));
      g.createTask(worker(log, 'b', 1));
    })));
    assert.instance(err, TimeoutError);
    assert.equal(log.entries, ['b:done@1', 'a:cancelled@2']);
    assert.is(currentTask()?.cancelling(), 0);
  })());
});

test('a group inside a timeout that does not expire: a child failure is an ExceptionGroup, not a timeout', async () => {
  await runVirtual((function* () {
    const boom = new Error('boom');
    const err = yield* caught(() => asyncWith(timeout(10), () => asyncWith(new TaskGroup(), function* (g) {
      g.createTask(failing(trace(), 'bad', 1, boom));
      yield* sleep(5);
    })));
    assert.equal(groupOf(err), [boom]);
  })());
});

// ---- nesting ----

test('nested groups: the inner failure cancels the inner siblings, then the outer ones', async () => {
  await runVirtual((function* () {
    const log = trace();
    const boom = new Error('boom');
    const err = yield* caught(() => asyncWith(new TaskGroup(), function* (outer) {
      outer.createTask(worker(log, 'outer-child', 10));
      yield* asyncWith(new TaskGroup(), function* (inner) {
        inner.createTask(worker(log, 'inner-child', 10));
        inner.createTask(failing(log, 'inner-bad', 1, boom));
      });
      log.log('not reached');
    }));
    const [innerGroup] = groupOf(err);
    assert.equal(groupOf(innerGroup), [boom]);
    assert.equal(log.entries, ['inner-bad:fails@1', 'inner-child:cancelled@1', 'outer-child:cancelled@1']);
    assert.is(currentTask()?.cancelling(), 0);
  })());
});

test('nested groups: the outer failure cancels the inner group, whose CancelledError is not an error', async () => {
  await runVirtual((function* () {
    const log = trace();
    const boom = new Error('boom');
    const err = yield* caught(() => asyncWith(new TaskGroup(), function* (outer) {
      outer.createTask(failing(log, 'outer-bad', 1, boom));
      yield* asyncWith(new TaskGroup(), function* (inner) {
        inner.createTask(worker(log, 'inner-child', 10));
      });
    }));
    assert.equal(groupOf(err), [boom]);
    assert.equal(log.entries, ['outer-bad:fails@1', 'inner-child:cancelled@1']);
  })());
});

// ---- createTask and misuse ----

test('createTask() before entry, while aborting and after the group closed: RuntimeError', async () => {
  await runVirtual((function* () {
    const tg = new TaskGroup();
    const e0 = thrown(() => tg.createTask(sleep(0)));
    assert.instance(e0, RuntimeError);
    assert.match((e0 as Error).message, /not been entered/);
    let whileAborting: unknown;
    yield* caught(() => asyncWith(tg, function* (g) {
      g.createTask(failing(trace(), 'bad', 1, new Error('x')));
      try {
        yield* sleep(5);
      } catch (e) {
        whileAborting = thrown(() => g.createTask(sleep(0)));
        throw e;
      }
    }));
    assert.match((whileAborting as Error).message, /shutting down \(CHILD_FAILED\)/);
    const e2 = thrown(() => tg.createTask(sleep(0)));
    assert.match((e2 as Error).message, /finished/);
  })());
});

test('createTask() from a stranger once exit() has nothing left to wait for: finished', async () => {
  await runVirtual((function* () {
    const tg = new TaskGroup();
    let late: unknown;
    yield* asyncWith(tg, function* (g) {
      const t = g.createTask(sleep(1));
      // Runs right after the last child is done, before exit() resumes.
      t.addDoneCallback(() => {
        late = thrown(() => g.createTask(sleep(0)));
      });
    });
    assert.match((late as Error).message, /finished/);
  })());
});

test('a TaskGroup can be entered once; exit() must follow enter()', async () => {
  await runVirtual((function* () {
    const tg = new TaskGroup();
    const e0 = yield* caught(() => tg.exit());
    assert.match((e0 as Error).message, /CREATED/);
    yield* asyncWith(tg, function* () {});
    const e1 = yield* caught(() => tg.enter());
    assert.instance(e1, RuntimeError);
    assert.match((e1 as Error).message, /CLOSED.*only once/);
  })());
});

test('entering a TaskGroup outside a task is a RuntimeError', async () => {
  await runVirtual((function* () {
    let err: unknown;
    getRunningLoop().callSoon(() => {
      err = thrown(() => new TaskGroup().enter().next());
    });
    yield* sleep(0);
    yield* sleep(0);
    assert.match((err as Error).message, /inside a task/);
  })());
});

test('a child fails after its parent task is gone (exit never called): reported to the handler', async () => {
  const errors = collectErrors();
  const boom = new Error('late');
  await runVirtual((function* () {
    const tg = new TaskGroup();
    const parent = createTask((function* () {
      yield* tg.enter(); // misuse: no exit()
      tg.createTask(failing(trace(), 'orphan', 1, boom));
    })());
    yield* parent;
    yield* sleep(2);
  })(), { exceptionHandler: errors.handler });
  const reported = errors.contexts.filter((c) => c.exception === boom);
  assert.is(reported.length, 1);
  assert.match(reported[0]!.message, /errored out but its parent task .* is already done/);
});

test('toString() names the state, counts and abort reason', async () => {
  await runVirtual((function* () {
    const tg = new TaskGroup();
    assert.is(String(tg), '<TaskGroup CREATED tasks=0 errors=0>');
    yield* asyncWith(tg, function* (g) {
      g.createTask(sleep(1));
      assert.is(String(g), '<TaskGroup OPEN tasks=1 errors=0>');
      g.cancel();
      assert.is(String(g), '<TaskGroup OPEN tasks=1 errors=0 aborting=CANCEL_CALLED>');
    });
  })());
});

// ---- cancel() (3.15) ----

test('cancel() from the body: children and body cancelled, the group exits quietly', async () => {
  await runVirtual((function* () {
    const log = trace();
    const tg = new TaskGroup();
    const v = yield* asyncWith(tg, function* (g) {
      g.createTask(worker(log, 'a', 10));
      g.createTask(worker(log, 'b', 10));
      yield* sleep(1);
      g.cancel();
      g.cancel(); // idempotent
      yield* sleep(10); // cancelled here
      log.log('not reached');
    });
    assert.is(v, undefined);
    assert.equal(log.entries, ['a:cancelled@1', 'b:cancelled@1']);
    assert.is(currentTask()?.cancelling(), 0);
    yield* sleep(1); // not cancelled any more
    assert.is(now(), 2);
  })());
});

test('cancel() from a child while exit() waits: the group exits quietly', async () => {
  await runVirtual((function* () {
    const log = trace();
    yield* asyncWith(new TaskGroup(), function* (g) {
      g.createTask(worker(log, 'long', 10));
      g.createTask((function* () {
        yield* sleep(1);
        g.cancel();
      })());
    });
    assert.equal(log.entries, ['long:cancelled@1']);
    assert.is(now(), 1);
  })());
});

test('cancel() before entry cancels the group as it is entered; after closing it does nothing', async () => {
  await runVirtual((function* () {
    const log = trace();
    const tg = new TaskGroup();
    tg.cancel();
    yield* asyncWith(tg, function* (g) {
      assert.throws(() => g.createTask(sleep(0)), /shutting down/);
      yield* worker(log, 'body', 1);
    });
    assert.equal(log.entries, ['body:cancelled@0']);
    tg.cancel();
    assert.is(tg.state, 'CLOSED');
    assert.is(currentTask()?.cancelling(), 0);
  })());
});

test('cancel() from a body that never suspends again: the pending cancel is withdrawn', async () => {
  await runVirtual((function* () {
    yield* asyncWith(new TaskGroup(), function* (g) {
      g.cancel();
    });
    yield* sleep(1); // would throw if the cancel were still pending
    assert.is(now(), 1);
  })());
});

test('cancel() under an outside cancel: the outside CancelledError still propagates', async () => {
  await runVirtual((function* () {
    const tg = new TaskGroup();
    const parent = createTask(asyncWith(tg, function* (g) {
      g.createTask(sleep(10));
      yield* sleep(10);
    }));
    yield* sleep(1);
    parent.cancel();
    tg.cancel();
    const err = yield* caught(() => parent);
    assert.instance(err, CancelledError);
  })());
});

// ---- eager tasks ----

test('with eager tasks, a child failing inside createTask() aborts the group from a callback', async () => {
  await runVirtual((function* () {
    const log = trace();
    const boom = new Error('at once');
    const err = yield* caught(() => asyncWith(new TaskGroup(), function* (g) {
      const t = g.createTask((function* (): Coro<never> {
        throw boom;
      })());
      assert.ok(t.done(), 'the eager child finished inside createTask()');
      log.log('body goes on'); // not cancelled on createTask's stack
      yield* sleep(5);
      log.log('not reached');
    }));
    assert.equal(groupOf(err), [boom]);
    assert.equal(log.entries, ['body goes on']);
    assert.is(now(), 0);
  })(), { setup: (loop) => loop.setTaskFactory(eagerTaskFactory) });
});

test.run();
