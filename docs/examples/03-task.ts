/**
 * Step 3 of docs/walkthrough.md — a Task steps a generator, and sleeps on the futures
 * it yields. Real code: lib/tasks.ts → Task.step, Task.handleYield, Task.waitOn.
 *
 * Driven by hand with `loop.runOnce()`, so each iteration is visible.
 */
import { EventLoop } from '../../lib/loop.ts';
import type { Coro } from '../../lib/coroutines.ts';

const loop = new EventLoop();
const fut = loop.createFuture<string>();

function* worker(): Coro<string> {
  console.log('  worker: started; waiting on the future');
  const value = yield* fut;
  console.log('  worker: resumed with', JSON.stringify(value));
  return value.toUpperCase();
}

const task = loop.createTask(worker(), { name: 'worker' });
console.log('created:', task.toString(), '— its first step is queued');
loop.runOnce();
console.log('iteration 1:', task.toString(), 'waits on', task._futWaiter?.toString());
loop.runOnce();
console.log('iteration 2: nothing ran; the task sleeps until the future is done');
fut.setResult('hello');
loop.runOnce();
console.log('iteration 3:', task.toString());

// The classic mistake: `yield fut` hands the future to the task without marking it
// blocking. The task notices and throws a TypeError into the coroutine, saying how to fix it.
function* wrong(): Coro<void> {
  yield loop.createFuture<void>();
}
const bad = loop.createTask(wrong());
loop.runOnce();
loop.runOnce();
console.log((bad.exception() as Error).message);

// expect:
// created: <Task pending name=worker> — its first step is queued
//   worker: started; waiting on the future
// iteration 1: <Task pending name=worker> waits on <Future pending>
// iteration 2: nothing ran; the task sleeps until the future is done
//   worker: resumed with "hello"
// iteration 3: <Task finished result=HELLO name=worker>
// <Task pending name=Task-1> got <Future pending> from `yield`: `yield` was used instead of `yield*` — write `yield* fut` to await a future.
