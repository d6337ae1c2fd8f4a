import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TraceRecorder } from '../lib/trace.ts';
import { toChromeTrace, toHTML } from '../lib/trace-export.ts';
import { createTask, sleep } from '../lib/tasks.ts';
import { gather } from '../lib/gather.ts';
import type { Coro } from '../lib/coroutines.ts';
import { runVirtual } from './_support/virtual.ts';

async function sampleTrace(): Promise<TraceRecorder> {
  const recorder = new TraceRecorder();
  await runVirtual((function* (): Coro<void> {
    const a = createTask(sleep(1), { name: 'a<&>' });
    const b = createTask(sleep(2), { name: 'b' });
    yield* gather(a, b);
  })(), { trace: recorder });
  recorder.poolEvent('connect', 'conn #1', 'x');
  return recorder;
}

test('Chrome trace: a named lane per task, complete events for steps and waits, µs times', async () => {
  const { traceEvents } = toChromeTrace(await sampleTrace());
  const laneNames = traceEvents.filter((e) => e.ph === 'M').map((e) => e.args?.name);
  assert.ok(laneNames.includes('a<&>') && laneNames.includes('b') && laneNames.includes('conn #1'));
  const waitOfB = traceEvents.find((e) => e.cat === 'wait' && e.name === 'wait <Future pending>' && e.dur === 2e6);
  assert.ok(waitOfB, 'b waits 2 s = 2e6 µs on its sleep future');
  assert.ok(traceEvents.some((e) => e.cat === 'step' && e.ph === 'X'));
  assert.ok(traceEvents.some((e) => e.cat === 'pool' && e.name === 'connect' && e.tid > 100_000));
  assert.ok(traceEvents.every((e) => e.pid === 1 && Number.isFinite(e.ts)));
  JSON.parse(JSON.stringify({ traceEvents })); // serialisable as is
});

test('HTML: one self-contained page with an SVG lane per task and connection, names escaped', async () => {
  const html = toHTML(await sampleTrace(), 'my <run>');
  assert.match(html, /^<!doctype html>/);
  assert.match(html, /<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  assert.match(html, /a&#60;&#38;&#62;/); // the task name, escaped
  assert.match(html, /my &#60;run&#62;/);
  assert.match(html, />conn #1</);
  assert.not.match(html, /<script/);
  assert.not.match(html, /https?:\/\/(?!www\.w3\.org)/); // nothing fetched from the network
});

test.run();
