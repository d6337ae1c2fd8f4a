/**
 * Step 8 of docs/walkthrough.md — locks and queues: futures in a FIFO.
 * Real code: lib/locks.ts → Lock.acquire; lib/queues.ts → Queue.get, Queue.put.
 */
import { asyncWith, createTask, gather, getRunningLoop, Lock, Queue, run, sleep, type Coro } from '../../lib/index.ts';

const now = (): string => `t=${getRunningLoop().time().toFixed(0)}`;

// A bounded queue: put() waits while it is full (back-pressure), get() while it is empty.
function* producer(q: Queue<number | null>): Coro<void> {
  for (let i = 1; i <= 4; i++) {
    yield* q.put(i);
    console.log(`${now()} put ${i} (qsize ${q.qsize()})`);
  }
  yield* q.put(null); // "no more"
}

function* consumer(q: Queue<number | null>): Coro<void> {
  for (;;) {
    const item = yield* q.get();
    if (item === null) return;
    yield* sleep(1); // a slow consumer
    console.log(`${now()} got ${item}`);
    q.taskDone();
  }
}

// A lock served first come, first served; a waiter cancelled after being woken passes
// the wake-up on (lib/locks.ts: "no lost wake-up").
function* holder(lock: Lock, name: string, seconds: number): Coro<void> {
  yield* asyncWith(lock, function* () {
    console.log(`${now()} ${name} holds the lock`);
    yield* sleep(seconds);
  });
}

function* main(): Coro<void> {
  const q = new Queue<number | null>(2);
  yield* gather(createTask(producer(q)), createTask(consumer(q)));

  const lock = new Lock();
  const a = createTask(holder(lock, 'a', 2));
  const b = createTask(holder(lock, 'b', 1));
  const c = createTask(holder(lock, 'c', 1));
  yield* sleep(1);
  b.cancel(); // b is waiting in the FIFO: it leaves, c keeps its turn
  yield* gather(a, c, b, { returnExceptions: true });
  console.log(`${now()} lock free: ${!lock.locked()}`);
}

await run(main(), { virtualTime: true });

// expect:
// t=0 put 1 (qsize 1)
// t=0 put 2 (qsize 2)
// t=0 put 3 (qsize 2)
// t=1 got 1
// t=1 put 4 (qsize 2)
// t=2 got 2
// t=3 got 3
// t=4 got 4
// t=4 a holds the lock
// t=6 c holds the lock
// t=7 lock free: true
