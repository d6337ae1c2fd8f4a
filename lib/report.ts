/**
 * Reports on what tasks are waiting for — used by the deadlock error and debug output.
 * (asyncio has no counterpart; 3.14's call-graph introspection is the nearest.)
 */
import type { EventLoop } from './loop.ts';
import { Future } from './futures.ts';
import { Task } from './tasks.ts';
import { GatheringFuture } from './gather.ts';

/** One line per pending task: `Task-2 waiting on <Future pending>`. */
export function describeWaits(loop: EventLoop): string {
  const lines: string[] = [];
  for (const task of loop._tasks) {
    let line = `  ${task.getName()} waiting on ${describeFuture(task._futWaiter)}`;
    if (task._sourceTraceback) line += `\n    created at:\n${indent(task._sourceTraceback, 6)}`;
    lines.push(line);
  }
  return lines.length > 0 ? lines.join('\n') : '  (no pending task)';
}

/** A short description of what a task waits on. */
export function describeFuture(fut: Future<unknown> | null): string {
  if (fut === null) return 'nothing (it is scheduled to run)';
  if (fut instanceof Task) return `task ${fut.getName()}`;
  if (fut instanceof GatheringFuture) return 'gather(…)';
  return fut.toString();
}

function indent(text: string, n: number): string {
  const pad = ' '.repeat(n);
  return text.split('\n').map((line) => pad + line.trim()).join('\n');
}
