// The operator's metrics as a scraper reads them over HTTP: controller-runtime's names, labels and
// values for a real work queue whose handler succeeds, fails, asks to be requeued and blocks.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type ReconcileResult, WorkQueue } from '../kube/work-queue.ts';
import type { HttpEndpoint } from './http-endpoint.ts';
import { OperatorMetrics, startMetricsServer } from './metrics.ts';

const CONTROLLER = 'cluster';
const Q = `name="${CONTROLLER}",controller="${CONTROLLER}"`;

/** The value of one sample line (`name{labels}`), or undefined when absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('operator metrics', () => {
  const metrics = new OperatorMetrics();
  let queue: WorkQueue | undefined;
  let server: HttpEndpoint;
  let release: () => void = () => {};
  const blocked = new Promise<void>((resolve) => {
    release = resolve;
  });
  let blocking: Promise<void> = Promise.resolve();
  const outcomes: Record<string, () => Promise<ReconcileResult | undefined>> = {
    ok: async () => undefined,
    poll: async () => ({ requeueAfterMs: 60_000 }),
    failing: async () => {
      throw new Error('boom');
    },
    stuck: async () => {
      await blocked;
      return undefined;
    },
  };
  const scrape = async (path = '/metrics') => {
    const res = await fetch(`http://127.0.0.1:${server.address.port}${path}`);
    return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
  };

  before(async () => {
    metrics.addController(CONTROLLER, 2, () => queue);
    queue = new WorkQueue({
      name: CONTROLLER,
      handler: (key) => metrics.reconcile(CONTROLLER, outcomes[key] as () => Promise<ReconcileResult | undefined>),
      maxConcurrent: 2,
      // Long enough that the failed key is not retried while the test reads the metrics.
      backoff: { baseMs: 60_000, maxMs: 60_000 },
      metrics: metrics.queueMetrics(CONTROLLER),
    });
    server = await startMetricsServer(metrics, { host: '127.0.0.1', port: 0 });
  });
  after(async () => {
    release();
    await blocking;
    await queue?.shutDown();
    await server?.close();
  });

  it('declares every series of a controller at zero before anything ran', async () => {
    const { status, type, text } = await scrape();
    assert.equal(status, 200);
    assert.match(type ?? '', /^text\/plain; version=0\.0\.4/);
    for (const result of ['success', 'error', 'requeue', 'requeue_after']) {
      assert.equal(sample(text, `controller_runtime_reconcile_total{controller="cluster",result="${result}"}`), 0);
    }
    assert.equal(sample(text, 'controller_runtime_reconcile_errors_total{controller="cluster"}'), 0);
    assert.equal(sample(text, 'controller_runtime_max_concurrent_reconciles{controller="cluster"}'), 2);
    assert.equal(sample(text, 'controller_runtime_active_workers{controller="cluster"}'), 0);
    assert.equal(sample(text, `workqueue_depth{${Q},priority=""}`), 0);
    assert.equal(sample(text, `workqueue_adds_total{${Q}}`), 0);
    assert.equal(sample(text, `workqueue_retries_total{${Q}}`), 0);
    assert.match(text, /^process_cpu_user_seconds_total \d/m);
    assert.match(text, /^process_start_time_seconds \d/m);
  });

  it('counts reconciles by result, times them, and reports the queue', async () => {
    const q = queue as WorkQueue;
    for (const key of ['ok', 'poll', 'failing']) q.add(key);
    await waitUntil(() => q.processing === 0 && q.depth === 0);
    blocking = (async () => {
      q.add('stuck');
      await waitUntil(() => q.processing === 1);
    })();
    await blocking;
    await new Promise((resolve) => setTimeout(resolve, 20));
    const { text } = await scrape();
    const total = (result: string) =>
      sample(text, `controller_runtime_reconcile_total{controller="cluster",result="${result}"}`);
    assert.deepEqual(
      ['success', 'requeue_after', 'error', 'requeue'].map(total),
      [1, 1, 1, 0],
      'one pass of each kind done, the stuck one still running',
    );
    assert.equal(sample(text, 'controller_runtime_reconcile_errors_total{controller="cluster"}'), 1);
    assert.equal(sample(text, 'controller_runtime_reconcile_time_seconds_count{controller="cluster"}'), 3);
    assert.equal(sample(text, 'controller_runtime_reconcile_time_seconds_bucket{le="60",controller="cluster"}'), 3);
    assert.equal(sample(text, 'controller_runtime_active_workers{controller="cluster"}'), 1);
    assert.equal(sample(text, `workqueue_adds_total{${Q}}`), 4);
    // The failure's back-off and the poll's requeue, as client-go's delaying queue counts them.
    assert.equal(sample(text, `workqueue_retries_total{${Q}}`), 2);
    assert.equal(sample(text, `workqueue_queue_duration_seconds_count{${Q}}`), 4);
    assert.equal(sample(text, `workqueue_work_duration_seconds_count{${Q}}`), 3);
    assert.equal(sample(text, `workqueue_work_duration_seconds_bucket{le="1000",${Q}}`), 3);
    assert.ok((sample(text, `workqueue_unfinished_work_seconds{${Q}}`) ?? 0) > 0);
    assert.ok((sample(text, `workqueue_longest_running_processor_seconds{${Q}}`) ?? 0) > 0);
    // Added again while being handled: it waits for its handler to return, and counts in the depth.
    q.add('stuck');
    assert.equal(sample((await scrape()).text, `workqueue_depth{${Q},priority=""}`), 1);
  });

  it('answers 404 off /metrics', async () => {
    assert.equal((await scrape('/other')).status, 404);
  });
});

async function waitUntil(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
