/**
 * Issue #5, "Hostile input": property tests of the request serializer
 * (`ClientConnection.sendRequest` / `sendData` / `sendEndOfMessage`, i.e.
 * writers.ts).
 *
 * No injection: whatever method, target, header names and values, body and
 * trailers a caller passes (CR, LF, NUL, unicode, spaces, wrong types), either
 * the call throws LocalProtocolError (TypeError for wrong types), or the bytes
 * read — by the strict RFC 9112 request parser in spec/_support/http-gen.ts —
 * as exactly one request equal to the input, with nothing left over: a server
 * can never read a second request out of one.
 */
import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ClientConnection } from '../../lib/http/connection.ts';
import { LocalProtocolError } from '../../lib/http/errors.ts';
import type { RequestInit } from '../../lib/http/writers.ts';
import { concat, latin1 } from '../_support/bytes.ts';
import { StrictParseError, parseStrictRequest, strictContentLength, tokenArb, trimOWS, type Pair } from '../_support/http-gen.ts';

// --- arbitraries ---------------------------------------------------------------

const NASTY = [
  '\r', '\n', '\r\n', '\0', ' ', '\t', ':', '\x7f', '\x01', '\x80', '\xff', '\u0100', 'é', '😀', '\ud800', '\u2028', '\u0130',
  'HTTP/1.1', '\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: evil\r\n\r\n', 'X-Injected: 1', '0\r\n\r\n',
];

/** Strings built to break a serializer: control characters, unicode, request fragments. */
const nastyArb = fc
  .array(fc.oneof(fc.constantFrom(...NASTY), fc.string({ maxLength: 4 }), fc.string({ unit: 'binary', maxLength: 3 })), { maxLength: 5 })
  .map((a) => a.join(''));

/** `valid` with one character from the boundary of the grammar inserted somewhere: the cases a check must get exactly right. */
const BOUNDARY = [':', ' ', '\t', '\r', '\n', '\0', '\x7f', '\x80', '\xff', '\u0100', '"', '(', '@', ',', ';', '/', '\\', '\x1f', '\x0b'];
function nearMiss(valid: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc.tuple(valid, fc.constantFrom(...BOUNDARY), fc.nat()).map(([v, c, at]) => {
    const i = at % (v.length + 1);
    return v.slice(0, i) + c + v.slice(i);
  });
}

const validMethodArb = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'get') },
  { weight: 1, arbitrary: tokenArb },
);
const validTargetArb = fc.oneof(
  { weight: 1, arbitrary: fc.constantFrom('/', '/a?b=c', '*', 'http://example.com/x', '/%0D%0A') },
  { weight: 1, arbitrary: fc.string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: 20 }) },
);
const validValueArb = fc.string({
  unit: fc.oneof(
    { weight: 10, arbitrary: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)) },
    { weight: 1, arbitrary: fc.constantFrom('\t', '\x80', '\xa0', '\xff') },
  ),
  maxLength: 20,
});
/** Valid fields, now and then a framing field with a plausible value (which may disagree with the body). */
const validHeaderArb = fc.oneof(
  { weight: 8, arbitrary: fc.tuple(tokenArb.filter((n) => !/^(host|content-length|transfer-encoding)$/i.test(n)), validValueArb) },
  {
    weight: 1,
    arbitrary: fc.tuple(
      fc.constantFrom('Content-Length', 'content-length', 'Transfer-Encoding', 'transfer-encoding', 'Connection'),
      fc.constantFrom('chunked', 'Chunked', 'gzip, chunked', 'chunked, chunked', '0', '5', '3, 3', '3, 4', '-1', '+3', 'close', 'keep-alive'),
    ),
  },
);

const HOSTILE = ['method', 'target', 'name', 'value', 'host', 'trailer'] as const;
type Hostile = (typeof HOSTILE)[number] | 'none' | 'all';

/** Fields: valid ones, one hostile where `mode` says, and (usually) one Host. */
function headersArb(mode: Hostile): fc.Arbitrary<Pair[]> {
  const hostile = (part: Hostile) => mode === part || mode === 'all';
  return fc
    .tuple(
      fc.array(validHeaderArb, { maxLength: 5 }),
      hostile('name') || hostile('value')
        ? fc.tuple(
            hostile('name') ? fc.oneof(nastyArb, nearMiss(tokenArb)) : tokenArb,
            hostile('value') ? fc.oneof(nastyArb, nearMiss(validValueArb)) : validValueArb,
          )
        : fc.constant(undefined),
      fc.oneof({ weight: 8, arbitrary: fc.constant(1) }, { weight: hostile('host') ? 4 : 1, arbitrary: fc.constantFrom(0, 2) }),
      fc.tuple(fc.constantFrom('Host', 'host', 'HoSt'), hostile('host') ? fc.oneof(nastyArb, nearMiss(fc.constantFrom('example.com', 'a:80'))) : fc.constantFrom('example.com', 'a:80', ' spaced ', '')),
      fc.nat(),
    )
    .map(([fields, bad, hosts, host, at]) => {
      const out: Pair[] = fields.slice();
      if (bad !== undefined) out.splice(at % (out.length + 1), 0, bad);
      for (let i = 0; i < hosts; i++) out.splice((at + i) % (out.length + 1), 0, host);
      return out;
    });
}

/** Something that is not the type the API wants, but might stringify into anything. */
const wrongTypeArb = fc.constantFrom<unknown>(
  42,
  null,
  undefined,
  ['GET'],
  { toString: () => 'GET / HTTP/1.1\r\nHost: evil\r\n\r\nGET' },
  { toString: () => '/ HTTP/1.1\r\nHost: evil\r\n\r\nGET /' },
  { length: 0 },
  new String('GET'),
  Symbol('x'),
);

interface Call {
  init: RequestInit;
  /** Pieces for sendData when the body is streamed, and the trailers for sendEndOfMessage. */
  stream: Uint8Array[];
  trailers: Pair[] | undefined;
  /** The init holds a value of the wrong type somewhere. */
  wrongType: boolean;
}

const callArb: fc.Arbitrary<Call> = fc
  .constantFrom<Hostile>('none', 'none', ...HOSTILE, 'all')
  .chain((mode) => fc.record({
    method: mode === 'method' || mode === 'all' ? fc.oneof(nastyArb, nearMiss(validMethodArb)) : validMethodArb,
    target: mode === 'target' || mode === 'all' ? fc.oneof(nastyArb, nearMiss(validTargetArb)) : validTargetArb,
    headers: headersArb(mode),
    body: fc.oneof(
      { weight: 2, arbitrary: fc.constant(undefined) },
      { weight: 1, arbitrary: fc.constant(null) },
      { weight: 3, arbitrary: fc.uint8Array({ maxLength: 40 }) },
    ),
    chunked: fc.option(fc.boolean(), { nil: undefined }),
    stream: fc.array(fc.uint8Array({ maxLength: 12 }), { maxLength: 4 }),
    declareStreamLength: fc.boolean(),
    trailers: fc.option(
      fc.array(mode === 'trailer' || mode === 'all' ? fc.tuple(fc.oneof(tokenArb, nastyArb, nearMiss(tokenArb)), fc.oneof(validValueArb, nastyArb, nearMiss(validValueArb))) : fc.tuple(tokenArb, validValueArb), { maxLength: 3 }),
      { nil: undefined },
    ),
    asRecord: fc.oneof({ weight: 5, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
    wrong: fc.oneof(
      { weight: 8, arbitrary: fc.constant(undefined) },
      { weight: 1, arbitrary: fc.tuple(fc.constantFrom('method', 'target', 'name', 'value', 'body', 'chunk', 'trailer'), wrongTypeArb) },
    ),
  }))
  .map((g) => {
    const headers: Pair[] = g.headers.slice();
    // A streamed body of declared length: say the right length (or not) up front.
    if (g.declareStreamLength && g.body == null && !g.chunked) {
      const total = g.stream.reduce((n, c) => n + c.length, 0);
      headers.push(['Content-Length', String(total)]);
    }
    const init: RequestInit = { method: g.method, target: g.target, headers, body: g.body, chunked: g.chunked };
    let trailers = g.trailers;
    let stream: Uint8Array[] = g.stream;
    if (g.wrong !== undefined) {
      const [where, value] = g.wrong;
      const v = value as string;
      if (where === 'method') init.method = v;
      if (where === 'target') init.target = v;
      if (where === 'name') headers.push([v, 'x']);
      if (where === 'value') headers.push(['X-Wrong', v]);
      if (where === 'body') init.body = value as Uint8Array;
      if (where === 'chunk') stream = [...stream, value as Uint8Array];
      if (where === 'trailer') trailers = [...(trailers ?? []), ['X-T', v]];
    }
    if (g.asRecord && g.wrong === undefined) init.headers = Object.fromEntries(headers);
    return { init, stream, trailers, wrongType: g.wrong !== undefined };
  });

// --- the property -----------------------------------------------------------------

/** Fields as the caller gave them (pairs or record), in order. */
function givenFields(init: RequestInit): Pair[] {
  const h = init.headers;
  return Symbol.iterator in h ? [...(h as Iterable<Pair>)] : Object.entries(h as Record<string, string>);
}

/**
 * Send `call` on a fresh connection; returns the bytes, or null if a call
 * threw an acceptable error (LocalProtocolError; TypeError for wrong types).
 * After a throw from sendRequest nothing may have been produced.
 */
function send(call: Call): { bytes: Uint8Array; streamed: boolean } | null {
  const conn = new ClientConnection();
  const pieces: Uint8Array[] = [];
  let streamed = false;
  try {
    pieces.push(conn.sendRequest(call.init));
    if (conn.ourState === 'SEND_BODY') {
      streamed = true;
      for (const c of call.stream) pieces.push(conn.sendData(c));
      pieces.push(conn.sendEndOfMessage(call.trailers));
    }
    assert.ok(conn.ourState === 'DONE' || conn.ourState === 'MUST_CLOSE', conn.ourState);
  } catch (err) {
    const ok = err instanceof LocalProtocolError || (call.wrongType && err instanceof TypeError);
    if (!ok) throw err;
    return null;
  }
  return { bytes: concat(...pieces), streamed };
}

const FRAMING = new Set(['host', 'content-length', 'transfer-encoding']);

test('no injection: sendRequest either refuses, or sends exactly one request equal to its input', () => {
  fc.assert(
    fc.property(callArb, (call) => {
      const sent = send(call);
      if (sent === null) return;
      const wire = JSON.stringify(latin1(sent.bytes));
      let parsed;
      try {
        parsed = parseStrictRequest(sent.bytes);
      } catch (err) {
        if (err instanceof StrictParseError) assert.unreachable(`not one strict request (${err.message}): ${wire}`);
        throw err;
      }
      const { request, consumed } = parsed;
      assert.is(consumed, sent.bytes.length, `bytes left over after the request (a second request?): ${wire}`);
      const { init } = call;
      assert.is(request.method, init.method, wire);
      assert.is(request.target, init.target, wire);
      // Host first, then the caller's fields in order (OWS trimmed), then at most one framing field.
      const given = givenFields(init);
      const hosts = given.filter(([n]) => n.toLowerCase() === 'host');
      assert.is(hosts.length, 1, `sent with ${hosts.length} Host fields given: ${wire}`);
      const host = hosts[0]!;
      const others = given.filter(([n]) => !FRAMING.has(n.toLowerCase()));
      const expected: Pair[] = [[host[0], trimOWS(host[1])], ...others.map(([n, v]): Pair => [n, trimOWS(v)])];
      const framing = request.headers.slice(expected.length);
      assert.equal(request.headers.slice(0, expected.length), expected, wire);
      assert.ok(framing.length <= 1 && framing.every(([n]) => /^(Content-Length|Transfer-Encoding)$/.test(n)), `framing fields ${JSON.stringify(framing)}`);
      // The body is the caller's, whole or streamed.
      const body = init.body instanceof Uint8Array ? init.body : sent.streamed ? concat(...call.stream) : new Uint8Array(0);
      assert.is(latin1(request.body), latin1(body), wire);
      // The caller's own framing fields were honoured, not silently replaced.
      const givenLength = strictContentLength(given);
      const givenTE = given.filter(([n]) => n.toLowerCase() === 'transfer-encoding');
      if (givenLength !== undefined) {
        assert.equal(framing, [['Content-Length', String(givenLength)]], `given Content-Length ${JSON.stringify(given)} vs sent ${wire}`);
      }
      if (givenTE.length > 0 || init.chunked) assert.equal(framing, [['Transfer-Encoding', 'chunked']], `given chunked vs sent ${wire}`);
      if (sent.streamed && framing[0]?.[0] === 'Transfer-Encoding') {
        assert.equal(request.trailers, (call.trailers ?? []).map(([n, v]): Pair => [n, trimOWS(v)]), wire);
      } else {
        assert.equal(request.trailers, []);
      }
    }),
    { numRuns: 3000 },
  );
});

test('the strict request parser used as the oracle refuses what it should', () => {
  const refuse = (s: string) => assert.throws(() => parseStrictRequest(new Uint8Array(Buffer.from(s, 'latin1'))), (e: unknown) => e instanceof StrictParseError, s);
  refuse('GET / HTTP/1.1\r\n\r\n'); // no Host
  refuse('GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n');
  refuse('GET  / HTTP/1.1\r\nHost: a\r\n\r\n');
  refuse('GET / HTTP/1.1\nHost: a\r\n\r\n');
  refuse('GET / HTTP/1.1\r\nHost: a\r\n b\r\n\r\n');
  refuse('GET / HTTP/1.1\r\nHost : a\r\n\r\n');
  refuse('GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n');
  refuse('GET / HTTP/1.1\r\nHost: a\x01\r\n\r\n');
  refuse('GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n');
  refuse('GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;x\r\nhello\r\n0\r\n\r\n');
  refuse('GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhi');
  const ok = parseStrictRequest(new Uint8Array(Buffer.from('POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\nT: 1\r\n\r\nrest', 'latin1')));
  assert.equal(ok.request.trailers, [['T', '1']]);
  assert.is(latin1(ok.request.body), 'hi');
  assert.is(ok.consumed, ok.request.body.length + 73);
});

test.run();
