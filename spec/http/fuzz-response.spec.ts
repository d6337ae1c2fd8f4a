/**
 * Issue #5, "Hostile input": property tests of the response parser
 * (`ClientConnection`: `sendRequest`, then `receiveData` / `nextEvent`).
 *
 * - split invariance: a valid response gives the expected events however its
 *   bytes are cut;
 * - truncated, mutated, random bytes: only RemoteProtocolError, never a loop,
 *   never a body the framing did not promise;
 * - limits: the head, chunk-size lines and trailers are bounded whatever the input.
 *
 * Arbitraries and oracles: spec/_support/http-gen.ts. fast-check prints the
 * seed and the shrunk counterexample on failure; replay with `{ seed, path }`.
 */
import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ClientConnection } from '../../lib/http/connection.ts';
import { bytes, concat, latin1 } from '../_support/bytes.ts';
import {
  bytewise,
  checkEventGrammar,
  cutsArb,
  expectedTranscript,
  findHeadEnd,
  mutate,
  mutationArb,
  oracleFraming,
  referenceDechunk,
  requestFor,
  responseArb,
  runResponse,
  splitAt,
  strictContentLength,
  tokenArb,
  trimOWS,
  hostileChunkedArb,
  type ExpectedHead,
  type GeneratedResponse,
  type Transcript,
} from '../_support/http-gen.ts';

const comparable = (t: Pick<Transcript, 'events' | 'body' | 'reusableBeforeEof' | 'error'>) => ({
  events: t.events,
  body: latin1(t.body),
  reusableBeforeEof: t.reusableBeforeEof,
  error: t.error?.message ?? null,
});

function show(r: GeneratedResponse): string {
  return JSON.stringify(latin1(r.bytes));
}

// --- split invariance ----------------------------------------------------------

test('split invariance: a valid response gives the expected events whole, in random pieces, byte by byte', () => {
  fc.assert(
    fc.property(responseArb, cutsArb, (r, cuts) => {
      const request = requestFor(r);
      const expected = comparable(expectedTranscript(r));
      const whole = runResponse(request, [r.bytes], { eof: true });
      assert.equal(comparable(whole), expected, `whole: ${show(r)}`);
      assert.equal(comparable(runResponse(request, splitAt(r.bytes, cuts), { eof: true })), expected, `split: ${show(r)}`);
      if (r.bytes.length <= 400) {
        assert.equal(comparable(runResponse(request, bytewise(r.bytes), { eof: true })), expected, `bytewise: ${show(r)}`);
      }
    }),
    { numRuns: 400 },
  );
});

// --- truncation --------------------------------------------------------------------

test('a truncated valid response then EOF is an error (or, read-until-close, exactly the bytes received)', () => {
  fc.assert(
    fc.property(responseArb, fc.nat(), cutsArb, (r, at, cuts) => {
      const message = r.bytes.subarray(0, r.bytes.length - r.extra.length);
      if (message.length === 0) return;
      const k = at % message.length; // strictly shorter than the message
      const t = runResponse(requestFor(r), splitAt(message.subarray(0, k), cuts), { eof: true });
      const got = latin1(t.body);
      if (r.framing === 'close' && k >= r.headEnd) {
        assert.is(t.error, null, `close-delimited, cut at ${k}: ${show(r)}`);
        assert.is(got, latin1(r.body.subarray(0, k - r.headEnd)));
        return;
      }
      assert.ok(t.error !== null, `cut at ${k} of ${message.length} accepted: ${show(r)} → ${JSON.stringify(t.events)}`);
      assert.is(t.error.closedBeforeResponse, k === 0, `closedBeforeResponse at cut ${k}: ${t.error.message}`);
      assert.ok(latin1(r.body).startsWith(got), `body so far is not a prefix of the real one: ${JSON.stringify(got)}`);
      assert.not.ok(t.events.some((e) => e.type === 'EndOfMessage'), 'EndOfMessage from a truncated response');
    }),
    { numRuns: 300 },
  );
});

// --- mutated and random bytes ---------------------------------------------------------

/**
 * Whatever `input` was: no error but RemoteProtocolError (runResponse lets
 * any other through), no loop (runResponse's progress bound), events in
 * grammar order, and an EndOfMessage only with the body the final head's
 * framing promised — checked against an independent reading of RFC 9112
 * §6.3 and §7.1 over the raw bytes.
 */
function checkHostile(method: string, input: Uint8Array, cuts: number[], eof: boolean): Transcript {
  const t = runResponse(requestFor({ method }), splitAt(input, cuts), { eof });
  const grammar = checkEventGrammar(t);
  if (grammar !== null) assert.unreachable(grammar);
  const eom = t.events.findIndex((e) => e.type === 'EndOfMessage');
  if (eom === -1) return t;
  const heads = t.events.slice(0, eom) as Array<ExpectedHead & { type: string }>;
  let headEnd = 0;
  for (let i = 0; i < heads.length; i++) headEnd = findHeadEnd(input, headEnd);
  assert.ok(headEnd > 0, 'EndOfMessage but the heads cannot be found in the input');
  const final = heads.at(-1)!;
  const framing = oracleFraming(method, final);
  const got = latin1(t.body);
  const context = `${JSON.stringify(latin1(input))} (${framing.kind})`;
  let end = input.length; // where the response ends in the input
  switch (framing.kind) {
    case 'none':
      assert.is(got, '', `body on a bodiless response: ${context}`);
      end = headEnd;
      break;
    case 'length':
      assert.not.ok(framing.invalid, `invalid Content-Length accepted: ${context}`);
      assert.is(t.body.length, framing.length, `body length ≠ Content-Length: ${context}`);
      assert.is(got, latin1(input.subarray(headEnd, headEnd + framing.length!)));
      end = headEnd + framing.length!;
      break;
    case 'chunked': {
      const ref = referenceDechunk(input, headEnd);
      assert.ok(ref !== null, `accepted a chunked body the reference rejects: ${context}`);
      assert.is(got, latin1(ref.body), `chunked body differs from the reference: ${context}`);
      end = ref.end;
      break;
    }
    case 'close':
      assert.ok(eof, `read-until-close body ended without EOF: ${context}`);
      assert.is(got, latin1(input.subarray(headEnd)), `read-until-close body is not every byte after the head: ${context}`);
      break;
  }
  // Reuse (RFC 9112 §9.3, §6.3): only a self-delimited response, with trustworthy
  // framing, that keeps the connection open, and with no byte after it.
  if (t.reusableBeforeEof) {
    const has = (name: string) => final.headers.some(([n]) => n.toLowerCase() === name);
    const options = final.headers.filter(([n]) => n.toLowerCase() === 'connection').flatMap(([, v]) => v.split(',')).map((o) => trimOWS(o).toLowerCase());
    assert.ok(framing.kind !== 'close', `reusable after a read-until-close body: ${context}`);
    assert.not.ok(framing.kind === 'chunked' && has('content-length'), `reusable after Transfer-Encoding + Content-Length: ${context}`);
    assert.not.ok(options.includes('close'), `reusable despite Connection: close: ${context}`);
    assert.ok(final.httpVersion === '1.1' || options.includes('keep-alive'), `reusable HTTP/1.0 without keep-alive: ${context}`);
    assert.is(end, input.length, `reusable with ${input.length - end} unasked-for bytes after the response: ${context}`);
  }
  return t;
}

test('mutated valid responses: RemoteProtocolError or a response whose body matches its framing', () => {
  fc.assert(
    fc.property(
      responseArb,
      fc.array(mutationArb, { minLength: 1, maxLength: 4 }),
      cutsArb,
      fc.oneof({ weight: 3, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
      (r, mutations, cuts, eof) => {
        checkHostile(r.method, mutate(r.bytes, mutations), cuts, eof);
      },
    ),
    { numRuns: 1500 },
  );
});

const contentLengthValueArb = fc.oneof(
  { weight: 2, arbitrary: fc.nat({ max: 60 }).map(String) },
  { weight: 2, arbitrary: fc.string({ unit: fc.constantFrom(...'0123456789 \t,+-xXeE._'), maxLength: 8 }) },
  {
    weight: 3,
    arbitrary: fc.constantFrom('', ' ', ',', '5,', ',5', '5, 5', '5,6', '05', '-0', '+5', '0x10', '1e1', '5 5', '5.0', '٣', '５', '9'.repeat(16), '9'.repeat(30), '9007199254740993', 'Infinity', 'NaN'),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 6 }).map((s) => s.replace(/[\r\n\0]/g, '')) },
);

test('a mutated Content-Length is refused at the head, or yields a body of exactly its value', () => {
  fc.assert(
    fc.property(
      contentLengthValueArb,
      fc.option(contentLengthValueArb, { nil: undefined }),
      fc.uint8Array({ maxLength: 70 }),
      fc.constantFrom('GET', 'GET', 'POST', 'HEAD'),
      fc.constantFrom(200, 200, 200, 204, 304, 404),
      cutsArb,
      fc.boolean(),
      (first, second, body, method, status, cuts, eof) => {
        const values = [first, ...(second === undefined ? [] : [second])].map((v) => v.replace(/[^\0-\xff]/g, '?'));
        const head = bytes(`HTTP/1.1 ${status} X\r\n${values.map((v) => `Content-Length: ${v}\r\n`).join('')}\r\n`);
        const t = checkHostile(method, concat(head, body), cuts, eof);
        if (method === 'HEAD' || status === 204 || status === 304) {
          assert.is(t.error, null, 'Content-Length is ignored on a bodiless response');
          return;
        }
        const declared = strictContentLength(values.map((v): [string, string] => ['Content-Length', trimOWS(v)]));
        const context = JSON.stringify(values);
        if (declared === null || declared === undefined) {
          assert.ok(t.error !== null, `invalid Content-Length ${context} accepted`);
          assert.not.ok(t.events.some((e) => e.type === 'Response'), `Response with invalid Content-Length ${context}`);
        } else if (body.length >= declared) {
          assert.is(t.error, null, `valid Content-Length ${context} refused: ${t.error?.message}`);
          assert.is(latin1(t.body), latin1(body.subarray(0, declared)));
        } else if (eof) {
          assert.ok(t.error !== null && /after \d+ of \d+ body bytes/.test(t.error.message), `short body accepted for ${context}`);
        }
      },
    ),
    { numRuns: 500 },
  );
});

test('hostile chunk-size lines: the body is exactly what RFC 9112 §7.1 decodes, or an error', () => {
  const head = bytes('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n');
  fc.assert(
    fc.property(hostileChunkedArb, cutsArb, fc.boolean(), (chunked, cuts, eof) => {
      const input = concat(head, chunked);
      const t = checkHostile('GET', input, cuts, eof);
      // And not stricter than the RFC: what the reference decodes, the parser reads.
      const ref = referenceDechunk(input, head.length);
      if (ref !== null) {
        assert.is(t.error, null, `valid chunked body refused: ${JSON.stringify(latin1(chunked))}: ${t.error?.message}`);
        assert.is(latin1(t.body), latin1(ref.body));
      }
    }),
    { numRuns: 500 },
  );
});

test('random bytes (bare, or after a plausible status line): RemoteProtocolError or a consistent response', () => {
  const prefixArb = fc.constantFrom('', 'HTTP/1.1 ', 'HTTP/1.1 200 OK\r\n', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n', 'HTTP/1.0 200 OK\r\nContent-Length: 3\r\n');
  const noiseArb = fc.oneof(
    fc.uint8Array({ maxLength: 120 }),
    fc.array(fc.constantFrom('\r', '\n', '\r\n', ':', ' ', '\t', '0', '1', 'a', ';', 'X', 'HTTP/1.1 100 C', 'Content-Length: 2', 'Transfer-Encoding: chunked'), { maxLength: 30 }).map((a) => bytes(a.join(''))),
  );
  fc.assert(
    fc.property(prefixArb, noiseArb, fc.constantFrom('GET', 'HEAD', 'POST'), cutsArb, fc.boolean(), (prefix, noise, method, cuts, eof) => {
      checkHostile(method, concat(bytes(prefix), noise), cuts, eof);
    }),
    { numRuns: 1000 },
  );
});

// --- limits --------------------------------------------------------------------------

/** A piece size of at most `max` bytes for feeding in steps. */
function steps(data: Uint8Array, sizes: number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0, j = 0; i < data.length; j++) {
    const n = 1 + (sizes[j % sizes.length] ?? 0);
    out.push(data.subarray(i, i + n));
    i += n;
  }
  return out;
}

const fieldLineArb = fc.tuple(tokenArb, fc.string({ unit: fc.constantFrom(...'abc xyz=;,/\t'), maxLength: 40 })).map(([n, v]) => `${n}: ${v}\r\n`);

test('an endless header section fails at maxHeaderSize with at most one piece beyond it buffered', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 20, max: 3000 }),
      fc.array(fieldLineArb, { minLength: 1, maxLength: 8 }),
      fc.array(fc.nat({ max: 200 }), { minLength: 1, maxLength: 6 }),
      (limit, lines, sizes) => {
        let text = 'HTTP/1.1 200 OK\r\n';
        for (let i = 0; text.length <= limit + 400; i++) text += lines[i % lines.length]!;
        const t = runResponse(requestFor({ method: 'GET' }), steps(bytes(text), sizes), {
          eof: false,
          conn: new ClientConnection({ maxHeaderSize: limit }),
        });
        assert.ok(t.error !== null, `no error for ${text.length} header bytes over a ${limit} limit`);
        assert.match(t.error.message, /header section exceeds/);
        // Nothing of the head is consumed before it is complete: everything fed is retained.
        assert.ok(t.fedAtError - t.lastPiece <= limit, `${t.fedAtError - t.lastPiece} bytes buffered before the piece that failed (limit ${limit})`);
      },
    ),
    { numRuns: 200 },
  );
});

test('a complete head is accepted up to maxHeaderSize bytes and refused beyond', () => {
  fc.assert(
    fc.property(fc.array(fieldLineArb, { maxLength: 12 }), fc.integer({ min: -40, max: 40 }), cutsArb, (lines, delta, cuts) => {
      const head = `HTTP/1.1 200 OK\r\n${lines.join('')}Content-Length: 0\r\n\r\n`;
      const limit = Math.max(1, head.length + delta);
      const t = runResponse(requestFor({ method: 'GET' }), splitAt(bytes(head), cuts), {
        eof: false,
        conn: new ClientConnection({ maxHeaderSize: limit }),
      });
      if (head.length > limit) assert.ok(t.error !== null && /header section exceeds/.test(t.error.message), `head of ${head.length} over ${limit} accepted`);
      else assert.is(t.error, null, `head of ${head.length} within ${limit} refused: ${t.error?.message}`);
    }),
    { numRuns: 200 },
  );
});

test('endless chunk extensions and trailers fail at their limits with at most one piece beyond buffered', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 4, max: 600 }),
      fc.constantFrom('chunk-size', 'trailers'),
      fc.string({ unit: fc.constantFrom(...'abc=;" \t0'), minLength: 1, maxLength: 20 }),
      fc.array(fc.nat({ max: 100 }), { minLength: 1, maxLength: 6 }),
      (limit, where, filler, sizes) => {
        const head = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n';
        const section = where === 'chunk-size' ? '5;' : '0\r\nX-T: ';
        let text = section;
        while (text.length <= limit + 300) text += filler;
        const skip = where === 'chunk-size' ? 0 : 3; // the last-chunk line is consumed before the trailers
        const conn = where === 'chunk-size'
          ? new ClientConnection({ maxChunkLineSize: limit })
          : new ClientConnection({ maxHeaderSize: Math.max(limit, head.length) });
        const max = where === 'chunk-size' ? limit : Math.max(limit, head.length);
        const t = runResponse(requestFor({ method: 'GET' }), [bytes(head), ...steps(bytes(text), sizes)], { eof: false, conn });
        assert.ok(t.error !== null, `no error for an endless ${where} section (limit ${max})`);
        assert.match(t.error.message, where === 'chunk-size' ? /chunk-size line exceeds/ : /trailer section exceeds/);
        const retained = t.fedAtError - t.lastPiece - head.length - skip;
        assert.ok(retained <= max, `${retained} ${where} bytes buffered before the piece that failed (limit ${max})`);
      },
    ),
    { numRuns: 200 },
  );
});

test('a chunk-size line is accepted up to maxChunkLineSize bytes (CRLF included) and refused beyond', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 60 }), fc.integer({ min: -5, max: 5 }), cutsArb, (extLength, delta, cuts) => {
      const line = `3;${'e'.repeat(extLength)}\r\n`;
      const limit = Math.max(3, line.length + delta);
      const data = bytes(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${line}abc\r\n0\r\n\r\n`);
      const t = runResponse(requestFor({ method: 'GET' }), splitAt(data, cuts), { eof: false, conn: new ClientConnection({ maxChunkLineSize: limit }) });
      if (line.length > limit) assert.ok(t.error !== null && /chunk-size line exceeds/.test(t.error.message), `line of ${line.length} over ${limit} accepted`);
      else assert.is(t.error, null, `line of ${line.length} within ${limit} refused: ${t.error?.message}`);
    }),
    { numRuns: 200 },
  );
});

test.run();
