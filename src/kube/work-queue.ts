// A rate-limited work queue with the guarantees of client-go's workqueue, plus the workers that drain
// it (controller-runtime's model): a key waits at most once in the queue, one key is never handled by
// two workers at once (an add while it is being handled re-queues it afterwards), and a key whose
// handler fails comes back after a per-key exponential back-off.
import type { Logger } from '../log/logger.ts';

/** What a handler may ask for after a successful pass. */
export interface ReconcileResult {
  /** Handle the key again after this many milliseconds (a poll, not a failure: back-off is reset). */
  requeueAfterMs?: number;
}

export type KeyHandler = (key: string) => Promise<ReconcileResult | undefined> | Promise<void>;

/** What the queue reports as it works (client-go's workqueue metrics provider, in its terms). */
export interface WorkQueueMetrics {
  /** A key entered the queue (a key already waiting is not counted again). */
  added(): void;
  /** A worker picked a key that had waited this long. */
  picked(waitedSeconds: number): void;
  /** A worker finished a key after this long. */
  finished(workedSeconds: number): void;
  /** A key was scheduled to come back after a delay (a retry, or a requeue the handler asked for). */
  retried(): void;
}

export interface BackoffOptions {
  /** First retry delay (controller-runtime: 5 ms). */
  baseMs: number;
  /** Cap on the retry delay (controller-runtime: 1000 s). */
  maxMs: number;
}

export interface WorkQueueOptions {
  /** Names the queue in logs. */
  name: string;
  handler: KeyHandler;
  /** Workers draining the queue (`--max-concurrent-reconciles`). */
  maxConcurrent?: number;
  backoff?: BackoffOptions;
  logger?: Logger;
  metrics?: WorkQueueMetrics;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 5, maxMs: 1_000_000 };

/** The delay before retry number `failures` (0-based) of a key: base·2^failures, capped. */
export function backoffDelay(failures: number, backoff: BackoffOptions = DEFAULT_BACKOFF): number {
  // 2^failures overflows to Infinity for large counts, which the cap absorbs.
  return Math.min(backoff.baseMs * 2 ** failures, backoff.maxMs);
}

interface Waiting {
  readyAt: number;
  timer: NodeJS.Timeout;
}

export class WorkQueue {
  readonly name: string;
  readonly #handler: KeyHandler;
  readonly #maxConcurrent: number;
  readonly #backoff: BackoffOptions;
  readonly #logger: Logger | undefined;
  readonly #metrics: WorkQueueMetrics | undefined;

  /** Keys ready to be handled, in order. */
  readonly #queue: string[] = [];
  /** Keys that must be handled (queued, or re-added while being handled). */
  readonly #dirty = new Set<string>();
  /** Keys being handled, with when their handler started (performance.now()). */
  readonly #processing = new Map<string, number>();
  /** When each dirty key was added (performance.now()), for the time it waits. */
  readonly #addedAt = new Map<string, number>();
  readonly #waiting = new Map<string, Waiting>();
  readonly #failures = new Map<string, number>();
  readonly #inFlight = new Set<Promise<void>>();
  #shuttingDown = false;

  constructor(opts: WorkQueueOptions) {
    this.name = opts.name;
    this.#handler = opts.handler;
    this.#maxConcurrent = Math.max(1, opts.maxConcurrent ?? 1);
    this.#backoff = opts.backoff ?? DEFAULT_BACKOFF;
    this.#logger = opts.logger;
    this.#metrics = opts.metrics;
  }

  /** Queue a key now (a no-op if it is already waiting to be handled). */
  add(key: string): void {
    if (this.#shuttingDown || this.#dirty.has(key)) return;
    this.#dirty.add(key);
    this.#addedAt.set(key, performance.now());
    this.#metrics?.added();
    // A key being handled goes back into the queue when its handler finishes.
    if (this.#processing.has(key)) return;
    this.#queue.push(key);
    this.#dispatch();
  }

  /** Queue a key after `ms`; if it is already scheduled sooner, the sooner time wins. */
  addAfter(key: string, ms: number): void {
    if (this.#shuttingDown) return;
    this.#metrics?.retried();
    if (ms <= 0) {
      this.add(key);
      return;
    }
    const readyAt = Date.now() + ms;
    const existing = this.#waiting.get(key);
    if (existing !== undefined) {
      if (existing.readyAt <= readyAt) return;
      clearTimeout(existing.timer);
    }
    const timer = setTimeout(() => {
      this.#waiting.delete(key);
      this.add(key);
    }, ms);
    this.#waiting.set(key, { readyAt, timer });
  }

  /** Queue a key after its back-off delay, and count one more failure for it. */
  addRateLimited(key: string): void {
    const failures = this.#failures.get(key) ?? 0;
    this.#failures.set(key, failures + 1);
    this.addAfter(key, backoffDelay(failures, this.#backoff));
  }

  /** Forget the failures of a key, so its next retry starts from the base delay. */
  forget(key: string): void {
    this.#failures.delete(key);
  }

  /** How many times in a row the handler failed for a key. */
  failures(key: string): number {
    return this.#failures.get(key) ?? 0;
  }

  /** Keys ready and not yet picked by a worker. */
  get length(): number {
    return this.#queue.length;
  }

  /** Keys that will be handled (queued, or re-added while being handled): client-go's depth. */
  get depth(): number {
    return this.#dirty.size;
  }

  /** Keys being handled right now (busy workers). */
  get processing(): number {
    return this.#processing.size;
  }

  /** Seconds spent so far by the handlers still running: their sum, and the longest one. */
  unfinishedWork(): { totalSeconds: number; longestSeconds: number } {
    const now = performance.now();
    let totalSeconds = 0;
    let longestSeconds = 0;
    for (const started of this.#processing.values()) {
      const seconds = (now - started) / 1000;
      totalSeconds += seconds;
      longestSeconds = Math.max(longestSeconds, seconds);
    }
    return { totalSeconds, longestSeconds };
  }

  get shuttingDown(): boolean {
    return this.#shuttingDown;
  }

  /**
   * Stop taking keys, drop the ones waiting (queued or delayed), and resolve once every handler
   * already running has returned.
   */
  async shutDown(): Promise<void> {
    this.#shuttingDown = true;
    for (const { timer } of this.#waiting.values()) clearTimeout(timer);
    this.#waiting.clear();
    this.#queue.length = 0;
    this.#dirty.clear();
    this.#addedAt.clear();
    while (this.#inFlight.size > 0) await Promise.all([...this.#inFlight]);
  }

  #dispatch(): void {
    while (!this.#shuttingDown && this.#processing.size < this.#maxConcurrent && this.#queue.length > 0) {
      const key = this.#queue.shift() as string;
      this.#dirty.delete(key);
      const now = performance.now();
      this.#metrics?.picked((now - (this.#addedAt.get(key) ?? now)) / 1000);
      this.#addedAt.delete(key);
      this.#processing.set(key, now);
      const run = this.#run(key);
      this.#inFlight.add(run);
      void run.finally(() => {
        this.#inFlight.delete(run);
        this.#done(key);
      });
    }
  }

  async #run(key: string): Promise<void> {
    try {
      const result = await this.#handler(key);
      this.forget(key);
      const after = result ? result.requeueAfterMs : undefined;
      if (after !== undefined) this.addAfter(key, after);
    } catch (err) {
      const failures = this.failures(key);
      this.#logger?.error(
        { err, queue: this.name, key, retryInMs: backoffDelay(failures, this.#backoff) },
        'handling a queued key failed, retrying with back-off',
      );
      this.addRateLimited(key);
    }
  }

  #done(key: string): void {
    const started = this.#processing.get(key);
    if (started !== undefined) this.#metrics?.finished((performance.now() - started) / 1000);
    this.#processing.delete(key);
    if (this.#dirty.has(key) && !this.#shuttingDown) this.#queue.push(key);
    this.#dispatch();
  }
}
