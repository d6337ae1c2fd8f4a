import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TraceRecorder } from '../lib/trace.ts';
import { toChromeTrace, toHTML, toSVG } from '../lib/trace-export.ts';
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

test('SVG: a connection lane drawn as its life — opened, leased to a task, idle — with ticks, an axis and a legend', async () => {
  const recorder = new TraceRecorder();
  await runVirtual((function* (): Coro<void> {
    const lane = 'connection #7 http://127.0.0.1:8080';
    recorder.poolEvent('acquire', lane, 'chain-1');
    yield* sleep(0.001);
    recorder.poolEvent('connect', lane, 'http://127.0.0.1:8080');
    yield* sleep(0.002);
    recorder.poolEvent('release', lane, 'idle');
    yield* sleep(0.004);
    recorder.poolEvent('acquire', lane, 'chain-2');
    recorder.poolEvent('reuse', lane, 'kept alive');
    yield* sleep(0.002);
    recorder.poolEvent('release', lane, 'handed to a waiting request');
    recorder.poolEvent('acquire', lane, 'chain-<3>');
    yield* sleep(0.001);
    recorder.poolEvent('close', lane, 'pool closed');
  })(), { trace: recorder });
  const svg = toSVG(recorder, 'pool');
  assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="\d+" height="\d+" viewBox=/);
  assert.match(svg, /<rect width="100%" height="100%" fill="#fff"\/>/); // readable on a dark page too
  // The lane name on two lines: the connection, then its origin.
  assert.match(svg, />connection #7<\/text>/);
  assert.match(svg, />http:\/\/127\.0\.0\.1:8080<\/text>/);
  // Its life in order: being opened, leased to chain-1, idle, leased to chain-2, handed straight to chain-<3>.
  const stretches = [...svg.matchAll(/<title>(being opened|leased to [^<]+|idle in the pool)<\/title>/g)].map((m) => m[1]);
  assert.equal(stretches, ['being opened', 'leased to chain-1', 'idle in the pool', 'leased to chain-2', 'leased to chain-&#60;3&#62;']);
  for (const kind of ['acquire', 'connect', 'reuse', 'release', 'close']) assert.match(svg, new RegExp(`<title>${kind} `));
  // A round time axis: 10 ms in 1 ms steps, and a legend naming every colour.
  assert.match(svg, />0 ms<\/text>/);
  assert.match(svg, />10 ms<\/text>/);
  assert.not.match(svg, />0\.5 ms</);
  for (const name of ['step', 'wait', 'connecting', 'leased', 'idle', 'cancel']) assert.match(svg, new RegExp(`>${name}</text>`));
  assert.not.match(svg, /<script|href=/);
  // toHTML embeds exactly this picture.
  assert.ok(toHTML(recorder, 'pool').includes(svg));
});

test('SVG: an empty trace still draws (no lanes, a zero axis)', () => {
  const svg = toSVG(new TraceRecorder());
  assert.match(svg, />yieldio trace</);
  assert.match(svg, />0 ms</);
});

test.run();
