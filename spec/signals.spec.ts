import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { constants } from 'node:os';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { run, Runner } from '../lib/runners.ts';
import { EventLoop } from '../lib/loop.ts';
import { getRunningLoop } from '../lib/events.ts';
import { currentTask } from '../lib/tasks.ts';
import { ContextVar } from '../lib/contextvars.ts';
import { DeadlockError, RuntimeError } from '../lib/exceptions.ts';
import { ValueError } from '../lib/exceptions.ts';
import type { Coro } from '../lib/coroutines.ts';
import { collectErrors, rejection, runVirtual, thrown, trace } from './_support/virtual.ts';
import { spawnProgram } from './_support/child.ts';

const FIXTURE = 'spec/fixtures/interrupt.ts';

// ---- the handler runs as a loop callback ----

test('a real SIGUSR2 calls the handler with its arguments, as a loop callback', async () => {
  const seen = await run((function* (): Coro<unknown[]> {
    const loop = getRunningLoop();
    const got = loop.createFuture<unknown[]>();
    loop.addSignalHandler('SIGUSR2', (a: string, b: number) => {
      // Inside a loop iteration: the loop is running and no task is.
      got.setResult([a, b, getRunningLoop() === loop, loop.isRunning(), currentTask()]);
    }, 'x', 2);
    process.kill(process.pid, 'SIGUSR2');
    return yield* got;
  })());
  assert.equal(seen, ['x', 2, true, true, null]);
});

test('the handler never runs inside the signal listener: only in the loop\'s next iteration', async () => {
  const t = trace();
  await runVirtual((function* (): Coro<void> {
    const loop = getRunningLoop();
    loop.addSignalHandler('SIGUSR2', () => t.log('handler'));
    process.emit('SIGUSR2', 'SIGUSR2'); // the listener, called synchronously
    t.log('after the listener');
    yield;
    t.log('next step');
    loop.removeSignalHandler('SIGUSR2');
  })());
  assert.equal(t.entries, ['after the listener', 'handler', 'next step']);
});

test('an error in the handler goes to the exception handler, and the loop goes on', async () => {
  const { handler, contexts } = collectErrors();
  const result = await runVirtual((function* (): Coro<string> {
    getRunningLoop().addSignalHandler('SIGUSR2', function failing() { throw new Error('handler failed'); });
    process.emit('SIGUSR2', 'SIGUSR2');
    yield;
    yield;
    return 'went on';
  })(), { exceptionHandler: handler });
  assert.is(result, 'went on');
  assert.is(contexts.length, 1);
  assert.is((contexts[0]!.exception as Error).message, 'handler failed');
});

test('the handler runs in a copy of the context current when it was added (as asyncio\'s Handle)', async () => {
  const requestId = new ContextVar<string>('requestId', { default: 'none' });
  const seen: string[] = [];
  await runVirtual((function* (): Coro<void> {
    const loop = getRunningLoop();
    requestId.set('at add');
    loop.addSignalHandler('SIGUSR2', () => seen.push(requestId.get()));
    requestId.set('later');
    process.emit('SIGUSR2', 'SIGUSR2');
    yield;
    yield;
  })());
  assert.equal(seen, ['at add']);
});

test('a second handler for the same signal replaces the first; a number names the signal too', async () => {
  const before = process.listenerCount('SIGUSR2');
  const t = trace();
  await runVirtual((function* (): Coro<void> {
    const loop = getRunningLoop();
    loop.addSignalHandler('SIGUSR2', () => t.log('first'));
    loop.addSignalHandler(constants.signals.SIGUSR2, () => t.log('second'));
    assert.is(process.listenerCount('SIGUSR2'), before + 1);
    process.emit('SIGUSR2', 'SIGUSR2');
    yield;
    yield;
    assert.ok(loop.removeSignalHandler('SIGUSR2'), 'removed by name');
  })());
  assert.equal(t.entries, ['second']);
});

test('removeSignalHandler: true, then false; the process listener goes (the default action is back)', async () => {
  const before = process.listenerCount('SIGUSR2');
  const results: boolean[] = [];
  await runVirtual((function* (): Coro<void> {
    const loop = getRunningLoop();
    results.push(loop.removeSignalHandler('SIGUSR2'));
    loop.addSignalHandler('SIGUSR2', () => {});
    assert.is(process.listenerCount('SIGUSR2'), before + 1);
    results.push(loop.removeSignalHandler('SIGUSR2'));
    results.push(loop.removeSignalHandler('SIGUSR2'));
    assert.is(process.listenerCount('SIGUSR2'), before);
  })());
  assert.equal(results, [false, true, false]);
});

test('two loops with a handler for the same signal both hear it', async () => {
  const heard: string[] = [];
  const program = (name: string) => (function* (): Coro<void> {
    const loop = getRunningLoop();
    const got = loop.createFuture<void>();
    loop.addSignalHandler('SIGUSR2', () => {
      heard.push(name);
      got.setResult();
    });
    if (name === 'b') process.kill(process.pid, 'SIGUSR2'); // both handlers are installed by now
    yield* got;
  })();
  const a = run(program('a'));
  const b = run(program('b'));
  await Promise.all([a, b]);
  assert.equal(heard.sort(), ['a', 'b']);
});

// ---- lifetime ----

test('run() removes the handlers its loop still has when it ends', async () => {
  const before = { usr2: process.listenerCount('SIGUSR2'), hup: process.listenerCount('SIGHUP') };
  await runVirtual((function* (): Coro<void> {
    getRunningLoop().addSignalHandler('SIGUSR2', () => {});
    getRunningLoop().addSignalHandler('SIGHUP', () => {});
    assert.is(process.listenerCount('SIGUSR2'), before.usr2 + 1);
  })());
  assert.is(process.listenerCount('SIGUSR2'), before.usr2);
  assert.is(process.listenerCount('SIGHUP'), before.hup);
  // Also when main fails.
  await rejection(runVirtual((function* (): Coro<void> {
    getRunningLoop().addSignalHandler('SIGUSR2', () => {});
    throw new Error('main failed');
  })()));
  assert.is(process.listenerCount('SIGUSR2'), before.usr2);
});

test('a Runner\'s handlers live across its run()s and go at close()', async () => {
  const before = process.listenerCount('SIGUSR2');
  const runner = new Runner({ virtualTime: true });
  const hits: number[] = [];
  await runner.run((function* (): Coro<void> {
    getRunningLoop().addSignalHandler('SIGUSR2', () => hits.push(1));
  })());
  assert.is(process.listenerCount('SIGUSR2'), before + 1);
  await runner.run((function* (): Coro<void> {
    process.emit('SIGUSR2', 'SIGUSR2');
    yield;
    yield;
  })());
  assert.equal(hits, [1]);
  await runner.close();
  assert.is(process.listenerCount('SIGUSR2'), before);
});

test('a task waiting only for a signal is not deadlocked (the handler counts as an outside wait)', async () => {
  const result = await run((function* (): Coro<string> {
    const loop = getRunningLoop();
    const got = loop.createFuture<string>();
    loop.addSignalHandler('SIGUSR2', () => got.setResult('signalled'));
    // Delivered after the driver found nothing ready: without the outside wait, a DeadlockError.
    process.kill(process.pid, 'SIGUSR2');
    return yield* got;
  })());
  assert.is(result, 'signalled');
});

test('once the handler is removed, waiting for the signal is a deadlock again', async () => {
  const err = await rejection(run((function* (): Coro<void> {
    const loop = getRunningLoop();
    loop.addSignalHandler('SIGUSR2', () => {});
    loop.removeSignalHandler('SIGUSR2');
    yield* loop.createFuture();
  })()));
  assert.instance(err, DeadlockError);
});

test('a loop closed by hand removes its handlers: the listeners go and the outside wait ends', () => {
  const before = { usr2: process.listenerCount('SIGUSR2'), hup: process.listenerCount('SIGHUP') };
  const loop = new EventLoop({ virtualTime: true });
  loop.addSignalHandler('SIGUSR2', () => {});
  loop.addSignalHandler('SIGHUP', () => {});
  assert.is(loop._ioWaitCount(), 1, 'one outside wait for all of the loop\'s handlers');
  loop.close();
  assert.is(process.listenerCount('SIGUSR2'), before.usr2);
  assert.is(process.listenerCount('SIGHUP'), before.hup);
  assert.is(loop._ioWaitCount(), 0);
  assert.is(loop.removeSignalHandler('SIGUSR2'), false);
});

// ---- misuse ----

test('bad signals are clear errors: unknown (ValueError, with a guess), uncatchable (RuntimeError), not a signal (TypeError)', () => {
  const loop = new EventLoop();
  const noop = (): void => {};
  const err = (fn: () => unknown): Error => thrown(fn) as Error;
  assert.instance(err(() => loop.addSignalHandler('SIGFOO' as NodeJS.Signals, noop)), ValueError);
  assert.match(err(() => loop.addSignalHandler('SIGFOO' as NodeJS.Signals, noop)).message, /unknown signal the string "SIGFOO".*os\.constants\.signals/);
  assert.match(err(() => loop.addSignalHandler('sigterm' as NodeJS.Signals, noop)).message, /Did you mean 'SIGTERM'\?/);
  assert.match(err(() => loop.addSignalHandler('TERM' as NodeJS.Signals, noop)).message, /Did you mean 'SIGTERM'\?/);
  assert.instance(err(() => loop.addSignalHandler(12345, noop)), ValueError);
  for (const sig of ['SIGKILL', 'SIGSTOP', 9] as const) {
    const e = err(() => loop.addSignalHandler(sig, noop));
    assert.instance(e, RuntimeError);
    assert.match(e.message, /cannot be caught/);
  }
  assert.instance(err(() => loop.addSignalHandler({} as NodeJS.Signals, noop)), TypeError);
  assert.instance(err(() => loop.removeSignalHandler('SIGFOO' as NodeJS.Signals)), ValueError);
  loop.close();
});

test('a handler that is not a plain function is a TypeError saying what to pass', () => {
  const loop = new EventLoop();
  const e1 = thrown(() => loop.addSignalHandler('SIGUSR2', 'stop' as unknown as () => void)) as Error;
  assert.instance(e1, TypeError);
  assert.match(e1.message, /needs a function to call, got the string "stop"/);
  function* shutdown(): Coro<void> {}
  const e2 = thrown(() => loop.addSignalHandler('SIGUSR2', shutdown as unknown as () => void)) as Error;
  assert.instance(e2, TypeError);
  assert.match(e2.message, /not a coroutine function.*createTask/);
  assert.is(loop.removeSignalHandler('SIGUSR2'), false, 'nothing was installed');
  loop.close();
});

test('addSignalHandler on a closed loop is a RuntimeError', () => {
  const loop = new EventLoop();
  loop.close();
  const e = thrown(() => loop.addSignalHandler('SIGUSR2', () => {})) as Error;
  assert.instance(e, RuntimeError);
  assert.match(e.message, /closed event loop/);
});

test('addSignalHandler in a worker thread is a RuntimeError (signals never reach a worker)', async () => {
  const tsx = createRequire(import.meta.url).resolve('tsx/cjs');
  const loopModule = fileURLToPath(new URL('../lib/loop.ts', import.meta.url));
  const worker = new Worker(`
    require(${JSON.stringify(tsx)});
    const { parentPort } = require('node:worker_threads');
    const { EventLoop } = require(${JSON.stringify(loopModule)});
    const loop = new EventLoop();
    try {
      loop.addSignalHandler('SIGUSR2', () => {});
      parentPort.postMessage('installed, waits: ' + loop._ioWaitCount());
    } catch (err) {
      parentPort.postMessage(err.name + ': ' + err.message + ' waits: ' + loop._ioWaitCount());
    }
  `, { eval: true });
  try {
    const answer = await new Promise<string>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    assert.match(answer, /^RuntimeError: addSignalHandler\(\) in a worker thread.*main thread.* waits: 0$/);
  } finally {
    await worker.terminate();
  }
});

// ---- in a real process ----

test('child process: a program waiting only for SIGUSR2 stays up until it comes', async () => {
  const child = spawnProgram(FIXTURE, ['wait-usr2']);
  await child.waitFor('ready');
  child.kill('SIGUSR2');
  const exit = await child.exit;
  assert.is(exit.code, 0, exit.stderr);
  assert.match(exit.stdout, /resolved got SIGUSR2/);
});

test('child process: after removeSignalHandler, SIGUSR2 ends the process again (its default action)', async () => {
  const child = spawnProgram(FIXTURE, ['usr2-restored']);
  await child.waitFor('ready');
  child.kill('SIGUSR2');
  const exit = await child.exit;
  assert.is(exit.signal, 'SIGUSR2');
  assert.match(exit.stdout, /removed true/);
  assert.not.match(exit.stdout, /handler ran/);
});

test.run();
