import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  decodeLatin1,
  encodeLatin1,
  hasDangerousChar,
  hexValue,
  isDigit,
  isFieldValue,
  isRequestTarget,
  isToken,
  splitList,
  trimOWS,
} from '../../lib/http/abnf.ts';

test('isToken accepts exactly the tchar set', () => {
  assert.ok(isToken("!#$%&'*+-.^_`|~09azAZ"));
  for (const bad of ['', ' ', 'a b', 'a:b', 'a"b', '(a)', 'a,b', 'a/b', 'a\x7f', '\u00e9', '\u0100', 'a\tb', '{}', '[]', '@', '?', '=', ';', '\\']) {
    assert.not.ok(isToken(bad), JSON.stringify(bad));
  }
});

test('isFieldValue: HTAB, SP, VCHAR and obs-text; no other control; nothing above 0xFF', () => {
  assert.ok(isFieldValue(''));
  assert.ok(isFieldValue('a\tb c ~ \x80\xff'));
  for (const bad of ['\r', '\n', '\0', '\x01', '\x1f', '\x7f', '\u0100', '\u20ac']) assert.not.ok(isFieldValue(`a${bad}b`), JSON.stringify(bad));
});

test('hasDangerousChar: NUL and bare CR only', () => {
  assert.ok(hasDangerousChar('a\0'));
  assert.ok(hasDangerousChar('a\rb'));
  assert.not.ok(hasDangerousChar('a\x01\x7f\tb'));
});

test('isRequestTarget: visible ASCII only, non-empty', () => {
  assert.ok(isRequestTarget('/a/b?c=d&e=%20#f'));
  assert.ok(isRequestTarget('*'));
  assert.ok(isRequestTarget('http://example.com/'));
  for (const bad of ['', ' ', '/a b', '/\t', '/\r', '/\x7f', '/\x80', '/\u00e9']) assert.not.ok(isRequestTarget(bad), JSON.stringify(bad));
});

test('trimOWS trims SP and HTAB only (NBSP is obs-text and stays)', () => {
  assert.is(trimOWS(' \t a b \t '), 'a b');
  assert.is(trimOWS('\xa0a\xa0'), '\xa0a\xa0');
  assert.is(trimOWS('   '), '');
  const s = 'untouched';
  assert.is(trimOWS(s), s);
});

test('splitList drops empty elements and OWS', () => {
  assert.equal(splitList(' a ,, b\t,c ,'), ['a', 'b', 'c']);
  assert.equal(splitList(''), []);
  assert.equal(splitList(' , '), []);
});

test('isDigit and hexValue', () => {
  assert.ok(isDigit(0x30));
  assert.ok(isDigit(0x39));
  assert.not.ok(isDigit(0x2f));
  assert.not.ok(isDigit(0x3a));
  assert.equal([...'09afAFgG/:@`'].map((c) => hexValue(c.charCodeAt(0))), [0, 9, 10, 15, 10, 15, -1, -1, -1, -1, -1, -1]);
});

test('latin1 round-trips every octet, 0x80–0x9F included (no windows-1252 rewriting)', () => {
  const all = new Uint8Array(256).map((_, i) => i);
  const text = decodeLatin1(all);
  assert.is(text.length, 256);
  for (let i = 0; i < 256; i++) assert.is(text.charCodeAt(i), i);
  assert.equal([...encodeLatin1(text)], [...all]);
  assert.is(decodeLatin1(all, 0x41, 0x44), 'ABC');
  assert.is(decodeLatin1(all.subarray(0x61), 0, 2), 'ab');
});

test('encodeLatin1 puts head, body and tail in one array', () => {
  assert.equal([...encodeLatin1('ab', new Uint8Array([1, 2]), 'cd')], [0x61, 0x62, 1, 2, 0x63, 0x64]);
  assert.equal([...encodeLatin1('ab', undefined, '!')], [0x61, 0x62, 0x21]);
  assert.is(encodeLatin1('').length, 0);
});

test.run();
