// The operator's own metrics (upstream's `--metrics-bind-address`, :8080): what controller-runtime
// exports for every controller (reconcile counts by result, errors, durations, workers) and for its
// work queue (depth, adds, waits, work durations, retries, unfinished work), under the same names,
// labels and buckets, plus the process metrics of prom-client. One registry per operator process.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ReconcileResult, WorkQueue, WorkQueueMetrics } from '../kube/work-queue.ts';
import { type HttpEndpoint, serveHttp } from './http-endpoint.ts';

/** controller-runtime's reconcile_total results. */
export type ReconcileOutcome = 'success' | 'error' | 'requeue' | 'requeue_after';
const OUTCOMES: ReconcileOutcome[] = ['success', 'error', 'requeue', 'requeue_after'];

/** controller-runtime's reconcile time buckets (seconds). */
const RECONCILE_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.25, 1.5, 1.75,
  2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5, 6, 7, 8, 9, 10, 15, 20, 25, 30, 40, 50, 60,
];
/** client-go's work-queue buckets: 10 ns to 1000 s, by powers of ten. */
const QUEUE_BUCKETS = Array.from({ length: 12 }, (_, i) => Number((1e-8 * 10 ** i).toPrecision(1)));

export class OperatorMetrics {
  readonly registry = new Registry();
  readonly #reconcileTotal: Counter<'controller' | 'result'>;
  readonly #reconcileErrors: Counter<'controller'>;
  readonly #reconcileTime: Histogram<'controller'>;
  readonly #maxConcurrent: Gauge<'controller'>;
  readonly #queueAdds: Counter<'name' | 'controller'>;
  readonly #queueLatency: Histogram<'name' | 'controller'>;
  readonly #queueWork: Histogram<'name' | 'controller'>;
  readonly #queueRetries: Counter<'name' | 'controller'>;
  /** The queue each controller drains now (a new one each time this process starts leading). */
  readonly #queues = new Map<string, () => WorkQueue | undefined>();

  constructor() {
    const registers = [this.registry];
    this.#reconcileTotal = new Counter({
      name: 'controller_runtime_reconcile_total',
      help: 'Total number of reconciliations per controller',
      labelNames: ['controller', 'result'],
      registers,
    });
    this.#reconcileErrors = new Counter({
      name: 'controller_runtime_reconcile_errors_total',
      help: 'Total number of reconciliation errors per controller',
      labelNames: ['controller'],
      registers,
    });
    this.#reconcileTime = new Histogram({
      name: 'controller_runtime_reconcile_time_seconds',
      help: 'Length of time per reconciliation per controller',
      labelNames: ['controller'],
      buckets: RECONCILE_BUCKETS,
      registers,
    });
    this.#maxConcurrent = new Gauge({
      name: 'controller_runtime_max_concurrent_reconciles',
      help: 'Maximum number of concurrent reconciles per controller',
      labelNames: ['controller'],
      registers,
    });
    const queues = this.#queues;
    /** Sets a gauge, per controller, from the queue it drains now (0 while it has none). */
    const eachQueue = (
      gauge: Gauge<string>,
      labels: (controller: string) => Record<string, string>,
      value: (q: WorkQueue) => number,
    ) => {
      gauge.reset();
      for (const [controller, current] of queues) {
        const queue = current();
        gauge.set(labels(controller), queue === undefined ? 0 : value(queue));
      }
    };
    new Gauge({
      name: 'controller_runtime_active_workers',
      help: 'Number of currently used workers per controller',
      labelNames: ['controller'],
      registers,
      collect() {
        eachQueue(
          this,
          (controller) => ({ controller }),
          (q) => q.processing,
        );
      },
    });
    new Gauge({
      name: 'workqueue_depth',
      help: 'Current depth of workqueue',
      labelNames: ['name', 'controller', 'priority'],
      registers,
      collect() {
        // No priority queue: the priority label is empty, as controller-runtime's for such queues.
        eachQueue(
          this,
          (controller) => ({ ...queueLabels(controller), priority: '' }),
          (q) => q.depth,
        );
      },
    });
    this.#queueAdds = new Counter({
      name: 'workqueue_adds_total',
      help: 'Total number of adds handled by workqueue',
      labelNames: ['name', 'controller'],
      registers,
    });
    this.#queueLatency = new Histogram({
      name: 'workqueue_queue_duration_seconds',
      help: 'How long in seconds an item stays in workqueue before being requested',
      labelNames: ['name', 'controller'],
      buckets: QUEUE_BUCKETS,
      registers,
    });
    this.#queueWork = new Histogram({
      name: 'workqueue_work_duration_seconds',
      help: 'How long in seconds processing an item from workqueue takes',
      labelNames: ['name', 'controller'],
      buckets: QUEUE_BUCKETS,
      registers,
    });
    new Gauge({
      name: 'workqueue_unfinished_work_seconds',
      help:
        'How many seconds of work has been done that is in progress and has not been observed by ' +
        'work_duration; large values indicate stuck workers',
      labelNames: ['name', 'controller'],
      registers,
      collect() {
        eachQueue(this, queueLabels, (q) => q.unfinishedWork().totalSeconds);
      },
    });
    new Gauge({
      name: 'workqueue_longest_running_processor_seconds',
      help: 'How many seconds the longest running processor for workqueue has been running',
      labelNames: ['name', 'controller'],
      registers,
      collect() {
        eachQueue(this, queueLabels, (q) => q.unfinishedWork().longestSeconds);
      },
    });
    this.#queueRetries = new Counter({
      name: 'workqueue_retries_total',
      help: 'Total number of retries handled by workqueue',
      labelNames: ['name', 'controller'],
      registers,
    });
    collectDefaultMetrics({ register: this.registry });
  }

  /**
   * Declare a controller: its series exist at zero from now on (as controller-runtime's do), and
   * `queue` tells which work queue it drains at scrape time.
   */
  addController(controller: string, maxConcurrentReconciles: number, queue: () => WorkQueue | undefined): void {
    this.#queues.set(controller, queue);
    this.#maxConcurrent.set({ controller }, maxConcurrentReconciles);
    for (const result of OUTCOMES) this.#reconcileTotal.inc({ controller, result }, 0);
    this.#reconcileErrors.inc({ controller }, 0);
    const labels = queueLabels(controller);
    this.#queueAdds.inc(labels, 0);
    this.#queueRetries.inc(labels, 0);
  }

  /** The hooks a controller's work queue reports through. */
  queueMetrics(controller: string): WorkQueueMetrics {
    const labels = queueLabels(controller);
    return {
      added: () => this.#queueAdds.inc(labels),
      picked: (seconds) => this.#queueLatency.observe(labels, seconds),
      finished: (seconds) => this.#queueWork.observe(labels, seconds),
      retried: () => this.#queueRetries.inc(labels),
    };
  }

  /** Run one reconcile of `controller`, counting its outcome and timing it. */
  async reconcile(
    controller: string,
    run: () => Promise<ReconcileResult | undefined>,
  ): Promise<ReconcileResult | undefined> {
    const end = this.#reconcileTime.startTimer({ controller });
    try {
      const result = await run();
      this.#reconcileTotal.inc({
        controller,
        result: result?.requeueAfterMs === undefined ? 'success' : 'requeue_after',
      });
      return result;
    } catch (err) {
      this.#reconcileTotal.inc({ controller, result: 'error' });
      this.#reconcileErrors.inc({ controller });
      throw err;
    } finally {
      end();
    }
  }

  /** The Prometheus text exposition. */
  exposition(): Promise<string> {
    return this.registry.metrics();
  }
}

/** controller-runtime names each controller's queue after the controller. */
function queueLabels(controller: string): { name: string; controller: string } {
  return { name: controller, controller };
}

/** `GET /metrics` on `at`, as controller-runtime's metrics server (anything else: 404). */
export function startMetricsServer(
  metrics: OperatorMetrics,
  at: { host: string; port: number },
): Promise<HttpEndpoint> {
  return serveHttp(at, (req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
      return;
    }
    metrics.exposition().then(
      (text) => {
        res.writeHead(200, { 'content-type': metrics.registry.contentType });
        res.end(req.method === 'HEAD' ? undefined : text);
      },
      (err: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`collecting the metrics failed: ${err instanceof Error ? err.message : String(err)}`);
      },
    );
  });
}
