import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createEagerTaskFactory, eagerTaskFactory } from '../lib/eager.ts';
import { Task, allTasks, createTask, currentTask, sleep } from '../lib/tasks.ts';
import type { Coro } from '../lib/coroutines.ts';
import { runVirtual, trace } from './_support/virtual.ts';

// Eager tasks (lib/eager.ts): asyncio 3.12's eager_task_factory.

const eager = { setup: (loop: import('../lib/loop.ts').EventLoop) => loop.setTaskFactory(eagerTaskFactory) };

test('eager: the task runs inside createTask() up to its first suspension', async () => {
  await runVirtual((function* () {
    const log = trace();
    const parent = currentTask();
    log.log('parent:before');
    const t = createTask((function* () {
      log.log(`child:start current=${currentTask() === parent ? 'parent' : 'child'}`);
      yield* sleep(0);
      log.log('child:resumed');
    })());
    log.log(`parent:after current=${currentTask() === parent ? 'parent' : 'child'}`);
    yield* t;
    assert.equal(log.entries, ['parent:before', 'child:start current=child', 'parent:after current=parent', 'child:resumed']);
  })(), eager);
});

test('eager: a task that never suspends is done when createTask() returns', async () => {
  await runVirtual((function* () {
    const t = createTask((function* (): Coro<number> {
      return 42;
    })());
    assert.ok(t.done());
    assert.is(t.result(), 42);
    assert.not.ok(allTasks().has(t as Task<unknown>));
    const boom = new Error('sync failure');
    const f = createTask((function* (): Coro<never> {
      throw boom;
    })());
    assert.is(f.exception(), boom);
  })(), eager);
});

test('eager: order — eager tasks start in creation order, before a lazy one created earlier', async () => {
  await runVirtual((function* () {
    const log = trace();
    const step = (name: string) => (function* () {
      log.log(`${name}1`);
      yield* sleep(0);
      log.log(`${name}2`);
    })();
    const lazy = createTask(step('lazy'), { eagerStart: false });
    const a = createTask(step('a'));
    const b = createTask(step('b'));
    log.log('main');
    yield* lazy;
    yield* a;
    yield* b;
    assert.equal(log.entries, ['a1', 'b1', 'main', 'lazy1', 'a2', 'b2', 'lazy2']);
  })(), eager);
});

test('eager: createEagerTaskFactory builds tasks of the given class', async () => {
  class TracedTask<T> extends Task<T> {}
  await runVirtual((function* () {
    const t = createTask(sleep(0, 'x'));
    assert.instance(t, TracedTask);
    assert.is(yield* t, 'x');
    assert.instance(currentTask(), TracedTask, 'main was made by the factory too (lazily: the loop was not running)');
  })(), { setup: (loop) => loop.setTaskFactory(createEagerTaskFactory(TracedTask)) });
});

test('eager: a task done in its first step lets go of its coroutine (getCoro() is null, as in CPython)', async () => {
  await runVirtual((function* () {
    const done = createTask((function* (): Coro<number> { return 1; })());
    assert.ok(done.done());
    assert.is(done.getCoro(), null);
    const coro = (function* (): Coro<number> {
      yield* sleep(0);
      return 2;
    })();
    const suspended = createTask(coro);
    assert.is(suspended.getCoro(), coro, 'a task that suspended keeps it');
    assert.is(yield* suspended, 2);
    assert.is(suspended.getCoro(), coro, 'and still has it once done: only eager completion drops it');
  })(), eager);
});

test('eager: options given to createTask still reach the task; eagerStart false still wins', async () => {
  await runVirtual((function* () {
    const named = createTask((function* (): Coro<void> {})(), { name: 'quick' });
    assert.is(named.getName(), 'quick');
    assert.ok(named.done(), 'eager unless told otherwise');
    const lazy = createTask((function* (): Coro<void> {})(), { name: 'lazy', eagerStart: false });
    assert.not.ok(lazy.done());
    assert.is(lazy.getName(), 'lazy');
    yield* lazy;
  })(), eager);
});

test('eager: a task class whose constructor fills in its options still works (options are fresh per task)', async () => {
  let made = 0;
  class NamedTask<T> extends Task<T> {
    constructor(coro: Coro<T>, loop?: import('../lib/loop.ts').EventLoop, options?: import('../lib/tasks.ts').TaskOptions) {
      const opts = options ?? {};
      opts.name ??= `job-${++made}`;
      super(coro, loop, opts);
    }
  }
  await runVirtual((function* () {
    const a = createTask((function* (): Coro<void> {})());
    const b = createTask((function* (): Coro<void> {})());
    assert.equal([a.getName(), b.getName()], ['job-2', 'job-3'], 'job-1 is main, made before the loop ran');
  })(), { setup: (loop) => loop.setTaskFactory(createEagerTaskFactory(NamedTask)) });
});

test.run();
