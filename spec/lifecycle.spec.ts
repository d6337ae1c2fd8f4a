/**
 * Nothing outlives its loop: a program that forgets to close a server or a client
 * still exits once run() settles, and each leftover is reported once. Real child
 * processes, since "the process exits" is the behaviour under test.
 * (The in-process side — the registry, what is reported, in what order — is pinned
 * in runners.spec.ts, promises.spec.ts and http/client.spec.ts.)
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { spawnProgram } from './_support/child.ts';

test('a Server never closed is reported and closed when run() ends, and the process exits', async () => {
  const exit = await spawnProgram('spec/fixtures/leftovers.ts', ['server']).exit;
  assert.is(exit.code, 0, exit.stderr);
  assert.match(exit.stdout, /main returns\nrun settled/);
  const reports = exit.stderr.match(/yieldio: Server was never closed[^\n]*/g) ?? [];
  assert.equal(reports.length, 1, exit.stderr);
  assert.match(reports[0]!, /still listening on 127\.0\.0\.1:\d+, 1 connection open\); closed at the end of run\(\)/);
  // Both ends of the connection are reported and destroyed on their own.
  assert.match(exit.stderr, /yieldio: a connection from openConnection\(\) was never closed \(with 127\.0\.0\.1:\d+\); closed at the end of run\(\)/);
  assert.match(exit.stderr, /yieldio: a connection accepted by a Server was never closed \(with 127\.0\.0\.1:\d+\); closed at the end of run\(\)/);
});

test('a socket from openConnection() never closed is reported and destroyed when run() ends, and the process exits', async () => {
  const exit = await spawnProgram('spec/fixtures/leftovers.ts', ['socket']).exit;
  assert.is(exit.code, 0, exit.stderr);
  assert.match(exit.stdout, /connected\nrun settled/);
  const reports = exit.stderr.match(/yieldio: [^\n]*/g) ?? [];
  assert.equal(reports.map((r) => r.replace(/:\d+\)/, ':PORT)')), ['yieldio: a connection from openConnection() was never closed (with 127.0.0.1:PORT); closed at the end of run()']);
});

test('an AsyncClient made outside run() and never closed does not hold the process open with its idle keep-alive socket', async () => {
  const exit = await spawnProgram('spec/fixtures/leftovers.ts', ['client']).exit;
  assert.is(exit.code, 0, exit.stderr);
  assert.match(exit.stdout, /got ok\nrun settled/);
  assert.not.match(exit.stderr, /yieldio:/); // no run() owns it: nothing to report
});

test('a reader on process.stdin is detached when run() ends: the process exits though its stdin pipe stays open', async () => {
  const env = { ...process.env, NO_COLOR: '1', NODE_V8_COVERAGE: '' };
  const child = spawn(process.execPath, ['--import', 'tsx', 'spec/fixtures/leftovers.ts', 'stdin'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  child.stdin.write('hello\n'); // and never end(): the parent keeps the pipe open
  const guard = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  clearTimeout(guard);
  child.stdin.destroy();
  assert.is(code, 0, stderr);
  assert.match(stdout, /read hello\nrun settled/);
  assert.not.match(stderr, /yieldio:/); // detached without a report: a reader has no close()
});

test.run();
