// The seed's frontend client against the real binary: @trpc/client (v11) with
// the superjson transformer and batching, then TRPC_TRANSFORMER=none with a
// plain client. Run: node --test tests/e2e/trpc_client.test.mjs (CANCELFLOW_BIN set).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTRPCClient, httpBatchLink, httpLink, TRPCClientError } from '@trpc/client';
import superjson from 'superjson';

const BIN = process.env.CANCELFLOW_BIN;
const ADMIN = 'e2e-admin-token-0123456789';
const dirs = [];
const procs = [];

async function startServer(transformer) {
  const dir = mkdtempSync(join(tmpdir(), 'cf-trpc-'));
  dirs.push(dir);
  const child = spawn(BIN, ['serve', '--demo'], {
    env: {
      ...process.env,
      DATABASE_URL: `sqlite://${join(dir, 'cf.db')}`,
      CANCELFLOW_ADDR: '127.0.0.1:0',
      CANCELFLOW_ENV: 'development',
      CANCELFLOW_BOOTSTRAP_ADMIN_TOKEN: ADMIN,
      TRPC_TRANSFORMER: transformer,
      RATE_LIMIT_RPS: '0',
      JOB_PROCESSING_INTERVAL: '50',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  procs.push(child);
  const port = await new Promise((resolve, reject) => {
    let log = '';
    const timer = setTimeout(() => reject(new Error(`no start-up line in 20 s:\n${log}`)), 20000);
    const onData = (chunk) => {
      log += chunk;
      const m = /serving on http:\/\/127\.0\.0\.1:(\d+)/.exec(log);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => reject(new Error(`serve exited with ${code}:\n${log}`)));
  });
  return `http://127.0.0.1:${port}`;
}

after(() => {
  for (const p of procs) p.kill('SIGTERM');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function json(base, method, path, token, body) {
  const res = await fetch(base + path, {
    method,
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: await res.json() };
}

test('the seed client with superjson and batching', async () => {
  const base = await startServer('superjson');
  // Some work for the monitoring to show, and one failed job to retry.
  const user = await json(base, 'POST', '/v1/users', ADMIN, { id: 'tina', email: 'tina@example.com' });
  assert.equal(user.status, 201);
  await json(base, 'POST', '/v1/subscriptions', user.body.token,
    { id: 'sub_t', provider: 'demo-instant', externalId: 'x', name: 'Video' });
  const created = await json(base, 'POST', '/v1/cancellations', user.body.token, { subscriptionId: 'sub_t' });
  assert.equal(created.status, 202);

  const requests = [];
  const client = createTRPCClient({
    links: [httpBatchLink({
      url: `${base}/api/trpc`,
      transformer: superjson,
      headers: () => ({ Authorization: `Bearer ${ADMIN}` }),
      fetch: (url, init) => { requests.push(String(url)); return fetch(url, init); },
    })],
  });
  const m = client.systemMonitoring;
  // Issued together: one batched HTTP request.
  const [health, status, queue, workflows, realtime, conns, metrics, events] = await Promise.all([
    m.health.query(),
    m.systemStatus.query(),
    m.jobQueueStats.query(),
    m.workflowStats.query(),
    m.realtimeStats.query(),
    m.userConnections.query(),
    m.systemMetrics.query({ timeframe: 'hour' }),
    m.recentEvents.query({ limit: 5, actions: ['cancellation.*'] }),
  ]);
  assert.equal(requests.length, 1, 'the eight queries went as one batch');
  assert.match(requests[0], /batch=1/);

  assert.equal(health.status, 'healthy');
  assert.ok(health.timestamp instanceof Date, 'dates arrive as Date');
  assert.deepEqual(Object.keys(health.services).sort(), ['api', 'database']);
  assert.ok(['healthy', 'degraded', 'unhealthy'].includes(status.overall));
  assert.ok(status.timestamp instanceof Date);
  for (const s of ['database', 'jobQueue', 'jobProcessors', 'workflowEngine', 'realtime']) {
    assert.ok('status' in status.services[s] && 'error' in status.services[s] && 'data' in status.services[s], s);
  }
  for (const k of ['total', 'pending', 'processing', 'completed', 'failed', 'delayed']) {
    assert.equal(typeof queue.stats[k], 'number', k);
  }
  assert.ok(Array.isArray(queue.failedJobs));
  for (const k of ['totalWorkflows', 'running', 'completed', 'failed', 'cancelled']) {
    assert.equal(typeof workflows[k], 'number', k);
  }
  assert.equal(typeof realtime.activeConnections, 'number');
  assert.ok(Array.isArray(conns.connections));
  assert.equal(typeof conns.unreadNotifications, 'number');
  assert.equal(metrics.timeframe, 'hour');
  assert.ok(metrics.period.start instanceof Date && metrics.period.end instanceof Date);
  for (const k of ['total', 'completed', 'failed', 'pending', 'successRate']) {
    assert.equal(typeof metrics.cancellations[k], 'number', k);
  }
  for (const k of ['totalOperations', 'failedOperations', 'errorRate']) {
    assert.equal(typeof metrics.system[k], 'number', k);
  }
  assert.ok(Array.isArray(events) && events.length >= 1);
  for (const e of events) {
    assert.match(e.action, /^cancellation\./);
    assert.ok(e.timestamp instanceof Date);
    assert.ok('id' in e && 'result' in e && 'error' in e && 'metadata' in e);
  }

  // Mutations.
  const cleared = await m.clearFailedJobs.mutate();
  assert.deepEqual(cleared, { success: true, clearedCount: 0 });
  await assert.rejects(m.retryFailedJob.mutate({ jobId: 'job_missing' }), (err) => {
    assert.ok(err instanceof TRPCClientError);
    assert.equal(err.data?.code, 'NOT_FOUND');
    assert.equal(err.data?.httpStatus, 404);
    assert.equal(err.message, 'Job not found or not in failed state');
    return true;
  });
  // Invalid input → BAD_REQUEST; no token → UNAUTHORIZED; a user on an admin procedure → FORBIDDEN.
  await assert.rejects(m.systemMetrics.query({ timeframe: 'year' }), (err) => err.data?.code === 'BAD_REQUEST');
  const anonymous = createTRPCClient({ links: [httpBatchLink({ url: `${base}/api/trpc`, transformer: superjson })] });
  assert.equal((await anonymous.systemMonitoring.health.query()).status, 'healthy');
  await assert.rejects(anonymous.systemMonitoring.systemStatus.query(), (err) => err.data?.code === 'UNAUTHORIZED');
  const asUser = createTRPCClient({
    links: [httpBatchLink({ url: `${base}/api/trpc`, transformer: superjson,
      headers: () => ({ Authorization: `Bearer ${user.body.token}` }) })],
  });
  await assert.rejects(asUser.systemMonitoring.jobQueueStats.query(), (err) => err.data?.code === 'FORBIDDEN');
  const mine = await asUser.systemMonitoring.recentEvents.query({});
  assert.ok(mine.length > 0 && mine.length <= 20);
});

test('a plain client with TRPC_TRANSFORMER=none', async () => {
  const base = await startServer('none');
  const client = createTRPCClient({
    links: [httpLink({ url: `${base}/api/trpc`, headers: () => ({ Authorization: `Bearer ${ADMIN}` }) })],
  });
  const health = await client.systemMonitoring.health.query();
  assert.equal(health.status, 'healthy');
  assert.equal(typeof health.timestamp, 'string', 'no transformer: dates stay ISO strings');
  const stats = await client.systemMonitoring.workflowStats.query();
  assert.equal(typeof stats.totalWorkflows, 'number');
  await assert.rejects(client.systemMonitoring.retryFailedJob.mutate({ jobId: 'job_missing' }),
    (err) => err.data?.code === 'NOT_FOUND' && err.data?.httpStatus === 404);
  // The raw wire: a batch with differing statuses answers 207 with tRPC envelopes.
  const res = await fetch(`${base}/api/trpc/systemMonitoring.health,systemMonitoring.nope?batch=1&input=${encodeURIComponent('{}')}`);
  assert.equal(res.status, 207);
  const body = await res.json();
  assert.equal(body[0].result.data.status, 'healthy');
  assert.equal(body[1].error.code, -32004);
  assert.equal(body[1].error.data.code, 'NOT_FOUND');
  assert.equal(body[1].error.data.path, 'systemMonitoring.nope');
});
