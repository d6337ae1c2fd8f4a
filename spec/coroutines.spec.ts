import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkCoroutine, describeValue, isCoroutine, isCoroutineFunction } from '../lib/coroutines.ts';
import { thrown } from './_support/virtual.ts';

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

test.run();
