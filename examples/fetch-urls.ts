/**
 * A small real program on both sides of the border: read a list of URLs from a file
 * (fs.promises, through wrapPromise), fetch them all at once with at most `limit` in
 * flight (a Semaphore), and write one JSON line per URL, in the order of the list, to
 * a results file. A URL that fails is recorded with its error; it does not stop the
 * others.
 *
 *   npx tsx examples/fetch-urls.ts                                  the demo: offline, see below
 *   npx tsx examples/fetch-urls.ts urls.txt results.jsonl [--limit 4]
 *
 * The list has one URL per line; blank lines and lines starting with `#` are skipped.
 * The demo starts the loopback echo server (examples/echo-server.ts), writes a list
 * of its URLs — plus a refused port and a line that is no URL — to a temp dir, fetches
 * them three at a time, prints the results file and removes the temp dir.
 *
 * Ctrl-C cancels the fetches (the client's connections are closed on the way out) and
 * exits with status 130, as an interrupted shell command does.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  CancelledError, KeyboardInterrupt, Semaphore, asyncWith, gather, run, wrapPromise, type Coro,
} from '../lib/index.ts';
import { AsyncClient } from '../lib/http/index.ts';
import { startEchoServer } from './echo-server.ts';

/** One line of the results file: a status and a size, or the name of the error. */
export interface FetchResult {
  url: string;
  status?: number;
  bytes?: number;
  error?: string;
}

export interface FetchUrlsOptions {
  /** How many requests may be in flight at once (default 4). */
  limit?: number;
  /** Seconds per request phase — connect, read, write, pool (default 10). */
  timeout?: number;
}

/** What `fetchUrls` did, for the summary line. */
export interface FetchSummary {
  results: FetchResult[];
  /** The most requests that were in flight at one time: never more than the limit. */
  peak: number;
}

/** The URLs of a list file's text: one per line, blanks and `#` comments skipped. */
export function parseList(text: string): string[] {
  return text.split('\n').map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('#'));
}

/** Reads `listFile`, fetches every URL in it, writes `resultsFile` (JSON Lines). */
export function* fetchUrls(listFile: string, resultsFile: string, options: FetchUrlsOptions = {}): Coro<FetchSummary> {
  const urls = parseList(yield* wrapPromise(readFile(listFile, 'utf8')));
  const slots = new Semaphore(options.limit ?? 4);
  const load = { inFlight: 0, peak: 0 };

  function* fetchOne(client: AsyncClient, url: string): Coro<FetchResult> {
    return yield* asyncWith(slots, function* () { // waits here while `limit` requests are in flight
      load.peak = Math.max(load.peak, ++load.inFlight);
      try {
        const response = yield* client.get(url);
        return { url, status: response.statusCode, bytes: response.content.length };
      } catch (err) {
        if (err instanceof CancelledError) throw err; // Ctrl-C: stop, do not record
        return { url, error: err instanceof Error ? err.name : String(err) };
      } finally {
        load.inFlight--;
      }
    });
  }

  const results = yield* asyncWith(new AsyncClient({ timeout: options.timeout ?? 10 }), function* (client) {
    return yield* gather(urls.map((url) => fetchOne(client, url))); // in list order, whatever finished first
  });
  yield* wrapPromise(writeFile(resultsFile, results.map((r) => `${JSON.stringify(r)}\n`).join('')));
  return { results, peak: load.peak };
}

function describe(r: FetchResult): string {
  return r.error === undefined ? `${r.status}  ${r.url} (${r.bytes} bytes)` : `${r.error}  ${r.url}`;
}

/** The demo: the echo server, a list in a temp dir, three at a time. */
async function demo(): Promise<void> {
  const server = await startEchoServer();
  const dir = await mkdtemp(join(tmpdir(), 'yieldio-fetch-'));
  try {
    const list = join(dir, 'urls.txt');
    const lines = ['# six fruit, one refused port, one line that is no URL'];
    for (const fruit of ['apple', 'banana', 'cherry', 'damson', 'elder', 'fig']) lines.push(`${server.origin}/fruit/${fruit}?ripe=yes`);
    lines.push('http://127.0.0.1:1/nothing-listens-here', 'not a url');
    await writeFile(list, `${lines.join('\n')}\n`);
    const out = join(dir, 'results.jsonl');
    const { results, peak } = await run(fetchUrls(list, out, { limit: 3 }));
    for (const r of results) console.log(describe(r));
    console.log(`\n${results.length} URLs, ${results.filter((r) => r.error === undefined).length} fetched; at most ${peak} in flight; ` +
      `${server.connections} connections to the echo server\n\n${out}:`);
    process.stdout.write(await readFile(out, 'utf8'));
  } finally {
    await rm(dir, { recursive: true });
    await server.close();
  }
}

async function main(argv: string[]): Promise<void> {
  const at = argv.indexOf('--limit');
  const limit = at === -1 ? undefined : Number(argv[at + 1]);
  const [list, out] = argv.filter((_, i) => at === -1 || (i !== at && i !== at + 1));
  if (list === undefined && at === -1) return demo();
  if (list === undefined || out === undefined || (limit !== undefined && !(limit >= 1))) {
    throw new Error('usage: fetch-urls.ts [urls.txt results.jsonl [--limit N]] (N ≥ 1)');
  }
  const { results, peak } = await run(fetchUrls(list, out, { limit }));
  for (const r of results) console.log(describe(r));
  console.log(`wrote ${results.length} results to ${out}; at most ${peak} in flight`);
}

// No top-level await: specs import this module through a CommonJS loader.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    if (err instanceof KeyboardInterrupt) {
      process.exitCode = 130;
      return;
    }
    console.error(err);
    process.exitCode = 1;
  });
}
