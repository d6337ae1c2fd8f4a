/**
 * The package as a user receives it: packed by `npm pack` (its `prepack` builds
 * dist/), installed from the tarball into a scratch project, and used from there.
 *
 * - The tarball holds dist/lib (JS, .d.ts, their maps), the lib/ sources the maps
 *   name, README.md, LICENSE and package.json — nothing else.
 * - No `@internal` member and no underscore member that is not private reaches the
 *   published `.d.ts`; every source map names a file the package contains, and a
 *   stack trace under `--enable-source-maps` names files that exist.
 * - A plain ESM consumer imports `yieldio` and `yieldio/http` and runs run() +
 *   gather + a TaskGroup + two HTTP GETs against a loopback server it starts.
 * - A TypeScript consumer (strict, NodeNext, skipLibCheck off) is type-checked with
 *   the project's tsc and run; so are the docs' ```ts examples of README.md and
 *   docs/rosetta.md that `docs.spec.ts` does not already run, each against the
 *   published types, with what the page leaves to the reader declared in a hidden
 *   `<!-- ts-prelude: … -->` comment above the block (README's first example is also
 *   run). docs/http-sans-io.md's block shows lib/http/connection.ts, which is not public.
 *   The declared minimum, TypeScript 5.0 (`peerDependencies`), is not checked here: it
 *   would need a second TypeScript from the registry during the test (docs/decisions.md
 *   gives the versions checked by hand).
 *
 * Everything happens in a temporary directory on a copy of the sources, so the
 * repository's own dist/ is never touched; only loopback sockets are used.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const TSC = join(ROOT, 'node_modules', '.bin', 'tsc');

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * The environment of a child: without the variables `npm test` and c8 set, so the
 * nested npm reads no config of the outer run and no child writes coverage.
 */
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  for (const key of Object.keys(env)) {
    if (key.startsWith('npm_') || key.startsWith('NODE_V8_COVERAGE') || key === 'FORCE_COLOR') delete env[key];
  }
  delete env.NODE_OPTIONS;
  return env;
}

function exec(file: string, args: string[], cwd: string, timeout = 60_000): Promise<Outcome> {
  return new Promise((resolvePromise) => {
    execFile(file, args, { cwd, env: childEnv(), timeout, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1;
      resolvePromise({ code, stdout, stderr: err !== null && stderr === '' ? String(err) : stderr });
    });
  });
}

function ok(out: Outcome, what: string): void {
  assert.is(out.code, 0, `${what} failed:\n${out.stdout}\n${out.stderr}`);
}

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...walk(path));
    else out.push(path);
  }
  return out;
}

// ---- the docs' examples, as consumer files ----

/** The public names of the installed package's entry points (from their .d.ts). */
function exportedNames(dts: string): { values: string[]; types: string[] } {
  const values = new Set<string>();
  const types = new Set<string>();
  for (const m of dts.matchAll(/export\s+(type\s+)?\{([^}]*)\}/g)) {
    for (const item of (m[2] as string).split(',')) {
      const spec = item.trim();
      if (spec === '') continue;
      const typeOnly = m[1] !== undefined || spec.startsWith('type ');
      const name = spec.replace(/^type\s+/, '').split(/\s+as\s+/).pop()!.trim();
      (typeOnly ? types : values).add(name);
    }
  }
  return { values: [...values], types: [...types] };
}

interface DocBlock {
  /** `README.md#2`: the page and the block's number on it (from 1). */
  label: string;
  code: string;
  /** The `<!-- ts-prelude: … -->` comment right above the block, if any. */
  prelude: string;
}

/** The ```ts blocks of a page, with the hidden prelude each may carry. */
function tsBlocks(page: string): DocBlock[] {
  const text = readFileSync(join(ROOT, page), 'utf8');
  const blocks: DocBlock[] = [];
  const re = /(?:<!--\s*ts-prelude:([\s\S]*?)-->\s*\n)?```ts\n([\s\S]*?)```/g;
  for (const m of text.matchAll(re)) {
    blocks.push({ label: `${page}#${blocks.length + 1}`, prelude: (m[1] ?? '').trim(), code: m[2] as string });
  }
  return blocks;
}

/**
 * The blocks this spec type-checks: those of README.md and of the pages whose code
 * docs.spec.ts does not already run as a copy of an example file (docs/node.md and
 * README's Node section are copies of docs/examples/node/*.ts, which run).
 */
function docBlocks(): DocBlock[] {
  const readmeNode = readFileSync(join(ROOT, 'README.md'), 'utf8').split('\n## ').find((s) => s.startsWith('yieldio and the rest of Node')) ?? '';
  const fromReadme = tsBlocks('README.md').filter((b) => !readmeNode.includes(b.code));
  return [...fromReadme, ...tsBlocks('docs/rosetta.md')];
}

/**
 * A block as a module: its own imports if it has any; otherwise every public name of
 * both entry points imported (a name of yieldio/http that yieldio also exports comes
 * from yieldio) and the block's prelude declaring what the page leaves to the reader.
 */
function docModule(block: DocBlock, core: { values: string[]; types: string[] }, http: { values: string[]; types: string[] }): string {
  if (/from 'yieldio(\/http)?'/.test(block.code)) return `${block.prelude}\n${block.code}\nexport {};\n`;
  const taken = new Set([...core.values, ...core.types]);
  const imports = (names: { values: string[]; types: string[] }, skip: Set<string>): string =>
    [...names.values.filter((n) => !skip.has(n)), ...names.types.filter((n) => !skip.has(n)).map((n) => `type ${n}`)].join(', ');
  return [
    '/* eslint-disable */',
    `import { ${imports(core, new Set())} } from 'yieldio';`,
    `import { ${imports(http, taken)} } from 'yieldio/http';`,
    block.prelude,
    block.code,
    'export {};',
    '',
  ].join('\n');
}

// ---- the consumers ----

const ESM_CONSUMER = `// A plain-JavaScript ESM consumer of the packed tarball.
import { createServer } from 'node:http';
import { existsSync } from 'node:fs';
import { run, createTask, gather, sleep, asyncWith, TaskGroup } from 'yieldio';
import { AsyncClient } from 'yieldio/http';

const server = createServer((req, res) => res.end('hello ' + req.url));
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const origin = 'http://127.0.0.1:' + server.address().port;

function* fetchText(client, path) {
  const r = yield* client.get(origin + path);
  return r.statusCode + ' ' + r.text;
}

function* main() {
  return yield* asyncWith(new AsyncClient(), function* (client) {
    const [a, b] = yield* gather(createTask(fetchText(client, '/a')), createTask(fetchText(client, '/b')));
    let c;
    yield* asyncWith(new TaskGroup(), function* (tg) {
      c = tg.createTask((function* () { yield* sleep(0.001); return 'c'; })());
    });
    return [a, b, c.result()];
  });
}

try {
  console.log(JSON.stringify(await run(main())));
} finally {
  server.close();
}

// A misuse error thrown inside the library: under --enable-source-maps its stack
// names the package's lib/*.ts files, which must exist.
try {
  await run((function* () { createTask(main); })());
} catch (err) {
  const frames = [...err.stack.matchAll(/\\((\\/[^)]*?):\\d+:\\d+\\)/g)].map((m) => m[1]).filter((f) => f.includes('/node_modules/yieldio/'));
  console.log(frames.length > 0 && frames.every((f) => f.endsWith('.ts') && existsSync(f)) ? 'frames: lib/*.ts, all present' : 'frames: ' + frames.join(' '));
}
`;

const TS_CONSUMER = `// A TypeScript consumer of the packed tarball: type-checked with skipLibCheck off, then run.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { run, createTask, gather, sleep, withTimeout, Queue, type Coro, type Task, type EventLoop } from 'yieldio';
import { AsyncClient, type Response } from 'yieldio/http';

function* worker(name: string, n: number): Coro<string> {
  yield* sleep(0.001);
  return name + n;
}

function* get(client: AsyncClient, url: string): Coro<number> {
  const r: Response = yield* client.get(url);
  return r.statusCode;
}

function* main(origin: string): Coro<[string, number, number]> {
  const t: Task<string> = createTask(worker('w', 1));
  const [s, n] = yield* gather(t, withTimeout(5, () => worker('x', 2)));
  const typed: [string, string] = [s, n];
  const q = new Queue<number>();
  q.putNowait(7);
  const seven: number = yield* q.get();
  const client = new AsyncClient();
  try {
    const [status] = yield* gather(get(client, origin + '/ts'));
    return [typed.join('+'), status, seven];
  } finally {
    yield* client.aclose();
  }
}

// Package-internal members are not part of the published types.
// @ts-expect-error: Queue's storage hook is @internal, stripped from the .d.ts
void ((q: Queue<number>) => q._put);
void ((loop: EventLoop) => loop.isRunning());

const server = createServer((_req, res) => res.end('ok'));
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const { port } = server.address() as AddressInfo;
try {
  const result: [string, number, number] = await run(main('http://127.0.0.1:' + port));
  console.log(JSON.stringify(result));
} finally {
  server.close();
}
`;

// ---- pack, install, once for every test below ----

interface Setup {
  work: string;
  app: string;
  pkg: string;
  tarball: string;
  files: string[];
  size: number;
  docs: Array<{ label: string; file: string }>;
}

async function packAndInstall(): Promise<Setup> {
  const work = mkdtempSync(join(tmpdir(), 'yieldio-package-'));
  // The sources as a release is packed from (a copy: this repository's dist/ stays as it is).
  const src = join(work, 'src');
  mkdirSync(src);
  for (const f of ['package.json', 'tsconfig.json', 'tsconfig.build.json', 'README.md', 'LICENSE']) cpSync(join(ROOT, f), join(src, f));
  cpSync(join(ROOT, 'lib'), join(src, 'lib'), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules'), join(src, 'node_modules'), 'dir');
  const packed = await exec('npm', ['pack', '--json', '--pack-destination', work], src);
  ok(packed, 'npm pack');
  const info = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as Array<{ filename: string; size: number; files: Array<{ path: string }> }>;
  const tarball = join(work, info[0]!.filename);

  // A scratch project that installs the tarball as a user would.
  const app = join(work, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'scratch', private: true, type: 'module' }, null, 2));
  ok(await exec('npm', ['install', '--offline', '--no-audit', '--no-fund', tarball], app), 'npm install of the tarball');
  const pkg = join(app, 'node_modules', 'yieldio');

  writeFileSync(join(app, 'esm.mjs'), ESM_CONSUMER);
  writeFileSync(join(app, 'consumer.ts'), TS_CONSUMER);
  const core = exportedNames(readFileSync(join(pkg, 'dist', 'lib', 'index.d.ts'), 'utf8'));
  const http = exportedNames(readFileSync(join(pkg, 'dist', 'lib', 'http', 'index.d.ts'), 'utf8'));
  mkdirSync(join(app, 'docs'));
  const docs = docBlocks().map((block, i) => {
    const file = join('docs', `${block.label.replace(/[^A-Za-z0-9]+/g, '-')}-${i}.ts`);
    writeFileSync(join(app, file), docModule(block, core, http));
    return { label: block.label, file };
  });
  writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({
    compilerOptions: {
      target: 'ES2022',
      lib: ['ES2023'],
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      strict: true,
      skipLibCheck: false,
      types: ['node'],
      typeRoots: [join(ROOT, 'node_modules', '@types')],
      outDir: 'out',
    },
    files: ['consumer.ts', ...docs.map((d) => d.file)],
  }, null, 2));
  return { work, app, pkg, tarball, files: info[0]!.files.map((f) => f.path), size: info[0]!.size, docs };
}

/**
 * Started by the first test, not when the file loads (uvu loads every spec first),
 * so the packing does not compete with the other specs for the CPU.
 */
let started: { setup: Promise<Setup>; esm: Promise<Outcome>; tsc: Promise<Outcome> } | null = null;

function start(): NonNullable<typeof started> {
  if (started !== null) return started;
  const setup = packAndInstall();
  // The three checks run side by side once the package is installed.
  const esm = setup.then((s) => exec(process.execPath, ['--enable-source-maps', 'esm.mjs'], s.app, 20_000));
  const tsc = setup.then((s) => exec(TSC, ['-p', '.'], s.app));
  // Settled whatever happens, so a failure fails the tests instead of the process.
  for (const p of [setup, esm, tsc]) p.catch(() => {});
  started = { setup, esm, tsc };
  return started;
}

test.after(async () => {
  if (started === null) return;
  // Wait for every child, then remove the directory they worked in.
  await Promise.allSettled([started.esm, started.tsc]);
  const s = await started.setup.catch(() => null);
  if (s !== null) rmSync(s.work, { recursive: true, force: true });
});

test('npm pack: dist/lib, the lib/ sources its maps name, README.md, LICENSE, package.json — nothing else', async () => {
  const { files, size } = await start().setup;
  const outside = files.filter((f) => !/^(dist\/lib\/.+\.(js|d\.ts)(\.map)?|lib\/.+\.ts|README\.md|LICENSE|package\.json)$/.test(f));
  assert.equal(outside, [], 'files in the tarball that no user needs');
  for (const f of ['LICENSE', 'README.md', 'dist/lib/index.js', 'dist/lib/index.d.ts', 'dist/lib/http/index.js', 'dist/lib/http/index.d.ts', 'lib/index.ts']) {
    assert.ok(files.includes(f), `${f} is in the tarball`);
  }
  assert.ok(size < 1_000_000, `tarball is ${size} bytes`);
});

test('the published .d.ts carry no @internal member and no non-private underscore member', async () => {
  const { pkg } = await start().setup;
  const found: string[] = [];
  for (const file of walk(join(pkg, 'dist')).filter((f) => f.endsWith('.d.ts'))) {
    readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
      const where = `${relative(pkg, file)}:${i + 1}: ${line.trim()}`;
      if (line.includes('@internal')) found.push(where);
      // A member whose name starts with "_": package-internal, so tag it @internal (a
      // `private` one shows only its name and is not callable from outside).
      if (/^\s+(?:(?:readonly|static|protected|public|abstract|get|set)\s+)*_\w*\s*[(:?<]/.test(line)) found.push(where);
    });
  }
  assert.equal(found, [], 'tag these @internal (stripInternal removes them) or make them private');
});

test('every source map names files the package contains', async () => {
  const { pkg } = await start().setup;
  const missing: string[] = [];
  for (const map of walk(join(pkg, 'dist')).filter((f) => f.endsWith('.map'))) {
    const { sources, sourceRoot } = JSON.parse(readFileSync(map, 'utf8')) as { sources: string[]; sourceRoot?: string };
    for (const s of sources) {
      const path = resolve(dirname(map), sourceRoot ?? '', s);
      if (!existsSync(path)) missing.push(`${relative(pkg, map)} → ${s}`);
    }
  }
  assert.equal(missing, []);
});

test('an ESM consumer runs run() + gather + TaskGroup + HTTP GETs; library stack frames name lib/*.ts files that exist', async () => {
  const out = await start().esm;
  ok(out, 'node esm.mjs');
  assert.is(out.stdout, '["200 hello /a","200 hello /b","c"]\nframes: lib/*.ts, all present\n');
});

test('a TypeScript consumer and the docs\' ts examples type-check against the published types (project tsc)', async () => {
  const out = await start().tsc;
  ok(out, 'tsc -p (the scratch project)');
});

test('the TypeScript consumer runs', async () => {
  const { app } = await start().setup;
  ok(await start().tsc, 'tsc');
  const out = await exec(process.execPath, ['out/consumer.js'], app, 20_000);
  ok(out, 'node out/consumer.js');
  assert.is(out.stdout, '["w1+x2",200,7]\n');
});

test('README\'s first example, compiled against the package, runs and prints what it says', async () => {
  const { app, docs } = await start().setup;
  ok(await start().tsc, 'tsc');
  const first = docs.find((d) => d.label === 'README.md#1')!;
  const out = await exec(process.execPath, [join('out', first.file.replace(/\.ts$/, '.js'))], app, 20_000);
  ok(out, first.label);
  assert.is(out.stdout, 'A 1\nB 1\nA 2\nB 2\nA 3\nB 3\nA done B done\n');
});

test.run();
