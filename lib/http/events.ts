/**
 * The events of an HTTP/1.1 exchange — h11's `_events.py`.
 *
 * A sans-IO connection turns bytes into these and these into bytes. They are
 * plain objects discriminated by `type`, so a `switch (event.type)` narrows
 * them, and creating one costs a single allocation (the reader makes one per
 * response and per body chunk). The two sentinels `NEED_DATA` and `PAUSED` are
 * frozen singletons with a `type` too, so they fit the same switch.
 *
 * Which side produces what (client role):
 *   we send     Request, Data, EndOfMessage        (connection.sendRequest / sendData / sendEndOfMessage)
 *   we receive  InformationalResponse*, Response, Data*, EndOfMessage, ConnectionClosed
 */
import type { Headers } from './headers.ts';

/** The minor versions we speak; anything newer in 1.x is read as 1.1 (RFC 9110 §2.5). */
export type HTTPVersion = '1.0' | '1.1';

/**
 * A request head, as the client sends it. h11's `Request` event; named `RequestEvent` here
 * (its `type` tag stays `'Request'`) so as not to share a name with models.ts's Request.
 */
export interface RequestEvent {
  readonly type: 'Request';
  readonly method: string;
  readonly target: string;
  readonly headers: Headers;
  readonly httpVersion: HTTPVersion;
}

/**
 * A final (non-1xx) response head. Its body, if any, follows as Data events. h11's
 * `Response` event (`type: 'Response'`), apart from models.ts's Response.
 */
export interface ResponseEvent {
  readonly type: 'Response';
  readonly statusCode: number;
  readonly reasonPhrase: string;
  readonly httpVersion: HTTPVersion;
  readonly headers: Headers;
}

/**
 * An interim 1xx response (100 Continue, 103 Early Hints): it has no body and
 * the final Response follows on the same exchange. Most callers skip it.
 */
export interface InformationalResponse {
  readonly type: 'InformationalResponse';
  readonly statusCode: number;
  readonly reasonPhrase: string;
  readonly httpVersion: HTTPVersion;
  readonly headers: Headers;
}

/**
 * A piece of body. `data` is a view into the bytes handed to `receiveData`
 * (or into the receive buffer), not a copy: it stays valid as long as the
 * caller does not overwrite the array it passed in.
 */
export interface Data {
  readonly type: 'Data';
  readonly data: Uint8Array;
}

/** The body is complete. `trailers` are the chunked trailer fields (empty otherwise). */
export interface EndOfMessage {
  readonly type: 'EndOfMessage';
  readonly trailers: Headers;
}

/** The peer closed its side cleanly, at a point where that ends nothing early. */
export interface ConnectionClosed {
  readonly type: 'ConnectionClosed';
}

/** Sentinel: the parser needs more bytes (or EOF) before it can produce an event. */
export interface NeedData {
  readonly type: 'NEED_DATA';
}

/**
 * Sentinel: the peer's message is DONE; nothing more will be read until
 * `startNextCycle()` (keep-alive) or the connection is closed.
 */
export interface Paused {
  readonly type: 'PAUSED';
}

/** The one `NEED_DATA` object: compare with `===` or switch on `.type`. */
export const NEED_DATA: NeedData = Object.freeze({ type: 'NEED_DATA' });

/** The one `PAUSED` object: compare with `===` or switch on `.type`. */
export const PAUSED: Paused = Object.freeze({ type: 'PAUSED' });

/** Everything `ClientConnection.nextEvent()` can return. */
export type ReceivedEvent =
  | InformationalResponse
  | ResponseEvent
  | Data
  | EndOfMessage
  | ConnectionClosed
  | NeedData
  | Paused;

/** The names of the events that move the state machine (the keys of `state.ts`'s tables). */
export type EventType = 'Request' | 'InformationalResponse' | 'Response' | 'Data' | 'EndOfMessage' | 'ConnectionClosed';
