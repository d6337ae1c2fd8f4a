/**
 * Step 9 of docs/walkthrough.md — streams: sockets as coroutines.
 * Real code: lib/streams.ts → StreamReader.readuntil, StreamReader.#waitForData,
 * _StreamProtocol, openConnection, startServer.
 *
 * A loopback echo server on a free port, a client that talks to it, then both closed.
 */
import {
  asyncWith, IncompleteReadError, openConnection, run, startServer,
  type Coro, type StreamReader, type StreamWriter,
} from '../../lib/index.ts';

/** The server's handler: one task per connection, upper-casing lines until EOF. */
function* shout(reader: StreamReader, writer: StreamWriter): Coro<void> {
  for (;;) {
    const line = yield* reader.readline();
    if (line.length === 0) break; // EOF: the client shut its write side
    writer.write(line.toString().toUpperCase());
    yield* writer.drain();
  }
  writer.close();
  yield* writer.waitClosed();
}

function* main(): Coro<void> {
  const server = yield* startServer(shout, '127.0.0.1', 0);
  yield* asyncWith(server, function* () {
    const [reader, writer] = yield* openConnection('127.0.0.1', server.port);
    // Bytes may arrive in any chunking: readline() waits until a whole line is buffered.
    writer.write('hello, ');
    writer.write('streams\nsecond line\n');
    console.log((yield* reader.readline()).toString().trimEnd());
    console.log((yield* reader.readline()).toString().trimEnd());
    writer.writeEof(); // FIN: the server's readline() returns b'' and it closes
    try {
      yield* reader.readexactly(4);
    } catch (err) {
      const e = err as IncompleteReadError;
      console.log(`${e.name}: ${e.partial.length} of ${e.expected} bytes before EOF`);
    }
    writer.close();
    yield* writer.waitClosed();
  });
  console.log('server closed; serving:', server.isServing());
}

await run(main());

// expect:
// HELLO, STREAMS
// SECOND LINE
// IncompleteReadError: 0 of 4 bytes before EOF
// server closed; serving: false
