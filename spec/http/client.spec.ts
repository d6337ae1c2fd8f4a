/**
 * AsyncClient: request building, methods and bodies, redirects, streaming, the
 * context-manager protocol, a differential run against undici, and the seed program.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { request as undiciRequest } from 'undici';
import { createTask, run, RuntimeError, type Coro, type ExceptionContext, type RunOptions } from '../../lib/index.ts';
import { asyncWith } from '../../lib/contextlib.ts';
import { AsyncClient, type AsyncClientOptions } from '../../lib/http/client.ts';
import { Headers } from '../../lib/http/headers.ts';
import { Response } from '../../lib/http/models.ts';
import { MockTransport } from '../../lib/http/transports.ts';
import { HTTPStatusError, ReadTimeout, RemoteProtocolError, StreamConsumed, TooManyRedirects } from '../../lib/http/errors.ts';
import { asyncMain } from '../../examples/seed.ts';
import { startEchoServer, type Echo } from '../../examples/echo-server.ts';
import { ok, respond, startHttpServer, type RawRequest } from '../_support/http-servers.ts';
import { loopbackClock } from '../_support/virtual.ts';

function inLoop<T>(options: AsyncClientOptions, body: (client: AsyncClient) => Coro<T>, runOptions: RunOptions = {}): Promise<T> {
  return run(asyncWith(new AsyncClient(options), body), runOptions);
}

/** A server that records requests and answers each with the JSON of what it saw. */
async function recorder(): Promise<{ port: number; seen: RawRequest[]; close: () => Promise<void> }> {
  const seen: RawRequest[] = [];
  const server = await startHttpServer((req, socket) => {
    seen.push(req);
    socket.write(ok(JSON.stringify({ method: req.method, target: req.target, body: req.body.toString() }), 'Content-Type: application/json\r\n'));
  });
  return { port: server.port, seen, close: () => server.close() };
}

test('every method, with its name on the wire', async () => {
  const srv = await recorder();
  await inLoop({ baseUrl: `http://127.0.0.1:${srv.port}` }, function* (client) {
    yield* client.get('/');
    yield* client.post('/');
    yield* client.put('/');
    yield* client.patch('/');
    yield* client.delete('/');
    yield* client.head('/');
    yield* client.options('/');
    yield* client.request('get', '/lower');
  });
  assert.equal(srv.seen.map((r) => r.method), ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'GET']);
  assert.is(srv.seen[1]!.headers['content-length'], '0');
  assert.is(srv.seen[0]!.headers['content-length'], undefined);
  await srv.close();
});

test('data is form-encoded, json is JSON, content is raw; Content-Type set', async () => {
  const srv = await recorder();
  await inLoop({ baseUrl: `http://127.0.0.1:${srv.port}` }, function* (client) {
    yield* client.post('/', { data: { some: 'data', n: [1, 2], sp: 'a b&c', t: true, none: null } });
    yield* client.post('/', { json: { some: 'data' } });
    yield* client.post('/', { content: 'raw ✓' });
    yield* client.post('/', { json: [1], headers: { 'content-type': 'application/vnd+json' } });
  });
  const [form, json, raw, custom] = srv.seen;
  assert.is(form!.body.toString(), 'some=data&n=1&n=2&sp=a+b%26c&t=true&none=');
  assert.is(form!.headers['content-type'], 'application/x-www-form-urlencoded');
  assert.is(json!.body.toString(), '{"some":"data"}');
  assert.is(json!.headers['content-type'], 'application/json');
  assert.is(raw!.body.toString(), 'raw ✓');
  assert.is(raw!.headers['content-type'], undefined);
  assert.is(custom!.headers['content-type'], 'application/vnd+json');
  await srv.close();
});

test('baseUrl is a path prefix; params and client params are appended; headers merge', async () => {
  const srv = await recorder();
  await inLoop(
    { baseUrl: `http://127.0.0.1:${srv.port}/api`, params: { k: 'v' }, headers: { 'X-Client': 'c', 'User-Agent': 'me' } },
    function* (client) {
      yield* client.get('/users', { params: { q: 'a b', n: 1 }, headers: { 'x-client': 'override', 'X-Call': '1' } });
      yield* client.get(`http://127.0.0.1:${srv.port}/abs?x=1`);
    },
  );
  assert.is(srv.seen[0]!.target, '/api/users?k=v&q=a+b&n=1');
  assert.is(srv.seen[0]!.headers['x-client'], 'override');
  assert.is(srv.seen[0]!.headers['x-call'], '1');
  assert.is(srv.seen[0]!.headers['user-agent'], 'me');
  assert.is(srv.seen[0]!.headers.accept, '*/*');
  assert.is(srv.seen[1]!.target, '/abs?x=1&k=v');
  await srv.close();
});

test('Response: status helpers, json, raiseForStatus', async () => {
  const server = await startHttpServer((req, socket) => {
    if (req.target === '/404') socket.write(respond(404, 'Not Found', '', 'nope'));
    else if (req.target === '/500') socket.write(respond(500, 'Oops'));
    else socket.write(ok('{"a":1}', 'Content-Type: application/json\r\n'));
  });
  await inLoop({ baseUrl: `http://127.0.0.1:${server.port}` }, function* (client) {
    const r = yield* client.get('/');
    assert.equal(r.raiseForStatus().json(), { a: 1 });
    assert.ok(r.isSuccess);
    assert.is(r.url!.pathname, '/');
    const nf = yield* client.get('/404');
    assert.ok(nf.isClientError && nf.isError);
    try {
      nf.raiseForStatus();
      assert.unreachable();
    } catch (err) {
      assert.instance(err, HTTPStatusError);
      assert.match(String(err), /Client error '404 Not Found' for url 'http:\/\/127\.0\.0\.1:\d+\/404'/);
      assert.is((err as HTTPStatusError).response, nf);
    }
    const se = yield* client.get('/500');
    assert.throws(() => se.raiseForStatus(), /Server error '500 Oops'/);
  });
  await server.close();
});

// --- redirects ------------------------------------------------------------------

async function redirectServer(): Promise<{ port: number; seen: RawRequest[]; close: () => Promise<void> }> {
  const seen: RawRequest[] = [];
  const server = await startHttpServer((req, socket) => {
    seen.push(req);
    const m = /^\/(\d{3})(\/.*)?$/.exec(req.target.split('?')[0]!);
    if (m) socket.write(respond(Number(m[1]), 'Redirect', `Location: ${m[2] ?? '/done'}\r\n`));
    else if (req.target.startsWith('/loop')) socket.write(respond(302, 'Found', 'Location: /loop\r\n'));
    else socket.write(ok(`${req.method} ${req.target} ${req.body.toString()}`));
  });
  return { port: server.port, seen, close: () => server.close() };
}

test('redirects are off by default; nextRequest says where they lead', async () => {
  const srv = await redirectServer();
  await inLoop({ baseUrl: `http://127.0.0.1:${srv.port}` }, function* (client) {
    const r = yield* client.get('/301');
    assert.is(r.statusCode, 301);
    assert.ok(r.hasRedirectLocation);
    assert.is(r.nextRequest!.url.pathname, '/done');
  });
  await srv.close();
});

test('301/302/303 turn POST into GET without body; 307/308 keep method and body', async () => {
  const srv = await redirectServer();
  const texts = await inLoop({ baseUrl: `http://127.0.0.1:${srv.port}`, followRedirects: true }, function* (client) {
    const out: string[] = [];
    for (const code of [301, 302, 303, 307, 308]) {
      const r = yield* client.post(`/${code}`, { content: 'body' });
      out.push(r.text);
      assert.is(r.history.length, 1);
      assert.is(r.history[0]!.statusCode, code);
    }
    const head = yield* client.head('/303');
    out.push(head.request!.method);
    return out;
  });
  assert.equal(texts, ['GET /done ', 'GET /done ', 'GET /done ', 'POST /done body', 'POST /done body', 'HEAD']);
  const afterGet = srv.seen.filter((r) => r.target === '/done' && r.method === 'GET');
  assert.ok(afterGet.every((r) => r.headers['content-length'] === undefined && r.headers['content-type'] === undefined));
  await srv.close();
});

test('followRedirects per request; TooManyRedirects past maxRedirects', async () => {
  const srv = await redirectServer();
  await inLoop({ baseUrl: `http://127.0.0.1:${srv.port}`, maxRedirects: 3 }, function* (client) {
    const r = yield* client.get('/307', { followRedirects: true });
    assert.is(r.text, 'GET /done ');
    try {
      yield* client.get('/loop', { followRedirects: true });
      assert.unreachable();
    } catch (err) {
      assert.instance(err, TooManyRedirects);
      assert.match(String(err), /3 redirects/);
    }
  });
  assert.is(srv.seen.filter((r) => r.target === '/loop').length, 4); // the request and 3 redirects followed
  await srv.close();
});

test('Authorization is dropped across origins, kept within one', async () => {
  const seen: Array<[string, string | null]> = [];
  const transport = new MockTransport((request) => {
    seen.push([request.url.host, request.headers.get('authorization')]);
    if (request.url.pathname === '/same') return new Response(302, { headers: { Location: '/other' } });
    if (request.url.pathname === '/other') return new Response(302, { headers: { Location: 'http://elsewhere.test/x' } });
    return new Response(200, { text: 'end' });
  });
  await inLoop({ transport, followRedirects: true }, function* (client) {
    yield* client.get('http://first.test/same', { headers: { Authorization: 'secret' } });
  });
  assert.equal(seen, [['first.test', 'secret'], ['first.test', 'secret'], ['elsewhere.test', null]]);
});

test('an invalid Location is a RemoteProtocolError', async () => {
  const transport = new MockTransport(() => new Response(302, { headers: { Location: 'http://[bad' } }));
  let err: unknown;
  try {
    await inLoop({ transport, followRedirects: true }, (client) => client.get('http://t.test/'));
  } catch (e) {
    err = e;
  }
  assert.instance(err, RemoteProtocolError);
});

// --- streaming ----------------------------------------------------------------------

test('stream(): the body in pieces with aiterBytes, and aiterText', async () => {
  const server = await startHttpServer((_req, socket) => {
    socket.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n');
    const parts = ['4\r\nab\xc3\xa9\r\n', '3\r\ncde\r\n', '0\r\n\r\n'];
    parts.forEach((p, i) => setTimeout(() => socket.write(Buffer.from(p, 'latin1')), 5 * i));
  });
  await inLoop({ baseUrl: `http://127.0.0.1:${server.port}` }, function* (client) {
    const r = yield* client.stream('GET', '/');
    assert.is(r.bodyState, 'STREAMING');
    assert.throws(() => r.content, /has not been read/);
    const chunks = r.aiterBytes();
    const pieces: string[] = [];
    for (let c = yield* chunks.next(); !c.done; c = yield* chunks.next()) pieces.push(Buffer.from(c.value).toString('latin1'));
    assert.equal(pieces.join(''), 'ab\xc3\xa9cde');
    assert.is(r.numBytesDownloaded, 7);
    assert.equal(yield* chunks.next(), { done: true, value: undefined });
    assert.throws(() => r.aiterBytes(), (e: unknown) => e instanceof StreamConsumed);
    yield* r.aclose();

    const t = yield* client.stream('GET', '/');
    const texts = t.aiterText();
    let text = '';
    for (let s = yield* texts.next(); !s.done; s = yield* texts.next()) text += s.value;
    assert.is(text, 'abécde');

    const whole = yield* client.stream('GET', '/');
    yield* asyncWith(whole, function* (resp) {
      assert.is(Buffer.from(yield* resp.aread()).toString('utf8'), 'abécde');
      assert.is(yield* resp.aread(), resp.content);
    });
    assert.is(whole.text, 'abécde');
  });
  await server.close();
});

test('a read error while streaming closes the response', async () => {
  const server = await startHttpServer((_req, socket) => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc'));
  await inLoop({ baseUrl: `http://127.0.0.1:${server.port}`, timeout: { read: 5 } }, function* (client) {
    const r = yield* client.stream('GET', '/');
    const chunks = r.aiterBytes();
    assert.is((yield* chunks.next()).value!.length, 3);
    try {
      yield* chunks.next();
      assert.unreachable();
    } catch (err) {
      assert.instance(err, ReadTimeout);
    }
    assert.is(r.bodyState, 'CLOSED');
    assert.equal(yield* chunks.next(), { done: true, value: undefined });
  }, { clock: loopbackClock() });
  await server.close();
});

// --- lifecycle ------------------------------------------------------------------------

test('the client as an async context manager: states, closed client refuses', async () => {
  await run((function* () {
    const client = new AsyncClient({ transport: new MockTransport(() => new Response(204)) });
    assert.is(client.state, 'UNOPENED');
    const same = yield* asyncWith(client, function* (c) {
      assert.is(c.state, 'OPENED');
      try {
        yield* c.enter();
        assert.unreachable();
      } catch (err) {
        assert.match(String(err), /already in an asyncWith/);
      }
      return c;
    });
    assert.is(same, client);
    assert.ok(client.isClosed);
    yield* client.aclose();
    try {
      yield* client.get('http://t.test/');
      assert.unreachable();
    } catch (err) {
      assert.match(String(err), /client has been closed/);
    }
    try {
      yield* client.enter();
      assert.unreachable();
    } catch (err) {
      assert.match(String(err), /cannot reopen/);
    }
  })());
});

test('buildRequest + send; the client headers are a live Headers', async () => {
  const transport = new MockTransport((request) => new Response(200, { json: { ua: request.headers.get('user-agent'), x: request.headers.get('x') } }));
  await inLoop({ transport }, function* (client) {
    client.headers.set('X', 'live');
    assert.instance(client.headers, Headers);
    const request = client.buildRequest('GET', 'http://t.test/');
    const r = yield* client.send(request);
    assert.equal(r.json(), { ua: 'yieldio/0.1', x: 'live' });
    assert.is(r.request, request);
  });
});

// --- differential: yieldio vs undici on the same server ----------------------------------

test('differential: the same requests through yieldio and undici give the same answers', async () => {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      const url = new URL(req.url!, 'http://x');
      const status = Number(url.searchParams.get('status') ?? 200);
      res.setHeader('X-Method', req.method!);
      res.setHeader('X-Body-Length', String(body.length));
      res.setHeader('Set-Cookie', ['a=1', 'b=2']);
      if (url.pathname === '/chunked') {
        res.writeHead(status, { 'Content-Type': 'text/plain' });
        res.write('part one, ');
        setTimeout(() => res.end('part two'), 2);
      } else if (req.method === 'HEAD' || status === 204 || status === 304) {
        res.writeHead(status).end();
      } else {
        res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify({ path: url.pathname, q: url.search, body }));
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const cases: Array<{ method: string; path: string; body?: string }> = [
    { method: 'GET', path: '/a?x=1' },
    { method: 'GET', path: '/chunked' },
    { method: 'POST', path: '/post', body: 'some=data' },
    { method: 'PUT', path: '/put', body: '{"a":1}' },
    { method: 'DELETE', path: '/d?status=204' },
    { method: 'HEAD', path: '/h' },
    { method: 'GET', path: '/nm?status=304' },
    { method: 'GET', path: '/missing?status=404' },
    { method: 'PATCH', path: '/p?status=500', body: 'x'.repeat(100_000) },
  ];
  type Seen = { status: number; headers: Record<string, string>; body: string };
  const pick = (h: Record<string, string | string[] | undefined>): Record<string, string> => {
    const out: Record<string, string> = {};
    for (const k of ['content-type', 'content-length', 'transfer-encoding', 'x-method', 'x-body-length', 'set-cookie']) {
      const v = h[k];
      if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
    }
    return out;
  };
  const viaUndici: Seen[] = [];
  for (const c of cases) {
    const r = await undiciRequest(origin + c.path, { method: c.method as 'GET', body: c.body });
    viaUndici.push({ status: r.statusCode, headers: pick(r.headers), body: await r.body.text() });
  }
  const viaYieldio = await inLoop({}, function* (client) {
    const out: Seen[] = [];
    for (const c of cases) {
      const r = yield* client.request(c.method, origin + c.path, c.body === undefined ? {} : { content: c.body });
      const headers: Record<string, string | string[]> = {};
      for (const [k] of r.headers) headers[k.toLowerCase()] = r.headers.getAll(k);
      out.push({ status: r.statusCode, headers: pick(headers), body: r.text });
    }
    return out;
  });
  assert.equal(viaYieldio, viaUndici);
  await new Promise<void>((r) => server.close(() => r()));
});

// --- the seed program -------------------------------------------------------------------

test('the seed program: two chains over one pool, final JSON of both', async () => {
  const server = await startEchoServer();
  const lines: string[] = [];
  const [json1, json2] = (await run(asyncMain(`${server.origin}/post`, (l) => lines.push(l)))) as [Echo, Echo];
  for (const [json, key] of [[json1, 'some'], [json2, 'more']] as const) {
    assert.equal(Object.keys(json).sort(), ['args', 'data', 'files', 'form', 'headers', 'json', 'url']);
    assert.equal(Object.keys(json.form).sort(), ['args', 'data', 'files', 'form', 'headers', 'json', 'url']);
    assert.equal(JSON.parse(json.form.form as string), { [key]: 'data' });
    assert.is(json.form.url, `${server.origin}/post`);
    assert.is(json.headers['content-type'], 'application/x-www-form-urlencoded');
  }
  const served = lines.filter((l) => l.includes('via connection'));
  assert.is(served.length, 4);
  assert.is(served.filter((l) => l.endsWith('(new)')).length, 2);
  assert.is(served.filter((l) => l.endsWith('(reused)')).length, 2);
  assert.is(server.connections, 2);
  await server.close();
});

// --- debug mode: leak reports ----------------------------------------------------

/** Runs `body` with a client made inside the run; returns the client and every report. */
async function reportsOf(debug: boolean, body: (client: AsyncClient) => Coro<void>): Promise<{ client: AsyncClient; reports: string[] }> {
  const reports: string[] = [];
  let client: AsyncClient | null = null;
  await run((function* (): Coro<void> {
    client = new AsyncClient(); // ← the creation site the report names
    yield* body(client);
  })(), { debug, exceptionHandler: (_loop, context: ExceptionContext) => void reports.push(context.message) });
  return { client: client!, reports };
}

test('debug mode: a client never closed is reported at the end of run(), with where it was made and what it holds', async () => {
  const server = await startHttpServer((_req, socket) => socket.write(ok('x')));
  const url = `http://127.0.0.1:${server.port}/`;
  const { client, reports } = await reportsOf(true, function* (client) {
    yield* client.get(url);
    yield* client.get(url);
  });
  assert.is(reports.length, 1, reports.join('\n'));
  assert.match(reports[0]!, /^AsyncClient created at .*client\.spec\.ts:\d+:\d+\)? was never closed \(1 connection still open\)/);
  assert.not.match(reports[0]!, /[\\/]lib[\\/]http[\\/]client\.ts/); // yieldio's own frames are left out
  await run(client.aclose());
  await server.close();
});

test('debug mode: aclose() names each connection still leased and the task holding it', async () => {
  const server = await startHttpServer((_req, socket) => socket.write(ok('x'.repeat(10))));
  const url = `http://127.0.0.1:${server.port}/`;
  const { reports } = await reportsOf(true, function* (client) {
    yield* createTask(client.stream('GET', url), { name: 'leaky' }); // its body is never read nor closed
    yield* client.get(url); // read in full: not leased any more
    yield* client.aclose();
  });
  assert.is(reports.length, 1, reports.join('\n'));
  assert.match(reports[0]!, /^closing the connection pool of http:\/\/127\.0\.0\.1:\d+ with 1 connection still leased/);
  assert.match(reports[0]!, /connection #\d+ \(ACTIVE\), leased by Task 'leaky'\n {4}which was created at:\n.*client\.spec\.ts/);
  await server.close();
});

test('debug mode: a client closed properly, its responses read, is not reported', async () => {
  const server = await startHttpServer((_req, socket) => socket.write(ok('x')));
  const url = `http://127.0.0.1:${server.port}/`;
  const { reports } = await reportsOf(true, function* (client) {
    const r = yield* client.stream('GET', url);
    yield* r.aclose(); // closed early: its connection is closed, not leaked
    yield* client.get(url);
    yield* client.aclose();
  });
  assert.equal(reports, []);
  const mocked = await run((function* (): Coro<string[]> {
    yield* asyncWith(new AsyncClient({ transport: new MockTransport(() => new Response(204)) }), function* (c) {
      yield* c.get('http://test/');
    });
    return [];
  })(), { debug: true, exceptionHandler: (_loop, context) => assert.unreachable(context.message) });
  assert.equal(mocked, []);
  await server.close();
});

test('debug off: a client left open is still reported and closed at the end of run(), without a creation site or lease records', async () => {
  const server = await startHttpServer((_req, socket) => socket.write(ok('x')));
  const url = `http://127.0.0.1:${server.port}/`;
  const { client, reports } = await reportsOf(false, function* (client) {
    yield* client.stream('GET', url); // leased, never read
  });
  assert.equal(reports, ['AsyncClient was never closed (1 connection still open); closed at the end of run()']);
  assert.ok(client.isClosed);
  // A later run() cannot use it, and says why.
  const err = await run((function* (): Coro<unknown> {
    try {
      yield* client.get(url);
    } catch (e) {
      return e;
    }
    return null;
  })());
  assert.instance(err, RuntimeError);
  assert.match((err as Error).message, /made inside a run\(\) that has ended, which closed it/);
  await server.close();
});

test('a client made outside any run() serves successive run()s, reusing its keep-alive connection, and is not reported', async () => {
  const server = await startHttpServer((_req, socket) => socket.write(ok('x')));
  const url = `http://127.0.0.1:${server.port}/`;
  const client = new AsyncClient();
  const reports: string[] = [];
  const onReport = { exceptionHandler: (_loop: unknown, context: ExceptionContext) => void reports.push(context.message) };
  const first = await run((function* (): Coro<unknown> { return (yield* client.get(url)).extensions.connectionId; })(), onReport);
  const second = await run((function* (): Coro<unknown> {
    const r = yield* client.get(url);
    return [r.extensions.connectionId, r.extensions.reused];
  })(), onReport);
  assert.equal(second, [first, true]);
  assert.equal(reports, []);
  assert.not.ok(client.isClosed);
  await run(client.aclose());
  await server.close();
});

test('debug mode: a client on a MockTransport is reported without a connection count', async () => {
  const reports: string[] = [];
  await run((function* (): Coro<void> {
    new AsyncClient({ transport: new MockTransport(() => new Response(204)) });
  })(), { debug: true, exceptionHandler: (_loop, context) => void reports.push(context.message) });
  assert.is(reports.length, 1);
  assert.match(reports[0]!, /^AsyncClient created at .*client\.spec\.ts:\d+:\d+\)? was never closed; closed at the end of run\(\)$/m); // no "(… connections)"
});

test.run();
