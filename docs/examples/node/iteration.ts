/**
 * docs/node.md, "Iteration across the border": aiter, forEach, toAsyncIterable.
 * Real code: lib/iteration.ts → AsyncIterableReader, forEach, toAsyncIterable.
 */
import { EventEmitter, on } from 'node:events';
import {
  Queue, aiter, createTask, forEach, run, sleep, toAsyncIterable, wrapPromise, type Coro,
} from '../../../lib/index.ts';

/** An async generator: what many Node libraries hand out. */
async function* numbers(): AsyncGenerator<number> {
  try {
    for (let i = 1; ; i++) yield i;
  } finally {
    console.log('numbers(): finally (the reader left early)');
  }
}

function* main(): Coro<void> {
  // aiter: next() is a coroutine returning an IteratorResult (asyncio's anext).
  const it = aiter(numbers());
  for (let r = yield* it.next(); !r.done; r = yield* it.next()) {
    console.log('aiter:', r.value);
    if (r.value === 2) break;
  }
  yield* it.return(); // leaving early: the generator's finally runs

  // forEach: any async iterable (here events.on), a CoroIterator or a Queue.
  const emitter = new EventEmitter();
  setTimeout(() => ['x', 'y', 'stop'].forEach((word) => emitter.emit('word', word)), 5);
  yield* forEach(on(emitter, 'word'), function* ([word]: string[]) {
    if (word === 'stop') return false; // stops, and removes on()'s listener
    console.log('forEach:', word);
  });

  // toAsyncIterable: a Queue filled by a task, read with for await by async code.
  const queue = new Queue<string>();
  const reading = readAll(toAsyncIterable(queue));
  createTask((function* () {
    for (const item of ['one', 'two']) {
      yield* queue.put(item);
      yield* sleep(0.001);
    }
    queue.shutdown(); // ends the for await once the queue is empty
  })());
  console.log('for await read:', (yield* wrapPromise(reading)).join(', '));
}

/** Plain async code. */
async function readAll(items: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const item of items) out.push(item);
  return out;
}

await run(main());

// expect:
// aiter: 1
// aiter: 2
// numbers(): finally (the reader left early)
// forEach: x
// forEach: y
// for await read: one, two
