/**
 * Step 10 of docs/walkthrough.md — the sans-IO HTTP/1.1 parser: bytes in, events out.
 * Real code: lib/http/connection.ts → ClientConnection; lib/http/state.ts →
 * ProtocolState; lib/http/readers.ts → ChunkedReader.
 *
 * No socket anywhere: the same response is fed whole and one byte at a time, and must
 * give the same events.
 */
import { ClientConnection } from '../../lib/http/connection.ts';
import type { ReceivedEvent } from '../../lib/http/events.ts';

const response = new TextEncoder().encode(
  'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n' +
    '5\r\nhello\r\n7\r\n, world\r\n0\r\n\r\n',
);

function describe(event: ReceivedEvent): string {
  switch (event.type) {
    case 'Response': return `Response ${event.statusCode} ${event.reasonPhrase}`;
    case 'Data': return `Data "${new TextDecoder().decode(event.data)}"`;
    default: return event.type;
  }
}

/** Sends a GET, feeds `chunks` one per NEED_DATA, and returns the events (NEED_DATA counted). */
function exchange(chunks: Uint8Array[]): { events: string[]; needData: number; conn: ClientConnection } {
  const conn = new ClientConnection();
  conn.sendRequest({ method: 'GET', target: '/', headers: [['Host', 'example.com']] }); // bytes for the socket
  const events: string[] = [];
  let needData = 0;
  for (;;) {
    const event = conn.nextEvent();
    if (event.type === 'NEED_DATA') {
      needData++;
      conn.receiveData(chunks.shift() ?? null);
    } else {
      // Data events from a byte-by-byte feed are one byte each: merge them for printing.
      const text = describe(event);
      const last = events[events.length - 1];
      if (event.type === 'Data' && last?.startsWith('Data "')) events[events.length - 1] = last.slice(0, -1) + text.slice(6);
      else events.push(text);
      if (event.type === 'EndOfMessage') return { events, needData, conn };
    }
  }
}

const whole = exchange([response]);
const bytewise = exchange([...response].map((b) => Uint8Array.of(b)));
console.log('whole:    ', whole.events.join(' | '), `(NEED_DATA ×${whole.needData})`);
console.log('bytewise: ', bytewise.events.join(' | '), `(NEED_DATA ×${bytewise.needData})`);
console.log('same events:', whole.events.join() === bytewise.events.join());
console.log('states after:', whole.conn.ourState, '/', whole.conn.theirState, '— reusable:', whole.conn.isReusable());

// A premature EOF is never a short success: the error carries the byte counts.
const short = new ClientConnection();
short.sendRequest({ method: 'GET', target: '/', headers: [['Host', 'example.com']] });
short.receiveData(new TextEncoder().encode('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc'));
short.receiveData(null); // the peer closed
try {
  for (let e = short.nextEvent(); ; e = short.nextEvent()) console.log('event:', describe(e));
} catch (err) {
  console.log(`${(err as Error).name}: ${(err as Error).message}`);
}

// expect:
// whole:     Response 200 OK | Data "hello, world" | EndOfMessage (NEED_DATA ×1)
// bytewise:  Response 200 OK | Data "hello, world" | EndOfMessage (NEED_DATA ×100)
// same events: true
// states after: DONE / DONE — reusable: true
// event: Response 200 OK
// event: Data "abc"
// RemoteProtocolError: peer closed connection after 3 of 10 body bytes
