/**
 * The call graph — asyncio 3.14's `capture_call_graph` / `print_call_graph`.
 *
 * Which task awaits which? A task that does `yield* other` waits on `other` directly
 * (`_futWaiter`). But most waiting goes through a future that stands for several
 * others: a `gather` waits for its children, a TaskGroup's exit for its tasks, `wait()`
 * for its set, `shield()` for its inner task. Those helpers register what they stand
 * for with `_registerAwaits` (a `GatheringFuture` is recognised by its class, so
 * `gather` — the hot one, W1 — registers nothing).
 *
 * Nothing is recorded while the program runs. The graph is derived when asked, from
 * the loop's pending tasks: each task's waiter, expanded through the futures that stand
 * for others, gives the edges "F is awaited by W". That costs nothing on the hot path
 * and is always up to date.
 *
 * The coroutine chain inside a task — `main → fetchAll → fetchOne`, the frames that
 * `yield*` stacks up — cannot be read from a suspended generator in JS. In debug mode the
 * loop records the stack at the moment a task suspends on a future (all the generator
 * frames of the chain are on it then) and the graph shows it.
 */
import { Future } from './futures.ts';
import { Task } from './tasks.ts';
import { GatheringFuture } from './gather.ts';
import type { EventLoop } from './loop.ts';
import { getRunningLoop } from './events.ts';

/** One node of the graph: a future (or task), where it is suspended, and who awaits it. */
export interface FutureCallGraph {
  readonly future: Future<unknown>;
  /** The coroutine frames of a task suspended on a future (debug mode), innermost first. */
  readonly callStack: readonly string[];
  readonly awaitedBy: readonly FutureCallGraph[];
}

interface StandsFor {
  readonly label: string;
  readonly awaited: () => Iterable<Future<unknown>>;
}

const standsFor = new WeakMap<Future<unknown>, StandsFor>();

/**
 * @internal Declares that `waiter` completes when (some of) `awaited()` do: the edges
 * the call graph follows through `wait()`, `shield()` and TaskGroup.
 */
export function _registerAwaits(waiter: Future<unknown>, label: string, awaited: () => Iterable<Future<unknown>>): void {
  standsFor.set(waiter, { label, awaited });
}

/**
 * @internal Names a plain future for the call graph, reports and the trace (`socket
 * read`, `connect`): what the timeline shows a task waiting on, instead of
 * `<Future pending>`. Callers do it only while tracing or in debug mode (one WeakMap
 * write per wait), so the hot path pays nothing.
 */
export function _labelFuture(fut: Future<unknown>, label: string): void {
  standsFor.set(fut, { label, awaited: noFutures });
}

const noFutures = (): Iterable<Future<unknown>> => [];

/** @internal The futures `fut` stands for, if it is a gather, shield, wait or TaskGroup future. */
export function _awaitedThrough(fut: Future<unknown>): Iterable<Future<unknown>> {
  if (fut instanceof GatheringFuture) return fut._children();
  return standsFor.get(fut)?.awaited() ?? [];
}

/** Every "X is awaited by Y" edge among the loop's pending tasks. */
function awaitedByMap(loop: EventLoop): Map<Future<unknown>, Future<unknown>[]> {
  const awaitedBy = new Map<Future<unknown>, Future<unknown>[]>();
  const addEdge = (awaited: Future<unknown>, waiter: Future<unknown>): boolean => {
    const list = awaitedBy.get(awaited);
    if (list === undefined) awaitedBy.set(awaited, [waiter]);
    else if (list.includes(waiter)) return false;
    else list.push(waiter);
    return true;
  };
  for (const task of loop._tasks) {
    const waiter = task._futWaiter;
    if (waiter === null) continue;
    addEdge(waiter, task);
    // Expand the futures that stand for others (a gather of gathers, …), once each.
    const stack: Future<unknown>[] = [waiter];
    while (stack.length > 0) {
      const fut = stack.pop() as Future<unknown>;
      if (fut instanceof Task) continue; // a task's own waiting is its own entry
      for (const inner of _awaitedThrough(fut)) {
        if (addEdge(inner, fut)) stack.push(inner);
      }
    }
  }
  return awaitedBy;
}

export interface CaptureOptions {
  /** The loop to inspect (default: the future's). */
  loop?: EventLoop;
}

/**
 * The graph of what awaits `future` (default: the current task), transitively.
 *
 * @example
 * const graph = captureCallGraph();            // inside a task
 * console.log(formatCallGraph(graph));
 * @see asyncio 3.14 `asyncio.capture_call_graph(future=None)`
 */
export function captureCallGraph(future?: Future<unknown>, options: CaptureOptions = {}): FutureCallGraph | null {
  const loop = options.loop ?? future?._loop ?? getRunningLoop();
  const fut = future ?? loop._currentTask;
  if (fut === null || fut === undefined) return null;
  return build(fut, awaitedByMap(loop), new Set());
}

function build(fut: Future<unknown>, awaitedBy: Map<Future<unknown>, Future<unknown>[]>, seen: Set<Future<unknown>>): FutureCallGraph {
  seen.add(fut);
  const parents = (awaitedBy.get(fut) ?? []).filter((parent) => !seen.has(parent));
  const callStack = fut instanceof Task ? awaitSite(fut) : [];
  return { future: fut, callStack, awaitedBy: parents.map((parent) => build(parent, awaitedBy, new Set(seen))) };
}

/** The coroutine frames of a suspended task, from the stack the loop recorded (debug mode). */
function awaitSite(task: Task<unknown>): string[] {
  const stack = task._loop._awaitSite(task);
  if (stack === undefined) return [];
  return stack.split('\n').slice(1)
    .map((line) => line.trim())
    .filter((line) => line.startsWith('at ') && !/[\\/]lib[\\/](futures|tasks|loop|driver|events|coroutines)\.[tj]s/.test(line) && !line.includes('node:internal'));
}

/** The label of a node: `Task-2`, `gather`, `shield`, `wait`, `TaskGroup`, `<Future pending>`. */
export function describeNode(fut: Future<unknown>): string {
  if (fut instanceof Task) return fut.getName();
  if (fut instanceof GatheringFuture) return 'gather';
  return standsFor.get(fut)?.label ?? fut.toString();
}

/**
 * The graph as indented text, as asyncio 3.14's `format_call_graph`.
 *
 * @example
 * // * Task-3
 * //   + awaited by:
 * //     * gather
 * //       + awaited by:
 * //         * Task-1
 */
export function formatCallGraph(graph: FutureCallGraph | null): string {
  if (graph === null) return '(no current task)';
  const lines: string[] = [];
  const walk = (node: FutureCallGraph, indent: string): void => {
    lines.push(`${indent}* ${describeNode(node.future)}`);
    if (node.callStack.length > 0) {
      lines.push(`${indent}  + suspended in:`);
      for (const frame of node.callStack) lines.push(`${indent}  |   ${frame}`);
    }
    if (node.awaitedBy.length > 0) {
      lines.push(`${indent}  + awaited by:`);
      for (const parent of node.awaitedBy) walk(parent, `${indent}    `);
    }
  };
  walk(graph, '');
  return lines.join('\n');
}

/** Prints `formatCallGraph(captureCallGraph(future))`. asyncio 3.14: `print_call_graph`. */
export function printCallGraph(future?: Future<unknown>, options: CaptureOptions = {}): void {
  console.log(formatCallGraph(captureCallGraph(future, options)));
}

/**
 * One line per chain for reports: `Task-2 ← gather ← Task-1`, each path from `fut` up
 * to a task nobody awaits.
 */
export function awaitChains(fut: Future<unknown>, loop: EventLoop = fut._loop): string[] {
  const chains: string[] = [];
  const walk = (node: FutureCallGraph, prefix: string): void => {
    const here = prefix === '' ? describeNode(node.future) : `${prefix} ← ${describeNode(node.future)}`;
    if (node.awaitedBy.length === 0) chains.push(here);
    for (const parent of node.awaitedBy) walk(parent, here);
  };
  walk(build(fut, awaitedByMap(loop), new Set()), '');
  return chains;
}
