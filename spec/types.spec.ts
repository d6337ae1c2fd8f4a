/**
 * Type-level checks, compiled by `tsc` (npm run typecheck): each `Expect<Equal<…>>`
 * fails to compile if the inferred type is wrong. The one uvu test runs the same
 * coroutine, so the types are checked against values too.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { gather, run, sleep, createTask, ensureFuture, Future, Task, type Coro, type ResultOf } from '../lib/index.ts';

type Equal<X, Y> = (<T>() => T extends X ? 1 : 2) extends (<T>() => T extends Y ? 1 : 2) ? true : false;
type Expect<T extends true> = T;

function* num(): Coro<number> { return 1; }
function* str(): Coro<string> { return 's'; }

function* main(): Coro<string> {
  const [a, b] = yield* gather(num(), str());
  const _pair: Expect<Equal<[typeof a, typeof b], [number, string]>> = true;

  const task = createTask(num());
  const _task: Expect<Equal<typeof task, Task<number>>> = true;
  const fromTask = yield* task;
  const _fromTask: Expect<Equal<typeof fromTask, number>> = true;

  const mixed = yield* gather(task, str(), getFuture());
  const _mixed: Expect<Equal<typeof mixed, [number, string, boolean]>> = true;

  const settled = yield* gather(num(), str(), { returnExceptions: true });
  const _settled: Expect<Equal<typeof settled, [number | Error, string | Error]>> = true;

  const many = yield* gather([num(), num()]);
  const _many: Expect<Equal<typeof many, number[]>> = true;

  const none = yield* gather();
  const _none: Expect<Equal<typeof none, []>> = true;

  const slept = yield* sleep(1, 'r' as const);
  const _slept: Expect<Equal<typeof slept, 'r'>> = true;
  const plain = yield* sleep(0);
  const _plain: Expect<Equal<typeof plain, undefined>> = true;

  const fut = ensureFuture(num());
  const _fut: Expect<Equal<typeof fut, Future<number>>> = true;
  const _resultOf: Expect<Equal<ResultOf<Coro<Date>>, Date>> = true;
  const _resultOfFuture: Expect<Equal<ResultOf<Future<bigint>>, bigint>> = true;

  return `${a}${b}${fromTask}${mixed.join('')}${many.length}${none.length}${slept}${String(plain)}${yield* fut}`;
}

function getFuture(): Future<boolean> {
  const fut = new Future<boolean>();
  fut.setResult(true);
  return fut;
}

// @ts-expect-error run() needs a coroutine, not the generator function
const _wrong = (): unknown => run(num);

test('the typed program runs and gives the values its types promise', async () => {
  assert.is(await run(main(), { virtualTime: true }), '1s11strue2' + '0rundefined1');
});

test.run();
