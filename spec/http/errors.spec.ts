import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as errors from '../../lib/http/errors.ts';

const {
  HTTPError, RequestError, TransportError, TimeoutException, ConnectTimeout, ReadTimeout, WriteTimeout, PoolTimeout,
  NetworkError, ConnectError, ReadError, WriteError, CloseError, ProtocolError, LocalProtocolError, RemoteProtocolError,
  ProxyError, UnsupportedProtocol, HTTPStatusError, TooManyRedirects, InvalidURL, StreamConsumed, ResponseNotRead,
} = errors;

/** Each class and the chain of parents httpx gives it. */
const tree: Array<[new (message: string) => Error, Array<abstract new (...args: never[]) => Error>]> = [
  [ConnectTimeout, [TimeoutException, TransportError, RequestError, HTTPError]],
  [ReadTimeout, [TimeoutException, TransportError, RequestError, HTTPError]],
  [WriteTimeout, [TimeoutException, TransportError, RequestError, HTTPError]],
  [PoolTimeout, [TimeoutException, TransportError, RequestError, HTTPError]],
  [ConnectError, [NetworkError, TransportError, RequestError, HTTPError]],
  [ReadError, [NetworkError, TransportError, RequestError, HTTPError]],
  [WriteError, [NetworkError, TransportError, RequestError, HTTPError]],
  [CloseError, [NetworkError, TransportError, RequestError, HTTPError]],
  [LocalProtocolError, [ProtocolError, TransportError, RequestError, HTTPError]],
  [RemoteProtocolError, [ProtocolError, TransportError, RequestError, HTTPError]],
  [ProxyError, [TransportError, RequestError, HTTPError]],
  [UnsupportedProtocol, [TransportError, RequestError, HTTPError]],
  [TooManyRedirects, [RequestError, HTTPError]],
];

test('the hierarchy is httpx\'s', () => {
  for (const [Cls, parents] of tree) {
    const err = new Cls('boom');
    for (const Parent of parents) assert.ok(err instanceof Parent, `${Cls.name} is a ${Parent.name}`);
    assert.ok(err instanceof Error);
  }
  assert.not.ok(new ReadTimeout('x') instanceof NetworkError);
  assert.not.ok(new InvalidURL('x') instanceof HTTPError);
  assert.not.ok(new StreamConsumed() instanceof HTTPError);
});

test('every class sets its name, so String(err) says which it is', () => {
  for (const [name, Cls] of Object.entries(errors)) {
    if (typeof Cls !== 'function') continue;
    const err = Cls === HTTPStatusError ? new HTTPStatusError('x', { request: 1, response: 2 }) : new (Cls as new (m: string) => Error)('x');
    assert.is(err.name, name);
    assert.is(String(err), `${name}: x`);
  }
});

test('cause is kept', () => {
  const cause = new Error('ECONNRESET');
  assert.is(new ReadError('read failed', { cause }).cause, cause);
  assert.is(new InvalidURL('bad', { cause }).cause, cause);
});

test('RemoteProtocolError.closedBeforeResponse defaults to false', () => {
  assert.is(new RemoteProtocolError('x').closedBeforeResponse, false);
  assert.is(new RemoteProtocolError('x', { closedBeforeResponse: true }).closedBeforeResponse, true);
});

test('closedBeforeResponse is one field of every TransportError: a reset before any byte is carried the same way', () => {
  for (const E of [ReadError, WriteError, RemoteProtocolError]) {
    assert.is(new E('x').closedBeforeResponse, false);
    assert.is(new E('x', { closedBeforeResponse: true }).closedBeforeResponse, true);
  }
});

test('HTTPStatusError carries request and response', () => {
  const err = new HTTPStatusError('404 Not Found', { request: 'req', response: 'resp' });
  assert.is(err.request, 'req');
  assert.is(err.response, 'resp');
  assert.ok(err instanceof HTTPError);
  assert.not.ok(err instanceof RequestError);
});

test('default messages for stream misuse', () => {
  assert.match(new StreamConsumed().message, /already been consumed/);
  assert.match(new ResponseNotRead().message, /not been read/);
});

test.run();
