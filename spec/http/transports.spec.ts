/**
 * Transports: MockTransport for users' tests (plain and coroutine handlers), and
 * AsyncHTTPTransport's pools per origin, stats, TLS options and closing.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { run, sleep, type Coro } from '../../lib/index.ts';
import { asyncWith } from '../../lib/contextlib.ts';
import { AsyncClient } from '../../lib/http/client.ts';
import { Request, Response } from '../../lib/http/models.ts';
import { AsyncHTTPTransport, MockTransport, tlsOptions } from '../../lib/http/transports.ts';
import { ok, startHttpServer } from '../_support/http-servers.ts';

test('MockTransport: a plain handler answers without a network', async () => {
  const seen: string[] = [];
  const transport = new MockTransport((request) => {
    seen.push(`${request.method} ${request.url.href} ${request.text}`);
    return new Response(200, { json: { path: request.url.pathname } });
  });
  const out = await run(asyncWith(new AsyncClient({ transport, baseUrl: 'http://api.test' }), function* (client) {
    const r = yield* client.post('/hello', { json: { a: 1 } });
    return [r.json(), r.request?.method, r.statusCode];
  }));
  assert.equal(out, [{ path: '/hello' }, 'POST', 200]);
  assert.equal(seen, ['POST http://api.test/hello {"a":1}']);
});

test('MockTransport: a coroutine handler may yield* (sleep) before answering', async () => {
  const transport = new MockTransport(function* (request): Coro<Response> {
    yield* sleep(0.001);
    return new Response(201, { text: request.url.searchParams.get('q') ?? '', request });
  });
  const out = await run((function* () {
    const r = yield* transport.handleAsyncRequest(new Request('GET', 'http://t.test/?q=yes'));
    yield* transport.aclose();
    return [r.statusCode, r.text, r.request?.url.href];
  })());
  assert.equal(out, [201, 'yes', 'http://t.test/?q=yes']);
});

test('AsyncHTTPTransport: one pool per origin, stats added up, closed after aclose', async () => {
  const a = await startHttpServer((_req, socket) => socket.write(ok('a')));
  const b = await startHttpServer((_req, socket) => socket.write(ok('b')));
  await run((function* () {
    const transport = new AsyncHTTPTransport({ limits: { maxConnections: 2 } });
    const client = new AsyncClient({ transport });
    const urlA = `http://127.0.0.1:${a.port}/`;
    const urlB = `http://localhost:${b.port}/`;
    assert.is((yield* client.get(urlA)).text, 'a');
    assert.is((yield* client.get(urlA)).text, 'a');
    assert.is((yield* client.get(urlB)).text, 'b');
    assert.is(transport.pool(new URL(urlA)), transport.pool(new URL(`${urlA}other`)));
    assert.equal([...transport.pools.keys()].sort(), [`http://127.0.0.1:${a.port}`, `http://localhost:${b.port}`]);
    assert.equal(transport.stats(), { active: 0, idle: 2, connecting: 0, waiting: 0, opened: 2, reused: 1 });
    assert.match(String(transport.pool(new URL(urlA))), /ConnectionPool http:\/\/127\.0\.0\.1:\d+ OPEN/);
    yield* client.aclose();
    assert.equal(transport.stats().idle, 0);
    try {
      yield* transport.handleAsyncRequest(new Request('GET', urlA));
      assert.unreachable();
    } catch (err) {
      assert.match(String(err), /transport has been closed/);
    }
    assert.throws(() => transport.pool(new URL('http://new.test/')), /transport has been closed/);
  })());
  await a.close();
  await b.close();
});

test('tlsOptions: verify on by default, off, or with a CA', () => {
  assert.is(tlsOptions(undefined), undefined);
  assert.is(tlsOptions(true), undefined);
  assert.equal(tlsOptions(false), { rejectUnauthorized: false });
  assert.equal(tlsOptions({ ca: 'PEM' }), { ca: 'PEM' });
});

test.run();
