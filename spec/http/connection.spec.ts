import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ClientConnection } from '../../lib/http/connection.ts';
import { LocalProtocolError, RemoteProtocolError } from '../../lib/http/errors.ts';
import { NEED_DATA, PAUSED, type ReceivedEvent } from '../../lib/http/events.ts';
import type { RequestInit } from '../../lib/http/writers.ts';
import { bytes, drive, feedings, latin1, type Feeding } from '../_support/bytes.ts';

// --- helpers ---------------------------------------------------------------

const GET: RequestInit = { method: 'GET', target: '/', headers: [['Host', 'example.com']] };

/** One line per event, adjacent Data merged. */
function summarize(events: ReceivedEvent[]): string[] {
  const out: string[] = [];
  for (const e of events) {
    const last = out.length - 1;
    switch (e.type) {
      case 'Data':
        if (out[last]?.startsWith('Data:')) out[last] += latin1(e.data);
        else out.push(`Data:${latin1(e.data)}`);
        break;
      case 'Response':
      case 'InformationalResponse':
        out.push(`${e.type} ${e.statusCode} ${e.reasonPhrase}`);
        break;
      case 'EndOfMessage':
        out.push(e.trailers.size > 0 ? `EndOfMessage ${JSON.stringify(e.trailers.raw)}` : 'EndOfMessage');
        break;
      default:
        out.push(e.type);
    }
  }
  return out;
}

/** Pull events until NEED_DATA / PAUSED (exclusive). */
function pullAll(conn: ClientConnection): ReceivedEvent[] {
  const events: ReceivedEvent[] = [];
  for (;;) {
    const e = conn.nextEvent();
    if (e === NEED_DATA || e === PAUSED) return events;
    events.push(e);
    if (e.type === 'ConnectionClosed') return events;
  }
}

interface Exchange {
  conn: ClientConnection;
  events: string[];
}

/** Send `request`, feed `response` as `feeding` says, read to EndOfMessage; then EOF if asked. */
function exchange(feeding: Feeding, request: RequestInit = GET, eof = false, conn = new ClientConnection()): Exchange {
  conn.sendRequest(request);
  const events = drive(
    feeding.chunks,
    (c) => conn.receiveData(c),
    () => {
      const e = conn.nextEvent();
      return e === NEED_DATA ? null : e;
    },
    (e) => e.type === 'EndOfMessage',
  );
  if (eof) {
    conn.receiveData(null);
    events.push(...pullAll(conn));
  }
  return { conn, events: summarize(events) };
}

/** Every feeding gives `expected`; `check` sees each connection afterwards. */
function everyFeeding(
  response: string,
  expected: string[],
  check: (conn: ClientConnection, feeding: Feeding) => void = () => {},
  request: RequestInit = GET,
): void {
  for (const feeding of feedings(response)) {
    const { conn, events } = exchange(feeding, request);
    assert.equal(events, expected, feeding.name);
    check(conn, feeding);
  }
}

function remoteError(pattern: RegExp, closedBeforeResponse = false) {
  return (err: unknown) =>
    err instanceof RemoteProtocolError && pattern.test(err.message) && err.closedBeforeResponse === closedBeforeResponse;
}

function localError(pattern: RegExp) {
  return (err: unknown) => err instanceof LocalProtocolError && pattern.test(err.message);
}

// --- a keep-alive exchange ---------------------------------------------------

test('a Content-Length response on a keep-alive connection, then the next cycle', () => {
  everyFeeding('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello', ['Response 200 OK', 'Data:hello', 'EndOfMessage'], (conn, feeding) => {
    if (feeding.trailing.length === 0) {
      assert.is(conn.ourState, 'DONE');
      assert.is(conn.theirState, 'DONE');
      assert.ok(conn.isReusable(), feeding.name);
      assert.is(conn.nextEvent(), PAUSED);
      conn.startNextCycle();
      assert.is(conn.ourState, 'IDLE');
      assert.is(conn.theirState, 'IDLE');
      assert.ok(conn.isReusable());
      const second = exchange(feedings('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n')[0]!, GET, false, conn);
      assert.equal(second.events, ['Response 404 Not Found', 'EndOfMessage']);
    }
  });
});

test('bytes after a response that would be reused make the connection unusable, never a response', () => {
  everyFeeding('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok', ['Response 200 OK', 'Data:ok', 'EndOfMessage'], (conn, feeding) => {
    if (feeding.trailing.length === 0) return;
    assert.is(conn.theirState, 'MUST_CLOSE', feeding.name);
    assert.is(conn.ourState, 'MUST_CLOSE');
    assert.not.ok(conn.isReusable());
    assert.is(conn.nextEvent(), NEED_DATA); // waiting for the close, not parsing the junk
    assert.throws(() => conn.startNextCycle(), localError(/not in a reusable state/));
    conn.receiveData(null);
    assert.equal(summarize(pullAll(conn)), ['ConnectionClosed']);
    assert.is(conn.theirState, 'CLOSED');
  });
});

test('bytes arriving later, after the response was complete, also make it unusable', () => {
  const conn = exchange(feedings('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n')[0]!).conn;
  assert.ok(conn.isReusable());
  conn.receiveData(bytes('HTTP/1.1 200 OK\r\n\r\n'));
  assert.not.ok(conn.isReusable());
  assert.is(conn.theirState, 'MUST_CLOSE');
});

test('bytes on an idle connection (no request sent) make it unusable and are not parsed', () => {
  const conn = new ClientConnection();
  conn.receiveData(bytes('HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n'));
  assert.not.ok(conn.isReusable());
  assert.is(conn.nextEvent(), NEED_DATA);
  assert.throws(() => conn.sendRequest(GET), localError(/connection not reusable/));
});

test('Data events are views of the received chunk, not copies', () => {
  const conn = new ClientConnection();
  conn.sendRequest(GET);
  const chunk = bytes('HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc');
  conn.receiveData(chunk);
  assert.is(conn.nextEvent().type, 'Response');
  const data = conn.nextEvent();
  assert.is(data.type, 'Data');
  if (data.type === 'Data') assert.is(data.data.buffer, chunk.buffer);
});

// --- what ends keep-alive ----------------------------------------------------

test('Connection: close in the response: not reusable, trailing bytes ignored', () => {
  everyFeeding('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok', ['Response 200 OK', 'Data:ok', 'EndOfMessage'], (conn) => {
    assert.is(conn.theirState, 'MUST_CLOSE');
    assert.is(conn.ourState, 'MUST_CLOSE');
    assert.not.ok(conn.isReusable());
    conn.receiveData(bytes('more junk')); // ignored
    assert.is(conn.nextEvent(), NEED_DATA);
  });
});

test('Connection: close in our request: not reusable', () => {
  const request: RequestInit = { ...GET, headers: [['Host', 'a'], ['Connection', 'close']] };
  const conn = new ClientConnection();
  conn.sendRequest(request);
  assert.is(conn.ourState, 'MUST_CLOSE');
  conn.receiveData(bytes('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'));
  assert.equal(summarize(pullAll(conn)), ['Response 200 OK', 'EndOfMessage']);
  assert.is(conn.theirState, 'MUST_CLOSE');
  assert.not.ok(conn.isReusable());
});

test('HTTP/1.0 responses close unless they say keep-alive', () => {
  everyFeeding('HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok', ['Response 200 OK', 'Data:ok', 'EndOfMessage'], (conn) => {
    assert.not.ok(conn.isReusable());
  });
  everyFeeding('HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 2\r\n\r\nok', ['Response 200 OK', 'Data:ok', 'EndOfMessage'], (conn, f) => {
    assert.is(conn.isReusable(), f.trailing.length === 0, f.name);
  });
});

test('a body read until close: ends at EOF, then ConnectionClosed; never reusable', () => {
  for (const feeding of feedings('HTTP/1.1 200 OK\r\n\r\nall of it').filter((f) => f.trailing.length === 0)) {
    const { conn, events } = exchange(feeding, GET, true);
    assert.equal(events, ['Response 200 OK', 'Data:all of it', 'EndOfMessage', 'ConnectionClosed'], feeding.name);
    assert.is(conn.theirState, 'CLOSED');
    assert.is(conn.ourState, 'MUST_CLOSE');
    assert.not.ok(conn.isReusable());
  }
});

test('a response framed by a non-chunked Transfer-Encoding is read until close', () => {
  const { events, conn } = exchange(feedings('HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nContent-Length: 3\r\n\r\nzzzzz')[1]!, GET, true);
  assert.equal(events, ['Response 200 OK', 'Data:zzzzz', 'EndOfMessage', 'ConnectionClosed']);
  assert.not.ok(conn.isReusable());
});

test('chunked with Content-Length: read as chunked, then not reusable', () => {
  everyFeeding(
    'HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n',
    ['Response 200 OK', 'Data:abc', 'EndOfMessage'],
    (conn) => assert.not.ok(conn.isReusable()),
  );
});

test('a chunked response with trailers on a keep-alive connection', () => {
  everyFeeding(
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nwiki\r\n5;x=y\r\npedia\r\n0\r\nExpires: never\r\n\r\n',
    ['Response 200 OK', 'Data:wikipedia', 'EndOfMessage [["Expires","never"]]'],
    (conn, f) => assert.is(conn.isReusable(), f.trailing.length === 0, f.name),
  );
});

// --- bodiless responses ------------------------------------------------------

test('a response to HEAD has no body, whatever its Content-Length', () => {
  everyFeeding('HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n', ['Response 200 OK', 'EndOfMessage'], (conn, f) => {
    assert.is(conn.isReusable(), f.trailing.length === 0);
  }, { ...GET, method: 'HEAD' });
});

test('204 and 304 have no body, whatever their headers', () => {
  everyFeeding('HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n', ['Response 204 No Content', 'EndOfMessage']);
  everyFeeding('HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n', ['Response 304 Not Modified', 'EndOfMessage']);
});

test('interim 1xx responses come first, then the final response', () => {
  everyFeeding(
    'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx',
    ['InformationalResponse 100 Continue', 'InformationalResponse 103 Early Hints', 'Response 200 OK', 'Data:x', 'EndOfMessage'],
  );
});

test('101 Switching Protocols is refused: the peer is then in ERROR', () => {
  const conn = new ClientConnection();
  conn.sendRequest(GET);
  conn.receiveData(bytes('HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n'));
  assert.throws(() => conn.nextEvent(), remoteError(/101/));
  assert.is(conn.theirState, 'ERROR');
  assert.throws(() => conn.nextEvent(), remoteError(/peer's state is ERROR/));
  assert.not.ok(conn.isReusable());
  conn.receiveData(bytes('ignored')); // nothing is buffered any more
});

// --- premature EOF -----------------------------------------------------------

test('EOF before any byte of the response is recognisable (closedBeforeResponse)', () => {
  const conn = new ClientConnection();
  conn.sendRequest(GET);
  assert.is(conn.nextEvent(), NEED_DATA);
  conn.receiveData(null);
  assert.throws(() => conn.nextEvent(), remoteError(/without sending a response \(0 bytes received\)/, true));
  assert.is(conn.theirState, 'ERROR');
});

test('EOF in the middle of the head gives the byte count, and is not closedBeforeResponse', () => {
  for (const feeding of feedings('HTTP/1.1 200 OK\r\nContent-Le').filter((f) => f.trailing.length === 0)) {
    assert.throws(() => exchange(feeding, GET, true), remoteError(/before the response headers were complete \(27 bytes received\)/), feeding.name);
  }
});

test('EOF after an interim response is not closedBeforeResponse', () => {
  const conn = new ClientConnection();
  conn.sendRequest(GET);
  conn.receiveData(bytes('HTTP/1.1 100 Continue\r\n\r\n'));
  conn.receiveData(null);
  assert.is(conn.nextEvent().type, 'InformationalResponse');
  assert.throws(() => conn.nextEvent(), remoteError(/\(0 bytes received\)/, false));
});

test('EOF in the middle of a body gives the byte counts, never a short success', () => {
  for (const feeding of feedings(`HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n${'x'.repeat(12)}`).filter((f) => f.trailing.length === 0)) {
    assert.throws(() => exchange(feeding, GET, true), remoteError(/after 12 of 100 body bytes/), feeding.name);
  }
  for (const feeding of feedings('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel').filter((f) => f.trailing.length === 0)) {
    assert.throws(() => exchange(feeding, GET, true), remoteError(/in the middle of chunk 1 \(3 of 5 bytes\)/), feeding.name);
  }
});

test('EOF on an idle connection is ConnectionClosed, not an error', () => {
  const conn = new ClientConnection();
  assert.is(conn.nextEvent(), NEED_DATA);
  conn.receiveData(new Uint8Array(0));
  assert.not.ok(conn.isReusable());
  assert.equal(summarize([conn.nextEvent()]), ['ConnectionClosed']);
  assert.is(conn.theirState, 'CLOSED');
  assert.is(conn.ourState, 'MUST_CLOSE');
  assert.equal(summarize([conn.nextEvent()]), ['ConnectionClosed']); // and it stays so
  assert.throws(() => conn.sendRequest(GET), localError(/./));
});

test('EOF after a complete keep-alive response: ConnectionClosed, no reuse', () => {
  const conn = exchange(feedings('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n')[0]!).conn;
  conn.receiveData(null);
  assert.not.ok(conn.isReusable());
  assert.throws(() => conn.startNextCycle(), localError(/peer has closed/));
  assert.equal(summarize([conn.nextEvent()]), ['ConnectionClosed']);
  assert.is(conn.ourState, 'MUST_CLOSE');
});

test('data after EOF is a local error; a repeated EOF is fine', () => {
  const conn = new ClientConnection();
  conn.receiveData(null);
  conn.receiveData(null);
  assert.throws(() => conn.receiveData(bytes('x')), localError(/after EOF/));
});

// --- protocol errors ---------------------------------------------------------

test('a malformed response puts the peer in ERROR for good', () => {
  const conn = new ClientConnection();
  conn.sendRequest(GET);
  conn.receiveData(bytes('HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\n'));
  assert.throws(() => conn.nextEvent(), remoteError(/conflicting Content-Length/));
  assert.is(conn.theirState, 'ERROR');
  assert.not.ok(conn.isReusable());
});

test('maxHeaderSize is configurable', () => {
  const conn = new ClientConnection({ maxHeaderSize: 64 });
  conn.sendRequest(GET);
  conn.receiveData(bytes(`HTTP/1.1 200 OK\r\nX: ${'a'.repeat(60)}`));
  assert.throws(() => conn.nextEvent(), remoteError(/exceeds 64 bytes/));
});

test('maxChunkLineSize is configurable', () => {
  const conn = new ClientConnection({ maxChunkLineSize: 8 });
  conn.sendRequest(GET);
  conn.receiveData(bytes('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;abcdefghij'));
  assert.is(conn.nextEvent().type, 'Response');
  assert.throws(() => conn.nextEvent(), remoteError(/exceeds 8 bytes/));
});

// --- our side: requests and streamed bodies ----------------------------------

test('sendRequest returns the bytes; a whole body completes the request', () => {
  const conn = new ClientConnection();
  const out = conn.sendRequest({ method: 'POST', target: '/p', headers: [['Host', 'h']], body: bytes('hi') });
  assert.is(latin1(out), 'POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nhi');
  assert.is(conn.ourState, 'DONE');
  assert.is(conn.theirState, 'SEND_RESPONSE');
});

test('a streamed chunked body: SEND_BODY until sendEndOfMessage', () => {
  const conn = new ClientConnection();
  const head = conn.sendRequest({ method: 'POST', target: '/', headers: [['Host', 'h']], chunked: true });
  assert.match(latin1(head), /Transfer-Encoding: chunked\r\n\r\n$/);
  assert.is(conn.ourState, 'SEND_BODY');
  assert.is(latin1(conn.sendData(bytes('abc'))), '3\r\nabc\r\n');
  assert.is(latin1(conn.sendEndOfMessage([['X-Sum', '1']])), '0\r\nX-Sum: 1\r\n\r\n');
  assert.is(conn.ourState, 'DONE');
  assert.throws(() => conn.sendData(bytes('late')), localError(/can't send Data when our state is DONE/));
});

test('a streamed Content-Length body must match its length exactly', () => {
  const conn = new ClientConnection();
  conn.sendRequest({ method: 'PUT', target: '/', headers: [['Host', 'h'], ['Content-Length', '4']] });
  const piece = bytes('ab');
  assert.is(conn.sendData(piece), piece);
  assert.throws(() => conn.sendData(bytes('cde')), localError(/longer than its Content-Length of 4 \(5 bytes\)/));
  assert.is(conn.ourState, 'ERROR');
  assert.not.ok(conn.isReusable());

  const short = new ClientConnection();
  short.sendRequest({ method: 'PUT', target: '/', headers: [['Host', 'h'], ['Content-Length', '4']] });
  short.sendData(bytes('ab'));
  assert.throws(() => short.sendEndOfMessage(), localError(/shorter than its Content-Length \(2 of 4 bytes\)/));
  assert.is(short.ourState, 'ERROR');
});

test('the server may answer before our body is finished; reuse waits for both sides', () => {
  const conn = new ClientConnection();
  conn.sendRequest({ method: 'POST', target: '/', headers: [['Host', 'h']], chunked: true });
  conn.receiveData(bytes('HTTP/1.1 413 Too Large\r\nContent-Length: 0\r\n\r\n'));
  assert.equal(summarize(pullAll(conn)), ['Response 413 Too Large', 'EndOfMessage']);
  assert.is(conn.theirState, 'DONE');
  assert.not.ok(conn.isReusable());
  conn.sendEndOfMessage();
  assert.ok(conn.isReusable());
});

test('invalid requests throw LocalProtocolError and change nothing', () => {
  const conn = new ClientConnection();
  assert.throws(() => conn.sendRequest({ method: 'GET', target: '/a b', headers: [['Host', 'h']] }), localError(/./));
  assert.throws(() => conn.sendRequest({ method: 'GET', target: '/', headers: [['Host', 'h'], ['X', 'a\r\nEvil: 1']] }), localError(/./));
  assert.throws(() => conn.sendRequest({ method: 'CONNECT', target: 'h:443', headers: [['Host', 'h']] }), /CONNECT/);
  assert.is(conn.ourState, 'IDLE');
  assert.is(conn.theirState, 'IDLE');
  conn.sendRequest(GET);
  assert.throws(() => conn.sendRequest(GET), localError(/can't send a request now \(ours DONE, theirs SEND_RESPONSE\)/));
  assert.throws(() => conn.sendEndOfMessage(), localError(/no streamed body in progress/));
  assert.throws(() => conn.startNextCycle(), localError(/both must be DONE/));
});

// --- robustness ----------------------------------------------------------------

const PIECES = [
  'HTTP/1.1 200 OK\r\n', 'HTTP/1.0 100 Continue\r\n', 'Content-Length: 3\r\n', 'Content-Length: 3, 4\r\n',
  'Transfer-Encoding: chunked\r\n', 'Connection: close\r\n', ' folded\r\n', 'X: \0\r\n', '\r\n', '\n',
  '3\r\n', 'abc', '\r', 'ffffffffffffffffff\r\n', '0\r\n', ';ext', 'T: 1\r\n', '\xff', 'HTTP/2', ':',
];

test('any mix of response fragments gives events or RemoteProtocolError, never another error', () => {
  fc.assert(
    fc.property(fc.array(fc.constantFrom(...PIECES), { maxLength: 12 }), fc.integer({ min: 1, max: 9 }), fc.boolean(), (pieces, step, eof) => {
      const conn = new ClientConnection();
      conn.sendRequest(GET);
      const data = bytes(pieces.join(''));
      try {
        for (let i = 0; i < data.length; i += step) {
          conn.receiveData(data.subarray(i, i + step));
          pullAll(conn);
        }
        if (eof) {
          conn.receiveData(null);
          pullAll(conn);
        }
      } catch (err) {
        if (!(err instanceof RemoteProtocolError)) throw err;
        assert.is(conn.theirState, 'ERROR');
      }
    }),
    { numRuns: 2000, seed: 5 },
  );
});

test.run();
