/**
 * Node streams as yieldio streams — asyncio's `connect_read_pipe` / `connect_write_pipe`.
 *
 * A socket is not the only byte stream a Node program has: a child process's stdio, a
 * file (`fs.createReadStream`), a PassThrough, a gzip Transform, process.stdin. Each is
 * a Node Readable or Writable, and `openReadable`, `openWritable` and `openDuplex` give
 * it the reader and writer a socket gets from openConnection — the same StreamReader
 * (readline, readexactly, the buffer limit, flow control) and the same StreamWriter
 * (write, drain, close, waitClosed).
 *
 * ## The same layers as a socket's (streams.ts)
 *
 *     Readable ──'data'/'end'/'error'/'close'──▶ _ReadPipe ──feedData/feedEof/setException──▶ StreamReader
 *         ▲                                                                                       │
 *         └─────────────────────────── pause()/resume() (flow control) ───────────────────────────┘
 *
 *     StreamWriter ──write/end──▶ Writable ──'drain'/'finish'/'close'/'error'──▶ _WritePipe (drain and close waiters)
 *
 * asyncio has a transport per kind of pipe (`_UnixReadPipeTransport`,
 * `_UnixWritePipeTransport`) under the same StreamReaderProtocol. Here the Node stream
 * is the transport, and `_ReadPipe` / `_WritePipe` hold its listeners, attached at
 * open for the stream's whole life — `'error'` first of all, so an error is never an
 * unhandled `'error'` event (which would crash the process): it is stored, and the next
 * read, write, drain or waitClosed throws it in the task that called it.
 *
 * ## What is the same as for a socket, and what differs
 *
 * - Waiting on a stream is waiting on outside work: every wait (a read, a drain, a
 *   waitClosed) counts on the loop (`_ioRef`/`_ioUnref`) exactly once, however it ends,
 *   so a task reading a pipe is never reported as deadlocked. (The reader counts its
 *   own waits once `_setTransport` gave it the stream; the writer's waits are below.)
 * - Flow control is the socket's: the stream is paused when more than 2 × limit bytes
 *   wait in the reader, resumed once a read brings them back to the limit.
 * - A reader reads bytes. A stream with an encoding set gives strings: they are turned
 *   back into bytes in that encoding. An object-mode stream (`Readable.from(array)` is
 *   one) is read as long as its chunks are Buffers, Uint8Arrays or strings; any other
 *   chunk destroys the stream and the reader throws a TypeError saying so.
 * - 'close' without 'end' (a stream destroyed without an error) reads as EOF, as a
 *   socket closed without FIN does, and as asyncio's `connection_lost(None)`.
 * - Closing a writer ends the Writable (`end()`): what was written is still flushed.
 *   Its waitClosed returns at 'finish' (everything flushed) or 'close', whichever comes
 *   first. A Duplex from openDuplex is closed whole, as a socket is: `end()`, then
 *   `destroy()` once finished; its waitClosed waits for 'close'.
 * - process.stdout and process.stderr are never ended: Node would cut off every later
 *   console.log, silently or with an error depending on what fd 1 is. close() there
 *   only flushes what this writer wrote; writeEof() is refused (canWriteEof() is false).
 */
import { Buffer } from 'node:buffer';
import type { Duplex, Readable, Writable } from 'node:stream';
import type { Coro } from './coroutines.ts';
import type { Future } from './futures.ts';
import type { EventLoop } from './loop.ts';
import { _getRunningLoop } from './events.ts';
import { ConnectionResetError } from './exceptions.ts';
import {
  DEFAULT_LIMIT, StreamReader, StreamWriter, _settleAll as settleAll, _waitIn, type ConnectionState, type _WriteProtocol,
} from './streams.ts';

const EMPTY: Buffer = Buffer.alloc(0);

// ---------------------------------------------------------------------------------
// The read side
// ---------------------------------------------------------------------------------

/**
 * Listens to one Readable for its whole life and feeds what it says to a StreamReader.
 * The reader holds the stream as its flow-control transport; listeners hold this object.
 *
 * Invariant: the reader gets every chunk in order, then exactly one ending — feedEof
 * ('end', or 'close' without an error) or setException ('error', or a chunk that is not
 * bytes) — and nothing is fed after it, because a Readable emits no 'data' after those.
 * @internal
 */
export class _ReadPipe {
  readonly #stream: Readable;
  readonly #reader: StreamReader;
  /** The loop that detaches this pipe when its run() ends, if it was made inside one. */
  readonly #loop: EventLoop | null;

  constructor(stream: Readable, reader: StreamReader) {
    this.#stream = stream;
    this.#reader = reader;
    reader._setTransport(stream);
    stream.on('error', this.#onError);
    stream.on('data', this.#onData);
    stream.on('end', this.#onEnd);
    stream.on('close', this.#onClose);
    // A stream still flowing when run() ends (process.stdin above all) would keep the
    // process alive: the loop detaches and pauses it then, without a report — a reader
    // has no close(), so nobody could have done it by hand.
    this.#loop = _getRunningLoop();
    this.#loop?._registerResource(this, 'a reader from openReadable()', '', undefined, detachAtExit, false);
    // A stream already over will not say so again: tell the reader now.
    // (`errored` and `closed` are undefined on streams from the readable-stream package.)
    if (stream.readableEnded) reader.feedEof();
    else if (stream.errored) reader.setException(stream.errored);
    else if (stream.closed) reader.feedEof();
    else stream.resume(); // attaching 'data' does not restart a stream someone paused
  }

  #onData = (chunk: unknown): void => {
    if (chunk instanceof Uint8Array) return this.#reader.feedData(chunk);
    if (typeof chunk === 'string') return this.#reader.feedData(Buffer.from(chunk, this.#stream.readableEncoding ?? 'utf8'));
    this.#refuse(chunk);
  };

  /** An object-mode chunk that is not bytes: the reader throws, the producer stops. */
  #refuse(chunk: unknown): void {
    const what = chunk === null ? 'null' : Array.isArray(chunk) ? 'an array' : `a ${typeof chunk}`;
    const err = new TypeError(
      `openReadable(): the stream gave ${what}, not bytes. A StreamReader reads bytes: give it a byte stream, ` +
      'or an object-mode stream whose chunks are Buffers, Uint8Arrays or strings.',
    );
    this.#reader.setException(err);
    this.#stream.destroy(err);
  }

  #onEnd = (): void => {
    this.#reader.feedEof();
    this.#loop?._resourceClosed(this);
  };

  #onError = (err: unknown): void => {
    this.#reader.setException(err);
    this.#loop?._resourceClosed(this);
  };

  /** 'close' without 'end' or an error: destroyed, read as EOF (asyncio: connection_lost(None)). */
  #onClose = (): void => {
    if (this.#reader.exception() === null) this.#reader.feedEof();
    this.#loop?._resourceClosed(this);
  };

  /** @internal The end of run(): stop listening and stop the stream flowing. */
  _detach(): void {
    const stream = this.#stream;
    stream.off('data', this.#onData);
    stream.off('end', this.#onEnd);
    stream.off('close', this.#onClose);
    // The 'error' listener stays: an error after this must not become an uncaught one.
    stream.pause();
  }
}

function detachAtExit(this: _ReadPipe): void {
  this._detach();
}

// ---------------------------------------------------------------------------------
// The write side
// ---------------------------------------------------------------------------------

/**
 * How a writer's close() ends its stream, and what "closed" means for it:
 * - 'END': a Writable. close() and writeEof() call `end()`; closed at 'finish' or 'close'.
 * - 'END_THEN_DESTROY': a Duplex (openDuplex), closed whole as a socket is. writeEof()
 *   ends the write side; close() ends it and destroys the stream once finished
 *   (net.Socket's `destroySoon`); closed at 'close'.
 * - 'FLUSH_ONLY': process.stdout / process.stderr, never ended. close() waits for what
 *   was written to be flushed; writeEof() is refused.
 */
type CloseStyle = 'END' | 'END_THEN_DESTROY' | 'FLUSH_ONLY';

/**
 * A Node Writable under a StreamWriter: what `_StreamProtocol` is for a socket.
 *
 * Invariants:
 * - States: OPEN ─('finish' | 'close', by CloseStyle; or the flush after close() for
 *   FLUSH_ONLY)─▶ CLOSED. A stream already finished or destroyed at open starts CLOSED.
 * - `error` is the first 'error' the stream emitted (null: none). Once set it stays;
 *   writes, drains and waitClosed throw it.
 * - `#drainWaiters`: one future per drain() in progress, settled on 'drain', on an
 *   error (with it) and on CLOSED (with ConnectionResetError if bytes were left unsent).
 * - `#closeWaiters`: one future per waitClosed() in progress, settled on CLOSED or an error.
 * - Every wait counts as an I/O wait on the loop while it lasts (`#waitIn`).
 * - Listeners stay for the stream's life, except on process.stdout/stderr: those
 *   outlive the writer, so its listeners come off once it is CLOSED.
 * @internal
 */
export class _WritePipe<W extends Writable> implements _WriteProtocol<W> {
  state: ConnectionState = 'OPEN';
  error: unknown = null;
  readonly socket: W;
  readonly kind: string;
  readonly #style: CloseStyle;
  #drainWaiters: Future<void>[] = [];
  #closeWaiters: Future<void>[] = [];

  constructor(stream: W, style: CloseStyle, kind: string) {
    this.socket = stream;
    this.#style = style;
    this.kind = kind;
    stream.on('error', this.#onError);
    stream.on('drain', this.#onDrain);
    stream.on('close', this.#onClosed);
    if (style === 'END') stream.on('finish', this.#onClosed);
    if (stream.errored) this.error = stream.errored;
    if (stream.destroyed || (style === 'END' && stream.writableFinished)) this.state = 'CLOSED';
  }

  get writeEofRefusal(): string | null {
    if (this.#style !== 'FLUSH_ONLY') return null;
    return `writeEof() is not supported on ${this.kind}: ending it would cut off console.log for the rest of the ` +
      `process (canWriteEof() is false). Use close(): it flushes what was written and leaves ${this.kind} open.`;
  }

  shutWrite(): void {
    this.socket.end();
  }

  close(): void {
    const stream = this.socket;
    if (this.#style === 'FLUSH_ONLY') {
      // An empty write's callback runs once every earlier write was flushed.
      if (this.state !== 'CLOSED') stream.write(EMPTY, this.#onFlushed);
      return;
    }
    stream.end();
    if (this.#style === 'END_THEN_DESTROY') {
      if (stream.writableFinished) stream.destroy();
      else stream.once('finish', () => stream.destroy());
    }
  }

  /** drain(): wait while the Writable's buffer is above its highWaterMark. */
  *drain(): Coro<void> {
    if (this.error !== null) throw this.error;
    if (this.state === 'CLOSED' && !this.socket.writableFinished) throw new ConnectionResetError();
    if (!this.socket.writableNeedDrain) return;
    yield* _waitIn(this.#drainWaiters);
  }

  /** waitClosed(): wait for CLOSED; throws the stream's error if it had one. */
  *waitClosed(): Coro<void> {
    if (this.state !== 'CLOSED' && this.error === null) yield* _waitIn(this.#closeWaiters);
    if (this.error !== null) throw this.error;
  }

  extraInfo(name: string): unknown {
    return name === 'pipe' ? this.socket : null;
  }

  #onDrain = (): void => {
    settleAll(this.#drainWaiters, null);
  };

  #onError = (err: unknown): void => {
    if (this.error === null) this.error = err;
    settleAll(this.#drainWaiters, err);
    settleAll(this.#closeWaiters, null); // waitClosed then throws `error`
  };

  #onFlushed = (): void => {
    this.#onClosed();
  };

  #onClosed = (): void => {
    if (this.state === 'CLOSED') return; // 'finish', then 'close'
    this.state = 'CLOSED';
    const unsent = this.socket.writableFinished ? null : this.error ?? new ConnectionResetError();
    settleAll(this.#drainWaiters, unsent);
    settleAll(this.#closeWaiters, null);
    if (this.#style === 'FLUSH_ONLY') this.#detach();
  };

  #detach(): void {
    this.socket.off('error', this.#onError);
    this.socket.off('drain', this.#onDrain);
    this.socket.off('close', this.#onClosed);
  }
}

// ---------------------------------------------------------------------------------
// openReadable, openWritable, openDuplex
// ---------------------------------------------------------------------------------

export interface OpenReadableOptions {
  /** The reader's buffer limit (default 64 KiB): the longest line, and the flow-control threshold. */
  limit?: number;
}

/**
 * A StreamReader over a Node Readable: a child's stdout, `fs.createReadStream`,
 * process.stdin, `Readable.from(buffers)`. The stream is read at once, up to 2 × limit
 * bytes ahead, then paused until reads catch up (as a socket is). Its error is thrown
 * by the next read; a stream destroyed without one reads as EOF.
 *
 * Not a coroutine: there is nothing to wait for at open.
 *
 * @example
 * const child = spawn('ls', ['-l']);
 * const reader = openReadable(child.stdout);
 * for (let line = yield* reader.readline(); line.length > 0; line = yield* reader.readline()) {
 *   console.log(line.toString().trimEnd());
 * }
 * @see asyncio `await loop.connect_read_pipe(lambda: StreamReaderProtocol(reader), pipe)`
 */
export function openReadable(readable: Readable, options: OpenReadableOptions = {}): StreamReader {
  checkStream(readable, 'openReadable', 'a Node Readable (child.stdout, fs.createReadStream, Readable.from…)', ['on', 'pause', 'resume']);
  const reader = new StreamReader(options.limit ?? DEFAULT_LIMIT);
  new _ReadPipe(readable, reader);
  return reader;
}

/**
 * A StreamWriter over a Node Writable: a child's stdin, `fs.createWriteStream`,
 * process.stdout. `drain()` waits while the Writable is above its highWaterMark;
 * `close()` ends it (except process.stdout/stderr, which are only flushed) and
 * `waitClosed()` waits until everything was flushed. The stream's error is thrown by
 * the next write, drain or waitClosed. `writer.transport` is the Writable itself.
 *
 * Not a coroutine: there is nothing to wait for at open.
 *
 * @example
 * const writer = openWritable(fs.createWriteStream('out.txt'));
 * for (const line of lines) {
 *   writer.write(line);
 *   yield* writer.drain();
 * }
 * writer.close();
 * yield* writer.waitClosed();
 * @see asyncio `await loop.connect_write_pipe(FlowControlMixin, pipe)`, then `StreamWriter(transport, …)`
 */
export function openWritable<W extends Writable>(writable: W): StreamWriter<W> {
  checkStream(writable, 'openWritable', 'a Node Writable (child.stdin, fs.createWriteStream, process.stdout…)', ['on', 'write', 'end']);
  const stdio = stdioName(writable);
  const pipe = stdio === null ? new _WritePipe(writable, 'END', 'pipe') : new _WritePipe(writable, 'FLUSH_ONLY', stdio);
  return new StreamWriter(pipe, null);
}

/**
 * A reader and a writer over one Node Duplex, as openConnection gives for a socket:
 * a PassThrough, a Transform (write in, read the result out), any Duplex a library
 * returns. `writer.close()` closes the whole stream (ends it, then destroys it once
 * finished); `writeEof()` ends only the write side and reading goes on.
 *
 * @example
 * const [reader, writer] = openDuplex(zlib.createGzip());
 * writer.write(text);
 * writer.writeEof();
 * const gzipped = yield* reader.read();
 * @see asyncio `open_connection()`'s pair, over a transport that is not a socket
 */
export function openDuplex<D extends Duplex>(duplex: D, options: OpenReadableOptions = {}): [StreamReader, StreamWriter<D>] {
  checkStream(duplex, 'openDuplex', 'a Node Duplex (a PassThrough, a Transform, a socket…)', ['on', 'pause', 'resume', 'write', 'end']);
  const reader = openReadable(duplex, options);
  return [reader, new StreamWriter(new _WritePipe(duplex, 'END_THEN_DESTROY', 'duplex'), reader)];
}

/** 'process.stdout' / 'process.stderr' for those two streams, else null. */
function stdioName(stream: Writable): string | null {
  if (stream === process.stdout) return 'process.stdout';
  if (stream === process.stderr) return 'process.stderr';
  return null;
}

/** A clear error for what is not a Node stream (a web stream names its converter). */
function checkStream(value: unknown, fn: string, expected: string, methods: string[]): void {
  const obj = value as Record<string, unknown> | null;
  if (obj !== null && typeof obj === 'object' && methods.every((m) => typeof obj[m] === 'function')) return;
  let hint = '';
  if (obj !== null && typeof obj === 'object') {
    if (typeof obj.getReader === 'function') hint = ' This is a web ReadableStream: convert it with stream.Readable.fromWeb(s).';
    else if (typeof obj.getWriter === 'function') hint = ' This is a web WritableStream: convert it with stream.Writable.fromWeb(s).';
  }
  throw new TypeError(`${fn}() takes ${expected}, got ${value === null ? 'null' : typeof value}.${hint}`);
}
