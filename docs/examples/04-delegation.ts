/**
 * Step 4 of docs/walkthrough.md — `yield*` delegation: `await` for generators.
 *
 * `yield* inner()` runs `inner` inside the caller, in the same task: the future the
 * innermost coroutine yields passes straight up to the Task, and the result (or the
 * error) comes straight back down. No task, no future, no allocation per level.
 */
import { createTask, currentTask, run, sleep, type Coro } from '../../lib/index.ts';

function* readConfig(): Coro<{ port: number }> {
  yield* sleep(0.01);
  return { port: 8080 };
}

function* connect(port: number): Coro<string> {
  yield* sleep(0.01);
  if (port === 0) throw new Error('port 0 is not a port');
  return `connected to :${port} in ${currentTask()!.getName()}`;
}

function* startup(): Coro<string> {
  const config = yield* readConfig(); // a value comes back down the chain
  return yield* connect(config.port);
}

function* main(): Coro<void> {
  console.log(yield* startup());
  try {
    yield* connect(0);
  } catch (err) {
    console.log('an error travels up the chain:', (err as Error).message);
  }
  // A Task is awaited the same way, with yield*: here the work runs in another task.
  const other = createTask(connect(9000), { name: 'other' });
  console.log(yield* other);
  // The mistake `yield` instead of `yield*` on a coroutine is named, with the fix.
  try {
    yield readConfig();
  } catch (err) {
    console.log((err as Error).message);
  }
}

await run(main(), { virtualTime: true });

// expect:
// connected to :8080 in Task-1
// an error travels up the chain: port 0 is not a port
// connected to :9000 in other
// <Task pending name=Task-1> got a generator from `yield`: use `yield* coro()` to await a coroutine — `yield` hands it to the loop, which cannot run it.
