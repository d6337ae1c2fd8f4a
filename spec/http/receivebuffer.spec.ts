import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ReceiveBuffer } from '../../lib/http/receivebuffer.ts';
import { bytes, bytewise, concat, feedings, latin1 } from '../_support/bytes.ts';

function filled(...chunks: string[]): ReceiveBuffer {
  const buf = new ReceiveBuffer();
  for (const c of chunks) buf.append(bytes(c));
  return buf;
}

test('append, at, take, skip, decode, clear', () => {
  const buf = filled('hello', ' ', 'world');
  assert.is(buf.length, 11);
  assert.is(buf.at(4), 0x6f);
  assert.is(buf.decode(0, 5), 'hello');
  assert.is(latin1(buf.take(6)), 'hello ');
  buf.skip(1);
  assert.is(latin1(buf.take(buf.length)), 'orld');
  assert.is(buf.length, 0);
  buf.append(new Uint8Array(0));
  assert.is(buf.length, 0);
  buf.append(bytes('x'));
  buf.clear();
  assert.is(buf.length, 0);
});

test('a chunk appended to an empty buffer is adopted, not copied', () => {
  const chunk = bytes('body bytes');
  const buf = new ReceiveBuffer();
  buf.append(chunk);
  const view = buf.take(4);
  assert.is(view.buffer, chunk.buffer);
  assert.is(view.byteOffset, chunk.byteOffset);
});

test('views handed out are never overwritten by later appends', () => {
  const buf = new ReceiveBuffer();
  const views: Uint8Array[] = [];
  let expected = '';
  // Leftovers force copies into owned arrays; take views in between, keep appending.
  for (let i = 0; i < 500; i++) {
    buf.append(bytes(`${i % 10}${String.fromCharCode(97 + (i % 26))}`));
    if (i % 3 === 0) {
      const v = buf.take(1);
      views.push(v);
      expected += latin1(v);
    }
  }
  assert.is(views.map(latin1).join(''), expected);
  // The caller's arrays are never written to either.
  const mine = bytes('abc');
  buf.append(mine);
  buf.append(bytes('def'));
  assert.is(latin1(mine), 'abc');
});

test('findLineEnd finds the first LF across appends and after consumption', () => {
  const buf = filled('abc');
  assert.is(buf.findLineEnd(), -1);
  buf.append(bytes('d\r'));
  assert.is(buf.findLineEnd(), -1);
  buf.append(bytes('\nnext\n'));
  assert.is(buf.findLineEnd(), 5);
  buf.skip(6);
  assert.is(buf.findLineEnd(), 4);
});

test('findBlankLine: CRLF CRLF, LF LF, and the mixes', () => {
  const cases: Array<[string, number]> = [
    ['A: 1\r\n\r\nrest', 8],
    ['A: 1\n\nrest', 6],
    ['A: 1\n\r\nrest', 7],
    ['A: 1\r\n\nrest', 7],
    ['\r\nrest', 2],
    ['\nrest', 1],
    ['A: 1\r\nB: 2\r\n\r\n', 14],
    ['A: 1\r\nB: 2\r\n', -1],
    ['A: 1\r\n\r', -1],
    ['\r', -1],
    ['A\rB\r\n\r\n', 7],
  ];
  for (const [text, end] of cases) {
    for (const feeding of feedings(text, new Uint8Array(0)).slice(0, 4)) {
      const buf = new ReceiveBuffer();
      let found = -1;
      for (const chunk of feeding.chunks) {
        buf.append(chunk);
        found = buf.findBlankLine();
        if (found !== -1) break;
      }
      assert.is(found, end, `${JSON.stringify(text)} ${feeding.name}`);
    }
  }
  assert.is(new ReceiveBuffer().findBlankLine(), -1);
});

test('searches stay correct after a skip moves the start past the remembered offset', () => {
  const buf = filled('xxxxxxxx');
  assert.is(buf.findBlankLine(), -1);
  assert.is(buf.findLineEnd(), -1);
  buf.skip(8);
  buf.append(bytes('a\n\nb'));
  assert.is(buf.findBlankLine(), 3);
  assert.is(buf.findLineEnd(), 1);
});

test('byte-by-byte input is linear, not quadratic: 1 MiB with no terminator, one search per byte', () => {
  const line = bytes('X-Filler: ' + 'f'.repeat(1000) + '\r\n');
  const data = concat(...Array.from({ length: 1024 }, () => line));
  const buf = new ReceiveBuffer();
  const started = performance.now();
  for (const b of bytewise(data)) {
    buf.append(b);
    assert.is(buf.findBlankLine(), -1);
  }
  const elapsed = performance.now() - started;
  assert.is(buf.length, data.length);
  // Linear takes well under a second; a search that rescans (it happened: indexOf
  // running past the end of the data into spare capacity) took about a minute.
  assert.ok(elapsed < 5_000, `${elapsed} ms`);
});

test.run();
