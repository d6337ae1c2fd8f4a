import { test } from 'uvu';
import { AsyncLocalStorage } from 'node:async_hooks';
import * as assert from 'uvu/assert';
import { ContextVar, Context, Token, copyContext } from '../lib/contextvars.ts';
import { LookupError } from '../lib/exceptions.ts';
import { createTask, sleep } from '../lib/tasks.ts';
import { gather } from '../lib/gather.ts';
import { TaskGroup } from '../lib/taskgroups.ts';
import { asyncWith } from '../lib/contextlib.ts';
import { eagerTaskFactory } from '../lib/eager.ts';
import { getRunningLoop } from '../lib/events.ts';
import { RuntimeError } from '../lib/exceptions.ts';
import { ValueError } from '../lib/exceptions.ts';
import type { EventLoop } from '../lib/loop.ts';
import type { Coro } from '../lib/coroutines.ts';
import { runVirtual, thrown, trace } from './_support/virtual.ts';

// ---- ContextVar, Token, Context on their own ----

test('get(): the value, else the fallback, else the default, else LookupError naming the variable', () => {
  const a = new ContextVar<number>('a', { default: 1 });
  const b = new ContextVar<number>('b');
  copyContext().run(() => {
    assert.is(a.get(), 1);
    assert.is(a.get(5), 5);
    assert.is(b.get(7), 7);
    const err = thrown(() => b.get());
    assert.instance(err, LookupError);
    assert.match((err as Error).message, /'b'/);
    a.set(2);
    assert.is(a.get(5), 2);
  });
});

test('a default of undefined is a default', () => {
  const v = new ContextVar<number | undefined>('v', { default: undefined });
  assert.is(v.get(), undefined);
});

test('set() returns a token; reset(token) restores the previous value, or no value', () => {
  const v = new ContextVar<string>('v');
  copyContext().run(() => {
    const t1 = v.set('one');
    assert.is(t1.oldValue, Token.MISSING);
    assert.is(t1.variable, v);
    const t2 = v.set('two');
    assert.is(t2.oldValue, 'one');
    v.reset(t2);
    assert.is(v.get(), 'one');
    v.reset(t1);
    assert.instance(thrown(() => v.get()), LookupError);
  });
});

test('reset(): a token used twice is a RuntimeError; one from another variable a ValueError', () => {
  const v = new ContextVar<number>('v');
  const w = new ContextVar<number>('w');
  copyContext().run(() => {
    const t = v.set(1);
    v.reset(t);
    assert.instance(thrown(() => v.reset(t)), RuntimeError);
    const tw = w.set(1);
    assert.instance(thrown(() => v.reset(tw as unknown as Token<number>)), ValueError);
    assert.instance(thrown(() => v.reset({} as Token<number>)), TypeError);
  });
});

test('Context.run: sets stay in that context; the caller\'s context is untouched', () => {
  const v = new ContextVar<string>('v', { default: 'outer' });
  const ctx = copyContext();
  const seen = ctx.run(() => {
    v.set('inner');
    return v.get();
  });
  assert.is(seen, 'inner');
  assert.is(v.get(), 'outer');
  assert.is(ctx.get(v), 'inner');
  assert.ok(ctx.has(v));
  assert.is(ctx.size, 1);
  assert.equal([...ctx], [v]);
  assert.equal([...ctx.values()], ['inner']);
  assert.equal([...ctx.entries()], [[v, 'inner']]);
  assert.equal([...ctx.keys()], [v]);
  // run again: still there
  assert.is(ctx.run(() => v.get()), 'inner');
  // a copy is independent
  const copy = ctx.copy();
  copy.run(() => v.set('copy'));
  assert.is(ctx.get(v), 'inner');
  assert.is(copy.get(v), 'copy');
  assert.is(new Context().get(v, 'none'), 'none');
});

test('Context.run: entering a context already entered is a RuntimeError', () => {
  const ctx = new Context();
  const err = ctx.run(() => thrown(() => ctx.run(() => 1)));
  assert.instance(err, RuntimeError);
  assert.match((err as Error).message, /already entered/);
});

test('Context.run: an error thrown inside still restores the caller\'s context', () => {
  const v = new ContextVar<number>('v', { default: 0 });
  const ctx = copyContext();
  assert.throws(() => ctx.run(() => { v.set(9); throw new Error('x'); }));
  assert.is(v.get(), 0);
  assert.is(ctx.get(v), 9);
});

// ---- per task ----

test('a task runs in a copy of its creator\'s context: it sees values set before its creation, not after', async () => {
  const v = new ContextVar<string>('v', { default: 'unset' });
  const t = trace();
  await runVirtual((function* (): Coro<void> {
    v.set('before');
    const child = createTask((function* (): Coro<void> {
      t.log(`child sees ${v.get()}`);
      yield* sleep(1);
      t.log(`child still sees ${v.get()}`);
    })());
    v.set('after');
    yield* child;
    t.log(`parent sees ${v.get()}`);
  })());
  assert.equal(t.entries, ['child sees before', 'child still sees before', 'parent sees after']);
});

test('what a task sets never leaks to its parent or its siblings', async () => {
  const v = new ContextVar<string>('v', { default: 'root' });
  const seen: string[] = [];
  await runVirtual((function* (): Coro<void> {
    const worker = (name: string) => (function* (): Coro<void> {
      v.set(name);
      yield* sleep(1); // interleave with the sibling
      seen.push(`${name}:${v.get()}`);
    })();
    yield* gather(createTask(worker('a')), createTask(worker('b')));
    seen.push(`parent:${v.get()}`);
  })());
  assert.equal(seen, ['a:a', 'b:b', 'parent:root']);
});

test('gather of bare coroutines: each runs in its own copy', async () => {
  const v = new ContextVar<number>('v', { default: 0 });
  const results = await runVirtual((function* (): Coro<number[]> {
    v.set(10);
    const child = (n: number) => (function* (): Coro<number> {
      const seen = v.get();
      v.set(n);
      yield* sleep(n);
      return seen * 100 + v.get();
    })();
    const out = yield* gather(child(1), child(2), child(3));
    assert.is(v.get(), 10);
    return out;
  })());
  assert.equal(results, [1001, 1002, 1003]);
});

test('TaskGroup children each run in a copy of the context at createTask', async () => {
  const v = new ContextVar<string>('v', { default: '-' });
  const seen: string[] = [];
  await runVirtual((function* (): Coro<void> {
    v.set('group');
    yield* asyncWith(new TaskGroup(), function* (tg) {
      for (const name of ['x', 'y']) {
        tg.createTask((function* (): Coro<void> {
          seen.push(`${name} starts with ${v.get()}`);
          v.set(name);
          yield* sleep(1);
          seen.push(`${name} ends with ${v.get()}`);
        })());
      }
    });
    seen.push(`after group: ${v.get()}`);
  })());
  assert.equal(seen, ['x starts with group', 'y starts with group', 'x ends with x', 'y ends with y', 'after group: group']);
});

test('eager tasks: the eager first step runs in the child\'s copy, and the parent\'s context is restored after it', async () => {
  const v = new ContextVar<string>('v', { default: 'root' });
  const seen: string[] = [];
  await runVirtual((function* (): Coro<void> {
    v.set('parent');
    const child = createTask((function* (): Coro<void> {
      seen.push(`eager step sees ${v.get()}`);
      v.set('child');
      yield* sleep(1);
      seen.push(`child later sees ${v.get()}`);
    })());
    seen.push(`parent after createTask sees ${v.get()}`);
    yield* child;
  })(), { setup: (loop: EventLoop) => loop.setTaskFactory(eagerTaskFactory) });
  assert.equal(seen, ['eager step sees parent', 'parent after createTask sees parent', 'child later sees child']);
});

test('createTask {context}: the task starts from the given context', async () => {
  const v = new ContextVar<string>('v', { default: 'none' });
  const ctx = new Context();
  ctx.run(() => v.set('from ctx'));
  const seen = await runVirtual((function* (): Coro<string> {
    return yield* createTask((function* (): Coro<string> { return v.get(); })(), { context: ctx });
  })());
  assert.is(seen, 'from ctx');
});

test('run(main) starts from a copy of the context current where run() was called', async () => {
  const v = new ContextVar<string>('v', { default: 'none' });
  const ctx = new Context();
  const seen = await ctx.run(() => {
    v.set('caller');
    return runVirtual((function* (): Coro<string> { const s = v.get(); v.set('main'); return s; })());
  });
  assert.is(seen, 'caller');
  assert.is(ctx.get(v), 'caller');
});

// ---- callbacks ----

test('callSoon: the callback sees the context current when it was scheduled, and its sets are dropped', async () => {
  const v = new ContextVar<string>('v', { default: 'none' });
  const seen: string[] = [];
  await runVirtual((function* (): Coro<void> {
    const loop = getRunningLoop();
    v.set('at schedule');
    loop.callSoon(() => {
      seen.push(v.get());
      v.set('set by callback');
    });
    v.set('later');
    yield* sleep(0);
    yield* sleep(0);
    loop.callSoon(() => seen.push(v.get()));
    yield* sleep(0);
  })());
  assert.equal(seen, ['at schedule', 'later']);
});

test('callSoon/callLater/callAt {context}: the callback runs in that context, which keeps what it sets', async () => {
  const v = new ContextVar<number>('v', { default: 0 });
  const ctx = new Context();
  const got: number[] = [];
  await runVirtual((function* (): Coro<void> {
    const loop = getRunningLoop();
    const bump = (by: number): void => {
      got.push(v.get());
      v.set(v.get() + by);
    };
    loop.callSoon(bump, 1, { context: ctx });
    yield* sleep(0);
    yield* sleep(0);
    loop.callLater(1, bump, 10, { context: ctx });
    loop.callAt(loop.time() + 2, bump, 100, { context: ctx });
    yield* sleep(3);
    assert.is(v.get(), 0);
  })());
  assert.equal(got, [0, 1, 11]);
  assert.is(ctx.get(v), 111);
});

test('callSoon: an argument that merely looks like options is passed through', async () => {
  const got: unknown[] = [];
  await runVirtual((function* (): Coro<void> {
    const loop = getRunningLoop();
    loop.callSoon((a: unknown) => got.push(a), { context: 'not a Context' });
    loop.callSoon((a: unknown) => got.push(a), { context: new Context(), other: 1 });
    yield* sleep(0);
    yield* sleep(0);
  })());
  assert.is(got.length, 2);
  assert.is((got[0] as { context: string }).context, 'not a Context');
});

test('a done-callback that sets a variable does not change the context of later callbacks or tasks', async () => {
  const v = new ContextVar<string>('v', { default: 'clean' });
  const seen: string[] = [];
  await runVirtual((function* (): Coro<void> {
    const loop = getRunningLoop();
    const fut = loop.createFuture<void>();
    fut.addDoneCallback(() => v.set('dirty'));
    fut.setResult(undefined);
    yield* sleep(0);
    yield* sleep(0);
    fut.addDoneCallback(() => v.set('dirty again')); // done already: runs through its own handle
    yield* sleep(0);
    yield* sleep(0);
    loop.callSoon(() => seen.push(v.get()));
    seen.push(yield* createTask((function* (): Coro<string> { return v.get(); })()));
  })());
  assert.equal(seen, ['clean', 'clean']);
  assert.is(v.get(), 'clean'); // the context around the loop (here: the program's) is untouched
});

test('a cancelled handle lets go of its context', async () => {
  await runVirtual((function* (): Coro<void> {
    const big = new ContextVar<object>('big');
    big.set({ payload: new Array(10).fill(0) });
    const handle = getRunningLoop().callSoon(() => {});
    assert.ok(handle._context instanceof Map && handle._context.size === 1);
    handle.cancel();
    assert.is((handle._context as Map<unknown, unknown>).size, 0);
    yield* sleep(0);
  })());
});

// ---- Node's AsyncLocalStorage, with run(main, {asyncLocalStorage: true}) ----

test('asyncLocalStorage: a value entered in one task is that task\'s and its children\'s, never a sibling\'s or the parent\'s', async () => {
  const als = new AsyncLocalStorage<string>();
  const seen: string[] = [];
  await als.run('outside', () => runVirtual((function* (): Coro<void> {
    seen.push(`main starts with ${als.getStore()}`);
    const worker = (id: string) => (function* (): Coro<void> {
      als.enterWith(id);
      yield* sleep(1); // interleave with the sibling
      const child = createTask((function* (): Coro<string | undefined> { yield* sleep(1); return als.getStore(); })());
      seen.push(`${id} sees ${als.getStore()}, its child ${yield* child}`);
    })();
    yield* gather(createTask(worker('req-1')), createTask(worker('req-2')));
    seen.push(`main ends with ${als.getStore()}`);
  })(), { asyncLocalStorage: true }));
  assert.equal(seen, ['main starts with outside', 'req-1 sees req-1, its child req-1', 'req-2 sees req-2, its child req-2', 'main ends with outside']);
});

test('asyncLocalStorage: eager tasks get their own scope too', async () => {
  const als = new AsyncLocalStorage<string>();
  const seen: string[] = [];
  await runVirtual((function* (): Coro<void> {
    als.enterWith('parent');
    const child = createTask((function* (): Coro<void> {
      seen.push(`eager step sees ${als.getStore()}`);
      als.enterWith('child');
      yield* sleep(1);
      seen.push(`child sees ${als.getStore()}`);
    })());
    seen.push(`parent sees ${als.getStore()}`);
    yield* child;
  })(), { asyncLocalStorage: true, setup: (loop: EventLoop) => loop.setTaskFactory(eagerTaskFactory) });
  assert.equal(seen, ['eager step sees parent', 'parent sees parent', 'child sees child']);
});

test.run();
