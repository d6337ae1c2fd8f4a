/**
 * Step 2 of docs/walkthrough.md — a Future: a box for a result that does not exist yet.
 * Real code: lib/futures.ts → Future.
 *
 * The loop is driven by hand here (`loop.runOnce()`), to show that a future never calls
 * its done-callbacks inline: `setResult` only *schedules* them.
 */
import { EventLoop } from '../../lib/loop.ts';
import { AWAITING } from '../../lib/futures.ts';

const loop = new EventLoop();
const fut = loop.createFuture<number>();
fut.addDoneCallback((f) => console.log('  done-callback sees', f.result()));

console.log('state:', fut.state);
fut.setResult(42);
console.log('state:', fut.state, '— the callback is queued, not run');
loop.runOnce();
console.log('after one loop iteration');

// A future leaves PENDING once; the error names the state.
try {
  fut.setResult(43);
} catch (err) {
  console.log(`${(err as Error).name}: ${(err as Error).message}`);
}

// `yield* fut`, by hand: a Future is its own iterator. Pending, it yields itself,
// inside the shared AWAITING marker that tells the Task "this is a yield*"; done, it
// returns its result.
const box = loop.createFuture<string>();
const step1 = box.next();
console.log('pending: yields itself?', step1.value === box, '— the await marker:', step1 === AWAITING);
AWAITING.value = undefined; // a Task empties the marker at once; so do we
box.setResult('ready');
console.log('done: next() returns', box.next());

// Cancelled: result() throws the CancelledError.
const gone = loop.createFuture<string>();
gone.cancel('no longer needed');
try {
  gone.result();
} catch (err) {
  console.log(`${(err as Error).name}: ${(err as Error).message}`);
}
loop.runOnce();

// expect:
// state: PENDING
// state: FINISHED — the callback is queued, not run
//   done-callback sees 42
// after one loop iteration
// InvalidStateError: setResult() on a FINISHED future: a future leaves PENDING only once (<Future finished result=42>).
// pending: yields itself? true — the await marker: true
// done: next() returns { done: true, value: 'ready' }
// CancelledError: no longer needed
