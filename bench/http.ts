/**
 * The HTTP client workloads (issue #5): yieldio's AsyncClient against undici's Pool
 * (the peer: issue #5 asks for CPU per request ≤ undici's) and node:http with a
 * keep-alive Agent, in one run, against one keep-alive `node:http` server in a child
 * process — so `process.cpuUsage()` here measures the client alone.
 *
 *   node --expose-gc --import tsx bench/index.ts http
 *   BENCH_SCALE=0.01 …                           a smoke test (200 requests per measurement)
 *
 * Workloads: GET of a small text body, and POST of a form answered with JSON (the
 * seed program's request), each with 1 and with 16 connections (16 requests in
 * flight). Per measurement 20 000 requests; three rounds with the clients in rotating
 * order, medians reported. Two figures per workload and client: requests per second
 * (higher is better; rows marked "÷" are inverted so that lower is better, like
 * every other ratio) and the client process's CPU µs per request (user + system).
 * Rows "[node:http]" put node:http in the yieldio column, against the same undici peer.
 */
import { fork, type ChildProcess } from 'node:child_process';
import * as http from 'node:http';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { createTask, gather, run, type Coro } from '../lib/index.ts';
import { AsyncClient } from '../lib/http/index.ts';
import { median, type Measurement } from './harness.ts';

const SCALE = Number(process.env.BENCH_SCALE ?? 1) || 1;
/** Requests per measurement. */
export const HTTP_REQUESTS = Math.max(16, Math.round(20_000 * SCALE));
const ROUNDS = 3;
const FORM = { some: 'data' };
const FORM_BODY = 'some=data';

type Kind = 'GET' | 'POST';
type Client = 'yieldio' | 'undici' | 'node:http';
interface Sample {
  rps: number;
  cpuUsPerRequest: number;
}

/** Fork the server; resolves with its origin once it listens. */
function startServer(): Promise<{ origin: string; child: ChildProcess }> {
  const script = fileURLToPath(new URL('./http-server.ts', import.meta.url));
  const child = fork(script, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
    child.once('message', (m) => resolve({ origin: `http://127.0.0.1:${(m as { port: number }).port}`, child }));
  });
}

/** Time `n` requests with `c` in flight; CPU from process.cpuUsage. */
async function measure(n: number, body: () => Promise<void>): Promise<Sample> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await body();
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { rps: (n * 1000) / ms, cpuUsPerRequest: (cpu.user + cpu.system) / n };
}

// --- the three clients: each makes `n` requests, `c` at a time, on `c` connections ---

function yieldioRun(origin: string, kind: Kind, n: number, c: number): () => Promise<void> {
  return () =>
    run((function* (): Coro<void> {
      const client = new AsyncClient({ baseUrl: origin, limits: { maxConnections: c, maxKeepaliveConnections: c } });
      let left = n;
      function* worker(): Coro<void> {
        while (left > 0) {
          left--;
          const r = kind === 'GET' ? yield* client.get('/small') : yield* client.post('/post', { data: FORM });
          if (r.statusCode !== 200) throw new Error(`status ${r.statusCode}`);
          if (kind === 'POST') r.json();
        }
      }
      try {
        const workers = [];
        for (let i = 0; i < c; i++) workers.push(createTask(worker()));
        yield* gather(workers);
      } finally {
        yield* client.aclose();
      }
    })());
}

function undiciRun(origin: string, kind: Kind, n: number, c: number): () => Promise<void> {
  return async () => {
    const pool = new Pool(origin, { connections: c });
    let left = n;
    const worker = async (): Promise<void> => {
      while (left > 0) {
        left--;
        const r = kind === 'GET'
          ? await pool.request({ path: '/small', method: 'GET' })
          : await pool.request({
            path: '/post',
            method: 'POST',
            body: FORM_BODY,
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
          });
        if (r.statusCode !== 200) throw new Error(`status ${r.statusCode}`);
        if (kind === 'POST') await r.body.json();
        else await r.body.text();
      }
    };
    try {
      await Promise.all(Array.from({ length: c }, worker));
    } finally {
      await pool.close();
    }
  };
}

function nodeHttpRun(origin: string, kind: Kind, n: number, c: number): () => Promise<void> {
  const url = new URL(origin);
  return async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: c });
    let left = n;
    const once = (): Promise<void> =>
      new Promise((resolve, reject) => {
        const req = http.request(
          {
            agent,
            host: url.hostname,
            port: url.port,
            method: kind,
            path: kind === 'GET' ? '/small' : '/post',
            headers: kind === 'GET' ? {} : { 'content-type': 'application/x-www-form-urlencoded', 'content-length': FORM_BODY.length },
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (d: Buffer) => chunks.push(d));
            res.on('end', () => {
              if (res.statusCode !== 200) return reject(new Error(`status ${res.statusCode}`));
              if (kind === 'POST') JSON.parse(Buffer.concat(chunks).toString());
              resolve();
            });
          },
        );
        req.on('error', reject);
        req.end(kind === 'GET' ? undefined : FORM_BODY);
      });
    const worker = async (): Promise<void> => {
      while (left > 0) {
        left--;
        await once();
      }
    };
    try {
      await Promise.all(Array.from({ length: c }, worker));
    } finally {
      agent.destroy();
    }
  };
}

const RUNNERS: Record<Client, (origin: string, kind: Kind, n: number, c: number) => () => Promise<void>> = {
  yieldio: yieldioRun,
  undici: undiciRun,
  'node:http': nodeHttpRun,
};

/** Every workload, every client, in one run; ratios against undici. */
export async function benchHttp(): Promise<Measurement[]> {
  const { origin, child } = await startServer();
  const rows: Measurement[] = [];
  try {
    for (const kind of ['GET', 'POST'] as const) {
      for (const c of [1, 16]) {
        const samples: Record<Client, Sample[]> = { yieldio: [], undici: [], 'node:http': [] };
        const order: Client[] = ['yieldio', 'undici', 'node:http'];
        for (const client of order) await measure(Math.min(HTTP_REQUESTS, 1000), RUNNERS[client](origin, kind, Math.min(HTTP_REQUESTS, 1000), c)); // warm-up
        for (let round = 0; round < ROUNDS; round++) {
          for (let i = 0; i < order.length; i++) {
            const client = order[(i + round) % order.length]!;
            samples[client].push(await measure(HTTP_REQUESTS, RUNNERS[client](origin, kind, HTTP_REQUESTS, c)));
          }
        }
        const med = (client: Client, f: keyof Sample): number => median(samples[client].map((s) => s[f]));
        const label = `${kind === 'GET' ? 'GET small' : 'POST form→JSON'} · ${c} conn`;
        const u = { peer: 0, peerName: 'undici' };
        rows.push({ ...u, name: `${label} · CPU/request`, unit: 'µs', yieldio: med('yieldio', 'cpuUsPerRequest'), peer: med('undici', 'cpuUsPerRequest'), target: 1 });
        rows.push({ ...u, name: `${label} · time/request (÷ req/s)`, unit: 'µs', yieldio: 1e6 / med('yieldio', 'rps'), peer: 1e6 / med('undici', 'rps') });
        rows.push({ ...u, name: `[node:http] ${label} · CPU/request`, unit: 'µs', yieldio: med('node:http', 'cpuUsPerRequest'), peer: med('undici', 'cpuUsPerRequest') });
        rows.push({ ...u, name: `[node:http] ${label} · time/request (÷ req/s)`, unit: 'µs', yieldio: 1e6 / med('node:http', 'rps'), peer: 1e6 / med('undici', 'rps') });
      }
    }
  } finally {
    child.disconnect();
  }
  return rows;
}
