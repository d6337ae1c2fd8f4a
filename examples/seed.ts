/**
 * The seed program of DESIGN.md — two concurrent chains of HTTP requests over one
 * connection pool — line for line as the Python it mirrors:
 *
 * ```python
 * async def async_main():
 *     async with httpx.AsyncClient() as client:
 *         task_1 = asyncio.create_task(make_http_requests(client, {'some': 'data'}))
 *         task_2 = asyncio.create_task(make_http_requests(client, {'more': 'data'}))
 *         await asyncio.gather(task_1, task_2)
 *
 * async def make_http_requests(client, data):
 *     resp_1 = await client.post('https://postman-echo.com/post', data=data)
 *     resp_2 = await client.post('https://postman-echo.com/post', data=resp_1.json())
 * ```
 *
 *   npm start                                          against a built-in loopback echo server
 *   npm start -- --url https://postman-echo.com/post   against the real one
 *   npm start -- --trace seed.html                     and write its timeline (.svg: the picture alone,
 *                                                      .json: Chrome Trace for Perfetto)
 *
 * Each response is printed with the pooled connection that served it: the two
 * first POSTs run at once and open a connection each; the two second POSTs reuse them.
 */
import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { asyncWith } from '../lib/contextlib.ts';
import { TraceRecorder, createTask, currentTask, gather, run, toChromeTrace, toHTML, toSVG, type Coro } from '../lib/index.ts';
import { AsyncClient, type Response } from '../lib/http/index.ts';
import { startEchoServer } from './echo-server.ts';

/** One line per response, plus what the server echoed back as form fields. */
export type Log = (line: string) => void;

function short(value: unknown): string {
  const s = JSON.stringify(value);
  return s.length <= 100 ? s : `${s.slice(0, 99)}…`;
}

function describe(name: string, response: Response): string {
  const { connectionId, reused } = response.extensions;
  const via = connectionId === undefined ? '' : ` via connection #${connectionId} (${reused ? 'reused' : 'new'})`;
  const path = response.url?.pathname ?? '?';
  return `${name} · ${response.request?.method ?? '?'} ${path} → ${response.statusCode}${via}`;
}

/** `make_http_requests`: POST `data`, then POST back the JSON received. Returns the second JSON. */
export function* makeHttpRequests(client: AsyncClient, url: string, name: string, data: Record<string, unknown>, log: Log): Coro<unknown> {
  const resp1 = yield* client.post(url, { data });
  log(describe(name, resp1));
  log(`         form echoed: ${short(resp1.json().form)}`);
  const resp2 = yield* client.post(url, { data: resp1.json() });
  log(describe(name, resp2));
  log(`         form echoed: ${short(resp2.json().form)}`);
  return resp2.json();
}

/** `async_main`: both chains at once, on one client; returns both final JSON bodies. */
export function* asyncMain(url: string, log: Log = console.log): Coro<[unknown, unknown]> {
  currentTask()?.setName('main'); // names for the trace's lanes
  return yield* asyncWith(new AsyncClient(), function* (client) {
    const task1 = createTask(makeHttpRequests(client, url, 'task 1', { some: 'data' }, log), { name: 'chain-1' });
    const task2 = createTask(makeHttpRequests(client, url, 'task 2', { more: 'data' }, log), { name: 'chain-2' });
    return yield* gather(task1, task2);
  });
}

/** The value of `--name VALUE` or `--name=VALUE`, or null. */
function argument(argv: string[], name: string): string | null {
  const at = argv.indexOf(name);
  if (at !== -1) return argv[at + 1] ?? null;
  const inline = argv.find((a) => a.startsWith(`${name}=`));
  return inline === undefined ? null : inline.slice(name.length + 1);
}

/** Writes the timeline: Chrome Trace JSON for a `.json` file, the bare SVG for `.svg`, else the HTML page. */
function writeTrace(file: string, recorder: TraceRecorder): void {
  const title = 'yieldio — the seed program: two chains of POSTs over one pool';
  const json = file.endsWith('.json');
  writeFileSync(file, json ? JSON.stringify(toChromeTrace(recorder)) : file.endsWith('.svg') ? toSVG(recorder, title) : toHTML(recorder, title));
  console.log(`\ntrace written to ${file} (${json ? 'open it in ui.perfetto.dev or chrome://tracing' : 'open it in a browser'})`);
}

/** `npm start [-- --url URL] [--trace FILE]`: the seed program, printed. */
async function main(argv: string[]): Promise<void> {
  const given = argument(argv, '--url');
  const traceFile = argument(argv, '--trace');
  const recorder = traceFile === null ? undefined : new TraceRecorder();
  const server = given === null ? await startEchoServer() : null;
  const url = given ?? `${server!.origin}/post`;
  console.log(`seed program → ${url}\n`);
  try {
    const [json1, json2] = await run(asyncMain(url), { trace: recorder });
    console.log(`\ntask 1 final form keys: ${Object.keys((json1 as { form: object }).form).join(', ')}`);
    console.log(`task 2 final form keys: ${Object.keys((json2 as { form: object }).form).join(', ')}`);
    if (server !== null) console.log(`\nthe echo server accepted ${server.connections} TCP connections for 4 requests`);
    if (traceFile !== null) writeTrace(traceFile, recorder!);
  } finally {
    await server?.close();
  }
}

// No top-level await: specs import this module through a CommonJS loader.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
