/**
 * docs/node.md, "Node streams": openWritable and openReadable give any Node stream the
 * StreamWriter and StreamReader a socket gets.
 * Real code: lib/nodestreams.ts → openReadable, openWritable, _ReadPipe, _WritePipe.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openReadable, openWritable, run, wrapPromise, type Coro } from '../../../lib/index.ts';

function* main(): Coro<void> {
  const dir = yield* wrapPromise(mkdtemp(join(tmpdir(), 'yieldio-')));
  try {
    const path = join(dir, 'lines.txt');

    const writer = openWritable(createWriteStream(path));
    for (let i = 1; i <= 3; i++) {
      writer.write(`line ${i}\n`);
      yield* writer.drain(); // waits while the file stream's buffer is full
    }
    writer.close();
    yield* writer.waitClosed(); // everything flushed

    const reader = openReadable(createReadStream(path));
    for (let line = yield* reader.readline(); line.length > 0; line = yield* reader.readline()) {
      console.log('read:', line.toString().trimEnd());
    }
    console.log('at EOF:', reader.atEof());
  } finally {
    yield* wrapPromise(rm(dir, { recursive: true }));
  }
}

await run(main());

// expect:
// read: line 1
// read: line 2
// read: line 3
// at EOF: true
