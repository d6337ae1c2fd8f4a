/**
 * Two tasks interleaving on one loop: each step prints, then gives the loop back
 * (`sleep`). Run with `npx tsx examples/interleave.ts`.
 */
import { run, createTask, gather, sleep, getRunningLoop, type Coro } from '../lib/index.ts';

function* worker(name: string, steps: number, pause: number): Coro<string> {
  const loop = getRunningLoop();
  for (let i = 1; i <= steps; i++) {
    console.log(`${loop.time().toFixed(3).padStart(7)}s  ${name} step ${i}/${steps}`);
    yield* sleep(pause);
  }
  return `${name} done`;
}

function* main(): Coro<void> {
  const a = createTask(worker('task A', 4, 0.05));
  const b = createTask(worker('task B', 3, 0.08));
  const results = yield* gather(a, b);
  console.log(results);
}

await run(main());
