/**
 * Reports on what tasks are waiting for — the deadlock error and debug output.
 * (asyncio has no deadlock report; its 3.14 call graph is the nearest relative, and
 * this file reads the graph that callgraph.ts derives.)
 */
import type { EventLoop } from './loop.ts';
import { Future } from './futures.ts';
import { Task } from './tasks.ts';
import { GatheringFuture } from './gather.ts';
import { awaitChains, _awaitedThrough } from './callgraph.ts';

/**
 * One line per chain of waiting, starting at the task that waits on something other
 * than a task — the root cause — and following who awaits it:
 *
 *     Task-3 ← gather ← Task-1, waiting on <Future pending>
 *
 * A task that waits on another task appears in that task's chain, not on its own line;
 * tasks waiting on each other in a cycle are listed at the end.
 */
export function describeWaits(loop: EventLoop): string {
  const lines: string[] = [];
  const shown = new Set<Task<unknown>>();
  for (const task of loop._allTasks()) {
    if (waitsOnPendingTask(task)) continue;
    for (const chain of awaitChains(task, loop)) lines.push(`  ${chain}, waiting on ${describeFuture(task._futWaiter)}`);
    shown.add(task);
    const site = task._sourceTraceback;
    if (site) lines.push(`    ${task.getName()} was created at:\n${indent(site, 6)}`);
  }
  for (const task of loop._allTasks()) {
    if (shown.has(task) || !waitsOnPendingTask(task)) continue;
    if (!lines.some((line) => line.includes(`← ${task.getName()}`) || line.startsWith(`  ${task.getName()} `))) {
      lines.push(`  ${task.getName()} waiting on ${describeFuture(task._futWaiter)} (a cycle of tasks awaiting each other)`);
    }
  }
  return lines.length > 0 ? lines.join('\n') : '  (no pending task)';
}

/** Does `task` wait on another pending task, directly or through gather/wait/…? */
function waitsOnPendingTask(task: Task<unknown>): boolean {
  const seen = new Set<Future<unknown>>();
  const stack: Future<unknown>[] = task._futWaiter === null ? [] : [task._futWaiter];
  while (stack.length > 0) {
    const fut = stack.pop() as Future<unknown>;
    if (seen.has(fut)) continue;
    seen.add(fut);
    if (fut instanceof Task) {
      if (!fut.done()) return true;
      continue;
    }
    for (const inner of _awaitedThrough(fut)) stack.push(inner);
  }
  return false;
}

/** A short description of what a task waits on. */
export function describeFuture(fut: Future<unknown> | null): string {
  if (fut === null) return 'nothing (it is scheduled to run)';
  if (fut instanceof Task) return `task ${fut.getName()}`;
  if (fut instanceof GatheringFuture) return `gather of ${fut._children().length}`;
  return fut.toString();
}

function indent(text: string, n: number): string {
  const pad = ' '.repeat(n);
  return text.split('\n').map((line) => pad + line.trim()).join('\n');
}
