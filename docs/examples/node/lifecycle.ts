/**
 * docs/node.md, "Nothing outlives its loop": what run() closes when it ends, and a
 * client that belongs to one run().
 * Real code: lib/loop.ts → EventLoop._closeLeftovers; lib/runners.ts → Runner.close.
 *
 * Everything forgetful() leaves open would keep the process alive, or hold a socket,
 * after run() settled. run() reports each one through the exception handler and closes
 * it, so this file exits as soon as its last line ran.
 */
import { once } from 'node:events';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { RuntimeError, run, startServer, wrapPromise, type Coro, type ExceptionContext } from '../../../lib/index.ts';
import { AsyncClient } from '../../../lib/http/index.ts';

const site = http.createServer((_req, res) => res.end('ok'));
await once(site.listen(0, '127.0.0.1'), 'listening');
const url = `http://127.0.0.1:${(site.address() as AddressInfo).port}/`;

let client: AsyncClient | null = null;

function* forgetful(): Coro<void> {
  yield* startServer(function* () {}, '127.0.0.1', 0); // listening, never closed
  client = new AsyncClient(); // never closed either: its keep-alive socket stays open
  yield* client.get(url);
  // A Promise nobody awaits; its signal is aborted when run() ends.
  wrapPromise((signal) => new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason))));
}

const reports: string[] = [];
await run(forgetful(), {
  exceptionHandler: (_loop, context: ExceptionContext) => void reports.push(context.message),
});
for (const message of reports) console.log('reported:', message.replace(/ \([^)]*\)/, ''));

try {
  await run(client!.get(url)); // a second run(): another loop
} catch (err) {
  if (!(err instanceof RuntimeError)) throw err;
  console.log('a second run() with that client:', err.name);
}
site.close();

// expect:
// reported: Server was never closed; closed at the end of run()
// reported: AsyncClient was never closed; closed at the end of run()
// reported: a wrapPromise(fn) wait nobody awaited was never closed; closed at the end of run()
// a second run() with that client: RuntimeError
