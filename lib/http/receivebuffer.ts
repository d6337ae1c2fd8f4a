/**
 * The receive buffer — h11's `_receivebuffer.py`.
 *
 * ## Why this needs an essay
 *
 * The readers ask the buffer two kinds of question, over and over: "is there
 * a whole line yet?" (a chunk-size line) and "is there a whole header section
 * yet?" (the response head, the trailers). The peer decides how the bytes are
 * cut. Fed a 2 KiB head one byte at a time, a naive buffer does two quadratic
 * things: it concatenates (copying the first k bytes again for byte k+1) and
 * it searches (scanning the first k bytes again for the terminator). That is
 * 2 million byte operations for 2 KiB — a slow peer turned into a CPU cost.
 *
 * Both are avoided:
 *
 * - **Appending is amortised O(1) per byte.** When the buffer is empty, the
 *   incoming chunk is adopted as is — no copy at all, which is the common case
 *   for bodies: the reader consumes everything each time. Only leftover bytes
 *   force a copy, into an array we own with room to spare (capacity twice the
 *   pending size), so later appends land in the spare room; like a growing
 *   vector, each byte is copied O(1) times on average.
 * - **Searching resumes where it stopped.** Each search remembers how far it
 *   got without finding its terminator (`#lineScan`, `#blockScan`), and the
 *   next call starts there, so each byte is scanned O(1) times. The memory is
 *   an offset relative to the first unconsumed byte: consuming n bytes moves
 *   it back by n, and it stays true ("no terminator before here").
 *
 * ## The view rule
 *
 * `take()` hands out views (subarrays), not copies: body bytes go from the
 * socket to the caller untouched. So the buffer must never write over bytes it
 * has handed out: it writes only past `#end` of an array it allocated itself,
 * and it never compacts in place (moving pending bytes to the front would
 * overwrite views given out earlier) — it moves them to a new array instead.
 * The arrays the caller passes in are never written to.
 */
import { CR, LF, decodeLatin1 } from './abnf.ts';

const EMPTY = new Uint8Array(0);

/** Spare room given to a fresh owned array, so tiny heads don't reallocate per byte. */
const MIN_CAPACITY = 256;

/**
 * Bytes received and not yet consumed by a reader.
 *
 * Invariant: the pending bytes are `#buf[#start, #end)`. If `#owned`, `#buf`
 * was allocated here and `#buf[#end..]` is unused zeroed space that `append`
 * may fill; otherwise `#buf` is a caller's array and `#end === #buf.length`.
 * `#lineScan` / `#blockScan` are offsets relative to `#start`, at most
 * `length`, before which the respective terminator is known to be absent.
 */
export class ReceiveBuffer {
  #buf: Uint8Array = EMPTY;
  #start = 0;
  #end = 0;
  #owned = false;
  #lineScan = 0;
  #blockScan = 0;

  /** Number of pending bytes. */
  get length(): number {
    return this.#end - this.#start;
  }

  /** Add bytes after the pending ones. `data` is kept by reference when the buffer is empty. */
  append(data: Uint8Array): void {
    if (data.length === 0) return;
    if (this.#start === this.#end) {
      this.#adopt(data);
    } else if (this.#owned && this.#end + data.length <= this.#buf.length) {
      this.#buf.set(data, this.#end);
      this.#end += data.length;
    } else {
      this.#grow(data);
    }
  }

  /** The byte at `offset` from the first pending byte (`offset < length`). */
  at(offset: number): number {
    return this.#buf[this.#start + offset]!;
  }

  /** Consume the first `n` pending bytes and return them as a view (no copy). */
  take(n: number): Uint8Array {
    const view = this.#buf.subarray(this.#start, this.#start + n);
    this.skip(n);
    return view;
  }

  /** Consume the first `n` pending bytes. */
  skip(n: number): void {
    this.#start += n;
    this.#lineScan = Math.max(0, this.#lineScan - n);
    this.#blockScan = Math.max(0, this.#blockScan - n);
    // Empty: drop the array, so a big chunk is not kept alive by the buffer.
    if (this.#start === this.#end) this.clear();
  }

  /** Consume everything. */
  clear(): void {
    this.#adopt(EMPTY);
  }

  /** The pending bytes `[from, to)` decoded as latin1 (one char per octet). */
  decode(from: number, to: number): string {
    return decodeLatin1(this.#buf, this.#start + from, this.#start + to);
  }

  /** Offset of the first LF among the pending bytes, or -1. Resumes the previous search. */
  findLineEnd(): number {
    const lf = this.#indexOfLF(this.#lineScan);
    this.#lineScan = lf === -1 ? this.length : lf;
    return lf;
  }

  /**
   * Offset just past the blank line that ends a block of lines (a header
   * section), or -1 if none has arrived. The blank line is CRLF or a bare LF;
   * it may be the very first line (an empty block). Resumes the previous search.
   */
  findBlankLine(): number {
    const len = this.length;
    if (len === 0) return -1;
    const first = this.at(0);
    if (first === LF) return 1;
    if (first === CR && len >= 2 && this.at(1) === LF) return 2;
    for (let from = this.#blockScan; ; ) {
      const lf = this.#indexOfLF(from);
      if (lf === -1) {
        this.#blockScan = len;
        return -1;
      }
      // A line ended at `lf`; the block ends if the next line is empty.
      const next = lf + 1 < len ? this.at(lf + 1) : -1;
      const after = lf + 2 < len ? this.at(lf + 2) : -1;
      if (next === LF) return lf + 2;
      if (next === CR && after === LF) return lf + 3;
      if (next === -1 || (next === CR && after === -1)) {
        this.#blockScan = lf; // undecided until more bytes come: look here again
        return -1;
      }
      from = lf + 1;
    }
  }

  #indexOfLF(from: number): number {
    const begin = this.#start + from;
    if (this.#end === this.#buf.length) {
      const at = this.#buf.indexOf(LF, begin);
      return at === -1 ? -1 : at - this.#start;
    }
    // indexOf has no end bound: in an owned array it would scan the spare
    // room past #end on every call (quadratic again), so bound it with a view.
    const at = this.#buf.subarray(begin, this.#end).indexOf(LF);
    return at === -1 ? -1 : from + at;
  }

  #adopt(data: Uint8Array): void {
    this.#buf = data;
    this.#start = 0;
    this.#end = data.length;
    this.#owned = false;
    this.#lineScan = 0;
    this.#blockScan = 0;
  }

  /** Move the pending bytes and `data` to a new owned array with room to spare. */
  #grow(data: Uint8Array): void {
    const pending = this.length;
    const next = new Uint8Array(Math.max(MIN_CAPACITY, 2 * (pending + data.length)));
    next.set(this.#buf.subarray(this.#start, this.#end), 0);
    next.set(data, pending);
    this.#buf = next;
    this.#start = 0;
    this.#end = pending + data.length;
    this.#owned = true;
    // The scan offsets are relative to #start, so they survive the move unchanged.
  }
}
