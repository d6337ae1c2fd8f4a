import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RemoteProtocolError } from '../../lib/http/errors.ts';
import type { Data, EndOfMessage, InformationalResponse, ResponseEvent } from '../../lib/http/events.ts';
import { Headers } from '../../lib/http/headers.ts';
import {
  ChunkedReader,
  ContentLengthReader,
  DEFAULT_MAX_HEADER_SIZE,
  UntilCloseReader,
  bodyReader,
  parseFieldLines,
  readResponseHead,
  responseFraming,
  type BodyReader,
  type Framing,
} from '../../lib/http/readers.ts';
import { ReceiveBuffer } from '../../lib/http/receivebuffer.ts';
import { bytes, drive, feedings, latin1, type Feeding } from '../_support/bytes.ts';

// --- helpers ---------------------------------------------------------------

type Head = InformationalResponse | ResponseEvent;

/** Read one head from `message` in every feeding; all must agree and leave the trailing data. */
function head(message: string, maxHeaderSize = DEFAULT_MAX_HEADER_SIZE): Head {
  let first: Head | undefined;
  for (const feeding of feedings(message)) {
    const buf = new ReceiveBuffer();
    const events = drive(feeding.chunks, (c) => buf.append(c), () => readResponseHead(buf, maxHeaderSize), () => true);
    assert.is(events.length, 1, feeding.name);
    const event = events[0]!;
    assert.is(latin1(buf.take(buf.length)), latin1(feeding.trailing), `${feeding.name}: trailing data untouched`);
    if (first === undefined) first = event;
    else assert.equal(summarizeHead(event), summarizeHead(first), feeding.name);
  }
  return first!;
}

function summarizeHead(h: Head): unknown {
  return [h.type, h.statusCode, h.reasonPhrase, h.httpVersion, h.headers.raw];
}

/** Every feeding of `message` must throw a RemoteProtocolError matching `pattern`. */
function headFails(message: string, pattern: RegExp, maxHeaderSize = DEFAULT_MAX_HEADER_SIZE): void {
  for (const feeding of feedings(message)) {
    const buf = new ReceiveBuffer();
    assert.throws(
      () => drive(feeding.chunks, (c) => buf.append(c), () => readResponseHead(buf, maxHeaderSize), () => true),
      (err: unknown) => err instanceof RemoteProtocolError && pattern.test(err.message),
      `${feeding.name}: ${JSON.stringify(message)}`,
    );
  }
}

/** Body events as strings, adjacent Data merged (splits may cut Data differently). */
function summarize(events: Array<Data | EndOfMessage>): string[] {
  const out: string[] = [];
  for (const e of events) {
    const last = out.length - 1;
    if (e.type === 'Data') {
      if (out[last]?.startsWith('Data:')) out[last] += latin1(e.data);
      else out.push(`Data:${latin1(e.data)}`);
    } else {
      out.push(`EndOfMessage${e.trailers.size > 0 ? JSON.stringify(e.trailers.raw) : ''}`);
    }
  }
  return out;
}

interface BodyRun {
  events: string[];
  leftover: string;
}

function runBody(make: () => BodyReader, feeding: Feeding, eof: boolean): BodyRun {
  const buf = new ReceiveBuffer();
  const reader = make();
  const events = drive(feeding.chunks, (c) => buf.append(c), () => reader.read(buf), (e) => e.type === 'EndOfMessage');
  if (eof && events.at(-1)?.type !== 'EndOfMessage') events.push(reader.readEof());
  return { events: summarize(events), leftover: latin1(buf.take(buf.length)) };
}

/** Read a body from `message` in every feeding (with trailing data unless it is read until EOF). */
function body(make: () => BodyReader, message: string, expected: string[], eof = false): void {
  for (const feeding of feedings(message)) {
    if (eof && feeding.trailing.length > 0) continue; // a body read to EOF swallows whatever follows
    const run = runBody(make, feeding, eof);
    assert.equal(run.events, expected, feeding.name);
    assert.is(run.leftover, latin1(feeding.trailing), `${feeding.name}: trailing data untouched`);
  }
}

function bodyFails(make: () => BodyReader, message: string, pattern: RegExp, eof = false): void {
  for (const feeding of feedings(message)) {
    if (eof && feeding.trailing.length > 0) continue;
    assert.throws(
      () => runBody(make, feeding, eof),
      (err: unknown) => err instanceof RemoteProtocolError && pattern.test(err.message),
      `${feeding.name}: ${JSON.stringify(message)}`,
    );
  }
}

function response(statusCode: number, fields: Array<[string, string]>, httpVersion: '1.0' | '1.1' = '1.1'): ResponseEvent {
  return { type: 'Response', statusCode, reasonPhrase: '', httpVersion, headers: new Headers(fields) };
}

// --- status line -------------------------------------------------------------

test('a simple response head, whole, byte by byte and with trailing data', () => {
  const h = head('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\n');
  assert.is(h.type, 'Response');
  assert.is(h.statusCode, 200);
  assert.is(h.reasonPhrase, 'OK');
  assert.is(h.httpVersion, '1.1');
  assert.equal(h.headers.raw, [['Content-Type', 'text/plain'], ['Content-Length', '5']]);
});

test('reason phrase may be empty, with or without its SP', () => {
  assert.is(head('HTTP/1.1 204 \r\n\r\n').reasonPhrase, '');
  assert.is(head('HTTP/1.1 204\r\n\r\n').reasonPhrase, '');
});

test('reason phrase keeps spaces, tabs and obs-text', () => {
  assert.is(head('HTTP/1.1 404 Not \tHere \xe9\r\n\r\n').reasonPhrase, 'Not \tHere \xe9');
});

test('HTTP/1.0 is 1.0; a later 1.x minor is read as 1.1', () => {
  assert.is(head('HTTP/1.0 200 OK\r\n\r\n').httpVersion, '1.0');
  assert.is(head('HTTP/1.2 200 OK\r\n\r\n').httpVersion, '1.1');
});

test('another major version is refused', () => {
  headFails('HTTP/2.0 200 OK\r\n\r\n', /unsupported HTTP version/);
});

test('malformed status lines are refused', () => {
  for (const line of ['HTTP/1.1 20 OK', 'HTTP/1.1 2000 OK', 'HTTP/1.1  200 OK', 'HTTP/1.1 2x0 OK', 'HTTP/11 200 OK', 'HTTP/1.1 200 O\x01K', 'HTTP/1.1']) {
    headFails(`${line}\r\n\r\n`, /malformed status line/);
  }
});

test('a status code below 100 is refused; 6xx–9xx are tolerated', () => {
  headFails('HTTP/1.1 099 Odd\r\n\r\n', /invalid status code: 99/);
  assert.is(head('HTTP/1.1 999 Request Denied\r\n\r\n').statusCode, 999);
});

test('a peer that does not speak HTTP fails at its first wrong byte, not at the size limit', () => {
  headFails('http/1.1 200 OK\r\n\r\n', /does not start with "HTTP\/"/);
  const buf = new ReceiveBuffer();
  buf.append(new Uint8Array([0x16]));
  assert.throws(() => readResponseHead(buf, DEFAULT_MAX_HEADER_SIZE), /byte 0 is 0x16/);
});

test('a blank line before the status line is refused', () => {
  headFails('\r\nHTTP/1.1 200 OK\r\n\r\n', /does not start with "HTTP\/" \(byte 0 is 0xd\)/);
});

test('1xx responses are InformationalResponse; 101 is refused', () => {
  const h = head('HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n');
  assert.is(h.type, 'InformationalResponse');
  assert.is(h.statusCode, 103);
  assert.is(h.headers.get('link'), '</a.css>; rel=preload');
  assert.is(head('HTTP/1.1 100 Continue\r\n\r\n').type, 'InformationalResponse');
  headFails('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n', /101 Switching Protocols is not supported/);
});

// --- header fields -----------------------------------------------------------

test('field values are trimmed of OWS; empty values are kept', () => {
  const h = head('HTTP/1.1 200 OK\r\nA:   x  y \t\r\nB:\r\nC: \r\n\r\n');
  assert.equal(h.headers.raw, [['A', 'x  y'], ['B', ''], ['C', '']]);
});

test('obs-fold continuation lines are unfolded into one SP', () => {
  const h = head('HTTP/1.1 200 OK\r\nX: a\r\n  b\r\n\tc \r\nY:\r\n z\r\nZ: q\r\n   \r\n\r\n');
  assert.equal(h.headers.raw, [['X', 'a b c'], ['Y', 'z'], ['Z', 'q']]);
});

test('an obs-fold before any field is refused', () => {
  headFails('HTTP/1.1 200 OK\r\n folded: x\r\n\r\n', /continuation line/);
});

test('bare LF line endings are tolerated, mixed with CRLF too', () => {
  const h = head('HTTP/1.1 200 OK\nA: 1\r\nB: 2\n\n');
  assert.equal(h.headers.raw, [['A', '1'], ['B', '2']]);
  assert.equal(head('HTTP/1.1 200 OK\r\nA: 1\n\r\n').headers.raw, [['A', '1']]);
});

test('field names must be tokens, with no space before the colon', () => {
  for (const line of ['X : a', 'X a', ': a', 'X\x01: a', 'Spa ce: a', '\xe9: a']) {
    headFails(`HTTP/1.1 200 OK\r\n${line}\r\n\r\n`, /malformed field line/);
  }
});

test('NUL or a bare CR in a value is refused; obs-text is kept', () => {
  headFails('HTTP/1.1 200 OK\r\nX: a\0b\r\n\r\n', /NUL or a bare CR/);
  headFails('HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n', /NUL or a bare CR/);
  headFails('HTTP/1.1 200 OK\r\nX: a\r\r\n\r\n', /NUL or a bare CR/);
  headFails('HTTP/1.1 200 OK\r\nX: a\r\n b\0\r\n\r\n', /NUL or a bare CR/);
  assert.is(head('HTTP/1.1 200 OK\r\nX: caf\xe9\xff\r\n\r\n').headers.get('x'), 'caf\xe9\xff');
});

test('parseFieldLines reads a trailer-style block on its own', () => {
  assert.equal(parseFieldLines('A: 1\r\nB: 2\r\n\r\n', 0).raw, [['A', '1'], ['B', '2']]);
  assert.is(parseFieldLines('\r\n', 0).size, 0);
});

// --- the header size limit ---------------------------------------------------

test('a head of exactly maxHeaderSize bytes is accepted; one byte more is refused', () => {
  const base = 'HTTP/1.1 200 OK\r\nX: \r\n\r\n';
  const exact = `HTTP/1.1 200 OK\r\nX: ${'a'.repeat(100 - base.length)}\r\n\r\n`;
  assert.is(exact.length, 100);
  assert.is(head(exact, 100).statusCode, 200);
  headFails(`HTTP/1.1 200 OK\r\nX: ${'a'.repeat(101 - base.length)}\r\n\r\n`, /exceeds 100 bytes/, 100);
});

test('an endless header section fails at the limit, with bounded memory', () => {
  const buf = new ReceiveBuffer();
  const line = bytes(`X-Filler: ${'f'.repeat(1000)}\r\n`);
  buf.append(bytes('HTTP/1.1 200 OK\r\n'));
  let fedBytes = 0;
  let error: unknown;
  for (let i = 0; i < 1000 && error === undefined; i++) {
    buf.append(line);
    fedBytes += line.length;
    try {
      assert.is(readResponseHead(buf, DEFAULT_MAX_HEADER_SIZE), null);
    } catch (err) {
      error = err;
    }
  }
  assert.instance(error, RemoteProtocolError);
  assert.match((error as Error).message, /exceeds 65536 bytes/);
  // Stopped within one chunk of the limit: never buffered more than that.
  assert.ok(buf.length <= DEFAULT_MAX_HEADER_SIZE + line.length, `buffered ${buf.length}`);
  assert.ok(fedBytes < DEFAULT_MAX_HEADER_SIZE + line.length);
});

// --- framing (RFC 9112 §6.3) -------------------------------------------------

function framing(method: string, r: ResponseEvent): Framing {
  return responseFraming(method, r);
}

test('step 1: HEAD, 1xx, 204 and 304 have no body whatever the headers say', () => {
  assert.equal(framing('HEAD', response(200, [['Content-Length', '10']])), { type: 'none' });
  assert.equal(framing('GET', response(204, [['Content-Length', '10']])), { type: 'none' });
  assert.equal(framing('GET', response(304, [['Transfer-Encoding', 'chunked']])), { type: 'none' });
  assert.equal(framing('GET', response(100, [['Content-Length', '3']])), { type: 'none' });
  assert.equal(framing('HEAD', response(200, [['Content-Length', 'garbage']])), { type: 'none' });
});

test('step 3: Transfer-Encoding chunked overrides Content-Length, and the connection must then close', () => {
  assert.equal(framing('GET', response(200, [['Transfer-Encoding', 'chunked']])), { type: 'chunked', mustClose: false });
  assert.equal(framing('GET', response(200, [['Transfer-Encoding', 'chunked'], ['Content-Length', '5']])), { type: 'chunked', mustClose: true });
  assert.equal(framing('GET', response(200, [['Content-Length', 'nonsense'], ['Transfer-Encoding', 'chunked']])), { type: 'chunked', mustClose: true });
});

test('step 4: chunked must be the last coding, else read until close', () => {
  assert.equal(framing('GET', response(200, [['Transfer-Encoding', 'gzip, Chunked']])), { type: 'chunked', mustClose: false });
  assert.equal(framing('GET', response(200, [['Transfer-Encoding', 'gzip'], ['Transfer-Encoding', 'chunked']])), { type: 'chunked', mustClose: false });
  assert.equal(framing('GET', response(200, [['Transfer-Encoding', 'chunked, gzip']])), { type: 'close' });
  assert.equal(framing('GET', response(200, [['Transfer-Encoding', 'gzip'], ['Content-Length', '3']])), { type: 'close' });
  assert.equal(framing('GET', response(200, [['Transfer-Encoding', '']])), { type: 'close' });
});

test('Transfer-Encoding in an HTTP/1.0 response is faulty framing: read until close', () => {
  assert.equal(framing('GET', response(200, [['Transfer-Encoding', 'chunked'], ['Content-Length', '5']], '1.0')), { type: 'close' });
});

test('step 5–6: Content-Length, repeated identical values collapse', () => {
  assert.equal(framing('GET', response(200, [['Content-Length', '5']])), { type: 'length', length: 5 });
  assert.equal(framing('GET', response(200, [['Content-Length', '5, 5']])), { type: 'length', length: 5 });
  assert.equal(framing('GET', response(200, [['Content-Length', '5'], ['content-length', ' 5 ']])), { type: 'length', length: 5 });
  assert.equal(framing('GET', response(200, [['Content-Length', '0']])), { type: 'length', length: 0 });
});

test('step 5: conflicting or invalid Content-Length is an error', () => {
  const bad: Array<Array<[string, string]>> = [
    [['Content-Length', '5, 6']],
    [['Content-Length', '5'], ['Content-Length', '6']],
    [['Content-Length', 'abc']],
    [['Content-Length', '-1']],
    [['Content-Length', '+5']],
    [['Content-Length', '']],
    [['Content-Length', '5,']],
    [['Content-Length', '1e3']],
    [['Content-Length', '99999999999999999999']],
    [['Content-Length', '9007199254740993']],
  ];
  for (const fields of bad) {
    assert.throws(() => framing('GET', response(200, fields)), (e: unknown) => e instanceof RemoteProtocolError, JSON.stringify(fields));
  }
  assert.throws(() => framing('GET', response(200, [['Content-Length', '5, 6']])), /conflicting Content-Length values: 5 and 6/);
});

test('step 8: no declared length means read until close', () => {
  assert.equal(framing('GET', response(200, [])), { type: 'close' });
});

test('bodyReader picks the reader for each framing', () => {
  assert.instance(bodyReader({ type: 'none' }, 1, 1), ContentLengthReader);
  assert.instance(bodyReader({ type: 'length', length: 3 }, 1, 1), ContentLengthReader);
  assert.instance(bodyReader({ type: 'chunked', mustClose: false }, 1, 1), ChunkedReader);
  assert.instance(bodyReader({ type: 'close' }, 1, 1), UntilCloseReader);
});

// --- Content-Length bodies ---------------------------------------------------

test('a Content-Length body stops at its length', () => {
  body(() => new ContentLengthReader(5), 'hello', ['Data:hello', 'EndOfMessage']);
  body(() => new ContentLengthReader(0), '', ['EndOfMessage']);
});

test('a Content-Length body cut short by EOF reports the byte counts', () => {
  bodyFails(() => new ContentLengthReader(100), 'x'.repeat(12), /peer closed connection after 12 of 100 body bytes/, true);
  bodyFails(() => new ContentLengthReader(5), '', /after 0 of 5 body bytes/, true);
});

test('Data events are views into the received bytes, not copies', () => {
  const chunk = bytes('abcdef');
  const buf = new ReceiveBuffer();
  buf.append(chunk);
  const event = new ContentLengthReader(6).read(buf) as Data;
  assert.is(event.data.buffer, chunk.buffer);
});

// --- read until close ----------------------------------------------------------

test('a body read until close ends cleanly at EOF', () => {
  body(() => new UntilCloseReader(), 'everything until the end', ['Data:everything until the end', 'EndOfMessage'], true);
  body(() => new UntilCloseReader(), '', ['EndOfMessage'], true);
});

// --- chunked bodies --------------------------------------------------------------

const chunked = () => new ChunkedReader();

test('chunked: sizes in hex (either case), extensions ignored', () => {
  body(chunked, '5\r\nhello\r\n6;name=value;flag\r\n world\r\nA\r\n0123456789\r\n0\r\n\r\n', ['Data:hello world0123456789', 'EndOfMessage']);
  body(chunked, 'a\r\n0123456789\r\n0\r\n\r\n', ['Data:0123456789', 'EndOfMessage']);
  body(chunked, '5 ; ext = "quoted;value"\r\nhello\r\n000\r\n\r\n', ['Data:hello', 'EndOfMessage']);
  body(chunked, '0\r\n\r\n', ['EndOfMessage']);
});

test('chunked: trailers are parsed and exposed on EndOfMessage', () => {
  body(chunked, '3\r\nabc\r\n0\r\nX-Checksum: 42\r\nX-Other:  two \r\n\r\n', [
    'Data:abc',
    'EndOfMessage[["X-Checksum","42"],["X-Other","two"]]',
  ]);
  body(chunked, '0\r\nX: 1\n\n', ['EndOfMessage[["X","1"]]']);
});

test('chunked: the CRLF after chunk data is checked', () => {
  bodyFails(chunked, '3\r\nabcX\r\n0\r\n\r\n', /chunk 1 is not followed by CRLF/);
  bodyFails(chunked, '3\r\nabc\rX0\r\n\r\n', /chunk 1 is not followed by CRLF/);
  bodyFails(chunked, '3\r\nabc\n0\r\n\r\n', /not followed by CRLF/);
});

test('chunked: the chunk-size line must end with CRLF and hold a hex size', () => {
  bodyFails(chunked, '3\nabc\r\n0\r\n\r\n', /does not end with CRLF/);
  bodyFails(chunked, '\nabc', /does not end with CRLF/);
  bodyFails(chunked, 'zz\r\nabc\r\n0\r\n\r\n', /does not start with a hex number/);
  bodyFails(chunked, ';ext\r\n', /does not start with a hex number/);
  bodyFails(chunked, '3x\r\nabc\r\n0\r\n\r\n', /junk after the size/);
  bodyFails(chunked, '-3\r\nabc\r\n', /does not start with a hex number/);
});

test('chunked: a chunk size too large for a safe integer is refused, not wrapped', () => {
  bodyFails(chunked, '20000000000000\r\n', /chunk size too large/);
  bodyFails(chunked, 'ffffffffffffffffffffffff\r\n', /chunk size too large/);
  // The largest safe size parses (and then simply waits for its data).
  const buf = new ReceiveBuffer();
  const reader = new ChunkedReader();
  buf.append(bytes('1fffffffffffff\r\n'));
  assert.is(reader.read(buf), null);
  assert.is(reader.phase, 'DATA');
});

test('chunked: endless chunk extensions fail at the line limit, with bounded memory', () => {
  const buf = new ReceiveBuffer();
  const reader = new ChunkedReader(DEFAULT_MAX_HEADER_SIZE, 1024);
  const piece = bytes(';x=' + 'y'.repeat(97));
  buf.append(bytes('5'));
  let error: unknown;
  for (let i = 0; i < 10_000 && error === undefined; i++) {
    buf.append(piece);
    try {
      assert.is(reader.read(buf), null);
    } catch (err) {
      error = err;
    }
  }
  assert.instance(error, RemoteProtocolError);
  assert.match((error as Error).message, /chunk-size line exceeds 1024 bytes/);
  assert.ok(buf.length <= 1024 + piece.length);
  // A complete but over-long line is refused too.
  bodyFails(() => new ChunkedReader(DEFAULT_MAX_HEADER_SIZE, 16), `5;${'e'.repeat(20)}\r\nhello\r\n0\r\n\r\n`, /exceeds 16 bytes/);
});

test('chunked: a trailer section over the limit is refused', () => {
  bodyFails(() => new ChunkedReader(64), `0\r\nX: ${'t'.repeat(100)}\r\n\r\n`, /trailer section exceeds 64 bytes/);
  bodyFails(() => new ChunkedReader(64), `0\r\nX: ${'t'.repeat(100)}`, /trailer section exceeds 64 bytes/);
});

test('chunked: a premature EOF says where, with byte counts', () => {
  bodyFails(chunked, '5\r\nhello\r\n4\r\nab', /in the middle of chunk 2 \(2 of 4 bytes\), after 7 body bytes/, true);
  bodyFails(chunked, '5\r\nhel', /in the middle of chunk 1 \(3 of 5 bytes\), after 3 body bytes/, true);
  bodyFails(chunked, '5\r\nhello\r\n4', /in the middle of a chunk-size line \(chunk 2\), after 5 body bytes/, true);
  bodyFails(chunked, '', /in the middle of a chunk-size line \(chunk 1\), after 0 body bytes/, true);
  bodyFails(chunked, '5\r\nhello', /before the CRLF ending chunk 1/, true);
  bodyFails(chunked, '5\r\nhello\r', /before the CRLF ending chunk 1/, true);
  bodyFails(chunked, '0\r\nX: 1\r\n', /before the end of the trailer section/, true);
  bodyFails(chunked, '0\r\n', /before the end of the trailer section/, true);
});

test.run();
