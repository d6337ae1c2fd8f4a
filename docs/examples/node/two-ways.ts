/**
 * docs/node.md and README.md: the border crossed both ways in one small program.
 * A coroutine awaits a Promise (wrapPromise); a node:http handler, plain async code,
 * awaits a coroutine (loop.runCoroutine).
 * Real code: lib/promises.ts → wrapPromise, _runCoroutine.
 */
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getRunningLoop, run, wrapPromise, type Coro, type EventLoop } from '../../../lib/index.ts';
import { AsyncClient } from '../../../lib/http/index.ts';

function* readGreeting(path: string): Coro<string> {
  const text = yield* wrapPromise(readFile(path, 'utf8')); // Promise → coroutine
  return text.trim();
}

function serve(loop: EventLoop, path: string): Server {
  return createServer(async (_req, res) => {
    res.end(await loop.runCoroutine(readGreeting(path))); // coroutine → Promise
  });
}

function* main(path: string): Coro<void> {
  const server = serve(getRunningLoop(), path);
  yield* wrapPromise(once(server.listen(0, '127.0.0.1'), 'listening'));
  const client = new AsyncClient();
  try {
    const response = yield* client.get(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    console.log(response.statusCode, response.text);
  } finally {
    yield* client.aclose();
    server.close();
  }
}

const dir = await mkdtemp(join(tmpdir(), 'yieldio-'));
try {
  await writeFile(join(dir, 'greeting.txt'), 'hello from a file\n');
  await run(main(join(dir, 'greeting.txt')));
} finally {
  await rm(dir, { recursive: true });
}

// expect:
// 200 hello from a file
