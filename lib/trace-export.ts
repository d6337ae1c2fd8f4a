/**
 * Exporters for a TraceRecorder (trace.ts): Chrome Trace Event JSON, which Perfetto
 * (ui.perfetto.dev) and chrome://tracing open; the timeline as one standalone SVG
 * (`toSVG`, what docs/seed-trace.svg is); and a self-contained HTML page around that
 * SVG. No script and no network in either.
 */
import type { TraceRecorder, MarkRecord } from './trace.ts';

interface ChromeEvent {
  name: string;
  cat?: string;
  ph: 'X' | 'i' | 'M';
  ts: number;
  dur?: number;
  pid: number;
  tid: number;
  s?: 't';
  args?: Record<string, unknown>;
}

const PID = 1;
/** Connection lanes come after task lanes in Perfetto's thread list. */
const CONNECTION_TID_BASE = 100_000;

/** The trace as Chrome Trace Event format (`{ traceEvents: [...] }`, times in µs). */
export function toChromeTrace(recorder: TraceRecorder): { traceEvents: ChromeEvent[] } {
  const [origin] = recorder.span();
  const us = (t: number): number => Math.round((t - origin) * 1e6 * 1000) / 1000;
  const events: ChromeEvent[] = [];
  for (const task of recorder.tasks) {
    events.push({ name: 'thread_name', ph: 'M', ts: 0, pid: PID, tid: task.id, args: { name: task.name } });
    if (task.ended !== null) events.push({ name: `done (${task.outcome})`, cat: 'task', ph: 'i', s: 't', ts: us(task.ended), pid: PID, tid: task.id });
  }
  for (const step of recorder.steps) {
    events.push({ name: 'step', cat: 'step', ph: 'X', ts: us(step.start), dur: us(step.end) - us(step.start), pid: PID, tid: step.task, args: { wokenBy: step.wokenBy } });
  }
  for (const wait of recorder.waits) {
    const end = wait.end ?? recorder.span()[1];
    events.push({ name: `wait ${wait.on}`, cat: 'wait', ph: 'X', ts: us(wait.start), dur: us(end) - us(wait.start), pid: PID, tid: wait.task });
  }
  const lanes = connectionLanes(recorder.marks);
  for (const mark of recorder.marks) {
    const tid = typeof mark.lane === 'number' ? mark.lane : CONNECTION_TID_BASE + (lanes.indexOf(mark.lane) + 1);
    events.push({ name: mark.kind, cat: typeof mark.lane === 'number' ? 'task' : 'pool', ph: 'i', s: 't', ts: us(mark.time), pid: PID, tid, args: { detail: mark.detail } });
  }
  lanes.forEach((lane, i) => events.push({ name: 'thread_name', ph: 'M', ts: 0, pid: PID, tid: CONNECTION_TID_BASE + i + 1, args: { name: lane } }));
  return { traceEvents: events };
}

function connectionLanes(marks: readonly MarkRecord[]): string[] {
  const lanes: string[] = [];
  for (const mark of marks) if (typeof mark.lane === 'string' && !lanes.includes(mark.lane)) lanes.push(mark.lane);
  return lanes;
}

const LANE_HEIGHT = 28;
/** The title row above the lanes. */
const TOP = 30;
const MIN_LABEL_WIDTH = 150;
const CHART_WIDTH = 900;
const COLORS: Record<string, string> = {
  step: '#2b7bb9', wait: '#c9d6e3', cancel: '#d9534f',
  connecting: '#f5cba7', leased: '#d7bde2', idle: '#95a5a6',
  acquire: '#8e44ad', connect: '#e67e22', reuse: '#27ae60', release: '#7f8c8d', close: '#c0392b',
};

function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** One stretch of a connection's life, read from its marks. */
interface Segment {
  readonly kind: 'connecting' | 'leased' | 'idle';
  readonly start: number;
  readonly end: number;
  /** The task holding a leased connection. */
  readonly holder: string;
}

/**
 * A connection lane's marks as stretches: `acquire`…`connect` is being opened,
 * `acquire` (or `connect`)…`release` is leased to the acquiring task, `release idle`…
 * the next mark is idle in the pool. What is still open at `end` stops there.
 */
function connectionSegments(marks: readonly MarkRecord[], lane: string, end: number): Segment[] {
  const segments: Segment[] = [];
  let kind: Segment['kind'] | null = null;
  let start = 0;
  let holder = '';
  const stop = (t: number): void => {
    if (kind !== null) segments.push({ kind, start, end: t, holder });
    kind = null;
  };
  for (const mark of marks) {
    if (mark.lane !== lane) continue;
    if (mark.kind === 'acquire') {
      stop(mark.time);
      [kind, start, holder] = ['leased', mark.time, mark.detail];
    } else if (mark.kind === 'connect' && kind === 'leased') {
      segments.push({ kind: 'connecting', start, end: mark.time, holder });
      start = mark.time;
    } else if (mark.kind === 'release' || mark.kind === 'close') {
      stop(mark.time);
      if (mark.kind === 'release' && mark.detail === 'idle') [kind, start, holder] = ['idle', mark.time, ''];
    }
  }
  stop(end);
  return segments;
}

/** A round step for the time axis (1, 2 or 5 × 10ⁿ seconds) giving at most ~10 ticks. */
function tickStep(seconds: number): number {
  const rough = seconds / 10;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  return [1, 2, 5, 10].map((m) => m * magnitude).find((step) => step >= rough) ?? 10 * magnitude;
}

/** Milliseconds with as many decimals as `step` needs. */
function formatMs(seconds: number, step: number): string {
  if (seconds === 0) return '0 ms';
  const decimals = Math.max(0, Math.ceil(-Math.log10(step * 1000) - 1e-9));
  return `${(seconds * 1000).toFixed(decimals)} ms`;
}

/** A connection lane's name as two lines: `connection #1` and its origin. */
function splitLane(lane: string): [string, string] {
  const m = /^(connection #\d+) (.+)$/.exec(lane);
  return m === null ? [lane, ''] : [m[1]!, m[2]!];
}

/**
 * The trace as one self-contained SVG: a lane per task (steps as dark bars, waits as
 * light bars labelled with what the task waits on, cancel marks in red), a lane per
 * pooled connection (opened, leased to a task — named on the bar —, idle; its events
 * as ticks), a time axis and a legend. No script, no external font or image: it shows
 * the same in a browser, a README and `rsvg-convert`.
 *
 * @example
 * fs.writeFileSync('trace.svg', toSVG(recorder, 'my run'));
 */
export function toSVG(recorder: TraceRecorder, title = 'yieldio trace'): string {
  const layout = layOut(recorder);
  const parts = [
    ...drawTimeAxis(layout), // first, so that gridlines are under everything else
    ...drawTaskLanes(recorder, layout),
    ...drawConnectionLanes(recorder, layout),
    ...drawMarks(recorder, layout),
  ];
  const legendY = layout.chartBottom + 36;
  return svgDocument(layout.labelWidth + CHART_WIDTH + 30, legendY + 12, title, parts, drawLegend(legendY));
}

/** Where everything goes: the label column, the time scale, a row per lane. */
interface Layout {
  readonly start: number;
  readonly end: number;
  /** Seconds the axis spans. */
  readonly width: number;
  readonly labelWidth: number;
  /** The connection lanes, below the task lanes. */
  readonly lanes: readonly string[];
  /** A task's row, by task id. */
  readonly row: ReadonlyMap<number, number>;
  readonly chartBottom: number;
  /** A time in seconds → x in px. */
  x(t: number): number;
  /** A lane's row → its top y in px. */
  laneY(i: number): number;
}

function layOut(recorder: TraceRecorder): Layout {
  const [start, end] = recorder.span();
  const lanes = connectionLanes(recorder.marks);
  // About 7 px a character at 12 px, 6 px at 10 px: wide enough for the longest label.
  const labelWidth = Math.min(320, Math.max(MIN_LABEL_WIDTH,
    ...recorder.tasks.map((t) => t.name.length * 7 + 16),
    ...lanes.map((lane) => Math.max(splitLane(lane)[0].length * 7, splitLane(lane)[1].length * 6) + 16)));
  const width = end > start ? end - start : 0.001; // an empty trace gets a 1 ms axis
  const laneY = (i: number): number => TOP + i * LANE_HEIGHT;
  return {
    start, end, width, labelWidth, lanes, laneY,
    x: (t) => round(labelWidth + ((t - start) / width) * CHART_WIDTH),
    row: new Map(recorder.tasks.map((task, i) => [task.id, i])),
    chartBottom: laneY(recorder.tasks.length + lanes.length),
  };
}

/** Gridlines and their labels, at round steps. */
function drawTimeAxis({ start, width, chartBottom, x }: Layout): string[] {
  const parts: string[] = [];
  const step = tickStep(width);
  for (let t = 0; t <= width + step * 1e-6; t += step) {
    const tx = x(start + t);
    parts.push(`<line x1="${tx}" x2="${tx}" y1="${TOP - 4}" y2="${chartBottom + 4}" class="grid"/>`);
    parts.push(`<text x="${tx}" y="${chartBottom + 16}" class="small" text-anchor="middle">${formatMs(t, step)}</text>`);
  }
  return parts;
}

/** A lane per task: its name and life line, then its waits (light, labelled) and steps (dark). */
function drawTaskLanes(recorder: TraceRecorder, { end, row, x, laneY }: Layout): string[] {
  const parts: string[] = [];
  recorder.tasks.forEach((task, i) => {
    const y = laneY(i);
    parts.push(`<text x="4" y="${y + 17}" class="label">${escapeXml(task.name)}</text>`);
    parts.push(`<line x1="${x(task.created)}" x2="${x(task.ended ?? end)}" y1="${y + 13}" y2="${y + 13}" class="life"/>`);
  });
  for (const wait of recorder.waits) {
    const y = laneY(row.get(wait.task) ?? 0);
    const x0 = x(wait.start);
    const w = Math.max(x(wait.end ?? end) - x0, 1);
    parts.push(`<rect x="${x0}" y="${y + 6}" width="${round(w)}" height="14" fill="${COLORS.wait}"><title>waits on ${escapeXml(wait.on)}</title></rect>`);
    if (w > wait.on.length * 5.5 + 6) parts.push(`<text x="${x0 + 3}" y="${y + 17}" class="small">${escapeXml(wait.on)}</text>`);
  }
  for (const s of recorder.steps) {
    const y = laneY(row.get(s.task) ?? 0);
    parts.push(`<rect x="${x(s.start)}" y="${y + 4}" width="${round(Math.max(x(s.end) - x(s.start), 1.5))}" height="18" fill="${COLORS.step}"><title>step${s.wokenBy ? ` woken by ${escapeXml(s.wokenBy)}` : ''}</title></rect>`);
  }
  return parts;
}

/** A lane per pooled connection, below the tasks: its name and origin, then its life as stretches. */
function drawConnectionLanes(recorder: TraceRecorder, { end, lanes, x, laneY }: Layout): string[] {
  const parts: string[] = [];
  lanes.forEach((lane, i) => {
    const y = laneY(recorder.tasks.length + i);
    const [name, origin] = splitLane(lane);
    parts.push(`<text x="4" y="${origin === '' ? y + 17 : y + 12}" class="label conn">${escapeXml(name)}</text>`);
    if (origin !== '') parts.push(`<text x="4" y="${y + 24}" class="small">${escapeXml(origin)}</text>`);
    for (const seg of connectionSegments(recorder.marks, lane, end)) drawSegment(parts, seg, y, x);
  });
  return parts;
}

/** One stretch of a connection's life: a dashed line while idle, else a bar naming who holds it. */
function drawSegment(parts: string[], seg: Segment, y: number, x: (t: number) => number): void {
  const x0 = x(seg.start);
  const w = Math.max(x(seg.end) - x0, 1);
  if (seg.kind === 'idle') {
    parts.push(`<line x1="${x0}" x2="${round(x0 + w)}" y1="${y + 13}" y2="${y + 13}" stroke="${COLORS.idle}" stroke-width="2" stroke-dasharray="4 3"><title>idle in the pool</title></line>`);
    if (w > 30) parts.push(`<text x="${x0 + 3}" y="${y + 10}" class="tiny">idle</text>`);
    return;
  }
  const label = seg.kind === 'connecting' ? 'connecting' : seg.holder;
  parts.push(`<rect x="${x0}" y="${y + 6}" width="${round(w)}" height="14" fill="${COLORS[seg.kind]}"><title>${seg.kind === 'connecting' ? 'being opened' : `leased to ${escapeXml(seg.holder)}`}</title></rect>`);
  if (w > label.length * 5.5 + 6) parts.push(`<text x="${x0 + 3}" y="${y + 17}" class="small">${escapeXml(label)}</text>`);
}

/** The marks: a task's cancel spans its lane; a connection's events are short ticks above its bars. */
function drawMarks(recorder: TraceRecorder, { lanes, row, x, laneY }: Layout): string[] {
  const parts: string[] = [];
  for (const mark of recorder.marks) {
    const onTask = typeof mark.lane === 'number';
    const y = laneY(onTask ? (row.get(mark.lane as number) ?? 0) : recorder.tasks.length + lanes.indexOf(mark.lane as string));
    const mx = x(mark.time);
    parts.push(`<line x1="${mx}" x2="${mx}" y1="${y + (onTask ? 2 : 1)}" y2="${y + (onTask ? 24 : 7)}" stroke="${COLORS[mark.kind] ?? '#000'}" stroke-width="2"><title>${mark.kind} ${escapeXml(mark.detail)}</title></line>`);
  }
  return parts;
}

/** A swatch and a name for every colour, in one row at `legendY`. */
function drawLegend(legendY: number): string[] {
  const legend: string[] = [];
  let lx = 4;
  for (const [name, color] of Object.entries(COLORS)) {
    const swatch = ['step', 'wait', 'connecting', 'leased'].includes(name)
      ? `<rect x="${lx}" y="${legendY - 9}" width="12" height="10" fill="${color}"/>`
      : name === 'idle'
        ? `<line x1="${lx}" x2="${lx + 12}" y1="${legendY - 4}" y2="${legendY - 4}" stroke="${color}" stroke-width="2" stroke-dasharray="4 3"/>`
        : `<line x1="${lx + 5}" x2="${lx + 5}" y1="${legendY - 10}" y2="${legendY + 1}" stroke="${color}" stroke-width="2"/>`;
    legend.push(`${swatch}<text x="${lx + 16}" y="${legendY}" class="small">${name}</text>`);
    lx += 16 + name.length * 6 + 14;
  }
  return legend;
}

/** The drawing wrapped as a standalone SVG: styles, a white background, the title. */
function svgDocument(width: number, height: number, title: string, parts: readonly string[], legend: readonly string[]): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">
<style>.label{font:12px sans-serif;fill:#222}.conn{fill:#6c3483}.small{font:10px sans-serif;fill:#333}.tiny{font:9px sans-serif;fill:#555}.life{stroke:#ddd;stroke-width:1}.grid{stroke:#eee;stroke-width:1}</style>
<rect width="100%" height="100%" fill="#fff"/>
<text x="4" y="16" class="label" font-weight="bold">${escapeXml(title)}</text>
${parts.join('\n')}
${legend.join('\n')}
</svg>
`;
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

/**
 * The trace as one HTML page: the SVG timeline of `toSVG`, and a line on how to read
 * it. Self-contained: no script, nothing fetched.
 */
export function toHTML(recorder: TraceRecorder, title = 'yieldio trace'): string {
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>${escapeXml(title)}</title></head>
<body style="font-family:sans-serif">
${toSVG(recorder, title)}
<p style="font-size:12px">Lanes: one per task (dark: a step running; light: waiting, labelled with what on) and one per pooled connection (being opened, leased to the task named on the bar, idle in the pool; ticks mark its events). Hover for details. Made by yieldio's TraceRecorder.</p>
</body></html>
`;
}
