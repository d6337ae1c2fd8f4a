import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { run, Runner } from '../lib/runners.ts';
import { createTask, currentTask, sleep, type Task } from '../lib/tasks.ts';
import { gather } from '../lib/gather.ts';
import { getRunningLoop } from '../lib/events.ts';
import { CancelledError, DeadlockError, KeyboardInterrupt, RuntimeError } from '../lib/exceptions.ts';
import { wrapPromise } from '../lib/promises.ts';
import type { EventLoop } from '../lib/loop.ts';
import type { Coro } from '../lib/coroutines.ts';
import { captureStderr, collectErrors, rejection, runVirtual, thrown, trace } from './_support/virtual.ts';
import { spawnProgram } from './_support/child.ts';

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

test('debug mode: resources never closed are reported at the end, before unretrieved errors, once, and closed', async () => {
  const { handler, contexts } = collectErrors();
  let loop: EventLoop | null = null;
  const closedAtExit: unknown[] = [];
  const widget = { name: 'widget' };
  await runVirtual((function* (): Coro<void> {
    loop = getRunningLoop();
    loop._registerResource(widget, 'Widget', new Error().stack ?? '', () => '3 parts still held', function (this: object) { closedAtExit.push(this); });
    loop._registerResource({}, 'Gadget', 'Error\n    at <no frames>');
    const closed = {};
    loop._registerResource(closed, 'Closed', new Error().stack ?? '');
    loop._resourceClosed(closed);
    createTask((function* (): Coro<void> { throw new Error('lost'); })(), { name: 'forgotten' });
    yield* sleep(1);
  })(), { debug: true, exceptionHandler: handler });
  assert.equal(contexts.map((c) => c.message.split('\n')[0]!.replace(/ created at .* was/, ' created at … was')), [
    'Widget created at … was never closed (3 parts still held); closed at the end of run()',
    'Gadget created at … was never closed',
    'Task exception was never retrieved: <Task finished exception=Error: lost name=forgotten>',
  ]);
  assert.match(contexts[0]!.message, /^Widget created at .*runners\.spec\.ts:\d+/);
  assert.equal(closedAtExit, [widget]);
  loop!._closeLeftovers();
  assert.is(contexts.length, 3, 'reported once: the registry is emptied');
  assert.is(closedAtExit.length, 1);
});

// ---- Ctrl-C (SIGINT), in this process ----
// Sending SIGINT to this process is safe only while run()'s listener is installed; each
// spec checks process.listenerCount('SIGINT') first, inside main.

/** "main got this far", as a Promise the spec can await. */
function point(): { reached: Promise<void>; reach: () => void } {
  let reach!: () => void;
  const reached = new Promise<void>((resolve) => (reach = resolve));
  return { reached, reach };
}

/** Ends a spec's runs if it fails half-way, instead of leaving hour-long sleeps behind. */
const guard = (): AbortSignal => AbortSignal.timeout(10_000);

/** Sends SIGINT to this process, once run()'s listener is known to be there. */
function interruptSelf(listenersBefore: number): void {
  assert.is(process.listenerCount('SIGINT'), listenersBefore + 1, 'run() listens for SIGINT');
  process.kill(process.pid, 'SIGINT');
}

test('SIGINT cancels main; its finally runs, then the other tasks\' (shutdown); run() rejects with KeyboardInterrupt', async () => {
  const before = process.listenerCount('SIGINT');
  const t = trace();
  const err = await rejection(run((function* (): Coro<void> {
    createTask((function* (): Coro<void> {
      try {
        yield* sleep(3600);
      } finally {
        t.log('child finally');
      }
    })());
    interruptSelf(before);
    try {
      yield* sleep(3600);
    } finally {
      t.log('main finally');
    }
  })(), { signal: guard() }));
  t.log('run rejected');
  assert.instance(err, KeyboardInterrupt);
  assert.instance((err as Error).cause, CancelledError, 'the cause is main\'s CancelledError');
  assert.equal(t.entries, ['main finally', 'child finally', 'run rejected']);
  assert.is(process.listenerCount('SIGINT'), before, 'the listener is gone');
});

test('a main that catches the SIGINT\'s CancelledError and returns: run() resolves with its value', async () => {
  const before = process.listenerCount('SIGINT');
  const result = await run((function* (): Coro<string> {
    interruptSelf(before);
    try {
      yield* sleep(3600);
    } catch (err) {
      if (err instanceof CancelledError) return 'cleaned up';
      throw err;
    }
    return 'not interrupted';
  })(), { signal: guard() });
  assert.is(result, 'cleaned up');
});

test('a SIGINT cancel and another one still requested: CancelledError, not KeyboardInterrupt (uncancel() is not 0)', async () => {
  const before = process.listenerCount('SIGINT');
  const err = await rejection(run((function* (): Coro<void> {
    interruptSelf(before);
    try {
      yield* sleep(3600);
    } catch {
      currentTask()!.cancel('another cancel');
      yield;
    }
  })(), { signal: guard() }));
  assert.instance(err, CancelledError);
  assert.is((err as Error).message, 'another cancel');
});

test('concurrent run()s share one SIGINT listener, and one Ctrl-C interrupts each', async () => {
  const before = process.listenerCount('SIGINT');
  const a = point();
  const b = point();
  const waiter = (started: () => void) => (function* (): Coro<void> {
    started();
    yield* sleep(3600);
  })();
  const runA = rejection(run(waiter(a.reach), { signal: guard() }));
  const runB = rejection(run(waiter(b.reach), { signal: guard() }));
  await Promise.all([a.reached, b.reached]);
  interruptSelf(before);
  const [errA, errB] = await Promise.all([runA, runB]);
  assert.instance(errA, KeyboardInterrupt);
  assert.instance(errB, KeyboardInterrupt);
  assert.is(process.listenerCount('SIGINT'), before);
});

test('a run that settles leaves the shared listener to the runs still in progress', async () => {
  const before = process.listenerCount('SIGINT');
  const stopLong = new AbortController();
  const started = point();
  const long = rejection(run((function* (): Coro<void> {
    started.reach();
    yield* sleep(3600);
  })(), { signal: stopLong.signal }));
  await started.reached;
  await runVirtual((function* (): Coro<void> { yield; })());
  assert.is(process.listenerCount('SIGINT'), before + 1, 'still listening for the long run');
  stopLong.abort('done');
  assert.instance(await long, CancelledError);
  assert.is(process.listenerCount('SIGINT'), before);
});

test('the SIGINT listener is there during run() and gone however it ends: resolved, rejected, deadlocked', async () => {
  const before = process.listenerCount('SIGINT');
  const during: number[] = [];
  const look = function* (): Coro<void> { during.push(process.listenerCount('SIGINT')); };
  await runVirtual(look());
  assert.is(process.listenerCount('SIGINT'), before);
  await rejection(runVirtual((function* (): Coro<void> { yield* look(); throw new Error('x'); })()));
  assert.is(process.listenerCount('SIGINT'), before);
  assert.instance(await rejection(runVirtual((function* (): Coro<void> {
    yield* look();
    yield* getRunningLoop().createFuture();
  })())), DeadlockError);
  assert.is(process.listenerCount('SIGINT'), before);
  assert.equal(during, [before + 1, before + 1, before + 1]);
});

test('handleSignals: false installs no SIGINT listener', async () => {
  const before = process.listenerCount('SIGINT');
  let during = -1;
  await runVirtual((function* (): Coro<void> { during = process.listenerCount('SIGINT'); })(), { handleSignals: false });
  assert.is(during, before);
});

test('a second SIGINT removes the listener and re-raises the signal; a SIGINT listener of the program\'s own hears it and decides', async () => {
  // With no listener of ours left, the re-raised SIGINT would end this process (the
  // child-process specs below show that); a listener of the spec's own keeps it up.
  const before = process.listenerCount('SIGINT');
  const heardThrice = point();
  let heard = 0;
  const own = (): void => {
    if (++heard === 3) heardThrice.reach();
  };
  process.on('SIGINT', own);
  // A signal listener keeps no process alive; while every task waits on a Promise,
  // this timer keeps the spec up until the re-raised signal is delivered.
  const keepAlive = setInterval(() => {}, 1000);
  try {
    const cleaning = point();
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const result = rejection(run((function* (): Coro<void> {
      assert.is(process.listenerCount('SIGINT'), before + 2);
      process.kill(process.pid, 'SIGINT');
      try {
        yield* sleep(3600);
      } finally {
        cleaning.reach();
        yield* wrapPromise(released); // a slow cleanup, waiting on outside work
      }
    })(), { signal: guard() }));
    await cleaning.reached;
    process.kill(process.pid, 'SIGINT');
    await heardThrice.reached; // the first, the second, and the one re-raised
    assert.is(process.listenerCount('SIGINT'), before + 1, 'only the program\'s own listener is left');
    release();
    assert.instance(await result, KeyboardInterrupt);
  } finally {
    process.off('SIGINT', own);
    clearInterval(keepAlive);
  }
  assert.is(heard, 3);
  assert.is(process.listenerCount('SIGINT'), before);
});

test('a SIGINT handler of the loop\'s own (addSignalHandler) takes Ctrl-C over: main is not cancelled', async () => {
  const before = process.listenerCount('SIGINT');
  const result = await run((function* (): Coro<string> {
    const loop = getRunningLoop();
    const got = loop.createFuture<string>();
    loop.addSignalHandler('SIGINT', () => got.setResult('handled by the loop'));
    assert.is(process.listenerCount('SIGINT'), before + 2);
    process.kill(process.pid, 'SIGINT');
    return yield* got;
  })(), { signal: guard() });
  assert.is(result, 'handled by the loop');
  assert.is(process.listenerCount('SIGINT'), before);
});

// ---- run(main, {signal}) ----

test('run(main, {signal}): aborting cancels main with the reason as the message; its finally runs', async () => {
  const controller = new AbortController();
  const t = trace();
  const err = await rejection(runVirtual((function* (): Coro<void> {
    controller.abort('stop now');
    try {
      yield* sleep(1);
    } finally {
      t.log('finally');
    }
  })(), { signal: controller.signal }));
  assert.instance(err, CancelledError);
  assert.is((err as Error).message, 'stop now');
  assert.equal(t.entries, ['finally']);
  const withError = await rejection(runVirtual((function* (): Coro<void> { yield* sleep(1); })(), { signal: AbortSignal.abort(new Error('shutting down')) }));
  assert.is((withError as Error).message, 'shutting down');
});

test('run(main, {signal}) with a signal aborted already: main is cancelled before its first step', async () => {
  let started = false;
  const err = await rejection(runVirtual((function* (): Coro<void> { started = true; })(), { signal: AbortSignal.abort('too late') }));
  assert.instance(err, CancelledError);
  assert.is((err as Error).message, 'too late');
  assert.not.ok(started);
});

// ---- Runner ----

test('Runner: several run()s on one loop; a task one run left pending waits, frozen, and goes on in the next', async () => {
  const runner = new Runner({ virtualTime: true });
  const t = trace();
  let background!: Task<string>;
  const first = await runner.run((function* (): Coro<EventLoop> {
    background = createTask((function* (): Coro<string> {
      t.log('background start');
      yield* sleep(10);
      t.log('background end');
      return 'background done';
    })());
    yield* sleep(1);
    return getRunningLoop();
  })());
  assert.not.ok(background.done(), 'between runs nothing drives the loop, as in asyncio');
  assert.is(runner.state, 'IDLE');
  const [second, value] = await runner.run((function* (): Coro<[EventLoop, string]> {
    return [getRunningLoop(), yield* background];
  })());
  assert.is(second, first);
  assert.is(runner.getLoop(), first);
  assert.is(value, 'background done');
  assert.equal(t.entries, ['background start', 'background end']);
  assert.not.ok(first.isClosed());
  await runner.close();
  assert.ok(first.isClosed());
  assert.is(runner.state, 'CLOSED');
});

test('Runner: options reach the loop, made once on first use', async () => {
  let setups = 0;
  const runner = new Runner({ debug: true, setup: () => void setups++ });
  assert.is(runner.state, 'CREATED');
  const loop = runner.getLoop();
  assert.is(runner.state, 'IDLE');
  assert.ok(loop.getDebug());
  assert.is(await runner.run((function* (): Coro<EventLoop> { return getRunningLoop(); })()), loop);
  assert.is(setups, 1);
  await runner.close();
});

test('Runner.close() cancels what the runs left (their finally blocks run), reports unretrieved errors, closes the loop', async () => {
  const { handler, contexts } = collectErrors();
  const runner = new Runner({ virtualTime: true, exceptionHandler: handler });
  const t = trace();
  await runner.run((function* (): Coro<void> {
    createTask((function* (): Coro<void> {
      try {
        yield* sleep(3600);
      } finally {
        t.log('cleanup start');
        yield* sleep(1);
        t.log('cleanup end');
      }
    })());
    createTask((function* (): Coro<void> { throw new Error('lost'); })(), { name: 'forgotten' });
    yield;
  })());
  assert.equal(t.entries, []);
  assert.equal(contexts, [], 'reported at close(), not at the end of each run');
  await runner.close();
  assert.equal(t.entries, ['cleanup start', 'cleanup end']);
  assert.is(contexts.length, 1);
  assert.match(contexts[0]!.message, /never retrieved.*name=forgotten/);
});

test('Runner.close(): again waits for the same end; on a runner never used, it just closes it', async () => {
  const runner = new Runner({ virtualTime: true });
  await runner.run((function* (): Coro<void> { createTask(sleep(5)); yield; })());
  const first = runner.close();
  assert.is(runner.state, 'CLOSING');
  assert.is(runner.close(), first);
  await first;
  await runner.close();
  assert.is(runner.state, 'CLOSED');
  const unused = new Runner();
  await unused.close();
  assert.is(unused.state, 'CLOSED');
});

test('Runner misuse: run() or getLoop() after close(), run() during run(), close() during run() — RuntimeErrors saying what to do', async () => {
  const runner = new Runner({ virtualTime: true });
  const first = runner.run((function* (): Coro<string> { yield* sleep(1); return 'first'; })());
  const again = thrown(() => runner.run((function* () {})())) as Error;
  assert.instance(again, RuntimeError);
  assert.match(again.message, /already running a coroutine on this runner: await the first runner\.run\(\)/);
  const closing = thrown(() => runner.close()) as Error;
  assert.instance(closing, RuntimeError);
  assert.match(closing.message, /close\(\) while runner\.run\(\) is in progress: await the run first/);
  assert.is(await first, 'first');
  await runner.close();
  for (const call of [() => runner.run((function* () {})()), () => runner.getLoop()]) {
    const err = thrown(call) as Error;
    assert.instance(err, RuntimeError);
    assert.match(err.message, /after close\(\).*make a new Runner/);
  }
});

test('Runner.run() inside a running loop, or given a generator function: clear errors', async () => {
  const runner = new Runner();
  let inside: unknown;
  await runVirtual((function* (): Coro<void> { inside = thrown(() => runner.run((function* () {})())); })());
  assert.instance(inside, RuntimeError);
  assert.match((inside as Error).message, /Runner\.run\(\) cannot be called from a running event loop/);
  function* main(): Coro<void> {}
  const err = thrown(() => runner.run(main as unknown as Coro<void>)) as Error;
  assert.instance(err, TypeError);
  assert.match(err.message, /call it — Runner\.run\(main\(\)\)/);
  assert.is(runner.state, 'CREATED', 'misuse makes no loop');
});

test('Runner: a Ctrl-C interrupts one run() with KeyboardInterrupt; the next run() on the same runner starts afresh', async () => {
  const before = process.listenerCount('SIGINT');
  const runner = new Runner();
  const err = await rejection(runner.run((function* (): Coro<void> {
    interruptSelf(before);
    yield* sleep(3600);
  })(), { signal: guard() }));
  assert.instance(err, KeyboardInterrupt);
  assert.is(process.listenerCount('SIGINT'), before, 'removed when runner.run() settles, before close()');
  const cancelled = await rejection(runner.run((function* (): Coro<void> {
    currentTask()!.cancel('by itself');
    yield;
  })()));
  assert.instance(cancelled, CancelledError, 'no interrupt in this run: a plain CancelledError');
  assert.is(await runner.run((function* (): Coro<string> { yield; return 'fine'; })()), 'fine');
  await runner.close();
});

test('Runner: a deadlock rejects that run() with DeadlockError; the runner stays usable', async () => {
  const runner = new Runner({ virtualTime: true });
  const err = await rejection(runner.run((function* (): Coro<void> { yield* getRunningLoop().createFuture(); })()));
  assert.instance(err, DeadlockError);
  assert.is(await runner.run((function* (): Coro<number> { yield* sleep(1); return 7; })()), 7);
  await runner.close();
});

test('Runner.close() rejects with DeadlockError when a task ignores the cancel and waits for ever; the runner is closed all the same', async () => {
  const runner = new Runner({ virtualTime: true });
  await runner.run((function* (): Coro<void> {
    createTask((function* (): Coro<void> {
      try {
        yield* sleep(1000);
      } catch {
        yield* getRunningLoop().createFuture();
      }
    })(), { name: 'stubborn' });
    yield;
  })());
  const err = await rejection(runner.close());
  assert.instance(err, DeadlockError);
  assert.match((err as Error).message, /stubborn/);
  assert.is(runner.state, 'CLOSED');
  assert.instance(thrown(() => runner.getLoop()), RuntimeError);
});

test('await using: the runner is closed when the block ends, its leftover tasks cancelled', async () => {
  const t = trace();
  let kept!: Runner;
  {
    await using runner = new Runner({ virtualTime: true });
    kept = runner;
    await runner.run((function* (): Coro<void> {
      createTask((function* (): Coro<void> {
        try {
          yield* sleep(3600);
        } finally {
          t.log('cleanup');
        }
      })());
      yield;
    })());
    assert.is(runner.state, 'IDLE');
  }
  assert.is(kept.state, 'CLOSED');
  assert.equal(t.entries, ['cleanup']);
});

// ---- Ctrl-C in a real process (a child running spec/fixtures/interrupt.ts) ----

const FIXTURE = 'spec/fixtures/interrupt.ts';

test('child process: Ctrl-C runs main\'s finally, its asyncWith exit, the other tasks\' finally, then run() rejects with KeyboardInterrupt', async () => {
  const child = spawnProgram(FIXTURE, ['interrupt']);
  await child.waitFor('ready');
  child.kill('SIGINT');
  const exit = await child.exit;
  assert.equal(exit.stdout.trim().split('\n'), [
    'ready', 'cm exit', 'main finally', 'child finally', 'rejected KeyboardInterrupt', 'SIGINT listeners 0',
  ]);
  assert.is(exit.code, 130, 'the program\'s own choice for an interrupt (see the fixture)');
});

test('child process: a KeyboardInterrupt nobody catches is reported by Node as an unhandled rejection (status 1)', async () => {
  const child = spawnProgram(FIXTURE, ['interrupt', 'uncaught']);
  await child.waitFor('ready');
  child.kill('SIGINT');
  const exit = await child.exit;
  assert.is(exit.code, 1);
  assert.match(exit.stdout, /main finally\nchild finally/);
  assert.match(exit.stderr, /KeyboardInterrupt: interrupted by SIGINT/);
});

test('child process: a main that catches the cancellation makes run() resolve; the process exits 0', async () => {
  const child = spawnProgram(FIXTURE, ['swallow']);
  await child.waitFor('ready');
  child.kill('SIGINT');
  const exit = await child.exit;
  assert.is(exit.code, 0, exit.stderr);
  assert.match(exit.stdout, /resolved swallowed/);
});

test('child process: a second Ctrl-C during main\'s slow cleanup ends the process by SIGINT', async () => {
  const child = spawnProgram(FIXTURE, ['slow-main']);
  await child.waitFor('ready');
  child.kill('SIGINT');
  await child.waitFor('cleaning');
  child.kill('SIGINT');
  const exit = await child.exit;
  assert.is(exit.signal, 'SIGINT');
  assert.not.match(exit.stdout, /rejected|resolved/);
});

test('child process: a Ctrl-C during close()\'s slow cleanup finds Node\'s default action back, and ends the process', async () => {
  const child = spawnProgram(FIXTURE, ['slow-close']);
  await child.waitFor('ready');
  child.kill('SIGINT');
  await child.waitFor('cleaning');
  child.kill('SIGINT');
  const exit = await child.exit;
  assert.is(exit.signal, 'SIGINT');
});

test('child process: handleSignals: false leaves SIGINT to Node, which ends the process at once', async () => {
  const child = spawnProgram(FIXTURE, ['no-handle']);
  await child.waitFor('ready');
  child.kill('SIGINT');
  const exit = await child.exit;
  assert.is(exit.signal, 'SIGINT');
  assert.not.match(exit.stdout, /cleaning/);
});

test('a setup() that throws after adding a signal handler leaves no handler behind', async () => {
  const before = process.listenerCount('SIGUSR2');
  let loop: EventLoop | null = null;
  const boom = new Error('setup failed');
  const err = thrown(() => run((function* (): Coro<void> {})(), {
    setup: (l) => {
      loop = l;
      l.addSignalHandler('SIGUSR2', () => {});
      throw boom;
    },
  }));
  assert.is(err, boom);
  assert.is(process.listenerCount('SIGUSR2'), before);
  assert.ok(loop !== null && (loop as EventLoop).isClosed());
});

test.run();
