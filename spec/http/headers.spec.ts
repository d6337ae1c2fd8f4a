import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LocalProtocolError, RemoteProtocolError } from '../../lib/http/errors.ts';
import { Headers, commaTokens, contentLength, hasToken } from '../../lib/http/headers.ts';

test('get is case-insensitive and joins repeated fields with ", "', () => {
  const h = new Headers([['Content-Type', 'text/plain'], ['Vary', 'a'], ['vary', 'b']]);
  assert.is(h.get('content-type'), 'text/plain');
  assert.is(h.get('VARY'), 'a, b');
  assert.is(h.get('missing'), null);
  assert.equal(h.getAll('Vary'), ['a', 'b']);
  assert.equal(h.getAll('missing'), []);
  assert.ok(h.has('CONTENT-TYPE'));
  assert.not.ok(h.has('content'));
});

test('iteration and raw keep wire order and original casing', () => {
  const pairs: Array<[string, string]> = [['B', '1'], ['a', '2'], ['B', '3']];
  const h = new Headers(pairs);
  assert.equal([...h], pairs);
  assert.equal(h.raw, pairs);
  assert.is(h.size, 3);
});

test('a record, another Headers (copied), or nothing', () => {
  const fromRecord = new Headers({ Host: 'h', Accept: '*/*' });
  assert.equal(fromRecord.raw, [['Host', 'h'], ['Accept', '*/*']]);
  const copy = new Headers(fromRecord);
  copy.append('X', '1');
  assert.is(fromRecord.size, 2);
  assert.is(copy.size, 3);
  assert.is(new Headers().size, 0);
});

test('append, set (in the first one\'s place) and delete', () => {
  const h = new Headers([['A', '1'], ['B', '2'], ['a', '3'], ['C', '4']]);
  h.set('a', 'x');
  assert.equal(h.raw, [['a', 'x'], ['B', '2'], ['C', '4']]);
  h.set('New', 'y');
  assert.equal(h.raw.at(-1), ['New', 'y']);
  h.delete('b');
  assert.equal(h.raw, [['a', 'x'], ['C', '4'], ['New', 'y']]);
  h.append('c', '5');
  assert.is(h.get('C'), '4, 5');
});

test('Set-Cookie values stay separate through getAll', () => {
  const h = new Headers([['Set-Cookie', 'a=1; Expires=Wed, 21 Oct 2015 07:28:00 GMT'], ['Set-Cookie', 'b=2']]);
  assert.equal(h.getAll('set-cookie'), ['a=1; Expires=Wed, 21 Oct 2015 07:28:00 GMT', 'b=2']);
});

test('package-internal accessors and _fromParsed', () => {
  const h = Headers._fromParsed(['X-A'], ['x-a'], ['1']);
  assert.is(h._nameAt(0), 'X-A');
  assert.is(h._lowerAt(0), 'x-a');
  assert.is(h._valueAt(0), '1');
  assert.is(h.get('x-a'), '1');
});

test('commaTokens: every element of every field, lower-cased, empties dropped', () => {
  const h = new Headers([['Connection', 'Keep-Alive, ,Upgrade'], ['connection', ' CLOSE ']]);
  assert.equal(commaTokens(h, 'connection'), ['keep-alive', 'upgrade', 'close']);
  assert.equal(commaTokens(h, 'transfer-encoding'), []);
});

test('hasToken: commaTokens(...).includes(token), for plain and listed values', () => {
  const h = new Headers([['Connection', ' Keep-Alive '], ['connection', 'upgrade, ,CLOSE'], ['X', 'close']]);
  for (const token of ['keep-alive', 'upgrade', 'close', 'x', 'keep']) {
    assert.is(hasToken(h, 'connection', token), commaTokens(h, 'connection').includes(token), token);
  }
  assert.not.ok(hasToken(h, 'transfer-encoding', 'chunked'));
});

test('contentLength: absent, single, identical repeats, and errors of the caller\'s class', () => {
  assert.is(contentLength(new Headers(), RemoteProtocolError), null);
  assert.is(contentLength(new Headers([['Content-Length', '42']]), RemoteProtocolError), 42);
  assert.is(contentLength(new Headers([['Content-Length', '42, 42'], ['content-length', '42']]), RemoteProtocolError), 42);
  assert.is(contentLength(new Headers([['Content-Length', '9007199254740991']]), RemoteProtocolError), Number.MAX_SAFE_INTEGER);
  assert.throws(() => contentLength(new Headers([['Content-Length', '1, 2']]), LocalProtocolError), (e: unknown) => e instanceof LocalProtocolError);
  assert.throws(() => contentLength(new Headers([['Content-Length', '0x10']]), RemoteProtocolError), (e: unknown) => e instanceof RemoteProtocolError);
  assert.throws(() => contentLength(new Headers([['Content-Length', '12345678901234567']]), RemoteProtocolError), /invalid Content-Length/);
});

test.run();
