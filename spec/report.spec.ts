import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { describeFuture, describeWaits } from '../lib/report.ts';
import { gather } from '../lib/gather.ts';
import type { Coro } from '../lib/coroutines.ts';
import type { Task } from '../lib/tasks.ts';
import { manualLoop } from './_support/virtual.ts';

test('describeWaits() says when no task is pending', () => {
  assert.is(describeWaits(manualLoop()), '  (no pending task)');
});

test('describeWaits() lists each chain of waiting from its root cause, waiting tasks first, then queued ones', () => {
  const loop = manualLoop();
  const fut = loop.createFuture();
  const first = loop.createTask((function* (): Coro<void> { yield* fut; })(), { name: 'first' });
  loop.createTask((function* (): Coro<void> { yield* first; })(), { name: 'second' });
  loop.createTask((function* (): Coro<void> { yield* gather(loop.createFuture()); })(), { name: 'third' });
  loop.createTask((function* (): Coro<void> { yield; yield; })(), { name: 'busy' });
  loop.runOnce();
  assert.is(describeWaits(loop), [
    '  first ← second, waiting on <Future pending>',
    '  third, waiting on gather of 1',
    '  busy, waiting on nothing (it is scheduled to run)',
  ].join('\n'));
});

test('describeWaits() shows where each task was created in debug mode', () => {
  const loop = manualLoop({ debug: true });
  loop.createTask((function* (): Coro<void> { yield* loop.createFuture(); })(), { name: 'traced' });
  loop.runOnce();
  const report = describeWaits(loop);
  assert.match(report, /^ {2}traced, waiting on <Future pending>\n {4}traced was created at:\n {6}at .*report\.spec\.ts/);
});

test('describeWaits() lists tasks awaiting each other in a cycle at the end', () => {
  const loop = manualLoop();
  const holder: { b: Task<void> | null } = { b: null };
  const a = loop.createTask((function* (): Coro<void> { yield; yield* holder.b!; })(), { name: 'a' });
  holder.b = loop.createTask((function* (): Coro<void> { yield* a; })(), { name: 'b' });
  loop.createTask((function* (): Coro<void> { yield* loop.createFuture(); })(), { name: 'root' });
  loop.runOnce();
  loop.runOnce();
  const report = describeWaits(loop).split('\n');
  assert.is(report[0], '  root, waiting on <Future pending>');
  // In the order they began to wait: b in the first iteration, a in the second.
  assert.equal(report.slice(1), [
    '  b waiting on task a (a cycle of tasks awaiting each other)',
    '  a waiting on task b (a cycle of tasks awaiting each other)',
  ]);
});

test('describeFuture() of a done future shows its state', () => {
  const loop = manualLoop();
  const fut = loop.createFuture<number>();
  fut.setResult(3);
  assert.is(describeFuture(fut), '<Future finished result=3>');
  assert.is(describeFuture(null), 'nothing (it is scheduled to run)');
});

test.run();
