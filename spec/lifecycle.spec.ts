/**
 * Nothing outlives its loop: a program that forgets to close a server or a client
 * still exits once run() settles, and each leftover is reported once. Real child
 * processes, since "the process exits" is the behaviour under test.
 * (The in-process side — the registry, what is reported, in what order — is pinned
 * in runners.spec.ts, promises.spec.ts and http/client.spec.ts.)
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnProgram } from './_support/child.ts';

test('a Server never closed is reported and closed when run() ends, and the process exits', async () => {
  const exit = await spawnProgram('spec/fixtures/leftovers.ts', ['server']).exit;
  assert.is(exit.code, 0, exit.stderr);
  assert.match(exit.stdout, /main returns\nrun settled/);
  const reports = exit.stderr.match(/yieldio: Server was never closed[^\n]*/g) ?? [];
  assert.equal(reports.length, 1, exit.stderr);
  assert.match(reports[0]!, /still listening on 127\.0\.0\.1:\d+, 1 connection open\); closed at the end of run\(\)/);
});

test('an AsyncClient made outside run() and never closed does not hold the process open with its idle keep-alive socket', async () => {
  const exit = await spawnProgram('spec/fixtures/leftovers.ts', ['client']).exit;
  assert.is(exit.code, 0, exit.stderr);
  assert.match(exit.stdout, /got ok\nrun settled/);
  assert.not.match(exit.stderr, /yieldio:/); // no run() owns it: nothing to report
});

test.run();
