/**
 * docs/testing.md, "HTTP without a network: MockTransport": the code under test takes
 * an AsyncClient; the test gives it one whose transport answers from a function.
 * Real code: lib/http/transports.ts → MockTransport (httpx's).
 *
 * The handler sees each Request and returns a Response — or is a coroutine that may
 * sleep first, on the virtual clock, or throw the error a network would (ConnectError,
 * ReadTimeout…). No socket is opened, so nothing waits on the outside world and virtual
 * time jumps at once.
 */
import assert from 'node:assert/strict';
import { getRunningLoop, run, sleep, waitFor, TimeoutError, type Coro } from '../../../lib/index.ts';
import { AsyncClient, ConnectError, MockTransport, Response, type Request } from '../../../lib/http/index.ts';
import { test } from './harness.ts';

// ---- the code under test ----

/** A user's name from the API; a 503 is retried after its Retry-After, twice at most. */
function* userName(client: AsyncClient, id: number): Coro<string> {
  for (let attempt = 1; ; attempt++) {
    const r = yield* client.get(`/users/${id}`);
    if (r.statusCode === 503 && attempt < 3) {
      yield* sleep(Number(r.headers.get('retry-after') ?? 1));
      continue;
    }
    r.raiseForStatus();
    return (r.json() as { name: string }).name;
  }
}

// ---- the tests ----

/** A client whose requests go to `handler`; base URL http://api.test. */
function mockClient(handler: (request: Request) => Response | Coro<Response>): AsyncClient {
  return new AsyncClient({ baseUrl: 'http://api.test', transport: new MockTransport(handler) });
}

await test('the handler answers, and sees what was sent', async () => {
  const seen: string[] = [];
  const client = mockClient((request) => {
    seen.push(`${request.method} ${request.url.pathname}`);
    return new Response(200, { json: { name: 'Ada' } });
  });
  assert.equal(await run(userName(client, 7)), 'Ada');
  assert.deepEqual(seen, ['GET /users/7']);
});

await test('a 503 is retried after Retry-After: 2 s of virtual time', async () => {
  const times: number[] = [];
  const client = mockClient(() => {
    times.push(getRunningLoop().time());
    return times.length === 1
      ? new Response(503, { headers: { 'Retry-After': '2' } })
      : new Response(200, { json: { name: 'Grace' } });
  });
  assert.equal(await run(userName(client, 8), { virtualTime: true }), 'Grace');
  assert.deepEqual(times, [0, 2]);
});

await test('a network error from a coroutine handler reaches the caller', async () => {
  const client = mockClient(function* (request): Coro<Response> {
    yield* sleep(0.5); // the connect attempt takes a while
    throw new ConnectError(`could not connect to ${request.url.host}`);
  });
  const err = await run(userName(client, 9), { virtualTime: true }).catch((e: unknown) => e);
  assert.ok(err instanceof ConnectError);
});

await test('a slow API: the handler sleeps a minute, the caller gives up after 5 s', async () => {
  const client = mockClient(function* (): Coro<Response> {
    yield* sleep(60);
    return new Response(200, { json: { name: 'too late' } });
  });
  const outcome = await run((function* (): Coro<string> {
    try {
      return yield* waitFor(userName(client, 10), 5);
    } catch (err) {
      assert.ok(err instanceof TimeoutError);
      return `gave up at ${getRunningLoop().time()} s`;
    }
  })(), { virtualTime: true });
  assert.equal(outcome, 'gave up at 5 s');
});

// expect:
// ok   the handler answers, and sees what was sent
// ok   a 503 is retried after Retry-After: 2 s of virtual time
// ok   a network error from a coroutine handler reaches the caller
// ok   a slow API: the handler sleeps a minute, the caller gives up after 5 s
