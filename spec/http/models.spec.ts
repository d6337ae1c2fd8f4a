/**
 * The data model: URL joining and validation, params and form encoding, Request
 * defaults, Response construction, decoding, status helpers and body states.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { run, type Coro } from '../../lib/index.ts';
import { forEach } from '../../lib/iteration.ts';
import {
  DEFAULT_TIMEOUTS,
  JoinedURL,
  PlainJoiner,
  Request,
  isPlainTarget,
  Response,
  addParams,
  encodeForm,
  mergeUrl,
  toTimeouts,
  type ResponseStream,
} from '../../lib/http/models.ts';
import { InvalidURL, ResponseNotRead, StreamConsumed, UnsupportedProtocol } from '../../lib/http/errors.ts';

test('mergeUrl: a relative URL joins baseUrl as a path prefix', () => {
  const base = new URL('http://h.test/api');
  assert.is(mergeUrl('/users', base).href, 'http://h.test/api/users');
  assert.is(mergeUrl('users?x=1', base).href, 'http://h.test/api/users?x=1');
  assert.is(mergeUrl('//x', new URL('http://h.test/api/')).href, 'http://h.test/api/x');
  assert.is(mergeUrl('https://other.test/p', base).href, 'https://other.test/p');
  assert.is(mergeUrl(new URL('http://u.test/')).href, 'http://u.test/');
  assert.is(mergeUrl('HTTP://H.test:80/a').href, 'http://h.test/a');
});

test('joined URL (the fast path) is exactly what mergeUrl says, or it declines', () => {
  // Random relative references over all of printable ASCII (and a few others): each one
  // the fast path accepts must give mergeUrl's href, target and host, byte for byte.
  const bases = ['http://h.test', 'http://h.test/api', 'https://H.test:8443/a/b/', 'http://[::1]:8080/x', 'http://u:p@h.test:80/'];
  const alphabet = 'abz09-._~!$&()*+,;=:@/?%#\\\'"<>`{}|^ [] é\t';
  let seed = 42;
  const rand = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % n);
  let accepted = 0;
  for (let i = 0; i < 20_000; i++) {
    let url = rand(2) === 0 ? '/' : '';
    for (let n = rand(12); n > 0; n--) url += rand(3) === 0 ? '/' : alphabet[rand(alphabet.length)];
    const base = new URL(bases[i % bases.length]!);
    const joined = new PlainJoiner(base).join(url);
    if (joined === null) continue;
    accepted++;
    const slow = mergeUrl(url, base);
    const label = `${url} on ${base.href}`;
    assert.is(joined.origin + joined.target, slow.href, label);
    const request = new Request('GET', joined);
    assert.is(request.target, slow.pathname + slow.search, label);
    assert.is(request.headers.get('host'), slow.host, label);
    assert.is(request._origin, `${slow.protocol}//${slow.host}`, label);
    assert.is(request.url.href, slow.href, label);
  }
  assert.ok(accepted > 1000, `only ${accepted} plain paths accepted`);
  // What it declines: what the URL parser would rewrite.
  for (const rest of ['a/./b', 'a/..', '.', '..', 'a b', 'a%2e', 'é', "q?'", 'a#f', 'a\\b', 'a`', 'a|b?x']) {
    assert.not.ok(isPlainTarget(rest), rest);
  }
  for (const rest of ['', 'a/b', 'small', '.well-known/x', 'a..b/...', 'p?x=1&y=%20/?']) assert.ok(isPlainTarget(rest), rest);
  // Never for a URL with a scheme.
  assert.is(new PlainJoiner(new URL('http://h.test/')).join('mailto:x'), null);
});

test('a Request on a joined URL builds its URL object once, and follows changes to it', () => {
  const base = new URL('http://h.test/api');
  const joiner = new PlainJoiner(base);
  const request = new Request('GET', joiner.join('/users?x=1')!);
  assert.is(String(request), '<Request GET http://h.test/api/users?x=1>');
  assert.is(request.url, request.url);
  request.url.pathname = '/other';
  assert.is(request.target, '/other?x=1');
  // A changed base URL object is read again.
  base.pathname = '/v2/';
  assert.is(joiner.join('u')!.target, '/v2/u');
  // params given with a joined URL: parsed, then appended.
  const withParams = new Request('GET', new JoinedURL('http://h.test', 'h.test', '/p'), { params: { a: 1 } });
  assert.is(withParams.target, '/p?a=1');
});

test('mergeUrl: invalid and unsupported URLs', () => {
  assert.throws(() => mergeUrl('not a url'), (e: unknown) => e instanceof InvalidURL && /not a url/.test(String(e)));
  assert.throws(() => mergeUrl('/relative'), (e: unknown) => e instanceof InvalidURL);
  assert.throws(() => mergeUrl('ftp://h.test/'), (e: unknown) => e instanceof UnsupportedProtocol && /"ftp"/.test(String(e)));
  assert.throws(() => mergeUrl('file:///etc/passwd'), (e: unknown) => e instanceof UnsupportedProtocol);
  assert.throws(() => mergeUrl('http:'), (e: unknown) => e instanceof InvalidURL);
  assert.throws(() => mergeUrl('1http://x'), (e: unknown) => e instanceof InvalidURL);
});

test('params: records, arrays, pairs, URLSearchParams and strings', () => {
  const url = new URL('http://h.test/?a=0');
  addParams(url, { b: 1, c: [true, false], d: null, e: undefined });
  addParams(url, [['f', 'x y']]);
  addParams(url, new URLSearchParams('g=1'));
  addParams(url, 'h=2&h=3');
  assert.is(url.search, '?a=0&b=1&c=true&c=false&d=&e=&f=x+y&g=1&h=2&h=3');
});

test('encodeForm: httpx primitive rules; nested values as JSON', () => {
  assert.is(encodeForm({ some: 'data' }), 'some=data');
  assert.is(encodeForm({ n: 1.5, t: true, f: false, z: null, o: { a: 1 }, l: [1, 'x'] }), 'n=1.5&t=true&f=false&z=&o=%7B%22a%22%3A1%7D&l=1&l=x');
  assert.is(encodeForm([['k', 'é']]), 'k=%C3%A9');
  assert.is(encodeForm(new URLSearchParams('a=b')), 'a=b');
});

test('toTimeouts: number, null, partial, default', () => {
  assert.is(toTimeouts(undefined), DEFAULT_TIMEOUTS);
  assert.equal({ ...toTimeouts(1) }, { connect: 1, read: 1, write: 1, pool: 1 });
  assert.equal({ ...toTimeouts(null) }, { connect: null, read: null, write: null, pool: null });
  assert.equal({ ...toTimeouts({ read: null, pool: 2 }) }, { connect: 5, read: null, write: 5, pool: 2 });
});

test('Request: Host from the URL, Content-Type for data/json, target, text', () => {
  const r = new Request('post', 'http://h.test:8080/p?q=1', { json: { a: 'é' }, params: { x: 2 } });
  assert.is(r.method, 'POST');
  assert.is(r.headers.get('host'), 'h.test:8080');
  assert.is(r.headers.get('content-type'), 'application/json');
  assert.is(r.target, '/p?q=1&x=2');
  assert.is(r.text, '{"a":"é"}');
  assert.is(String(r), '<Request POST http://h.test:8080/p?q=1&x=2>');
  const form = new Request('POST', 'http://h.test', { data: { a: 'b' }, headers: { Host: 'custom' } });
  assert.is(form.headers.get('host'), 'custom');
  assert.is(form.headers.get('content-type'), 'application/x-www-form-urlencoded');
  assert.is(form.target, '/');
  assert.is(new Request('GET', 'http://h.test').content.length, 0);
  assert.equal([...new Request('PUT', 'http://h.test', { content: new Uint8Array([1, 2]) }).content], [1, 2]);
});

test('Response: built by hand with text, json, content; Content-Length filled', () => {
  const t = new Response(200, { text: 'hé' });
  assert.is(t.headers.get('content-type'), 'text/plain; charset=utf-8');
  assert.is(t.headers.get('content-length'), '3');
  assert.is(t.text, 'hé');
  assert.is(t.reasonPhrase, 'OK');
  assert.is(t.httpVersion, 'HTTP/1.1');
  assert.is(t.url, null);
  assert.ok(t.isClosed);
  const j = new Response(201, { json: { a: [1] } });
  assert.equal(j.json(), { a: [1] });
  assert.is(j.headers.get('content-type'), 'application/json');
  assert.is(new Response(200, { content: 'x' }).text, 'x');
  assert.is(new Response(599).reasonPhrase, '');
  assert.is(String(new Response(404)), '<Response [404 Not Found]>');
});

test('Response: charset decoding', () => {
  const latin = new Response(200, { content: new Uint8Array([0xe9]), headers: { 'Content-Type': 'text/plain; charset="ISO-8859-1"' } });
  assert.is(latin.charsetEncoding, 'iso-8859-1');
  assert.is(latin.text, 'é');
  const be = new Response(200, { content: new Uint8Array([0, 0x41]), headers: { 'Content-Type': 'text/plain; charset=utf-16be' } });
  assert.is(be.text, 'A');
  const bogus = new Response(200, { content: 'ok', headers: { 'Content-Type': 'text/plain; charset=nonsense' } });
  assert.is(bogus.text, 'ok');
  assert.is(new Response(200, { content: 'x', headers: { 'Content-Type': 'text/plain' } }).charsetEncoding, null);
});

test('Response: status classes', () => {
  const classes = (code: number) => {
    const r = new Response(code);
    return [r.isInformational, r.isSuccess, r.isRedirect, r.isClientError, r.isServerError, r.isError].map(Number).join('');
  };
  assert.is(classes(101), '100000');
  assert.is(classes(200), '010000');
  assert.is(classes(302), '001000');
  assert.is(classes(404), '000101');
  assert.is(classes(503), '000011');
  assert.ok(new Response(307, { headers: { Location: '/x' } }).hasRedirectLocation);
  assert.not.ok(new Response(304, { headers: { Location: '/x' } }).hasRedirectLocation);
  assert.is(new Response(200).raiseForStatus().statusCode, 200);
});

/** A ResponseStream over fixed pieces, recording close(). */
function pieces(parts: string[], failAt = -1): ResponseStream & { closed: number } {
  let i = 0;
  return {
    closed: 0,
    *read(): Coro<Uint8Array | null> {
      if (i === failAt) throw new Error('boom');
      return i < parts.length ? Buffer.from(parts[i++]!) : null;
    },
    close() {
      this.closed++;
    },
  };
}

test('Response body states: STREAMING → ITERATING → CLOSED; aread concatenates once', async () => {
  await run((function* () {
    const s = pieces(['ab', 'cd']);
    const r = new Response(200, { stream: s });
    assert.is(r.bodyState, 'STREAMING');
    assert.throws(() => r.content, (e: unknown) => e instanceof ResponseNotRead);
    assert.is(Buffer.from(yield* r.aread()).toString(), 'abcd');
    assert.is(r.bodyState, 'READ');
    assert.is(r.numBytesDownloaded, 4);
    const again = r.aiterBytes();
    assert.is(Buffer.from((yield* again.next()).value!).toString(), 'abcd');
    assert.equal(yield* again.next(), { done: true, value: undefined });
    yield* r.aclose();
    assert.is(s.closed, 0);

    const one = new Response(200, { stream: pieces(['only']) });
    assert.is(Buffer.from(yield* one.aread()).toString(), 'only');
    const none = new Response(200, { stream: pieces([]) });
    assert.is((yield* none.aread()).length, 0);
    const emptyIter = new Response(204).aiterBytes();
    assert.equal(yield* emptyIter.next(), { done: true, value: undefined });

    const closedEarly = pieces(['x', 'y']);
    const c = new Response(200, { stream: closedEarly });
    yield* c.aclose();
    yield* c.aclose();
    assert.is(closedEarly.closed, 1);
    assert.is(c.bodyState, 'CLOSED');
    try {
      yield* c.aread();
      assert.unreachable();
    } catch (err) {
      assert.instance(err, StreamConsumed);
      assert.match(String(err), /closed before its body was read/);
    }
    const it = new Response(200, { stream: pieces(['x']) });
    it.aiterBytes();
    assert.throws(() => it.aiterBytes(), /already being read/);
  })());
});

test('a failing stream closes the response, in aread and in aiterBytes', async () => {
  await run((function* () {
    const s1 = pieces(['a', 'b'], 1);
    const r1 = new Response(200, { stream: s1 });
    try {
      yield* r1.aread();
      assert.unreachable();
    } catch (err) {
      assert.match(String(err), /boom/);
    }
    assert.is(s1.closed, 1);
    const s2 = pieces(['a', 'b'], 1);
    const r2 = new Response(200, { stream: s2 });
    const it = r2.aiterBytes();
    yield* it.next();
    try {
      yield* it.next();
      assert.unreachable();
    } catch (err) {
      assert.match(String(err), /boom/);
    }
    assert.is(s2.closed, 1);
    assert.is(r2.bodyState, 'CLOSED');
  })());
});

test('aiterText decodes UTF-8 split across pieces', async () => {
  await run((function* () {
    const bytes = Buffer.from('é€', 'utf8');
    const s: ResponseStream = pieces([]);
    const parts = [bytes.subarray(0, 1), bytes.subarray(1, 3), bytes.subarray(3)];
    let i = 0;
    s.read = function* () {
      return i < parts.length ? parts[i++]! : null;
    };
    const r = new Response(200, { stream: s, headers: { 'Content-Type': 'text/plain; charset=utf-8' } });
    const texts = r.aiterText();
    const out: string[] = [];
    for (let t = yield* texts.next(); !t.done; t = yield* texts.next()) out.push(t.value);
    assert.is(out.join(''), 'é€');
    assert.equal(yield* texts.next(), { done: true, value: undefined });
    const bad = new Response(200, { content: Buffer.from([0xc3]), headers: { 'Content-Type': 'text/plain; charset=bogus' } });
    const t2 = bad.aiterText();
    assert.equal(yield* t2.next(), { done: false, value: '\ufffd' });
  })());
});

test('body iterators speak the CoroIterator protocol: return() closes the response, forEach reads them', async () => {
  await run((function* () {
    const s = pieces(['ab', 'cd', 'ef']);
    const r = new Response(200, { stream: s });
    const it = r.aiterBytes();
    assert.equal(Buffer.from((yield* it.next()).value!).toString(), 'ab');
    assert.equal(yield* it.return(), { done: true, value: undefined });
    assert.is(s.closed, 1, 'unread bytes: the stream (and its connection) is closed');
    assert.is(r.bodyState, 'CLOSED');
    assert.equal(yield* it.next(), { done: true, value: undefined });
    yield* it.return();
    assert.is(s.closed, 1, 'idempotent');

    const t = new Response(200, { stream: pieces(['x', 'y']), headers: { 'Content-Type': 'text/plain' } });
    const texts = t.aiterText();
    assert.equal(yield* texts.next(), { done: false, value: 'x' });
    yield* texts.return();
    assert.is(t.bodyState, 'CLOSED');
    assert.equal(yield* texts.next(), { done: true, value: undefined });

    const whole = new Response(200, { content: 'in memory' });
    const content = whole.aiterBytes();
    yield* content.return();
    assert.equal(yield* content.next(), { done: true, value: undefined });
    assert.is(whole.text, 'in memory', 'a body in memory stays readable');

    const seen: string[] = [];
    const f = new Response(200, { stream: pieces(['1', '2', '3']) });
    yield* forEach(f.aiterText(), function* (piece) {
      seen.push(piece);
      if (piece === '2') return false;
    });
    assert.equal(seen, ['1', '2']);
    assert.is(f.bodyState, 'CLOSED', 'stopping early closed the response');
  })());
});

test.run();
