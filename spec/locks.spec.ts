import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Barrier, BoundedSemaphore, Condition, Event, Lock, Semaphore } from '../lib/locks.ts';
import { ValueError } from '../lib/exceptions.ts';
import { asyncWith } from '../lib/contextlib.ts';
import { createTask, sleep, type Task } from '../lib/tasks.ts';
import { gather } from '../lib/gather.ts';
import { BrokenBarrierError, CancelledError, RuntimeError } from '../lib/exceptions.ts';
import type { Coro } from '../lib/coroutines.ts';
import { runVirtual, trace, go, settle, isA, outcome } from './_support/virtual.ts';

/** Runs `body` as main on virtual time. */
// ---- Lock ----

test('Lock: acquire takes a free lock at once; release frees it; locked() tells', () => go(function* () {
  const lock = new Lock();
  assert.is(lock.locked(), false);
  assert.is(yield* lock.acquire(), true);
  assert.is(lock.locked(), true);
  lock.release();
  assert.is(lock.locked(), false);
  assert.match(lock.toString(), /unlocked/);
}));

test('Lock: release() of an unlocked lock throws RuntimeError', () => go(function* () {
  assert.throws(() => new Lock().release(), (e: unknown) => e instanceof RuntimeError && /unlocked Lock/.test((e as Error).message));
}));

test('Lock: waiters get the lock in arrival order', () => go(function* () {
  const lock = new Lock();
  const t = trace();
  function* worker(name: string): Coro<void> {
    yield* lock.acquire();
    t.log(`${name} in`);
    yield* sleep(1);
    t.log(`${name} out`);
    lock.release();
  }
  yield* gather(worker('a'), worker('b'), worker('c'));
  assert.equal(t.entries, ['a in', 'a out', 'b in', 'b out', 'c in', 'c out']);
}));

test('Lock: a lock released to a waiter is not stolen by a newcomer (3.13 fairness)', () => go(function* () {
  const lock = new Lock();
  const t = trace();
  yield* lock.acquire();
  const waiter = createTask((function* () { yield* lock.acquire(); t.log('waiter'); lock.release(); })());
  yield* settle();
  assert.match(lock.toString(), /waiters:1/);
  lock.release();
  // The lock is free, but the woken waiter has not run yet: a newcomer must queue.
  const newcomer = createTask((function* () { yield* lock.acquire(); t.log('newcomer'); lock.release(); })());
  yield* gather(waiter, newcomer);
  assert.equal(t.entries, ['waiter', 'newcomer']);
}));

test('Lock: a waiter cancelled before its wake-up leaves; the next one gets the lock', () => go(function* () {
  const lock = new Lock();
  yield* lock.acquire();
  const b = createTask(lock.acquire());
  const c = createTask(lock.acquire());
  yield* settle();
  b.cancel();
  yield* settle();
  lock.release();
  yield* settle();
  assert.is(outcome(b), 'cancelled');
  assert.is(c.done() && c.result(), true, 'c holds the lock');
  assert.is(lock.locked(), true);
}));

test('Lock: woken by release() but cancelled before running: the next waiter is woken (no lost wake-up, no phantom holder)', () => go(function* () {
  const lock = new Lock();
  yield* lock.acquire();
  const b = createTask(lock.acquire());
  const c = createTask(lock.acquire());
  yield* settle();
  lock.release();   // wakes b...
  b.cancel();       // ...which is cancelled before it runs
  yield* settle();
  assert.is(outcome(b), 'cancelled');
  assert.is(outcome(c), 'ok', 'c was woken in b\'s place');
  lock.release();   // c's: the lock was held by c, not by a phantom b
  assert.is(lock.locked(), false);
}));

test('Lock: the head waiter cancelled in the same step as release(): its exit wakes the next', () => go(function* () {
  const lock = new Lock();
  yield* lock.acquire();
  const b = createTask(lock.acquire());
  const c = createTask(lock.acquire());
  yield* settle();
  b.cancel();       // b's future is cancelled, b has not run yet...
  lock.release();   // ...so release() finds it done at the head and wakes no one
  yield* settle();
  assert.is(outcome(b), 'cancelled');
  assert.is(outcome(c), 'ok');
  assert.is(lock.locked(), true);
}));

test('Lock: a newcomer takes a free lock when every waiter is cancelled', () => go(function* () {
  const lock = new Lock();
  yield* lock.acquire();
  const b = createTask(lock.acquire());
  yield* settle();
  b.cancel();
  lock.release();
  // b's cancelled future is still queued (b has not run): it does not count as a waiter.
  const c = createTask(lock.acquire());
  yield* settle();
  assert.is(outcome(b), 'cancelled');
  assert.is(outcome(c), 'ok');
}));

test('Lock: asyncWith releases on return, on error, and when the holder is cancelled', () => go(function* () {
  const lock = new Lock();
  const n = yield* asyncWith(lock, function* () { assert.is(lock.locked(), true); return 7; });
  assert.is(n, 7);
  assert.is(lock.locked(), false);
  try {
    yield* asyncWith(lock, function* () { throw new Error('boom'); });
    assert.unreachable();
  } catch (e) {
    assert.is((e as Error).message, 'boom');
  }
  assert.is(lock.locked(), false);
  const holder = createTask(asyncWith(lock, function* () { yield* sleep(10); }));
  yield* settle();
  assert.is(lock.locked(), true);
  holder.cancel();
  yield* settle();
  assert.is(outcome(holder), 'cancelled');
  assert.is(lock.locked(), false, 'cancelled while holding: released');
}));

test('Lock: used from a second event loop it throws RuntimeError', async () => {
  const lock = new Lock();
  await go(function* () {
    yield* lock.acquire();
    const b = createTask(lock.acquire());   // binds the lock to this loop
    yield* settle();
    lock.release();
    yield* b;
    lock.release();
  });
  await go(function* () {
    yield* lock.acquire();   // free: no loop needed
    try {
      yield* lock.acquire();
      assert.unreachable();
    } catch (e) {
      assert.instance(e, RuntimeError);
      assert.match((e as Error).message, /different event loop/);
    }
  });
});

// ---- Event ----

test('Event: wait() blocks until set(), which wakes every waiter; clear() lowers the flag', () => go(function* () {
  const ev = new Event();
  const t = trace();
  function* waiter(name: string): Coro<void> {
    assert.is(yield* ev.wait(), true);
    t.log(name);
  }
  const tasks = [createTask(waiter('a')), createTask(waiter('b'))];
  yield* settle();
  assert.equal(t.entries, []);
  assert.match(ev.toString(), /unset, waiters:2/);
  ev.set();
  ev.set();   // idempotent
  yield* gather(...tasks);
  assert.equal(t.entries, ['a', 'b']);
  assert.is(ev.isSet(), true);
  assert.is(yield* ev.wait(), true, 'returns at once while set');
  ev.clear();
  assert.is(ev.isSet(), false);
  const late = createTask(ev.wait());
  yield* settle();
  assert.is(late.done(), false);
  late.cancel();
  yield* settle();
  assert.is(outcome(late), 'cancelled');
  assert.is(ev.toString(), '<Event [unset]>', 'the cancelled waiter left');
}));

test('Event: a waiter woken by set() and then cancelled does not keep the others waiting', () => go(function* () {
  const ev = new Event();
  const a = createTask(ev.wait());
  const b = createTask(ev.wait());
  yield* settle();
  ev.set();
  a.cancel();
  yield* settle();
  assert.is(outcome(a), 'cancelled');
  assert.is(outcome(b), 'ok');
}));

// ---- Condition ----

test('Condition: wait() and notify() need the lock held (RuntimeError)', () => go(function* () {
  const cond = new Condition();
  try {
    yield* cond.wait();
    assert.unreachable();
  } catch (e) {
    assert.instance(e, RuntimeError);
  }
  assert.throws(() => cond.notify(), isA(RuntimeError));
  assert.throws(() => cond.notifyAll(), isA(RuntimeError));
}));

test('Condition: notify(n) wakes n waiters in FIFO order; notifyAll() the rest', () => go(function* () {
  const cond = new Condition();
  const t = trace();
  function* waiter(name: string): Coro<void> {
    yield* asyncWith(cond, function* () {
      assert.is(yield* cond.wait(), true);
      assert.is(cond.locked(), true, 'wait() returns with the lock held');
      t.log(name);
    });
  }
  const tasks = ['a', 'b', 'c', 'd'].map((n) => createTask(waiter(n)));
  yield* settle();
  assert.match(cond.toString(), /unlocked, waiters:4/);
  yield* asyncWith(cond, function* () { cond.notify(); });
  yield* settle();
  assert.equal(t.entries, ['a']);
  yield* asyncWith(cond, function* () { cond.notify(2); });
  yield* settle();
  assert.equal(t.entries, ['a', 'b', 'c']);
  yield* asyncWith(cond, function* () { cond.notifyAll(); });
  yield* gather(...tasks);
  assert.equal(t.entries, ['a', 'b', 'c', 'd']);
}));

test('Condition: waitFor(predicate) re-checks after each wake-up and returns the truthy value', () => go(function* () {
  const cond = new Condition();
  const items: number[] = [];
  let checks = 0;
  const consumer = createTask(asyncWith(cond, function* () {
    return yield* cond.waitFor(() => { checks++; return items.length >= 2 && items.slice(); });
  }));
  for (const x of [1, 2]) {
    yield* settle();
    yield* asyncWith(cond, function* () { items.push(x); cond.notify(); });
  }
  assert.equal(yield* consumer, [1, 2]);
  assert.is(checks, 3, 'checked on entry and after each of two notifications');
  // An already-true predicate does not wait at all.
  yield* asyncWith(cond, function* () { assert.is(yield* cond.waitFor(() => 'now'), 'now'); });
}));

test('Condition: conditions sharing one Lock', () => go(function* () {
  const lock = new Lock();
  const notEmpty = new Condition(lock);
  const notFull = new Condition(lock);
  yield* lock.acquire();
  assert.is(notEmpty.locked() && notFull.locked(), true);
  lock.release();
  const t = trace();
  const w = createTask(asyncWith(notEmpty, function* () { yield* notEmpty.wait(); t.log('woken'); }));
  yield* settle();
  yield* asyncWith(notFull, function* () { notFull.notifyAll(); });   // the other condition
  yield* settle();
  assert.equal(t.entries, []);
  yield* notFull.acquire();   // the same lock, through the other condition
  notEmpty.notify();
  notFull.release();
  yield* w;
  assert.equal(t.entries, ['woken']);
}));

test('Condition: a waiter cancelled while waiting takes the lock back before the CancelledError leaves', () => go(function* () {
  const cond = new Condition();
  const t = trace();
  const w = createTask(asyncWith(cond, function* () {
    try {
      yield* cond.wait();
    } catch (e) {
      t.log(`${(e as Error).name}, locked=${cond.locked()}`);
      throw e;
    }
  }));
  yield* settle();
  yield* cond.acquire();   // hold the lock: w's cancellation must wait for it
  w.cancel();
  yield* settle();
  assert.equal(t.entries, [], 'w is re-acquiring, not gone');
  cond.release();
  yield* settle();
  assert.equal(t.entries, ['CancelledError, locked=true']);
  assert.is(outcome(w), 'cancelled');
  assert.is(cond.locked(), false, 'asyncWith released it');
}));

test('Condition: cancelled again while re-acquiring, wait() still leaves with the lock and the last CancelledError', () => go(function* () {
  const cond = new Condition();
  let seen: unknown;
  const w = createTask(asyncWith(cond, function* () {
    try { yield* cond.wait(); } catch (e) { seen = e; assert.is(cond.locked(), true); throw e; }
  }));
  yield* settle();
  yield* cond.acquire();
  w.cancel('first');
  yield* settle();
  w.cancel('second');
  yield* settle();
  cond.release();
  yield* settle();
  assert.instance(seen, CancelledError);
  assert.is((seen as Error).message, 'second');
  assert.is(cond.locked(), false);
}));

test('Condition: notified and then cancelled before running: the notification passes to the next waiter', () => go(function* () {
  const cond = new Condition();
  const t = trace();
  function* waiter(name: string): Coro<void> {
    yield* asyncWith(cond, function* () { yield* cond.wait(); t.log(name); });
  }
  const a = createTask(waiter('a'));
  const b = createTask(waiter('b'));
  yield* settle();
  yield* asyncWith(cond, function* () {
    cond.notify(1);   // a is notified...
    a.cancel();       // ...and cancelled before it runs
  });
  yield* settle();
  assert.is(outcome(a), 'cancelled');
  assert.equal(t.entries, ['b'], 'b got the notification a could not use');
  assert.is(outcome(b), 'ok');
}));

// ---- Semaphore / BoundedSemaphore ----

test('Semaphore: lets `value` tasks in at once, the others wait in FIFO order', () => go(function* () {
  const sem = new Semaphore(2);
  const t = trace();
  function* worker(name: string): Coro<void> {
    yield* asyncWith(sem, function* () {
      t.log(`${name} in`);
      yield* sleep(1);
    });
  }
  yield* gather(worker('a'), worker('b'), worker('c'), worker('d'));
  assert.equal(t.entries, ['a in', 'b in', 'c in', 'd in']);
  assert.is(sem.locked(), false);
  assert.match(sem.toString(), /Semaphore \[unlocked, value:2\]/);
}));

test('Semaphore: concurrency never exceeds value (traced with times)', () => go(function* () {
  const sem = new Semaphore(2);
  let inside = 0;
  let most = 0;
  function* worker(): Coro<void> {
    yield* sem.acquire();
    inside++;
    most = Math.max(most, inside);
    yield* sleep(1);
    inside--;
    sem.release();
  }
  yield* gather(...Array.from({ length: 7 }, worker));
  assert.is(most, 2);
}));

test('Semaphore: new Semaphore(0) blocks until release(); negative values are a ValueError', () => go(function* () {
  assert.throws(() => new Semaphore(-1), isA(ValueError));
  const sem = new Semaphore(0);
  assert.is(sem.locked(), true);
  const w = createTask(sem.acquire());
  yield* settle();
  assert.is(w.done(), false);
  sem.release();
  yield* settle();
  assert.is(outcome(w), 'ok');
  assert.is(new Semaphore().locked(), false, 'default value is 1');
}));

test('Semaphore: FIFO even with permits free — a newcomer queues behind a woken waiter', () => go(function* () {
  const sem = new Semaphore(1);
  const t = trace();
  yield* sem.acquire();
  const w = createTask((function* () { yield* sem.acquire(); t.log('waiter'); })());
  yield* settle();
  sem.release();   // the permit is handed to w
  assert.is(sem.locked(), true, 'no permit left for anyone else');
  const n = createTask((function* () { yield* sem.acquire(); t.log('newcomer'); })());
  yield* settle();
  assert.equal(t.entries, ['waiter']);
  sem.release();
  yield* gather(w, n);
  assert.equal(t.entries, ['waiter', 'newcomer']);
}));

test('Semaphore: woken but cancelled before running: the permit goes to the next waiter', () => go(function* () {
  const sem = new Semaphore(1);
  yield* sem.acquire();
  const b = createTask(sem.acquire());
  const c = createTask(sem.acquire());
  yield* settle();
  sem.release();    // hands the permit to b...
  b.cancel();       // ...cancelled before it runs
  yield* settle();
  assert.is(outcome(b), 'cancelled');
  assert.is(outcome(c), 'ok', 'the permit was not lost');
  sem.release();
  assert.is(sem.locked(), false, 'one permit, held by nobody: no phantom holder');
  yield* sem.acquire();
  assert.is(sem.locked(), true);
}));

test('Semaphore: a waiter cancelled before its wake-up leaves no trace', () => go(function* () {
  const sem = new Semaphore(0);
  const b = createTask(sem.acquire());
  const c = createTask(sem.acquire());
  yield* settle();
  b.cancel();
  yield* settle();
  sem.release();
  yield* settle();
  assert.is(outcome(b), 'cancelled');
  assert.is(outcome(c), 'ok');
}));

test('Semaphore: several releases in one step wake as many waiters, even past a cancelled one', () => go(function* () {
  const sem = new Semaphore(0);
  const ws = [0, 1, 2].map(() => createTask(sem.acquire()));
  yield* settle();
  sem.release();
  sem.release();
  (ws[0] as Task<true>).cancel();   // woken, cancelled: its permit is passed on to ws[2]
  yield* settle();
  assert.equal(ws.map(outcome), ['cancelled', 'ok', 'ok']);
}));

test('Semaphore: asyncWith releases when the holder is cancelled', () => go(function* () {
  const sem = new Semaphore(1);
  const holder = createTask(asyncWith(sem, function* () { yield* sleep(100); }));
  yield* settle();
  assert.is(sem.locked(), true);
  holder.cancel();
  yield* settle();
  assert.is(sem.locked(), false);
}));

test('BoundedSemaphore: releasing more than acquired throws ValueError, and the count stays', () => go(function* () {
  const sem = new BoundedSemaphore(2);
  assert.throws(() => sem.release(), (e: unknown) => e instanceof ValueError && /too many times/.test((e as Error).message));
  yield* sem.acquire();
  sem.release();
  assert.throws(() => sem.release(), isA(ValueError));
  yield* sem.acquire();
  yield* sem.acquire();
  assert.is(sem.locked(), true, 'still exactly two permits');
  assert.match(sem.toString(), /^<BoundedSemaphore \[locked\]>$/);
  assert.is(new BoundedSemaphore().locked(), false);
}));

// ---- Barrier ----

test('Barrier: parties tasks meet; each gets its arrival index; the barrier is reusable', () => go(function* () {
  const barrier = new Barrier(3);
  assert.is(barrier.parties, 3);
  const t = trace();
  function* party(name: string, delay: number): Coro<number> {
    yield* sleep(delay);
    t.log(`${name} arrives`);
    const i = yield* barrier.wait();
    t.log(`${name} passes`);
    return i;
  }
  const round1 = yield* gather(party('a', 1), party('b', 2), party('c', 3));
  assert.equal(round1, [0, 1, 2]);
  assert.equal(t.entries, ['a arrives', 'b arrives', 'c arrives', 'c passes', 'a passes', 'b passes']);
  assert.is(barrier.state, 'FILLING');
  const round2 = yield* gather(party('x', 3), party('y', 2), party('z', 1));
  assert.equal(round2, [2, 1, 0]);
}));

test('Barrier: nWaiting counts the parties waiting while it fills', () => go(function* () {
  const barrier = new Barrier(3);
  const a = createTask(barrier.wait());
  const b = createTask(barrier.wait());
  yield* settle();
  assert.is(barrier.nWaiting, 2);
  assert.is(barrier.toString(), '<Barrier [FILLING, waiters:2/3]>');
  const c = createTask(barrier.wait());
  yield* gather(a, b, c);
  assert.is(barrier.nWaiting, 0);
}));

test('Barrier: tasks arriving while it drains wait for the next round', () => go(function* () {
  const barrier = new Barrier(2);
  const first = [createTask(barrier.wait()), createTask(barrier.wait())];
  yield* sleep(0);
  yield* sleep(0);
  // The second party has arrived and released the first; a third arrives now.
  const late = createTask(barrier.wait());
  yield* gather(...first);
  yield* settle();
  assert.is(late.done(), false, 'waiting in the next round');
  assert.is(barrier.nWaiting, 1);
  const partner = createTask(barrier.wait());
  assert.equal(yield* gather(late, partner), [0, 1]);
}));

test('Barrier: abort() breaks it — waiting and later parties get BrokenBarrierError until reset()', () => go(function* () {
  const barrier = new Barrier(3);
  const a = createTask(barrier.wait());
  const b = createTask(barrier.wait());
  yield* settle();
  yield* barrier.abort();
  yield* settle();
  assert.equal([outcome(a), outcome(b)], ['BrokenBarrierError', 'BrokenBarrierError']);
  assert.is(barrier.broken, true);
  assert.is(barrier.nWaiting, 0);
  try {
    yield* barrier.wait();
    assert.unreachable();
  } catch (e) {
    assert.instance(e, BrokenBarrierError);
  }
  yield* barrier.reset();
  assert.is(barrier.broken, false);
  const parties = [0, 1, 2].map(() => createTask(barrier.wait()));
  assert.equal((yield* gather(...parties)).sort(), [0, 1, 2]);
}));

test('Barrier: reset() while parties wait breaks their wait; the barrier is then usable', () => go(function* () {
  const barrier = new Barrier(3);
  const a = createTask(barrier.wait());
  const b = createTask(barrier.wait());
  yield* settle();
  yield* barrier.reset();
  assert.is(barrier.state, 'RESETTING');
  yield* settle();
  assert.equal([outcome(a), outcome(b)], ['BrokenBarrierError', 'BrokenBarrierError']);
  assert.is(barrier.state, 'FILLING', 'the last party out finished the reset');
  assert.is(barrier.broken, false);
  const parties = [0, 1, 2].map(() => createTask(barrier.wait()));
  assert.equal((yield* gather(...parties)).sort(), [0, 1, 2]);
}));

test('Barrier: a party cancelled while waiting just leaves; the barrier still fills', () => go(function* () {
  const barrier = new Barrier(2);
  const a = createTask(barrier.wait());
  yield* settle();
  assert.is(barrier.nWaiting, 1);
  a.cancel();
  yield* settle();
  assert.is(outcome(a), 'cancelled');
  assert.is(barrier.nWaiting, 0);
  assert.is(barrier.broken, false);
  const parties = [createTask(barrier.wait()), createTask(barrier.wait())];
  assert.equal(yield* gather(...parties), [0, 1]);
}));

test('Barrier: asyncWith gives the arrival index; parties < 1 is a ValueError', () => go(function* () {
  assert.throws(() => new Barrier(0), isA(ValueError));
  const barrier = new Barrier(1);
  const i = yield* asyncWith(barrier, function* (index) { return index; });
  assert.is(i, 0);
}));

test.run();
