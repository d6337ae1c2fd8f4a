/**
 * Properties of the scheduling core, checked on random programs (fast-check).
 *
 * 1. Done-callback order. asyncio runs `loop.call_soon(cb)` once per callback when a
 *    future completes. yieldio queues a lone waiting task directly, or the future itself
 *    once, running all its callbacks from that one entry (`Future._run`). The claim is
 *    that nobody can tell: the same program logs the same events, iteration by
 *    iteration, on yieldio and on a tiny model of asyncio written below.
 * 2. `allTasks()`. yieldio lists only the tasks that have waited (tasklist.ts) and finds
 *    the others in the ready queue or on the stack. The claim: at any moment that is
 *    exactly the set of tasks created and not done.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { Future, type DoneCallback } from '../lib/futures.ts';
import { Task, allTasks, currentTask, sleep } from '../lib/tasks.ts';
import { CancelledError } from '../lib/exceptions.ts';
import type { Coro } from '../lib/coroutines.ts';
import { manualLoop } from './_support/virtual.ts';

// ---- property 1: the order of done-callbacks ----

type Outcome = 'result' | 'exception' | 'cancelled';

/**
 * One step of a program. Indexes are taken modulo what exists when the step runs, so
 * any generated number means something. Futures and tasks share one index space
 * (futures first, then tasks in creation order): a task is a future too.
 */
type Action =
  | { kind: 'add'; k: number; name: string } // addDoneCallback of the callback called `name`
  | { kind: 'remove'; k: number; name: string }
  | { kind: 'soon'; name: string } // loop.callSoon of a logger
  | { kind: 'complete'; k: number; how: Outcome } // a plain future, if still pending
  | { kind: 'cancelTask'; j: number }
  | { kind: 'spawn'; k: number; eager: boolean } // a task that awaits k and logs how it resumed
  | { kind: 'run' }; // one loop iteration

/** What a program runs against: yieldio, or the model. */
interface World {
  readonly log: string[];
  readonly nFutures: number;
  count(): number;
  tasks(): number[];
  pending(k: number): boolean;
  add(k: number, name: string): void;
  remove(k: number, name: string): void;
  soon(name: string): void;
  complete(k: number, how: Outcome): void;
  cancel(k: number): void;
  spawn(target: number, eager: boolean): void;
  runOnce(): void;
  idle(): boolean;
  /** Each future's and task's final state. */
  states(): string[];
}

/** Shared by both worlds, so that they differ only in how they schedule. */
function perform(w: World, a: Action): void {
  switch (a.kind) {
    case 'add': return w.add(a.k % w.count(), a.name);
    case 'remove': return w.remove(a.k % w.count(), a.name);
    case 'soon': return w.soon(a.name);
    case 'complete': {
      const k = a.k % w.nFutures;
      if (w.pending(k)) w.complete(k, a.how);
      return;
    }
    case 'cancelTask': {
      const tasks = w.tasks();
      const t = tasks[a.j % Math.max(tasks.length, 1)];
      if (t !== undefined) w.cancel(t);
      return;
    }
    case 'spawn': return w.spawn(a.k % w.count(), a.eager);
    case 'run': return w.runOnce();
  }
}

/**
 * The callbacks a program may add, by name: each name is one function object (so
 * `removeDoneCallback` by name means what it means in yieldio: every registration of
 * that function). 'a'…'d' log and then perform their action from `table`; 'x' and 'y'
 * only log (they are what callbacks add, so that a callback cannot re-add itself forever).
 */
type Table = Partial<Record<string, Action | null>>;

function yieldioWorld(nFutures: number, table: Table, debug: boolean): World & { errors: string[] } {
  const loop = manualLoop({ debug });
  const errors: string[] = [];
  loop.setExceptionHandler((_loop, context) => void errors.push(context.message));
  const log: string[] = [];
  const futs: Future<unknown>[] = Array.from({ length: nFutures }, () => loop.createFuture());
  const taskIndexes: number[] = [];
  const fns = new Map<string, DoneCallback<unknown>>();
  const callback = (name: string): DoneCallback<unknown> => {
    let fn = fns.get(name);
    if (fn === undefined) {
      fn = (f) => {
        log.push(`${name}@${futs.indexOf(f)}`);
        const action = table[name];
        if (action) perform(world, action);
      };
      fns.set(name, fn);
    }
    return fn;
  };
  function* waiter(i: number, target: Future<unknown>): Coro<void> {
    try {
      yield* target;
    } catch (err) {
      const cancelled = err instanceof CancelledError;
      log.push(`T${i}:${cancelled ? 'cancelled' : 'exception'}`);
      if (cancelled) throw err; // the task ends cancelled, as the model's does
      return;
    }
    log.push(`T${i}:result`);
  }
  const world = {
    log,
    errors,
    nFutures,
    count: () => futs.length,
    tasks: () => taskIndexes,
    pending: (k: number) => !futs[k]!.done(),
    add: (k: number, name: string) => futs[k]!.addDoneCallback(callback(name)),
    remove: (k: number, name: string) => void futs[k]!.removeDoneCallback(callback(name)),
    soon: (name: string) => void loop.callSoon(() => void log.push(`soon:${name}`)),
    complete(k: number, how: Outcome) {
      const f = futs[k]!;
      if (how === 'result') f.setResult(k);
      else if (how === 'exception') f.setException(new Error(`boom${k}`));
      else f.cancel();
    },
    cancel: (k: number) => void futs[k]!.cancel(),
    spawn(target: number, eager: boolean) {
      const i = futs.length;
      // An eager task may run (and log) inside createTask, before it is pushed: it
      // knows its index already.
      futs.push(loop.createTask(waiter(i, futs[target]!), { eagerStart: eager }));
      taskIndexes.push(i);
    },
    runOnce() {
      log.push('|');
      loop.runOnce();
    },
    idle: () => loop._readyCount() === 0,
    // exception() also marks each stored error as retrieved: no report later from GC.
    states: () => futs.map((f) => (f.cancelled() ? 'cancelled' : !f.done() ? 'pending' : f.exception() === null ? 'result' : 'exception')),
  };
  return world;
}

/**
 * The reference: asyncio's semantics, as plainly as possible. The ready queue is an
 * array of thunks; completing a future pushes one thunk per callback, in registration
 * order, and clears the list; a callback added to a done future is pushed at once;
 * `runOnce` runs the thunks present when it starts. A task is asyncio's Task reduced to
 * what the program does: its first step is a thunk, its wake-up a callback on the
 * future it awaits, and `cancel()` is Task.cancel (cancel the awaited future, else
 * `_must_cancel`, which the next step throws in).
 */
interface ModelFuture {
  state: 'pending' | Outcome;
  callbacks: Array<{ name: string; run: () => void }>;
  task?: { mustCancel: boolean; waitsOn: number | null };
}

class Model implements World {
  readonly log: string[] = [];
  readonly futs: ModelFuture[];
  ready: Array<() => void> = [];
  running = false;

  constructor(readonly nFutures: number, readonly table: Table) {
    this.futs = Array.from({ length: nFutures }, () => ({ state: 'pending', callbacks: [] }));
  }

  count(): number { return this.futs.length; }
  tasks(): number[] { return this.futs.flatMap((f, i) => (f.task ? [i] : [])); }
  pending(k: number): boolean { return this.futs[k]!.state === 'pending'; }
  soon(name: string): void { this.ready.push(() => this.log.push(`soon:${name}`)); }

  add(k: number, name: string): void {
    this.addCallback(k, name, () => {
      this.log.push(`${name}@${k}`);
      const action = this.table[name];
      if (action) perform(this, action);
    });
  }

  addCallback(k: number, name: string, run: () => void): void {
    const f = this.futs[k]!;
    if (f.state === 'pending') f.callbacks.push({ name, run });
    else this.ready.push(run); // call_soon right now
  }

  remove(k: number, name: string): void {
    const f = this.futs[k]!;
    f.callbacks = f.callbacks.filter((cb) => cb.name !== name);
  }

  complete(k: number, how: Outcome): void {
    const f = this.futs[k]!;
    f.state = how;
    for (const cb of f.callbacks) this.ready.push(cb.run);
    f.callbacks = [];
  }

  /** Future.cancel / Task.cancel; true if the request was taken. */
  cancel(k: number): boolean {
    const f = this.futs[k]!;
    if (f.state !== 'pending') return false;
    if (f.task === undefined) {
      this.complete(k, 'cancelled');
      return true;
    }
    if (f.task.waitsOn !== null && this.cancel(f.task.waitsOn)) return true;
    f.task.mustCancel = true;
    return true;
  }

  spawn(target: number, eager: boolean): void {
    const i = this.futs.length;
    const t = { mustCancel: false, waitsOn: null as number | null };
    this.futs.push({ state: 'pending', callbacks: [], task: t });
    const resume = (): void => {
      t.waitsOn = null;
      const how = t.mustCancel ? 'cancelled' : (this.futs[target]!.state as Outcome);
      this.log.push(`T${i}:${how}`);
      this.complete(i, how === 'cancelled' ? 'cancelled' : 'result');
    };
    const firstStep = (): void => {
      if (t.mustCancel) return this.complete(i, 'cancelled'); // thrown in before the body starts: no log
      if (this.futs[target]!.state !== 'pending') return resume(); // a done future does not suspend
      t.waitsOn = target;
      this.addCallback(target, `T${i}`, resume);
    };
    if (eager && this.running) firstStep();
    else this.ready.push(firstStep);
  }

  runOnce(): void {
    this.log.push('|');
    this.running = true;
    for (const thunk of this.ready.splice(0)) thunk();
    this.running = false;
  }

  idle(): boolean { return this.ready.length === 0; }
  states(): string[] { return this.futs.map((f) => f.state); }
}

const index = fc.nat({ max: 11 });
const outcome = fc.constantFrom<Outcome>('result', 'exception', 'cancelled');
const soon = fc.record({ kind: fc.constant('soon' as const), name: fc.constantFrom('s1', 's2') });
const complete = fc.record({ kind: fc.constant('complete' as const), k: index, how: outcome });
const cancelTask = fc.record({ kind: fc.constant('cancelTask' as const), j: index });
const spawn = fc.record({ kind: fc.constant('spawn' as const), k: index, eager: fc.boolean() });

/** What a callback does after logging (from a callback, a spawn may start eagerly). */
const callbackAction: fc.Arbitrary<Action> = fc.oneof(
  soon, complete, cancelTask, spawn,
  fc.record({ kind: fc.constant('add' as const), k: index, name: fc.constantFrom('x', 'y') }),
);

const topStep: fc.Arbitrary<Action> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('add' as const), k: index, name: fc.constantFrom('a', 'b', 'c', 'd') }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('remove' as const), k: index, name: fc.constantFrom('a', 'b', 'c', 'd', 'x', 'y') }) },
  { weight: 2, arbitrary: soon },
  { weight: 3, arbitrary: complete },
  { weight: 2, arbitrary: cancelTask },
  { weight: 2, arbitrary: spawn },
  { weight: 4, arbitrary: fc.constant({ kind: 'run' as const }) },
);

const maybeAction = fc.option(callbackAction, { nil: null });
const program = fc.record({
  // Debug mode runs a done future's callbacks one by one, to time each (loop.ts #runTimed).
  debug: fc.boolean(),
  nFutures: fc.integer({ min: 2, max: 4 }),
  table: fc.record({ a: maybeAction, b: maybeAction, c: maybeAction, d: maybeAction }),
  steps: fc.array(topStep, { maxLength: 25, size: 'max' }),
});

test('property: done-callbacks and task wake-ups run in the order of a call_soon-per-callback model', () => {
  fc.assert(fc.property(program, ({ debug, nFutures, table, steps }) => {
    const real = yieldioWorld(nFutures, table, debug);
    const model = new Model(nFutures, table);
    for (const step of steps) {
      perform(real, step);
      perform(model, step);
    }
    // Then run both dry. Nothing in a program loops, so a few dozen iterations suffice.
    for (let n = 0; n < 50 && !(real.idle() && model.idle()); n++) {
      real.runOnce();
      model.runOnce();
    }
    assert.ok(real.idle() && model.idle(), 'both queues drained');
    // The iteration markers ('|') make this an iteration-by-iteration comparison.
    assert.equal(real.log, model.log);
    assert.equal(real.states(), model.states());
    assert.equal(real.errors, [], 'no callback failed');
  }), { numRuns: 300 });
});

// ---- property 2: allTasks() is the set of tasks not yet done ----

/** What a task body does, in order; a spawned child has a body of its own. */
type Op =
  | { op: 'yield'; n: number } // n bare yields
  | { op: 'sleep0' }
  | { op: 'wait'; s: number } // await a shared future (pending until someone resolves it)
  | { op: 'resolve'; s: number }
  | { op: 'spawn'; eager: boolean; join: boolean; watch: boolean; body: Op[] }
  | { op: 'cancel'; j: number } // cancel some task created so far (maybe itself, maybe done)
  | { op: 'throw' }
  | { op: 'check' } // compare allTasks() with the expectation, here
  | { op: 'soonCheck' }; // …or from a plain callback on the next iteration

const shared = fc.nat({ max: 1 });

function opsOf(depth: number): fc.Arbitrary<Op[]> {
  const ops: Array<fc.WeightedArbitrary<Op>> = [
    { weight: 3, arbitrary: fc.record({ op: fc.constant('yield' as const), n: fc.integer({ min: 1, max: 3 }) }) },
    { weight: 2, arbitrary: fc.constant({ op: 'sleep0' as const }) },
    { weight: 3, arbitrary: fc.record({ op: fc.constant('wait' as const), s: shared }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('resolve' as const), s: shared }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('cancel' as const), j: fc.nat({ max: 15 }) }) },
    { weight: 1, arbitrary: fc.constant({ op: 'throw' as const }) },
    { weight: 3, arbitrary: fc.constant({ op: 'check' as const }) },
    { weight: 2, arbitrary: fc.constant({ op: 'soonCheck' as const }) },
  ];
  if (depth > 0) {
    // Depth 3 and five ops a body keep a program to a few dozen tasks at most.
    const spawn = fc.record({ op: fc.constant('spawn' as const), eager: fc.boolean(), join: fc.boolean(), watch: fc.boolean(), body: opsOf(depth - 1) });
    ops.push({ weight: 6, arbitrary: spawn });
  }
  return fc.array(fc.oneof(...ops), { maxLength: 5, size: 'max' });
}

type Harness = { step: 'run' } | { step: 'check' } | { step: 'soonCheck' } | { step: 'resolve'; s: number };

const harness: fc.Arbitrary<Harness> = fc.oneof(
  { weight: 5, arbitrary: fc.constant({ step: 'run' as const }) },
  { weight: 1, arbitrary: fc.constant({ step: 'check' as const }) },
  { weight: 1, arbitrary: fc.constant({ step: 'soonCheck' as const }) },
  { weight: 1, arbitrary: fc.record({ step: fc.constant('resolve' as const), s: shared }) },
);

test('property: allTasks() is exactly the created tasks that are not done, wherever it is asked', () => {
  fc.assert(fc.property(fc.array(opsOf(3), { minLength: 1, maxLength: 3 }), fc.array(harness, { maxLength: 20, size: 'max' }), (roots, steps) => {
    const loop = manualLoop();
    const errors: string[] = [];
    loop.setExceptionHandler((_loop, context) => void errors.push(context.message));
    const futures = [loop.createFuture(), loop.createFuture()];
    const created = new Set<Task<unknown>>();
    // A check cannot throw: inside a task the error would only fail the task, in a
    // callback it would go to the exception handler. It records instead.
    const failures: string[] = [];
    const names = (tasks: Iterable<Task<unknown>>): string => [...tasks].map((t) => t.getName()).join(',');
    const check = (where: string): void => {
      const expected = [...created].filter((t) => !t.done());
      const actual = allTasks(loop);
      if (actual.size !== expected.length || !expected.every((t) => actual.has(t))) {
        failures.push(`${where}: allTasks() = {${names(actual)}}, expected {${names(expected)}}`);
      }
    };
    const resolve = (s: number): void => {
      const f = futures[s]!;
      if (!f.done()) f.setResult(undefined);
    };

    function* body(ops: Op[]): Coro<void> {
      const self = currentTask(loop) as Task<unknown>;
      // Recorded from inside: an eager child runs this before createTask returns.
      created.add(self);
      check(`start of ${self.getName()}`);
      for (const op of ops) {
        switch (op.op) {
          case 'yield':
            for (let i = 0; i < op.n; i++) yield;
            break;
          case 'sleep0':
            yield* sleep(0);
            break;
          case 'wait':
            yield* futures[op.s]!; // cancelled (by a cancel of a waiter) ends this task too
            break;
          case 'resolve':
            resolve(op.s);
            break;
          case 'spawn': {
            const child = loop.createTask(body(op.body), { eagerStart: op.eager });
            created.add(child); // a child cancelled before its first step never runs its body
            if (op.watch) child.addDoneCallback(() => check(`done-callback of ${child.getName()}`));
            if (op.join) {
              try {
                yield* child;
              } catch (err) {
                if (err instanceof CancelledError) throw err;
              }
            }
            break;
          }
          case 'cancel': {
            const all = [...created];
            all[op.j % all.length]?.cancel();
            break;
          }
          case 'throw':
            throw new Error('boom');
          case 'check':
            check(`inside ${self.getName()}`);
            break;
          case 'soonCheck':
            loop.callSoon(check, `callSoon from ${self.getName()}`);
            break;
        }
      }
      check(`end of ${self.getName()}`); // still running, so still listed
    }

    for (const ops of roots) created.add(loop.createTask(body(ops)));
    check('before the first iteration');
    for (const step of steps) {
      if (step.step === 'run') loop.runOnce();
      else if (step.step === 'resolve') resolve(step.s);
      else if (step.step === 'soonCheck') loop.callSoon(check, 'callSoon from outside');
      check(`between iterations, after ${step.step}`);
    }
    // Let everything finish: no future left pending, the loop run dry.
    resolve(0);
    resolve(1);
    for (let n = 0; n < 500 && loop._readyCount() > 0; n++) {
      loop.runOnce();
      check(`draining, iteration ${n}`);
    }
    assert.is(loop._readyCount(), 0, 'the loop ran dry');
    assert.equal(failures, []);
    assert.equal(names(allTasks(loop)), '', 'nothing left once every future is resolved');
    assert.ok([...created].every((t) => t.done()));
    for (const t of created) if (!t.cancelled()) t.exception(); // retrieved: no report from GC
    assert.equal(errors, []);
  }), { numRuns: 150 });
});

test.run();
