/**
 * One HTTP/1.1 connection over a socket: every framing rule as a raw-socket
 * conversation on loopback (the server writes exact bytes), timeouts, connect
 * errors and TLS.
 *
 * The timeouts that must fire run on a virtual clock (`loopbackClock()`): a 5 s
 * timeout fires at loop time 5, exactly, after a few milliseconds of real quiet.
 * Those that must not fire while a server trickles bytes stay in real time: there the
 * pace of the server is the point.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as net from 'node:net';
import { getRunningLoop, run, type Coro, type RunOptions } from '../../lib/index.ts';
import { HTTP11Connection, isNoResponseError, originOf } from '../../lib/http/http11.ts';
import { Request, type Response } from '../../lib/http/models.ts';
import { AsyncClient, type RequestCallOptions } from '../../lib/http/client.ts';
import {
  ConnectError,
  ConnectTimeout,
  ReadTimeout,
  RemoteProtocolError,
  WriteTimeout,
} from '../../lib/http/errors.ts';
import { startBytesServer } from '../_support/servers.ts';
import { closedPort, ok, startHttpServer, testCert, eventually, allClosed, type BytesServer } from '../_support/http-servers.ts';
import { loopbackClock } from '../_support/virtual.ts';

/** Run `body` with a client for `server`, close the client after. */
async function withClient<T>(server: BytesServer, body: (client: AsyncClient) => Coro<T>, options = {}, runOptions: RunOptions = {}): Promise<T> {
  return run((function* () {
    const client = new AsyncClient({ baseUrl: `http://127.0.0.1:${server.port}`, ...options });
    try {
      return yield* body(client);
    } finally {
      yield* client.aclose();
    }
  })(), runOptions);
}

/** One response's status, body text and whether its connection could be reused. */
async function exchange(answer: string, method = 'GET', options: RequestCallOptions = {}): Promise<{ r: Response; server: BytesServer }> {
  const server = await startHttpServer((_req, socket) => socket.write(answer));
  try {
    const r = await withClient(server, (client) => client.request(method, '/', options));
    return { r, server };
  } finally {
    await server.close();
  }
}

async function failure(answer: string | ((socket: net.Socket) => void), method = 'GET', options: RequestCallOptions = {}, runOptions: RunOptions = {}): Promise<unknown> {
  const server = await startHttpServer((_req, socket) => (typeof answer === 'string' ? socket.end(answer) : answer(socket)));
  try {
    await withClient(server, (client) => client.request(method, '/', options), {}, runOptions);
  } catch (err) {
    return err;
  } finally {
    await server.close();
  }
  throw new Error('expected the request to fail');
}

// --- framing ---------------------------------------------------------------

test('Content-Length body', async () => {
  const { r } = await exchange(ok('hello'));
  assert.is(r.statusCode, 200);
  assert.is(r.reasonPhrase, 'OK');
  assert.is(r.httpVersion, 'HTTP/1.1');
  assert.is(r.text, 'hello');
});

test('chunked body with trailers', async () => {
  const { r } = await exchange(
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-Trailer: yes\r\n\r\n',
  );
  assert.is(r.text, 'hello world');
});

test('a body read until the server closes; the connection is not reused', async () => {
  const server = await startHttpServer((_req, socket) => socket.end('HTTP/1.1 200 OK\r\n\r\nuntil close'));
  const texts = await withClient(server, function* (client) {
    const a = yield* client.get('/');
    const b = yield* client.get('/');
    return [a.text, b.text, a.extensions.reused, b.extensions.reused];
  });
  assert.equal(texts, ['until close', 'until close', false, false]);
  assert.is(server.connections.length, 2);
  await server.close();
});

test('HEAD with Content-Length has no body and keeps the connection', async () => {
  const server = await startHttpServer((req, socket) => socket.write(req.method === 'HEAD' ? 'HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n' : ok('x')));
  const out = await withClient(server, function* (client) {
    const h = yield* client.head('/');
    const g = yield* client.get('/');
    return [h.content.length, h.headers.get('content-length'), g.text, g.extensions.reused];
  });
  assert.equal(out, [0, '1000', 'x', true]);
  assert.is(server.connections.length, 1);
  await server.close();
});

test('204 and 304 have no body, whatever their headers say', async () => {
  for (const status of ['204 No Content', '304 Not Modified']) {
    const server = await startHttpServer((_req, socket) => socket.write(`HTTP/1.1 ${status}\r\nContent-Length: 5\r\n\r\n`));
    const out = await withClient(server, function* (client) {
      const a = yield* client.get('/');
      const b = yield* client.get('/');
      return [a.statusCode, a.content.length, b.extensions.reused];
    });
    assert.equal(out, [Number(status.slice(0, 3)), 0, true]);
    await server.close();
  }
});

test('100 Continue and 103 Early Hints are skipped', async () => {
  const { r } = await exchange('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n' + ok('final'));
  assert.is(r.statusCode, 200);
  assert.is(r.text, 'final');
});

test('HTTP/1.0 response: version reported, connection closed after', async () => {
  const server = await startHttpServer((_req, socket) => socket.write('HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nhi'));
  const out = await withClient(server, function* (client) {
    const a = yield* client.get('/');
    const b = yield* client.get('/');
    return [a.httpVersion, b.extensions.reused];
  });
  assert.equal(out, ['HTTP/1.0', false]);
  assert.is(server.connections.length, 2);
  await server.close();
});

test('premature EOF in a Content-Length body: RemoteProtocolError, never a short body', async () => {
  const err = await failure('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc');
  assert.instance(err, RemoteProtocolError);
  assert.match(String(err), /3|10/);
});

test('premature EOF in a chunked body: RemoteProtocolError', async () => {
  const err = await failure('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel');
  assert.instance(err, RemoteProtocolError);
});

test('premature EOF in the head: RemoteProtocolError', async () => {
  const err = await failure('HTTP/1.1 200 OK\r\nContent-Le');
  assert.instance(err, RemoteProtocolError);
  assert.not.ok((err as RemoteProtocolError).closedBeforeResponse);
});

test('closed before any byte: RemoteProtocolError with closedBeforeResponse', async () => {
  const err = await failure((socket) => socket.end());
  assert.instance(err, RemoteProtocolError);
  assert.ok((err as RemoteProtocolError).closedBeforeResponse);
  assert.ok(isNoResponseError(err));
});

test('conflicting Content-Length values: RemoteProtocolError', async () => {
  const err = await failure('HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd');
  assert.instance(err, RemoteProtocolError);
  assert.match(String(err), /Content-Length/);
});

test('garbage instead of a response: RemoteProtocolError', async () => {
  const err = await failure('\x16\x03\x01 not http at all\r\n\r\n');
  assert.instance(err, RemoteProtocolError);
});

test('a reset before any byte is a ReadError that counts as "no response"', async () => {
  const err = await failure((socket) => socket.resetAndDestroy());
  assert.match((err as Error).name, /ReadError|WriteError|RemoteProtocolError/);
  assert.ok(isNoResponseError(err));
});

test('a reset mid-body is a ReadError, not retryable', async () => {
  const err = await failure((socket) => {
    socket.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial');
    setTimeout(() => socket.resetAndDestroy(), 20);
  });
  assert.is((err as Error).name, 'ReadError');
  assert.match(String(err), /ECONNRESET/);
  assert.not.ok(isNoResponseError(err));
});

test('request bytes: head and body in one write, Host first, Content-Length for POST', async () => {
  const heads: string[] = [];
  const datas: number[] = [];
  const server = await startBytesServer((socket) => {
    let n = 0;
    socket.on('data', (chunk: Buffer) => {
      datas.push(chunk.length);
      heads.push(chunk.toString('latin1'));
      if (n++ === 0) socket.write(ok('done'));
    });
  });
  await withClient(server, (client) => client.post('/p?q=1', { content: 'body!' }));
  assert.is(datas.length, 1);
  assert.match(heads[0]!, /^POST \/p\?q=1 HTTP\/1\.1\r\nHost: 127\.0\.0\.1:\d+\r\n/);
  assert.match(heads[0]!, /Content-Length: 5\r\n\r\nbody!$/);
  await server.close();
});

// --- timeouts, connect errors ----------------------------------------------

test('ReadTimeout when the server stalls (and the connection is closed)', async () => {
  const server = await startHttpServer(() => {}); // reads, never answers
  let err: unknown;
  let failedAt = -1;
  try {
    await withClient(server, function* (client) {
      try {
        return yield* client.get('/', { timeout: 5 });
      } finally {
        failedAt = getRunningLoop().time();
      }
    }, {}, { clock: loopbackClock() });
  } catch (e) {
    err = e;
  }
  assert.instance(err, ReadTimeout);
  assert.match(String(err), /after 5 s/);
  assert.is(failedAt, 5, 'at the read deadline of virtual time: not before it, not after');
  await eventually(() => allClosed(server));
  await server.close();
});

test('ReadTimeout between body chunks, not just before the head', async () => {
  const err = await failure((socket) => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc'), 'GET', {
    timeout: { read: 5 },
  }, { clock: loopbackClock() });
  assert.instance(err, ReadTimeout);
});

test('a slow but steady body is not a timeout: each read has its own deadline', async () => {
  const server = await startHttpServer((_req, socket) => {
    socket.write('HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n');
    let i = 0;
    const t = setInterval(() => {
      socket.write('x');
      if (++i === 4) clearInterval(t);
    }, 30);
  });
  const text = await withClient(server, function* (client) {
    return (yield* client.get('/', { timeout: { read: 0.08 } })).text;
  });
  assert.is(text, 'xxxx');
  await server.close();
});

// --- slow and malicious peers (issue #5) -------------------------------------

test('a response trickled one byte at a time succeeds while each byte is in time', async () => {
  const answer = 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello';
  const server = await startHttpServer((_req, socket) => {
    let i = 0;
    const t = setInterval(() => {
      if (socket.destroyed) return clearInterval(t);
      socket.write(answer[i]!);
      if (++i === answer.length) clearInterval(t);
    }, 1);
  });
  const r = await withClient(server, (client) => client.get('/', { timeout: { read: 1 } }));
  assert.equal([r.statusCode, r.headers.get('content-type'), r.text], [200, 'text/plain', 'hello']);
  await server.close();
});

test('a server that stalls mid-headers: ReadTimeout, not a response', async () => {
  const err = await failure((socket) => socket.write('HTTP/1.1 200 OK\r\nContent-Le'), 'GET', { timeout: { read: 5 } }, { clock: loopbackClock() });
  assert.instance(err, ReadTimeout);
});

/** A server that writes `first`, then `piece` again and again until the client goes (bounded: 8 MiB). */
function endlessServer(first: string, piece: string): Promise<BytesServer & { written: () => number }> {
  let written = 0;
  return startHttpServer((_req, socket) => {
    socket.write(first);
    const more = (): void => {
      while (!socket.destroyed && written < 8 * 1024 * 1024) {
        written += piece.length;
        if (!socket.write(piece)) return void socket.once('drain', more);
      }
    };
    socket.on('error', () => {});
    more();
  }).then((server) => Object.assign(server, { written: () => written }));
}

for (const [what, first, piece, pattern] of [
  ['an endless header section', 'HTTP/1.1 200 OK\r\n', 'X-Filler: ' + 'y'.repeat(1000) + '\r\n', /header section exceeds/],
  ['endless chunk extensions', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5', ';ext=' + 'z'.repeat(1000), /chunk/i],
] as const) {
  test(`${what}: RemoteProtocolError at the limit, long before the server is done`, async () => {
    const server = await endlessServer(first, piece);
    let err: unknown;
    try {
      await withClient(server, (client) => client.get('/'));
    } catch (e) {
      err = e;
    }
    assert.instance(err, RemoteProtocolError);
    assert.match(String(err), pattern);
    // The client gave up at its limit and closed: the server could not push 8 MiB.
    await eventually(() => allClosed(server));
    assert.ok(server.written() < 8 * 1024 * 1024, `the server wrote ${server.written()} bytes`);
    await server.close();
  });
}

test('WriteTimeout when the server does not read a large body', async () => {
  const server = await startBytesServer((socket) => socket.pause());
  let err: unknown;
  try {
    await withClient(server, (client) => client.post('/', { content: new Uint8Array(64 * 1024 * 1024), timeout: { write: 5 } }), {}, { clock: loopbackClock() });
  } catch (e) {
    err = e;
  }
  assert.instance(err, WriteTimeout);
  await server.close();
});

test('ConnectError when nothing listens, with the cause in the message', async () => {
  const port = await closedPort();
  let err: unknown;
  try {
    await run((function* () {
      const client = new AsyncClient();
      try {
        yield* client.get(`http://127.0.0.1:${port}/`);
      } finally {
        yield* client.aclose();
      }
    })());
  } catch (e) {
    err = e;
  }
  assert.instance(err, ConnectError);
  assert.match(String(err), /ECONNREFUSED/);
  assert.match(String(err), new RegExp(`127\\.0\\.0\\.1:${port}`));
});

test('ConnectTimeout when the TLS handshake never completes', async () => {
  const server = await startBytesServer(() => {}); // TCP accepts, TLS never answers
  let err: unknown;
  try {
    await run((function* () {
      const client = new AsyncClient({ timeout: { connect: 5 } });
      try {
        yield* client.get(`https://127.0.0.1:${server.port}/`);
      } finally {
        yield* client.aclose();
      }
    })(), { clock: loopbackClock() });
  } catch (e) {
    err = e;
  }
  assert.instance(err, ConnectTimeout);
  await server.close();
});

// --- TLS -------------------------------------------------------------------

async function tlsGet(verify?: boolean | { ca: Buffer }): Promise<string> {
  const server = await startHttpServer((_req, socket) => socket.write(ok('secure')), { tls: testCert });
  try {
    return await run((function* () {
      const client = new AsyncClient(verify === undefined ? {} : { verify });
      try {
        return (yield* client.get(`https://localhost:${server.port}/`)).text;
      } finally {
        yield* client.aclose();
      }
    })());
  } finally {
    await server.close();
  }
}

test('https: a self-signed certificate is refused by default', async () => {
  let err: unknown;
  try {
    await tlsGet();
  } catch (e) {
    err = e;
  }
  assert.instance(err, ConnectError);
  assert.match(String(err), /self[- ]signed|certificate/i);
});

test('https: accepted with verify: {ca}, and with verify: false', async () => {
  assert.is(await tlsGet({ ca: testCert.cert }), 'secure');
  assert.is(await tlsGet(false), 'secure');
});

// --- the connection on its own ---------------------------------------------

test('HTTP11Connection: CONNECTING → ACTIVE → (body read) reusable → CLOSED', async () => {
  const server = await startHttpServer((_req, socket) => socket.write(ok('one')));
  const trace = await run((function* () {
    const url = new URL(`http://127.0.0.1:${server.port}/x`);
    const conn = new HTTP11Connection(originOf(url));
    const states: string[] = [conn.state];
    yield* conn.connect({ connectTimeout: 1 });
    states.push(conn.state);
    const head = yield* conn.sendRequest(new Request('GET', url), { read: 1, write: 1 });
    states.push(String(head.statusCode));
    const chunk = yield* conn.readBody(1);
    states.push(Buffer.from(chunk!).toString());
    states.push(String(yield* conn.readBody(1)));
    states.push(String(conn.finishCycle()));
    assert.match(conn.toString(), /ACTIVE requests=1/);
    conn.close();
    conn.close();
    states.push(conn.state);
    return states;
  })());
  assert.equal(trace, ['CONNECTING', 'ACTIVE', '200', 'one', 'null', 'true', 'CLOSED']);
  await server.close();
});

test('HTTP11Connection: misuse names the state', async () => {
  await run((function* () {
    const conn = new HTTP11Connection(originOf(new URL('http://127.0.0.1:1/')));
    try {
      yield* conn.sendRequest(new Request('GET', 'http://127.0.0.1:1/'), { read: 1, write: 1 });
      assert.unreachable();
    } catch (err) {
      assert.match(String(err), /CONNECTING, not ACTIVE/);
    }
    assert.is(conn.socket, null);
    assert.not.ok(conn.finishCycle());
  })());
});

test('originOf fills default ports and strips IPv6 brackets', () => {
  assert.equal(originOf(new URL('https://example.com/')), { scheme: 'https', host: 'example.com', port: 443 });
  assert.equal(originOf(new URL('http://example.com/')), { scheme: 'http', host: 'example.com', port: 80 });
  assert.equal(originOf(new URL('http://[::1]:8080/')), { scheme: 'http', host: '::1', port: 8080 });
});

test.run();
