/**
 * docs/node.md, "Ctrl-C and signals": what the first SIGINT does to run(), and
 * loop.addSignalHandler. The program sends itself the signals a shell or a process
 * manager would send.
 * Real code: lib/runners.ts → Runner.run; lib/signals.ts → _addSignalHandler.
 */
import { Event, KeyboardInterrupt, getRunningLoop, run, sleep, type Coro } from '../../../lib/index.ts';

function* server(): Coro<void> {
  // SIGUSR2 asks for a reload: the callback runs as a loop callback, never inside the signal.
  const loop = getRunningLoop();
  const reloaded = new Event();
  loop.addSignalHandler('SIGUSR2', (what: string) => {
    console.log(`SIGUSR2: reloading ${what}`);
    reloaded.set();
  }, 'config');
  process.kill(process.pid, 'SIGUSR2');
  yield* reloaded.wait(); // only a signal can set it: not a deadlock, an outside wait
  loop.removeSignalHandler('SIGUSR2');

  try {
    process.kill(process.pid, 'SIGINT'); // what Ctrl-C sends
    yield* sleep(3600);
  } finally {
    console.log('server: finally runs before run() settles');
  }
}

try {
  await run(server());
} catch (err) {
  if (!(err instanceof KeyboardInterrupt)) throw err;
  console.log(`run() rejected with ${err.name}`);
}

// expect:
// SIGUSR2: reloading config
// server: finally runs before run() settles
// run() rejected with KeyboardInterrupt
