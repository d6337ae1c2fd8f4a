import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { NEED_DATA, PAUSED, type ReceivedEvent } from '../../lib/http/events.ts';
import { Headers } from '../../lib/http/headers.ts';

test('NEED_DATA and PAUSED are frozen singletons with a type', () => {
  assert.is(NEED_DATA.type, 'NEED_DATA');
  assert.is(PAUSED.type, 'PAUSED');
  assert.ok(Object.isFrozen(NEED_DATA));
  assert.ok(Object.isFrozen(PAUSED));
  assert.is.not(NEED_DATA as unknown, PAUSED as unknown);
});

test('a switch on type narrows every received event', () => {
  const describe = (e: ReceivedEvent): string => {
    switch (e.type) {
      case 'Response':
      case 'InformationalResponse':
        return `${e.statusCode} ${e.httpVersion} ${e.headers.size}`;
      case 'Data':
        return `${e.data.length} bytes`;
      case 'EndOfMessage':
        return `${e.trailers.size} trailers`;
      case 'ConnectionClosed':
      case 'NEED_DATA':
      case 'PAUSED':
        return e.type;
    }
  };
  const headers = new Headers();
  assert.is(describe({ type: 'Response', statusCode: 200, reasonPhrase: 'OK', httpVersion: '1.1', headers }), '200 1.1 0');
  assert.is(describe({ type: 'Data', data: new Uint8Array(3) }), '3 bytes');
  assert.is(describe({ type: 'EndOfMessage', trailers: headers }), '0 trailers');
  assert.is(describe(NEED_DATA), 'NEED_DATA');
  assert.is(describe(PAUSED), 'PAUSED');
});

test.run();
