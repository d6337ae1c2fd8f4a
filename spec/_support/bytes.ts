/**
 * Feeding bytes to parsers, the h11 way: every parser spec runs the same
 * bytes whole, one byte at a time, in random splits, and followed by the
 * start of something else (trailing data) — and expects the same events.
 * A parser that is right only when the bytes arrive in one piece is wrong.
 */
import { Buffer } from 'node:buffer';

/** A string's latin1 bytes (one byte per char, so "\xff" is one byte). */
export function bytes(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'latin1'));
}

/** Bytes back to a latin1 string, for readable assertions. */
export function latin1(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.length).toString('latin1');
}

/** One array holding `parts` in order. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A small deterministic PRNG (mulberry32), so random splits replay exactly. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `data` as a single chunk. */
export function whole(data: Uint8Array): Uint8Array[] {
  return [data];
}

/** `data` one byte per chunk. */
export function bytewise(data: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < data.length; i++) out.push(data.subarray(i, i + 1));
  return out;
}

/** `data` cut at random points (1 to 7 bytes per piece), replayable by `seed`. */
export function randomSplits(data: Uint8Array, seed: number): Uint8Array[] {
  const next = rng(seed);
  const out: Uint8Array[] = [];
  for (let i = 0; i < data.length; ) {
    const n = 1 + Math.floor(next() * 7);
    out.push(data.subarray(i, i + n));
    i += n;
  }
  return out;
}

/** What follows the message in the "with trailing data" feedings. */
export const TRAILING = bytes('HTTP/1.1 200 OK\r\nX-Next: message\r\n\r\n');

/** One way of delivering a message: its chunks, and the trailing bytes they end with. */
export interface Feeding {
  name: string;
  chunks: Uint8Array[];
  /** Bytes after the message (empty, or TRAILING): a parser must leave them unread. */
  trailing: Uint8Array;
}

/** Every way the specs deliver `data`: whole, bytewise, random splits, and each with trailing data. */
export function feedings(data: Uint8Array | string, trailing: Uint8Array = TRAILING): Feeding[] {
  const message = typeof data === 'string' ? bytes(data) : data;
  const followed = concat(message, trailing);
  const none = new Uint8Array(0);
  return [
    { name: 'whole', chunks: whole(message), trailing: none },
    { name: 'byte by byte', chunks: bytewise(message), trailing: none },
    { name: 'random splits (seed 1)', chunks: randomSplits(message, 1), trailing: none },
    { name: 'random splits (seed 2)', chunks: randomSplits(message, 2), trailing: none },
    { name: 'whole, with trailing data', chunks: whole(followed), trailing },
    { name: 'byte by byte, with trailing data', chunks: bytewise(followed), trailing },
    { name: 'random splits, with trailing data', chunks: randomSplits(followed, 3), trailing },
  ];
}

/**
 * Deliver `chunks` through `push`, calling `pull` after each until it returns
 * `null` (needs more) — and never again once `isLast` says the final event
 * came (the rest is trailing data, pushed but not read). Returns the events.
 */
export function drive<E>(
  chunks: Uint8Array[],
  push: (chunk: Uint8Array) => void,
  pull: () => E | null,
  isLast: (event: E) => boolean,
): E[] {
  const events: E[] = [];
  let finished = false;
  // Pull once before any byte too: an empty message (or an empty chunk list) must work.
  for (const chunk of [undefined, ...chunks]) {
    if (chunk !== undefined) push(chunk);
    while (!finished) {
      const event = pull();
      if (event === null) break;
      events.push(event);
      finished = isLast(event);
    }
  }
  return events;
}
