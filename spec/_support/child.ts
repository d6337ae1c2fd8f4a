/**
 * A yieldio program in a child process, for specs that send it real signals: spawned
 * with `node --import tsx`, its output collected, and a way to wait for a line it
 * prints ("ready") before signalling it — never a sleep.
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Past this the child is killed and the spec fails: a guard against hangs, not a wait. */
const GUARD_MS = 20_000;

export interface Exit {
  /** The exit status, or null if a signal ended the process. */
  code: number | null;
  /** The signal that ended the process, or null. */
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface Child {
  /** Resolves once stdout contains `text` (at once if it does already). */
  waitFor(text: string): Promise<void>;
  /** Sends `signal` to the child. */
  kill(signal: NodeJS.Signals): void;
  /** The child's end. */
  readonly exit: Promise<Exit>;
  /** What it printed so far. */
  stdout(): string;
}

/** Starts `node --import tsx <file relative to the repository> ...args`. */
export function spawnProgram(file: string, args: string[] = []): Child {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  // Not measured by c8: the child loads lib/ as ESM, the specs as CJS, and c8 cannot
  // merge the two (see spec/docs.spec.ts). Set, not deleted, or Node copies it back.
  env.NODE_V8_COVERAGE = '';
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, file), ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const waiters: Array<{ text: string; resolve: () => void }> = [];
  child.stdout.setEncoding('utf8').on('data', (s: string) => {
    stdout += s;
    for (const w of waiters.filter((w) => stdout.includes(w.text))) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  });
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const guard = setTimeout(() => child.kill('SIGKILL'), GUARD_MS);
  const exit = new Promise<Exit>((resolve) => {
    child.on('exit', (code, signal) => {
      clearTimeout(guard);
      // 'exit' can come before the pipes are drained: wait for 'close' for the output.
      child.on('close', () => resolve({ code, signal, stdout, stderr }));
    });
  });
  return {
    waitFor: (text) => {
      if (stdout.includes(text)) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        waiters.push({ text, resolve });
        void exit.then((e) => reject(new Error(`the child ended before printing ${JSON.stringify(text)}: ${JSON.stringify(e)}`)));
      });
    },
    kill: (signal) => void child.kill(signal),
    exit,
    stdout: () => stdout,
  };
}
