/**
 * Streams — asyncio/streams.py, on `node:net` and `node:tls` sockets.
 *
 * `openConnection()` gives a pair: a StreamReader to read bytes with coroutines
 * (`yield* reader.readline()`), and a StreamWriter to write them (`writer.write(b)`,
 * then `yield* writer.drain()` to respect back-pressure). `startServer()` runs a
 * coroutine per accepted connection with the same pair.
 *
 * ## Three layers, as in asyncio
 *
 *     Node socket ──events──▶ StreamProtocol ──feedData/feedEof/setException──▶ StreamReader
 *          ▲                       │ (drain, close and connect waiters)
 *          └──────write/end────── StreamWriter
 *
 * asyncio has a transport (the socket), a protocol (`StreamReaderProtocol`, which
 * receives the transport's callbacks) and the reader/writer pair on top. Here the
 * Node socket is the transport, and `StreamProtocol` holds the listeners, attached
 * once per connection for its whole life — including an `'error'` listener from the
 * first moment, so a socket error is never an unhandled `'error'` event: it is stored,
 * and the next read, write, drain or waitClosed throws it.
 *
 * ## Two worlds: Node callbacks and the loop
 *
 * Socket events arrive from Node, outside any loop iteration. They never run user
 * code: they only append bytes to the reader's buffer and complete futures. Completing
 * a future schedules its callbacks with `callSoon`, and `callSoon` between ticks wakes
 * the driver (driver.ts) — so the waiting task runs on the next tick, inside the loop.
 * A server's new connection likewise only schedules the handler's start with
 * `callSoon`.
 *
 * ## Counting I/O waits (why the deadlock report stays exact)
 *
 * The driver reports a deadlock when nothing is ready, no timer is armed and the loop
 * waits on no I/O. So every wait on a socket — a read waiting for data, a connect, a
 * drain, a waitClosed — calls `loop._ioRef()` before waiting and `loop._ioUnref()` in a
 * `finally`, exactly once however the wait ends (data, EOF, error, cancellation). A
 * listening server counts as one I/O source from `listen` to `close()`. A task waiting
 * on a socket is therefore never called deadlocked, and a reader fed by hand (no
 * socket) does not count: waiting on it is waiting on other tasks.
 *
 * Any other Node stream (a pipe, a file, a PassThrough) gets the same reader and writer
 * through openReadable, openWritable and openDuplex, in nodestreams.ts.
 *
 * ## The receive buffer: a list of chunks, not one growing array
 *
 * Node hands the socket's bytes over in chunks (fresh Buffers it never reuses). The
 * reader keeps them in a list (`ChunkBuffer`) instead of copying them into one array:
 *
 * - Appending is O(1): the chunk is pushed as is.
 * - Taking n bytes that lie in the first chunk copies nothing: the caller gets a
 *   `subarray` view (or the chunk itself). That is the common case — a `read(65536)`
 *   with one chunk buffered, an HTTP head that arrived whole. Only a read that spans
 *   chunks copies, and exactly the bytes it returns.
 * - Searching for a separator resumes where the last search stopped (`offset`, as in
 *   asyncio's `readuntil`), and finds the chunk holding that offset by walking back
 *   from the tail, so a line fed one byte at a time costs O(1) per byte, not O(n).
 *   Matches that straddle two chunks are checked byte by byte at the seams.
 *
 * The views share memory with Node's chunks: the buffer never writes to a chunk, and
 * `feedData(data)` takes `data` over — do not modify it afterwards. A view keeps its
 * whole chunk alive (at most one socket read, 64 KiB by default).
 *
 * ## Flow control (asyncio's `_maybe_resume_transport`)
 *
 * When more than 2 × limit bytes wait in the buffer, the reader pauses the socket (Node
 * stops reading from the kernel, and TCP's window makes the peer wait). Once a read
 * brings it back to `limit` or below, the socket resumes. A read that needs more than
 * is buffered resumes the socket before waiting, so a large `readexactly()` cannot
 * deadlock on its own pause.
 */
import { Buffer } from 'node:buffer';
import * as net from 'node:net';
import * as tls from 'node:tls';
import type { Writable } from 'node:stream';
import type { Coro } from './coroutines.ts';
import type { EventLoop } from './loop.ts';
import type { Future } from './futures.ts';
import { getRunningLoop } from './events.ts';
import { _labelFuture } from './callgraph.ts';
import { CancelledError, ConnectionResetError, IncompleteReadError, LimitOverrunError, RuntimeError } from './exceptions.ts';

/** The default buffer limit: 64 KiB, as asyncio's `_DEFAULT_LIMIT`. */
export const DEFAULT_LIMIT = 2 ** 16;

const EMPTY: Buffer = Buffer.alloc(0);
const NEWLINE: Buffer = Buffer.from('\n');

/** What the reader pauses and resumes: a Node socket, or a test double. */
export interface FlowControlled {
  pause(): unknown;
  resume(): unknown;
}

// ---------------------------------------------------------------------------------
// The receive buffer (see the header: "a list of chunks")
// ---------------------------------------------------------------------------------

/**
 * Received bytes not yet read, as a list of chunks.
 *
 * Invariant: the pending bytes are `#chunks[#head], #chunks[#head + 1], …` in order,
 * none of them empty; `#size` is their total length. Slots before `#head` were consumed
 * (set to EMPTY so they keep nothing alive) and are dropped in bulk.
 * @internal
 */
export class _ChunkBuffer {
  #chunks: Buffer[] = [];
  #head = 0;
  #size = 0;

  get size(): number {
    return this.#size;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#size += chunk.length;
  }

  /** Removes and returns the first `n` bytes (0 < n ≤ size): a view if one chunk holds them. */
  take(n: number): Buffer {
    const first = this.#chunks[this.#head] as Buffer;
    if (n === first.length) {
      this.#size -= n;
      this.#shift();
      return first;
    }
    if (n < first.length) {
      this.#size -= n;
      this.#chunks[this.#head] = first.subarray(n);
      return first.subarray(0, n);
    }
    return this.#copyOut(n);
  }

  /** Removes and returns everything (no copy when one chunk is buffered). */
  takeAll(): Buffer {
    return this.#size === 0 ? EMPTY : this.take(this.#size);
  }

  /** Moves every chunk to `out` (no copy), leaving the buffer empty. */
  drainTo(out: Buffer[]): number {
    const n = this.#size;
    for (let i = this.#head; i < this.#chunks.length; i++) out.push(this.#chunks[i] as Buffer);
    this.clear();
    return n;
  }

  /** Discards the first `n` bytes (n ≤ size). */
  drop(n: number): void {
    if (n > 0) this.take(n);
  }

  clear(): void {
    this.#chunks = [];
    this.#head = 0;
    this.#size = 0;
  }

  /**
   * Position of the first `sep` at or after `from`, or -1. Walks back from the tail to
   * the chunk holding `from`, so a search resumed after new data costs the new chunks.
   */
  indexOf(sep: Buffer, from: number): number {
    if (this.#size - from < sep.length) return -1;
    const chunks = this.#chunks;
    let i = chunks.length - 1;
    let start = this.#size - (chunks[i] as Buffer).length;
    while (start > from) start -= (chunks[--i] as Buffer).length;
    for (; i < chunks.length; start += (chunks[i] as Buffer).length, i++) {
      const chunk = chunks[i] as Buffer;
      const local = from > start ? from - start : 0;
      const found = chunk.indexOf(sep, local);
      if (found !== -1) return start + found;
      // Matches that begin in this chunk's last sep.length - 1 bytes straddle a seam.
      for (let p = Math.max(local, chunk.length - sep.length + 1); p < chunk.length; p++) {
        if (this.#matchesAt(sep, i, p)) return start + p;
      }
    }
    return -1;
  }

  /** True if the bytes at position `at` are `sep`. */
  startsWith(sep: Buffer, at: number): boolean {
    if (this.#size - at < sep.length) return false;
    let i = this.#head;
    while (at >= (this.#chunks[i] as Buffer).length) at -= (this.#chunks[i++] as Buffer).length;
    return this.#matchesAt(sep, i, at);
  }

  /** Does `sep` start at offset `p` of chunk `i`, continuing into the following chunks? */
  #matchesAt(sep: Buffer, i: number, p: number): boolean {
    const chunks = this.#chunks;
    let chunk = chunks[i] as Buffer;
    for (let k = 0; k < sep.length; k++, p++) {
      if (p === chunk.length) {
        if (++i === chunks.length) return false;
        chunk = chunks[i] as Buffer;
        p = 0;
      }
      if (chunk[p] !== sep[k]) return false;
    }
    return true;
  }

  /** The slow path of take(): `n` bytes spanning chunks, copied into a new Buffer. */
  #copyOut(n: number): Buffer {
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const chunk = this.#chunks[this.#head] as Buffer;
      const k = Math.min(chunk.length, n - filled);
      chunk.copy(out, filled, 0, k);
      filled += k;
      if (k === chunk.length) this.#shift();
      else this.#chunks[this.#head] = chunk.subarray(k);
    }
    this.#size -= n;
    return out;
  }

  #shift(): void {
    const chunks = this.#chunks;
    chunks[this.#head++] = EMPTY;
    if (this.#head === chunks.length) {
      chunks.length = 0;
      this.#head = 0;
    } else if (this.#head >= 1024 && this.#head * 2 >= chunks.length) {
      chunks.splice(0, this.#head);
      this.#head = 0;
    }
  }
}

/** A Uint8Array as a Buffer over the same memory (no copy). */
function asBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

function separatorBytes(separator: Uint8Array | string): Buffer {
  if (separator === '\n') return NEWLINE;
  return typeof separator === 'string' ? Buffer.from(separator) : asBuffer(separator);
}

// ---------------------------------------------------------------------------------
// StreamReader
// ---------------------------------------------------------------------------------

/**
 * Reads bytes from a connection with coroutines. asyncio: `asyncio.StreamReader`.
 *
 * Invariants:
 * - `#buffer` holds the bytes received and not yet read; after `feedEof()` (`#eof`)
 *   nothing more is appended. `atEof()` is `#eof` with an empty buffer.
 * - `#waiter` is non-null exactly while one coroutine waits for data (a second one is
 *   an error, as in asyncio); feedData, feedEof and setException complete it and
 *   clear it. A waiting coroutine that is cancelled clears it itself (the `finally` of
 *   `#waitForData`), so the reader is consistent and the next read works; unread
 *   bytes stay in the buffer.
 * - `#exception` (null: none) once set makes every read throw it, as asyncio does.
 * - `#paused` is true only while `#transport` is paused by flow control:
 *   set when the buffer exceeds 2 × `#limit`, cleared when a read brings it to `#limit`
 *   or below, or when a read must wait for more data.
 * - A wait counts as an I/O wait on the loop (`_ioRef`/`_ioUnref`) only if a
 *   transport is attached.
 */
export class StreamReader {
  readonly #limit: number;
  readonly #buffer = new _ChunkBuffer();
  #eof = false;
  #waiter: Future<void> | null = null;
  #exception: unknown = null;
  #transport: FlowControlled | null = null;
  #paused = false;

  /**
   * A reader with the given buffer limit (bytes; default 64 KiB): the longest line
   * `readuntil` accepts, and the flow-control threshold.
   *
   * @example
   * const reader = new StreamReader();
   * reader.feedData(Buffer.from('hello\n'));
   * reader.feedEof();
   * const line = yield* reader.readline(); // <Buffer 68 65 6c 6c 6f 0a>
   * @see asyncio `asyncio.StreamReader(limit=2**16)`
   */
  constructor(limit: number = DEFAULT_LIMIT) {
    if (!(limit > 0)) throw new RangeError(`StreamReader limit must be a positive number of bytes, got ${limit}.`);
    this.#limit = limit;
  }

  /** The buffer limit in bytes. */
  get limit(): number {
    return this.#limit;
  }

  /** @internal Attaches the socket that flow control pauses and resumes. */
  _setTransport(transport: FlowControlled): void {
    this.#transport = transport;
  }

  /** The exception set by `setException()` (a connection error), or null. asyncio: `exception()`. */
  exception(): unknown {
    return this.#exception;
  }

  /** Makes the waiting read, and every later one, throw `exc`. asyncio: `set_exception`. */
  setException(exc: unknown): void {
    this.#exception = exc;
    const waiter = this.#waiter;
    if (waiter === null) return;
    this.#waiter = null;
    if (!waiter.done()) waiter.setException(exc);
  }

  /**
   * Appends received bytes and wakes a waiting read. Takes `data` over (no copy): do
   * not modify it afterwards. asyncio: `feed_data`.
   */
  feedData(data: Uint8Array): void {
    if (this.#eof) throw new RuntimeError('feedData() after feedEof(): the stream has already ended.');
    if (data.length === 0) return;
    this.#buffer.push(asBuffer(data));
    this.#wakeup();
    if (this.#transport !== null && !this.#paused && this.#buffer.size > 2 * this.#limit) {
      this.#paused = true;
      this.#transport.pause();
    }
  }

  /** Marks the end of the stream and wakes a waiting read. asyncio: `feed_eof`. */
  feedEof(): void {
    this.#eof = true;
    this.#wakeup();
  }

  /** True when the stream ended and every byte was read. asyncio: `at_eof`. */
  atEof(): boolean {
    return this.#eof && this.#buffer.size === 0;
  }

  /**
   * Reads up to `n` bytes; with `n < 0` (the default), everything until EOF. Waits only
   * if nothing is buffered; returns an empty Buffer at EOF. A view, not a copy, when
   * one received chunk holds the bytes.
   *
   * @example
   * const chunk = yield* reader.read(65536);
   * const all = yield* reader.read();
   * @see asyncio `await reader.read(n=-1)`
   */
  *read(n = -1): Coro<Buffer> {
    if (this.#exception !== null) throw this.#exception;
    if (n === 0) return EMPTY;
    if (n < 0) return yield* this.#readAll();
    if (this.#buffer.size === 0 && !this.#eof) yield* this.#waitForData('read');
    const size = this.#buffer.size;
    if (size === 0) return EMPTY;
    const data = this.#buffer.take(n < size ? n : size);
    this.#maybeResume();
    return data;
  }

  /**
   * Reads one line, ending with `\n`. At EOF returns the partial last line (possibly
   * empty). A line longer than the limit is discarded and LimitOverrunError thrown
   * (asyncio raises ValueError with the same message there).
   *
   * @example
   * const line = (yield* reader.readline()).toString();
   * @see asyncio `await reader.readline()`
   */
  *readline(): Coro<Buffer> {
    try {
      return yield* this.readuntil(NEWLINE);
    } catch (err) {
      if (err instanceof IncompleteReadError) return err.partial as Buffer;
      if (err instanceof LimitOverrunError) this.#discardOverrun(err.consumed, NEWLINE);
      throw err;
    }
  }

  /**
   * Reads exactly `n` bytes. Throws IncompleteReadError (with `partial`, the bytes that
   * did arrive, now consumed) if the stream ends first.
   *
   * @example
   * const header = yield* reader.readexactly(4);
   * const body = yield* reader.readexactly(header.readUInt32BE(0));
   * @see asyncio `await reader.readexactly(n)`
   */
  *readexactly(n: number): Coro<Buffer> {
    if (n < 0) throw new RangeError(`readexactly() size cannot be less than zero, got ${n}.`);
    if (this.#exception !== null) throw this.#exception;
    if (n === 0) return EMPTY;
    while (this.#buffer.size < n) {
      if (this.#eof) throw new IncompleteReadError(this.#buffer.takeAll(), n);
      yield* this.#waitForData('readexactly');
    }
    const data = this.#buffer.take(n);
    this.#maybeResume();
    return data;
  }

  /**
   * Reads up to and including `separator` (default `\n`). Throws IncompleteReadError
   * (`partial`: everything left, consumed; `expected`: null) at EOF without it, and
   * LimitOverrunError if it is not within the limit — then nothing is consumed, and
   * `consumed` says how many bytes to read to get past the problem.
   *
   * @example
   * const head = yield* reader.readuntil('\r\n\r\n');
   * @see asyncio `await reader.readuntil(separator=b'\n')`
   */
  *readuntil(separator: Uint8Array | string = NEWLINE): Coro<Buffer> {
    const sep = separatorBytes(separator);
    if (sep.length === 0) throw new RangeError('readuntil() separator should be at least one byte long.');
    if (this.#exception !== null) throw this.#exception;
    const index = yield* this.#findSeparator(sep);
    const data = this.#buffer.take(index + sep.length);
    this.#maybeResume();
    return data;
  }

  /** Waits until `sep` is buffered and returns its position; asyncio's readuntil loop. */
  *#findSeparator(sep: Buffer): Coro<number> {
    const buffer = this.#buffer;
    let offset = 0; // no separator starts before this position
    for (;;) {
      const index = buffer.indexOf(sep, offset);
      if (index !== -1) {
        if (index > this.#limit) throw new LimitOverrunError('Separator is found, but chunk is longer than limit', index);
        return index;
      }
      offset = Math.max(0, buffer.size + 1 - sep.length);
      if (offset > this.#limit) throw new LimitOverrunError('Separator is not found, and chunk exceed the limit', offset);
      if (this.#eof) throw new IncompleteReadError(buffer.takeAll(), null);
      yield* this.#waitForData('readuntil');
    }
  }

  /** readline's recovery from an overrun: skip past the separator, or drop everything. */
  #discardOverrun(consumed: number, sep: Buffer): void {
    if (this.#buffer.startsWith(sep, consumed)) this.#buffer.drop(consumed + sep.length);
    else this.#buffer.clear();
    this.#maybeResume();
  }

  /** read(-1): collect chunks until EOF, draining the buffer so flow control can resume. */
  *#readAll(): Coro<Buffer> {
    const parts: Buffer[] = [];
    let total = 0;
    for (;;) {
      if (this.#buffer.size > 0) {
        total += this.#buffer.drainTo(parts);
        this.#maybeResume();
      }
      if (this.#eof) break;
      yield* this.#waitForData('read');
    }
    if (parts.length === 1) return parts[0] as Buffer;
    return parts.length === 0 ? EMPTY : Buffer.concat(parts, total);
  }

  /**
   * Waits until feedData, feedEof or setException. The I/O count and `#waiter` are
   * restored in `finally`, however the wait ends — cancellation included.
   */
  *#waitForData(funcName: string): Coro<void> {
    // An error that came with the data that woke the last wait (same Node tick, no
    // waiter to receive it) is thrown now: nothing would wake this wait any more.
    if (this.#exception !== null) throw this.#exception;
    if (this.#waiter !== null) {
      throw new RuntimeError(`${funcName}() called while another coroutine is already waiting for incoming data: a StreamReader has one reader at a time.`);
    }
    if (this.#paused) {
      this.#paused = false;
      (this.#transport as FlowControlled).resume();
    }
    const loop = getRunningLoop();
    const waiter = loop.createFuture<void>();
    if (loop._tracer !== null || loop._recordAwaitSites) _labelFuture(waiter, `${funcName}() on a socket`);
    this.#waiter = waiter;
    const io = this.#transport !== null;
    if (io) loop._ioRef();
    try {
      yield* waiter;
    } finally {
      if (io) loop._ioUnref();
      if (this.#waiter === waiter) this.#waiter = null;
    }
  }

  #wakeup(): void {
    const waiter = this.#waiter;
    if (waiter === null) return;
    this.#waiter = null;
    if (!waiter.done()) waiter.setResult(undefined);
  }

  #maybeResume(): void {
    if (this.#paused && this.#buffer.size <= this.#limit) {
      this.#paused = false;
      (this.#transport as FlowControlled).resume();
    }
  }

  toString(): string {
    const parts = [`${this.#buffer.size} bytes`];
    if (this.#eof) parts.push('eof');
    if (this.#limit !== DEFAULT_LIMIT) parts.push(`limit=${this.#limit}`);
    if (this.#waiter !== null) parts.push('waiting');
    if (this.#exception !== null) parts.push('exception');
    if (this.#paused) parts.push('paused');
    return `<StreamReader ${parts.join(' ')}>`;
  }
}

// ---------------------------------------------------------------------------------
// StreamProtocol: the socket's listeners (asyncio's StreamReaderProtocol)
// ---------------------------------------------------------------------------------

/** A connection's state, as its protocol sees it (see _StreamProtocol). */
export type ConnectionState = 'CONNECTING' | 'OPEN' | 'CLOSED';

/**
 * What a StreamWriter writes through: the layer below it, as asyncio's transport and
 * protocol are below its StreamWriter. A socket's is `_StreamProtocol` (next); any other
 * Node Writable's is in nodestreams.ts. The writer keeps its own states (closing, EOF
 * written) and asks this layer only for what differs between the two.
 * @internal
 */
export interface _WriteProtocol<T extends Writable> {
  /** The Writable the bytes go to: a connection's socket, or any Node Writable (a pipe). */
  readonly socket: T;
  /** CLOSED once the stream takes no more bytes. */
  readonly state: ConnectionState;
  /** The first error the stream reported (null: none); writes, drains and waitClosed throw it. */
  readonly error: unknown;
  /** What toString calls it: 'tcp', 'tls', 'pipe'… */
  readonly kind: string;
  /** Null if writeEof() is supported; else the RuntimeError's message saying why not. */
  readonly writeEofRefusal: string | null;
  /** Shuts the write side once what was written is sent (writeEof). */
  shutWrite(): void;
  /** Closes once what was written is sent (close). */
  close(): void;
  drain(): Coro<void>;
  waitClosed(): Coro<void>;
  /** getExtraInfo's answer for `name`: null or undefined if it has none. */
  extraInfo(name: string): unknown;
}

/**
 * Listens to one socket for its whole life and turns its events into reader calls and
 * completed futures. Package-internal: users see it through the writer.
 *
 * Invariants:
 * - States: CONNECTING ─'connect'/'secureConnect'─▶ OPEN ─'close'─▶ CLOSED (also
 *   CONNECTING ─'close'─▶ CLOSED when the attempt fails or is abandoned).
 * - `error` is the first socket error (null: none). Once set it stays: the reader got
 *   it with setException, and writes, drains and waitClosed throw it.
 * - `#connectWaiter` is non-null only in CONNECTING while openConnection waits.
 * - `#drainWaiters`: one future per drain() in progress (per caller, so cancelling
 *   one task's drain cancels no one else's); settled on 'drain' or 'close'.
 * - `#closeWaiters`: one future per waitClosed() in progress; settled on 'close'.
 * - Listeners are bound once per connection; no closure is made per chunk.
 * @internal
 */
export class _StreamProtocol implements _WriteProtocol<net.Socket> {
  state: ConnectionState;
  error: unknown = null;
  readonly socket: net.Socket;
  readonly reader: StreamReader;
  readonly isTls: boolean;
  /** Called once on 'close' (a server forgets the connection). */
  onClosed: ((protocol: _StreamProtocol) => void) | null = null;
  #connectWaiter: Future<void> | null = null;
  #drainWaiters: Future<void>[] = [];
  #closeWaiters: Future<void>[] = [];
  #peername: [string, number] | null = null;
  #sockname: [string, number] | null = null;

  constructor(socket: net.Socket, reader: StreamReader, isTls: boolean, state: ConnectionState) {
    this.socket = socket;
    this.reader = reader;
    this.isTls = isTls;
    this.state = state;
    reader._setTransport(socket);
    socket.on('error', this.#onError);
    socket.on('data', this.#onData);
    socket.on('end', this.#onEnd);
    socket.on('drain', this.#onDrain);
    socket.on('close', this.#onClose);
    if (state === 'CONNECTING') socket.once(isTls ? 'secureConnect' : 'connect', this.#onConnect);
    else this.#rememberNames();
  }

  get peername(): [string, number] | null {
    return this.#peername;
  }

  get sockname(): [string, number] | null {
    return this.#sockname;
  }

  get kind(): string {
    return this.isTls ? 'tls' : 'tcp';
  }

  get writeEofRefusal(): string | null {
    return this.isTls ? 'writeEof() is not supported on TLS connections (canWriteEof() is false).' : null;
  }

  /** writeEof(): sends FIN after what was written; reading goes on. */
  shutWrite(): void {
    this.socket.end();
  }

  /** close(): what was written is still sent, then the socket is closed. */
  close(): void {
    this.socket.destroySoon();
  }

  /** getExtraInfo(): the socket's names, itself, and for TLS its certificate and cipher. */
  extraInfo(name: string): unknown {
    switch (name) {
      case 'peername': return this.#peername;
      case 'sockname': return this.#sockname;
      case 'socket': return this.socket;
      case 'peercert': return this.isTls ? (this.socket as tls.TLSSocket).getPeerCertificate() : null;
      case 'cipher': return this.isTls ? (this.socket as tls.TLSSocket).getCipher() : null;
      default: return null;
    }
  }

  /** openConnection's wait: until connected, or the error (the socket is destroyed on failure). */
  *waitConnected(signal: AbortSignal | undefined): Coro<void> {
    const loop = getRunningLoop();
    const waiter = loop.createFuture<void>();
    if (loop._tracer !== null || loop._recordAwaitSites) _labelFuture(waiter, 'connect');
    this.#connectWaiter = waiter;
    const onAbort = signal ? () => this.socket.destroy(abortReason(signal) as Error) : null;
    if (onAbort !== null) signal!.addEventListener('abort', onAbort, { once: true });
    loop._ioRef();
    try {
      yield* waiter;
    } catch (err) {
      this.socket.destroy(); // cancelled (or failed): abandon the attempt
      throw err;
    } finally {
      loop._ioUnref();
      this.#connectWaiter = null;
      if (onAbort !== null) signal!.removeEventListener('abort', onAbort);
    }
  }

  /** drain(): wait while the socket's write buffer is above its high-water mark. */
  *drain(): Coro<void> {
    if (this.error !== null) throw this.error;
    if (this.state === 'CLOSED') throw new ConnectionResetError();
    if (!this.socket.writableNeedDrain) return;
    yield* _waitIn(this.#drainWaiters);
  }

  /** waitClosed(): wait for 'close'; throws the connection's error if it had one. */
  *waitClosed(): Coro<void> {
    if (this.state !== 'CLOSED') yield* _waitIn(this.#closeWaiters);
    if (this.error !== null) throw this.error;
  }

  #rememberNames(): void {
    const s = this.socket;
    if (s.remoteAddress !== undefined) this.#peername = [s.remoteAddress, s.remotePort as number];
    if (s.localAddress !== undefined) this.#sockname = [s.localAddress, s.localPort as number];
  }

  #onConnect = (): void => {
    this.state = 'OPEN';
    this.#rememberNames();
    const waiter = this.#connectWaiter;
    if (waiter !== null && !waiter.done()) waiter.setResult(undefined);
  };

  #onData = (chunk: Buffer): void => {
    this.reader.feedData(chunk);
  };

  #onEnd = (): void => {
    this.reader.feedEof();
  };

  #onDrain = (): void => {
    _settleAll(this.#drainWaiters, null);
  };

  #onError = (err: unknown): void => {
    if (this.error === null) this.error = err;
    const waiter = this.#connectWaiter;
    if (waiter !== null && !waiter.done()) waiter.setException(err);
    this.reader.setException(err);
    _settleAll(this.#drainWaiters, err);
  };

  #onClose = (): void => {
    const wasConnecting = this.state === 'CONNECTING';
    this.state = 'CLOSED';
    if (this.error === null) this.reader.feedEof();
    const waiter = this.#connectWaiter;
    if (wasConnecting && waiter !== null && !waiter.done()) {
      waiter.setException(this.error ?? new ConnectionResetError('Connection closed before it was established'));
    }
    _settleAll(this.#drainWaiters, this.error ?? new ConnectionResetError());
    _settleAll(this.#closeWaiters, null);
    this.onClosed?.(this);
  };
}

/** What run() does to a server left open when it ends: stop listening, drop every connection. */
function closeAtExit(this: Server): void {
  this.close(); // its connections are tracked, reported and destroyed on their own
}

/**
 * One waiter in `list` (a drain or waitClosed), counted as an I/O wait, removed however
 * the wait ends. @internal (nodestreams.ts waits the same way)
 */
export function* _waitIn(list: Future<void>[]): Coro<void> {
  const loop = getRunningLoop();
  const waiter = loop.createFuture<void>();
  list.push(waiter);
  loop._ioRef();
  try {
    yield* waiter;
  } finally {
    loop._ioUnref();
    const i = list.indexOf(waiter);
    if (i !== -1) list.splice(i, 1);
  }
}

/** Completes every pending future of `list` (with `error` if non-null). @internal */
export function _settleAll(list: Future<void>[], error: unknown): void {
  for (const fut of list) {
    if (fut.done()) continue;
    if (error === null) fut.setResult(undefined);
    else fut.setException(error);
  }
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new Error('The operation was aborted');
}

// ---------------------------------------------------------------------------------
// StreamWriter
// ---------------------------------------------------------------------------------

/** What `getExtraInfo()` answers ('pipe': a writer from openWritable/openDuplex). */
export type ExtraInfoName = 'peername' | 'sockname' | 'socket' | 'peercert' | 'cipher' | 'pipe';

/**
 * Writes bytes to a connection. asyncio: `asyncio.StreamWriter`.
 *
 * Invariants:
 * - `write()` hands the bytes to the socket at once; Node buffers what the kernel does
 *   not take yet. `drain()` is the back-pressure point: it waits while that buffer is
 *   above the socket's high-water mark (`socket.write()` returned false) until 'drain'.
 * - States, from the writer's side: open → (`writeEof()`: the write side is shut,
 *   `#eofWritten`) → closing (`close()` called, `#closing`) → closed (the socket's
 *   'close', `protocol.state === 'CLOSED'`). `isClosing()` is true in the last two.
 * - After a connection error (`protocol.error`), write, drain and waitClosed throw it;
 *   after the socket closed without one, write and drain throw ConnectionResetError.
 * - The writer talks to the stream only through its `_WriteProtocol`: a socket's
 *   `_StreamProtocol`, or a Node Writable's (openWritable, openDuplex: nodestreams.ts).
 */
export class StreamWriter<T extends Writable = net.Socket> {
  readonly #protocol: _WriteProtocol<T>;
  readonly #reader: StreamReader | null;
  #closing = false;
  #eofWritten = false;

  /** @internal Made by openConnection and startServer, and openWritable/openDuplex (nodestreams.ts). */
  constructor(protocol: _WriteProtocol<T>, reader: StreamReader | null) {
    this.#protocol = protocol;
    this.#reader = reader;
  }

  /**
   * The underlying Node socket (a `tls.TLSSocket` for TLS), or the Writable given to
   * openWritable, for advanced use: socket options, `destroy()` to abort.
   * asyncio: `writer.transport`.
   */
  get transport(): T {
    return this.#protocol.socket;
  }

  /**
   * Writes `data` (a string is written as UTF-8). Does not wait: follow a burst of
   * writes with `yield* writer.drain()`. Throws the connection's error if it broke.
   *
   * @example
   * writer.write('GET / HTTP/1.1\r\nHost: example.com\r\n\r\n');
   * yield* writer.drain();
   * @see asyncio `writer.write(data)`
   */
  write(data: Uint8Array | string): void {
    this.#checkWritable('write()');
    if (data.length > 0) this.#protocol.socket.write(data);
  }

  /**
   * Writes each item of `list`, gathered into one system call where possible.
   *
   * @example
   * writer.writelines([head, body]);
   * @see asyncio `writer.writelines(data)`
   */
  writelines(list: Iterable<Uint8Array | string>): void {
    this.#checkWritable('writelines()');
    const socket = this.#protocol.socket;
    socket.cork();
    try {
      for (const data of list) if (data.length > 0) socket.write(data);
    } finally {
      socket.uncork();
    }
  }

  /**
   * Waits until the socket's write buffer is below its high-water mark; returns at once
   * if it already is. Throws the connection's error (or the reader's) if it broke.
   *
   * @example
   * for (const chunk of chunks) {
   *   writer.write(chunk);
   *   yield* writer.drain();
   * }
   * @see asyncio `await writer.drain()`
   */
  *drain(): Coro<void> {
    const readerError = this.#reader?.exception() ?? null;
    if (readerError !== null) throw readerError;
    yield* this.#protocol.drain();
  }

  /**
   * Closes the connection: what was written is still sent, then the socket is closed.
   * Idempotent. Follow with `yield* writer.waitClosed()`.
   *
   * @example
   * writer.close();
   * yield* writer.waitClosed();
   * @see asyncio `writer.close()`
   */
  close(): void {
    if (this.#closing) return;
    this.#closing = true;
    this.#protocol.close();
  }

  /** True once close() was called or the connection closed. asyncio: `is_closing()`. */
  isClosing(): boolean {
    return this.#closing || this.#protocol.state === 'CLOSED';
  }

  /**
   * Waits until the socket is closed. Throws the connection's error if it ended with one.
   *
   * @example
   * writer.close();
   * yield* writer.waitClosed();
   * @see asyncio `await writer.wait_closed()`
   */
  *waitClosed(): Coro<void> {
    yield* this.#protocol.waitClosed();
  }

  /**
   * True if `writeEof()` is supported: plain TCP, not TLS; any Node Writable but
   * process.stdout and process.stderr. asyncio: `can_write_eof()`.
   */
  canWriteEof(): boolean {
    return this.#protocol.writeEofRefusal === null;
  }

  /**
   * Shuts the write side (sends FIN) after what was written; reading goes on.
   *
   * @example
   * writer.write(request);
   * writer.writeEof();
   * const reply = yield* reader.read(); // until the peer closes
   * @see asyncio `writer.write_eof()`
   */
  writeEof(): void {
    const refusal = this.#protocol.writeEofRefusal;
    if (refusal !== null) throw new RuntimeError(refusal);
    if (this.#eofWritten || this.#closing) return;
    this.#eofWritten = true;
    this.#protocol.shutWrite();
  }

  /**
   * Information about the connection: `'peername'` and `'sockname'` as
   * `[address, port]`, `'socket'`, and for TLS `'peercert'` and `'cipher'`; for a
   * writer from openWritable or openDuplex, `'pipe'` (the Node stream).
   * `defaultValue` if unavailable.
   *
   * @example
   * const [host, port] = writer.getExtraInfo('peername') as [string, number];
   * @see asyncio `writer.get_extra_info(name, default=None)`
   */
  getExtraInfo(name: ExtraInfoName | string, defaultValue: unknown = null): unknown {
    return this.#protocol.extraInfo(name) ?? defaultValue;
  }

  #checkWritable(what: string): void {
    const protocol = this.#protocol;
    if (protocol.error !== null) throw protocol.error;
    if (this.#closing) throw new RuntimeError(`${what} after close(): the writer is closing.`);
    if (this.#eofWritten) throw new RuntimeError(`${what} after writeEof(): the write side is shut.`);
    if (protocol.state === 'CLOSED') throw new ConnectionResetError();
  }

  toString(): string {
    const state = this.#protocol.state === 'CLOSED' ? 'closed' : this.#closing ? 'closing' : 'open';
    return `<StreamWriter ${state} ${this.#protocol.kind}>`;
  }
}

// ---------------------------------------------------------------------------------
// openConnection
// ---------------------------------------------------------------------------------

export interface OpenConnectionOptions {
  /** TLS: `true` for the defaults (verification on), or `tls.connect` options (`ca`, `servername`…). */
  tls?: boolean | tls.ConnectionOptions;
  /** The reader's buffer limit (default 64 KiB). */
  limit?: number;
  /** Aborts the connection attempt: openConnection throws `signal.reason`. */
  signal?: AbortSignal;
}

/**
 * Connects to `host:port` (TCP, or TLS with `tls`) and returns the reader/writer pair.
 * Connection errors (ECONNREFUSED, a DNS failure, a TLS certificate rejected) are
 * thrown here, as Node's error (with its `code`). Nagle's algorithm is off.
 *
 * @example
 * const [reader, writer] = yield* openConnection('example.com', 443, { tls: true });
 * writer.write('HEAD / HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n');
 * const status = yield* reader.readline();
 * @see asyncio `await asyncio.open_connection(host, port, ssl=None, limit=2**16)`
 */
export function* openConnection(host: string, port: number, options: OpenConnectionOptions = {}): Coro<[StreamReader, StreamWriter]> {
  return yield* _openConnection(host, port, options, 'a connection from openConnection()');
}

/**
 * @internal openConnection, tracked for the end of run() under `trackedAs` — or not at
 * all (null) for connections something else owns and closes: the HTTP pool's (their
 * client is tracked instead).
 */
export function* _openConnection(host: string, port: number, options: OpenConnectionOptions, trackedAs: string | null): Coro<[StreamReader, StreamWriter]> {
  options.signal?.throwIfAborted();
  const reader = new StreamReader(options.limit ?? DEFAULT_LIMIT);
  const isTls = options.tls !== undefined && options.tls !== false;
  const socket = isTls
    ? tls.connect(tlsConnectOptions(host, port, options.tls === true ? {} : options.tls as tls.ConnectionOptions))
    : net.connect({ host, port, allowHalfOpen: true });
  const protocol = new _StreamProtocol(socket, reader, isTls, 'CONNECTING');
  yield* protocol.waitConnected(options.signal);
  socket.setNoDelay(true);
  const writer = new StreamWriter(protocol, reader);
  if (trackedAs !== null) closeWithLoop(getRunningLoop(), protocol, writer, trackedAs);
  return [reader, writer];
}

/**
 * A socket left open when its run() ends would keep the process alive: the loop
 * reports it and destroys it then (loop.ts `_closeLeftovers`); its 'close' ends the
 * tracking. Client connections and a server's accepted ones alike.
 */
function closeWithLoop(loop: EventLoop, protocol: _StreamProtocol, writer: StreamWriter, kind: string): void {
  if (protocol.state === 'CLOSED') return;
  const peer = protocol.peername;
  const detail = peer === null ? undefined : () => `with ${peer[0]}:${peer[1]}`;
  loop._registerResource(writer, kind, loop.getDebug() ? new Error().stack ?? '' : '', detail, destroyAtExit);
  const previous = protocol.onClosed;
  protocol.onClosed = (p) => {
    loop._resourceClosed(writer);
    previous?.(p);
  };
}

function destroyAtExit(this: StreamWriter): void {
  this.transport.destroy();
}

/** SNI takes a host name, never an IP address (Node warns about one). */
function tlsConnectOptions(host: string, port: number, options: tls.ConnectionOptions): tls.ConnectionOptions {
  const servername = options.servername ?? (net.isIP(host) === 0 ? host : undefined);
  return servername === undefined ? { ...options, host, port } : { ...options, host, port, servername };
}

// ---------------------------------------------------------------------------------
// startServer and Server
// ---------------------------------------------------------------------------------

/** The coroutine run for each accepted connection. asyncio: `client_connected_cb`. */
export type ClientConnectedHandler = (reader: StreamReader, writer: StreamWriter) => Coro<void>;

export interface StartServerOptions {
  /** TLS: `tls.createServer` options (`key`, `cert`…). */
  tls?: tls.TlsOptions;
  /** Each connection's reader buffer limit (default 64 KiB). */
  limit?: number;
  /** The listen backlog. */
  backlog?: number;
}

type ServerState = 'STARTING' | 'SERVING' | 'CLOSING' | 'CLOSED';

/**
 * A listening server: what startServer returns. asyncio: `asyncio.Server`.
 *
 * Invariants:
 * - States: STARTING ─'listening'─▶ SERVING ─close()─▶ CLOSING ─Node's 'close' and
 *   every connection's 'close' (`#nodeClosed`, `#writers` empty)─▶ CLOSED. A failed
 *   listen goes STARTING ─▶ CLOSED.
 * - In SERVING the server holds one I/O reference on the loop (a listening socket is
 *   an I/O source: tasks waiting for clients are not deadlocked); close() drops it.
 * - `#writers` holds a writer per open connection, removed on the socket's 'close'.
 * - Each connection's handler runs as a task started by `callSoon`, never inside
 *   Node's callback; its error goes to the loop's exception handler and closes the
 *   connection (as asyncio does).
 */
export class Server {
  readonly #loop: EventLoop;
  readonly #handler: ClientConnectedHandler;
  readonly #limit: number;
  readonly #isTls: boolean;
  readonly #server: net.Server;
  #state: ServerState = 'STARTING';
  #address: net.AddressInfo | null = null;
  #listenWaiter: Future<void> | null = null;
  #closeWaiters: Future<void>[] = [];
  #serveWaiter: Future<void> | null = null;
  #nodeClosed = false;
  readonly #writers = new Set<StreamWriter>();

  /** @internal Use startServer(). */
  constructor(loop: EventLoop, handler: ClientConnectedHandler, options: StartServerOptions) {
    this.#loop = loop;
    this.#handler = handler;
    this.#limit = options.limit ?? DEFAULT_LIMIT;
    this.#isTls = options.tls !== undefined;
    this.#server = this.#isTls
      ? tls.createServer({ ...options.tls, noDelay: true } as tls.TlsOptions, this.#onConnection)
      : net.createServer({ allowHalfOpen: true, noDelay: true }, this.#onConnection);
    this.#server.on('error', this.#onError);
    this.#server.on('close', this.#onClose);
    // A server never closed would keep the process alive after run(): run() reports it
    // (with where it was made, in debug mode) and closes it (loop.ts `_closeLeftovers`).
    loop._registerResource(this, 'Server', loop.getDebug() ? new Error().stack ?? '' : '', () => this.#leakDetail(), closeAtExit);
  }

  /** @internal STARTING → SERVING, or the listen error (EADDRINUSE…). */
  *_listen(host: string | null, port: number, backlog: number | undefined): Coro<void> {
    const loop = this.#loop;
    const waiter = loop.createFuture<void>();
    this.#listenWaiter = waiter;
    this.#server.listen({ host: host ?? undefined, port, backlog }, this.#onListening);
    loop._ioRef();
    try {
      yield* waiter;
    } catch (err) {
      this.#state = 'CLOSED'; // failed or cancelled: a late 'listening' closes at once
      this.#server.close();
      loop._resourceClosed(this);
      throw err;
    } finally {
      loop._ioUnref();
      this.#listenWaiter = null;
    }
  }

  /** The bound address (`{address, family, port}`), kept after close. */
  address(): net.AddressInfo {
    return this.#address as net.AddressInfo;
  }

  /** The bound port (useful after listening on port 0). */
  get port(): number {
    return this.address().port;
  }

  /** The listening sockets: the Node server while serving, none after close(). asyncio: `sockets`. */
  get sockets(): readonly net.Server[] {
    return this.#state === 'SERVING' ? [this.#server] : [];
  }

  /** The writers of the connections still open. */
  get connections(): ReadonlySet<StreamWriter> {
    return this.#writers;
  }

  getLoop(): EventLoop {
    return this.#loop;
  }

  /** True while listening. asyncio: `is_serving()`. */
  isServing(): boolean {
    return this.#state === 'SERVING';
  }

  /**
   * Stops listening. Open connections are left alone (see closeClients); waitClosed()
   * waits for them. Idempotent.
   *
   * @example
   * server.close();
   * yield* server.waitClosed();
   * @see asyncio `server.close()`
   */
  close(): void {
    if (this.#state !== 'SERVING') return;
    this.#state = 'CLOSING';
    this.#loop._resourceClosed(this);
    this.#loop._ioUnref();
    this.#server.close();
    const serving = this.#serveWaiter;
    if (serving !== null && !serving.done()) serving.setResult(undefined);
  }

  /** Closes every open connection (what was written is still sent). asyncio 3.13: `close_clients()`. */
  closeClients(): void {
    for (const writer of this.#writers) writer.close();
  }

  /** Destroys every open connection at once. asyncio 3.13: `abort_clients()`. */
  abortClients(): void {
    for (const writer of this.#writers) writer.transport.destroy();
  }

  /**
   * Waits until the server is closed and all its connections have ended (asyncio 3.12+).
   *
   * @example
   * server.close();
   * yield* server.waitClosed();
   * @see asyncio `await server.wait_closed()`
   */
  *waitClosed(): Coro<void> {
    if (this.#state === 'CLOSED') return;
    const loop = this.#loop;
    const waiter = loop.createFuture<void>();
    this.#closeWaiters.push(waiter);
    loop._ioRef();
    try {
      yield* waiter;
    } finally {
      loop._ioUnref();
      const i = this.#closeWaiters.indexOf(waiter);
      if (i !== -1) this.#closeWaiters.splice(i, 1);
    }
  }

  /**
   * Serves until cancelled (then closes the server and waits for it) or until close().
   *
   * @example
   * const server = yield* startServer(handle, '127.0.0.1', 8888);
   * yield* server.serveForever();
   * @see asyncio `await server.serve_forever()`
   */
  *serveForever(): Coro<void> {
    if (this.#state !== 'SERVING') throw new RuntimeError(`serveForever() on a server that is not serving (${this.#state}).`);
    if (this.#serveWaiter !== null) throw new RuntimeError('serveForever() is already running on this server.');
    const waiter = this.#loop.createFuture<void>();
    this.#serveWaiter = waiter;
    try {
      yield* waiter; // the listening socket already counts as an I/O wait
    } catch (err) {
      this.close();
      if (err instanceof CancelledError) yield* this.waitClosed();
      throw err;
    } finally {
      this.#serveWaiter = null;
    }
  }

  /** Async context manager (asyncWith): the server itself. */
  *enter(): Coro<Server> {
    return this;
  }

  /** Async context manager exit: close() and waitClosed(). asyncio: `__aexit__`. */
  *exit(): Coro<void> {
    this.close();
    yield* this.waitClosed();
  }

  #onListening = (): void => {
    if (this.#state !== 'STARTING') return void this.#server.close();
    this.#state = 'SERVING';
    this.#loop._ioRef();
    this.#address = this.#server.address() as net.AddressInfo;
    const waiter = this.#listenWaiter;
    if (waiter !== null && !waiter.done()) waiter.setResult(undefined);
  };

  /** A Node callback: only wires the connection and schedules its handler. */
  #onConnection = (socket: net.Socket): void => {
    if (this.#state !== 'SERVING' || this.#loop.isClosed()) {
      socket.destroy();
      return;
    }
    const reader = new StreamReader(this.#limit);
    const protocol = new _StreamProtocol(socket, reader, this.#isTls, 'OPEN');
    const writer = new StreamWriter(protocol, reader);
    this.#writers.add(writer);
    protocol.onClosed = () => {
      this.#writers.delete(writer);
      this.#maybeClosed();
    };
    closeWithLoop(this.#loop, protocol, writer, 'a connection accepted by a Server');
    this.#loop.callSoon(this.#startHandler, reader, writer);
  };

  #startHandler = (reader: StreamReader, writer: StreamWriter): void => {
    this.#loop.createTask(this.#runHandler(reader, writer));
  };

  /** The handler's task: its error is reported and closes the connection, as in asyncio. */
  *#runHandler(reader: StreamReader, writer: StreamWriter): Coro<void> {
    try {
      yield* this.#handler(reader, writer);
    } catch (err) {
      writer.close();
      if (err instanceof CancelledError) throw err;
      this.#loop.callExceptionHandler({ message: 'Unhandled exception in client_connected_cb', exception: err });
    }
  }

  #onError = (err: Error): void => {
    const waiter = this.#listenWaiter;
    if (waiter !== null && !waiter.done()) {
      waiter.setException(err);
    } else if (!this.#loop.isClosed()) {
      this.#loop.callSoon(() => this.#loop.callExceptionHandler({ message: 'Server error', exception: err }));
    }
  };

  /** Node's 'close' comes when its own count of connections is 0 — before their sockets' 'close'. */
  #onClose = (): void => {
    if (this.#state === 'SERVING') {
      // Closed behind our back (e.g. through the listener `sockets` hands out): leave
      // SERVING now, or a later close() would release the I/O wait a second time.
      this.#state = 'CLOSING';
      this.#loop._ioUnref();
    }
    this.#nodeClosed = true;
    this.#maybeClosed();
  };

  /** → CLOSED once Node closed the listener and every connection's socket closed. */
  #maybeClosed(): void {
    if (!this.#nodeClosed || this.#writers.size > 0) return;
    this.#state = 'CLOSED';
    _settleAll(this.#closeWaiters, null);
  }

  /** For the leak report: where it still listens and what is still connected. */
  #leakDetail(): string {
    const n = this.#writers.size;
    const where = this.#address === null ? '' : `still listening on ${this.#address.address}:${this.#address.port}, `;
    return `${where}${n} connection${n === 1 ? '' : 's'} open`;
  }

  toString(): string {
    const where = this.#address ? ` ${this.#address.address}:${this.#address.port}` : '';
    return `<Server ${this.#state.toLowerCase()}${where} ${this.#writers.size} connections>`;
  }
}

/**
 * Listens on `host:port` (`host` null: every interface; `port` 0: any free port) and
 * runs `handler(reader, writer)` as a task for each connection.
 *
 * @example
 * function* echo(reader: StreamReader, writer: StreamWriter): Coro<void> {
 *   const line = yield* reader.readline();
 *   writer.write(line);
 *   yield* writer.drain();
 *   writer.close();
 * }
 * const server = yield* startServer(echo, '127.0.0.1', 0);
 * console.log('listening on', server.port);
 * @see asyncio `await asyncio.start_server(client_connected_cb, host, port, ssl=None, limit=2**16)`
 */
export function* startServer(handler: ClientConnectedHandler, host: string | null, port: number, options: StartServerOptions = {}): Coro<Server> {
  const server = new Server(getRunningLoop(), handler, options);
  yield* server._listen(host, port, options.backlog);
  return server;
}
