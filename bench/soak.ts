/**
 * `npm run soak`: the HTTP soak under faults and cancellations (issue #5) at full
 * size — 100,000 requests (or SOAK_REQUESTS) through one client against a loopback
 * server dropping connections before, during and after responses, with a chaos task
 * cancelling requests and tight timeouts firing. Prints the tallies, requests/s and
 * every check (heap growth per request included: run with --expose-gc, as the npm
 * script does). Exits 1 if a check fails. Replay a run's fault choices with
 * SOAK_SEED=<seed>. The driver is spec/_support/soak.ts, shared with
 * spec/http/soak.spec.ts.
 */
import { formatReport, soak } from '../spec/_support/soak.ts';

const requests = Number(process.env.SOAK_REQUESTS ?? process.argv[2] ?? 100_000);
const heapSkipped = typeof (globalThis as { gc?: unknown }).gc !== 'function';
const report = await soak({ requests, deadline: 600, heap: true });
console.log(formatReport(report, heapSkipped));
if (report.checks.some((c) => !c.ok)) process.exitCode = 1;
