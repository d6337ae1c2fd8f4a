/**
 * The HTTP benchmark's server, run in a child process (bench/http.ts forks it) so the
 * client process's CPU time is the client's alone. Keep-alive `node:http`:
 *
 *   GET  /small   → 200, 13 bytes of text
 *   POST /post    → 200, the form fields as JSON
 *
 * It tells its parent the port over IPC, and exits when the parent disconnects.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

const SMALL = Buffer.from('hello, world\n');

const server = http.createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
  if (req.method === 'GET') {
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': SMALL.length });
    res.end(SMALL);
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const form = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('latin1')));
    const body = JSON.stringify({ form });
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  process.send?.({ port: (server.address() as AddressInfo).port });
});
process.on('disconnect', () => process.exit(0));
