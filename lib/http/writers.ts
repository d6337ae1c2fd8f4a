/**
 * Turning a request into bytes — h11's `_writers.py`, client side.
 *
 * `writeRequest` validates everything the caller supplied before producing a
 * single byte (so a failure leaves nothing half-sent), decides the body's
 * framing, and returns the head — with the whole body after it when the body
 * was given up front — plus, for a streamed body, a BodyWriter that frames
 * each later chunk. What we send is held to the strict grammar; what we
 * receive (readers.ts) is read with the tolerance RFC 9112 allows.
 *
 * The head is built as one string and encoded as latin1 once: every piece was
 * checked to hold only octets, and the encoding is then a straight copy.
 */
import { encodeLatin1, isFieldValue, isRequestTarget, isToken, trimOWS } from './abnf.ts';
import { LocalProtocolError } from './errors.ts';
import { Headers, commaTokens, contentLength, hasToken, type HeadersInit } from './headers.ts';

/** What the client asks to send. */
export interface RequestInit {
  /** A token, e.g. `GET`. CONNECT is refused: this connection does not tunnel. */
  method: string;
  /** The request-target, e.g. `/path?q=1` (origin-form) or an absolute URL for a proxy. */
  target: string;
  /** Must include exactly one `Host`. Content-Length / Transfer-Encoding may be given, must agree with the body. */
  headers: HeadersInit;
  /** The whole body, known up front; `null`/absent for no body or a streamed one. */
  body?: Uint8Array | null;
  /** Stream the body with `Transfer-Encoding: chunked` (through `sendData`). */
  chunked?: boolean;
}

/** Frames the chunks of a streamed body. */
export interface BodyWriter {
  /** Bytes to write for one more piece of body (possibly empty). */
  write(chunk: Uint8Array): Uint8Array;
  /** Bytes that end the body; throws if the body is incomplete. */
  end(trailers?: HeadersInit): Uint8Array;
}

/** The result of `writeRequest`. */
export interface WrittenRequest {
  /** The head, followed by the framed body when it was given up front. */
  bytes: Uint8Array;
  /** The writer for a streamed body, or `null` when the request is already complete. */
  body: BodyWriter | null;
  /** False if the request says `Connection: close`. */
  keepAlive: boolean;
}

const EMPTY = new Uint8Array(0);

/*
 * RFC 9110 §8.6: "A user agent SHOULD send Content-Length in a request when
 * the method defines a meaning for enclosed content and it is not sending
 * Transfer-Encoding." These are the methods that do, so an empty one still
 * says `Content-Length: 0` (as httpx and browsers do).
 */
const METHODS_WITH_CONTENT = new Set(['POST', 'PUT', 'PATCH']);

/** Validate and serialize a request head (and body, if given whole). Throws LocalProtocolError (TypeError for a value of the wrong type). */
export function writeRequest(init: RequestInit): WrittenRequest {
  const { method, target } = init;
  // Wrong types first: the grammar checks below read `.length`, so a non-string
  // would pass them vacuously and then be stringified into the head (injection).
  checkString('method', method);
  checkString('request target', target);
  if (init.body != null) checkBytes('body', init.body);
  if (!isToken(method)) throw new LocalProtocolError(`invalid method: ${JSON.stringify(method)}`);
  if (method === 'CONNECT') throw new LocalProtocolError('CONNECT (tunnelling) is not supported');
  if (!isRequestTarget(target)) {
    throw new LocalProtocolError(`invalid request target (whitespace, control or non-ASCII): ${JSON.stringify(target)}`);
  }
  const headers = init.headers instanceof Headers ? init.headers : new Headers(init.headers);
  const framing = requestFraming(method, headers, init.body ?? null, init.chunked ?? false);
  const head = `${method} ${target} HTTP/1.1\r\n${hostLine(headers)}${fieldLines(headers)}${framing.header}\r\n`;
  const keepAlive = !hasToken(headers, 'connection', 'close');
  const body = init.body ?? null;
  if (body === null) return { bytes: encodeLatin1(head), body: framing.writer, keepAlive };
  if (!framing.chunked) return { bytes: encodeLatin1(head, body), body: null, keepAlive };
  // A whole body sent chunked (the caller asked for chunked): one chunk, then the last chunk.
  const bytes = body.length === 0
    ? encodeLatin1(`${head}0\r\n\r\n`)
    : encodeLatin1(`${head}${body.length.toString(16)}\r\n`, body, '\r\n0\r\n\r\n');
  return { bytes, body: null, keepAlive };
}

/*
 * RFC 9112 §3.2: "A client MUST send a Host header field in all HTTP/1.1
 * request messages." and a server MUST reject a request with more than one.
 * RFC 9110 §7.2: "a user agent SHOULD generate Host as the first field line
 * following the request-line."
 */
function hostLine(headers: Headers): string {
  let at = -1;
  for (let i = 0; i < headers.size; i++) {
    if (headers._lowerAt(i) !== 'host') continue;
    if (at !== -1) throw new LocalProtocolError('more than one Host header');
    at = i;
  }
  if (at === -1) throw new LocalProtocolError('missing Host header (required in HTTP/1.1)');
  return fieldLine(headers._nameAt(at), headers._valueAt(at));
}

/** Every field but Host and the framing fields (which are rewritten), in order. */
function fieldLines(headers: Headers): string {
  let out = '';
  for (let i = 0; i < headers.size; i++) {
    const lower = headers._lowerAt(i);
    if (lower === 'host' || lower === 'content-length' || lower === 'transfer-encoding') continue;
    out += fieldLine(headers._nameAt(i), headers._valueAt(i));
  }
  return out;
}

/*
 * RFC 9110 §5.1  field-name = token
 * RFC 9110 §5.5  field-value = *field-content (no CR, LF, NUL or other CTL)
 * Refusing CR and LF here is what makes header injection impossible: a value
 * can never end its line early and start a field (or a body) of its own.
 */
function fieldLine(name: string, value: string): string {
  checkString('header name', name);
  checkString(`value of header ${name}`, value);
  if (!isToken(name)) throw new LocalProtocolError(`invalid header name: ${JSON.stringify(name)}`);
  const trimmed = trimOWS(value);
  if (!isFieldValue(trimmed)) {
    throw new LocalProtocolError(`invalid value for header ${name} (CR, LF, NUL, control or non-latin1 character): ${JSON.stringify(value)}`);
  }
  return `${name}: ${trimmed}\r\n`;
}

/** A request's framing: the header line that declares it and the writer for a streamed body. */
interface RequestFraming {
  header: string;
  chunked: boolean;
  writer: BodyWriter | null;
}

/**
 * How the request body is framed (RFC 9112 §6.1–6.3, RFC 9110 §8.6). The
 * caller's own Content-Length / Transfer-Encoding fields are checked against
 * the body, then dropped and written again in canonical form.
 *
 * Step 1. "A sender MUST NOT send a Content-Length header field in any message
 *         that contains a Transfer-Encoding header field." Both given: error.
 *         Only the chunked coding can be applied here, so any other
 *         Transfer-Encoding is an error too.
 * Step 2. A whole body: chunked if asked for, else `Content-Length` — the
 *         caller's, if it matches the body's length, or computed.
 * Step 3. A streamed body: chunked if asked for (option or header), else the
 *         caller's `Content-Length`, which `sendData` must then meet exactly.
 * Step 4. No body at all: `Content-Length: 0` for methods that define
 *         content, no framing header for the others.
 */
function requestFraming(method: string, headers: Headers, body: Uint8Array | null, chunkedOption: boolean): RequestFraming {
  // Step 1
  const hasTE = headers.has('transfer-encoding');
  const codings = hasTE ? commaTokens(headers, 'transfer-encoding') : [];
  if (hasTE && (codings.length !== 1 || codings[0] !== 'chunked')) {
    throw new LocalProtocolError(`only "Transfer-Encoding: chunked" can be sent, got ${JSON.stringify(headers.get('transfer-encoding'))}`);
  }
  const declared = contentLength(headers, LocalProtocolError);
  const chunked = hasTE || chunkedOption;
  if (chunked && declared !== null) {
    throw new LocalProtocolError('Content-Length and Transfer-Encoding: chunked cannot both be sent');
  }
  if (chunked) return { header: 'Transfer-Encoding: chunked\r\n', chunked, writer: body === null ? new ChunkedWriter() : null };
  // Step 2
  if (body !== null) {
    if (declared !== null && declared !== body.length) {
      throw new LocalProtocolError(`Content-Length is ${declared} but the body has ${body.length} bytes`);
    }
    return { header: `Content-Length: ${body.length}\r\n`, chunked, writer: null };
  }
  // Step 3
  if (declared !== null) {
    return { header: `Content-Length: ${declared}\r\n`, chunked, writer: declared === 0 ? null : new ContentLengthWriter(declared) };
  }
  // Step 4
  return { header: METHODS_WITH_CONTENT.has(method) ? 'Content-Length: 0\r\n' : '', chunked, writer: null };
}

/**
 * A streamed body of declared length: chunks pass through unchanged.
 *
 * Invariant: `#remaining` is how many bytes the declared length still allows.
 */
export class ContentLengthWriter implements BodyWriter {
  readonly #length: number;
  #remaining: number;

  constructor(length: number) {
    this.#length = length;
    this.#remaining = length;
  }

  write(chunk: Uint8Array): Uint8Array {
    checkBytes('body chunk', chunk);
    if (chunk.length > this.#remaining) {
      throw new LocalProtocolError(
        `body longer than its Content-Length of ${this.#length} (${this.#length - this.#remaining + chunk.length} bytes)`,
      );
    }
    this.#remaining -= chunk.length;
    return chunk;
  }

  end(trailers?: HeadersInit): Uint8Array {
    if (this.#remaining !== 0) {
      throw new LocalProtocolError(`body shorter than its Content-Length (${this.#length - this.#remaining} of ${this.#length} bytes)`);
    }
    if (trailers !== undefined && new Headers(trailers).size > 0) {
      throw new LocalProtocolError('trailers can only be sent with a chunked body');
    }
    return EMPTY;
  }
}

/*
 * RFC 9112 §7.1 (see readers.ts for the grammar): each chunk is its size in
 * hex, CRLF, the data, CRLF; the body ends with the last chunk "0" CRLF, the
 * trailer fields, and CRLF.
 */

/** A streamed body of unknown length, sent as chunks. */
export class ChunkedWriter implements BodyWriter {
  write(chunk: Uint8Array): Uint8Array {
    checkBytes('body chunk', chunk);
    // A zero-size chunk would read as the last chunk: an empty write sends nothing.
    if (chunk.length === 0) return EMPTY;
    return encodeLatin1(`${chunk.length.toString(16)}\r\n`, chunk, '\r\n');
  }

  end(trailers?: HeadersInit): Uint8Array {
    let fields = '';
    if (trailers !== undefined) {
      const h = trailers instanceof Headers ? trailers : new Headers(trailers);
      for (let i = 0; i < h.size; i++) fields += fieldLine(h._nameAt(i), h._valueAt(i));
    }
    return encodeLatin1(`0\r\n${fields}\r\n`);
  }
}

/** TypeError unless `value` is a string primitive (a String object or anything with a toString is refused). */
function checkString(what: string, value: unknown): asserts value is string {
  if (typeof value !== 'string') throw new TypeError(`${what} must be a string, got ${value === null ? 'null' : typeof value}`);
}

/** TypeError unless `value` is a Uint8Array (a string would be written as zero bytes). */
function checkBytes(what: string, value: unknown): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) throw new TypeError(`${what} must be a Uint8Array, got ${value === null ? 'null' : typeof value}`);
}
