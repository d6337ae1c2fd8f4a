/**
 * A sans-IO HTTP/1.1 client connection — h11's `_connection.py`, client role.
 *
 * "Sans-IO": this object never touches a socket, a timer or a Promise. The
 * caller moves bytes: whatever the `send*` methods return goes to the socket,
 * whatever the socket reads goes to `receiveData`, and `nextEvent` says what
 * those bytes meant. So the whole of HTTP/1.1 framing can be tested by
 * feeding byte strings, and the socket side (one connection, the pool) is
 * left with only I/O and timeouts to get right.
 *
 * ## API
 *
 * ```ts
 * const conn = new ClientConnection({ maxHeaderSize?, maxChunkLineSize? });
 * conn.sendRequest({ method, target, headers, body?, chunked? }): Uint8Array
 * conn.sendData(chunk): Uint8Array           // streamed bodies only (chunked, or a given Content-Length)
 * conn.sendEndOfMessage(trailers?): Uint8Array
 * conn.receiveData(bytes | null)             // null or empty = the peer closed (EOF)
 * conn.nextEvent(): InformationalResponse | Response | Data | EndOfMessage
 *                 | ConnectionClosed | NEED_DATA | PAUSED
 * conn.ourState / conn.theirState / conn.isReusable() / conn.startNextCycle()
 * ```
 *
 * A request given with `body` (or with no body) is complete when
 * `sendRequest` returns: our state is DONE. One sent with `chunked: true`, or
 * with a `Content-Length` header and no `body`, leaves us in SEND_BODY until
 * `sendEndOfMessage`.
 *
 * ## The `nextEvent()` contract
 *
 * It returns one event, or `NEED_DATA` ("call `receiveData` first"), or
 * `PAUSED` (the response is complete; nothing more is read until
 * `startNextCycle`), or throws a `RemoteProtocolError`, after which the peer's
 * state is ERROR and every later call throws too. The events of one exchange
 * are: any number of `InformationalResponse` (1xx, skip them unless you care),
 * one `Response`, any number of `Data`, one `EndOfMessage`.
 *
 * A premature EOF throws, with the byte counts in the message. One case is
 * singled out: EOF after our request was sent and before a single byte of
 * response arrived throws a `RemoteProtocolError` whose
 * `closedBeforeResponse` is true — on a reused keep-alive connection that is
 * the server's idle timeout racing our request, and the pool may retry once.
 * EOF while no request is outstanding is not an error: `ConnectionClosed`.
 *
 * ## Reuse
 *
 * Bytes the peer sends when no response is expected (after a complete
 * response, or before any request) are never parsed as a response, since no
 * request asked for one: they are dropped, and if the connection was to be
 * kept alive it is not any more (their state goes DONE → MUST_CLOSE). If it
 * was not going to be reused anyway (`Connection: close`, HTTP/1.0, a body
 * read until EOF), they are simply ignored.
 */
import { LocalProtocolError, RemoteProtocolError } from './errors.ts';
import type { ConnectionClosed, Data, EndOfMessage, InformationalResponse, ReceivedEvent, ResponseEvent } from './events.ts';
import { NEED_DATA, PAUSED } from './events.ts';
import { hasToken, type HeadersInit } from './headers.ts';
import {
  DEFAULT_MAX_CHUNK_LINE_SIZE,
  DEFAULT_MAX_HEADER_SIZE,
  bodyReader,
  readResponseHead,
  responseFraming,
  type BodyReader,
} from './readers.ts';
import { ReceiveBuffer } from './receivebuffer.ts';
import { ProtocolState, type ClientRoleState, type ServerRoleState } from './state.ts';
import { writeRequest, type BodyWriter, type RequestInit } from './writers.ts';

/** Limits of a {@link ClientConnection}. */
export interface ClientConnectionOptions {
  /** Largest response head (or trailer section) accepted, in bytes. Default 64 KiB. */
  maxHeaderSize?: number;
  /** Largest chunk-size line (extensions included), in bytes. Default 4 KiB. */
  maxChunkLineSize?: number;
}

const CONNECTION_CLOSED: ConnectionClosed = Object.freeze({ type: 'ConnectionClosed' });

/**
 * The client side of one HTTP/1.1 connection, as a state machine over bytes.
 *
 * Invariants:
 * - `#state.client` is ours, `#state.server` theirs (see state.ts).
 * - `#bodyWriter` is non-null exactly while our state is SEND_BODY.
 * - `#bodyReader` is non-null exactly while their state is SEND_BODY.
 * - `#requestMethod` is the method of the request being answered (it decides
 *   whether a body follows, RFC 9112 §6.3 step 1); null between exchanges.
 * - `#buf` holds only bytes of the response being read: bytes arriving when
 *   their state is not SEND_RESPONSE or SEND_BODY are never buffered.
 * - `#responseBytes` counts bytes received since the request was sent.
 * - `#eof` is true once the peer has closed its side; it never goes back.
 *
 * @example
 * const conn = new ClientConnection();
 * socket.write(conn.sendRequest({ method: 'GET', target: '/', headers: [['Host', 'example.com']] }));
 * for (;;) {
 *   const event = conn.nextEvent();
 *   if (event.type === 'NEED_DATA') conn.receiveData(await readSomeBytes());  // null at EOF
 *   else if (event.type === 'Data') chunks.push(event.data);
 *   else if (event.type === 'EndOfMessage') break;
 * }
 * if (conn.isReusable()) conn.startNextCycle(); else socket.end();
 */
export class ClientConnection {
  readonly #state = new ProtocolState();
  readonly #buf = new ReceiveBuffer();
  readonly #maxHeaderSize: number;
  readonly #maxChunkLineSize: number;
  #requestMethod: string | null = null;
  #bodyWriter: BodyWriter | null = null;
  #bodyReader: BodyReader | null = null;
  #responseBytes = 0;
  #eof = false;

  constructor(options: ClientConnectionOptions = {}) {
    this.#maxHeaderSize = options.maxHeaderSize ?? DEFAULT_MAX_HEADER_SIZE;
    this.#maxChunkLineSize = options.maxChunkLineSize ?? DEFAULT_MAX_CHUNK_LINE_SIZE;
  }

  /** Our (the client's) state. */
  get ourState(): ClientRoleState {
    return this.#state.client;
  }

  /** Their (the server's) state. */
  get theirState(): ServerRoleState {
    return this.#state.server;
  }

  /**
   * True if another request may be sent on this connection: keep-alive still
   * holds, the peer has not closed, and both sides are between exchanges
   * (both DONE — call `startNextCycle()` — or both IDLE).
   */
  isReusable(): boolean {
    const { client, server, keepAlive } = this.#state;
    if (!keepAlive || this.#eof) return false;
    return (client === 'DONE' && server === 'DONE') || (client === 'IDLE' && server === 'IDLE');
  }

  /** Both sides are DONE and keep-alive holds: reset both to IDLE for the next request. */
  startNextCycle(): void {
    if (this.#eof) throw new LocalProtocolError('the peer has closed the connection; it cannot be reused');
    this.#state.startNextCycle();
    this.#requestMethod = null;
  }

  /**
   * Validate and serialize a request; returns the bytes to write. A body given
   * whole is included (and the request is then complete); a streamed body
   * follows through `sendData` / `sendEndOfMessage`. Invalid input throws a
   * LocalProtocolError and changes nothing.
   */
  sendRequest(init: RequestInit): Uint8Array {
    if (this.#state.client !== 'IDLE' || this.#state.server !== 'IDLE' || !this.#state.keepAlive) {
      throw new LocalProtocolError(
        `can't send a request now (ours ${this.#state.client}, theirs ${this.#state.server}` +
          `${this.#state.keepAlive ? '' : ', connection not reusable'})`,
      );
    }
    const written = writeRequest(init);
    this.#state.processEvent('client', 'Request');
    this.#requestMethod = init.method;
    this.#responseBytes = 0;
    if (!written.keepAlive) this.#state.processKeepAliveDisabled();
    if (written.body === null) this.#state.processEvent('client', 'EndOfMessage');
    else this.#bodyWriter = written.body;
    return written.bytes;
  }

  /**
   * Frame one more piece of a streamed body; returns the bytes to write. Going
   * past a declared Content-Length puts our side in ERROR.
   */
  sendData(chunk: Uint8Array): Uint8Array {
    const writer = this.#expectBodyWriter('Data');
    // SEND_BODY --Data--> SEND_BODY: nothing to record in the state machine.
    try {
      return writer.write(chunk);
    } catch (err) {
      this.#state.processError('client');
      throw err;
    }
  }

  /** End a streamed body (with trailers, if chunked); returns the bytes to write. */
  sendEndOfMessage(trailers?: HeadersInit): Uint8Array {
    const writer = this.#expectBodyWriter('EndOfMessage');
    let bytes: Uint8Array;
    try {
      bytes = writer.end(trailers);
    } catch (err) {
      this.#state.processError('client');
      throw err;
    }
    this.#bodyWriter = null;
    this.#state.processEvent('client', 'EndOfMessage');
    return bytes;
  }

  #expectBodyWriter(event: string): BodyWriter {
    if (this.#bodyWriter === null) {
      throw new LocalProtocolError(`can't send ${event} when our state is ${this.#state.client} (no streamed body in progress)`);
    }
    return this.#bodyWriter;
  }

  /**
   * Hand over bytes read from the socket; `null` or an empty array means the
   * peer closed (EOF). Bytes are kept by reference, not copied.
   */
  receiveData(data: Uint8Array | null): void {
    if (data === null || data.length === 0) {
      this.#eof = true;
      return;
    }
    if (this.#eof) throw new LocalProtocolError('received data after EOF');
    switch (this.#state.server) {
      case 'SEND_RESPONSE':
      case 'SEND_BODY':
        this.#responseBytes += data.length;
        this.#buf.append(data);
        return;
      case 'IDLE':
      case 'DONE':
        // Nobody asked for these bytes; whatever they are, this connection's
        // framing can no longer be trusted for another exchange.
        this.#state.processKeepAliveDisabled();
        return;
      default:
        // MUST_CLOSE, CLOSED, ERROR: the connection is finished; ignore.
        return;
    }
  }

  /** The next event; see the contract in the file header. */
  nextEvent(): ReceivedEvent {
    try {
      switch (this.#state.server) {
        case 'SEND_RESPONSE':
          return this.#readHead();
        case 'SEND_BODY':
          return this.#readBody();
        case 'DONE':
          return this.#eof ? this.#closed() : PAUSED;
        case 'ERROR':
          throw new RemoteProtocolError("can't read events: the peer's state is ERROR");
        default:
          // IDLE, MUST_CLOSE, CLOSED: nothing to read but the close itself.
          return this.#eof ? this.#closed() : NEED_DATA;
      }
    } catch (err) {
      this.#state.processError('server');
      throw err;
    }
  }

  #readHead(): InformationalResponse | ResponseEvent | typeof NEED_DATA {
    const head = readResponseHead(this.#buf, this.#maxHeaderSize);
    if (head === null) {
      if (this.#eof) throw this.#eofBeforeHead();
      return NEED_DATA;
    }
    if (head.type === 'InformationalResponse') {
      this.#state.processEvent('server', 'InformationalResponse');
      return head;
    }
    const framing = responseFraming(this.#requestMethod ?? 'GET', head);
    this.#state.processEvent('server', 'Response');
    this.#bodyReader = bodyReader(framing, this.#maxHeaderSize, this.#maxChunkLineSize);
    const untrusted = framing.type === 'close' || (framing.type === 'chunked' && framing.mustClose);
    if (untrusted || !responseKeepsAlive(head)) this.#state.processKeepAliveDisabled();
    return head;
  }

  #eofBeforeHead(): RemoteProtocolError {
    if (this.#responseBytes === 0) {
      return new RemoteProtocolError('peer closed connection without sending a response (0 bytes received)', {
        closedBeforeResponse: true,
      });
    }
    return new RemoteProtocolError(
      `peer closed connection before the response headers were complete (${this.#buf.length} bytes received)`,
    );
  }

  #readBody(): Data | EndOfMessage | typeof NEED_DATA {
    const reader = this.#bodyReader!;
    let event = reader.read(this.#buf);
    if (event === null) {
      if (!this.#eof) return NEED_DATA;
      event = reader.readEof();
    }
    // SEND_BODY --Data--> SEND_BODY needs no bookkeeping; EndOfMessage does.
    if (event.type === 'EndOfMessage') this.#endOfResponse();
    return event;
  }

  #endOfResponse(): void {
    this.#bodyReader = null;
    this.#state.processEvent('server', 'EndOfMessage');
    if (this.#buf.length > 0) {
      // Bytes past the end of the response: see "Reuse" in the file header.
      this.#buf.clear();
      this.#state.processKeepAliveDisabled();
    }
  }

  #closed(): ConnectionClosed {
    this.#state.processEvent('server', 'ConnectionClosed');
    return CONNECTION_CLOSED;
  }
}

/*
 * RFC 9112 §9.3: "If the "close" connection option is present, the connection
 * will not persist after the current response; else, If the received protocol
 * is HTTP/1.1 (or later), the connection will persist after the current
 * response; else, If the received protocol is HTTP/1.0, the "keep-alive"
 * connection option is present, [...] the connection will persist after the
 * current response; otherwise, The connection will close after the current
 * response."
 */
function responseKeepsAlive(response: ResponseEvent): boolean {
  if (hasToken(response.headers, 'connection', 'close')) return false;
  return response.httpVersion === '1.1' || hasToken(response.headers, 'connection', 'keep-alive');
}
