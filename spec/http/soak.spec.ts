/**
 * The HTTP soak under faults and cancellations (issue #5), small: 3,000 requests
 * through one client against a loopback server that drops connections before,
 * during and after responses, while a chaos task cancels requests and tight
 * timeouts fire. The driver and its checks are in spec/_support/soak.ts; the full
 * 100,000-request run with the heap check is `npm run soak`.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { formatReport, soak } from '../_support/soak.ts';

test('soak: 3,000 requests under faults, cancellations and timeouts — own ids, typed errors, no leaks', async () => {
  const report = await soak({ requests: 3000, deadline: 20, heap: false });
  const text = formatReport(report, true);
  console.log(text);
  const failed = report.checks.filter((c) => !c.ok && !c.known);
  assert.equal(failed.map((c) => `${c.name}: ${c.detail}`), [], `seed ${report.seed}`);
  // The faults did happen, or the soak proved nothing.
  const t = report.tallies;
  assert.ok(t.ok > report.requests / 2, `only ${t.ok} ok`);
  assert.ok(t.cancelled > 0 && report.cancelRequests > 0, 'no request was cancelled');
  assert.ok(Object.keys(t.failed).length > 0, 'no request failed');
  const s = report.server;
  assert.ok(s.droppedDuring + s.droppedUnread + s.droppedOnAccept + s.closedIdle + s.droppedNext > 0, 'the server dropped nothing');
});

test.run();
