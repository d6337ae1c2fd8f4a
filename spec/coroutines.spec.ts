import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkCoroutine, describeValue, isCoroutine, isCoroutineFunction } from '../lib/coroutines.ts';
import { sleep } from '../lib/tasks.ts';
import { gather } from '../lib/gather.ts';
import type { Coro } from '../lib/coroutines.ts';
import { drain, manualLoop, runVirtual, thrown, trace } from './_support/virtual.ts';

function* gen(): Generator<number, void, unknown> { yield 1; }
async function* asyncGen(): AsyncGenerator<number> { yield 1; }

test('isCoroutine() is true for generator objects only', () => {
  assert.ok(isCoroutine(gen()));
  assert.ok(isCoroutine((function* () {})()));
  assert.not.ok(isCoroutine(gen), 'the function is not a coroutine');
  assert.not.ok(isCoroutine(asyncGen()));
  assert.not.ok(isCoroutine([1, 2][Symbol.iterator]()));
  assert.not.ok(isCoroutine({ next() {}, throw() {}, return() {} }));
  assert.not.ok(isCoroutine(null));
  assert.not.ok(isCoroutine(Promise.resolve()));
});

test('isCoroutineFunction() is true for function* only', () => {
  assert.ok(isCoroutineFunction(gen));
  assert.not.ok(isCoroutineFunction(gen()));
  assert.not.ok(isCoroutineFunction(() => {}));
  assert.not.ok(isCoroutineFunction(async () => {}));
});

test('describeValue() names a value for error messages', () => {
  assert.is(describeValue(null), 'null');
  assert.is(describeValue(undefined), 'undefined');
  assert.is(describeValue('hi'), 'the string "hi"');
  assert.is(describeValue('x'.repeat(50)), `the string "${'x'.repeat(40)}…"`);
  assert.is(describeValue(3), 'the number 3');
  assert.is(describeValue(10n), 'the bigint 10');
  assert.is(describeValue(true), 'the boolean true');
  assert.is(describeValue(gen), 'the function gen');
  assert.is(describeValue(() => {}), 'the function (anonymous)');
  assert.is(describeValue(Symbol('s')), 'Symbol(s)');
  assert.is(describeValue(Promise.resolve()), 'a Promise');
  assert.is(describeValue(new Map()), 'a Map object');
  assert.is(describeValue(Object.create(null)), 'an object');
});

test('checkCoroutine() accepts a generator object', () => {
  checkCoroutine(gen(), 'run()');
});

test('checkCoroutine() of the generator function says to call it, with the name', () => {
  const err = thrown(() => checkCoroutine(gen, 'run()'));
  assert.instance(err, TypeError);
  assert.match((err as Error).message, /got the generator function gen: call it — run\(gen\(\)\)/);
  const anonymous = thrown(() => checkCoroutine(Object.defineProperty(function* () {}, 'name', { value: '' }), 'createTask()'));
  assert.match((anonymous as Error).message, /createTask\(main\(\)\)/);
});

test('checkCoroutine() of a Promise says yieldio runs function* coroutines', () => {
  const err = thrown(() => checkCoroutine((async () => 1)(), 'run()'));
  assert.instance(err, TypeError);
  assert.match((err as Error).message, /not async functions/);
});

test('checkCoroutine() of anything else names it', () => {
  assert.match(String(thrown(() => checkCoroutine(5, 'run()'))), /but got the number 5/);
});

test('sleep(0) is no generator but counts as a coroutine everywhere one is accepted', async () => {
  assert.ok(isCoroutine(sleep(0)));
  const results = await runVirtual((function* (): Coro<unknown[]> {
    return yield* gather(sleep(0, 'a'), sleep(0), sleep(-1, 'c'));
  })());
  assert.equal(results, ['a', undefined, 'c']);
  const loop = manualLoop();
  const task = loop.createTask(sleep(0, 'as a task'));
  drain(loop);
  assert.is(task.result(), 'as a task');
});

test('sleep(0) as an iterator: yields once bare, then returns its result', () => {
  const it = sleep(0, 9);
  assert.is(it[Symbol.iterator](), it);
  assert.equal(it.next(), { done: false, value: undefined });
  assert.equal(it.next(), { done: true, value: 9 });
  const early = sleep(0, 1);
  assert.equal(early.return(2), { done: true, value: 2 }, 'return() ends it at once');
  const boom = new Error('thrown in');
  assert.is(thrown(() => sleep(0).throw(boom)), boom);
});

test('an error thrown into a coroutine suspended in sleep(0) surfaces at its yield*', () => {
  const loop = manualLoop();
  const t = trace();
  const task = loop.createTask((function* (): Coro<string> {
    try {
      yield* sleep(0);
    } catch (err) {
      t.log((err as Error).name);
    }
    yield* sleep(0);
    return 'went on';
  })());
  loop.runOnce();
  task.cancel();
  drain(loop);
  assert.equal(t.entries, ['CancelledError']);
  assert.is(task.result(), 'went on');
});

test('a coroutine closed (return()) while suspended in sleep(0) runs its finally', () => {
  const t = trace();
  const coro = (function* (): Coro<string> {
    try {
      yield* sleep(0);
      return 'not reached';
    } finally {
      t.log('finally');
    }
  })();
  coro.next();
  assert.equal(coro.return('closed'), { done: true, value: 'closed' });
  assert.equal(t.entries, ['finally']);
});

test.run();
