/**
 * docs/node.md, "Per-task context": ContextVar, copyContext, callSoon {context}.
 * Real code: lib/contextvars.ts → ContextVar, Context.run; lib/tasks.ts → Task.step.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { ContextVar, copyContext, createTask, gather, getRunningLoop, sleep, run, type Coro } from '../../../lib/index.ts';

const requestId = new ContextVar<string>('requestId', { default: '-' });

function log(message: string): void {
  console.log(`[${requestId.get()}] ${message}`); // no id passed down: the task's context has it
}

function* handle(id: string, delay: number): Coro<void> {
  requestId.set(id); // this task's copy only
  yield* sleep(delay);
  yield* createTask(audit()); // a child task starts with a copy of its creator's context
  log('done');
}

function* audit(): Coro<void> {
  log('audit');
}

function* main(): Coro<void> {
  yield* gather(handle('req-1', 0.02), handle('req-2', 0.01));
  log('main never saw either id');

  // A callback runs in a copy of the context current when it was scheduled, unless
  // given one: what it sets then stays in that context.
  const ctx = copyContext();
  getRunningLoop().callSoon(() => requestId.set('set-in-callback'), { context: ctx });
  yield* sleep(0);
  console.log(`ctx holds ${ctx.get(requestId)}; main still sees ${requestId.get()}`);
}

await run(main(), { virtualTime: true }); // virtual time: the two handlers' sleeps end in a fixed order

// For a library that reads AsyncLocalStorage: per task too, when run() is asked to.
const als = new AsyncLocalStorage<string>();

function* tagged(id: string): Coro<string> {
  als.enterWith(id);
  yield* sleep(0.01);
  return `${id} sees ${als.getStore()}`;
}

function* both(): Coro<string[]> {
  return yield* gather(tagged('a'), tagged('b'));
}

console.log((await run(both(), { asyncLocalStorage: true })).join('; '));

// expect:
// [req-2] audit
// [req-2] done
// [req-1] audit
// [req-1] done
// [-] main never saw either id
// ctx holds set-in-callback; main still sees -
// a sees a; b sees b
