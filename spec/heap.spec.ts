import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { Heap, type HeapEntry } from '../lib/heap.ts';

interface Entry extends HeapEntry { name: string }

let seq = 0;
function entry(when: number, name = String(when)): Entry {
  return { _when: when, _seq: seq++, name };
}

function drainHeap(heap: Heap<Entry>): string[] {
  const out: string[] = [];
  for (let e = heap.pop(); e !== undefined; e = heap.pop()) out.push(e.name);
  return out;
}

test('an empty heap: length 0, peek and pop give undefined', () => {
  const heap = new Heap<Entry>();
  assert.is(heap.length, 0);
  assert.is(heap.peek(), undefined);
  assert.is(heap.pop(), undefined);
});

test('entries come out by deadline; peek is the earliest', () => {
  const heap = new Heap<Entry>();
  for (const w of [5, 1, 4, 2, 3, 0.5]) heap.push(entry(w));
  assert.is(heap.peek()?.name, '0.5');
  assert.is(heap.length, 6);
  assert.equal(drainHeap(heap), ['0.5', '1', '2', '3', '4', '5']);
});

test('equal deadlines come out in the order they were pushed (FIFO ties)', () => {
  const heap = new Heap<Entry>();
  for (const name of ['a', 'b', 'c', 'd', 'e', 'f', 'g']) heap.push(entry(1, name));
  heap.push(entry(0, 'first'));
  assert.equal(drainHeap(heap), ['first', 'a', 'b', 'c', 'd', 'e', 'f', 'g']);
});

test('filter() keeps the matching entries, still in order', () => {
  const heap = new Heap<Entry>();
  for (let i = 10; i > 0; i--) heap.push(entry(i));
  heap.filter((e) => e._when % 2 === 0);
  assert.is(heap.length, 5);
  assert.equal([...heap.values()].map((e) => e.name).sort(), ['10', '2', '4', '6', '8']);
  assert.equal(drainHeap(heap), ['2', '4', '6', '8', '10']);
});

test('property: pops come out sorted by (deadline, push order) with interleaved pushes, pops and filters', () => {
  type Op = { op: 'push'; when: number } | { op: 'pop' } | { op: 'filter'; mod: number };
  const op: fc.Arbitrary<Op> = fc.oneof(
    { weight: 5, arbitrary: fc.record({ op: fc.constant('push' as const), when: fc.integer({ min: 0, max: 20 }) }) },
    { weight: 3, arbitrary: fc.record({ op: fc.constant('pop' as const) }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('filter' as const), mod: fc.integer({ min: 2, max: 4 }) }) },
  );
  fc.assert(fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
    const heap = new Heap<Entry>();
    let model: Entry[] = [];
    const byOrder = (a: Entry, b: Entry): number => a._when - b._when || a._seq - b._seq;
    for (const step of ops) {
      if (step.op === 'push') {
        const e = entry(step.when);
        heap.push(e);
        model.push(e);
        model.sort(byOrder);
      } else if (step.op === 'pop') {
        assert.is(heap.pop(), model.shift());
      } else {
        const keep = (e: Entry): boolean => e._seq % step.mod !== 0;
        heap.filter(keep);
        model = model.filter(keep);
      }
      assert.is(heap.length, model.length);
      assert.is(heap.peek(), model[0]);
    }
  }));
});

test.run();
