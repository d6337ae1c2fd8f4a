/**
 * docs/testing.md, "The outside world: the autojump": virtual time with real sockets
 * and Promises. Real code: lib/clock.ts (its header: when time moves);
 * lib/driver.ts → Driver (the AUTOJUMP state).
 *
 * While a socket, a Promise or a child process may still answer, the clock does not
 * jump at once: it waits for `autojumpThreshold` seconds of real quiet (0.1 s by
 * default), then jumps to the next timer. A server that never answers meets the
 * client's 30 s ReadTimeout after a tenth of a second; an answer that comes sooner wins,
 * as it would in real time; and a threshold shorter than the outside world's answer
 * makes a test fail that production would pass.
 */
import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { asyncWith, getRunningLoop, run, timeout, VirtualClock, wrapPromise, type Coro } from '../../../lib/index.ts';
import { AsyncClient, ReadTimeout } from '../../../lib/http/index.ts';
import { test } from './harness.ts';

/** A loopback HTTP server that answers each request after `ms` of real time, or never (null). */
async function slowServer(ms: number | null): Promise<{ url: string; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.once('data', () => {
      if (ms !== null) setTimeout(() => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello'), ms);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    }),
  };
}

/** The code under test: one GET with the client's timeouts; the body, or the error's name and when it came. */
function* fetchText(url: string, seconds: number): Coro<string> {
  try {
    return yield* asyncWith(new AsyncClient({ timeout: seconds }), function* (client) {
      return (yield* client.get(url)).text;
    });
  } catch (err) {
    return `${(err as Error).name} at ${getRunningLoop().time()} s`;
  }
}

await test('a server that never answers: ReadTimeout at 30 s of virtual time, after 0.1 s of real quiet', async () => {
  const server = await slowServer(null);
  try {
    const started = performance.now();
    assert.equal(await run(fetchText(server.url, 30), { virtualTime: true }), 'ReadTimeout at 30 s');
    assert.ok(performance.now() - started < 1000);
  } finally {
    await server.close();
  }
});

await test('an answer that comes first wins: the clock does not move while the outside world talks', async () => {
  const server = await slowServer(20);
  try {
    assert.equal(await run(fetchText(server.url, 30), { virtualTime: true }), 'hello');
  } finally {
    await server.close();
  }
});

await test('a Promise that settles after 20 ms of real time beats a 30 s timeout()', async () => {
  const [value, now] = await run((function* (): Coro<[string, number]> {
    const v = yield* asyncWith(timeout(30), () => wrapPromise(delay(20, 'settled')));
    return [v, getRunningLoop().time()];
  })(), { virtualTime: true });
  assert.deepEqual([value, now], ['settled', 0]);
});

await test('a threshold shorter than the server\'s answer: the test times out where production would not', async () => {
  const server = await slowServer(300); // a slow database, a cold cache…
  try {
    const tooShort = new VirtualClock({ autojumpThreshold: 0.1 });
    assert.equal(await run(fetchText(server.url, 30), { clock: tooShort }), 'ReadTimeout at 30 s');
    const enough = new VirtualClock({ autojumpThreshold: 1 });
    assert.equal(await run(fetchText(server.url, 30), { clock: enough }), 'hello');
  } finally {
    await server.close();
  }
});

// expect:
// ok   a server that never answers: ReadTimeout at 30 s of virtual time, after 0.1 s of real quiet
// ok   an answer that comes first wins: the clock does not move while the outside world talks
// ok   a Promise that settles after 20 ms of real time beats a 30 s timeout()
// ok   a threshold shorter than the server's answer: the test times out where production would not
