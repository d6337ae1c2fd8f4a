/**
 * Header fields — h11's `_headers.py`: the container, and the few fields whose
 * meaning HTTP/1.1 framing depends on (Content-Length, Transfer-Encoding,
 * Connection).
 *
 * RFC 9110 §5.1: "Field names are case-insensitive". RFC 9110 §5.2: a
 * recipient may combine repeated fields into one comma-separated value, "in
 * order" — so order is kept and `get()` joins with ", ". `Set-Cookie` is the
 * one field that cannot be joined that way; read it with `getAll()`.
 *
 * Storage is three parallel arrays rather than a Map: a response has a dozen
 * fields, a linear scan over lower-cased names beats hashing at that size, and
 * wire order and original casing come for free.
 */
import { splitList, trimOWS } from './abnf.ts';

/** A header list as callers write it: pairs in order, or a plain record. */
export type HeadersInit = Headers | Iterable<readonly [string, string]> | Record<string, string>;

/**
 * An ordered, case-insensitive multimap of header fields.
 *
 * Invariant: `#names`, `#lower` and `#values` have the same length; entry `i`
 * is the field `#names[i]: #values[i]` as it appeared (or was appended), and
 * `#lower[i] === #names[i].toLowerCase()`. Validation is not done here: the
 * reader validates what it receives, the writer what it sends.
 *
 * @example
 * const h = new Headers([['Content-Type', 'text/plain'], ['Vary', 'a'], ['vary', 'b']]);
 * h.get('content-type'); // 'text/plain'
 * h.get('Vary');         // 'a, b'
 * [...h];                // [['Content-Type', 'text/plain'], ['Vary', 'a'], ['vary', 'b']]
 */
export class Headers implements Iterable<[string, string]> {
  #names: string[] = [];
  #lower: string[] = [];
  #values: string[] = [];

  constructor(init?: HeadersInit) {
    if (init === undefined) return;
    if (init instanceof Headers) {
      this.#names = init.#names.slice();
      this.#lower = init.#lower.slice();
      this.#values = init.#values.slice();
    } else if (Symbol.iterator in init) {
      for (const [name, value] of init as Iterable<readonly [string, string]>) this.append(name, value);
    } else {
      for (const name of Object.keys(init)) this.append(name, (init as Record<string, string>)[name]!);
    }
  }

  /**
   * Package-internal: adopt arrays the reader already built (no copy, no
   * re-lowercasing). The arrays must satisfy the class invariant.
   * @internal
   */
  static _fromParsed(names: string[], lower: string[], values: string[]): Headers {
    const h = new Headers();
    h.#names = names;
    h.#lower = lower;
    h.#values = values;
    return h;
  }

  /** Number of fields (a repeated name counts once per line). */
  get size(): number {
    return this.#names.length;
  }

  /** The fields in wire order with their original casing, as `[name, value]` pairs. */
  get raw(): Array<[string, string]> {
    return this.#names.map((name, i) => [name, this.#values[i]!]);
  }

  /** All values of `name` joined by ", " (RFC 9110 §5.2), or `null` if absent. */
  get(name: string): string | null {
    const key = name.toLowerCase();
    let found: string | null = null;
    for (let i = 0; i < this.#lower.length; i++) {
      if (this.#lower[i] !== key) continue;
      found = found === null ? this.#values[i]! : `${found}, ${this.#values[i]!}`;
    }
    return found;
  }

  /** Every value of `name`, one per field line, in order. */
  getAll(name: string): string[] {
    const key = name.toLowerCase();
    const out: string[] = [];
    for (let i = 0; i < this.#lower.length; i++) {
      if (this.#lower[i] === key) out.push(this.#values[i]!);
    }
    return out;
  }

  /** True if at least one field is called `name`. */
  has(name: string): boolean {
    return this.#lower.includes(name.toLowerCase());
  }

  /** Add a field after the others, keeping any existing ones of the same name. */
  append(name: string, value: string): void {
    this.#names.push(name);
    this.#lower.push(name.toLowerCase());
    this.#values.push(value);
  }

  /** Replace every field called `name` by one `name: value` (in the first one's place). */
  set(name: string, value: string): void {
    const key = name.toLowerCase();
    const at = this.#lower.indexOf(key);
    if (at === -1) return this.append(name, value);
    this.delete(name);
    this.#names.splice(at, 0, name);
    this.#lower.splice(at, 0, key);
    this.#values.splice(at, 0, value);
  }

  /** Remove every field called `name`. */
  delete(name: string): void {
    const key = name.toLowerCase();
    for (let i = this.#lower.length - 1; i >= 0; i--) {
      if (this.#lower[i] !== key) continue;
      this.#names.splice(i, 1);
      this.#lower.splice(i, 1);
      this.#values.splice(i, 1);
    }
  }

  /** Iterate `[name, value]` in wire order with original casing. */
  *[Symbol.iterator](): Iterator<[string, string]> {
    for (let i = 0; i < this.#names.length; i++) yield [this.#names[i]!, this.#values[i]!];
  }

  /** Package-internal: field `i`'s name as given (the writer walks fields without iterators). @internal */
  _nameAt(i: number): string {
    return this.#names[i]!;
  }

  /** Package-internal: field `i`'s lower-cased name. @internal */
  _lowerAt(i: number): string {
    return this.#lower[i]!;
  }

  /** Package-internal: field `i`'s value. @internal */
  _valueAt(i: number): string {
    return this.#values[i]!;
  }
}

/**
 * The elements of every `name` field, lower-cased, as one list — for fields
 * whose values are case-insensitive tokens (`Connection`, `Transfer-Encoding`).
 */
export function commaTokens(headers: Headers, name: string): string[] {
  const out: string[] = [];
  for (const value of headers.getAll(name)) {
    for (const element of splitList(value)) out.push(element.toLowerCase());
  }
  return out;
}

/**
 * True if some `name` field (lower-case) lists `token` (lower-case), compared
 * case-insensitively: `commaTokens(headers, name).includes(token)` without building
 * the lists. Framing asks this of `Connection` twice per exchange (bench/http.ts).
 */
export function hasToken(headers: Headers, name: string, token: string): boolean {
  for (let i = 0; i < headers.size; i++) {
    if (headers._lowerAt(i) !== name) continue;
    const value = headers._valueAt(i);
    if (!value.includes(',')) {
      if (trimOWS(value).toLowerCase() === token) return true;
      continue;
    }
    for (const element of splitList(value)) if (element.toLowerCase() === token) return true;
  }
  return false;
}

/** The constructor of the error a caller wants for a bad Content-Length. */
export type ErrorClass = new (message: string) => Error;

/*
 * RFC 9110 §8.6
 *   Content-Length = 1*DIGIT
 * RFC 9112 §6.3 step 5: "If a message is received without Transfer-Encoding
 * and with an invalid Content-Length header field, then the message framing is
 * invalid [...]. If this is a response message received by a user agent, the
 * user agent MUST close the connection to the server and discard the received
 * response." RFC 9110 §8.6 allows the one exception of a list of identical
 * values ("42, 42"), which a recipient may collapse to one.
 */

/**
 * The body length declared by the `Content-Length` fields, `null` if there are
 * none. Repeated identical values collapse; differing, non-numeric or unsafely
 * large values throw `new Err(message)`.
 */
export function contentLength(headers: Headers, Err: ErrorClass): number | null {
  let length: number | null = null;
  // A walk over the fields rather than getAll(), and split only a value that has a
  // comma: every response is framed by this, and most carry one plain value.
  for (let i = 0; i < headers.size; i++) {
    if (headers._lowerAt(i) !== 'content-length') continue;
    const value = headers._valueAt(i);
    for (const element of value.includes(',') ? value.split(',') : [value]) {
      const n = parseDecimal(trimOWS(element));
      if (n === null) throw new Err(`invalid Content-Length: ${JSON.stringify(value)}`);
      if (length !== null && n !== length) {
        throw new Err(`conflicting Content-Length values: ${length} and ${n}`);
      }
      length = n;
    }
  }
  return length;
}

/** `1*DIGIT` as a safe integer, or null if it is not one. */
function parseDecimal(s: string): number | null {
  if (s.length === 0 || s.length > 16) return null;
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const d = s.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return null;
    n = n * 10 + d;
  }
  return Number.isSafeInteger(n) ? n : null;
}
