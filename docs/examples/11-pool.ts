/**
 * Step 11 of docs/walkthrough.md — the connection pool: keep-alive, a FIFO of waiters,
 * release only after the body. Real code: lib/http/pool.ts → ConnectionPool.#acquire,
 * ConnectionPool._release, PooledBody; lib/http/http11.ts → HTTP11Connection.
 *
 * A loopback HTTP/1.1 server (yieldio streams) and a pool allowed one connection: three
 * concurrent requests share it in turn.
 */
import { createTask, gather, run, startServer, type Coro, type StreamReader, type StreamWriter } from '../../lib/index.ts';
import { ConnectionPool, Request, originOf } from '../../lib/http/index.ts';

/** A keep-alive server: answers each request head with its path, until the client closes. */
function* serve(reader: StreamReader, writer: StreamWriter): Coro<void> {
  try {
    for (;;) {
      const head = (yield* reader.readuntil('\r\n\r\n')).toString('latin1');
      const path = head.split(' ')[1];
      const body = `you asked for ${path}`;
      writer.write(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
      yield* writer.drain();
    }
  } catch {
    writer.close(); // EOF (IncompleteReadError) or a reset: the client is gone
  }
}

function* get(pool: ConnectionPool, url: string): Coro<void> {
  const response = yield* pool.handleRequest(new Request('GET', url));
  const { connectionId, reused } = response.extensions;
  const waiting = pool.stats().waiting; // requests queued behind this one for the connection
  yield* response.aread(); // reading the last byte is what gives the connection back
  console.log(`${response.statusCode} "${response.text}" via connection #${connectionId}${reused ? ' (reused)' : ' (new)'}, ${waiting} waiting`);
}

function* main(): Coro<void> {
  const server = yield* startServer(serve, '127.0.0.1', 0);
  const base = `http://127.0.0.1:${server.port}`;
  const pool = new ConnectionPool(originOf(new URL(base)), { limits: { maxConnections: 1 } });
  yield* gather(createTask(get(pool, `${base}/a`)), createTask(get(pool, `${base}/b`)), createTask(get(pool, `${base}/c`)));
  const { opened, reused, idle } = pool.stats();
  console.log(`opened ${opened}, reused ${reused}, idle ${idle}`);
  pool.close();
  server.close();
  yield* server.waitClosed();
}

await run(main());

// expect:
// 200 "you asked for /a" via connection #1 (new), 2 waiting
// 200 "you asked for /b" via connection #1 (reused), 1 waiting
// 200 "you asked for /c" via connection #1 (reused), 0 waiting
// opened 1, reused 2, idle 1
