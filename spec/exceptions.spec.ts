import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  BrokenBarrierError, CancelledError, DeadlockError, ExceptionGroup, IncompleteReadError, InvalidStateError,
  LimitOverrunError, QueueEmpty, QueueFull, QueueShutDown, RuntimeError, TimeoutError, describeError,
} from '../lib/exceptions.ts';

test('every error names itself, so String(err) says which it is', () => {
  const cases: [Error, string][] = [
    [new CancelledError(), 'CancelledError'],
    [new TimeoutError(), 'TimeoutError'],
    [new InvalidStateError('x'), 'InvalidStateError: x'],
    [new QueueEmpty(), 'QueueEmpty: the queue is empty'],
    [new QueueFull(), 'QueueFull: the queue is full'],
    [new QueueShutDown(), 'QueueShutDown: the queue was shut down'],
    [new BrokenBarrierError(), 'BrokenBarrierError: the barrier is broken'],
    [new RuntimeError('r'), 'RuntimeError: r'],
    [new DeadlockError('d'), 'DeadlockError: d'],
  ];
  for (const [err, text] of cases) {
    assert.instance(err, Error);
    assert.is(String(err), text);
  }
});

test('CancelledError carries the cancel message, empty by default', () => {
  assert.is(new CancelledError().message, '');
  assert.is(new CancelledError('why').message, 'why');
});

test('a DeadlockError is a RuntimeError', () => {
  assert.instance(new DeadlockError('d'), RuntimeError);
});

test('IncompleteReadError keeps the partial bytes and the expected count', () => {
  const err = new IncompleteReadError(new Uint8Array(3), 10);
  assert.is(err.partial.length, 3);
  assert.is(err.expected, 10);
  assert.is(err.message, '3 bytes read on a total of 10 expected bytes');
  assert.is(new IncompleteReadError(new Uint8Array(0), null).message, '0 bytes read on a total of undefined expected bytes');
});

test('LimitOverrunError keeps how many bytes to consume', () => {
  const err = new LimitOverrunError('too long', 7);
  assert.is(err.consumed, 7);
  assert.is(String(err), 'LimitOverrunError: too long');
});

test('ExceptionGroup holds its members and lists them in the message', () => {
  const a = new Error('a');
  const b = new TimeoutError();
  const group = new ExceptionGroup('unhandled errors in a TaskGroup', [a, b]);
  assert.equal(group.exceptions, [a, b]);
  assert.is(group.message, 'unhandled errors in a TaskGroup (2 sub-exceptions)\n  [1] Error: a\n  [2] TimeoutError');
  assert.match(new ExceptionGroup('one', ['x']).message, /^one \(1 sub-exception\)\n {2}\[1\] non-Error value thrown: x$/);
});

test('describeError() is one line: Name: message, or the name alone', () => {
  assert.is(describeError(new TypeError('bad')), 'TypeError: bad');
  assert.is(describeError(new CancelledError()), 'CancelledError');
  assert.is(describeError(42), 'non-Error value thrown: 42');
});

test.run();
