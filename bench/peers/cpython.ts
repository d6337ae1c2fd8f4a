/**
 * CPython asyncio (and uvloop, when it imports) on the scheduling workloads: runs
 * bench/python/workloads.py with bench/core.ts's counts and turns its JSON into rows.
 *
 * The Python figures come from another process, so they are not interleaved with the
 * native async/await runs as the other peers' are: these rows carry no baseline (`peer`
 * is NaN) and the report divides them by the native figure of the core group's same run.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Measurement } from '../harness.ts';
import * as core from '../core.ts';

const SCRIPT = fileURLToPath(new URL('../python/workloads.py', import.meta.url));
const PYTHON = process.env.BENCH_PYTHON ?? 'python3';

interface PythonOutput {
  python: string;
  loop: string;
  rounds: number;
  results: Record<string, number>;
  notes: Record<string, string>;
}

const UNITS: Record<string, string> = {
  W1: 'ns/task', 'W1 eager': 'ns/task', W2: 'ns/switch', W3: 'ns/round trip', W4: 'ns/call', W5: 'bytes/task', W6: 'ns/switch',
};

/** Is there a python3 whose asyncio imports? Its version, or why not. */
export function pythonVersion(): { version?: string; problem?: string } {
  try {
    const out = execFileSync(PYTHON, ['-c', 'import asyncio, sys; print(sys.version.split()[0])'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return { version: out.trim() };
  } catch (e) {
    return { problem: `${PYTHON} with asyncio not found (${(e as Error).message.split('\n')[0]})` };
  }
}

/** uvloop's version, or undefined when `python3 -c 'import uvloop'` fails. */
export function uvloopVersion(): string | undefined {
  try {
    return execFileSync(PYTHON, ['-c', 'import uvloop; print(uvloop.__version__)'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

function runScript(rounds: number, uvloop: boolean): PythonOutput {
  const counts = {
    W1_N: core.W1_N, W2_TASKS: core.W2_TASKS, W2_SWITCHES: core.W2_SWITCHES, W3_N: core.W3_N, W4_N: core.W4_N,
    W5_N: core.W5_N, W6_TASKS: core.W6_TASKS, W6_DEPTH: core.W6_DEPTH, W6_SWITCHES: core.W6_SWITCHES,
  };
  const args = [SCRIPT, JSON.stringify(counts), '--rounds', String(rounds), ...(uvloop ? ['--uvloop'] : [])];
  const out = execFileSync(PYTHON, args, { encoding: 'utf8', maxBuffer: 1 << 20 });
  return JSON.parse(out) as PythonOutput;
}

function rows(subject: string, out: PythonOutput): Measurement[] {
  const result: Measurement[] = [];
  for (const key of Object.keys(UNITS)) {
    const value = out.results[key];
    const note = out.notes[key];
    if (value === undefined && note === undefined) continue;
    result.push({
      key, name: key, unit: UNITS[key] as string, subject, yieldio: value ?? NaN,
      peer: NaN, peerName: 'async/await (core group)', ...(note === undefined ? {} : { note }),
    });
  }
  return result;
}

/**
 * Rows for 'CPython asyncio' and 'uvloop'. Without python3 or uvloop, one row per missing
 * subject with key '*' and a note saying why, which the report prints under its table.
 */
export async function benchCPython(rounds = 7): Promise<Measurement[]> {
  const py = pythonVersion();
  if (py.problem !== undefined) {
    return [{ key: '*', name: 'CPython asyncio', unit: '', subject: 'CPython asyncio', yieldio: NaN, peer: NaN, peerName: '—', note: py.problem }];
  }
  const result = rows(`CPython ${py.version} asyncio`, runScript(rounds, false));
  const uv = uvloopVersion();
  if (uv === undefined) {
    result.push({ key: '*', name: 'uvloop', unit: '', subject: 'uvloop', yieldio: NaN, peer: NaN, peerName: '—', note: `not installed (\`${PYTHON} -c 'import uvloop'\` fails)` });
  } else {
    result.push(...rows(`CPython ${py.version} uvloop ${uv}`, runScript(rounds, true)));
  }
  return result;
}
