/**
 * Exporters for a TraceRecorder (trace.ts): Chrome Trace Event JSON, which Perfetto
 * (ui.perfetto.dev) and chrome://tracing open, and a self-contained HTML page that
 * draws the timeline as SVG with no script and no network.
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
const LABEL_WIDTH = 150;
const CHART_WIDTH = 900;
const COLORS: Record<string, string> = { step: '#2b7bb9', wait: '#c9d6e3', cancel: '#d9534f', acquire: '#8e44ad', connect: '#e67e22', reuse: '#27ae60', release: '#7f8c8d', close: '#c0392b' };

function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * The trace as one HTML page: an SVG timeline with a lane per task (steps as dark bars,
 * waits as light bars labelled with what the task waits on, cancel marks in red) and a
 * lane per pooled connection (its events as labelled ticks).
 */
export function toHTML(recorder: TraceRecorder, title = 'yieldio trace'): string {
  const [start, end] = recorder.span();
  const width = Math.max(end - start, 1e-9);
  const x = (t: number): number => LABEL_WIDTH + ((t - start) / width) * CHART_WIDTH;
  const lanes = connectionLanes(recorder.marks);
  const laneY = (i: number): number => 30 + i * LANE_HEIGHT;
  const parts: string[] = [];
  recorder.tasks.forEach((task, i) => {
    const y = laneY(i);
    parts.push(`<text x="4" y="${y + 17}" class="label">${escapeXml(task.name)}</text>`);
    parts.push(`<line x1="${x(task.created)}" x2="${x(task.ended ?? end)}" y1="${y + 13}" y2="${y + 13}" class="life"/>`);
  });
  const row = new Map(recorder.tasks.map((task, i) => [task.id, i]));
  for (const wait of recorder.waits) {
    const y = laneY(row.get(wait.task) ?? 0);
    const x0 = x(wait.start);
    const w = Math.max(x(wait.end ?? end) - x0, 1);
    parts.push(`<rect x="${x0}" y="${y + 6}" width="${w}" height="14" fill="${COLORS.wait}"><title>waits on ${escapeXml(wait.on)}</title></rect>`);
    if (w > 60) parts.push(`<text x="${x0 + 3}" y="${y + 17}" class="small">${escapeXml(wait.on)}</text>`);
  }
  for (const step of recorder.steps) {
    const y = laneY(row.get(step.task) ?? 0);
    parts.push(`<rect x="${x(step.start)}" y="${y + 4}" width="${Math.max(x(step.end) - x(step.start), 1.5)}" height="18" fill="${COLORS.step}"><title>step${step.wokenBy ? ` woken by ${escapeXml(step.wokenBy)}` : ''}</title></rect>`);
  }
  lanes.forEach((lane, i) => {
    const y = laneY(recorder.tasks.length + i);
    parts.push(`<text x="4" y="${y + 17}" class="label conn">${escapeXml(lane)}</text>`);
  });
  for (const mark of recorder.marks) {
    const i = typeof mark.lane === 'number' ? (row.get(mark.lane) ?? 0) : recorder.tasks.length + lanes.indexOf(mark.lane);
    const y = laneY(i);
    const mx = x(mark.time);
    parts.push(`<line x1="${mx}" x2="${mx}" y1="${y + 2}" y2="${y + 24}" stroke="${COLORS[mark.kind] ?? '#000'}" stroke-width="2"><title>${mark.kind} ${escapeXml(mark.detail)}</title></line>`);
    if (typeof mark.lane === 'string') parts.push(`<text x="${mx + 3}" y="${y + 10}" class="tiny">${mark.kind}</text>`);
  }
  const height = laneY(recorder.tasks.length + lanes.length) + 30;
  const axis = `<line x1="${LABEL_WIDTH}" x2="${LABEL_WIDTH + CHART_WIDTH}" y1="${height - 22}" y2="${height - 22}" class="axis"/>` +
    `<text x="${LABEL_WIDTH}" y="${height - 6}" class="small">0 ms</text>` +
    `<text x="${LABEL_WIDTH + CHART_WIDTH - 60}" y="${height - 6}" class="small">${((end - start) * 1000).toFixed(2)} ms</text>`;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${LABEL_WIDTH + CHART_WIDTH + 20}" height="${height}">
<style>.label{font:12px sans-serif}.conn{fill:#8e44ad}.small{font:10px sans-serif;fill:#333}.tiny{font:9px sans-serif;fill:#555}.life{stroke:#ddd;stroke-width:1}.axis{stroke:#999}</style>
<text x="4" y="16" class="label" font-weight="bold">${escapeXml(title)}</text>
${parts.join('\n')}
${axis}
</svg>`;
  const legend = Object.entries(COLORS).map(([k, c]) => `<span style="display:inline-block;width:10px;height:10px;background:${c}"></span> ${k}`).join(' &nbsp; ');
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>${escapeXml(title)}</title></head>
<body style="font-family:sans-serif">
${svg}
<p style="font-size:12px">${legend}</p>
<p style="font-size:12px">Lanes: one per task (dark: a step running; light: waiting, labelled with what on) and one per pooled connection. Hover for details. Made by yieldio's TraceRecorder.</p>
</body></html>
`;
}
