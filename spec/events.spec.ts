import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Handle, TimerHandle, getRunningLoop, _getRunningLoop } from '../lib/events.ts';
import { collectErrors, manualLoop, thrown, trace } from './_support/virtual.ts';

test('a Handle runs its callback with its arguments, once, in runOnce()', () => {
  const loop = manualLoop();
  const t = trace();
  loop.callSoon(() => t.log('none'));
  loop.callSoon((a: number) => t.log(a), 1);
  loop.callSoon((a: number, b: string, c: boolean) => t.log(`${a}${b}${c}`), 2, 'x', true);
  loop.runOnce();
  loop.runOnce();
  assert.equal(t.entries, ['none', 1, '2xtrue']);
});

test('Handle.cancel() prevents the callback and drops its arguments', () => {
  const loop = manualLoop();
  let calls = 0;
  const handle = loop.callSoon((o: object) => void (o && calls++), {});
  assert.not.ok(handle.cancelled());
  handle.cancel();
  handle.cancel(); // idempotent
  assert.ok(handle.cancelled());
  assert.is(handle._callback, null);
  assert.equal(handle._args, []);
  loop.runOnce();
  assert.is(calls, 0);
  assert.is(String(handle), '<Handle cancelled>');
});

test('a Handle describes its callback by name', () => {
  const loop = manualLoop();
  function named(): void {}
  assert.is(String(loop.callSoon(named)), '<Handle named>');
  assert.is(String(new Handle(Object.defineProperty(() => {}, 'name', { value: '' }), [], loop)), '<Handle (anonymous)>');
});

test('cancelling a Handle after it ran changes nothing', () => {
  const loop = manualLoop();
  let calls = 0;
  const handle = loop.callSoon(() => void calls++);
  loop.runOnce();
  handle.cancel();
  loop.runOnce();
  assert.is(calls, 1);
});

test('an error thrown by a callback goes to the exception handler with the handle', () => {
  const loop = manualLoop();
  const { handler, contexts } = collectErrors();
  loop.setExceptionHandler(handler);
  const boom = new Error('boom');
  const handle = loop.callSoon(function failing() {
    throw boom;
  });
  loop.runOnce();
  assert.is(contexts.length, 1);
  assert.is(contexts[0]!.message, 'Exception in callback failing');
  assert.is(contexts[0]!.exception, boom);
  assert.is(contexts[0]!.handle, handle);
});

test('TimerHandle.when() is the deadline in loop time; toString shows it', () => {
  const loop = manualLoop();
  function tick(): void {}
  const timer = loop.callLater(1.5, tick);
  assert.instance(timer, TimerHandle);
  assert.is(timer.when(), 1.5);
  assert.is(String(timer), '<TimerHandle when=1.500 tick>');
  timer.cancel();
  assert.is(String(timer), '<TimerHandle when=1.500 cancelled>');
});

test('getRunningLoop() is the loop inside a callback and throws outside', () => {
  const loop = manualLoop();
  let inside: unknown;
  loop.callSoon(() => { inside = getRunningLoop(); });
  loop.runOnce();
  assert.is(inside, loop);
  assert.is(_getRunningLoop(), null);
  assert.match(String(thrown(() => getRunningLoop())), /no running event loop/);
});

test('a loop iterated inside another loop\'s callback restores the outer one after', () => {
  const outer = manualLoop();
  const inner = manualLoop();
  const seen: unknown[] = [];
  inner.callSoon(() => seen.push(getRunningLoop()));
  outer.callSoon(() => {
    inner.runOnce();
    seen.push(getRunningLoop());
  });
  outer.runOnce();
  assert.is(seen[0], inner);
  assert.is(seen[1], outer);
  assert.is(_getRunningLoop(), null);
});

test.run();
