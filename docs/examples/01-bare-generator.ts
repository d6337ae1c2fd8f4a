/**
 * Step 1 of docs/walkthrough.md — a bare generator, and a loop made of nothing else.
 *
 * A generator function can stop in the middle (`yield`) and be resumed later, with a
 * value (`next(v)`) or with an error (`throw(e)`). Whoever calls `next` decides when the
 * function runs. A scheduler is just a caller that steps many of them in turn.
 */

function* addTwo(): Generator<string, number, number> {
  const a = yield 'need a'; // suspended here until someone calls next(a)
  const b = yield 'need b';
  return a + b;
}

const gen = addTwo();
console.log(gen.next()); // runs to the first yield
console.log(gen.next(20)); // 20 becomes `a`
console.log(gen.next(22)); // 22 becomes `b`; the return value arrives with done: true

// throw(): the error surfaces at the yield the generator is stopped at, where it can be caught.
function* careful(): Generator<string, string, unknown> {
  try {
    yield 'waiting';
    return 'not reached';
  } catch (err) {
    return `caught "${(err as Error).message}" at the yield`;
  }
}
const c = careful();
c.next();
console.log(c.throw(new Error('boom')));

// The smallest scheduler: round-robin over generators until all have returned.
function* worker(name: string, steps: number): Generator<void, void, void> {
  for (let i = 1; i <= steps; i++) {
    console.log(`${name} step ${i}`);
    yield; // "let the others run"
  }
}
const ready = [worker('A', 2), worker('B', 3)];
while (ready.length > 0) {
  const g = ready.shift()!;
  if (!g.next().done) ready.push(g);
}

// expect:
// { value: 'need a', done: false }
// { value: 'need b', done: false }
// { value: 42, done: true }
// { value: 'caught "boom" at the yield', done: true }
// A step 1
// B step 1
// A step 2
// B step 2
// B step 3
