/**
 * docs/testing.md: a stand-in for a test runner's `test(name, body)` — uvu's,
 * node:test's, vitest's — so that the examples of the page run as plain programs
 * (`npx tsx docs/examples/testing/virtual-time.ts`) and print what happened. In a real
 * suite, import `test` from your runner instead: the bodies stay the same.
 */
export async function test(name: string, body: () => Promise<void>): Promise<void> {
  try {
    await body();
    console.log(`ok   ${name}`);
  } catch (err) {
    console.log(`FAIL ${name}\n${err instanceof Error ? err.stack : String(err)}`);
    process.exitCode = 1;
  }
}
