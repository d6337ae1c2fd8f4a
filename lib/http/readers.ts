/**
 * Turning received bytes into events — h11's `_readers.py`, response side.
 *
 * ## The reader contract
 *
 * Every reader is called with the receive buffer and returns one event, or
 * `null` for "need more data", or throws a RemoteProtocolError. It consumes
 * exactly the bytes of the event it returns and nothing on `null`, so it can
 * be called again after any append: the same bytes give the same events
 * whether they came whole, one at a time, or followed by the next message.
 * At EOF the connection calls `readEof()` once `read()` returns `null`: it
 * returns the final event if closing the connection is how the body ends,
 * and otherwise throws with the byte counts — a premature EOF is never
 * reported as a short success.
 *
 * What is read, in order: the response head (`readResponseHead`), which
 * framing its body uses (`responseFraming`, RFC 9112 §6.3 step by step), and
 * the body with one of three BodyReaders.
 */
import {
  CR,
  HTAB,
  LF,
  SP,
  hasDangerousChar,
  hexValue,
  isDigit,
  isFieldValue,
  isToken,
  trimOWS,
} from './abnf.ts';
import { RemoteProtocolError } from './errors.ts';
import type { Data, EndOfMessage, HTTPVersion, InformationalResponse, ResponseEvent } from './events.ts';
import { Headers, commaTokens, contentLength } from './headers.ts';
import type { ReceiveBuffer } from './receivebuffer.ts';

/** Default bound on a response head (status line + fields), and on a trailer section. */
export const DEFAULT_MAX_HEADER_SIZE = 64 * 1024;

/** Default bound on a chunk-size line, extensions included. */
export const DEFAULT_MAX_CHUNK_LINE_SIZE = 4 * 1024;

// ---------------------------------------------------------------------------
// The head
// ---------------------------------------------------------------------------

const HTTP_SLASH = [0x48, 0x54, 0x54, 0x50, 0x2f]; // "HTTP/"

/**
 * Read a response head once all of it has arrived.
 *
 * The head is found first (a blank line, by the buffer's resumable search),
 * then decoded as latin1 in one go and parsed as a string: one decode per
 * head, no per-byte string building. While it is incomplete its size is
 * checked against `maxHeaderSize` on every call, so a peer that never ends
 * its header section is stopped at the limit, with at most one socket chunk
 * beyond it in memory.
 */
export function readResponseHead(buf: ReceiveBuffer, maxHeaderSize: number): InformationalResponse | ResponseEvent | null {
  checkStartsLikeAResponse(buf);
  const end = buf.findBlankLine();
  if (end === -1) {
    if (buf.length > maxHeaderSize) {
      throw new RemoteProtocolError(`response header section exceeds ${maxHeaderSize} bytes`);
    }
    return null;
  }
  if (end > maxHeaderSize) {
    throw new RemoteProtocolError(`response header section exceeds ${maxHeaderSize} bytes (${end} bytes)`);
  }
  const text = buf.decode(0, end);
  buf.skip(end);
  return parseHead(text);
}

/**
 * Fail early on a peer that does not speak HTTP/1.x at all (a TLS server on a
 * plain-text port answers with binary): no need to wait for 64 KiB of it.
 */
function checkStartsLikeAResponse(buf: ReceiveBuffer): void {
  const n = Math.min(buf.length, HTTP_SLASH.length);
  for (let i = 0; i < n; i++) {
    if (buf.at(i) !== HTTP_SLASH[i]) {
      throw new RemoteProtocolError(`response does not start with "HTTP/" (byte ${i} is 0x${buf.at(i).toString(16)})`);
    }
  }
}

/** A decoded head: its status line, its field lines, the blank line. */
function parseHead(text: string): InformationalResponse | ResponseEvent {
  const lf = text.indexOf('\n');
  const lineEnd = lf > 0 && text.charCodeAt(lf - 1) === CR ? lf - 1 : lf;
  const { httpVersion, statusCode, reasonPhrase } = parseStatusLine(text.slice(0, lineEnd));
  const headers = parseFieldLines(text, lf + 1);
  // RFC 9110 §15.2.2: 101 switches the connection to another protocol; we never ask to.
  if (statusCode === 101) throw new RemoteProtocolError('101 Switching Protocols is not supported');
  const type = statusCode < 200 ? 'InformationalResponse' : 'Response';
  return { type, statusCode, reasonPhrase, httpVersion, headers };
}

/*
 * RFC 9112 §4
 *   status-line   = HTTP-version SP status-code SP [ reason-phrase ]
 *   status-code   = 3DIGIT
 *   reason-phrase = 1*( HTAB / SP / VCHAR / obs-text )
 * RFC 9112 §2.3
 *   HTTP-version  = HTTP-name "/" DIGIT "." DIGIT
 *   HTTP-name     = %s"HTTP"
 * "A client SHOULD ignore the reason-phrase content", so it is only checked
 * for CTLs. Some servers omit the SP before an empty reason ("HTTP/1.1 200");
 * that is tolerated.
 */
function parseStatusLine(line: string): { httpVersion: HTTPVersion; statusCode: number; reasonPhrase: string } {
  const ok =
    line.startsWith('HTTP/') &&
    isDigit(line.charCodeAt(5)) &&
    line.charCodeAt(6) === 0x2e &&
    isDigit(line.charCodeAt(7)) &&
    line.charCodeAt(8) === SP &&
    isDigit(line.charCodeAt(9)) &&
    isDigit(line.charCodeAt(10)) &&
    isDigit(line.charCodeAt(11)) &&
    (line.length === 12 || line.charCodeAt(12) === SP);
  const reasonPhrase = line.slice(13);
  if (!ok || !isFieldValue(reasonPhrase)) {
    throw new RemoteProtocolError(`malformed status line: ${JSON.stringify(line.slice(0, 100))}`);
  }
  // RFC 9110 §2.5: a different major version is a different protocol.
  if (line.charCodeAt(5) !== 0x31) {
    throw new RemoteProtocolError(`unsupported HTTP version: ${line.slice(0, 8)}`);
  }
  const statusCode = Number(line.slice(9, 12));
  // RFC 9110 §15: "Values outside the range 100..599 are invalid"; we tolerate 6xx–9xx as extensions.
  if (statusCode < 100) throw new RemoteProtocolError(`invalid status code: ${statusCode}`);
  const httpVersion: HTTPVersion = line.charCodeAt(7) === 0x30 ? '1.0' : '1.1';
  return { httpVersion, statusCode, reasonPhrase };
}

/*
 * RFC 9112 §5
 *   field-line = field-name ":" OWS field-value OWS
 * §5.1: "No whitespace is allowed between the field name and colon."
 * §5.2: obs-fold = OWS CRLF RWS — "A user agent that receives an obs-fold in
 * a response message [...] MUST replace each received obs-fold with one or
 * more SP octets prior to interpreting the field value."
 * §2.2: "a recipient MAY recognize a single LF as a line terminator and ignore
 * any preceding CR" — we do, as h11 does.
 */

/**
 * Parse the field lines of a decoded header or trailer section, from `pos`
 * up to and including its blank line (which the caller guarantees is there).
 * Exported for the trailer reader and the specs.
 */
export function parseFieldLines(text: string, pos: number): Headers {
  const names: string[] = [];
  const lower: string[] = [];
  const values: string[] = [];
  for (;;) {
    const lf = text.indexOf('\n', pos);
    const lineEnd = lf > pos && text.charCodeAt(lf - 1) === CR ? lf - 1 : lf;
    if (lineEnd === pos) break; // the blank line
    const first = text.charCodeAt(pos);
    if (first === SP || first === HTAB) {
      if (values.length === 0) throw new RemoteProtocolError('continuation line (obs-fold) before any field');
      const last = values.length - 1;
      values[last] = unfold(values[last]!, checkedValue(text.slice(pos, lineEnd)));
    } else {
      const colon = text.indexOf(':', pos);
      const name = colon === -1 || colon > lineEnd ? '' : text.slice(pos, colon);
      if (!isToken(name)) throw new RemoteProtocolError(`malformed field line: ${JSON.stringify(text.slice(pos, Math.min(lineEnd, pos + 100)))}`);
      names.push(name);
      lower.push(name.toLowerCase());
      values.push(checkedValue(text.slice(colon + 1, lineEnd)));
    }
    pos = lf + 1;
  }
  return Headers._fromParsed(names, lower, values);
}

function checkedValue(raw: string): string {
  const value = trimOWS(raw);
  if (hasDangerousChar(value)) throw new RemoteProtocolError(`field value contains NUL or a bare CR: ${JSON.stringify(value.slice(0, 100))}`);
  return value;
}

function unfold(value: string, continuation: string): string {
  if (continuation.length === 0) return value;
  return value.length === 0 ? continuation : `${value} ${continuation}`;
}

// ---------------------------------------------------------------------------
// Framing
// ---------------------------------------------------------------------------

/** How a response body ends: not at all, after n bytes, at the last chunk, or at EOF. */
export type Framing =
  | { readonly type: 'none' }
  | { readonly type: 'length'; readonly length: number }
  | { readonly type: 'chunked'; readonly mustClose: boolean }
  | { readonly type: 'close' };

/**
 * The framing of a response's body, in the order of RFC 9112 §6.3 ("Message
 * Body Length"). `requestMethod` is the method of the request it answers.
 *
 * Step 1. "Any response to a HEAD request and any response with a 1xx
 *         (Informational), 204 (No Content), or 304 (Not Modified) status
 *         code is always terminated by the first empty line after the header
 *         fields" — whatever the headers say.
 * Step 2. "Any 2xx (Successful) response to a CONNECT request implies that
 *         the connection will become a tunnel" — unreachable: we refuse to
 *         send CONNECT (state.ts, no protocol switching).
 * Step 3. "If a message is received with both a Transfer-Encoding and a
 *         Content-Length header field, the Transfer-Encoding overrides the
 *         Content-Length. Such a message might indicate an attempt to perform
 *         request smuggling [...]" — so we read it by Transfer-Encoding and
 *         then close the connection rather than trust its framing again.
 * Step 4. "If a Transfer-Encoding header field is present in a response and
 *         the chunked transfer coding is not the final encoding, the message
 *         body length is determined by reading the connection until it is
 *         closed by the server." If chunked is final, the body is chunked.
 * Step 5. "If a message is received without Transfer-Encoding and with an
 *         invalid Content-Length header field, then the message framing is
 *         invalid" — an error (conflicting values included).
 * Step 6. A valid Content-Length is the body length in octets.
 * Step 7. (requests only: no length means no body.)
 * Step 8. "Otherwise, this is a response message without a declared message
 *         body length, so the message body length is determined by the
 *         number of octets received prior to the server closing the connection."
 */
export function responseFraming(requestMethod: string, response: ResponseEvent): Framing {
  const { statusCode, headers } = response;
  // Step 1
  if (requestMethod === 'HEAD' || statusCode < 200 || statusCode === 204 || statusCode === 304) {
    return { type: 'none' };
  }
  // Step 3–4
  if (headers.has('transfer-encoding')) {
    const codings = commaTokens(headers, 'transfer-encoding');
    // RFC 9112 §6.1: Transfer-Encoding in an HTTP/1.0 message means "the framing
    // is faulty, even if a Content-Length is present": trust neither, read to EOF.
    if (response.httpVersion === '1.0') return { type: 'close' };
    if (codings[codings.length - 1] === 'chunked') {
      return { type: 'chunked', mustClose: headers.has('content-length') };
    }
    return { type: 'close' };
  }
  // Step 5–6
  const length = contentLength(headers, RemoteProtocolError);
  if (length !== null) return { type: 'length', length };
  // Step 8
  return { type: 'close' };
}

// ---------------------------------------------------------------------------
// Bodies
// ---------------------------------------------------------------------------

/** Reads one body; see the reader contract at the top of this file. */
export interface BodyReader {
  /** The next Data or the EndOfMessage, or `null` for "need more data". */
  read(buf: ReceiveBuffer): Data | EndOfMessage | null;
  /** The peer closed and `read` returned `null`: the final event, or a throw. */
  readEof(): EndOfMessage;
}

/** The reader for a framing (`none` is a zero-length body). */
export function bodyReader(framing: Framing, maxHeaderSize: number, maxChunkLineSize: number): BodyReader {
  switch (framing.type) {
    case 'none':
      return new ContentLengthReader(0);
    case 'length':
      return new ContentLengthReader(framing.length);
    case 'chunked':
      return new ChunkedReader(maxHeaderSize, maxChunkLineSize);
    case 'close':
      return new UntilCloseReader();
  }
}

function endOfMessage(trailers = new Headers()): EndOfMessage {
  return { type: 'EndOfMessage', trailers };
}

/**
 * A body of exactly `length` bytes.
 *
 * Invariant: `#remaining` is how many body bytes are still to come; at 0 the
 * next `read` returns EndOfMessage.
 */
export class ContentLengthReader implements BodyReader {
  readonly #length: number;
  #remaining: number;

  constructor(length: number) {
    this.#length = length;
    this.#remaining = length;
  }

  read(buf: ReceiveBuffer): Data | EndOfMessage | null {
    if (this.#remaining === 0) return endOfMessage();
    const n = Math.min(this.#remaining, buf.length);
    if (n === 0) return null;
    this.#remaining -= n;
    return { type: 'Data', data: buf.take(n) };
  }

  readEof(): EndOfMessage {
    const received = this.#length - this.#remaining;
    throw new RemoteProtocolError(`peer closed connection after ${received} of ${this.#length} body bytes`);
  }
}

/** A body that ends when the peer closes the connection (RFC 9112 §6.3 steps 4 and 8). */
export class UntilCloseReader implements BodyReader {
  read(buf: ReceiveBuffer): Data | null {
    return buf.length === 0 ? null : { type: 'Data', data: buf.take(buf.length) };
  }

  readEof(): EndOfMessage {
    return endOfMessage();
  }
}

/** Where a ChunkedReader is in `chunked-body`. */
export type ChunkedPhase = 'SIZE' | 'DATA' | 'DATA_CRLF' | 'TRAILERS';

/*
 * RFC 9112 §7.1
 *   chunked-body   = *chunk
 *                    last-chunk
 *                    trailer-section
 *                    CRLF
 *   chunk          = chunk-size [ chunk-ext ] CRLF
 *                    chunk-data CRLF
 *   chunk-size     = 1*HEXDIG
 *   last-chunk     = 1*("0") [ chunk-ext ] CRLF
 *   chunk-data     = 1*OCTET ; a sequence of chunk-size octets
 * §7.1.1
 *   chunk-ext      = *( BWS ";" BWS chunk-ext-name
 *                       [ BWS "=" BWS chunk-ext-val ] )
 * "A recipient MUST ignore unrecognized chunk extensions" — we recognise none,
 * but bound the line, since ignoring is not the same as buffering forever.
 * §7.1: "Recipients MUST anticipate potentially large hexadecimal numerals and
 * prevent parsing errors due to integer conversion overflows".
 */

/**
 * A chunked body.
 *
 * Invariant, by `#phase`:
 * - SIZE: expecting a chunk-size line; `#chunkSize`/`#remaining` are stale.
 * - DATA: `#remaining` (> 0) bytes of chunk number `#chunks` still to come.
 * - DATA_CRLF: the chunk's data is complete; its CRLF is next.
 * - TRAILERS: the last chunk was read; the trailer section and its blank line are next.
 * `#bodyBytes` counts the data bytes returned so far (for EOF messages).
 */
export class ChunkedReader implements BodyReader {
  readonly #maxTrailerSize: number;
  readonly #maxLineSize: number;
  #phase: ChunkedPhase = 'SIZE';
  #chunks = 0;
  #chunkSize = 0;
  #remaining = 0;
  #bodyBytes = 0;

  constructor(maxTrailerSize = DEFAULT_MAX_HEADER_SIZE, maxLineSize = DEFAULT_MAX_CHUNK_LINE_SIZE) {
    this.#maxTrailerSize = maxTrailerSize;
    this.#maxLineSize = maxLineSize;
  }

  /** Where in the chunked body the reader is (for tests and error messages). */
  get phase(): ChunkedPhase {
    return this.#phase;
  }

  read(buf: ReceiveBuffer): Data | EndOfMessage | null {
    for (;;) {
      switch (this.#phase) {
        case 'SIZE':
          if (!this.#readSizeLine(buf)) return null;
          break;
        case 'DATA':
          return this.#readData(buf);
        case 'DATA_CRLF':
          if (!this.#readDataCRLF(buf)) return null;
          break;
        case 'TRAILERS':
          return this.#readTrailers(buf);
      }
    }
  }

  readEof(): EndOfMessage {
    const where =
      this.#phase === 'SIZE' ? `in the middle of a chunk-size line (chunk ${this.#chunks + 1})`
      : this.#phase === 'DATA' ? `in the middle of chunk ${this.#chunks} (${this.#chunkSize - this.#remaining} of ${this.#chunkSize} bytes)`
      : this.#phase === 'DATA_CRLF' ? `before the CRLF ending chunk ${this.#chunks}`
      : 'before the end of the trailer section';
    throw new RemoteProtocolError(`peer closed connection ${where}, after ${this.#bodyBytes} body bytes`);
  }

  /** Consume a whole chunk-size line, or nothing. True if consumed. */
  #readSizeLine(buf: ReceiveBuffer): boolean {
    const lf = buf.findLineEnd();
    if (lf === -1 || lf >= this.#maxLineSize) {
      if (lf !== -1 || buf.length > this.#maxLineSize) {
        throw new RemoteProtocolError(`chunk-size line exceeds ${this.#maxLineSize} bytes (endless chunk extensions?)`);
      }
      return false;
    }
    if (lf === 0 || buf.at(lf - 1) !== CR) throw new RemoteProtocolError('chunk-size line does not end with CRLF');
    const size = parseChunkSize(buf, lf - 1);
    buf.skip(lf + 1);
    this.#chunkSize = size;
    this.#remaining = size;
    this.#chunks++;
    this.#phase = size === 0 ? 'TRAILERS' : 'DATA';
    return true;
  }

  #readData(buf: ReceiveBuffer): Data | null {
    const n = Math.min(this.#remaining, buf.length);
    if (n === 0) return null;
    this.#remaining -= n;
    this.#bodyBytes += n;
    if (this.#remaining === 0) this.#phase = 'DATA_CRLF';
    return { type: 'Data', data: buf.take(n) };
  }

  /** Consume the CRLF after chunk-data, or nothing. A wrong byte fails at once. */
  #readDataCRLF(buf: ReceiveBuffer): boolean {
    const bad = (buf.length >= 1 && buf.at(0) !== CR) || (buf.length >= 2 && buf.at(1) !== LF);
    if (bad) throw new RemoteProtocolError(`chunk ${this.#chunks} is not followed by CRLF (wrong chunk size?)`);
    if (buf.length < 2) return false;
    buf.skip(2);
    this.#phase = 'SIZE';
    return true;
  }

  #readTrailers(buf: ReceiveBuffer): EndOfMessage | null {
    const end = buf.findBlankLine();
    if (end === -1 ? buf.length > this.#maxTrailerSize : end > this.#maxTrailerSize) {
      throw new RemoteProtocolError(`trailer section exceeds ${this.#maxTrailerSize} bytes`);
    }
    if (end === -1) return null;
    const trailers = end <= 2 ? new Headers() : parseFieldLines(buf.decode(0, end), 0);
    buf.skip(end);
    return endOfMessage(trailers);
  }
}

/** The hex chunk-size at the start of the line `[0, end)`, extensions skipped. */
function parseChunkSize(buf: ReceiveBuffer, end: number): number {
  let size = 0;
  let i = 0;
  for (; i < end; i++) {
    const digit = hexValue(buf.at(i));
    if (digit === -1) break;
    if (size > (Number.MAX_SAFE_INTEGER - digit) / 16) throw new RemoteProtocolError('chunk size too large');
    size = size * 16 + digit;
  }
  if (i === 0) throw new RemoteProtocolError('chunk-size line does not start with a hex number');
  // What follows the size must be nothing or BWS then ";" (chunk-ext).
  while (i < end && (buf.at(i) === SP || buf.at(i) === HTAB)) i++;
  if (i < end && buf.at(i) !== 0x3b) throw new RemoteProtocolError('chunk-size line has junk after the size');
  return size;
}
