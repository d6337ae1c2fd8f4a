import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LocalProtocolError } from '../../lib/http/errors.ts';
import { Headers } from '../../lib/http/headers.ts';
import { ChunkedWriter, ContentLengthWriter, writeRequest, type RequestInit } from '../../lib/http/writers.ts';
import { bytes, latin1 } from '../_support/bytes.ts';

const HOST: Array<[string, string]> = [['Host', 'example.com']];

function wire(init: RequestInit): string {
  return latin1(writeRequest(init).bytes);
}

function fails(init: RequestInit, pattern: RegExp): void {
  assert.throws(
    () => writeRequest(init),
    (err: unknown) => err instanceof LocalProtocolError && pattern.test(err.message),
    JSON.stringify({ ...init, body: init.body ? latin1(init.body) : init.body }),
  );
}

test('a GET: request line, Host first, other fields in order with their casing, no framing field', () => {
  const out = wire({ method: 'GET', target: '/a?b=c', headers: [['accept', '*/*'], ['HOST', 'h:8080'], ['X-Two', '2']] });
  assert.is(out, 'GET /a?b=c HTTP/1.1\r\nHOST: h:8080\r\naccept: */*\r\nX-Two: 2\r\n\r\n');
});

test('headers may be given as Headers, pairs or a record', () => {
  const expected = 'GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\n\r\n';
  assert.is(wire({ method: 'GET', target: '/', headers: new Headers([['Host', 'h'], ['A', '1']]) }), expected);
  assert.is(wire({ method: 'GET', target: '/', headers: { Host: 'h', A: '1' } }), expected);
});

test('a whole body gets a computed Content-Length, and follows the head in the same bytes', () => {
  assert.is(wire({ method: 'PUT', target: '/', headers: HOST, body: bytes('hello') }), 'PUT / HTTP/1.1\r\nHost: example.com\r\nContent-Length: 5\r\n\r\nhello');
  const written = writeRequest({ method: 'PUT', target: '/', headers: HOST, body: bytes('x') });
  assert.is(written.body, null);
});

test('a matching user Content-Length is accepted and rewritten once; a conflicting one is refused', () => {
  assert.is(
    wire({ method: 'POST', target: '/', headers: [['content-length', '5, 5'], ...HOST], body: bytes('hello') }),
    'POST / HTTP/1.1\r\nHost: example.com\r\nContent-Length: 5\r\n\r\nhello',
  );
  fails({ method: 'POST', target: '/', headers: [...HOST, ['Content-Length', '4']], body: bytes('hello') }, /Content-Length is 4 but the body has 5 bytes/);
  fails({ method: 'POST', target: '/', headers: [...HOST, ['Content-Length', 'x']], body: bytes('hello') }, /invalid Content-Length/);
});

test('no body: Content-Length: 0 for POST, PUT and PATCH only', () => {
  for (const method of ['POST', 'PUT', 'PATCH']) {
    assert.is(wire({ method, target: '/', headers: HOST }), `${method} / HTTP/1.1\r\nHost: example.com\r\nContent-Length: 0\r\n\r\n`);
  }
  for (const method of ['GET', 'DELETE', 'HEAD', 'OPTIONS']) {
    assert.is(wire({ method, target: '/', headers: HOST, body: null }), `${method} / HTTP/1.1\r\nHost: example.com\r\n\r\n`);
  }
  assert.is(wire({ method: 'OPTIONS', target: '*', headers: HOST }), 'OPTIONS * HTTP/1.1\r\nHost: example.com\r\n\r\n');
});

test('chunked with a whole body: one chunk and the last chunk', () => {
  assert.is(
    wire({ method: 'POST', target: '/', headers: HOST, body: bytes('0123456789abcdef!'), chunked: true }),
    'POST / HTTP/1.1\r\nHost: example.com\r\nTransfer-Encoding: chunked\r\n\r\n11\r\n0123456789abcdef!\r\n0\r\n\r\n',
  );
  assert.is(
    wire({ method: 'POST', target: '/', headers: [...HOST, ['Transfer-Encoding', 'Chunked']], body: new Uint8Array(0) }),
    'POST / HTTP/1.1\r\nHost: example.com\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
  );
});

test('a streamed body: chunked (option or header) or a given Content-Length', () => {
  const chunked = writeRequest({ method: 'POST', target: '/', headers: HOST, chunked: true });
  assert.instance(chunked.body, ChunkedWriter);
  const viaHeader = writeRequest({ method: 'POST', target: '/', headers: [...HOST, ['transfer-encoding', 'chunked']] });
  assert.instance(viaHeader.body, ChunkedWriter);
  const sized = writeRequest({ method: 'POST', target: '/', headers: [...HOST, ['Content-Length', '10']] });
  assert.instance(sized.body, ContentLengthWriter);
  assert.match(latin1(sized.bytes), /Content-Length: 10\r\n\r\n$/);
  assert.is(writeRequest({ method: 'POST', target: '/', headers: [...HOST, ['Content-Length', '0']] }).body, null);
});

test('framing conflicts: Content-Length with chunked, or a coding we cannot apply', () => {
  fails({ method: 'POST', target: '/', headers: [...HOST, ['Content-Length', '3'], ['Transfer-Encoding', 'chunked']] }, /cannot both be sent/);
  fails({ method: 'POST', target: '/', headers: [...HOST, ['Content-Length', '3']], chunked: true }, /cannot both be sent/);
  fails({ method: 'POST', target: '/', headers: [...HOST, ['Transfer-Encoding', 'gzip, chunked']] }, /only "Transfer-Encoding: chunked"/);
  fails({ method: 'POST', target: '/', headers: [...HOST, ['Transfer-Encoding', '']] }, /only "Transfer-Encoding: chunked"/);
});

test('the method must be a token; CONNECT is refused', () => {
  for (const method of ['', 'GE T', 'GET\r\n', 'G\u00e9T', 'GET/']) fails({ method, target: '/', headers: HOST }, /invalid method/);
  fails({ method: 'CONNECT', target: 'example.com:443', headers: HOST }, /CONNECT/);
});

test('the target must have no whitespace, control or non-ASCII character', () => {
  for (const target of ['', '/a b', '/a\tb', '/a\r\nHost: evil', '/\0', '/caf\u00e9', '/\x7f']) {
    fails({ method: 'GET', target, headers: HOST }, /invalid request target/);
  }
});

test('header names must be tokens', () => {
  for (const name of ['', 'X Y', 'X:', 'X\r\n', '\u00e9']) {
    fails({ method: 'GET', target: '/', headers: [...HOST, [name, 'v']] }, /invalid header name/);
  }
});

test('header values with CR, LF, NUL or other controls are refused: no header injection', () => {
  for (const value of ['a\r\nX-Injected: 1', 'a\nb', 'a\rb', 'a\0b', 'a\x01b', 'a\x7fb', '\u20ac']) {
    fails({ method: 'GET', target: '/', headers: [...HOST, ['X', value]] }, /invalid value for header X/);
  }
  fails({ method: 'GET', target: '/', headers: [['Host', 'h\r\nEvil: 1']] }, /invalid value for header Host/);
});

test('header values are trimmed of OWS; HTAB inside and obs-text are sent as octets', () => {
  const out = writeRequest({ method: 'GET', target: '/', headers: [...HOST, ['X', ' \ta\tb \t'], ['Y', 'caf\u00e9']] }).bytes;
  assert.is(latin1(out), 'GET / HTTP/1.1\r\nHost: example.com\r\nX: a\tb\r\nY: caf\u00e9\r\n\r\n');
  assert.ok(out.includes(0xe9));
});

test('exactly one Host is required', () => {
  fails({ method: 'GET', target: '/', headers: [] }, /missing Host/);
  fails({ method: 'GET', target: '/', headers: [['Host', 'a'], ['host', 'b']] }, /more than one Host/);
});

test('Connection: close in the request turns keep-alive off', () => {
  assert.ok(writeRequest({ method: 'GET', target: '/', headers: HOST }).keepAlive);
  assert.not.ok(writeRequest({ method: 'GET', target: '/', headers: [...HOST, ['Connection', 'keep-alive, Close']] }).keepAlive);
});

test('ChunkedWriter frames chunks, skips empty ones, ends with optional trailers', () => {
  const w = new ChunkedWriter();
  assert.is(latin1(w.write(bytes('x'.repeat(255)))), `ff\r\n${'x'.repeat(255)}\r\n`);
  assert.is(w.write(new Uint8Array(0)).length, 0);
  assert.is(latin1(w.end()), '0\r\n\r\n');
  assert.is(latin1(new ChunkedWriter().end(new Headers([['X-A', '1'], ['X-B', ' 2 ']]))), '0\r\nX-A: 1\r\nX-B: 2\r\n\r\n');
  assert.throws(() => new ChunkedWriter().end([['X', 'a\nb']]), /invalid value for header X/);
});

test('ContentLengthWriter passes chunks through and enforces the length', () => {
  const w = new ContentLengthWriter(3);
  const chunk = bytes('ab');
  assert.is(w.write(chunk), chunk);
  assert.throws(() => w.write(bytes('cd')), /longer than its Content-Length of 3 \(4 bytes\)/);
  assert.throws(() => w.end(), /shorter than its Content-Length \(2 of 3 bytes\)/);
  w.write(bytes('c'));
  assert.is(w.end().length, 0);
  assert.is(new ContentLengthWriter(0).end([]).length, 0);
  assert.throws(() => new ContentLengthWriter(0).end([['X', '1']]), /trailers can only be sent with a chunked body/);
});

// Regression (issue #5, found by spec/http/fuzz-request.spec.ts): the grammar checks
// read `.length`, so a non-string method or target passed them vacuously and was then
// stringified into the head — a second request smuggled through a toString().
test('values of the wrong type are a TypeError, never stringified into the head', () => {
  const smuggle = { toString: () => '/ HTTP/1.1\r\nHost: evil\r\n\r\nGET /' };
  const typeError = (init: unknown) => assert.throws(() => writeRequest(init as RequestInit), (e: unknown) => e instanceof TypeError);
  typeError({ method: smuggle, target: '/', headers: HOST });
  typeError({ method: 'GET', target: smuggle, headers: HOST });
  typeError({ method: 42, target: '/', headers: HOST });
  typeError({ method: new String('CONNECT'), target: 'a:443', headers: HOST }); // would bypass the CONNECT refusal
  typeError({ method: 'GET', target: new URL('http://a/'), headers: HOST });
  typeError({ method: 'GET', target: '/', headers: [['Host', 'a'], ['X', smuggle]] });
  typeError({ method: 'GET', target: '/', headers: { Host: 'a', X: 5 } });
  typeError({ method: 'POST', target: '/', headers: HOST, body: 'a string is not bytes' }); // was sent as NUL bytes
  assert.throws(() => new ChunkedWriter().write('abc' as unknown as Uint8Array), (e: unknown) => e instanceof TypeError);
  assert.throws(() => new ContentLengthWriter(3).write('abc' as unknown as Uint8Array), (e: unknown) => e instanceof TypeError);
  assert.throws(() => new ChunkedWriter().end([['X', smuggle as unknown as string]]), (e: unknown) => e instanceof TypeError);
  assert.is(wire({ method: 'GET', target: '/', headers: HOST, body: null }), 'GET / HTTP/1.1\r\nHost: example.com\r\n\r\n');
});

test.run();
