import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { Deque } from '../lib/deque.ts';

test('an empty deque: length 0, shift and peek give undefined', () => {
  const d = new Deque<number>();
  assert.is(d.length, 0);
  assert.is(d.shift(), undefined);
  assert.is(d.peek(), undefined);
  assert.equal([...d], []);
});

test('items come out in FIFO order; peek does not remove', () => {
  const d = new Deque<string>();
  d.push('a');
  d.push('b');
  d.push('c');
  assert.is(d.peek(), 'a');
  assert.is(d.length, 3);
  assert.is(d.shift(), 'a');
  assert.is(d.peek(), 'b');
  assert.equal([...d], ['b', 'c']);
});

test('wraparound: the head moves past the end of the ring and order is kept', () => {
  const d = new Deque<number>(16);
  let next = 0;
  let expected = 0;
  for (let round = 0; round < 10; round++) {
    for (let i = 0; i < 11; i++) d.push(next++);
    for (let i = 0; i < 9; i++) assert.is(d.shift(), expected++);
  }
  assert.is(d.length, next - expected);
  assert.equal([...d], Array.from({ length: next - expected }, (_, i) => expected + i));
});

test('growth: pushing past the capacity keeps every item, even when wrapped', () => {
  const d = new Deque<number>(16);
  for (let i = 0; i < 10; i++) d.push(i);
  for (let i = 0; i < 10; i++) d.shift(); // head is now at 10
  for (let i = 0; i < 100; i++) d.push(i); // wraps, then grows several times
  assert.is(d.length, 100);
  assert.equal([...d], Array.from({ length: 100 }, (_, i) => i));
  for (let i = 0; i < 100; i++) assert.is(d.shift(), i);
  assert.is(d.length, 0);
});

test('an initial capacity that is not a power of two is rounded up', () => {
  const d = new Deque<number>(100);
  for (let i = 0; i < 300; i++) d.push(i);
  assert.is(d.length, 300);
  assert.is(d.shift(), 0);
});

test('clear() empties it, and it works as new afterwards', () => {
  const d = new Deque<number>();
  for (let i = 0; i < 20; i++) d.push(i);
  d.shift();
  d.clear();
  assert.is(d.length, 0);
  assert.is(d.peek(), undefined);
  d.push(7);
  assert.equal([...d], [7]);
});

test('property: a deque behaves like an array used as a queue', () => {
  fc.assert(fc.property(
    fc.array(fc.oneof(
      { weight: 6, arbitrary: fc.record({ op: fc.constant('push' as const), value: fc.integer() }) },
      { weight: 4, arbitrary: fc.record({ op: fc.constant('shift' as const) }) },
      { weight: 1, arbitrary: fc.record({ op: fc.constant('clear' as const) }) },
    ), { maxLength: 300 }),
    (ops) => {
      const d = new Deque<number>();
      const model: number[] = [];
      for (const step of ops) {
        if (step.op === 'push') {
          d.push(step.value);
          model.push(step.value);
        } else if (step.op === 'shift') {
          assert.is(d.shift(), model.shift());
        } else {
          d.clear();
          model.length = 0;
        }
        assert.is(d.length, model.length);
        assert.is(d.peek(), model[0]);
      }
      assert.equal([...d], model);
    },
  ));
});

test.run();
