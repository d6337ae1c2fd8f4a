/**
 * The grammar of HTTP/1.1 messages — h11's `_abnf.py`, as lookup tables and
 * small scanners instead of regexes.
 *
 * Each rule is quoted from RFC 9110 (semantics) or RFC 9112 (HTTP/1.1 syntax)
 * above the code that implements it. Why tables: a header name is checked once
 * per field by walking its characters through a 256-entry table, which costs
 * one array load per character and no allocation; a regex would be as correct
 * but slower on the hot path of every response.
 *
 * Bytes ↔ strings: HTTP heads are octets. We decode and encode them as latin1
 * (ISO-8859-1), the one encoding in which every octet is exactly one UTF-16
 * code unit, so no byte is lost or invented. (WHATWG's `TextDecoder('latin1')`
 * is really windows-1252 and would rewrite 0x80–0x9F, so Node's Buffer is used.)
 */
import { Buffer } from 'node:buffer';

/** Byte values the readers look for. */
export const CR = 0x0d;
export const LF = 0x0a;
export const SP = 0x20;
export const HTAB = 0x09;
export const COLON = 0x3a;

/*
 * RFC 9110 §5.6.2
 *   token = 1*tchar
 *   tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." /
 *           "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
 */
const TCHAR = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~") TCHAR[c.charCodeAt(0)] = 1;
for (let c = 0x30; c <= 0x39; c++) TCHAR[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) TCHAR[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) TCHAR[c] = 1;

/** True if `s` is a non-empty RFC 9110 token (method, field name, coding). */
export function isToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    // Code units above 0xFF index past the table and read `undefined`: not a tchar.
    if (TCHAR[s.charCodeAt(i)] !== 1) return false;
  }
  return true;
}

/*
 * RFC 9110 §5.5
 *   field-value    = *field-content
 *   field-content  = field-vchar [ 1*( SP / HTAB / field-vchar ) field-vchar ]
 *   field-vchar    = VCHAR / obs-text
 *   obs-text       = %x80-FF
 * "Field values containing CR, LF, or NUL characters are invalid and dangerous,
 *  due to the varying ways that implementations might parse and interpret
 *  those characters." Other CTLs are invalid too; what we send must not have any.
 */
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/** True if `s` may be sent as a field value: no CTL but HTAB, nothing above 0xFF. */
export function isFieldValue(s: string): boolean {
  return FIELD_VALUE.test(s);
}

/*
 * Received values are read more leniently (RFC 9110 §5.5: recipients "MAY
 * retain such characters for the sake of robustness"), except for the two
 * that change how a line is split: NUL and a bare CR.
 */
const DANGEROUS_RECEIVED = /[\0\r]/;

/** True if a received field value holds NUL or a bare CR, which we refuse. */
export function hasDangerousChar(s: string): boolean {
  return DANGEROUS_RECEIVED.test(s);
}

/*
 * RFC 9112 §3.2: request-target forms are built from URI characters, none of
 * which is whitespace or a control; "A recipient [...] MUST NOT attempt to
 * autocorrect" one that has them, so we must never send one.
 */
export function isRequestTarget(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f) return false;
  }
  return true;
}

/*
 * RFC 9110 §5.6.3
 *   OWS = *( SP / HTAB )
 * String.prototype.trim() also strips NBSP (0xA0), which is legitimate
 * obs-text inside a value, so OWS gets its own trimmer.
 */
export function trimOWS(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && isOWS(s.charCodeAt(start))) start++;
  while (end > start && isOWS(s.charCodeAt(end - 1))) end--;
  return start === 0 && end === s.length ? s : s.slice(start, end);
}

function isOWS(c: number): boolean {
  return c === SP || c === HTAB;
}

/*
 * RFC 9110 §5.6.1
 *   #element => [ element ] *( OWS "," OWS [ element ] )
 * "a recipient MUST accept empty list elements": they are dropped here.
 */
export function splitList(value: string): string[] {
  const out: string[] = [];
  for (const part of value.split(',')) {
    const element = trimOWS(part);
    if (element.length > 0) out.push(element);
  }
  return out;
}

/** True for an ASCII digit's char code. */
export function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** The value of a hex digit's char code, or -1. */
export function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const lower = c | 0x20;
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10;
  return -1;
}

/** Decode `bytes[start, end)` as latin1: one char per octet, lossless. */
export function decodeLatin1(bytes: Uint8Array, start = 0, end = bytes.length): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('latin1');
}

/**
 * Encode `head`, then the bytes of `body`, then `tail` into one new array —
 * one allocation for a request head with a small body, or for a whole chunk
 * (`size CRLF data CRLF`). The strings must hold only code units ≤ 0xFF
 * (checked by the caller: a larger one would be silently truncated).
 */
export function encodeLatin1(head: string, body?: Uint8Array, tail = ''): Uint8Array {
  const bodyLength = body?.length ?? 0;
  const out = Buffer.allocUnsafe(head.length + bodyLength + tail.length);
  out.write(head, 0, 'latin1');
  if (body !== undefined) out.set(body, head.length);
  if (tail.length > 0) out.write(tail, head.length + bodyLength, 'latin1');
  return out;
}
