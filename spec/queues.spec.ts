import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LifoQueue, PriorityQueue, Queue, pythonCompare } from '../lib/queues.ts';
import { ValueError } from '../lib/exceptions.ts';
import { createTask, sleep, type Task } from '../lib/tasks.ts';
import { gather } from '../lib/gather.ts';
import { getRunningLoop } from '../lib/events.ts';
import { QueueEmpty, QueueFull, QueueShutDown, RuntimeError } from '../lib/exceptions.ts';
import type { Coro } from '../lib/coroutines.ts';
import { runVirtual, trace, go, settle, isA, outcome } from './_support/virtual.ts';

// ---- basics ----

test('Queue: FIFO order; qsize, empty, full, maxsize', () => go(function* () {
  const q = new Queue<number>(2);
  assert.is(q.maxsize, 2);
  assert.is(q.empty(), true);
  q.putNowait(1);
  yield* q.put(2);
  assert.is(q.qsize(), 2);
  assert.is(q.full(), true);
  assert.throws(() => q.putNowait(3), isA(QueueFull));
  assert.is(q.getNowait(), 1);
  assert.is(yield* q.get(), 2);
  assert.throws(() => q.getNowait(), isA(QueueEmpty));
  const unbounded = new Queue<number>();
  for (let i = 0; i < 100; i++) unbounded.putNowait(i);
  assert.is(unbounded.full(), false, 'maxsize 0: never full');
  assert.is(new Queue(-1).full(), false, 'maxsize < 0: never full');
}));

test('Queue: get() waits for a put; getters are served in FIFO order', () => go(function* () {
  const q = new Queue<string>();
  const t = trace();
  function* getter(name: string): Coro<void> {
    t.log(`${name} got ${yield* q.get()}`);
  }
  const gs = [createTask(getter('a')), createTask(getter('b')), createTask(getter('c'))];
  yield* settle();
  assert.match(q.toString(), /getters\[3\]/);
  q.putNowait('x');
  q.putNowait('y');
  yield* sleep(1);
  q.putNowait('z');
  yield* gather(...gs);
  assert.equal(t.entries, ['a got x', 'b got y', 'c got z']);
}));

test('Queue: back-pressure — put() waits while full, putters resume in FIFO order', () => go(function* () {
  const q = new Queue<number>(1);
  const t = trace();
  function* producer(): Coro<void> {
    for (let i = 0; i < 4; i++) {
      yield* q.put(i);
      t.log(`put ${i}`);
    }
  }
  function* consumer(): Coro<void> {
    for (let i = 0; i < 4; i++) {
      yield* sleep(1);
      t.log(`got ${yield* q.get()}`);
    }
  }
  yield* gather(producer(), consumer());
  assert.equal(t.entries, ['put 0', 'got 0', 'put 1', 'got 1', 'put 2', 'got 2', 'put 3', 'got 3']);
}));

test('Queue: several blocked putters resume in arrival order', () => go(function* () {
  const q = new Queue<string>(1);
  q.putNowait('first');
  const ps = ['a', 'b', 'c'].map((x) => createTask(q.put(x)));
  yield* settle();
  assert.match(q.toString(), /putters\[3\]/);
  const got: string[] = [];
  for (let i = 0; i < 4; i++) got.push(yield* q.get());
  yield* gather(...ps);
  assert.equal(got, ['first', 'a', 'b', 'c']);
}));

// ---- cancellation ----

test('Queue: a getter woken by putNowait() but cancelled before running passes the item on (no lost item)', () => go(function* () {
  const q = new Queue<string>();
  const a = createTask(q.get());
  const b = createTask(q.get());
  yield* settle();
  q.putNowait('item');   // wakes a...
  a.cancel();            // ...cancelled before it runs
  yield* settle();
  assert.is(outcome(a), 'cancelled');
  assert.is(b.done() && b.result(), 'item');
  assert.is(q.empty(), true);
}));

test('Queue: a getter cancelled while waiting leaves; the next put goes to the next getter', () => go(function* () {
  const q = new Queue<string>();
  const a = createTask(q.get());
  const b = createTask(q.get());
  yield* settle();
  a.cancel();
  yield* settle();
  q.putNowait('item');
  yield* settle();
  assert.is(outcome(a), 'cancelled');
  assert.is(b.result(), 'item');
  assert.is(q.toString(), '<Queue maxsize=0 qsize=0 tasks=1>', 'no getter left behind');
}));

test('Queue: getter cancelled in the same step the item arrives, after the item was taken by another: no spurious wake-up', () => go(function* () {
  const q = new Queue<string>();
  const a = createTask(q.get());
  const b = createTask(q.get());
  yield* settle();
  q.putNowait('item');   // wakes a
  a.cancel();
  assert.is(q.getNowait(), 'item', 'someone else took it first');
  yield* settle();
  assert.is(outcome(a), 'cancelled');
  assert.is(b.done(), false, 'the queue is empty: b keeps waiting');
  q.putNowait('next');
  yield* settle();
  assert.is(b.result(), 'next');
}));

test('Queue: a putter woken by getNowait() but cancelled before running passes the room on', () => go(function* () {
  const q = new Queue<string>(1);
  q.putNowait('x');
  const a = createTask(q.put('a'));
  const b = createTask(q.put('b'));
  yield* settle();
  assert.is(q.getNowait(), 'x');   // wakes a...
  a.cancel();                      // ...cancelled before it runs
  yield* settle();
  assert.is(outcome(a), 'cancelled');
  assert.is(outcome(b), 'ok', 'b got the free slot');
  assert.is(q.getNowait(), 'b');
}));

test('Queue: a putter cancelled while waiting leaves the queue unchanged', () => go(function* () {
  const q = new Queue<string>(1);
  q.putNowait('x');
  const a = createTask(q.put('a'));
  yield* settle();
  a.cancel();
  yield* settle();
  assert.is(outcome(a), 'cancelled');
  assert.is(q.qsize(), 1);
  assert.is(q.getNowait(), 'x');
  assert.is(q.empty(), true);
}));

// ---- taskDone / join ----

test('Queue: join() waits until taskDone() was called for every item', () => go(function* () {
  const q = new Queue<number>();
  const t = trace();
  yield* q.join();   // nothing put: returns at once
  for (let i = 0; i < 3; i++) q.putNowait(i);
  function* worker(): Coro<void> {
    for (;;) {
      const n = yield* q.get();
      yield* sleep(n + 1);
      t.log(`done ${n}`);
      q.taskDone();
    }
  }
  const workers = [createTask(worker()), createTask(worker())];
  yield* q.join();
  t.log('joined');
  assert.equal(t.entries, ['done 0', 'done 1', 'done 2', 'joined']);
  for (const w of workers) w.cancel();
}));

test('Queue: taskDone() more often than items were put throws ValueError', () => go(function* () {
  const q = new Queue<number>();
  assert.throws(() => q.taskDone(), (e: unknown) => e instanceof ValueError && /more times/.test((e as Error).message));
  q.putNowait(1);
  q.getNowait();
  q.taskDone();
  assert.throws(() => q.taskDone(), isA(ValueError));
}));

// ---- shutdown (3.13) ----

test('shutdown(): put throws at once; get drains what is left, then throws', () => go(function* () {
  const q = new Queue<number>();
  q.putNowait(1);
  q.putNowait(2);
  q.shutdown();
  assert.throws(() => q.putNowait(3), isA(QueueShutDown));
  try {
    yield* q.put(3);
    assert.unreachable();
  } catch (e) {
    assert.instance(e, QueueShutDown);
  }
  assert.is(q.getNowait(), 1);
  assert.is(yield* q.get(), 2);
  assert.throws(() => q.getNowait(), isA(QueueShutDown));
  try {
    yield* q.get();
    assert.unreachable();
  } catch (e) {
    assert.instance(e, QueueShutDown);
  }
  assert.match(q.toString(), /tasks=2 shutdown/);
}));

test('shutdown(): blocked getters wake with QueueShutDown', () => go(function* () {
  const q = new Queue<number>();
  const gs = [createTask(q.get()), createTask(q.get())];
  yield* settle();
  q.shutdown();
  yield* settle();
  assert.equal(gs.map(outcome), ['QueueShutDown', 'QueueShutDown']);
}));

test('shutdown(): blocked putters wake with QueueShutDown; the queued items stay for getters', () => go(function* () {
  const q = new Queue<number>(1);
  q.putNowait(0);
  const ps = [createTask(q.put(1)), createTask(q.put(2))];
  yield* settle();
  q.shutdown();
  yield* settle();
  assert.equal(ps.map(outcome), ['QueueShutDown', 'QueueShutDown']);
  assert.is(yield* q.get(), 0);
  q.taskDone();
  yield* q.join();
}));

test('shutdown(true): drops the backlog, credits taskDone() so join() returns, wakes getters and putters', () => go(function* () {
  const q = new Queue<number>(2);
  q.putNowait(1);
  q.putNowait(2);
  const putter = createTask(q.put(3));
  const joiner = createTask(q.join());
  yield* settle();
  q.shutdown(true);
  assert.is(q.empty(), true);
  yield* settle();
  assert.is(outcome(putter), 'QueueShutDown');
  assert.is(outcome(joiner), 'ok', 'join() returned: the dropped items count as done');
  const getter = createTask(q.get());
  yield* settle();
  assert.is(outcome(getter), 'QueueShutDown');
  assert.throws(() => q.taskDone(), isA(ValueError));
}));

test('shutdown(true) with items taken but not done: join() waits for those', () => go(function* () {
  const q = new Queue<number>();
  q.putNowait(1);
  q.putNowait(2);
  q.getNowait();   // taken, being worked on
  const joiner = createTask(q.join());
  yield* settle();
  q.shutdown(true);   // drops item 2
  yield* settle();
  assert.is(joiner.done(), false, 'item 1 is still unfinished');
  q.taskDone();
  yield* settle();
  assert.is(outcome(joiner), 'ok');
}));

test('shutdown(): a getter cancelled in the same step is not confused', () => go(function* () {
  const q = new Queue<number>();
  const a = createTask(q.get());
  yield* settle();
  q.shutdown();
  a.cancel();
  yield* settle();
  assert.is(outcome(a), 'cancelled');
}));

// ---- PriorityQueue, LifoQueue ----

test('PriorityQueue: smallest first, with Python tuple ordering by default', () => go(function* () {
  const q = new PriorityQueue<[number, string]>();
  for (const item of [[3, 'c'], [1, 'b'], [2, 'x'], [1, 'a'], [5, 'e'], [0, 'z']] as [number, string][]) q.putNowait(item);
  const out: [number, string][] = [];
  while (!q.empty()) out.push(yield* q.get());
  assert.equal(out, [[0, 'z'], [1, 'a'], [1, 'b'], [2, 'x'], [3, 'c'], [5, 'e']]);
}));

test('PriorityQueue: many random numbers come out sorted; a custom comparator reverses', () => go(function* () {
  let seed = 7;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) % 1000;
  const nums = Array.from({ length: 500 }, rand);
  const q = new PriorityQueue<number>();
  for (const n of nums) q.putNowait(n);
  const out: number[] = [];
  while (!q.empty()) out.push(q.getNowait());
  assert.equal(out, nums.slice().sort((a, b) => a - b));
  const rev = new PriorityQueue<string>(0, { compare: (a, b) => (a < b ? 1 : a > b ? -1 : 0) });
  for (const s of ['b', 'a', 'c']) rev.putNowait(s);
  assert.equal([rev.getNowait(), rev.getNowait(), rev.getNowait()], ['c', 'b', 'a']);
}));

test('PriorityQueue: maxsize applies; a blocked getter gets the smallest item', () => go(function* () {
  const q = new PriorityQueue<number>(2);
  const getter = createTask(q.get());
  yield* settle();
  q.putNowait(5);
  q.putNowait(3);   // before the getter runs: it sees both
  assert.is(q.full(), true);
  assert.is(yield* getter, 3);
}));

test('pythonCompare: numbers, bigints, strings, arrays by prefix; mixed kinds throw TypeError', () => {
  assert.ok(pythonCompare(1, 2) < 0);
  assert.ok(pythonCompare(2n, 1) > 0);
  assert.is(pythonCompare('a', 'a'), 0);
  assert.ok(pythonCompare('b', 'a') > 0);
  assert.ok(pythonCompare([1], [1, 0]) < 0, 'a prefix comes first');
  assert.ok(pythonCompare([1, 'a', {}], [1, 'b', {}]) < 0, 'decided before the objects are reached');
  const same = {};
  assert.is(pythonCompare([1, same], [1, same]), 0, 'identical elements are equal, whatever they are');
  assert.throws(() => pythonCompare(1, 'a'), /cannot compare a number with a string/);
  assert.throws(() => pythonCompare({}, null), /cannot compare a object with null/);
  assert.throws(() => pythonCompare([1], 1), /cannot compare an array with a number/);
});

test('LifoQueue: newest first', () => go(function* () {
  const q = new LifoQueue<number>(3);
  for (const n of [1, 2, 3]) yield* q.put(n);
  assert.is(q.full(), true);
  assert.equal([yield* q.get(), q.getNowait(), q.getNowait()], [3, 2, 1]);
  assert.is(q.empty(), true);
}));

test('Queue: used from a second event loop it throws RuntimeError', async () => {
  const q = new Queue<number>();
  await go(function* () {
    const g = createTask(q.get());
    yield* settle();
    q.putNowait(1);
    yield* g;
  });
  await go(function* () {
    try {
      yield* q.get();
      assert.unreachable();
    } catch (e) {
      assert.instance(e, RuntimeError);
    }
    assert.ok(getRunningLoop());
  });
});

test.run();
