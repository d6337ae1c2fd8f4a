/**
 * docs/node.md, "Async code calling yieldio": run, Runner, loop.runCoroutine, toPromise.
 * Real code: lib/runners.ts → Runner; lib/promises.ts → _runCoroutine, toPromise.
 *
 * A plain node:http server whose async handler hands each request to a yieldio loop,
 * and a yieldio client calling it from that same loop, kept open across two runs.
 */
import { once } from 'node:events';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Runner, run, sleep, toPromise, type Coro } from '../../../lib/index.ts';
import { AsyncClient } from '../../../lib/http/index.ts';

function* add(a: number, b: number): Coro<number> {
  yield* sleep(0.01);
  return a + b;
}

function* loadConfig(): Coro<{ greeting: string }> {
  yield* sleep(0.01); // say, a file read once at start-up
  return { greeting: 'hello' };
}

function* greet(greeting: string, name: string): Coro<string> {
  yield* sleep(0.01);
  return `${greeting}, ${name}`;
}

// run(): a fresh loop for one coroutine, closed when it ends.
console.log('run:', await run(add(1, 2)));

// A Runner keeps one loop across calls.
const runner = new Runner();
const loop = runner.getLoop();
const config = loop.createTask(loadConfig()); // starts with the first runner.run()

const server = http.createServer(async (req, res) => {
  const { greeting } = await toPromise(config); // async code awaiting a Task
  res.end(await loop.runCoroutine(greet(greeting, req.url!.slice(1)))); // ...and starting a coroutine
});
await once(server.listen(0, '127.0.0.1'), 'listening');

const client = new AsyncClient({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
try {
  for (const name of ['ada', 'grace']) {
    const r = await runner.run(client.get(`/${name}`)); // each run() drives the same loop
    console.log(`${r.text} (connection ${r.extensions.reused ? 'reused' : 'new'})`);
  }
  await runner.run(client.aclose());
} finally {
  await runner.close();
  server.close();
}

// expect:
// run: 3
// hello, ada (connection new)
// hello, grace (connection reused)
