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
 * - docs/node.md: every `docs/examples/node/*.ts` runs as the numbered examples do and
 *   is linked from the page; every ```ts block of the page (and of README's Node
 *   section) is copied from one of those files or from examples/fetch-urls.ts, so
 *   the code shown is code that runs; its links to other pages and their sections
 *   resolve.
 * - docs/testing.md, the same way: every `docs/examples/testing/*.ts` (but harness.ts,
 *   the stand-in test runner they import) runs, is linked from the page, and is where
 *   the page's ```ts blocks come from (or spec/_support/virtual.ts, for the helpers it
 *   shows); its links resolve.
 * - examples/fetch-urls.ts does what it says, in this process against the loopback
 *   echo server and as a command in a child process.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
// Static imports, never import(): a dynamic import would load a second, ESM copy of
// lib/ beside the one the specs load, and c8 cannot merge the two copies' coverage.
import * as core from '../lib/index.ts';
import * as http from '../lib/http/index.ts';
import { fetchUrls, parseList, type FetchResult } from '../examples/fetch-urls.ts';
import { startEchoServer } from '../examples/echo-server.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const EXAMPLES_DIR = join(ROOT, 'docs', 'examples');
const NODE_EXAMPLES_DIR = join(EXAMPLES_DIR, 'node');
const TESTING_EXAMPLES_DIR = join(EXAMPLES_DIR, 'testing');
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
const nodeExamples = readdirSync(NODE_EXAMPLES_DIR).filter((f) => f.endsWith('.ts')).sort();
const testingExamples = readdirSync(TESTING_EXAMPLES_DIR).filter((f) => f.endsWith('.ts') && f !== 'harness.ts').sort();
// Start every child now; each test below awaits its own.
const outcomes = new Map(examples.map((f) => [f, runFile(join(EXAMPLES_DIR, f))]));
const nodeOutcomes = new Map(nodeExamples.map((f) => [f, runFile(join(NODE_EXAMPLES_DIR, f))]));
const testingOutcomes = new Map(testingExamples.map((f) => [f, runFile(join(TESTING_EXAMPLES_DIR, f))]));
const diagramsCheck = runFile(join(ROOT, 'scripts', 'diagrams.ts'), ['--check']);
const fetchUrlsDemo = runFile(join(ROOT, 'examples', 'fetch-urls.ts'));

/** Node's own process warnings (about the environment) are not the example's doing. */
function withoutNodeWarnings(stderr: string): string {
  return stderr.replace(/^\(node:\d+\) \w*Warning:.*\n(\(Use `node --trace-warnings.*\n)?/gm, '');
}

/** An example's run: exit 0, within the timeout, nothing on stderr, exactly its `// expect:` block on stdout. */
async function checkExample(path: string, outcome: Promise<Outcome>): Promise<void> {
  const file = path.slice(ROOT.length + 1);
  const expected = expectedOutput(readFileSync(path, 'utf8'), file);
  const out = await outcome;
  assert.not.ok(out.timedOut, `${file} did not finish within ${TIMEOUT_MS} ms`);
  assert.is(out.code, 0, `${file} exited with ${out.code}:\n${out.stderr}`);
  assert.is(withoutNodeWarnings(out.stderr), '', `${file} wrote to stderr`);
  assert.fixture(out.stdout.replace(/\n$/, ''), expected);
}

test('docs/examples holds the numbered examples, 01 to 11 at least', () => {
  assert.ok(examples.length >= 11, `found ${examples.length}: ${examples.join(', ')}`);
  examples.forEach((f, i) => assert.is(f.slice(0, 2), String(i + 1).padStart(2, '0'), `numbering gap at ${f}`));
});

for (const file of examples) {
  test(`docs/examples/${file} exits 0 and prints its // expect: block`, async () => {
    await checkExample(join(EXAMPLES_DIR, file), outcomes.get(file) as Promise<Outcome>);
  });
}

for (const file of nodeExamples) {
  test(`docs/examples/node/${file} exits 0 and prints its // expect: block`, async () => {
    await checkExample(join(NODE_EXAMPLES_DIR, file), nodeOutcomes.get(file) as Promise<Outcome>);
  });
}

for (const file of testingExamples) {
  test(`docs/examples/testing/${file} exits 0 and prints its // expect: block`, async () => {
    await checkExample(join(TESTING_EXAMPLES_DIR, file), testingOutcomes.get(file) as Promise<Outcome>);
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

// ---- docs/node.md: its examples, its code blocks, its links ----

const nodePage = readFileSync(join(ROOT, 'docs', 'node.md'), 'utf8');
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** The bodies of the ```ts blocks of a markdown text. */
export function tsBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => (m[1] as string).replace(/\n$/, ''));
}

/**
 * Is `block` a run of whole, consecutive lines of `source`, all indented alike? (A block
 * may be cut out of a function body and shown without its indentation.)
 */
export function isExcerpt(block: string, source: string): boolean {
  const want = block.split('\n');
  const lines = source.split('\n');
  const first = want[0] as string;
  for (let i = 0; i + want.length <= lines.length; i++) {
    const line = lines[i] as string;
    if (!line.endsWith(first) || !/^ *$/.test(line.slice(0, line.length - first.length))) continue;
    const indent = line.slice(0, line.length - first.length);
    if (want.every((w, j) => lines[i + j] === (w === '' ? '' : indent + w))) return true;
  }
  return false;
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
export function headingSlug(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
}

test('isExcerpt and headingSlug', () => {
  const src = 'function f() {\n  const a = 1;\n\n  return a;\n}\n';
  assert.ok(isExcerpt('const a = 1;\n\nreturn a;', src));
  assert.ok(isExcerpt(src.trimEnd(), src));
  assert.not.ok(isExcerpt('const a = 1;\nreturn a;', src));
  assert.not.ok(isExcerpt('a = 1;', src));
  assert.is(headingSlug('Ctrl-C, signal handlers and Runner (issue #10)'), 'ctrl-c-signal-handlers-and-runner-issue-10');
  assert.is(headingSlug("The loop lives inside Node's"), 'the-loop-lives-inside-nodes');
});

test('docs/node.md links every docs/examples/node file, and every example it links exists', () => {
  const linked = new Set([...nodePage.matchAll(/\]\(examples\/node\/([\w-]+\.ts)\)/g)].map((m) => m[1] as string));
  assert.equal(nodeExamples.filter((f) => !linked.has(f)), [], 'examples node.md does not link');
  assert.equal([...linked].filter((f) => !nodeExamples.includes(f)), [], 'linked examples that do not exist');
});

const excerptSources = [
  ...nodeExamples.map((f) => join(NODE_EXAMPLES_DIR, f)),
  join(ROOT, 'examples', 'fetch-urls.ts'),
].map((path) => readFileSync(path, 'utf8'));

test('every ts block of docs/node.md is copied from an example that runs', () => {
  const blocks = tsBlocks(nodePage);
  assert.ok(blocks.length >= 10, `only ${blocks.length} blocks found`);
  const orphans = blocks.filter((b) => !excerptSources.some((src) => isExcerpt(b, src)));
  assert.equal(orphans, [], 'blocks found in no docs/examples/node file nor examples/fetch-urls.ts');
});

test('the ts block of README\'s Node section is copied from an example that runs', () => {
  const start = readme.indexOf('\n## yieldio and the rest of Node\n');
  assert.ok(start !== -1, 'README.md has a "yieldio and the rest of Node" section');
  const section = readme.slice(start + 1, readme.indexOf('\n## ', start + 1));
  const blocks = tsBlocks(section);
  assert.is(blocks.length, 1);
  assert.ok(excerptSources.some((src) => isExcerpt(blocks[0] as string, src)), blocks[0]);
});

/** The relative links of a page in docs/ whose file or #section does not exist. */
function brokenLinks(page: string, name: string): string[] {
  const broken: string[] = [];
  for (const [, target] of page.matchAll(/\]\(([^)\s]+)\)/g)) {
    if (/^[a-z]+:/.test(target as string)) continue; // http:, https:
    const [file, anchor] = (target as string).split('#') as [string, string | undefined];
    const path = file === '' ? join(ROOT, 'docs', name) : join(ROOT, 'docs', file);
    if (!existsSync(path)) {
      broken.push(`${target} (no such file)`);
      continue;
    }
    if (anchor === undefined) continue;
    const slugs = [...readFileSync(path, 'utf8').matchAll(/^#{1,6} (.*)$/gm)].map((m) => headingSlug(m[1] as string));
    if (!slugs.includes(anchor)) broken.push(`${target} (no such heading)`);
  }
  return broken;
}

test('docs/node.md: every relative link names a file that exists, and every #section a heading in it', () => {
  assert.equal(brokenLinks(nodePage, 'node.md'), []);
});

// ---- docs/testing.md: its examples, its code blocks, its links ----

const testingPage = readFileSync(join(ROOT, 'docs', 'testing.md'), 'utf8');

test('docs/testing.md links every docs/examples/testing file, and every example it links exists', () => {
  const linked = new Set([...testingPage.matchAll(/\]\(examples\/testing\/([\w-]+\.ts)\)/g)].map((m) => m[1] as string));
  assert.equal(testingExamples.filter((f) => !linked.has(f)), [], 'examples testing.md does not link');
  assert.equal([...linked].filter((f) => !testingExamples.includes(f) && f !== 'harness.ts'), [], 'linked examples that do not exist');
});

test('every ts block of docs/testing.md is copied from an example that runs, or from the spec helpers it shows', () => {
  const sources = [
    ...readdirSync(TESTING_EXAMPLES_DIR).map((f) => join(TESTING_EXAMPLES_DIR, f)),
    join(ROOT, 'spec', '_support', 'virtual.ts'),
  ].map((path) => readFileSync(path, 'utf8'));
  const blocks = tsBlocks(testingPage);
  assert.ok(blocks.length >= 10, `only ${blocks.length} blocks found`);
  const orphans = blocks.filter((b) => !sources.some((src) => isExcerpt(b, src)));
  assert.equal(orphans, [], 'blocks found in no docs/examples/testing file nor spec/_support/virtual.ts');
});

test('docs/testing.md: every relative link names a file that exists, and every #section a heading in it', () => {
  assert.equal(brokenLinks(testingPage, 'testing.md'), []);
});

// ---- examples/fetch-urls.ts ----

test('examples/fetch-urls.ts: fetches a list concurrently, never more than the limit at once, and writes every result in list order', async () => {
  const server = await startEchoServer();
  const dir = mkdtempSync(join(tmpdir(), 'yieldio-spec-'));
  try {
    const good = ['a', 'b', 'c', 'd', 'e', 'f'].map((x) => `${server.origin}/item/${x}?n=${x}`);
    const list = ['# comment', '', ...good.slice(0, 3), 'http://127.0.0.1:1/refused', ...good.slice(3), 'no url at all'];
    writeFileSync(join(dir, 'urls.txt'), `${list.join('\n')}\n`);
    const out = join(dir, 'results.jsonl');
    const summary = await core.run(fetchUrls(join(dir, 'urls.txt'), out, { limit: 2 }));
    const written = readFileSync(out, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as FetchResult);
    assert.equal(written, summary.results);
    assert.equal(written.map((r) => r.url), parseList(list.join('\n')));
    for (const r of written.filter((r) => good.includes(r.url))) {
      assert.is(r.status, 200);
      assert.ok((r.bytes as number) > 0);
    }
    assert.equal(written.filter((r) => !good.includes(r.url)).map((r) => r.error), ['ConnectError', 'InvalidURL']);
    assert.is(summary.peak, 2);
    assert.ok(server.connections <= 2, `${server.connections} connections for a limit of 2`);
  } finally {
    rmSync(dir, { recursive: true });
    await server.close();
  }
});

test('examples/fetch-urls.ts, run as a command: the offline demo fetches its list and prints the results file', async () => {
  const out = await fetchUrlsDemo;
  assert.not.ok(out.timedOut, 'the demo did not finish in time');
  assert.is(out.code, 0, out.stderr);
  assert.is(withoutNodeWarnings(out.stderr), '');
  const stdout = out.stdout
    .replace(/127\.0\.0\.1:(?!1\/)\d+/g, 'ECHO')
    .replace(/\d+ bytes/g, 'N bytes')
    .replace(/"bytes":\d+/g, '"bytes":N')
    .replace(/\S*yieldio-fetch-\w+/g, 'TMP');
  const fruit = ['apple', 'banana', 'cherry', 'damson', 'elder', 'fig'];
  assert.fixture(stdout, [
    ...fruit.map((f) => `200  http://ECHO/fruit/${f}?ripe=yes (N bytes)`),
    'ConnectError  http://127.0.0.1:1/nothing-listens-here',
    'InvalidURL  not a url',
    '',
    `8 URLs, 6 fetched; at most 3 in flight; ${/(\d) connections/.exec(stdout)?.[1]} connections to the echo server`,
    '',
    'TMP/results.jsonl:',
    ...fruit.map((f) => `{"url":"http://ECHO/fruit/${f}?ripe=yes","status":200,"bytes":N}`),
    '{"url":"http://127.0.0.1:1/nothing-listens-here","error":"ConnectError"}',
    '{"url":"not a url","error":"InvalidURL"}',
    '',
  ].join('\n'));
  assert.ok(Number(/(\d+) connections/.exec(stdout)?.[1]) <= 3, 'no more connections than the limit');
});

test.run();
