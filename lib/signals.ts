/**
 * Process signals — asyncio's `loop.add_signal_handler` (unix_events.py), and the one
 * Ctrl-C listener that runners share (runners.py's `signal.signal(SIGINT, ...)`).
 *
 * ## How a signal reaches the loop
 *
 * In CPython a signal interrupts the main thread between two bytecodes; asyncio's
 * handler only notes it and wakes the selector through a pipe, and the user's callback
 * runs later as an ordinary `call_soon` handle. Node has done the first half for us: a
 * `process.on('SIGTERM', listener)` listener is an ordinary Node callback, run from
 * libuv's poll phase. The second half is ours: the listener only calls `loop.callSoon`,
 * so the callback runs inside a loop iteration like every other callback — with a
 * running loop, after the tasks already due, its errors going to the exception handler.
 *
 * ## What a listener does to the process
 *
 * Measured on Node 20, and the reason for each line of `install` / `uninstall` below:
 * - A signal listener does not keep Node alive: a program whose only pending thing is
 *   `process.on('SIGUSR2', ...)` exits. But a task waiting for a signal is waiting on
 *   outside work, as a task waiting on a socket is. So while a loop has a handler, it
 *   counts one I/O wait (no false deadlock report) and holds a ref'd Node timer (the
 *   process stays up to receive the signal) — as a listening server does both.
 * - A listener replaces the default action: with one on SIGINT or SIGTERM, Node no
 *   longer exits on that signal. Removing the last listener restores the default, so
 *   `removeSignalHandler` (and `run()` ending) gives Ctrl-C back to Node — asyncio's
 *   `signal.signal(sig, SIG_DFL)`.
 * - SIGKILL and SIGSTOP cannot be caught (`process.on` throws `uv_signal_start EINVAL`);
 *   they are refused up front with an error that says so.
 *
 * Unlike `signal.signal`, which keeps one handler per process, each loop here has its
 * own listener: two loops with a SIGTERM handler both hear it.
 *
 * ## Ctrl-C for runners
 *
 * `Runner.run` (runners.ts) cancels its main task on the first SIGINT and lets a second
 * one end the process. All runs in progress share a single process listener, added when
 * the first starts and removed when the last settles, so concurrent `run()`s never
 * remove each other's: one Ctrl-C interrupts every run in progress. Each run decides
 * what the signal means for it (`InterruptResponse`); this file only fans it out and,
 * when a run asks, re-raises the signal with the listener gone so Node's default action
 * ends the process (exit status 130 in a shell).
 */
import { constants } from 'node:os';
import { isMainThread } from 'node:worker_threads';
import type { EventLoop } from './loop.ts';
import { RuntimeError, ValueError } from './exceptions.ts';
import { describeValue, isCoroutineFunction } from './coroutines.ts';
import { copyContext } from './contextvars.ts';

/** A signal by name (`'SIGTERM'`) or by number (`os.constants.signals.SIGTERM`). */
export type SignalName = NodeJS.Signals | number;

/** The handlers of one loop, and what they hold while there is at least one. */
interface LoopSignals {
  /** The process listener installed for each signal. */
  readonly listeners: Map<NodeJS.Signals, () => void>;
  /** Keeps Node alive while a handler waits for its signal (see the header). */
  readonly keepAlive: ReturnType<typeof setInterval>;
}

/** A side table: a loop that never handles a signal pays nothing. */
const signalsOf = new WeakMap<EventLoop, LoopSignals>();

/** The longest interval Node's timers take (~24.8 days): the keep-alive never really fires. */
const KEEP_ALIVE_MS = 2 ** 31 - 1;

/** Signals no process can catch. */
const UNCATCHABLE = new Set(['SIGKILL', 'SIGSTOP']);

/** @internal `loop.addSignalHandler`'s body. */
export function _addSignalHandler(loop: EventLoop, sig: SignalName, fn: (...args: any[]) => void, args: unknown[]): void {
  if (loop.isClosed()) throw new RuntimeError('addSignalHandler() on a closed event loop: add signal handlers while its run() is in progress.');
  const name = checkSignal(sig, 'addSignalHandler');
  checkCallback(fn);
  // Node installs a worker's listener without complaint but never calls it, and the
  // keep-alive would hold the worker up for ever. asyncio refuses too (set_wakeup_fd).
  if (!isMainThread) {
    throw new RuntimeError('addSignalHandler() in a worker thread: Node delivers signals only to the main thread, so the handler would never run. Handle the signal in the main thread and tell the worker (postMessage).');
  }
  const own = signalsOf.get(loop) ?? install(loop);
  // A second handler for the same signal replaces the first, as in asyncio.
  const previous = own.listeners.get(name);
  if (previous !== undefined) process.off(name, previous);
  // As asyncio's signal Handle: every call runs in one copy of the context current now.
  const context = copyContext();
  // Never called on a closed loop: loop.close() removes the loop's listeners first.
  const listener = (): void => void loop.callSoon(fn, ...args, { context });
  own.listeners.set(name, listener);
  process.on(name, listener);
}

/** @internal `loop.removeSignalHandler`'s body: true if a handler was removed. */
export function _removeSignalHandler(loop: EventLoop, sig: SignalName): boolean {
  const name = checkSignal(sig, 'removeSignalHandler');
  const own = signalsOf.get(loop);
  const listener = own?.listeners.get(name);
  if (own === undefined || listener === undefined) return false;
  // With the last listener for `name` gone, Node's default action for it is back.
  process.off(name, listener);
  own.listeners.delete(name);
  if (own.listeners.size === 0) uninstall(loop, own);
  return true;
}

/** @internal Removes every handler of `loop` (`loop.close()` calls this). */
export function _removeAllSignalHandlers(loop: EventLoop): void {
  const own = signalsOf.get(loop);
  if (own === undefined) return;
  for (const name of [...own.listeners.keys()]) _removeSignalHandler(loop, name);
}

/** @internal Has `loop` a handler for `sig`? (A loop's own SIGINT handler takes Ctrl-C from its runner.) */
export function _hasSignalHandler(loop: EventLoop, sig: NodeJS.Signals): boolean {
  return signalsOf.get(loop)?.listeners.has(sig) ?? false;
}

/** The loop's first handler: count the wait and keep the process up (see the header). */
function install(loop: EventLoop): LoopSignals {
  const own: LoopSignals = { listeners: new Map(), keepAlive: setInterval(() => {}, KEEP_ALIVE_MS) };
  signalsOf.set(loop, own);
  loop._ioRef();
  return own;
}

/** The loop's last handler went: release what `install` took. */
function uninstall(loop: EventLoop, own: LoopSignals): void {
  clearInterval(own.keepAlive);
  signalsOf.delete(loop);
  loop._ioUnref();
}

/**
 * The canonical name of a signal this process can catch, or an error saying what is
 * wrong: not a name or number (TypeError), unknown (ValueError), uncatchable
 * (RuntimeError) — the three errors asyncio raises for the same mistakes.
 */
function checkSignal(sig: unknown, where: string): NodeJS.Signals {
  const known = constants.signals as Record<string, number>;
  let name: string | undefined;
  if (typeof sig === 'string') {
    name = Object.hasOwn(known, sig) ? sig : undefined;
  } else if (typeof sig === 'number') {
    name = Object.keys(known).find((key) => known[key] === sig);
  } else {
    throw new TypeError(`${where}() needs a signal name such as 'SIGTERM' (or its number), got ${describeValue(sig)}.`);
  }
  if (name === undefined) {
    const guess = typeof sig === 'string' ? `SIG${sig.replace(/^sig/i, '')}`.toUpperCase() : '';
    const hint = Object.hasOwn(known, guess) ? ` Did you mean '${guess}'?` : ' Use a name from os.constants.signals, such as \'SIGTERM\' or \'SIGUSR2\'.';
    throw new ValueError(`${where}(): unknown signal ${describeValue(sig)}.${hint}`);
  }
  if (UNCATCHABLE.has(name)) {
    throw new RuntimeError(`${where}(): ${name} cannot be caught — the kernel stops or kills the process without telling it. Handle SIGTERM or SIGINT instead.`);
  }
  return name as NodeJS.Signals;
}

function checkCallback(fn: unknown): void {
  if (isCoroutineFunction(fn)) {
    throw new TypeError('addSignalHandler() calls a plain function, not a coroutine function: start the coroutine from it, e.g. () => loop.createTask(shutdown()).');
  }
  if (typeof fn !== 'function') throw new TypeError(`addSignalHandler() needs a function to call, got ${describeValue(fn)}.`);
}

// ---- Ctrl-C for runners ----

/**
 * What a run makes of a SIGINT (asyncio's `Runner._on_sigint`):
 * - 'CANCELLED_MAIN': the first one; its main task was cancelled.
 * - 'END_PROCESS': another one while it was already cancelling (or its main was done):
 *   the process must end, as a second Ctrl-C ends a Python program.
 * - 'NOT_MINE': its loop has a SIGINT handler of its own (`addSignalHandler`), which
 *   took Ctrl-C over, as in asyncio.
 */
export type InterruptResponse = 'CANCELLED_MAIN' | 'END_PROCESS' | 'NOT_MINE';

/** The runs in progress that listen for Ctrl-C. */
const interruptible = new Set<() => InterruptResponse>();

/** Whether the shared process listener is installed. */
let ctrlC: 'OFF' | 'LISTENING' = 'OFF';

/**
 * @internal Calls `respond` on each SIGINT until the returned function is called; the
 * shared process listener is installed while anyone listens. Signals reach only the
 * main thread (asyncio checks `threading.main_thread()` too): in a worker, nothing.
 */
export function _listenForInterrupts(respond: () => InterruptResponse): () => void {
  if (!isMainThread) return () => {};
  interruptible.add(respond);
  if (ctrlC === 'OFF') {
    process.on('SIGINT', onSigint);
    ctrlC = 'LISTENING';
  }
  return () => {
    interruptible.delete(respond);
    if (interruptible.size === 0 && ctrlC === 'LISTENING') {
      process.off('SIGINT', onSigint);
      ctrlC = 'OFF';
    }
  };
}

function onSigint(): void {
  let endProcess = false;
  for (const respond of [...interruptible]) {
    if (respond() === 'END_PROCESS') endProcess = true;
  }
  if (endProcess) endProcessBySigint();
}

/**
 * The second Ctrl-C: remove our listener and send the signal again. If it was the only
 * one, Node's default action ends the process by the signal, as an uncaught
 * KeyboardInterrupt ends Python (status 130 in a shell). If the program has a SIGINT
 * listener of its own, that listener hears the signal once more and decides — Node's
 * rule: whoever listens to SIGINT owns the exit.
 */
function endProcessBySigint(): void {
  process.off('SIGINT', onSigint);
  ctrlC = 'OFF';
  process.kill(process.pid, 'SIGINT');
}
