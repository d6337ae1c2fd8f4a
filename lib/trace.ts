/**
 * A timeline of what the loop did: `run(main, { trace: new TraceRecorder() })`.
 *
 * The recorder is told, with `loop.time()` stamps, when each task is created, each step
 * it runs (and which future woke it), what it blocks on after the step, cancel requests
 * and how it ends — and, from the HTTP pool, when connections are opened, leased,
 * reused, released and closed. It keeps plain records; `trace-export.ts` turns them
 * into Chrome Trace Event JSON (Perfetto, chrome://tracing) or a self-contained HTML
 * page with an SVG timeline, one lane per task and per connection.
 *
 * Cost: with no recorder the loop checks one field per task step (`_tracer === null`),
 * which the core benchmark cannot tell apart from noise (docs/benchmarks.md). With one,
 * every step costs two clock reads and a record.
 */
import type { Task } from './tasks.ts';
import type { Future } from './futures.ts';
import type { EventLoop } from './loop.ts';
import { describeNode } from './callgraph.ts';

/** What the loop and the pool tell a tracer. */
export interface Tracer {
  taskCreated(task: Task<unknown>): void;
  stepStarted(task: Task<unknown>, wokenBy: Future<unknown> | null): void;
  stepEnded(task: Task<unknown>): void;
  cancelRequested(task: Task<unknown>, msg: string | undefined): void;
  poolEvent(event: PoolEventKind, connection: string, detail?: string): void;
}

export type PoolEventKind = 'acquire' | 'connect' | 'reuse' | 'release' | 'close';

export interface TaskRecord {
  readonly id: number;
  name: string;
  readonly created: number;
  /** When the task finished, and how (`result`, `error: …`, `cancelled`). */
  ended: number | null;
  outcome: string | null;
}

export interface StepRecord {
  readonly task: number;
  readonly start: number;
  end: number;
  /** The future whose completion scheduled this step (null: first step or a bare yield). */
  readonly wokenBy: string | null;
}

export interface WaitRecord {
  readonly task: number;
  readonly start: number;
  end: number | null;
  /** What the task waits on: `Task-3`, `gather`, `<Future pending>`… */
  readonly on: string;
}

export interface MarkRecord {
  /** A task id, or a connection's lane name for pool events. */
  readonly lane: number | string;
  readonly time: number;
  readonly kind: 'cancel' | PoolEventKind;
  readonly detail: string;
}

/**
 * Records a run; pass it as `run(main, { trace: recorder })`, then export with
 * `toChromeTrace(recorder)` or `toHTML(recorder)` (trace-export.ts).
 *
 * @example
 * const recorder = new TraceRecorder();
 * await run(main(), { trace: recorder });
 * fs.writeFileSync('trace.html', toHTML(recorder));
 */
export class TraceRecorder implements Tracer {
  readonly tasks: TaskRecord[] = [];
  readonly steps: StepRecord[] = [];
  readonly waits: WaitRecord[] = [];
  readonly marks: MarkRecord[] = [];
  #ids = new WeakMap<Task<unknown>, TaskRecord>();
  #openWait = new Map<number, WaitRecord>();
  #openStep = new Map<number, StepRecord>();
  #loop: EventLoop | null = null;

  /** @internal Called by run() when the loop is made. */
  attach(loop: EventLoop): void {
    this.#loop = loop;
    loop._tracer = this;
  }

  #now(): number {
    return this.#loop === null ? performance.now() / 1000 : this.#loop.time();
  }

  #record(task: Task<unknown>): TaskRecord {
    let record = this.#ids.get(task);
    if (record === undefined) {
      record = { id: this.tasks.length + 1, name: task.getName(), created: this.#now(), ended: null, outcome: null };
      this.tasks.push(record);
      this.#ids.set(task, record);
    }
    return record;
  }

  taskCreated(task: Task<unknown>): void {
    this.#record(task);
  }

  stepStarted(task: Task<unknown>, wokenBy: Future<unknown> | null): void {
    const record = this.#record(task);
    const now = this.#now();
    const wait = this.#openWait.get(record.id);
    if (wait !== undefined) {
      wait.end = now;
      this.#openWait.delete(record.id);
    }
    const step: StepRecord = { task: record.id, start: now, end: now, wokenBy: wokenBy === null ? null : describeNode(wokenBy) };
    this.steps.push(step);
    this.#openStep.set(record.id, step);
  }

  stepEnded(task: Task<unknown>): void {
    const record = this.#record(task);
    const now = this.#now();
    const step = this.#openStep.get(record.id);
    if (step !== undefined) step.end = now;
    this.#openStep.delete(record.id);
    record.name = task.getName(); // setName() may have run in the step
    if (task.done()) {
      record.ended = now;
      record.outcome = task.cancelled() ? 'cancelled' : task._hasException() ? 'error' : 'result';
    } else if (task._futWaiter !== null) {
      const wait: WaitRecord = { task: record.id, start: now, end: null, on: describeNode(task._futWaiter) };
      this.waits.push(wait);
      this.#openWait.set(record.id, wait);
    }
  }

  cancelRequested(task: Task<unknown>, msg: string | undefined): void {
    this.marks.push({ lane: this.#record(task).id, time: this.#now(), kind: 'cancel', detail: msg ?? '' });
  }

  poolEvent(kind: PoolEventKind, connection: string, detail = ''): void {
    this.marks.push({ lane: connection, time: this.#now(), kind, detail });
  }

  /** The time span covered, for exporters. */
  span(): [number, number] {
    let start = Infinity;
    let end = -Infinity;
    for (const t of this.tasks) {
      start = Math.min(start, t.created);
      end = Math.max(end, t.ended ?? t.created);
    }
    for (const s of this.steps) end = Math.max(end, s.end);
    for (const m of this.marks) {
      start = Math.min(start, m.time);
      end = Math.max(end, m.time);
    }
    return start === Infinity ? [0, 0] : [start, end];
  }
}
