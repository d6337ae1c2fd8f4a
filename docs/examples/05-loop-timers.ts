/**
 * Step 5 of docs/walkthrough.md — the loop: a ready queue and a timer heap.
 * Real code: lib/loop.ts → EventLoop.runOnce, lib/heap.ts, lib/deque.ts.
 *
 * Virtual time: when nothing is ready, the clock jumps to the next timer, so the
 * output is exact and an hour-long sleep costs nothing.
 */
import { createTask, gather, getRunningLoop, run, sleep, type Coro } from '../../lib/index.ts';

function* pingPong(name: string): Coro<void> {
  for (let i = 1; i <= 3; i++) {
    console.log(`${name}${i}`);
    yield* sleep(0); // back of the ready queue: the other task gets its turn
  }
}

function* main(): Coro<void> {
  // Fairness: a task that reschedules itself runs in the *next* iteration.
  yield* gather(createTask(pingPong('a')), createTask(pingPong('b')));

  const loop = getRunningLoop();
  const t0 = loop.time();
  const log = (what: string): void => console.log(`t=${(loop.time() - t0).toFixed(1)} ${what}`);
  loop.callLater(0.2, log, 'timer 0.2, scheduled first');
  loop.callLater(0.1, log, 'timer 0.1 (1)');
  loop.callLater(0.1, log, 'timer 0.1 (2): equal deadlines fire in scheduling order');
  loop.callLater(0.15, log, 'cancelled timer: never runs').cancel();
  loop.callSoon(log, 'callSoon: next iteration, before any timer');
  yield* sleep(3600);
  log('main after sleep(3600) — instantly, in virtual time');
}

await run(main(), { virtualTime: true });

// expect:
// a1
// b1
// a2
// b2
// a3
// b3
// t=0.0 callSoon: next iteration, before any timer
// t=0.1 timer 0.1 (1)
// t=0.1 timer 0.1 (2): equal deadlines fire in scheduling order
// t=0.2 timer 0.2, scheduled first
// t=3600.0 main after sleep(3600) — instantly, in virtual time
