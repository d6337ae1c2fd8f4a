/**
 * yieldio — asyncio in TypeScript on generators. The public surface (re-exports only),
 * as asyncio/__init__.py.
 */
export type { Coro, CoroFunction } from './coroutines.ts';
export { isCoroutine, isCoroutineFunction } from './coroutines.ts';
export {
  CancelledError, TimeoutError, InvalidStateError, QueueEmpty, QueueFull, QueueShutDown,
  BrokenBarrierError, IncompleteReadError, LimitOverrunError, ExceptionGroup, RuntimeError, DeadlockError,
  KeyboardInterrupt, ValueError, LookupError, ConnectionResetError,
} from './exceptions.ts';
export { Handle, TimerHandle, getRunningLoop } from './events.ts';
export { Future, isFuture, type FutureState, type DoneCallback } from './futures.ts';
export { Task, createTask, ensureFuture, currentTask, allTasks, sleep, type TaskOptions, type Awaitable } from './tasks.ts';
export { gather, GatheringFuture, type GatherOptions, type ResultOf } from './gather.ts';
export { EventLoop, defaultExceptionHandler, type ExceptionContext, type ExceptionHandler, type LoopOptions } from './loop.ts';
export { run, Runner, type RunOptions, type RunnerOptions, type RunnerRunOptions, type RunnerState } from './runners.ts';
export { VirtualClock, type VirtualClockOptions } from './clock.ts';
export { type SignalName } from './signals.ts';
export { ContextVar, Context, Token, copyContext, type ContextVarOptions, type CallOptions } from './contextvars.ts';
export { wrapPromise, toPromise, type PromiseSource, type RunCoroutineOptions } from './promises.ts';
export {
  aiter, toAsyncIterable, forEach, AsyncIterableReader,
  type CoroIterator, type IterationSource, type ToAsyncIterableOptions,
} from './iteration.ts';
export { asyncWith, type AsyncContextManager, type NonSuppressingContextManager } from './contextlib.ts';
export { Lock, Event, Condition, Semaphore, BoundedSemaphore, Barrier, type BarrierState } from './locks.ts';
export { Queue, PriorityQueue, LifoQueue, pythonCompare, type PriorityQueueOptions } from './queues.ts';
export {
  StreamReader, StreamWriter, Server, openConnection, startServer, DEFAULT_LIMIT,
  type OpenConnectionOptions, type StartServerOptions, type ClientConnectedHandler, type ExtraInfoName, type FlowControlled,
} from './streams.ts';
export { openReadable, openWritable, openDuplex, type OpenReadableOptions } from './nodestreams.ts';
export { Timeout, timeout, timeoutAt, withTimeout, type TimeoutState } from './timeouts.ts';
export { TaskGroup, type TaskGroupState, type AbortReason } from './taskgroups.ts';
export {
  waitFor, wait, asCompleted, AsCompleted, shield, FIRST_COMPLETED, FIRST_EXCEPTION, ALL_COMPLETED,
  type ReturnWhen, type WaitOptions, type AsCompletedOptions,
} from './wait.ts';
export { eagerTaskFactory, createEagerTaskFactory, type TaskFactory, type TaskConstructor } from './eager.ts';
export { captureCallGraph, printCallGraph, formatCallGraph, type FutureCallGraph } from './callgraph.ts';
export { TraceRecorder, type PoolEventKind } from './trace.ts';
export { toChromeTrace, toHTML, toSVG } from './trace-export.ts';
