import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { captureCallGraph, formatCallGraph, printCallGraph, awaitChains, describeNode } from '../lib/callgraph.ts';
import { gather } from '../lib/gather.ts';
import { shield, wait } from '../lib/wait.ts';
import { TaskGroup } from '../lib/taskgroups.ts';
import { asyncWith } from '../lib/contextlib.ts';
import { createTask, currentTask, type Task } from '../lib/tasks.ts';
import { getRunningLoop } from '../lib/events.ts';
import type { Future } from '../lib/futures.ts';
import type { Coro } from '../lib/coroutines.ts';
import { manualLoop, runVirtual, spin } from './_support/virtual.ts';

function* waitOn(fut: Future<unknown>): Coro<void> {
  yield* fut;
}

test('a task awaited through gather shows the chain child ← gather ← parent', () => {
  const loop = manualLoop();
  const never = loop.createFuture();
  let child!: Task<void>;
  loop.createTask((function* (): Coro<void> {
    child = createTask(waitOn(never), { name: 'child' });
    yield* gather(child, createTask(waitOn(never), { name: 'sibling' }));
  })(), { name: 'parent' });
  spin(loop, 3);
  assert.equal(awaitChains(child), ['child ← gather ← parent']);
  const graph = captureCallGraph(child);
  assert.is(formatCallGraph(graph), ['* child', '  + awaited by:', '    * gather', '      + awaited by:', '        * parent'].join('\n'));
});

test('captureCallGraph() with no argument starts at the current task, inside a running loop', async () => {
  const text = await runVirtual((function* (): Coro<string> {
    const inner = createTask((function* (): Coro<string> {
      return formatCallGraph(captureCallGraph());
    })(), { name: 'inner' });
    currentTask()!.setName('outer');
    return yield* inner;
  })());
  assert.is(text, ['* inner', '  + awaited by:', '    * outer'].join('\n'));
});

test('the graph follows shield(), wait() and TaskGroup to the task that waits', () => {
  const loop = manualLoop();
  const never = loop.createFuture();
  const names: Record<string, Task<void>> = {};
  const spawn = (name: string): Task<void> => (names[name] = createTask(waitOn(never), { name }));
  loop.createTask((function* (): Coro<void> { yield* shield(spawn('shielded')); })(), { name: 'viaShield' });
  loop.createTask((function* (): Coro<void> { yield* wait([spawn('waited')]); })(), { name: 'viaWait' });
  loop.createTask((function* (): Coro<void> {
    yield* asyncWith(new TaskGroup(), function* (tg) {
      tg.createTask(waitOn(never), { name: 'grouped' });
    });
  })(), { name: 'viaGroup' });
  spin(loop, 4);
  assert.equal(awaitChains(names.shielded as Task<void>), ['shielded ← shield ← viaShield']);
  assert.equal(awaitChains(names.waited as Task<void>), ['waited ← wait ← viaWait']);
  const grouped = [...loop._tasks].find((t) => t.getName() === 'grouped') as Task<unknown>;
  assert.equal(awaitChains(grouped), ['grouped ← TaskGroup ← viaGroup']);
});

test('a future awaited by two tasks has two chains', () => {
  const loop = manualLoop();
  const shared = loop.createFuture();
  loop.createTask(waitOn(shared), { name: 'a' });
  loop.createTask(waitOn(shared), { name: 'b' });
  spin(loop, 1);
  assert.equal(awaitChains(shared), ['<Future pending> ← a', '<Future pending> ← b']);
  assert.is(describeNode(shared), '<Future pending>');
});

test('debug mode records the coroutine frames where a task is suspended', () => {
  const loop = manualLoop({ debug: true });
  const never = loop.createFuture();
  function* deepest(): Coro<void> { yield* never; }
  function* middle(): Coro<void> { yield* deepest(); }
  const task = loop.createTask(middle(), { name: 'deep' });
  spin(loop, 1);
  const graph = captureCallGraph(task);
  assert.ok(graph !== null);
  const frames = graph.callStack.join('\n');
  assert.match(frames, /deepest/);
  assert.match(frames, /middle/);
  assert.ok(frames.indexOf('deepest') < frames.indexOf('middle'), 'innermost frame first');
  assert.match(formatCallGraph(graph), /\+ suspended in:\n {2}\| {3}at deepest/);
});

test('without a current task the graph is null, and printCallGraph says so', () => {
  const loop = manualLoop();
  assert.is(captureCallGraph(undefined, { loop }), null);
  const lines: string[] = [];
  const original = console.log;
  console.log = (line: string) => void lines.push(line);
  try {
    printCallGraph(undefined, { loop });
  } finally {
    console.log = original;
  }
  assert.equal(lines, ['(no current task)']);
});

test('a deadlock report names the chain through gather', async () => {
  const err = await runVirtual((function* (): Coro<void> {
    const never = getRunningLoop().createFuture();
    currentTask()!.setName('Task-main');
    yield* gather(createTask(waitOn(never), { name: 'Task-leaf' }));
  })()).then(() => null, (e: Error) => e);
  assert.ok(err !== null);
  assert.match(err.message, /\n {2}Task-leaf ← gather ← Task-main, waiting on <Future pending>/);
});

test.run();
