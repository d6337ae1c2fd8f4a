import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { run } from '../lib/runners.ts';
import { createTask, currentTask, sleep } from '../lib/tasks.ts';
import { gather } from '../lib/gather.ts';
import { getRunningLoop } from '../lib/events.ts';
import { CancelledError, DeadlockError, RuntimeError } from '../lib/exceptions.ts';
import type { EventLoop } from '../lib/loop.ts';
import type { Coro } from '../lib/coroutines.ts';
import { captureStderr, collectErrors, rejection, runVirtual, thrown, trace } from './_support/virtual.ts';

test('run() resolves with the main coroutine\'s result', async () => {
  assert.is(await run((function* (): Coro<number> { yield; return 42; })()), 42);
});

test('run() rejects with the main coroutine\'s error, and does not report it as unretrieved', async () => {
  const boom = new Error('main failed');
  const { handler, contexts } = collectErrors();
  const err = await rejection(runVirtual((function* (): Coro<void> { yield* sleep(1); throw boom; })(), { exceptionHandler: handler }));
  assert.is(err, boom);
  assert.equal(contexts, []);
});

test('run() rejects with CancelledError when main is cancelled', async () => {
  const err = await rejection(runVirtual((function* (): Coro<void> {
    currentTask()!.cancel('main cancelled');
    yield;
  })()));
  assert.instance(err, CancelledError);
  assert.is((err as Error).message, 'main cancelled');
});

test('each run() gets a fresh loop, closed when it ends', async () => {
  const loops: EventLoop[] = [];
  const grab = function* (): Coro<void> { loops.push(getRunningLoop()); };
  await run(grab());
  await run(grab());
  assert.is(loops.length, 2);
  assert.is.not(loops[0], loops[1]);
  assert.ok(loops[0]!.isClosed() && loops[1]!.isClosed());
});

test('two run()s can go on at the same time, each on its own loop', async () => {
  const t = trace();
  const worker = (name: string) => (function* (): Coro<string> {
    for (let i = 0; i < 3; i++) {
      t.log(`${name}${i}`);
      yield* sleep(0.001);
    }
    return name;
  })();
  const results = await Promise.all([run(worker('a')), run(worker('b'))]);
  assert.equal(results, ['a', 'b']);
  assert.is(t.entries.length, 6);
});

test('setup and debug options reach the new loop before main starts', async () => {
  let seen: EventLoop | null = null;
  let debug = false;
  await run((function* (): Coro<void> { debug = getRunningLoop().getDebug(); })(), {
    debug: true,
    setup: (loop) => { seen = loop; },
  });
  assert.ok(seen !== null);
  assert.ok(debug);
});

test('at exit, run() cancels the remaining tasks and waits for them: their finally blocks run', async () => {
  const t = trace();
  let background: ReturnType<typeof createTask<void>> | null = null;
  await runVirtual((function* (): Coro<void> {
    background = createTask((function* (): Coro<void> {
      try {
        yield* sleep(1000);
      } finally {
        t.log('cleanup start');
        yield* sleep(1); // cleanup may itself wait
        t.log('cleanup end');
      }
    })());
    yield;
    t.log('main done');
  })());
  t.log('run resolved');
  assert.equal(t.entries, ['main done', 'cleanup start', 'cleanup end', 'run resolved']);
  assert.ok(background!.cancelled());
});

test('at exit, run() also cancels a task that never waited on a future (it is found in the ready queue)', async () => {
  let spinner: ReturnType<typeof createTask<void>> | null = null;
  let spins = 0;
  await runVirtual((function* (): Coro<void> {
    spinner = createTask((function* (): Coro<void> { for (;;) { spins++; yield; } })());
    yield;
  })());
  assert.ok(spinner!.cancelled());
  assert.ok(spins >= 1);
});

test('a task raising an error instead of stopping at shutdown is reported', async () => {
  const { handler, contexts } = collectErrors();
  await runVirtual((function* (): Coro<void> {
    createTask((function* (): Coro<void> {
      try {
        yield* sleep(1000);
      } catch {
        throw new Error('failed while cancelled');
      }
    })(), { name: 'grumpy' });
    yield;
  })(), { exceptionHandler: handler });
  assert.is(contexts.length, 1);
  assert.match(contexts[0]!.message, /unhandled exception during run\(\) shutdown in <Task .*name=grumpy>/);
  assert.is((contexts[0]!.exception as Error).message, 'failed while cancelled');
  assert.is(contexts[0]!.task?.getName(), 'grumpy');
});

test('an error in a task nobody retrieved goes to the exception handler with the task\'s name', async () => {
  const { handler, contexts } = collectErrors();
  await runVirtual((function* (): Coro<void> {
    createTask((function* (): Coro<void> { throw new Error('lost'); })(), { name: 'forgotten' });
    yield* sleep(1);
  })(), { exceptionHandler: handler });
  assert.is(contexts.length, 1);
  assert.match(contexts[0]!.message, /^Task exception was never retrieved: <Task finished exception=Error: lost name=forgotten>$/);
  assert.is((contexts[0]!.exception as Error).message, 'lost');
});

test('a future\'s unretrieved error is reported as a Future\'s', async () => {
  const { handler, contexts } = collectErrors();
  await runVirtual((function* (): Coro<void> {
    getRunningLoop().createFuture().setException(new Error('in a future'));
  })(), { exceptionHandler: handler });
  assert.is(contexts.length, 1);
  assert.match(contexts[0]!.message, /^Future exception was never retrieved/);
});

test('an error retrieved by anyone is not reported', async () => {
  const { handler, contexts } = collectErrors();
  await runVirtual((function* (): Coro<void> {
    const a = createTask((function* (): Coro<void> { throw new Error('a'); })());
    const b = createTask((function* (): Coro<void> { throw new Error('b'); })());
    yield* sleep(1);
    a.exception();
    try {
      b.result();
    } catch {
      // retrieved
    }
  })(), { exceptionHandler: handler });
  assert.equal(contexts, []);
});

test('the default handler writes the unretrieved error to stderr', async () => {
  const out = await captureStderr(() => runVirtual((function* (): Coro<void> {
    createTask((function* (): Coro<void> { throw new Error('to stderr'); })(), { name: 'noisy' });
    yield;
  })()));
  assert.match(out, /Task exception was never retrieved: .*name=noisy/);
  assert.match(out, /Error: to stderr/);
});

test('debug mode: the report of an unretrieved error says where the task was created', async () => {
  const { handler, contexts } = collectErrors();
  await runVirtual((function* (): Coro<void> {
    createTask((function* (): Coro<void> { throw new Error('x'); })());
    yield;
  })(), { exceptionHandler: handler, debug: true });
  assert.match(contexts[0]!.sourceTraceback ?? '', /runners\.spec\.ts/);
});

test('run() from inside a running loop throws a RuntimeError', async () => {
  let caught: unknown;
  await runVirtual((function* (): Coro<void> {
    caught = thrown(() => run((function* () {})()));
  })());
  assert.instance(caught, RuntimeError);
  assert.match((caught as Error).message, /running event loop/);
});

test('run(generatorFunction) is a TypeError telling to call it', () => {
  function* main(): Coro<void> {}
  const err = thrown(() => run(main as unknown as Coro<void>));
  assert.instance(err, TypeError);
  assert.match((err as Error).message, /generator function main: call it — run\(main\(\)\)/);
});

// ---- the deadlock report ----

test('a deadlock rejects run() with DeadlockError naming each pending task and what it waits on', async () => {
  const err = await rejection(runVirtual((function* (): Coro<void> {
    const loop = getRunningLoop();
    const never = loop.createFuture<void>();
    const waiter = createTask((function* (): Coro<void> { yield* never; })(), { name: 'waiter' });
    const gatherer = createTask((function* (): Coro<void> { yield* gather(loop.createFuture(), loop.createFuture()); })(), { name: 'gatherer' });
    currentTask()!.setName('main');
    yield* waiter;
    yield* gatherer;
  })()));
  assert.instance(err, DeadlockError);
  const message = (err as Error).message;
  assert.match(message, /^deadlock: nothing is ready, no timer is armed and no I\/O is pending/);
  assert.match(message, /\n {2}waiter ← main, waiting on <Future pending>/);
  assert.match(message, /\n {2}gatherer, waiting on gather of 2/);
});

test('on a deadlock the pending tasks are cancelled so their finally blocks run', async () => {
  const t = trace();
  const err = await rejection(runVirtual((function* (): Coro<void> {
    createTask((function* (): Coro<void> {
      try {
        yield* getRunningLoop().createFuture();
      } finally {
        t.log('child finally');
      }
    })());
    try {
      yield* getRunningLoop().createFuture();
    } finally {
      t.log('main finally');
    }
  })()));
  assert.instance(err, DeadlockError);
  assert.equal(t.entries.slice().sort(), ['child finally', 'main finally']);
});

test('a task that ignores the shutdown cancel and waits forever ends run() with a DeadlockError', async () => {
  const err = await rejection(runVirtual((function* (): Coro<string> {
    createTask((function* (): Coro<void> {
      try {
        yield* sleep(1000);
      } catch {
        yield* getRunningLoop().createFuture(); // never set
      }
    })(), { name: 'stubborn' });
    yield;
    return 'main is done';
  })()));
  assert.instance(err, DeadlockError);
  assert.match((err as Error).message, /stubborn, waiting on <Future pending>/);
});

test('a main that swallows the deadlock cancel and waits again still ends run() with DeadlockError', async () => {
  let attempts = 0;
  const err = await rejection(runVirtual((function* (): Coro<void> {
    for (let i = 0; i < 1000; i++) {
      try {
        yield* getRunningLoop().createFuture(); // never set
      } catch {
        attempts++; // ignores the cancellation and waits again
      }
    }
  })(), { exceptionHandler: () => {} }));
  assert.instance(err, DeadlockError);
  assert.is(attempts, 1, 'stuck twice: the run ends instead of cancelling forever');
});

test('a timer pending is no deadlock, even a long one (virtual time)', async () => {
  assert.is(await runVirtual((function* (): Coro<string> { yield* sleep(86_400); return 'woke'; })()), 'woke');
});

test('an I/O wait pending is no deadlock: a Node callback can still wake the task', async () => {
  const result = await run((function* (): Coro<string> {
    const loop = getRunningLoop();
    const fut = loop.createFuture<string>();
    loop._ioRef();
    setImmediate(() => {
      loop._ioUnref();
      fut.setResult('from node');
    });
    return yield* fut;
  })());
  assert.is(result, 'from node');
});

test('debug mode: resources never closed are reported at the end, before unretrieved errors, once', async () => {
  const { handler, contexts } = collectErrors();
  let loop: EventLoop | null = null;
  await runVirtual((function* (): Coro<void> {
    loop = getRunningLoop();
    const widget = {};
    loop._registerResource(widget, 'Widget', new Error().stack ?? '', () => '3 parts still held');
    loop._registerResource({}, 'Gadget', 'Error\n    at <no frames>');
    const closed = {};
    loop._registerResource(closed, 'Closed', new Error().stack ?? '');
    loop._resourceClosed(closed);
    createTask((function* (): Coro<void> { throw new Error('lost'); })(), { name: 'forgotten' });
    yield* sleep(1);
  })(), { debug: true, exceptionHandler: handler });
  assert.equal(contexts.map((c) => c.message.split('\n')[0]!.replace(/ created at .* was/, ' created at … was')), [
    'Widget created at … was never closed (3 parts still held)',
    'Gadget created at … was never closed',
    'Task exception was never retrieved: <Task finished exception=Error: lost name=forgotten>',
  ]);
  assert.match(contexts[0]!.message, /^Widget created at .*runners\.spec\.ts:\d+/);
  loop!._reportLeaks();
  assert.is(contexts.length, 3, 'reported once: the registry is emptied');
});

test.run();
