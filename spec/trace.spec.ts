import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TraceRecorder } from '../lib/trace.ts';
import { createTask, sleep } from '../lib/tasks.ts';
import { gather } from '../lib/gather.ts';
import { getRunningLoop } from '../lib/events.ts';
import { eagerTaskFactory } from '../lib/eager.ts';
import type { Coro } from '../lib/coroutines.ts';
import { runVirtual } from './_support/virtual.ts';

function* worker(pause: number): Coro<number> {
  yield* sleep(pause);
  yield* sleep(pause);
  return pause;
}

test('records creation, steps, waits and completion of every task, on loop time', async () => {
  const recorder = new TraceRecorder();
  await runVirtual((function* (): Coro<void> {
    yield* gather(createTask(worker(1), { name: 'one' }), createTask(worker(2), { name: 'two' }));
  })(), { trace: recorder });
  const names = recorder.tasks.map((t) => t.name);
  assert.equal(names, ['Task-' + names[0]!.slice(5), 'one', 'two']);
  const one = recorder.tasks[1]!;
  assert.is(one.outcome, 'result');
  assert.is(one.ended, 2); // virtual time: two sleeps of 1 s
  const stepsOfOne = recorder.steps.filter((s) => s.task === one.id);
  assert.is(stepsOfOne.length, 3); // start, after sleep 1, after sleep 2
  assert.equal(stepsOfOne.map((s) => s.start), [0, 1, 2]);
  const waitsOfMain = recorder.waits.filter((w) => w.task === recorder.tasks[0]!.id);
  assert.equal(waitsOfMain.map((w) => [w.on, w.start, w.end]), [['gather', 0, 4]]);
  const waitsOfOne = recorder.waits.filter((w) => w.task === one.id);
  assert.equal(waitsOfOne.map((w) => [w.start, w.end]), [[0, 1], [1, 2]]);
  assert.equal(recorder.span(), [0, 4]);
});

test('records cancel requests and a cancelled or failed outcome', async () => {
  const recorder = new TraceRecorder();
  await runVirtual((function* (): Coro<void> {
    const victim = createTask(sleep(10), { name: 'victim' });
    const failing = createTask((function* (): Coro<void> { throw new Error('boom'); })(), { name: 'failing' });
    yield* sleep(1);
    victim.cancel('enough');
    yield* gather(victim, failing, { returnExceptions: true });
  })(), { trace: recorder });
  const victim = recorder.tasks.find((t) => t.name === 'victim')!;
  assert.is(victim.outcome, 'cancelled');
  assert.is(recorder.tasks.find((t) => t.name === 'failing')!.outcome, 'error');
  assert.equal(recorder.marks.map((m) => [m.lane, m.kind, m.detail, m.time]), [[victim.id, 'cancel', 'enough', 1]]);
});

test('eager tasks are recorded too, and a step that wakes from a future names it', async () => {
  const recorder = new TraceRecorder();
  await runVirtual((function* (): Coro<void> {
    const fut = getRunningLoop().createFuture<void>();
    const waiter = createTask((function* (): Coro<void> { yield* fut; })(), { name: 'waiter' });
    fut.setResult();
    yield* waiter;
  })(), { trace: recorder, setup: (loop) => loop.setTaskFactory(eagerTaskFactory) });
  const waiter = recorder.tasks.find((t) => t.name === 'waiter')!;
  const steps = recorder.steps.filter((s) => s.task === waiter.id);
  assert.equal(steps.map((s) => s.wokenBy), [null, '<Future finished result=undefined>']);
});

test('pool events land on their connection lane', () => {
  const recorder = new TraceRecorder();
  recorder.poolEvent('connect', 'conn #1', '127.0.0.1:80');
  recorder.poolEvent('release', 'conn #1');
  assert.equal(recorder.marks.map((m) => [m.lane, m.kind, m.detail]), [['conn #1', 'connect', '127.0.0.1:80'], ['conn #1', 'release', '']]);
  assert.ok(recorder.span()[1] >= recorder.span()[0]);
  assert.equal(new TraceRecorder().span(), [0, 0]);
});

test.run();
