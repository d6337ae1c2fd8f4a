/**
 * The docs cannot rot: this spec runs what docs/ shows and checks what it names.
 *
 * - Every `docs/examples/*.ts` runs in a child process (`node --import tsx`), must exit
 *   0 and print exactly the `// expect:` block at the end of its file. The children run
 *   in parallel, a few at a time, each under a timeout.
 * - `scripts/diagrams.ts --check`: the diagrams in docs/diagrams/ match the state tables.
 * - docs/rosetta.md names every public export of `yieldio` and `yieldio/http`.
 * - docs/walkthrough.md: every ``lib/file.ts` → `Symbol`` pointer names a file that
 *   exists and symbols found in it; every example and diagram it links exists, and
 *   every example is linked.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
// Static imports, never import(): a dynamic import would load a second, ESM copy of
// lib/ beside the one the specs load, and c8 cannot merge the two copies' coverage.
import * as core from '../lib/index.ts';
import * as http from '../lib/http/index.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const EXAMPLES_DIR = join(ROOT, 'docs', 'examples');
const TIMEOUT_MS = 10_000;
const PARALLEL = Math.max(2, Math.min(6, availableParallelism()));

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

// ---- running files in child processes, a bounded number at a time ----

let running = 0;
const queued: Array<() => void> = [];

function runFile(file: string, args: string[] = []): Promise<Outcome> {
  return new Promise((resolve) => {
    const start = (): void => {
      running++;
      // No colours: console.log colours booleans and numbers when FORCE_COLOR is inherited.
      const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
      delete env.FORCE_COLOR;
      // The examples load lib/ as ESM, this process as CJS: c8 cannot merge the two
      // transpilations of one file, and would count lines the examples skip as
      // uncovered. The examples are checked for their output, not for coverage.
      // (Set, not deleted: Node copies NODE_V8_COVERAGE into a child's env unless the
      // env has the key.)
      env.NODE_V8_COVERAGE = '';
      const child = spawn(process.execPath, ['--import', 'tsx', file, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      let timedOut = false;
      child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
      child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
      const timer = setTimeout(() => {
        timedOut = true;
        child.kill('SIGKILL');
      }, TIMEOUT_MS);
      child.on('close', (code) => {
        clearTimeout(timer);
        running--;
        queued.shift()?.();
        resolve({ code, stdout, stderr, timedOut });
      });
    };
    if (running < PARALLEL) start();
    else queued.push(start);
  });
}

/** The `// expect:` block at the end of an example: one `// line` per line printed. */
export function expectedOutput(source: string, file = 'example'): string {
  const marker = source.lastIndexOf('\n// expect:');
  if (marker === -1) throw new Error(`${file} has no "// expect:" block at its end`);
  const lines = source.slice(marker + '\n// expect:'.length).split('\n').slice(1);
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines
    .map((line) => {
      if (line === '//') return '';
      if (!line.startsWith('// ')) throw new Error(`${file}: line ${JSON.stringify(line)} after "// expect:" is not a "// " comment`);
      return line.slice(3);
    })
    .join('\n');
}

const examples = readdirSync(EXAMPLES_DIR).filter((f) => /^\d\d-[\w-]+\.ts$/.test(f)).sort();
// Start every child now; each test below awaits its own.
const outcomes = new Map(examples.map((f) => [f, runFile(join(EXAMPLES_DIR, f))]));
const diagramsCheck = runFile(join(ROOT, 'scripts', 'diagrams.ts'), ['--check']);

test('docs/examples holds the numbered examples, 01 to 11 at least', () => {
  assert.ok(examples.length >= 11, `found ${examples.length}: ${examples.join(', ')}`);
  examples.forEach((f, i) => assert.is(f.slice(0, 2), String(i + 1).padStart(2, '0'), `numbering gap at ${f}`));
});

for (const file of examples) {
  test(`docs/examples/${file} exits 0 and prints its // expect: block`, async () => {
    const expected = expectedOutput(readFileSync(join(EXAMPLES_DIR, file), 'utf8'), file);
    const out = await (outcomes.get(file) as Promise<Outcome>);
    assert.not.ok(out.timedOut, `${file} did not finish within ${TIMEOUT_MS} ms`);
    assert.is(out.code, 0, `${file} exited with ${out.code}:\n${out.stderr}`);
    // Node's own process warnings (about the environment) are not the example's doing.
    const stderr = out.stderr.replace(/^\(node:\d+\) \w*Warning:.*\n(\(Use `node --trace-warnings.*\n)?/gm, '');
    assert.is(stderr, '', `${file} wrote to stderr`);
    assert.fixture(out.stdout.replace(/\n$/, ''), expected);
  });
}

test('expectedOutput parses a block and refuses a malformed one', () => {
  assert.is(expectedOutput('x();\n// expect:\n// a\n//\n//   b\n'), 'a\n\n  b');
  assert.throws(() => expectedOutput('x();\n'), /no "\/\/ expect:" block/);
  assert.throws(() => expectedOutput('x();\n// expect:\n// a\nb\n'), /is not a "\/\/ " comment/);
});

test('docs/diagrams are up to date with the state tables (scripts/diagrams.ts --check)', async () => {
  const out = await diagramsCheck;
  assert.is(out.code, 0, out.stderr);
});

// ---- the rosetta page names every public export ----

/** Every name a module's `export { … }` / `export type { … }` lists and its `export const|function|class|…` declares. */
export function exportedNames(source: string): string[] {
  const names = new Set<string>();
  for (const m of source.matchAll(/export\s+(?:type\s+)?\{([^}]*)\}/g)) {
    for (const item of (m[1] as string).split(',')) {
      const spec = item.replace(/\/\/.*$/gm, '').trim().replace(/^type\s+/, '');
      if (spec === '') continue;
      const as = spec.split(/\s+as\s+/);
      names.add((as[1] ?? as[0] as string).trim());
    }
  }
  for (const m of source.matchAll(/export\s+(?:declare\s+)?(?:abstract\s+)?(?:const|let|function\*?|class|type|interface|enum)\s+([A-Za-z_$][\w$]*)/g)) {
    names.add(m[1] as string);
  }
  return [...names];
}

const rosetta = readFileSync(join(ROOT, 'docs', 'rosetta.md'), 'utf8');

for (const [label, path, load] of [
  ['yieldio', 'lib/index.ts', () => core],
  ['yieldio/http', 'lib/http/index.ts', () => http],
] as const) {
  test(`docs/rosetta.md names every export of ${label} (${path})`, async () => {
    const names = exportedNames(readFileSync(join(ROOT, path), 'utf8'));
    // The parse must see at least every runtime export (types are invisible at runtime).
    const runtime = Object.keys(await load());
    const unparsed = runtime.filter((n) => !names.includes(n));
    assert.equal(unparsed, [], `exports the parser missed in ${path}`);
    const missing = names.filter((n) => !new RegExp('`' + n.replace(/\$/g, '\\$') + '(?![\\w$])').test(rosetta));
    assert.equal(missing, [], `names exported by ${path} but absent from docs/rosetta.md (write each as \`Name\`)`);
  });
}

test('exportedNames reads re-export lists, type-only items, aliases and declarations', () => {
  const src = "export { a, type B, c as d } from './x.ts';\nexport type { E } from './y.ts';\nexport const f = 1;\nexport function* g() {}\n";
  assert.equal(exportedNames(src).sort(), ['B', 'E', 'a', 'd', 'f', 'g']);
});

// ---- the walkthrough's pointers into lib/ ----

const walkthrough = readFileSync(join(ROOT, 'docs', 'walkthrough.md'), 'utf8');

test('docs/walkthrough.md: every `lib/…` → `Symbol` pointer names an existing file and symbols in it', () => {
  const pointers = [...walkthrough.matchAll(/`((?:lib|spec|scripts)\/[\w/.-]+\.ts)` → `([\w$#.]+)(?:\(\))?`/g)];
  assert.ok(pointers.length >= 20, `only ${pointers.length} pointers found`);
  const broken: string[] = [];
  for (const [, file, symbol] of pointers) {
    const path = join(ROOT, file as string);
    if (!existsSync(path)) {
      broken.push(`${file} (no such file)`);
      continue;
    }
    const text = readFileSync(path, 'utf8');
    for (const part of (symbol as string).split('.')) {
      const escaped = part.replace(/[$]/g, '\\$');
      if (!new RegExp(`(?<![\\w$#])${escaped}(?![\\w$])`).test(text)) broken.push(`${file} → ${symbol} (no "${part}")`);
    }
  }
  assert.equal(broken, []);
});

test('docs/walkthrough.md links every example, and every example and diagram it links exists', () => {
  const linked = new Set([...walkthrough.matchAll(/examples\/(\d\d-[\w-]+\.ts)/g)].map((m) => m[1] as string));
  assert.equal(examples.filter((f) => !linked.has(f)), [], 'examples the walkthrough does not link');
  assert.equal([...linked].filter((f) => !examples.includes(f)), [], 'linked examples that do not exist');
  const diagrams = [...walkthrough.matchAll(/diagrams\/([\w-]+\.md)/g)].map((m) => m[1] as string);
  assert.ok(diagrams.length >= 5, 'the walkthrough links the state diagrams');
  assert.equal(diagrams.filter((f) => !existsSync(join(ROOT, 'docs', 'diagrams', f))), []);
});

test.run();
