/**
 * fast-check arbitraries and oracles for the HTTP fuzz specs (issue #5,
 * "Hostile input"): spec/http/fuzz-response.spec.ts and fuzz-request.spec.ts.
 *
 * Response side: `responseArb` generates a *model* of a valid response (1xx
 * interims, status line, header fields with obs-fold / OWS / random casing /
 * bare-LF line ends, framing by Content-Length, chunked with extensions and
 * trailers, or read-until-close) together with its bytes and the events a
 * correct client must produce from them (`expected`). `runResponse` drives a
 * `ClientConnection` over any chunking of bytes and records a comparable
 * transcript, enforcing the `nextEvent` progress bound so that a looping
 * parser fails the property instead of hanging it.
 *
 * Request side: `parseStrictRequest` is a small strict server-side request
 * parser (RFC 9112 request-line, field lines, Content-Length / chunked
 * framing, CRLF only, no obs-fold, no CTLs) used as the oracle for the
 * serializer: what a client sends must read as exactly one request.
 */
import fc from 'fast-check';
import { ClientConnection } from '../../lib/http/connection.ts';
import { RemoteProtocolError } from '../../lib/http/errors.ts';
import type { ReceivedEvent } from '../../lib/http/events.ts';
import type { RequestInit } from '../../lib/http/writers.ts';
import { bytes, concat, latin1 } from './bytes.ts';

// ---------------------------------------------------------------------------
// Character classes
// ---------------------------------------------------------------------------

const TCHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const VCHARS = Array.from({ length: 0x7e - 0x21 + 1 }, (_, i) => String.fromCharCode(0x21 + i)).join('');
const OBS_TEXT = Array.from({ length: 0x80 }, (_, i) => String.fromCharCode(0x80 + i)).join('');
/** CTLs a recipient tolerates in a received value (not NUL, CR, LF; HTAB is whitespace). */
const TOLERATED_CTLS = '\x01\x02\x07\x08\x0b\x0c\x0e\x1b\x1f\x7f';

/** Field names the generator must not produce at random: they change framing or reuse. */
const RESERVED = new Set(['content-length', 'transfer-encoding', 'connection']);

export const tokenArb = fc.string({ unit: fc.constantFrom(...TCHARS), minLength: 1, maxLength: 12 });

const fieldNameArb = tokenArb.filter((n) => !RESERVED.has(n.toLowerCase()));

/** OWS = *( SP / HTAB ) */
const owsArb = fc.string({ unit: fc.constantFrom(' ', '\t'), maxLength: 3 });
const rwsArb = fc.string({ unit: fc.constantFrom(' ', '\t'), minLength: 1, maxLength: 3 });

/** A received field value's content (may have inner whitespace, obs-text, tolerated CTLs). */
const valueCharArb = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom(...VCHARS) },
  { weight: 2, arbitrary: fc.constantFrom(' ', '\t') },
  { weight: 1, arbitrary: fc.constantFrom(...OBS_TEXT) },
  { weight: 1, arbitrary: fc.constantFrom(...TOLERATED_CTLS) },
);
const valuePartArb = fc.string({ unit: valueCharArb, maxLength: 16 });

/** RFC 9110 §5.6.3 OWS trim (not String.prototype.trim, which strips NBSP). */
export function trimOWS(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && (s[a] === ' ' || s[a] === '\t')) a++;
  while (b > a && (s[b - 1] === ' ' || s[b - 1] === '\t')) b--;
  return s.slice(a, b);
}

const eolArb = fc.oneof({ weight: 5, arbitrary: fc.constant('\r\n') }, { weight: 1, arbitrary: fc.constant('\n') });

// ---------------------------------------------------------------------------
// Response model
// ---------------------------------------------------------------------------

export type Pair = [string, string];

/** One head (interim or final) as the client must report it. */
export interface ExpectedHead {
  statusCode: number;
  reasonPhrase: string;
  httpVersion: '1.0' | '1.1';
  headers: Pair[];
}

/** What the body framing of the final response is, by RFC 9112 §6.3. */
export type FramingKind = 'none' | 'length' | 'chunked' | 'close';

/** A generated valid response with its bytes and the expected outcome. */
export interface GeneratedResponse {
  method: 'GET' | 'HEAD' | 'POST';
  /** The request says `Connection: close`. */
  requestClose: boolean;
  bytes: Uint8Array;
  /** Offset just past the final response's head. */
  headEnd: number;
  interims: ExpectedHead[];
  final: ExpectedHead;
  framing: FramingKind;
  body: Uint8Array;
  trailers: Pair[];
  /** Bytes appended after a self-delimited message (never for `close`). */
  extra: Uint8Array;
  /** `isReusable()` once the message is complete, before EOF. */
  reusable: boolean;
}

interface FieldArb {
  raw: string;
  pair: Pair;
}

/**
 * One field line: name, ":", OWS, the value's parts separated by obs-folds
 * (OWS EOL RWS), OWS, EOL. Expected value: the non-empty trimmed parts joined
 * by one SP (RFC 9112 §5.2: each obs-fold is replaced by SP).
 */
function fieldArb(nameArb: fc.Arbitrary<string>, partArb: fc.Arbitrary<string> = valuePartArb): fc.Arbitrary<FieldArb> {
  return fc
    .record({
      name: nameArb,
      parts: fc.array(fc.record({ part: partArb, lead: owsArb, trail: owsArb, eol: eolArb, rws: rwsArb }), {
        minLength: 1,
        maxLength: 3,
      }),
      eol: eolArb,
    })
    .map(({ name, parts, eol }) => {
      let raw = `${name}:`;
      parts.forEach((p, i) => {
        if (i > 0) raw += `${parts[i - 1]!.eol}${p.rws}`;
        raw += `${p.lead}${trimOWS(p.part)}${p.trail}`;
      });
      raw += eol;
      const value = parts.map((p) => trimOWS(p.part)).filter((s) => s.length > 0).join(' ');
      return { raw, pair: [name, value] as Pair };
    });
}

/** A literal field (framing headers), random casing, OWS, EOL. */
function literalFieldArb(name: string, value: string): fc.Arbitrary<FieldArb> {
  return fc.record({ casing: casingArb(name), lead: owsArb, trail: owsArb, eol: eolArb }).map(({ casing, lead, trail, eol }) => ({
    raw: `${casing}:${lead}${value}${trail}${eol}`,
    pair: [casing, value] as Pair,
  }));
}

function casingArb(s: string): fc.Arbitrary<string> {
  return fc.array(fc.boolean(), { minLength: s.length, maxLength: s.length }).map((up) =>
    Array.from(s, (c, i) => (up[i] ? c.toUpperCase() : c.toLowerCase())).join(''),
  );
}

const reasonArb = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('OK', 'Not Found', 'Continue', 'Early Hints', 'No Content', 'Not Modified', '') },
  {
    weight: 1,
    arbitrary: fc.string({
      unit: fc.oneof(fc.constantFrom(...VCHARS), fc.constantFrom(' ', '\t'), fc.constantFrom(...OBS_TEXT)),
      maxLength: 12,
    }),
  },
  // No reason and no SP: "HTTP/1.1 200" (tolerated).
  { weight: 1, arbitrary: fc.constant(null) },
);

const minorArb = fc.constantFrom('1', '1', '1', '1', '1', '0', '9');

interface HeadArb {
  raw: string;
  head: ExpectedHead;
}

function headArb(codeArb: fc.Arbitrary<number>, extraFields: fc.Arbitrary<FieldArb[]>): fc.Arbitrary<HeadArb> {
  return fc
    .record({
      minor: minorArb,
      code: codeArb,
      reason: reasonArb,
      eol: eolArb,
      fields: fc.array(fieldArb(fieldNameArb), { maxLength: 5 }),
      framing: extraFields,
      positions: fc.array(fc.nat(), { maxLength: 8 }),
      end: eolArb,
    })
    .map(({ minor, code, reason, eol, fields, framing, positions, end }) => {
      // Framing fields go at random positions among the others, in their own order
      // (the order of Transfer-Encoding lines is the order of codings).
      const all = fields.slice();
      const at = framing.map((_, i) => (positions[i] ?? 0) % (fields.length + 1)).sort((a, b) => a - b);
      framing.forEach((f, i) => all.splice(at[i]! + i, 0, f));
      const status = `HTTP/1.${minor} ${code}${reason === null ? '' : ` ${reason}`}`;
      return {
        raw: `${status}${eol}${all.map((f) => f.raw).join('')}${end}`,
        head: {
          statusCode: code,
          reasonPhrase: reason ?? '',
          httpVersion: minor === '0' ? '1.0' : '1.1',
          headers: all.map((f) => f.pair),
        },
      };
    });
}

const interimCodeArb = fc.constantFrom(100, 102, 103, 199);
const finalCodeArb = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(200, 201, 206, 301, 404, 500) },
  { weight: 1, arbitrary: fc.constantFrom(204, 304) },
  { weight: 1, arbitrary: fc.integer({ min: 200, max: 999 }) },
);

/** How the generator frames the final response's body (before §6.3 step 1 overrides it). */
type BodyPlan =
  | { kind: 'length'; form: 'plain' | 'list' | 'twice' | 'zeros' }
  | { kind: 'chunked'; te: 'plain' | 'gzip,chunked' | 'two-lines'; withCL: boolean }
  | { kind: 'close'; te: 'none' | 'gzip' | 'chunked,gzip' }
  | { kind: 'http10-te' };

const bodyPlanArb: fc.Arbitrary<BodyPlan> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('length' as const), form: fc.constantFrom('plain', 'list', 'twice', 'zeros') as fc.Arbitrary<'plain' | 'list' | 'twice' | 'zeros'> }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('chunked' as const),
      te: fc.constantFrom('plain', 'gzip,chunked', 'two-lines') as fc.Arbitrary<'plain' | 'gzip,chunked' | 'two-lines'>,
      withCL: fc.boolean(),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('close' as const), te: fc.constantFrom('none', 'gzip', 'chunked,gzip') as fc.Arbitrary<'none' | 'gzip' | 'chunked,gzip'> }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('http10-te' as const) }) },
);

const chunkArb = fc.record({
  data: fc.uint8Array({ minLength: 1, maxLength: 40 }),
  zeros: fc.nat({ max: 2 }),
  upper: fc.boolean(),
  ext: fc.constantFrom('', ';a=b', ' ; name="x y"', '\t;foo', ';q=1;r', ';' + 'e'.repeat(30)),
});

const lastChunkArb = fc.record({ zeros: fc.integer({ min: 1, max: 3 }), ext: fc.constantFrom('', ';last', ' ;x="0\\r"') });

function connectionFieldArb(): fc.Arbitrary<{ fields: FieldArb[]; close: boolean; keepAlive: boolean }> {
  return fc
    .constantFrom(null, null, null, null, 'close', 'keep-alive', 'Keep-Alive, foo', 'foo, CLOSE', 'upgrade')
    .chain((v) =>
      v === null
        ? fc.constant({ fields: [], close: false, keepAlive: false })
        : literalFieldArb('Connection', v).map((f) => ({
            fields: [f],
            close: /close/i.test(v),
            keepAlive: /keep-alive/i.test(v),
          })),
    );
}

/** A valid response: see `GeneratedResponse`. */
export const responseArb: fc.Arbitrary<GeneratedResponse> = fc
  .record({
    method: fc.constantFrom('GET', 'GET', 'GET', 'GET', 'POST', 'POST', 'HEAD') as fc.Arbitrary<'GET' | 'HEAD' | 'POST'>,
    requestClose: fc.oneof({ weight: 5, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
    interims: fc.array(headArb(interimCodeArb, fc.constant([])), { maxLength: 2 }),
    plan: bodyPlanArb,
    connection: connectionFieldArb(),
    body: fc.uint8Array({ maxLength: 80 }),
    chunks: fc.array(chunkArb, { maxLength: 5 }),
    last: lastChunkArb,
    trailers: fc.array(fieldArb(fieldNameArb), { maxLength: 3 }),
    trailerEnd: eolArb,
    extra: fc.oneof(
      { weight: 4, arbitrary: fc.constant(new Uint8Array(0)) },
      { weight: 1, arbitrary: fc.constant(bytes('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n')) },
      { weight: 1, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 10 }) },
    ),
    cl: fc.nat({ max: 99 }),
  })
  .chain((g) => {
    // The framing fields, by plan.
    const framingFields: fc.Arbitrary<FieldArb>[] = [];
    const { plan } = g;
    const n = g.body.length;
    if (plan.kind === 'length') {
      if (plan.form === 'plain') framingFields.push(literalFieldArb('Content-Length', `${n}`));
      if (plan.form === 'list') framingFields.push(literalFieldArb('Content-Length', `${n} ,${n}`));
      if (plan.form === 'zeros') framingFields.push(literalFieldArb('Content-Length', `00${n}`));
      if (plan.form === 'twice') framingFields.push(literalFieldArb('Content-Length', `${n}`), literalFieldArb('content-length', `${n}`));
    } else if (plan.kind === 'chunked' || plan.kind === 'http10-te') {
      const te = plan.kind === 'chunked' ? plan.te : 'plain';
      if (te === 'plain') framingFields.push(literalFieldArb('Transfer-Encoding', 'chunked'));
      if (te === 'gzip,chunked') framingFields.push(literalFieldArb('Transfer-Encoding', 'gzip, chunked'));
      if (te === 'two-lines') framingFields.push(literalFieldArb('Transfer-Encoding', 'gzip'), literalFieldArb('Transfer-Encoding', 'chunked'));
      if (plan.kind === 'chunked' && plan.withCL) framingFields.push(literalFieldArb('Content-Length', `${g.cl}`));
    } else if (plan.te !== 'none') {
      framingFields.push(literalFieldArb('Transfer-Encoding', plan.te === 'gzip' ? 'gzip' : 'chunked, gzip'));
    }
    const fields = fc.tuple(...framingFields).map((fs) => [...fs, ...g.connection.fields]);
    const finalHead = plan.kind === 'http10-te'
      ? headArb(finalCodeArb, fields).map((h) => ({
          raw: h.raw.replace(/^HTTP\/1\.\d/, 'HTTP/1.0'),
          head: { ...h.head, httpVersion: '1.0' as const },
        }))
      : headArb(finalCodeArb, fields);
    return finalHead.map((final) => build(g, final));
  });

function build(
  g: {
    method: 'GET' | 'HEAD' | 'POST';
    requestClose: boolean;
    interims: HeadArb[];
    plan: BodyPlan;
    connection: { close: boolean; keepAlive: boolean };
    body: Uint8Array;
    chunks: Array<{ data: Uint8Array; zeros: number; upper: boolean; ext: string }>;
    last: { zeros: number; ext: string };
    trailers: FieldArb[];
    trailerEnd: string;
    extra: Uint8Array;
  },
  final: HeadArb,
): GeneratedResponse {
  const { statusCode, httpVersion } = final.head;
  const noBody = g.method === 'HEAD' || statusCode === 204 || statusCode === 304;
  let framing: FramingKind;
  let mustClose = false;
  let wire: Uint8Array; // the body as sent
  let body: Uint8Array; // the body as the client must report it
  let trailers: Pair[] = [];
  const chunked = () => {
    const parts: Uint8Array[] = [];
    for (const c of g.chunks) {
      const hex = c.data.length.toString(16);
      parts.push(bytes(`${'0'.repeat(c.zeros)}${c.upper ? hex.toUpperCase() : hex}${c.ext}\r\n`), c.data, bytes('\r\n'));
    }
    parts.push(bytes(`${'0'.repeat(g.last.zeros)}${g.last.ext}\r\n${g.trailers.map((t) => t.raw).join('')}${g.trailerEnd}`));
    return { wire: concat(...parts), body: concat(...g.chunks.map((c) => c.data)) };
  };
  if (noBody) {
    framing = 'none';
    wire = body = new Uint8Array(0);
  } else if (g.plan.kind === 'length') {
    framing = 'length';
    wire = body = g.body;
  } else if (g.plan.kind === 'chunked' && httpVersion === '1.1') {
    framing = 'chunked';
    mustClose = g.plan.withCL;
    ({ wire, body } = chunked());
    trailers = g.trailers.map((t) => t.pair);
  } else if (g.plan.kind === 'http10-te' || g.plan.kind === 'chunked') {
    // Transfer-Encoding in HTTP/1.0 is faulty framing (RFC 9112 §6.1): read to EOF, not de-chunked.
    framing = 'close';
    wire = body = chunked().wire;
  } else {
    framing = 'close';
    wire = body = g.body;
  }
  const keepAlive =
    !g.requestClose &&
    !g.connection.close &&
    (httpVersion === '1.1' || g.connection.keepAlive) &&
    framing !== 'close' &&
    !mustClose;
  const extra = framing === 'close' ? new Uint8Array(0) : g.extra;
  const head = bytes(g.interims.map((h) => h.raw).join('') + final.raw);
  return {
    method: g.method,
    requestClose: g.requestClose,
    bytes: concat(head, wire, extra),
    headEnd: head.length,
    interims: g.interims.map((h) => h.head),
    final: final.head,
    framing,
    body,
    trailers,
    extra,
    reusable: keepAlive && extra.length === 0,
  };
}

/** The request a generated response answers. */
export function requestFor(r: { method: string; requestClose?: boolean }): RequestInit {
  const headers: Pair[] = [['Host', 'example.com']];
  if (r.requestClose) headers.push(['Connection', 'close']);
  return { method: r.method, target: '/', headers, body: r.method === 'POST' ? bytes('q') : undefined };
}

// ---------------------------------------------------------------------------
// Splitting and mutating bytes
// ---------------------------------------------------------------------------

/** Cut points (any naturals; reduced modulo the length by `splitAt`). */
export const cutsArb = fc.array(fc.nat(), { maxLength: 12 });

/** `data` cut at `cuts` (mod length+1); never an empty piece (empty = EOF to receiveData). */
export function splitAt(data: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (data.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let from = 0;
  for (const p of [...points, data.length]) {
    if (p > from) out.push(data.subarray(from, p));
    from = Math.max(from, p);
  }
  return out;
}

/** One byte per piece. */
export function bytewise(data: Uint8Array): Uint8Array[] {
  return Array.from({ length: data.length }, (_, i) => data.subarray(i, i + 1));
}

export type Mutation =
  | { op: 'flip'; at: number; bit: number }
  | { op: 'set'; at: number; byte: number }
  | { op: 'insert'; at: number; text: string }
  | { op: 'delete'; at: number; n: number }
  | { op: 'truncate'; at: number };

const NASTY = ['\r', '\n', '\0', ' ', '\t', ':', ';', '0', 'f', '\r\n', '\r\n\r\n', '\n\n', ',', '-', '9', 'HTTP/1.1 200 OK\r\n', '\xff', 'Content-Length: 1\r\n', 'Transfer-Encoding: chunked\r\n'];

export const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), at: fc.nat(), bit: fc.nat({ max: 7 }) }),
  fc.record({ op: fc.constant('set' as const), at: fc.nat(), byte: fc.oneof(fc.constantFrom(0x0d, 0x0a, 0x00, 0x20, 0x3a, 0x30, 0x39), fc.nat({ max: 255 })) }),
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), text: fc.oneof(fc.constantFrom(...NASTY), fc.string({ maxLength: 4 })) }),
  fc.record({ op: fc.constant('delete' as const), at: fc.nat(), n: fc.integer({ min: 1, max: 4 }) }),
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
);

export function mutate(data: Uint8Array, mutations: Mutation[]): Uint8Array {
  let out = data;
  for (const m of mutations) {
    const at = m.at % (out.length + 1);
    switch (m.op) {
      case 'flip':
      case 'set': {
        if (at >= out.length) break;
        out = out.slice();
        out[at] = m.op === 'flip' ? out[at]! ^ (1 << m.bit) : m.byte;
        break;
      }
      case 'insert':
        out = concat(out.subarray(0, at), bytes(m.text.replace(/[^\0-\xff]/g, '?')), out.subarray(at));
        break;
      case 'delete':
        out = concat(out.subarray(0, at), out.subarray(at + m.n));
        break;
      case 'truncate':
        out = out.subarray(0, at);
        break;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------
// Driving a connection
// ---------------------------------------------------------------------------

/** Comparable record of what a connection made of some bytes. */
export interface Transcript {
  /** Heads and markers in order; Data is summed into `body`. */
  events: Array<ExpectedHead & { type: string } | { type: 'EndOfMessage'; trailers: Pair[] } | { type: 'ConnectionClosed' }>;
  body: Uint8Array;
  /** Body pieces in order (to check each is a view of the input, etc.). */
  dataEvents: number;
  /** `isReusable()` after all bytes were fed and drained, before EOF. */
  reusableBeforeEof: boolean;
  /** The RemoteProtocolError, if one was thrown (any other error propagates). */
  error: RemoteProtocolError | null;
  /** `nextEvent` calls made. */
  calls: number;
  /** Bytes fed when the error was thrown, and the size of the last piece fed then. */
  fedAtError: number;
  lastPiece: number;
}

/**
 * Send `request`, feed `chunks`, drain events after each; then (if `eof`)
 * EOF and drain. A `RemoteProtocolError` ends the run and is recorded; any
 * other throw propagates. Progress bound: every `nextEvent` must consume
 * input, return NEED_DATA/PAUSED, or be one of the few zero-byte events
 * (EndOfMessage, ConnectionClosed) — so the calls are bounded by bytes fed +
 * a constant per push; exceeding it fails as a loop.
 */
export function runResponse(
  request: RequestInit,
  chunks: Uint8Array[],
  opts: { eof: boolean; conn?: ClientConnection; onPush?: (conn: ClientConnection, fed: number) => void } = { eof: true },
): Transcript {
  const conn = opts.conn ?? new ClientConnection();
  conn.sendRequest(request);
  const t: Transcript = { events: [], body: new Uint8Array(0), dataEvents: 0, reusableBeforeEof: false, error: null, calls: 0, fedAtError: -1, lastPiece: 0 };
  const bodyParts: Uint8Array[] = [];
  let fed = 0;
  let pushes = 0;
  let done = false;
  const drain = () => {
    for (;;) {
      t.calls++;
      if (t.calls > fed + 3 * pushes + 8) throw new Error(`nextEvent made no progress: ${t.calls} calls for ${fed} bytes in ${pushes} pushes`);
      const e: ReceivedEvent = conn.nextEvent();
      switch (e.type) {
        case 'NEED_DATA':
        case 'PAUSED':
          return;
        case 'Data':
          if (e.data.length === 0) throw new Error('empty Data event');
          if (t.events.at(-1)?.type !== 'Response') throw new Error(`Data after ${t.events.at(-1)?.type}`);
          bodyParts.push(e.data.slice());
          t.dataEvents++;
          break;
        case 'InformationalResponse':
        case 'Response':
          t.events.push({ type: e.type, statusCode: e.statusCode, reasonPhrase: e.reasonPhrase, httpVersion: e.httpVersion, headers: e.headers.raw });
          break;
        case 'EndOfMessage':
          t.events.push({ type: 'EndOfMessage', trailers: e.trailers.raw });
          break;
        case 'ConnectionClosed':
          t.events.push({ type: 'ConnectionClosed' });
          done = true;
          return;
      }
    }
  };
  try {
    pushes++;
    drain(); // before any byte: must be NEED_DATA
    for (const c of chunks) {
      if (done) break;
      fed += c.length;
      t.lastPiece = c.length;
      pushes++;
      conn.receiveData(c);
      opts.onPush?.(conn, fed);
      drain();
    }
    t.reusableBeforeEof = conn.isReusable();
    if (opts.eof && !done) {
      pushes++;
      conn.receiveData(null);
      drain();
    }
  } catch (err) {
    if (!(err instanceof RemoteProtocolError)) throw err;
    t.error = err;
    t.fedAtError = fed;
    if (conn.theirState !== 'ERROR') throw new Error(`RemoteProtocolError but their state is ${conn.theirState}`);
  }
  t.body = concat(...bodyParts);
  return t;
}

/** The transcript a correct client produces for a generated response (fed whole, then EOF). */
export function expectedTranscript(r: GeneratedResponse): Pick<Transcript, 'events' | 'body' | 'reusableBeforeEof' | 'error'> {
  return {
    events: [
      ...r.interims.map((h) => ({ type: 'InformationalResponse', ...h })),
      { type: 'Response', ...r.final },
      { type: 'EndOfMessage', trailers: r.trailers },
      { type: 'ConnectionClosed' },
    ],
    body: r.body,
    reusableBeforeEof: r.reusable,
    error: null,
  };
}

/** `events` follow the grammar InformationalResponse* Response EndOfMessage? ConnectionClosed?. */
export function checkEventGrammar(t: Transcript): string | null {
  const types = t.events.map((e) => e.type).join(' ');
  if (!/^(InformationalResponse ?)*(Response( EndOfMessage( ConnectionClosed)?)?)?$/.test(types)) return `bad event order: ${types}`;
  if (t.dataEvents > 0 && !types.includes('Response')) return 'Data before Response';
  return null;
}

/** Offset just past the blank line ending the head that starts at `from`, or -1 (RFC 9112 §2.2, bare LF allowed). */
export function findHeadEnd(data: Uint8Array, from: number): number {
  for (let i = from; i < data.length; i++) {
    if (data[i] !== 0x0a) continue;
    if (data[i + 1] === 0x0a) return i + 2;
    if (data[i + 1] === 0x0d && data[i + 2] === 0x0a) return i + 3;
  }
  return -1;
}

/**
 * RFC 9110 §8.6 / RFC 9112 §6.3 step 5, strictly: `1*DIGIT`, or a list of
 * identical ones; `undefined` if absent, `null` if invalid.
 */
export function strictContentLength(headers: Pair[]): number | null | undefined {
  const values = headers.filter(([n]) => n.toLowerCase() === 'content-length').flatMap(([, v]) => v.split(','));
  if (values.length === 0) return undefined;
  const nums = new Set<number>();
  for (const v of values) {
    const s = trimOWS(v);
    if (!/^[0-9]{1,16}$/.test(s) || !Number.isSafeInteger(Number(s))) return null;
    nums.add(Number(s));
  }
  return nums.size === 1 ? [...nums][0]! : null;
}

/** The framing RFC 9112 §6.3 assigns, computed independently of readers.ts. */
export function oracleFraming(method: string, head: ExpectedHead): { kind: FramingKind; length?: number; invalid?: true } {
  if (method === 'HEAD' || head.statusCode < 200 || head.statusCode === 204 || head.statusCode === 304) return { kind: 'none' };
  const te = head.headers.filter(([n]) => n.toLowerCase() === 'transfer-encoding');
  if (te.length > 0) {
    if (head.httpVersion === '1.0') return { kind: 'close' };
    const codings = te.flatMap(([, v]) => v.split(',')).map((s) => trimOWS(s).toLowerCase()).filter((s) => s);
    return { kind: codings[codings.length - 1] === 'chunked' ? 'chunked' : 'close' };
  }
  const cl = strictContentLength(head.headers);
  if (cl === null) return { kind: 'length', invalid: true };
  if (cl !== undefined) return { kind: 'length', length: cl };
  return { kind: 'close' };
}

/**
 * Decode a chunked body from `data[from..]` the way RFC 9112 §7.1 says (with
 * the recipient tolerances readers.ts documents: BWS before ";", extensions
 * ignored, bare-LF ends in the trailer section). Returns the body, or null if
 * the bytes are not a complete, valid chunked body.
 */
export function referenceDechunk(data: Uint8Array, from: number): { body: Uint8Array; end: number } | null {
  const parts: Uint8Array[] = [];
  let i = from;
  for (;;) {
    let lf = data.indexOf(0x0a, i);
    if (lf === -1 || lf === i || data[lf - 1] !== 0x0d) return null;
    const line = latin1(data.subarray(i, lf - 1));
    const m = /^([0-9a-fA-F]+)[ \t]*(;.*)?$/s.exec(line);
    if (!m) return null;
    if (m[1]!.replace(/^0+/, '').length > 13) return null;
    const size = parseInt(m[1]!, 16);
    i = lf + 1;
    if (size === 0) break;
    if (i + size + 2 > data.length) return null;
    parts.push(data.subarray(i, i + size));
    i += size;
    if (data[i] !== 0x0d || data[i + 1] !== 0x0a) return null;
    i += 2;
    lf = -1;
  }
  // Trailer section: field lines then a blank line.
  if (data[i] === 0x0a) return { body: concat(...parts), end: i + 1 };
  if (data[i] === 0x0d && data[i + 1] === 0x0a) return { body: concat(...parts), end: i + 2 };
  const end = findHeadEnd(data, i);
  if (end === -1) return null;
  // The trailer field lines: name ":" value, or an obs-fold after one; no NUL, no bare CR.
  const lines = latin1(data.subarray(i, end)).split('\n').slice(0, -2).map((l) => l.replace(/\r$/, ''));
  for (const [n, l] of lines.entries()) {
    if (/[\0\r]/.test(l)) return null;
    if (l[0] === ' ' || l[0] === '\t') {
      if (n === 0) return null;
    } else if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+:/.test(l)) return null;
  }
  return { body: concat(...parts), end };
}

// ---------------------------------------------------------------------------
// A strict request parser (the server the serializer must satisfy)
// ---------------------------------------------------------------------------

export interface ParsedRequest {
  method: string;
  target: string;
  headers: Pair[];
  body: Uint8Array;
  trailers: Pair[];
}

export class StrictParseError extends Error {
  override name = 'StrictParseError';
}

const TOKEN_RE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const TARGET_RE = /^[\x21-\x7e]+$/;
/** field-value after OWS trim: field-vchar [ 1*( SP / HTAB / field-vchar ) field-vchar ], or empty. */
const VALUE_RE = /^(?:[\x21-\x7e\x80-\xff](?:[\t \x21-\x7e\x80-\xff]*[\x21-\x7e\x80-\xff])?)?$/;

/**
 * Parse exactly one HTTP/1.1 request from the start of `data` by RFC 9112,
 * strictly: CRLF line ends only, no obs-fold, no whitespace before ":", no
 * CTLs in values, exactly one Host, never both Content-Length and
 * Transfer-Encoding, only "chunked" as coding, chunk sizes without
 * extensions (we never send any). Returns the request and the number of
 * bytes it took; throws StrictParseError.
 */
export function parseStrictRequest(data: Uint8Array): { request: ParsedRequest; consumed: number } {
  const text = latin1(data);
  let pos = 0;
  const line = (): string => {
    const crlf = text.indexOf('\r\n', pos);
    if (crlf === -1) throw new StrictParseError(`unterminated line at ${pos}`);
    const l = text.slice(pos, crlf);
    if (/[\r\n\0]/.test(l)) throw new StrictParseError(`bare CR, LF or NUL in line at ${pos}: ${JSON.stringify(l)}`);
    pos = crlf + 2;
    return l;
  };
  const fields = (): Pair[] => {
    const out: Pair[] = [];
    for (;;) {
      const l = line();
      if (l === '') return out;
      if (l[0] === ' ' || l[0] === '\t') throw new StrictParseError('obs-fold');
      const colon = l.indexOf(':');
      if (colon <= 0) throw new StrictParseError(`no colon: ${JSON.stringify(l)}`);
      const name = l.slice(0, colon);
      const value = trimOWS(l.slice(colon + 1));
      if (!TOKEN_RE.test(name)) throw new StrictParseError(`bad field name ${JSON.stringify(name)}`);
      if (!VALUE_RE.test(value)) throw new StrictParseError(`bad field value ${JSON.stringify(value)}`);
      out.push([name, value]);
    }
  };
  const requestLine = line();
  const parts = requestLine.split(' ');
  if (parts.length !== 3) throw new StrictParseError(`request-line has ${parts.length} parts: ${JSON.stringify(requestLine)}`);
  const [method, target, version] = parts as [string, string, string];
  if (!TOKEN_RE.test(method)) throw new StrictParseError(`bad method ${JSON.stringify(method)}`);
  if (!TARGET_RE.test(target)) throw new StrictParseError(`bad target ${JSON.stringify(target)}`);
  if (version !== 'HTTP/1.1') throw new StrictParseError(`bad version ${JSON.stringify(version)}`);
  const headers = fields();
  const hosts = headers.filter(([n]) => n.toLowerCase() === 'host');
  if (hosts.length !== 1) throw new StrictParseError(`${hosts.length} Host fields`);
  const te = headers.filter(([n]) => n.toLowerCase() === 'transfer-encoding');
  const cl = headers.filter(([n]) => n.toLowerCase() === 'content-length');
  if (te.length > 0 && cl.length > 0) throw new StrictParseError('both Transfer-Encoding and Content-Length');
  let body: Uint8Array = new Uint8Array(0);
  let trailers: Pair[] = [];
  if (te.length > 0) {
    if (te.length !== 1 || te[0]![1].toLowerCase() !== 'chunked') throw new StrictParseError(`Transfer-Encoding ${JSON.stringify(te)}`);
    const chunks: Uint8Array[] = [];
    for (;;) {
      const sizeLine = line();
      if (!/^[0-9a-fA-F]{1,8}$/.test(sizeLine)) throw new StrictParseError(`bad chunk-size line ${JSON.stringify(sizeLine)}`);
      const size = parseInt(sizeLine, 16);
      if (size === 0) break;
      if (pos + size + 2 > data.length) throw new StrictParseError('truncated chunk');
      chunks.push(data.subarray(pos, pos + size));
      pos += size;
      if (text.slice(pos, pos + 2) !== '\r\n') throw new StrictParseError('chunk not followed by CRLF');
      pos += 2;
    }
    trailers = fields();
    body = concat(...chunks);
  } else if (cl.length > 0) {
    if (cl.length !== 1 || !/^[0-9]+$/.test(cl[0]![1])) throw new StrictParseError(`Content-Length ${JSON.stringify(cl)}`);
    const n = Number(cl[0]![1]);
    if (pos + n > data.length) throw new StrictParseError('truncated body');
    body = data.subarray(pos, pos + n);
    pos += n;
  }
  return { request: { method, target, headers, body, trailers }, consumed: pos };
}

// ---------------------------------------------------------------------------
// Hostile chunk-size lines
// ---------------------------------------------------------------------------

const SIZE_LINE_JUNK = ['', '', ' ', '\t', ';', ';a', ' ;a=b', 'x', 'g', '-', '+', '0x', ' 1', ',', '\0', '\r', '=', '"', 'h;', ' \t;', ';\r', 'G'];

/** A chunk-size line that is right, nearly right or wrong: hex size + junk, or junk alone. */
const sizeLineArb = (size: number) =>
  fc.oneof(
    { weight: 3, arbitrary: fc.tuple(fc.constantFrom('', '0', '00'), fc.boolean(), fc.constantFrom(...SIZE_LINE_JUNK)).map(([z, up, junk]) => `${z}${up ? size.toString(16).toUpperCase() : size.toString(16)}${junk}`) },
    { weight: 1, arbitrary: fc.constantFrom(...SIZE_LINE_JUNK, '', ' 5', 'ffffffffffffffff', '1000000000000000', '-1', '0x5').map((s) => s) },
  );

/**
 * The body section of a chunked response with hostile size lines: 1–3 chunks
 * (each size line from `sizeLineArb`, CRLF or bare LF, data of the intended
 * size, CRLF or not), a last chunk with junk, optional trailer, blank line.
 */
export const hostileChunkedArb: fc.Arbitrary<Uint8Array> = fc
  .tuple(
    fc.array(
      fc.uint8Array({ minLength: 1, maxLength: 20 }).chain((data) =>
        fc.record({
          data: fc.constant(data),
          line: sizeLineArb(data.length),
          eol: fc.constantFrom('\r\n', '\r\n', '\r\n', '\n', '\r'),
          after: fc.constantFrom('\r\n', '\r\n', '\r\n', '\n', '', 'x\r\n'),
        }),
      ),
      { maxLength: 3 },
    ),
    sizeLineArb(0),
    fc.constantFrom('', 'T: 1\r\n', 'T: 1\n', 'bad line\r\n'),
    fc.constantFrom('\r\n', '\n', ''),
  )
  .map(([chunks, last, trailer, end]) =>
    concat(...chunks.flatMap((c) => [bytes(`${c.line}${c.eol}`), c.data, bytes(c.after)]), bytes(`${last}\r\n${trailer}${end}`)),
  );
