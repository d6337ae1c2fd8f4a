/**
 * docs/testing.md, "Errors nobody retrieved": a background task fails while the test
 * passes. Real code: lib/tasks.ts (the "never retrieved" report); lib/runners.ts →
 * Runner (the `exceptionHandler` option).
 *
 * A task's error that nobody awaited is reported through the loop's exception handler
 * — when the task is collected, or at the latest when run() ends — and by default only
 * printed on stderr. A test that collects the reports can fail on them.
 */
import assert from 'node:assert/strict';
import { createTask, run, sleep, type Coro } from '../../../lib/index.ts';
import { test } from './harness.ts';

// ---- the code under test ----

/** Saves an order and starts its audit-log write in the background — then forgets it. */
function* saveOrder(orders: string[], order: string): Coro<void> {
  orders.push(order);
  createTask(writeAuditLog(order), { name: 'audit-log' }); // fire and forget
  yield* sleep(0.1);
}

/** The same, keeping the background task and handling its failure. */
function* saveOrderChecked(orders: string[], order: string): Coro<void> {
  orders.push(order);
  const audit = createTask(writeAuditLog(order), { name: 'audit-log' });
  try {
    yield* audit;
  } catch {
    orders.push(`unaudited: ${order}`);
  }
}

function* writeAuditLog(order: string): Coro<void> {
  yield* sleep(0.05);
  throw new Error(`audit log full, ${order} not logged`);
}

// ---- the tests ----

/** Runs `main` on virtual time; returns the errors the loop reported to its exception handler. */
async function runCollecting(main: Coro<void>): Promise<string[]> {
  const reported: string[] = [];
  await run(main, {
    virtualTime: true,
    exceptionHandler: (_loop, context) => {
      console.log(context.message); // "Task exception was never retrieved: <Task …>"
      reported.push(String(context.exception));
    },
  });
  return reported;
}

await test('the forgotten task: its error does not pass unseen', async () => {
  const orders: string[] = [];
  const reported = await runCollecting(saveOrder(orders, 'order-1'));
  assert.deepEqual(orders, ['order-1']); // all that the test checked before: all is well…
  assert.deepEqual(reported, ['Error: audit log full, order-1 not logged']);
});

await test('the task kept and its failure handled: nothing is reported', async () => {
  const orders: string[] = [];
  assert.deepEqual(await runCollecting(saveOrderChecked(orders, 'order-2')), []);
  assert.deepEqual(orders, ['order-2', 'unaudited: order-2']);
});

// expect:
// Task exception was never retrieved: <Task finished exception=Error: audit log full, order-1 not logged name=audit-log>
// ok   the forgotten task: its error does not pass unseen
// ok   the task kept and its failure handled: nothing is reported
